#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "scim/expected.hpp"
#include "scim/schema.hpp"

namespace dirsync::scim {

/// Comparison operators of RFC 7644 §3.4.2.2.
enum class compare_op { eq, ne, co, sw, ew, gt, ge, lt, le, pr };

struct filter_node;
/// Owning pointer to a filter node.
using filter_ptr = std::shared_ptr<const filter_node>;

/// `attrPath op value` or `attrPath pr`. The path is as written
/// (URN prefix allowed, sub-attribute allowed).
struct filter_compare {
  std::string path;        ///< Attribute path as written, e.g. "emails.value".
  compare_op op;           ///< Operator.
  nlohmann::json value;    ///< Literal: string, number, boolean or null (unused for pr).
};

/// `a and b`, `a or b`.
struct filter_logical {
  bool is_and;  ///< True for and, false for or.
  filter_ptr lhs; ///< Left operand.
  filter_ptr rhs; ///< Right operand.
};

/// `not (f)`.
struct filter_not {
  filter_ptr operand; ///< The negated filter.
};

/// `attr[valFilter]`, a filter applied to the elements of a (multi-valued)
/// complex attribute; the inner filter's paths are relative to the element.
struct filter_value_path {
  std::string path;  ///< The complex attribute, e.g. "emails".
  filter_ptr inner;  ///< Filter over the sub-attributes.
};

/// One node of a parsed filter.
struct filter_node {
  std::variant<filter_compare, filter_logical, filter_not, filter_value_path> v; ///< The node.
};

/// Parses a filter (RFC 7644 §3.4.2.2): all operators, and/or/not with the
/// usual precedence (not > and > or), parentheses, value paths, the
/// `emails[type eq "work"].value eq "x"` form, JSON string escapes.
/// Errors: invalid_filter with a detail naming the position.
expected<filter_ptr> parse_filter(std::string_view text);

/// Checks a parsed filter against the schema of `kind`: every path must name a
/// known attribute, and literals must suit the attribute's type. Errors:
/// invalid_filter.
expected<unit> validate_filter(const filter_node& f, resource_kind kind);

/// Evaluates a filter against a resource in its stored JSON form (canonical
/// attribute names; extension attributes under their URN key; "id",
/// "externalId" and "meta" present). caseExact and types follow the schema.
bool matches(const filter_node& f, resource_kind kind, const nlohmann::json& resource);

/// Evaluates a filter whose paths are relative to one element of the complex
/// attribute `parent` (used for value paths and PATCH value filters).
bool matches_element(const filter_node& f, const attribute& parent, const nlohmann::json& element);

/// A PATCH / value path: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`,
/// each with an optional URN prefix.
struct attr_path {
  resolved_attr target;              ///< The attribute (and sub-attribute if named).
  filter_ptr value_filter;           ///< The element filter, if any.
  /// The sub-attribute after a value filter (`emails[...].value`), if any.
  const attribute* filter_sub = nullptr;
};

/// Parses a PATCH path (RFC 7644 §3.5.2). Errors: invalid_path.
expected<attr_path> parse_attr_path(std::string_view text, resource_kind kind);

/// A bound SQL parameter.
using sql_value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

/// A WHERE-clause fragment with positional `?` parameters, in order.
struct sql_fragment {
  std::string where;              ///< SQL boolean expression.
  std::vector<sql_value> params;  ///< Values for the `?` placeholders.
};

/// How a resource table is laid out, for the SQL translation. Attribute paths
/// are canonical lower-case dotted paths ("username", "meta.created",
/// "name.givenname", "<urn lower-case>:employeenumber").
struct sql_layout {
  std::string table;        ///< Table name or alias, e.g. "u".
  std::string json_column;  ///< Column holding the stored resource JSON.
  /// Attributes stored in their own (indexed) column: lower-case path -> column
  /// expression. Strings compare with COLLATE NOCASE unless caseExact.
  std::vector<std::pair<std::string, std::string>> columns;
  /// Multi-valued attributes stored as rows in a side table, e.g. group
  /// members: lower-case attribute path ("members") -> (side table, column
  /// joined to this table's id, column holding "value").
  struct side_table {
    std::string attribute;     ///< e.g. "members" or "groups".
    std::string table;         ///< e.g. "group_members".
    std::string owner_column;  ///< e.g. "group_id", compared to <table>.id.
    std::string value_column;  ///< e.g. "user_id".
  };
  std::vector<side_table> side_tables; ///< Row-stored attributes.
  std::string id_column = "id";        ///< This table's id column.
};

/// Translates a validated filter into SQL over `layout`. The result selects
/// exactly the rows `matches` accepts. Errors: invalid_filter.
expected<sql_fragment> to_sql(const filter_node& f, resource_kind kind, const sql_layout& layout);

/// SQL expression to ORDER BY for `sortBy` (RFC 7644 §3.4.2.3); multi-valued
/// attributes sort by their primary (else first) value. Errors: invalid_path
/// for an unknown attribute.
expected<std::string> sort_expression(std::string_view sort_by, resource_kind kind, const sql_layout& layout);

/// Longest filter text parse_filter accepts (bytes); longer is invalid_filter.
inline constexpr std::size_t max_filter_length = 64 * 1024;
/// Deepest nesting of parentheses / `not` / value paths parse_filter accepts.
inline constexpr int max_filter_depth = 64;
/// Most comparisons one filter may contain (bounds evaluation and SQL size).
inline constexpr std::size_t max_filter_terms = 1000;

/// Checks a filter whose paths are relative to the elements of the complex
/// attribute `parent` (PATCH value filters, the inside of `attr[...]`).
/// Errors: invalid_filter.
expected<unit> validate_element_filter(const filter_node& f, const attribute& parent);

/// Parses an RFC 3339 date-time ("2026-11-29T14:58:00.123Z", "...+02:00",
/// any number of fraction digits) to microseconds since the Unix epoch;
/// nullopt when malformed or outside years 0000-9999 (UTC).
std::optional<std::int64_t> parse_date_time(std::string_view text);

/// Formats microseconds since the epoch in the stored UTC form
/// "YYYY-MM-DDTHH:MM:SS.mmmZ" (sub-millisecond digits are truncated).
std::string format_date_time(std::int64_t micros);

/// A filter literal read as a boolean: true/false, or (lenient, as Entra
/// sends them) the strings "true"/"false" in any case; nullopt otherwise.
std::optional<bool> boolean_literal(const nlohmann::json& v);

} // namespace dirsync::scim
