#pragma once

#include <memory>

#include "actors/protocol.hpp"
#include "persistence/store.hpp"

namespace dirsync::actors {

/// State of a reader actor: one read-only connection.
struct reader_state {
  std::shared_ptr<persistence::reader> db; ///< The connection.
  static inline const char* name = "dirsync.reader"; ///< Actor name.
};

/// Jobs one read snapshot may serve in a row (see reader_behavior): a write
/// by another process on the same database file is seen after at most this
/// many jobs of a busy reader.
constexpr int shared_snapshot_jobs = 32;

/// Behaviour of a reader: runs read jobs one at a time on its connection.
reader_actor::behavior_type
reader_behavior(reader_actor::stateful_pointer<reader_state> self,
                std::shared_ptr<persistence::reader> db);

} // namespace dirsync::actors
