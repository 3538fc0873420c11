#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "scim/expected.hpp"
#include "scim/schema.hpp"

namespace dirsync::scim {

/// One member of a group (or, rendered on a user, one group of the user).
struct member_ref {
  std::string value;   ///< Id of the member (user or group id).
  std::string display; ///< Display name, may be empty.
  std::string type;    ///< "User" / "Group" for members, "direct" for groups; may be empty.

  /// Equality, for tests and de-duplication.
  friend bool operator==(const member_ref& a, const member_ref& b) {
    return a.value == b.value && a.display == b.display && a.type == b.type;
  }
  /// Inequality.
  friend bool operator!=(const member_ref& a, const member_ref& b) { return !(a == b); }
};

/// A POST/PUT body turned into stored form, plus the group members that are
/// stored as rows elsewhere.
struct normalized {
  /// Stored form: canonical names, extension under its URN key, "schemas",
  /// no id / meta / password / groups / members.
  nlohmann::json resource;
  /// Group members as sent (duplicates collapsed); nullopt when the body had
  /// no "members" (or null); always nullopt for users.
  std::optional<std::vector<member_ref>> members;
};

/// Parses a group "members" value (an array of {value, display, type}; a
/// single object is accepted too): each needs a non-empty string "value";
/// duplicates by value are collapsed. nullopt for null. Errors: invalid_value.
expected<std::optional<std::vector<member_ref>>> parse_members(const nlohmann::json& value);

/// Validates and canonicalises a POST/PUT body into stored form. Errors:
/// invalid_syntax (not an object, bad or missing "schemas"), invalid_value
/// (wrong types, missing userName / displayName, two primaries, bad members).
/// Takes the body by value: a caller done with it moves it in, and its
/// values move into the stored form instead of being copied.
expected<normalized> normalize_resource(resource_kind kind, nlohmann::json body);

/// Validates an already-stored-form resource after a PATCH: same type rules
/// as normalize_resource; "schemas" is rebuilt rather than required.
expected<nlohmann::json> validate_stored(resource_kind kind, nlohmann::json resource);

/// validate_stored for a resource that is validate_stored's output except
/// under the top-level keys in `touched` (what a PATCH changed; an
/// extension's key is its schema URN): only those are validated and brought
/// to their stored form, then the schemas and the required attribute are
/// settled. Same result and same first error as validate_stored.
expected<nlohmann::json> validate_touched(resource_kind kind, nlohmann::json resource,
                                          const std::set<std::string>& touched);

/// Most values one multi-valued attribute (emails, phoneNumbers, ...) may hold;
/// more is invalid_value. De-duplicating and PATCH-merging values compares
/// each with the others, so without a bound one 1 MiB body of tiny emails kept
/// an actor busy for minutes. Group members are rows, not values: unbounded.
inline constexpr std::size_t max_multi_values = 1000;

/// Converts a value for `attr` (whole attribute: an array when multi-valued)
/// into its stored JSON: checks types, turns "True"/"False" into booleans,
/// drops nulls and unknown sub-attributes. Returns null for "unassigned".
/// Errors: invalid_value naming `name` (also past max_multi_values).
/// Takes the value by value: a caller done with it moves it in.
expected<nlohmann::json> coerce_value(const attribute& attr, nlohmann::json value, std::string_view name);

/// Like coerce_value, but for one element of a multi-valued attribute.
expected<nlohmann::json> coerce_element(const attribute& attr, nlohmann::json value, std::string_view name);

/// The extension schema whose URN equals `key` (case-insensitively) for this
/// kind, or null.
const schema* extension_schema(resource_kind kind, std::string_view key);

/// The core schema of a kind.
const schema& core_schema(resource_kind kind);

/// Resource metadata the storage layer keeps next to the stored form.
struct resource_meta {
  std::string id;            ///< Server-assigned id.
  std::string created;       ///< RFC 3339 creation time.
  std::string last_modified; ///< RFC 3339 last modification time.
  std::int64_t version = 1;  ///< Version counter, rendered as the ETag.
  std::string base_url;      ///< e.g. "https://host/scim/v2" (no trailing slash).
};

/// Full SCIM representation: stored + id + meta (resourceType, created,
/// lastModified, location, version) + "members" (group) or "groups" (user)
/// when `members_or_groups` is given and non-empty (RFC 7643 §2.5: an empty
/// multi-valued attribute is unassigned and omitted).
nlohmann::json render(resource_kind kind, nlohmann::json stored, const resource_meta& meta,
                      const std::vector<member_ref>* members_or_groups);

/// The default representation as JSON text, without parsing the stored
/// text: id, meta and the related references are spliced into it. Equal
/// (as JSON; keys may come in another order) to
/// apply_projection(render(...)) under the default projection whenever
/// `stored_text` is what normalize_resource or validate_stored produced and
/// dump() wrote: such text holds no password, id, meta, groups or members
/// and no empty object or array, so there is nothing to remove. Text that
/// might hold any of those (any "password", "id", "meta", "groups" or
/// "members" key, any `{}` or `[]`, no "schemas") takes the parsing path.
std::string render_text(resource_kind kind, std::string_view stored_text, const resource_meta& meta,
                        const std::vector<member_ref>* members_or_groups);

/// The weak ETag of a version: W/"<version>".
std::string make_etag(std::int64_t version);

/// The parsed `attributes` / `excludedAttributes` query parameters.
struct projection {
  std::vector<resolved_attr> attributes; ///< Only these (plus returned=always), if non-empty.
  std::vector<resolved_attr> excluded;   ///< Never these (except returned=always).
};

/// Parses the `attributes` / `excludedAttributes` query values (comma
/// separated, URN-qualified names and sub-attributes allowed). Unknown
/// attribute names are ignored (RFC 7644 is silent; IdPs ask for custom
/// attributes we do not keep). Errors: invalid_value for a name with
/// characters no attribute path can contain (e.g. brackets, spaces).
expected<projection> parse_projection(resource_kind kind, std::string_view attributes,
                                      std::string_view excluded);

/// Applies RFC 7644 §3.9 to a rendered resource: "schemas" and returned=always
/// attributes ("id") are kept; returned=never ones ("password") never appear;
/// with `attributes`, only those; `excluded` ones are removed.
nlohmann::json apply_projection(resource_kind kind, nlohmann::json full, const projection& p);

/// True when `p` neither selects nor excludes anything.
bool is_default(const projection& p);

/// Whether rendering under `p` needs the group's members (group) or the
/// user's groups (user), so storage can skip loading them.
bool wants_members(resource_kind kind, const projection& p);

/// The ListResponse message (RFC 7644 §3.4.2): schemas, totalResults,
/// itemsPerPage (= resources.size()), startIndex, Resources.
nlohmann::json list_response(std::vector<nlohmann::json> resources, std::int64_t total_results,
                             std::int64_t start_index);

/// The same ListResponse as JSON text, from resources already as JSON text.
std::string list_response_text(const std::vector<std::string>& resources, std::int64_t total_results,
                               std::int64_t start_index);

/// The text of JSON whose strings are all valid UTF-8 (a resource
/// normalize_resource or validate_stored produced, or values taken from one:
/// admin-view attributes, audit details): the same bytes as `dump()`,
/// written by the escaper of the text replies, eight bytes at a time instead
/// of nlohmann's byte-by-byte UTF-8 check (about 5 % of a create).
std::string dump_canonical(const nlohmann::json& resource);

/// How replies are serialized: invalid UTF-8 is replaced, not thrown.
std::string dump_json(const nlohmann::json& j);

} // namespace dirsync::scim
