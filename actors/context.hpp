#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>

#include "actors/protocol.hpp"
#include "actors/services.hpp"
#include "config/metrics.hpp"

namespace dirsync::actors {

/// Tunables of the actor layer, taken from the `actors`, `storage` and `scim`
/// config sections by main.
struct actor_options {
  std::chrono::milliseconds passivate_after{10000}; ///< Idle time before an entity actor stops.
  std::int64_t max_live = 20000;                    ///< Live entity actors per directory (0: no bound).
  std::size_t max_batch = 256;                      ///< Writes per group commit.
  std::chrono::milliseconds max_commit_delay{0};    ///< Wait to fill a batch.
  std::size_t commit_yields = 2;                    ///< Yields to ready threads before a commit.
  std::int64_t max_page_size = 1000;                ///< Cap of `count` (S3).
  std::chrono::milliseconds token_lifetime{std::chrono::hours{24 * 90}}; ///< D6.
  std::string base_url = "http://127.0.0.1:8080/scim/v2"; ///< SCIM base URL.
  std::string public_url = "http://127.0.0.1:8080";        ///< Root URL (enrollment links, E2).
  std::chrono::milliseconds timer_granularity{1000};       ///< Poll period of the timers (O3).
  std::size_t timer_batch = 200;                            ///< Deadlines handled per transaction.
};

/// What every actor of the service shares: handles, injected services,
/// options. Immutable after start, except the counters.
struct context {
  actor_options options;                 ///< Tunables.
  writer_actor writer;                   ///< The single writer.
  std::vector<reader_actor> readers;     ///< Reader pool.
  const clock* time = nullptr;           ///< The one clock (O4).
  id_source* ids = nullptr;              ///< Ids and secrets.
  metrics::registry* metrics = nullptr;  ///< Metrics registry.
  std::atomic<std::uint64_t> next_reader{0}; ///< Round-robin cursor.
  std::atomic<std::int64_t> live_users{0};   ///< Live user actors.
  std::atomic<std::int64_t> live_groups{0};  ///< Live group actors.
  caf::actor mailer;                         ///< Told to deliver when mail was queued (E7).

  /// The next reader, round-robin.
  const reader_actor& reader() {
    return readers[next_reader.fetch_add(1, std::memory_order_relaxed) % readers.size()];
  }
  /// Current time as RFC 3339 text.
  std::string now_text() const { return format_time(time->now()); }
};

/// Shared pointer to the context.
using context_ptr = std::shared_ptr<context>;

} // namespace dirsync::actors
