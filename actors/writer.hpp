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
};

/// Behaviour of the writer actor: group commit. The first job of a batch
/// opens a transaction and schedules a flush behind the jobs already queued
/// (or after max_commit_delay); every job runs in a savepoint; the batch is
/// committed when full or at the flush, and only then is every job answered
/// (S8). A failed commit answers every job of the batch with an error.
writer_actor::behavior_type
spawn_writer_behavior(writer_actor::stateful_pointer<struct writer_state> self,
                      std::shared_ptr<persistence::writer> db, writer_config cfg);

/// State of the writer actor.
struct writer_state {
  std::shared_ptr<persistence::writer> db;  ///< The write connection.
  writer_config cfg;                        ///< Limits.
  bool open = false;                        ///< A batch transaction is open.
  std::uint64_t batch_id = 0;               ///< Id of the open batch.
  /// Answers held until the batch commits.
  std::vector<std::pair<caf::typed_response_promise<write_ack>, write_ack>> pending;
  metrics::histogram* batch_sizes = nullptr;   ///< Jobs per commit.
  metrics::histogram* commit_latency = nullptr; ///< Seconds per commit.
  metrics::counter* commit_failures = nullptr;  ///< Failed commits.
  static inline const char* name = "dirsync.writer"; ///< Actor name.

  /// Runs one job inside the open batch (opening one if needed).
  void run(writer_actor::stateful_pointer<writer_state> self, write_job& job,
           caf::typed_response_promise<write_ack> rp);
  /// Commits the open batch and answers its jobs.
  void flush();
};

} // namespace dirsync::actors
