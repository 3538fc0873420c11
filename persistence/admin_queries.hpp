#pragma once

// Records and queries of the admin API (SPEC A1, A2, U1-U10, G2-G5, L1):
// admins without their key hashes, users and groups with their admin-set
// status and owning directory, the audit trail.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/records.hpp"

namespace dirsync::persistence {

/// An admin as listed by the Owner: never the key or its hash (A2).
struct admin_entry {
  std::string id;                         ///< Server-generated id.
  std::string name;                       ///< Human name.
  std::string role;                       ///< owner, administrator, user_manager, read_only.
  std::string created;                    ///< RFC 3339 UTC.
  std::optional<std::string> revoked_at;  ///< Set once revoked.
  std::string email;                      ///< Where token warnings go (D8).
};

/// A user with what the admin view adds to the stored row (U4, U7).
struct admin_user {
  std::int64_t seq = 0;          ///< rowid: the pagination cursor.
  user_row user;                 ///< Stored row (directory_id empty = unmanaged).
  std::string status = "active"; ///< active, bypass or disabled (U7).
  std::string directory_name;    ///< Owning directory's name, if managed.
  std::string directory_type;    ///< Owning directory's type, if managed.
  bool group_disabled = false;   ///< A group of the user is disabled (G5).
  bool group_bypass = false;     ///< A group of the user is bypass (G5).
  std::vector<scim::mapping::rule> directory_mappings; ///< The owner's optional mappings (U6).
};

/// A group with its admin-set fields, owner and member count (G2, G3, G5).
struct admin_group {
  std::int64_t seq = 0;          ///< rowid: the pagination cursor.
  group_row group;               ///< Stored row (directory_id empty = unmanaged).
  std::string status = "active"; ///< active, bypass or disabled (G5).
  std::string description;       ///< Admin-editable description (G3).
  std::string directory_name;    ///< Owning directory's name, if managed.
  std::string directory_type;    ///< Owning directory's type, if managed.
  std::int64_t members = 0;      ///< Members not deleted into the Trash.
};

/// One Admin Action (L1).
struct action_row {
  std::int64_t seq = 0;    ///< Append order; the pagination cursor.
  std::string at;          ///< RFC 3339 UTC.
  std::string actor_kind;  ///< admin, directory or cli.
  std::string actor_id;    ///< Admin or directory id.
  std::string action;      ///< e.g. user.create.
  std::string object_kind; ///< user, group, directory, admin.
  std::string object_id;   ///< The object's id.
  std::string details;     ///< JSON text (never secrets).
  std::string result;      ///< ok or an error word.
};

/// Filters of the audit-trail query; empty strings mean "any" (L1).
struct action_query {
  std::string since;        ///< at >= since.
  std::string until;        ///< at < until.
  std::string directory;    ///< Actor directory, or object id.
  std::string action;       ///< Exact action.
  std::string object;       ///< Exact object id.
  std::int64_t before = 0;  ///< seq < before (0 = from the newest).
  std::int64_t limit = 100; ///< Rows to return.
};

/// A page request over users (U1, U9).
struct user_query {
  std::string q;            ///< Case-insensitive substring of userName.
  bool trash = false;       ///< Trash only (true) or everything else (false).
  std::int64_t after = 0;   ///< rowid > after.
  std::int64_t limit = 100; ///< Rows to return.
};

} // namespace dirsync::persistence
