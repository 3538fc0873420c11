#pragma once

#include "actors/context.hpp"

namespace dirsync::actors {

/// State of the timer actor (O3): every deadline is a stored, indexed column
/// (the Trash, token expiry, enrollment steps); the actor polls them every
/// `timer_granularity` and on demand (the test clock), and runs what is due
/// in writer jobs, so each step happens exactly once, also across restarts.
struct timer_state {
  context_ptr ctx;          ///< Shared handles.
  registry_actor registry;  ///< Told about users changed underneath its actors.
  static inline const char* name = "dirsync.timers"; ///< Actor name.
};

/// Behaviour of the timer actor.
timer_actor::behavior_type timer_behavior(timer_actor::stateful_pointer<timer_state> self, context_ptr ctx,
                                          registry_actor registry);

} // namespace dirsync::actors
