#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scim/expected.hpp"
#include "scim/filter.hpp"
#include "scim/schema.hpp"

namespace dirsync::scim {

/// The three PATCH operations of RFC 7644 §3.5.2.
enum class patch_kind { add, remove, replace };

/// One entry of a PatchOp "Operations" array.
struct patch_operation {
  patch_kind op = patch_kind::add; ///< The operation (parsed case-insensitively).
  std::string path;                ///< Attribute path as sent; empty when absent.
  nlohmann::json value;            ///< The value; null when absent.
};

/// Parses a PatchOp body: "schemas" must contain the PatchOp URN
/// (invalid_syntax), "Operations" must be a non-empty array; op names are
/// case-insensitive ("Replace", "Add", "Remove" from Entra). Errors:
/// invalid_syntax (shape, unknown op, add/replace without value), no_target
/// (remove without path).
expected<std::vector<patch_operation>> parse_patch(const nlohmann::json& body);

/// Changes to a group's member rows, applied by storage with INSERT OR
/// IGNORE / DELETE so that adding a present or removing an absent member is a
/// no-op.
struct member_delta {
  std::vector<std::string> add;    ///< Member ids to insert (sorted, unique).
  std::vector<std::string> remove; ///< Member ids to delete (sorted, unique, disjoint from add).
  bool replace_all = false;        ///< Delete every current member first (then insert `add`).
  /// True when nothing is to be done.
  bool empty() const { return add.empty() && remove.empty() && !replace_all; }
  /// Equality, for tests.
  friend bool operator==(const member_delta& a, const member_delta& b) {
    return a.add == b.add && a.remove == b.remove && a.replace_all == b.replace_all;
  }
};

/// The outcome of applying a PATCH request.
struct patch_result {
  nlohmann::json resource; ///< The new stored form (validated).
  member_delta members;    ///< Group member changes (always empty for users).
  /// False when the stored form is unchanged and the delta is empty: the
  /// caller may skip the write and keep the version.
  bool changed = false;
};

/// Applies the operations in order to the stored form (RFC 7644 §3.5.2 plus
/// the Okta and Entra dialects), then validates the result with
/// validate_stored. Group members never appear in `stored`; they come back as
/// a delta, in O(members changed). Errors: invalid_path (bad or unknown path),
/// mutability (readOnly attribute in a path), invalid_filter (member filter
/// on anything but value), no_target (replace filter that matches nothing and
/// cannot create an element), invalid_value (wrong types, two primaries, a
/// missing required attribute afterwards).
/// `stored_canonical` says `stored` is validate_stored's own output (what a
/// write of this code stored): `changed` then compares with it as it is,
/// instead of validating it again first (which cost about 7 % of a PATCH),
/// and the result is validated only under the top-level attributes the
/// operations touched (validate_touched).
expected<patch_result> apply_patch(resource_kind kind, const nlohmann::json& stored,
                                   const std::vector<patch_operation>& ops, bool stored_canonical = false);

namespace detail {

/// Where a PATCH operation lands, once its path is parsed.
struct patch_target {
  const attribute* attr = nullptr;  ///< Top-level attribute.
  const schema* ext = nullptr;      ///< Extension schema holding it, or null for core/common.
  const attribute* sub = nullptr;   ///< Sub-attribute (`attr.sub` or `attr[f].sub`), if any.
  filter_ptr value_filter;          ///< Element filter, if any.
};

/// Applies one add / replace / remove of a non-member attribute to `res`
/// (stored form, before validation). Implemented in patch_paths.cpp.
expected<unit> apply_to_attribute(patch_kind op, nlohmann::json& res, const patch_target& t,
                                  const nlohmann::json& value);

} // namespace detail

} // namespace dirsync::scim
