#pragma once

#include <string>
#include <unordered_map>

#include "actors/context.hpp"
#include "persistence/records.hpp"

namespace dirsync::actors {

/// State of a directory actor: the directory's row and the live user and
/// group actors it routes to.
struct directory_state {
  /// A live entity actor and how many calls were sent to it.
  struct entry {
    entity_actor handle; ///< The actor.
    std::uint64_t sent;  ///< Calls routed to it so far.
  };
  context_ptr ctx;                              ///< Shared handles and options.
  persistence::directory_row row;               ///< Current configuration.
  std::unordered_map<std::string, entry> users;  ///< Live user actors by id.
  std::unordered_map<std::string, entry> groups; ///< Live group actors by id.
  static inline const char* name = "dirsync.directory"; ///< Actor name.

  /// The reason a push must be refused now (D6 expired, D9 paused), if any.
  std::optional<scim::error> vet() const;
  /// The entity actor for an id, spawned on first use.
  entry& entity(directory_actor::stateful_pointer<directory_state> self, scim::resource_kind kind,
                const std::string& id);
  /// Creates a user or group (POST).
  caf::result<scim_reply> create(directory_actor::stateful_pointer<directory_state> self,
                                 scim_call& call);
};

/// Behaviour of a directory actor.
directory_actor::behavior_type directory_behavior(directory_actor::stateful_pointer<directory_state> self,
                                                  context_ptr ctx, persistence::directory_row row);

} // namespace dirsync::actors
