// PATCH bodies exactly as Okta and Entra ID send them, and group members (S4, G1).
#include <catch2/catch.hpp>

#include "scim/patch.hpp"

using namespace dirsync::scim;
using json = nlohmann::json;

namespace {

json parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

json user() {
  return parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
    "active":true,"name":{"givenName":"Test","familyName":"User"},
    "emails":[{"value":"test.user@okta.local","type":"work","primary":true}]})");
}

json group() {
  return parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2"})");
}

patch_result apply(resource_kind kind, const json& stored, const std::string& body) {
  auto ops = parse_patch(parse(body));
  if (!ops)
    FAIL(ops.err().detail);
  auto r = apply_patch(kind, stored, ops.value());
  if (!r)
    FAIL(r.err().detail);
  return r.value();
}

error_code failure(resource_kind kind, const json& stored, const std::string& body) {
  auto ops = parse_patch(parse(body));
  REQUIRE(ops);
  auto r = apply_patch(kind, stored, ops.value());
  REQUIRE_FALSE(r);
  return r.err().code;
}

using ids = std::vector<std::string>;

} // namespace

TEST_CASE("Okta: deactivate and reactivate without a path", "[patch][okta]") {
  auto off = apply(resource_kind::user, user(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": false}}]
  })");
  CHECK(off.changed);
  CHECK(off.resource["active"] == false);
  auto on = apply(resource_kind::user, off.resource, R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"active": true}}]
  })");
  CHECK(on.resource == user());
}

TEST_CASE("Okta: group rename with id, member add / remove / replace", "[patch][okta]") {
  auto rename = apply(resource_kind::group, group(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"id": "abf4dd94-a4c0-4f67-89c9-76b03340cb9b", "displayName": "Renamed"}}]
  })");
  CHECK(rename.resource["displayName"] == "Renamed");
  CHECK_FALSE(rename.resource.contains("id"));
  CHECK(rename.members.empty());
  CHECK(rename.changed);
  // Okta repeats the rename with every membership change: same name is a no-op.
  auto again = apply(resource_kind::group, group(), R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":[{"op":"replace","value":{"id":"abf4dd94-a4c0-4f67-89c9-76b03340cb9b","displayName":"Test SCIMv2"}}]})");
  CHECK_FALSE(again.changed);

  auto removal = apply(resource_kind::group, group(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "remove", "path": "members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"}]
  })");
  CHECK(removal.members == member_delta{{}, {"89bb1940-b905-4575-9e7f-6f887cfb368e"}, false});
  CHECK(removal.changed);
  CHECK(removal.resource == group());

  auto add = apply(resource_kind::group, group(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "add", "path": "members",
                    "value": [{"value": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "display": "test.user@okta.local"}]}]
  })");
  CHECK(add.members == member_delta{{"23a35c27-23d3-4c03-b4c5-6443c09e7173"}, {}, false});

  auto replace = apply(resource_kind::group, group(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "path": "members",
                    "value": [{"value": "u-1", "display": "a@okta.local"}, {"value": "u-2", "display": "b@okta.local"}]}]
  })");
  CHECK(replace.members == member_delta{{"u-1", "u-2"}, {}, true});
}

