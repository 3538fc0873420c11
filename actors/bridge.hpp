#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/protocol.hpp"

namespace dirsync::actors {

/// What the bridge knows of a call it is waiting on: when it gives up and
/// how it then answers.
struct bridge_wait {
  caf::actor_clock::time_point deadline; ///< Give up at this time.
  std::function<void()> expire;          ///< Answers the call with 503.
};

/// State of the bridge actor.
struct bridge_state {
  registry_actor registry;                        ///< Where calls go.
  timer_actor timers;                             ///< The test clock's tick.
  mailer_actor mailer;                            ///< The test clock's tick.
  std::chrono::milliseconds timeout{30000};       ///< http.request_timeout.
  std::atomic<std::size_t>* pending = nullptr;    ///< Calls not answered yet.
  std::uint64_t next_id = 0;                      ///< Id of the next call.
  std::unordered_map<std::uint64_t, bridge_wait> waiting; ///< Unanswered calls.
  bool sweeping = false;                          ///< A sweep is scheduled.
  static inline const char* name = "dirsync.bridge"; ///< Actor name.
};

/// Behaviour of the bridge: turns a call from a non-actor thread (the HTTP
/// edge) into a request, so every call ends in exactly one callback: the
/// reply, an error reply when the actor died or dropped the call, or 503
/// when it took longer than the timeout. The requests carry no CAF timeout:
/// each one would wake CAF's clock thread twice (to arm and to cancel it),
/// which cost about a tenth of the server's time per request on one core.
/// Instead the bridge keeps the deadlines itself and one sweep message,
/// scheduled only while calls are waiting, expires the late ones; a call
/// therefore gets its 503 between `timeout` and `timeout` + one sweep
/// period (timeout / 8, at most 1 s) after it was sent.
caf::behavior bridge_behavior(caf::stateful_actor<bridge_state>* self, registry_actor registry,
                              timer_actor timers, mailer_actor mailer, std::chrono::milliseconds timeout,
                              std::atomic<std::size_t>* pending);

} // namespace dirsync::actors
