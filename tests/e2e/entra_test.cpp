// The request sequences Microsoft Entra ID sends, replayed against the real
// daemon (issue 3; SPEC S2, S4).

#include <set>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

namespace {

std::set<std::string> member_ids(const json& group) {
  std::set<std::string> out;
  if (group.contains("members"))
    for (const auto& m : group["members"])
      out.insert(m.value("value", std::string{}));
  return out;
}

json entra_user(const std::string& user_name, const std::string& external_id, const std::string& email) {
  return json{{"schemas", {user_urn, enterprise_urn}},
              {"externalId", external_id},
              {"userName", user_name},
              {"active", true},
              {"emails", json::array({{{"primary", true}, {"type", "work"}, {"value", email}}})},
              {"meta", {{"resourceType", "User"}}},
              {"name", {{"formatted", "givenName familyName"}, {"familyName", "familyName"}, {"givenName", "givenName"}}},
              {"roles", json::array()}};
}

} // namespace

TEST_CASE("S2 Entra lookup by externalId", "[e2e][entra]") {
  fixture f{"entra"};
  auto& c = *f.c;
  auto created = c.post("/scim/v2/Users", entra_user("Test_User_ab6490ee@testuser.com",
                                                     "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                                                     "Test_User_fd0ea19b@testuser.com"));
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto id = created.json_body()["id"].get<std::string>();
  create_user(c, "someone.else@testuser.com",
              {{"externalId", "other-ext"}, {"emails", json::array({{{"type", "home"}, {"value", "Test_User_fd0ea19b@testuser.com"}}})}});

  auto ext = c.get("/scim/v2/Users?filter=" + url_encode("externalId eq \"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef\""));
  REQUIRE(ext.status == 200);
  CHECK(ext.json_body()["totalResults"] == 1);
  CHECK(resource_ids(ext.json_body()) == std::vector<std::string>{id});

  auto none = c.get("/scim/v2/Users?filter=" + url_encode("externalId eq \"missing\""));
  REQUIRE(none.status == 200);
  CHECK(none.json_body()["totalResults"] == 0);
}

TEST_CASE("S2 Entra lookup by emails[type eq \"work\"].value", "[e2e][entra]") {
  fixture f{"entra"};
  auto& c = *f.c;
  auto id = create_user(c, "work.mail@testuser.com",
                        {{"emails", json::array({{{"primary", true}, {"type", "work"}, {"value", "Test_User_fd0ea19b@testuser.com"}}})}});
  create_user(c, "someone.else@testuser.com",
              {{"emails", json::array({{{"type", "home"}, {"value", "Test_User_fd0ea19b@testuser.com"}}})}});
  auto mail = c.get("/scim/v2/Users?filter=" +
                    url_encode("emails[type eq \"work\"].value eq \"Test_User_fd0ea19b@testuser.com\""));
  INFO(mail.body);
  REQUIRE(mail.status == 200);
  CHECK(resource_ids(mail.json_body()) == std::vector<std::string>{id}); // the home e-mail does not match
}

TEST_CASE("S4 Entra PATCH dialect on users", "[e2e][entra]") {
  fixture f{"entra"};
  auto& c = *f.c;
  auto id = create_user(c, "entra.user@example.com",
                        {{"name", {{"givenName", "Old"}, {"familyName", "Name"}}},
                         {"emails", json::array({{{"type", "work"}, {"value", "old@example.com"}, {"primary", true}}})}});
  const auto url = "/scim/v2/Users/" + id;

  SECTION("Replace with \"False\" / \"True\" strings on a path") {
    auto off = c.patch(url, patch_body(json::array({{{"op", "Replace"}, {"path", "active"}, {"value", "False"}}})));
    INFO(off.body);
    REQUIRE(off.status == 200);
    CHECK(off.json_body()["active"] == false);
    CHECK(c.get(url).json_body()["active"] == false);
    auto on = c.patch(url, patch_body(json::array({{{"op", "Replace"}, {"path", "active"}, {"value", "True"}}})));
    REQUIRE(on.status == 200);
    CHECK(on.json_body()["active"] == true);
  }
  SECTION("Replace without path with a \"False\" string") {
    auto off = c.patch(url, patch_body(json::array({{{"op", "Replace"}, {"value", {{"active", "False"}}}}})));
    INFO(off.body);
    REQUIRE(off.status == 200);
    CHECK(c.get(url).json_body()["active"] == false);
  }
  SECTION("dotted keys in a Replace value object") {
    auto r = c.patch(url, patch_body(json::array({{{"op", "Replace"},
                                                   {"value", {{"name.givenName", "X"}, {"name.familyName", "Y"}}}}})));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto u = c.get(url).json_body();
    CHECK(u["name"]["givenName"] == "X");
    CHECK(u["name"]["familyName"] == "Y");
    CHECK(!u.contains("name.givenName"));
  }
  SECTION("Add on single-valued attributes") {
    auto r = c.patch(url, patch_body(json::array({{{"op", "Add"}, {"path", "displayName"}, {"value", "Entra Person"}},
                                                  {{"op", "Add"}, {"path", "title"}, {"value", "Engineer"}}})));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto u = c.get(url).json_body();
    CHECK(u["displayName"] == "Entra Person");
    CHECK(u["title"] == "Engineer");
    // Add again replaces the single value.
    auto again = c.patch(url, patch_body(json::array({{{"op", "Add"}, {"path", "title"}, {"value", "Manager"}}})));
    REQUIRE(again.status == 200);
    CHECK(c.get(url).json_body()["title"] == "Manager");
  }
  SECTION("Replace of emails[type eq \"work\"].value") {
    auto r = c.patch(url, patch_body(json::array({{{"op", "Replace"}, {"path", "emails[type eq \"work\"].value"},
                                                   {"value", "new@example.com"}}})));
    INFO(r.body);
    REQUIRE(r.status == 200);
    auto u = c.get(url).json_body();
    REQUIRE(u["emails"].size() == 1);
    CHECK(u["emails"][0]["value"] == "new@example.com");
    CHECK(u["emails"][0]["type"] == "work");
  }
  SECTION("Add on an enterprise extension attribute") {
    auto r = c.patch(url, patch_body(json::array({{{"op", "Add"},
                                                   {"path", std::string{enterprise_urn} + ":department"},
                                                   {"value", "R&D"}}})));
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(c.get(url).json_body()[enterprise_urn]["department"] == "R&D");
  }
}

TEST_CASE("S4 Entra group PATCH: Add, Remove with a value list, reads with excludedAttributes=members",
          "[e2e][entra]") {
  fixture f{"entra"};
  auto& c = *f.c;
  std::vector<std::string> users;
  for (int i = 0; i < 4; ++i)
    users.push_back(create_user(c, "member" + std::to_string(i) + "@example.com"));
  auto created = c.post("/scim/v2/Groups", json{{"schemas", {group_urn}},
                                                {"externalId", "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"},
                                                {"displayName", "Group1DisplayName"},
                                                {"members", json::array()}});
  REQUIRE(created.status == 201);
  auto gid = created.json_body()["id"].get<std::string>();
  const auto url = "/scim/v2/Groups/" + gid;

  json all = json::array();
  for (const auto& u : users)
    all.push_back({{"value", u}});
  auto add = c.patch(url, patch_body(json::array({{{"op", "Add"}, {"path", "members"}, {"value", all}}})));
  INFO(add.body);
  CHECK(add.status == 204);
  CHECK(member_ids(c.get(url).json_body()).size() == 4);

  auto remove = c.patch(url, patch_body(json::array({{{"op", "Remove"}, {"path", "members"},
                                                      {"value", json::array({{{"value", users[0]}}, {{"value", users[2]}}})}}})));
  INFO(remove.body);
  CHECK(remove.status == 204);
  CHECK(member_ids(c.get(url).json_body()) == std::set<std::string>{users[1], users[3]});

  auto one = c.get(url + "?excludedAttributes=members");
  REQUIRE(one.status == 200);
  auto oj = one.json_body();
  CHECK(!oj.contains("members"));
  CHECK(oj["displayName"] == "Group1DisplayName");
  CHECK(oj["id"] == gid);

  auto list = c.get("/scim/v2/Groups?excludedAttributes=members&filter=" +
                    url_encode("displayName eq \"Group1DisplayName\""));
  REQUIRE(list.status == 200);
  auto lj = list.json_body();
  REQUIRE(resource_ids(lj) == std::vector<std::string>{gid});
  CHECK(!lj["Resources"][0].contains("members"));

  auto by_ext = c.get("/scim/v2/Groups?filter=" + url_encode("externalId eq \"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159\""));
  REQUIRE(by_ext.status == 200);
  CHECK(resource_ids(by_ext.json_body()) == std::vector<std::string>{gid});

  // Replace of displayName with a capitalised op; answered with a body when attributes are asked.
  auto renamed = c.patch(url + "?attributes=displayName",
                         patch_body(json::array({{{"op", "Replace"}, {"path", "displayName"}, {"value", "Renamed"}}})));
  INFO(renamed.body);
  REQUIRE(renamed.status == 200);
  CHECK(renamed.json_body()["displayName"] == "Renamed");
  CHECK(!renamed.json_body().contains("members"));
}
