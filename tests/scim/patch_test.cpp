#include <catch2/catch.hpp>

#include "scim/patch.hpp"
#include "scim/resource.hpp"

using namespace dirsync::scim;
using json = nlohmann::json;

namespace {

json parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

json user() {
  return parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "bjensen", "active": true, "title": "Engineer",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "bj@work.example", "type": "work", "primary": true},
               {"value": "bj@home.example", "type": "home"}]})");
}

// One operation wrapped in a PatchOp body.
std::string op(const std::string& operation) {
  return R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[)" + operation + "]}";
}

expected<patch_result> run(const json& stored, const std::string& body,
                           resource_kind kind = resource_kind::user) {
  auto ops = parse_patch(parse(body));
  if (!ops)
    return ops.err();
  return apply_patch(kind, stored, ops.value());
}

json patched(const json& stored, const std::string& body) {
  auto r = run(stored, body);
  if (!r)
    FAIL(r.err().detail);
  return r->resource;
}

error_code failure(const json& stored, const std::string& body, resource_kind kind = resource_kind::user) {
  auto r = run(stored, body, kind);
  REQUIRE_FALSE(r);
  return r.err().code;
}

const std::string ent{enterprise_urn};

} // namespace

TEST_CASE("parse_patch: message shape", "[patch]") {
  auto code = [](const std::string& body) {
    auto r = parse_patch(parse(body));
    REQUIRE_FALSE(r);
    return r.err().code;
  };
  CHECK(code(R"({"Operations":[{"op":"add","path":"title","value":"x"}]})") == error_code::invalid_syntax);
  CHECK(code(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
                 "Operations":[{"op":"add","path":"title","value":"x"}]})") == error_code::invalid_syntax);
  CHECK(code(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]})") == error_code::invalid_syntax);
  CHECK(code(op("")) == error_code::invalid_syntax);
  CHECK(code(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":{}})") ==
        error_code::invalid_syntax);
  CHECK(code(op(R"({"op":"move","path":"title","value":"x"})")) == error_code::invalid_syntax);
  CHECK(code(op(R"({"path":"title","value":"x"})")) == error_code::invalid_syntax);
  CHECK(code(op(R"({"op":"remove"})")) == error_code::no_target);
  CHECK(code(op(R"({"op":"add","path":"title"})")) == error_code::invalid_syntax);
  CHECK(code(op(R"({"op":"add","path":5,"value":"x"})")) == error_code::invalid_path);
  CHECK(code("[]") == error_code::invalid_syntax);

  auto ok = parse_patch(parse(op(R"({"op":"Replace","path":"title","value":"x"},{"op":"REMOVE","path":"title"},
                                    {"op":"Add","value":{"title":"y"}})")));
  REQUIRE(ok);
  REQUIRE(ok->size() == 3);
  CHECK((*ok)[0].op == patch_kind::replace);
  CHECK((*ok)[1].op == patch_kind::remove);
  CHECK((*ok)[2].op == patch_kind::add);
  CHECK((*ok)[2].path.empty());
}

TEST_CASE("patch: single-valued attributes with a path", "[patch]") {
  CHECK(patched(user(), op(R"({"op":"add","path":"nickName","value":"Babs"})"))["nickName"] == "Babs");
  // add on a present single-valued attribute acts as replace (Entra).
  CHECK(patched(user(), op(R"({"op":"add","path":"title","value":"Boss"})"))["title"] == "Boss");
  CHECK(patched(user(), op(R"({"op":"replace","path":"TITLE","value":"Boss"})"))["title"] == "Boss");
  CHECK_FALSE(patched(user(), op(R"({"op":"remove","path":"title"})")).contains("title"));
  CHECK_FALSE(patched(user(), op(R"({"op":"replace","path":"title","value":null})")).contains("title"));
  CHECK(patched(user(), op(R"({"op":"replace","path":"name.givenName","value":"Babs"})"))["name"] ==
        parse(R"({"givenName":"Babs","familyName":"Jensen"})"));
  CHECK(patched(user(), op(R"({"op":"remove","path":"name.givenName"})"))["name"] ==
        parse(R"({"familyName":"Jensen"})"));
  CHECK_FALSE(patched(user(), op(R"({"op":"remove","path":"name"})")).contains("name"));
  // A complex value merges: unspecified sub-attributes stay (RFC 7644 §3.5.2.3).
  CHECK(patched(user(), op(R"({"op":"replace","path":"name","value":{"middleName":"J"}})"))["name"] ==
        parse(R"({"givenName":"Barbara","familyName":"Jensen","middleName":"J"})"));
  CHECK(patched(user(), op(R"({"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:title","value":"X"})"))
            ["title"] == "X");
}

TEST_CASE("patch: without a path the value is an object of attributes", "[patch]") {
  auto r = patched(user(), op(R"({"op":"add","value":{"nickName":"Babs","name":{"middleName":"J"},
                                  "emails":[{"value":"third@example","type":"other"}]}})"));
  CHECK(r["nickName"] == "Babs");
  CHECK(r["name"]["givenName"] == "Barbara");
  CHECK(r["name"]["middleName"] == "J");
  CHECK(r["emails"].size() == 3);

  auto rep = patched(user(), op(R"({"op":"replace","value":{"emails":[{"value":"only@example"}],"title":"T"}})"));
  CHECK(rep["emails"] == parse(R"([{"value":"only@example"}])"));
  CHECK(rep["title"] == "T");

  // Unknown, readOnly and never-stored keys are ignored.
  auto ign = run(user(), op(R"({"op":"replace","value":{"id":"x","meta":{},"groups":[],"password":"p","favouriteColour":1}})"));
  REQUIRE(ign);
  CHECK_FALSE(ign->changed);
  CHECK(ign->resource == user());
}

