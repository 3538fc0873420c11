// Fuzz target: PATCH (SPEC S4). The input is a PatchOp request body; it is
// parsed and applied to a fixed Okta-shaped user and a fixed group.
// Properties: nothing crashes or throws; an accepted PATCH yields a stored
// form that validate_stored accepts unchanged and that serialises; "not
// changed" means the same stored form and no member delta; a member delta
// is sorted, unique, add and remove disjoint; on a stored form known
// canonical, validating only the touched attributes gives the same result
// or the same error as validating all.

#include <algorithm>

#include "fuzz.hpp"
#include "scim/patch.hpp"
#include "scim/resource.hpp"

namespace {

using namespace dirsync;
using json = nlohmann::json;

const json& stored(scim::resource_kind kind) {
  static const json user = [] {
    auto n = scim::normalize_resource(scim::resource_kind::user, json::parse(R"({
      "schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
      "userName":"test.user@okta.local","active":true,"displayName":"Test User","title":"Engineer",
      "name":{"givenName":"Test","familyName":"User"},
      "emails":[{"value":"test.user@okta.local","type":"work","primary":true},{"value":"t@home.org","type":"home"}],
      "phoneNumbers":[{"value":"+1 555 0100","type":"mobile"}],
      "addresses":[{"type":"work","locality":"Redmond","primary":true}],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":"m-1"}}})"));
    FUZZ_CHECK(n.has_value());
    return n->resource;
  }();
  static const json group = [] {
    auto n = scim::normalize_resource(scim::resource_kind::group, json::parse(R"({
      "schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","externalId":"g-ext"})"));
    FUZZ_CHECK(n.has_value());
    return n->resource;
  }();
  return kind == scim::resource_kind::user ? user : group;
}

bool sorted_unique(const std::vector<std::string>& v) {
  return std::adjacent_find(v.begin(), v.end(), [](const auto& a, const auto& b) { return !(a < b); }) == v.end();
}

void apply_and_check(scim::resource_kind kind, const std::vector<scim::patch_operation>& ops) {
  const json& before = stored(kind);
  auto r = scim::apply_patch(kind, before, ops);
  if (!r)
    return;
  auto again = scim::validate_stored(kind, r->resource);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == r->resource);
  std::string text;
  try {
    text = r->resource.dump(); // what the writer stores
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dump threw: %s\n", e.what());
    FUZZ_CHECK(!"the stored form must serialise");
  }
  FUZZ_CHECK(json::parse(text, nullptr, false) == r->resource);
  const auto& m = r->members;
  FUZZ_CHECK(kind == scim::resource_kind::group || m.empty());
  FUZZ_CHECK(sorted_unique(m.add) && sorted_unique(m.remove));
  for (const auto& id : m.add)
    FUZZ_CHECK(!std::binary_search(m.remove.begin(), m.remove.end(), id));
  if (!r->changed)
    FUZZ_CHECK(r->resource == before && m.empty());
  // `before` is normalize_resource's output and r->resource apply_patch's:
  // told so, apply_patch skips validating them again and must still decide
  // `changed` (and the result) exactly as when it validates them.
  const json* forms[] = {&before, &r->resource};
  for (const json* canonical : forms) {
    auto checked = scim::apply_patch(kind, *canonical, ops, false);
    auto trusted = scim::apply_patch(kind, *canonical, ops, true); // validates only what ops touched
    FUZZ_CHECK(checked.has_value() == trusted.has_value());
    if (checked)
      FUZZ_CHECK(trusted->changed == checked->changed && trusted->resource == checked->resource);
    else
      FUZZ_CHECK(trusted.err().code == checked.err().code && trusted.err().detail == checked.err().detail);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = json::parse(dirsync::fuzz::as_text(data, size), nullptr, false);
  if (body.is_discarded())
    return 0;
  auto ops = scim::parse_patch(body);
  if (!ops)
    return 0;
  apply_and_check(scim::resource_kind::user, *ops);
  apply_and_check(scim::resource_kind::group, *ops);
  return 0;
}