TEST_CASE("Entra ID: user PATCH dialect", "[patch][entra]") {
  auto r = apply(resource_kind::user, user(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [
      {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
      {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
      {"op": "Add", "path": "externalId", "value": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"},
      {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555 0100"},
      {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "2819c223"},
      {"op": "Add", "path": "title", "value": "Manager"}
    ]
  })");
  CHECK(r.resource["emails"][0]["value"] == "updatedEmail@microsoft.com");
  CHECK(r.resource["emails"][0]["primary"] == true);
  CHECK(r.resource["name"]["familyName"] == "updatedFamilyName");
  CHECK(r.resource["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
  CHECK(r.resource["phoneNumbers"] == parse(R"([{"type":"mobile","value":"+1 555 0100"}])"));
  CHECK(r.resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"] ==
        parse(R"({"value":"2819c223"})"));
  CHECK(r.resource["title"] == "Manager");

  auto off = apply(resource_kind::user, user(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
  })");
  CHECK(off.resource["active"] == false);
  auto on = apply(resource_kind::user, off.resource, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":[{"op":"Replace","path":"active","value":"True"}]})");
  CHECK(on.resource["active"] == true);

  auto dotted = apply(resource_kind::user, user(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "replace", "value": {"name.givenName": "Ada", "name.familyName": "Lovelace",
                    "active": "False", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D"}}]
  })");
  CHECK(dotted.resource["name"] == parse(R"({"givenName":"Ada","familyName":"Lovelace"})"));
  CHECK(dotted.resource["active"] == false);
  CHECK(dotted.resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"] == "R&D");

  auto primary = apply(resource_kind::user, user(), R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":[{"op":"Add","path":"emails","value":[{"value":"second@x","type":"other","primary":"True"}]}]})");
  CHECK(primary.resource["emails"][0]["primary"] == false);
  CHECK(primary.resource["emails"][1]["primary"] == true);
}

TEST_CASE("Entra ID: group members", "[patch][entra]") {
  auto add = apply(resource_kind::group, group(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Add", "path": "members", "value": [{"value": "f648f8d5ea4e4cd38e9c"}]}]
  })");
  CHECK(add.members == member_delta{{"f648f8d5ea4e4cd38e9c"}, {}, false});

  // Remove with path "members" and a value list removes only those members.
  auto remove = apply(resource_kind::group, group(), R"({
    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "f648f8d5ea4e4cd38e9c"}]}]
  })");
  CHECK(remove.members == member_delta{{}, {"f648f8d5ea4e4cd38e9c"}, false});

  auto rename = apply(resource_kind::group, group(), R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    "Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]})");
  CHECK(rename.resource["displayName"] == "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName");
}

TEST_CASE("group members: netting and edge cases", "[patch]") {
  const std::string head = R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[)";
  auto delta = [&](const std::string& ops) { return apply(resource_kind::group, group(), head + ops + "]}").members; };

  CHECK(delta(R"({"op":"add","path":"members","value":[{"value":"x"}]},
                 {"op":"remove","path":"members[value eq \"x\"]"})") == member_delta{{}, {"x"}, false});
  CHECK(delta(R"({"op":"remove","path":"members","value":[{"value":"x"}]},
                 {"op":"add","path":"members","value":[{"value":"x"},{"value":"x"}]})") == member_delta{{"x"}, {}, false});
  CHECK(delta(R"({"op":"remove","path":"members"})") == member_delta{{}, {}, true});
  CHECK(delta(R"({"op":"remove","path":"members"},{"op":"add","path":"members","value":[{"value":"a"}]},
                 {"op":"remove","path":"members[value eq \"b\"]"})") == member_delta{{"a"}, {}, true});
  CHECK(delta(R"({"op":"remove","path":"members[value eq \"a\" or value eq \"b\"]"})") ==
        member_delta{{}, {"a", "b"}, false});
  CHECK(delta(R"({"op":"replace","path":"members[value eq \"a\"]","value":[{"value":"c"}]})") ==
        member_delta{{"c"}, {"a"}, false});
  CHECK(delta(R"({"op":"replace","value":{"members":[{"value":"z"}],"displayName":"Test SCIMv2"}})") ==
        member_delta{{"z"}, {}, true});
  CHECK(delta(R"({"op":"add","path":"members","value":{"value":"single"}})") == member_delta{{"single"}, {}, false});

  auto both = apply(resource_kind::group, group(), head + R"({"op":"replace","value":{"displayName":"New"}},
                   {"op":"add","path":"members","value":[{"value":"u"}]}]})");
  CHECK(both.resource["displayName"] == "New");
  CHECK_FALSE(both.resource.contains("members"));
  CHECK(both.changed);

  auto g = resource_kind::group;
  CHECK(failure(g, group(), head + R"({"op":"remove","path":"members[display eq \"x\"]"}]})") ==
        error_code::invalid_filter);
  CHECK(failure(g, group(), head + R"({"op":"remove","path":"members[value eq \"a\" and value eq \"b\"]"}]})") ==
        error_code::invalid_filter);
  CHECK(failure(g, group(), head + R"({"op":"add","path":"members","value":[{"display":"x"}]}]})") ==
        error_code::invalid_value);
  CHECK(failure(g, group(), head + R"({"op":"add","path":"members","value":"u-1"}]})") == error_code::invalid_value);
  CHECK(failure(g, group(), head + R"({"op":"replace","path":"members[value eq \"a\"].display","value":"x"}]})") ==
        error_code::mutability);
  CHECK(failure(g, group(), head + R"({"op":"replace","path":"id","value":"x"}]})") == error_code::mutability);
  CHECK(failure(g, group(), head + R"({"op":"remove","path":"displayName"}]})") == error_code::invalid_value);
}
