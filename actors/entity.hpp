#pragma once

#include <optional>
#include <string>

#include "actors/context.hpp"
#include "persistence/records.hpp"
#include "scim/resource.hpp"

namespace dirsync::actors {

/// State of a user or group actor. It caches its resource after the first
/// message and serializes every change to it: a change waits (`await`) for
/// the writer's commit before the next message is looked at, so two
/// concurrent PATCHes of one group never lose a member.
struct entity_state {
  context_ptr ctx;                      ///< Shared handles and options.
  directory_actor directory;            ///< Parent, told when idle.
  std::string directory_id;             ///< Scope of every read and write (S9).
  std::string id;                       ///< Resource id.
  scim::resource_kind kind = scim::resource_kind::user; ///< Users or Groups.
  bool loaded = false;                  ///< Cache filled from storage.
  bool gone = false;                    ///< Deleted or never existed.
  std::optional<persistence::user_row> user;   ///< Cache (users).
  std::optional<persistence::group_row> group; ///< Cache (groups).
  std::uint64_t handled = 0;            ///< Calls handled, for passivation.
  caf::actor_clock::time_point last_call; ///< When the last call came in.
  bool idle_armed = false;              ///< An idle timer is pending.
  /// The cached resource parsed, for the cached `version`: a PATCH applies
  /// to it and the audit diff reads it without parsing the stored text.
  nlohmann::json doc;
  std::int64_t doc_version = -1;        ///< Version `doc` was parsed at.
  /// `doc` is validate_stored's output: what this actor's last write
  /// stored, or the stored row made canonical by canonical() (not as parsed
  /// from a row that older code may have written).
  bool doc_canonical = false;
  /// The cached user's admin-view attributes parsed, and the text they were
  /// parsed from: a push merges into them here, and the writer only checks
  /// that the stored text is still this one (D12).
  nlohmann::json attrs;
  std::optional<std::string> attrs_text;
  static inline const char* name = "dirsync.entity"; ///< Actor name.

  /// Applies a call to the loaded resource, answering through `rp`.
  void handle(entity_actor::stateful_pointer<entity_state> self, scim_call& call,
              caf::typed_response_promise<scim_reply> rp);

private:
  /// The parsed form of the cached resource (parsed once per version).
  const nlohmann::json& parsed();
  /// parsed(), made canonical (validate_stored) once per version unless
  /// this actor's last write stored it: a PATCH then validates only what it
  /// touches. Left as parsed when it does not validate.
  const nlohmann::json& canonical();
  /// The cached user's admin-view attributes, parsed once per text.
  const nlohmann::json& parsed_attributes();
  void handle_user(entity_actor::stateful_pointer<entity_state> self, scim_call& call,
                   caf::typed_response_promise<scim_reply> rp);
  void handle_group(entity_actor::stateful_pointer<entity_state> self, scim_call& call,
                    caf::typed_response_promise<scim_reply> rp);
  void write_user(entity_actor::stateful_pointer<entity_state> self, persistence::user_row row,
                  nlohmann::json stored, nlohmann::json pushed, bool enroll_on_push, scim::projection proj,
                  caf::typed_response_promise<scim_reply> rp);
};

/// Behaviour of a user or group actor.
entity_actor::behavior_type entity_behavior(entity_actor::stateful_pointer<entity_state> self,
                                            context_ptr ctx, directory_actor directory,
                                            std::string directory_id, std::string id,
                                            scim::resource_kind kind);

} // namespace dirsync::actors
