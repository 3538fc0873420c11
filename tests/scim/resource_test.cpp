#include <catch2/catch.hpp>

#include "scim/resource.hpp"

using namespace dirsync::scim;
using json = nlohmann::json;

namespace {

json parse(const char* text) {
  auto j = json::parse(text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

error normalize_error(resource_kind kind, const json& body) {
  auto r = normalize_resource(kind, body);
  REQUIRE_FALSE(r.has_value());
  return r.err();
}

json normalize_ok(resource_kind kind, const json& body) {
  auto r = normalize_resource(kind, body);
  if (!r)
    FAIL(r.err().detail);
  return r->resource;
}

const std::string ent{enterprise_urn};

} // namespace

TEST_CASE("normalize: canonical names, read-only and unknown attributes dropped", "[resource]") {
  // Okta's full PUT after a GET: id, meta, groups and a custom extension are sent back.
  auto stored = normalize_ok(resource_kind::user, parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:okta:custom:user:1.0"],
    "id": "u-1", "USERNAME": "bjensen@example.com",
    "Name": {"GivenName": "Barbara", "familyname": "Jensen", "bogus": 1},
    "password": "s3cret!", "groups": [{"value": "g-1"}],
    "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
    "urn:okta:custom:user:1.0": {"costCenter": "x"},
    "nickName": null, "emails": [], "favouriteColour": "blue",
    "active": "True"
  })"));
  CHECK(stored == parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "userName": "bjensen@example.com",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "active": true
  })"));
  CHECK_FALSE(stored.contains("password")); // U5
}

TEST_CASE("normalize: enterprise extension kept under its URN, schemas rebuilt", "[resource]") {
  // Entra ID's POST /Users, literally.
  auto stored = normalize_ok(resource_kind::user, parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": true,
    "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"Department": "Sales",
      "manager": {"value": "m-1", "displayName": "read only"}}
  })"));
  CHECK(stored["schemas"] == json::array({std::string(user_urn), ent}));
  CHECK(stored[ent] == parse(R"({"department": "Sales", "manager": {"value": "m-1"}})"));
  CHECK(stored["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
  CHECK_FALSE(stored.contains("roles"));
  CHECK(stored["emails"][0]["primary"] == true);

  SECTION("URN-qualified attribute names, extension not listed in schemas") {
    auto s = normalize_ok(resource_kind::user, parse(R"({
      "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
      "urn:ietf:params:scim:schemas:core:2.0:User:userName": "a",
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "42"})"));
    CHECK(s["userName"] == "a");
    CHECK(s[ent]["employeeNumber"] == "42");
    CHECK(s["schemas"].size() == 2);
  }
}

TEST_CASE("normalize: schemas are required and must name the core schema", "[resource]") {
  auto u = resource_kind::user;
  CHECK(normalize_error(u, parse(R"({"userName":"a"})")).code == error_code::invalid_syntax);
  CHECK(normalize_error(u, parse(R"({"schemas":"x","userName":"a"})")).code == error_code::invalid_syntax);
  CHECK(normalize_error(u, parse(R"({"schemas":[1],"userName":"a"})")).code == error_code::invalid_syntax);
  auto e = normalize_error(u, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"a"})"));
  CHECK(e.code == error_code::invalid_syntax);
  CHECK_THAT(e.detail, Catch::Contains("urn:ietf:params:scim:schemas:core:2.0:User"));
  CHECK(normalize_error(u, json::array()).code == error_code::invalid_syntax);
}