TEST_CASE("patch: enterprise extension paths", "[patch]") {
  const std::string dept = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
  auto r = patched(user(), op(R"({"op":"add","path":")" + dept + R"(","value":"Sales"})"));
  CHECK(r[ent]["department"] == "Sales");
  CHECK(r["schemas"].size() == 2);
  CHECK(patched(r, op(R"({"op":"replace","path":")" + dept + R"(","value":"Ops"})"))[ent]["department"] == "Ops");
  auto removed = patched(r, op(R"({"op":"remove","path":")" + dept + R"("})"));
  CHECK_FALSE(removed.contains(ent));
  CHECK(removed["schemas"].size() == 1);
  CHECK(patched(user(), op(R"({"op":"remove","path":")" + dept + R"("})")) == user());

  auto nested = patched(user(), op(R"({"op":"replace","value":{
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","manager":{"value":"m"}}}})"));
  CHECK(nested[ent] == parse(R"({"employeeNumber":"7","manager":{"value":"m"}})"));
  CHECK(patched(nested, op(R"({"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m2"})"))
            [ent]["manager"]["value"] == "m2");
  CHECK(patched(user(), op(R"({"op":"replace","value":{")" + dept + R"(":"HR"}})"))[ent]["department"] == "HR");
  // The extension URN alone as a path.
  auto whole = patched(user(), op(R"({"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                                     "value":{"division":"D"}})"));
  CHECK(whole[ent] == parse(R"({"division":"D"})"));
  CHECK(patched(whole, op(R"({"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"})")) ==
        user());
}

