#pragma once

#include <list>
#include <string>
#include <unordered_map>

#include "actors/context.hpp"
#include "actors/lifecycle.hpp"
#include "persistence/records.hpp"

namespace dirsync::actors {

/// What provisioning a user by POST did (filled inside the write job).
struct create_outcome {
  persistence::user_row row;         ///< The stored user (its id may be an existing one).
  std::optional<scim::error> conflict; ///< Set when refused by U3 (recorded, not an error of the job).
  /// The groups of an adopted, restored or taken-over user, read in the
  /// same transaction (a new user has none); the 201 is rendered from them.
  std::vector<persistence::member_row> groups;
};

/// The ownership rules of a SCIM create (U1–U3, U9), run atomically inside
/// the writer's transaction: create; adopt an unmanaged user; restore one of
/// this directory's users from the Trash; take over a paused directory's
/// user; or refuse another active directory's user (recorded as an Admin
/// Action against the pushing directory). `pushed` is what the push writes
/// into the admin view (scim::mapping::pushed_values); `enrollment_emails`
/// is the directory's option D4.
scim::expected<scim::unit> provision_user(persistence::writer& db, const std::string& directory_id,
                                          bool enrollment_emails, persistence::user_row row,
                                          const nlohmann::json& pushed, const lifecycle::environment& env,
                                          create_outcome& out);

/// State of a directory actor: the directory's row and the live user and
/// group actors it routes to.
struct directory_state {
  /// Live entity actors, most recently called first.
  using recency = std::list<std::pair<scim::resource_kind, std::string>>;
  /// A live entity actor and how many calls were sent to it.
  struct entry {
    entity_actor handle;     ///< The actor.
    std::uint64_t sent;      ///< Calls routed to it so far.
    recency::iterator place; ///< Its place in `recent`, or in `stopping` if evicting.
    bool evicting = false;   ///< Asked to stop (evict_atom), not called since.
  };
  context_ptr ctx;                              ///< Shared handles and options.
  persistence::directory_row row;               ///< Current configuration.
  /// row.mappings, shared with the calls routed to user actors.
  std::shared_ptr<const std::vector<scim::mapping::rule>> mapping;
  std::unordered_map<std::string, entry> users;  ///< Live user actors by id.
  std::unordered_map<std::string, entry> groups; ///< Live group actors by id.
  recency recent;                               ///< Live actors by last call.
  recency stopping;                             ///< Asked to stop, not called since.
  std::string last_push_stored;                 ///< last_push_at as last written.
  static inline const char* name = "dirsync.directory"; ///< Actor name.

  /// The reason a push must be refused now (D6 expired, D9 paused), if any.
  std::optional<scim::error> vet() const;
  /// The entity actor for an id, spawned on first use; past
  /// actors.max_live in this directory, spawning asks the least recently
  /// called one to stop.
  entry& entity(directory_actor::stateful_pointer<directory_state> self, scim::resource_kind kind,
                const std::string& id);
  /// Forgets a live actor (it stopped or failed).
  void forget(std::unordered_map<std::string, entry>& map,
              std::unordered_map<std::string, entry>::iterator i);
  /// Notes a push; persists its time at most once a minute (D11).
  void note_push(directory_actor::stateful_pointer<directory_state> self);
  /// Creates a user or group (POST).
  caf::result<scim_reply> create(directory_actor::stateful_pointer<directory_state> self,
                                 scim_call& call);
};

/// Behaviour of a directory actor.
directory_actor::behavior_type directory_behavior(directory_actor::stateful_pointer<directory_state> self,
                                                  context_ptr ctx, persistence::directory_row row);

} // namespace dirsync::actors
