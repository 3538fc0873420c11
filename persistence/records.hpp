#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scim/mapping.hpp"

namespace dirsync::persistence {

/// One external directory (a "sync"): SPEC D1–D11.
struct directory_row {
  std::string id;                              ///< Server-generated id.
  std::string type;                            ///< okta, entra or generic.
  std::string name;                            ///< Display name (not unique).
  std::string state = "draft";                 ///< draft or active.
  bool paused = false;                         ///< D9.
  std::string token_hash;                      ///< Hex SHA-256 of the bearer token; empty before D5.
  std::optional<std::string> token_expires_at; ///< RFC 3339 UTC.
  std::string created;                         ///< RFC 3339 UTC.
  std::optional<std::string> last_push_at;     ///< Last SCIM write.
  std::vector<scim::mapping::rule> mappings;   ///< Optional attribute mappings (D3), in the order added.
  bool enrollment_emails = false;              ///< D4: send enrollment emails to its users.
};

/// A stored user: indexed columns plus the SCIM resource as pushed (U4).
struct user_row {
  std::string id;            ///< Server-generated id.
  std::string directory_id;  ///< Owning directory; empty = unmanaged.
  std::string user_name;     ///< As sent; unique case-insensitively (U1).
  std::optional<std::string> external_id; ///< IdP's id.
  std::optional<std::string> display_name; ///< displayName, for sorting.
  bool active = true;        ///< SCIM active flag.
  std::string created;       ///< meta.created.
  std::string last_modified; ///< meta.lastModified.
  std::int64_t version = 1;  ///< meta.version / ETag.
  std::string resource;      ///< Stored-form JSON text (no id/meta/password).
  std::optional<std::string> trashed_at; ///< Set while in the Trash (U9).
  std::string trash_reason;  ///< deleted, deactivated or group_removed; empty if not trashed.
  std::string attributes = "{}"; ///< Admin-view attributes as JSON text (scim::mapping::apply layout).
};

/// A stored group; members live in their own rows.
struct group_row {
  std::string id;            ///< Server-generated id.
  std::string directory_id;  ///< Owning directory; empty = unmanaged.
  std::string display_name;  ///< Unique per directory, case-insensitively (G1).
  std::optional<std::string> external_id; ///< IdP's id.
  std::string created;       ///< meta.created.
  std::string last_modified; ///< meta.lastModified.
  std::int64_t version = 1;  ///< meta.version / ETag.
  std::string resource;      ///< Stored-form JSON text (no members).
};

/// One side of a membership as shown in SCIM (`members` / `groups`).
struct member_row {
  std::string id;      ///< The other object's id.
  std::string display; ///< Its userName or displayName.
  /// Equality, for tests.
  friend bool operator==(const member_row& a, const member_row& b) {
    return a.id == b.id && a.display == b.display;
  }
};

/// An admin API key holder (A1, A2).
struct admin_row {
  std::string id;        ///< Server-generated id.
  std::string name;      ///< Human name.
  std::string role;      ///< owner, administrator, user_manager, read_only.
  std::string key_hash;  ///< Hex SHA-256 of the API key.
  std::string created;   ///< RFC 3339 UTC.
  std::string email;     ///< Where token warnings go (D8); may be empty.
};

/// A custom user attribute created by an admin (D3).
struct custom_attribute_row {
  std::string name;    ///< As first typed; unique case-insensitively.
  std::string created; ///< RFC 3339 UTC.
};

/// A page of query results.
template <class Row>
struct page_result {
  std::vector<Row> rows;       ///< The page.
  std::int64_t total = 0;      ///< Rows matching the filter in all.
};

} // namespace dirsync::persistence