TEST_CASE("normalize: required attributes and value types", "[resource]") {
  auto u = resource_kind::user;
  auto user = [](const char* extra) {
    return parse((std::string(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User")") +
                  R"(],"userName":"bjensen")" + extra + "}").c_str());
  };
  CHECK(normalize_error(u, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]})")).code ==
        error_code::invalid_value);
  CHECK(normalize_error(u, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":""})"))
            .code == error_code::invalid_value);
  CHECK(normalize_error(u, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":7})"))
            .code == error_code::invalid_value);

  auto e = normalize_error(u, user(R"(,"active":"maybe")"));
  CHECK(e.code == error_code::invalid_value);
  CHECK_THAT(e.detail, Catch::Contains("active"));
  CHECK_THAT(normalize_error(u, user(R"(,"emails":{"value":"a@b"})")).detail, Catch::Contains("emails"));
  CHECK_THAT(normalize_error(u, user(R"(,"emails":["a@b"])")).detail, Catch::Contains("emails"));
  CHECK_THAT(normalize_error(u, user(R"(,"name":"Barbara")")).detail, Catch::Contains("name"));
  CHECK_THAT(normalize_error(u, user(R"(,"emails":[{"value":5}])")).detail, Catch::Contains("emails.value"));
  // The error names the attribute by its whole path: schema URN, attribute
  // and sub-attribute, in the schema's case whatever case the client used.
  CHECK(normalize_error(u, user(R"(,"Emails":[{"Value":5}])")).detail == "Attribute 'emails.value' must be a string");
  CHECK(normalize_error(u, user(R"(,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":)"
                                R"({"manager":{"value":5}})"))
          .detail
        == "Attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value' must be a string");
  CHECK(normalize_error(u, user(R"(,"employeeNumber":7)")).detail
        == "Attribute 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber' must be a string");
  CHECK(normalize_ok(u, user(R"(,"active":"False")"))["active"] == false);
  CHECK(normalize_ok(u, user(R"(,"emails":[{"value":"a@b","primary":"true"}])"))["emails"][0]["primary"] == true);

  SECTION("at most one primary per multi-valued attribute") {
    auto two = normalize_error(u, user(R"(,"emails":[{"value":"a@b","primary":true},
                                                     {"value":"c@d","primary":"True"}])"));
    CHECK(two.code == error_code::invalid_value);
    CHECK_THAT(two.detail, Catch::Contains("primary"));
  }
  SECTION("strings must be UTF-8 without NUL") {
    json body = user("");
    body["displayName"] = std::string("a\0b", 3);
    CHECK(normalize_error(u, body).code == error_code::invalid_value);
    body["displayName"] = std::string("\xff\xfe");
    CHECK(normalize_error(u, body).code == error_code::invalid_value);
    body["displayName"] = std::string("\xc3\xa9t\xc3\xa9");
    CHECK(normalize_ok(u, body)["displayName"] == "\xc3\xa9t\xc3\xa9");
  }
  SECTION("exact duplicate elements collapse") {
    auto s = normalize_ok(u, user(R"(,"emails":[{"value":"a@b"},{"value":"a@b"}])"));
    CHECK(s["emails"].size() == 1);
  }
}

TEST_CASE("coerce: integers, decimals and dateTime", "[resource]") {
  auto make = [](const char* name, attr_type type) {
    attribute a;
    a.name = name;
    a.type = type;
    return a;
  };
  attribute when = make("when", attr_type::date_time);
  CHECK(coerce_value(when, "2024-02-29T12:30:00Z", "when"));
  CHECK(coerce_value(when, "2024-02-29T12:30:00.123+01:00", "when"));
  CHECK(coerce_value(when, "2024-02-29T12:30:00", "when"));
  CHECK_FALSE(coerce_value(when, "2024-13-01T00:00:00Z", "when"));
  CHECK_FALSE(coerce_value(when, "yesterday", "when"));
  CHECK_FALSE(coerce_value(when, 5, "when"));
  attribute count = make("count", attr_type::integer);
  CHECK(coerce_value(count, 5, "count").value() == 5);
  CHECK(coerce_value(count, 5.0, "count").value() == 5);
  CHECK_FALSE(coerce_value(count, 5.5, "count"));
  CHECK_FALSE(coerce_value(count, "5", "count"));
  attribute ratio = make("ratio", attr_type::decimal);
  CHECK(coerce_value(ratio, 0.5, "ratio").value() == 0.5);
  CHECK(coerce_value(ratio, json(), "ratio").value().is_null());
}

TEST_CASE("normalize: groups and their members", "[resource]") {
  auto g = resource_kind::group;
  // Okta Group Push create.
  auto r = normalize_resource(g, parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
    "displayName": "Test SCIMv2",
    "members": [{"value": "u-1", "display": "a@x"}, {"value": "u-2"}, {"value": "u-1"}]
  })"));
  REQUIRE(r);
  CHECK(r->resource == parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2"})"));
  REQUIRE(r->members);
  CHECK(*r->members == std::vector<member_ref>{{"u-1", "a@x", ""}, {"u-2", "", ""}});

  auto none = normalize_resource(g, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"x"})"));
  REQUIRE(none);
  CHECK_FALSE(none->members.has_value());
  CHECK(normalize_error(g, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]})")).code ==
        error_code::invalid_value);
  CHECK(normalize_error(g, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName":"x","members":[{"display":"no value"}]})")).code == error_code::invalid_value);
  CHECK(normalize_error(g, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName":"x","members":[{"value":""}]})")).code == error_code::invalid_value);
}

