#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dirsync::scim {

/// URNs of the schemas and messages the service speaks.
inline constexpr std::string_view user_urn = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Enterprise User extension (RFC 7643 §4.3).
inline constexpr std::string_view enterprise_urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Core Group schema.
inline constexpr std::string_view group_urn = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// PATCH request message.
inline constexpr std::string_view patch_op_urn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// List response message.
inline constexpr std::string_view list_response_urn = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Search request message (POST /.search).
inline constexpr std::string_view search_request_urn = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// RFC 7643 §2.3 attribute data types.
enum class attr_type { string, boolean, decimal, integer, date_time, reference, complex, binary };
/// RFC 7643 §7 mutability.
enum class mutability { read_only, read_write, immutable, write_only };
/// RFC 7643 §7 returned.
enum class returned { always, never, by_default, request };
/// RFC 7643 §7 uniqueness.
enum class uniqueness { none, server, global };

/// One attribute definition of a schema (RFC 7643 §7).
struct attribute {
  std::string name;                          ///< Canonical spelling, e.g. "userName".
  attr_type type = attr_type::string;        ///< Data type.
  bool multi_valued = false;                 ///< True for arrays.
  bool required = false;                     ///< Required on create/replace.
  bool case_exact = false;                   ///< Comparison is case-sensitive.
  mutability mut = mutability::read_write;   ///< Who may change it.
  returned ret = returned::by_default;       ///< When it is returned.
  uniqueness uniq = uniqueness::none;        ///< Uniqueness scope.
  std::vector<std::string> canonical_values; ///< Suggested values, if any.
  std::vector<std::string> reference_types;  ///< For references.
  std::string description;                   ///< Human description.
  std::vector<attribute> sub_attributes;     ///< For complex attributes.
};

/// A schema: an id (URN) and its attributes.
struct schema {
  std::string id;                    ///< URN.
  std::string name;                  ///< Short name, e.g. "User".
  std::string description;           ///< Human description.
  std::vector<attribute> attributes; ///< Top-level attributes.
};

/// The two resource types the service stores.
enum class resource_kind { user, group };

/// The core User schema (RFC 7643 §4.1), without the common attributes.
const schema& user_schema();
/// The Enterprise User extension (RFC 7643 §4.3).
const schema& enterprise_user_schema();
/// The core Group schema (RFC 7643 §4.2), without the common attributes.
const schema& group_schema();
/// The common attributes every resource has: id, externalId, meta (§3.1).
const std::vector<attribute>& common_attributes();

/// The result of resolving an attribute path such as "name.givenName",
/// "emails.value" or "urn:...:enterprise:2.0:User:manager.value".
struct resolved_attr {
  const schema* owner = nullptr;      ///< Schema defining it; null for common attributes.
  const attribute* attr = nullptr;    ///< The top-level attribute.
  const attribute* sub = nullptr;     ///< The sub-attribute, if the path names one.
  /// Canonical dotted path without URN ("name.givenName"); for extension
  /// attributes, "<urn>:<attr>[.<sub>]".
  std::string canonical;
  /// The JSON pointer-like key list into a stored resource, e.g.
  /// {"name","givenName"} or {"urn:...:enterprise:2.0:User","manager","value"}.
  std::vector<std::string> json_keys;
  /// The definition that the path ends at (sub if present, else attr).
  const attribute& leaf() const { return sub ? *sub : *attr; }
};

/// Resolves an attribute path case-insensitively for a resource kind; accepts
/// an optional schema-URN prefix ("urn:...:User:userName"). Returns nullopt for
/// an unknown attribute.
std::optional<resolved_attr> resolve(resource_kind kind, std::string_view path);

/// Finds a sub-attribute of a complex attribute by case-insensitive name.
const attribute* find_sub_attribute(const attribute& parent, std::string_view name);

/// The schemas a resource kind uses (core first, then extensions).
const std::vector<const schema*>& schemas_for(resource_kind kind);

/// Renders a schema as the RFC 7643 §7 Schema resource, with meta.location
/// under `base_url` (e.g. "https://host/scim/v2").
nlohmann::json schema_to_json(const schema& s, std::string_view base_url);

/// Case-insensitive ASCII equality, the rule for attribute names.
bool iequals(std::string_view a, std::string_view b) noexcept;

} // namespace dirsync::scim