TEST_CASE("patch: multi-valued attributes", "[patch]") {
  SECTION("add appends without duplicating, primary moves") {
    auto r = run(user(), op(R"({"op":"add","path":"emails","value":[{"value":"bj@home.example","type":"home"}]})"));
    REQUIRE(r);
    CHECK_FALSE(r->changed);
    auto p = patched(user(), op(R"({"op":"add","path":"emails","value":[{"value":"new@x","type":"other","primary":true}]})"));
    REQUIRE(p["emails"].size() == 3);
    CHECK(p["emails"][0]["primary"] == false);
    CHECK(p["emails"][2]["primary"] == true);
  }
  SECTION("replace the whole list") {
    auto p = patched(user(), op(R"({"op":"replace","path":"emails","value":[{"value":"x@y","type":"work"}]})"));
    CHECK(p["emails"] == parse(R"([{"value":"x@y","type":"work"}])"));
  }
  SECTION("value filters") {
    auto p = patched(user(), op(R"({"op":"replace","path":"emails[type eq \"work\"].value","value":"new@work"})"));
    CHECK(p["emails"][0] == parse(R"({"value":"new@work","type":"work","primary":true})"));
    p = patched(user(), op(R"({"op":"replace","path":"emails[type eq \"home\"]","value":{"value":"h2","display":"H"}})"));
    CHECK(p["emails"][1] == parse(R"({"value":"h2","type":"home","display":"H"})"));
    p = patched(user(), op(R"({"op":"replace","path":"emails[type eq \"home\"].primary","value":true})"));
    CHECK(p["emails"][0]["primary"] == false);
    CHECK(p["emails"][1]["primary"] == true);
    p = patched(user(), op(R"({"op":"remove","path":"emails[type eq \"home\"]"})"));
    CHECK(p["emails"].size() == 1);
    p = patched(user(), op(R"({"op":"remove","path":"emails[type eq \"work\"].primary"})"));
    CHECK_FALSE(p["emails"][0].contains("primary"));
    CHECK(patched(user(), op(R"({"op":"remove","path":"emails[type eq \"other\"]"})")) == user());
    p = patched(user(), op(R"({"op":"remove","path":"emails[value co \"example\"]"})"));
    CHECK_FALSE(p.contains("emails"));
  }
  SECTION("replace with a filter that matches nothing") {
    // Entra compatibility: an equality filter creates the element.
    auto p = patched(user(), op(R"({"op":"replace","path":"emails[type eq \"other\"].value","value":"o@x"})"));
    CHECK(p["emails"][2] == parse(R"({"type":"other","value":"o@x"})"));
    CHECK(failure(user(), op(R"({"op":"replace","path":"emails[value co \"zzz\"].value","value":"o@x"})")) ==
          error_code::no_target);
  }
  SECTION("remove all, remove absent, remove by value list") {
    CHECK_FALSE(patched(user(), op(R"({"op":"remove","path":"emails"})")).contains("emails"));
    auto r = run(user(), op(R"({"op":"remove","path":"phoneNumbers"})"));
    REQUIRE(r);
    CHECK_FALSE(r->changed);
    auto p = patched(user(), op(R"({"op":"remove","path":"emails","value":[{"value":"bj@home.example"}]})"));
    CHECK(p["emails"].size() == 1);
    CHECK(p["emails"][0]["type"] == "work");
  }
  SECTION("sub-attribute of every element") {
    auto p = patched(user(), op(R"({"op":"replace","path":"emails.display","value":"D"})"));
    CHECK(p["emails"][0]["display"] == "D");
    CHECK(p["emails"][1]["display"] == "D");
  }
}

TEST_CASE("patch: errors leave nothing half-applied", "[patch]") {
  CHECK(failure(user(), op(R"({"op":"replace","path":"id","value":"x"})")) == error_code::mutability);
  CHECK(failure(user(), op(R"({"op":"replace","path":"meta.created","value":"2024-01-01T00:00:00Z"})")) ==
        error_code::mutability);
  CHECK(failure(user(), op(R"({"op":"add","path":"groups","value":[{"value":"g"}]})")) == error_code::mutability);
  CHECK(failure(user(), op(R"({"op":"replace","path":"favouriteColour","value":"x"})")) == error_code::invalid_path);
  CHECK(failure(user(), op(R"({"op":"replace","path":"name.nickName","value":"x"})")) == error_code::invalid_path);
  CHECK(failure(user(), op(R"({"op":"replace","path":"name[givenName eq \"x\"]","value":"x"})")) ==
        error_code::invalid_path);
  CHECK(failure(user(), op(R"({"op":"replace","path":"active","value":"maybe"})")) == error_code::invalid_value);
  CHECK(failure(user(), op(R"({"op":"replace","path":"emails","value":"a@b"})")) == error_code::invalid_value);
  CHECK(failure(user(), op(R"({"op":"replace","path":"name","value":"Barbara"})")) == error_code::invalid_value);
  CHECK(failure(user(), op(R"({"op":"replace","value":"x"})")) == error_code::invalid_value);
  CHECK(failure(user(), op(R"({"op":"remove","path":"userName"})")) == error_code::invalid_value);
  CHECK(failure(user(), op(R"({"op":"add","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":true}]})")) ==
        error_code::invalid_value);
  CHECK(failure(user(), op(R"({"op":"replace","path":"emails[type eq \"home\"].primary","value":true},
                              {"op":"add","path":"emails","value":[{"value":"c","primary":"True"}]},
                              {"op":"replace","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":"True"}]})")) ==
        error_code::invalid_value);
}

TEST_CASE("patch: password is accepted and dropped (U5); changed tracks real change", "[patch]") {
  auto r = run(user(), op(R"({"op":"replace","path":"password","value":"n3w!"},{"op":"add","value":{"password":"x"}})"));
  REQUIRE(r);
  CHECK_FALSE(r->resource.contains("password"));
  CHECK_FALSE(r->changed);
  auto same = run(user(), op(R"({"op":"replace","path":"title","value":"Engineer"})"));
  REQUIRE(same);
  CHECK_FALSE(same->changed);
  CHECK(same->members.empty());
  auto diff = run(user(), op(R"({"op":"replace","path":"title","value":"CTO"},{"op":"replace","path":"title","value":"Engineer"},
                                {"op":"replace","path":"nickName","value":"B"})"));
  REQUIRE(diff);
  CHECK(diff->changed);
}

TEST_CASE("patch: changed is decided alike when the stored form is known canonical, and by the canonical form "
          "for a row older code wrote", "[patch]") {
  auto canonical = normalize_resource(resource_kind::user, user());
  REQUIRE(canonical);
  const json& stored = canonical->resource;
  for (const char* body : {R"({"op":"replace","path":"title","value":"Engineer"})",
                           R"({"op":"replace","path":"title","value":"CTO"})",
                           R"({"op":"replace","value":{"active":true,"name":{"givenName":"Barbara"}}})",
                           R"({"op":"replace","value":{"active":false}})",
                           R"({"op":"remove","path":"emails[type eq \"home\"]"})",
                           R"({"op":"add","path":"emails","value":[{"value":"bj@home.example","type":"home"}]})"}) {
    INFO(body);
    auto ops = parse_patch(parse(op(body)));
    REQUIRE(ops);
    auto checked = apply_patch(resource_kind::user, stored, *ops, false);
    auto trusted = apply_patch(resource_kind::user, stored, *ops, true);
    REQUIRE(checked);
    REQUIRE(trusted);
    CHECK(trusted->changed == checked->changed);
    CHECK(trusted->resource == checked->resource);
  }
  // A row stored in a form that is not canonical (an attribute name in
  // another case): a PATCH that changes nothing is still seen as unchanged.
  json legacy = stored;
  legacy["TITLE"] = legacy["title"];
  legacy.erase("title");
  auto same = run(legacy, op(R"({"op":"replace","path":"title","value":"Engineer"})"));
  REQUIRE(same);
  CHECK_FALSE(same->changed);
  CHECK(same->resource == stored);
}

// A PATCH on a stored form known canonical validates only the top-level
// attributes its operations touched (validate_touched): same result, and
// same first error, as validating the whole resource.
TEST_CASE("patch: validating only the touched attributes gives what validating all gives", "[patch]") {
  auto canonical = normalize_resource(resource_kind::user, user());
  REQUIRE(canonical);
  json stored = canonical->resource;
  stored[std::string{enterprise_urn}] = {{"department", "R&D"}, {"costCenter", "42"}};
  auto revalidated = validate_stored(resource_kind::user, stored);
  REQUIRE(revalidated);
  stored = *revalidated;
  const std::string ent{enterprise_urn};
  for (const std::string& body : {
         std::string{R"({"op":"replace","path":"name.givenName","value":"Barbara"})"},
         std::string{R"({"op":"replace","value":{"active":"False","title":"CTO"}})"},
         std::string{R"({"op":"replace","path":"active","value":"maybe"})"},
         std::string{R"({"op":"remove","path":"userName"})"},
         std::string{R"({"op":"add","path":"emails","value":[{"value":"x@y.example","primary":true}]})"},
         std::string{R"({"op":"replace","path":"emails[type eq \"work\"].value","value":"w@y.example"})"},
         std::string{R"({"op":"replace","path":")"} + ent + R"(:department","value":"Ops"})",
         std::string{R"({"op":"remove","path":")"} + ent + R"("})",
         std::string{R"({"op":"remove","path":")"} + ent + R"(:department"})",
         std::string{R"({"op":"add","value":{")"} + ent + R"(":{"manager":{"value":"m-2"}}}})",
         std::string{R"({"op":"replace","path":"nickName","value":7})"},
         std::string{R"({"op":"replace","path":"title","value":"Engineer"})"}}) {
    INFO(body);
    auto ops = parse_patch(parse(op(body)));
    REQUIRE(ops);
    auto all = apply_patch(resource_kind::user, stored, *ops, false);
    auto touched = apply_patch(resource_kind::user, stored, *ops, true);
    REQUIRE(all.has_value() == touched.has_value());
    if (all) {
      CHECK(touched->changed == all->changed);
      CHECK(touched->resource == all->resource);
    } else {
      CHECK(touched.err() == all.err());
    }
  }
}
