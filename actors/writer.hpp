#pragma once

#include <memory>

#include "actors/context.hpp"
#include "persistence/store.hpp"

namespace dirsync::actors {

/// Spawn arguments of the writer.
struct writer_config {
  std::size_t max_batch = 256;                   ///< Jobs per commit at most.
  std::chrono::milliseconds max_commit_delay{0}; ///< Wait to fill a batch.
  metrics::registry* metrics = nullptr;          ///< Batch size and commit latency.
  std::size_t commit_yields = 0;                 ///< Yields to ready threads before a commit.
};

/// Behaviour of the writer actor: group commit. The first job of a batch
/// opens a transaction and schedules a flush behind the jobs already queued
/// (or after max_commit_delay); the batch is committed when full or at the
/// flush, and only then is every job answered (S8). A failed commit answers
/// every job of the batch with an error. At the flush, the writer first lets
/// other ready threads run (up to commit_yields times): jobs they queue
/// meanwhile go in front of the flush and join the batch.
///
/// A job's failure undoes only that job. While every job of the batch so far
/// is replayable, jobs run without a savepoint; one that fails after
/// changing rows is undone by rolling the batch back and running its jobs
/// again, each in a savepoint, and so does every later job of that batch. A
/// job that is not replayable runs in a savepoint, and so does every later
/// job of its batch.
writer_actor::behavior_type
spawn_writer_behavior(writer_actor::stateful_pointer<struct writer_state> self,
                      std::shared_ptr<persistence::writer> db, writer_config cfg);

/// State of the writer actor.
struct writer_state {
  std::shared_ptr<persistence::writer> db;  ///< The write connection.
  writer_config cfg;                        ///< Limits.
  bool open = false;                        ///< A batch transaction is open.
  bool guarded = false;                     ///< The open batch runs each job in a savepoint.
  std::size_t yields = 0;                   ///< Yields spent on the open batch's flush.
  std::uint64_t batch_id = 0;               ///< Id of the open batch.
  /// A job of the open batch: kept to be run again, answered at the commit.
  struct held {
    caf::typed_response_promise<write_ack> rp; ///< Where the answer goes.
    write_ack ack;                             ///< The job's result.
    write_job job;                             ///< The job.
  };
  std::vector<held> pending;                   ///< The open batch's jobs.
  metrics::histogram* batch_sizes = nullptr;   ///< Jobs per commit.
  metrics::histogram* commit_latency = nullptr; ///< Seconds per commit.
  metrics::counter* commit_failures = nullptr;  ///< Failed commits.
  metrics::counter* replays = nullptr;          ///< Batches rolled back and run again.
  static inline const char* name = "dirsync.writer"; ///< Actor name.

  /// Runs one job inside the open batch (opening one if needed).
  void run(writer_actor::stateful_pointer<writer_state> self, write_job& job,
           caf::typed_response_promise<write_ack> rp);
  /// Commits the open batch and answers its jobs.
  void flush();

private:
  /// Runs `job` in the open batch; the batch may be closed on return when it
  /// was lost (see `abandon`).
  write_ack execute(write_job& job);
  /// Rolls the batch back and runs its jobs again, each in a savepoint.
  /// False when the batch was lost meanwhile.
  bool replay();
  /// Runs `job` in a savepoint of its own; abandons the batch when SQLite
  /// ended its transaction meanwhile.
  write_ack run_guarded(write_job& job);
  /// Rolls back a batch that cannot be committed, answers its jobs with an
  /// error and closes it.
  void abandon();
};

} // namespace dirsync::actors
