#include "actors/reader.hpp"

#include <caf/all.hpp>

namespace dirsync::actors {

reader_actor::behavior_type
reader_behavior(reader_actor::stateful_pointer<reader_state> self,
                std::shared_ptr<persistence::reader> db) {
  self->state.db = std::move(db);
  return {
    [self](read_job& job) -> scim_reply {
      // One snapshot per job: the rows of a reply agree with each other.
      persistence::snapshot scope{*self->state.db};
      return job.run(*self->state.db);
    },
  };
}

} // namespace dirsync::actors
