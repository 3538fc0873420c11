#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "actors/context.hpp"
#include "persistence/records.hpp"

namespace dirsync::actors {

/// State of the registry: every directory actor, found by id and by the hash
/// of its bearer token; the front door of SCIM and admin calls.
struct registry_state {
  /// One known directory.
  struct known {
    persistence::directory_row row; ///< Its configuration.
    directory_actor handle;         ///< Its actor.
  };
  context_ptr ctx;                                        ///< Shared handles.
  std::unordered_map<std::string, known> by_id;           ///< Directories by id.
  std::unordered_map<std::string, std::string> by_token;  ///< Token hash -> id.
  static inline const char* name = "dirsync.registry";    ///< Actor name.

  /// Adds or refreshes a directory (spawning its actor on first sight).
  void upsert(registry_actor::stateful_pointer<registry_state> self, persistence::directory_row row);
  /// Promise through which an admin call is answered.
  using admin_promise = caf::typed_response_promise<admin_reply>;
  /// Handles an authenticated admin call.
  void admin(registry_actor::stateful_pointer<registry_state> self, const persistence::admin_row& who,
             admin_call& call, admin_promise rp);

private:
  void create_directory(registry_actor::stateful_pointer<registry_state> self,
                        const persistence::admin_row& who, admin_call& call, admin_promise rp);
  void change_directory(registry_actor::stateful_pointer<registry_state> self,
                        const persistence::admin_row& who, admin_call& call, admin_promise rp);
  /// Answers one directory (`only`) or all, with managed counts (D11).
  void list_directories(registry_actor::stateful_pointer<registry_state> self, std::string only,
                        admin_promise rp);
  /// Removes a group from a directory's configuration (G6).
  void unmanage_group(registry_actor::stateful_pointer<registry_state> self, const persistence::admin_row& who,
                      const persistence::directory_row& row, const std::string& group_id, admin_promise rp);
  /// A directory's attribute mappings (D3, D12): GET, POST (one, several,
  /// select all), PATCH and DELETE /directories/{id}/mappings[/{source}].
  void mappings(registry_actor::stateful_pointer<registry_state> self, const persistence::admin_row& who,
                const std::string& directory_id, admin_call& call, admin_promise rp);
  /// Deletes a directory (D10).
  void delete_directory(registry_actor::stateful_pointer<registry_state> self,
                        const persistence::admin_row& who, persistence::directory_row row, admin_promise rp);
  /// Stores `row`, records the audit entry, then publishes it and answers.
  void commit(registry_actor::stateful_pointer<registry_state> self, const persistence::admin_row& who,
              persistence::directory_row row, bool insert, std::string action, admin_reply answer,
              admin_promise rp);
};

/// JSON view of a directory for the admin API (never the token or its hash).
nlohmann::json directory_json(const persistence::directory_row& row, const std::string& now);

/// Behaviour of the registry.
registry_actor::behavior_type registry_behavior(registry_actor::stateful_pointer<registry_state> self,
                                                context_ptr ctx,
                                                std::vector<persistence::directory_row> directories);

} // namespace dirsync::actors