TEST_CASE("validate_stored rebuilds schemas and re-checks rules", "[resource]") {
  auto ok = validate_stored(resource_kind::user, parse(R"({"userName":"a",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{}})"));
  REQUIRE(ok);
  CHECK(ok.value() == parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"})"));
  CHECK_FALSE(validate_stored(resource_kind::user, parse(R"({"name":{"givenName":"x"}})")));
}

TEST_CASE("render adds id, meta and members; never a password", "[resource]") {
  resource_meta meta{"g-1", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", 7, "https://h/scim/v2"};
  std::vector<member_ref> members{{"u-1", "Alice", "User"}, {"g-2", "", "Group"}};
  auto full = render(resource_kind::group, parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng"})"),
                     meta, &members);
  CHECK(full == parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g-1", "displayName": "Eng",
    "members": [{"value": "u-1", "display": "Alice", "type": "User", "$ref": "https://h/scim/v2/Users/u-1"},
                {"value": "g-2", "type": "Group", "$ref": "https://h/scim/v2/Groups/g-2"}],
    "meta": {"resourceType": "Group", "created": "2024-01-01T00:00:00Z",
             "lastModified": "2024-01-02T00:00:00Z", "location": "https://h/scim/v2/Groups/g-1",
             "version": "W/\"7\""}})"));
  CHECK(make_etag(1) == "W/\"1\"");

  std::vector<member_ref> groups{{"g-1", "Eng", "direct"}};
  auto user = render(resource_kind::user, parse(R"({"userName":"a","password":"leak"})"),
                     resource_meta{"u-1", "c", "m", 2, "https://h/scim/v2"}, &groups);
  CHECK_FALSE(user.contains("password"));
  CHECK(user["meta"]["location"] == "https://h/scim/v2/Users/u-1");
  CHECK(user["groups"][0]["$ref"] == "https://h/scim/v2/Groups/g-1");
  CHECK(user["schemas"] == json::array({std::string(user_urn)}));
  auto empty = std::vector<member_ref>{};
  CHECK_FALSE(render(resource_kind::group, json::object(), meta, &empty).contains("members"));
}

TEST_CASE("multi-valued attributes hold at most max_multi_values values; members any number", "[resource]") {
  // A 1 MiB body of tiny emails used to keep an actor busy for minutes
  // (values are de-duplicated and PATCH-merged pairwise).
  json emails = json::array();
  for (std::size_t i = 0; i < max_multi_values; ++i)
    emails.push_back({{"value", "e" + std::to_string(i) + "@x"}});
  auto body = json{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}}, {"userName", "many@x"}};
  body["emails"] = emails;
  CHECK(normalize_ok(resource_kind::user, body)["emails"].size() == max_multi_values);
  body["emails"].push_back({{"value", "one-too-many@x"}});
  auto e = normalize_error(resource_kind::user, body);
  CHECK(e.code == error_code::invalid_value);
  CHECK(e.detail.find("emails") != std::string::npos);

  // Group members are rows: 60,000 (with duplicates collapsed, order kept) are fine.
  json members = json::array();
  for (int i = 0; i < 60000; ++i)
    members.push_back({{"value", "m" + std::to_string(i % 50000)}});
  auto g = normalize_resource(resource_kind::group,
                              json{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                                   {"displayName", "big"}, {"members", members}});
  REQUIRE(g);
  REQUIRE(g->members);
  REQUIRE(g->members->size() == 50000);
  CHECK(g->members->front().value == "m0");
  CHECK(g->members->back().value == "m49999");
}

TEST_CASE("normalize: an extension attribute that is null or empty is unassigned, not an exception", "[resource]") {
  // Found by fuzz_resource: the extension's object was created as null and
  // erase() on it threw, which stopped the directory actor and answered 500.
  for (const char* ext_value : {R"({"department": null})", R"({"manager": {}})", R"({"manager": {"val?ue": "m"}})",
                                R"({"manager": {"value": null}, "costCenter": null})"}) {
    INFO(ext_value);
    auto body = parse(R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "n@x"})");
    body[ent] = parse(ext_value);
    auto stored = normalize_ok(resource_kind::user, body);
    CHECK_FALSE(stored.contains(ent));
    CHECK(stored["schemas"] == json::array({"urn:ietf:params:scim:schemas:core:2.0:User"}));
  }
  auto body = parse(R"({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "n@x",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": null, "division": "W"}})");
  CHECK(normalize_ok(resource_kind::user, body)[ent] == parse(R"({"division": "W"})"));
}
