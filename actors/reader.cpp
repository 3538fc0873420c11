#include "actors/reader.hpp"

#include <caf/all.hpp>

namespace dirsync::actors {

reader_actor::behavior_type
reader_behavior(reader_actor::stateful_pointer<reader_state> self,
                std::shared_ptr<persistence::reader> db) {
  self->state.db = std::move(db);
  return {
    [self](read_job& job) -> scim_reply {
      // A job reads one snapshot, so the rows of a reply agree with each
      // other, and it is the newest state this process committed. Jobs
      // queued behind each other share it while nothing is committed in
      // between: the read transaction and its WAL read lock are taken once
      // for the run, not per job. It ends when the mailbox is empty, so an
      // idle reader never holds back a checkpoint.
      auto& db = *self->state.db;
      persistence::snapshot scope{db, shared_snapshot_jobs};
      auto reply = job.run(db);
      if (!self->mailbox().empty())
        scope.keep();
      return reply;
    },
  };
}

} // namespace dirsync::actors
