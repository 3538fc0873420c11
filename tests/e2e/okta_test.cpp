// The request sequences Okta sends, replayed against the real daemon
// (issue 3; SPEC S1-S5, U5, G1, G7).

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

json okta_user(const std::string& user_name) {
  return json{{"schemas", {user_urn}},
              {"userName", user_name},
              {"name", {{"givenName", "Isaac"}, {"familyName", "Brock"}}},
              {"emails", json::array({{{"primary", true}, {"value", user_name}, {"type", "work"}}})},
              {"displayName", "Isaac Brock"},
              {"locale", "en-US"},
              {"externalId", "00ujl29u0le5T6Aj10h7"},
              {"groups", json::array()},
              {"password", "1mz050nq"},
              {"active", true}};
}

} // namespace

TEST_CASE("S1 S3 Okta test connection and userName lookup", "[e2e][okta]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto conn = c.get("/scim/v2/Users?startIndex=1&count=2");
  REQUIRE(conn.status == 200);
  CHECK(conn.header("content-type").rfind("application/scim+json", 0) == 0);
  auto cj = conn.json_body();
  CHECK(cj["schemas"] == json::array({list_urn}));
  CHECK(cj["totalResults"] == 0);
  CHECK(cj["startIndex"] == 1);
  CHECK(cj["itemsPerPage"] == 0);

  auto id = create_user(c, "Isaac.Brock@example.com");
  create_user(c, "other@example.com");
  SECTION("%20 for spaces, case-insensitive userName") {
    auto r = c.get("/scim/v2/Users?filter=userName%20eq%20%22isaac.brock%40example.com%22&startIndex=1&count=100");
    REQUIRE(r.status == 200);
    auto j = r.json_body();
    CHECK(j["totalResults"] == 1);
    REQUIRE(resource_ids(j) == std::vector<std::string>{id});
    CHECK(j["Resources"][0]["userName"] == "Isaac.Brock@example.com"); // returned exactly as sent
  }
  SECTION("+ for spaces") {
    auto r = c.get("/scim/v2/Users?filter=userName+eq+%22Isaac.Brock@example.com%22");
    REQUIRE(r.status == 200);
    CHECK(resource_ids(r.json_body()) == std::vector<std::string>{id});
  }
  SECTION("no match") {
    auto r = c.get("/scim/v2/Users?filter=" + url_encode("userName eq \"nobody@example.com\""));
    REQUIRE(r.status == 200);
    CHECK(r.json_body()["totalResults"] == 0);
    CHECK(resource_ids(r.json_body()).empty());
  }
}

TEST_CASE("U5 S5 Okta create with password, GET, full PUT, deactivate and reactivate", "[e2e][okta]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto created = c.post("/scim/v2/Users", okta_user("isaac.brock@example.com"));
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto u = created.json_body();
  auto id = u["id"].get<std::string>();
  CHECK(!id.empty());
  CHECK(!u.contains("password"));
  CHECK(created.body.find("1mz050nq") == std::string::npos);
  CHECK(u["externalId"] == "00ujl29u0le5T6Aj10h7");
  CHECK(u["active"] == true);
  CHECK(u["meta"]["resourceType"] == "User");
  CHECK(u["meta"].contains("created"));
  CHECK(u["meta"].contains("lastModified"));
  CHECK(u["meta"].contains("version"));
  CHECK(u["meta"]["location"].get<std::string>().find("/scim/v2/Users/" + id) != std::string::npos);
  CHECK(created.header("Location") == u["meta"]["location"]);
  CHECK(!created.header("ETag").empty());

  auto got = c.get("/scim/v2/Users/" + id);
  REQUIRE(got.status == 200);
  CHECK(got.body.find("password") == std::string::npos);
  CHECK(got.body.find("1mz050nq") == std::string::npos);
  auto g = got.json_body();
  CHECK(g["userName"] == "isaac.brock@example.com");
  CHECK(g["name"]["givenName"] == "Isaac");

  // Okta: full PUT of what it read, with id, meta and groups in the body.
  g["name"]["givenName"] = "Ike";
  g["groups"] = json::array();
  g["password"] = "newSecret1";
  auto put = c.put("/scim/v2/Users/" + id, g);
  INFO(put.body);
  REQUIRE(put.status == 200);
  auto p = put.json_body();
  CHECK(p["id"] == id);
  CHECK(p["name"]["givenName"] == "Ike");
  CHECK(p["meta"]["created"] == u["meta"]["created"]);
  CHECK(!p.contains("password"));
  CHECK(c.get("/scim/v2/Users/" + id).json_body()["name"]["givenName"] == "Ike");

  auto deactivate = c.patch("/scim/v2/Users/" + id,
                            patch_body(json::array({{{"op", "replace"}, {"value", {{"active", false}}}}})));
  INFO(deactivate.body);
  REQUIRE(deactivate.status == 200);
  CHECK(deactivate.json_body()["active"] == false);
  CHECK(c.get("/scim/v2/Users/" + id).json_body()["active"] == false);
  auto reactivate = c.patch("/scim/v2/Users/" + id,
                            patch_body(json::array({{{"op", "replace"}, {"value", {{"active", true}}}}})));
  REQUIRE(reactivate.status == 200);
  CHECK(reactivate.json_body()["active"] == true);
  CHECK(c.get("/scim/v2/Users/" + id).json_body()["active"] == true);
  CHECK(c.get("/scim/v2/Users/" + id).json_body()["userName"] == "isaac.brock@example.com");
}

TEST_CASE("S3 Okta import paging count=100 over 150 users", "[e2e][okta]") {
  fixture f{"okta"};
  auto& c = *f.c;
  std::set<std::string> all;
  for (int i = 0; i < 150; ++i)
    all.insert(create_user(c, "user" + std::to_string(1000 + i) + "@example.com"));
  REQUIRE(all.size() == 150);
  auto p1 = c.get("/scim/v2/Users?startIndex=1&count=100");
  REQUIRE(p1.status == 200);
  auto j1 = p1.json_body();
  CHECK(j1["totalResults"] == 150);
  CHECK(j1["itemsPerPage"] == 100);
  CHECK(j1["startIndex"] == 1);
  auto p2 = c.get("/scim/v2/Users?startIndex=101&count=100");
  REQUIRE(p2.status == 200);
  auto j2 = p2.json_body();
  CHECK(j2["totalResults"] == 150);
  CHECK(j2["itemsPerPage"] == 50);
  CHECK(j2["startIndex"] == 101);
  auto ids1 = resource_ids(j1), ids2 = resource_ids(j2);
  CHECK(ids1.size() == 100);
  CHECK(ids2.size() == 50);
  std::set<std::string> seen(ids1.begin(), ids1.end());
  seen.insert(ids2.begin(), ids2.end());
  CHECK(seen.size() == 150); // no duplicates across pages
  CHECK(seen == all);
  auto past = c.get("/scim/v2/Users?startIndex=151&count=100");
  REQUIRE(past.status == 200);
  auto jp = past.json_body();
  CHECK(jp["totalResults"] == 150);
  CHECK(jp["itemsPerPage"] == 0);
  CHECK(jp["startIndex"] == 151);
  CHECK(resource_ids(jp).empty());
  auto zero = c.get("/scim/v2/Users?count=0");
  REQUIRE(zero.status == 200);
  CHECK(zero.json_body()["totalResults"] == 150);
  CHECK(resource_ids(zero.json_body()).empty());
}

TEST_CASE("G1 G7 Okta Group Push: lookup, create, rename, add and remove members, delete", "[e2e][okta]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto alice = create_user(c, "alice@example.com");
  auto bob = create_user(c, "bob@example.com");
  auto carol = create_user(c, "carol@example.com");
  auto by_name = [&](const std::string& name) {
    auto r = c.get("/scim/v2/Groups?filter=" + url_encode("displayName eq \"" + name + "\""));
    REQUIRE(r.status == 200);
    return r.json_body();
  };
  CHECK(by_name("Engineering")["totalResults"] == 0);
  auto created = c.post("/scim/v2/Groups", group_body("Engineering"));
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto gid = created.json_body()["id"].get<std::string>();
  CHECK(created.json_body()["meta"]["resourceType"] == "Group");
  CHECK(!created.header("Location").empty());
  CHECK(resource_ids(by_name("Engineering")) == std::vector<std::string>{gid});
  const auto url = "/scim/v2/Groups/" + gid;

  auto rename = [&](const std::string& name) {
    return c.patch(url, patch_body(json::array({{{"op", "replace"}, {"value", {{"id", gid}, {"displayName", name}}}}})));
  };
  auto r1 = rename("Engineers");
  INFO(r1.body);
  CHECK(r1.status == 204);
  CHECK(r1.body.empty());
  CHECK(c.get(url).json_body()["displayName"] == "Engineers");
  CHECK(rename("Engineers").status == 204); // idempotent, sent again with every change

  auto add = c.patch(url, patch_body(json::array({{{"op", "add"}, {"path", "members"},
                                                    {"value", json::array({{{"value", alice}, {"display", "alice"}},
                                                                           {{"value", bob}, {"display", "bob"}}})}}})));
  INFO(add.body);
  CHECK(add.status == 204);
  CHECK(member_ids(c.get(url).json_body()) == std::set<std::string>{alice, bob});
  // Adding an existing member is a no-op.
  auto again = c.patch(url, patch_body(json::array({{{"op", "add"}, {"path", "members"},
                                                     {"value", json::array({{{"value", alice}}})}}})));
  CHECK(again.status == 204);
  auto g = c.get(url).json_body();
  CHECK(g["members"].size() == 2);

  auto remove = c.patch(url, patch_body(json::array({{{"op", "remove"}, {"path", "members[value eq \"" + bob + "\"]"}}})));
  INFO(remove.body);
  CHECK(remove.status == 204);
  CHECK(member_ids(c.get(url).json_body()) == std::set<std::string>{alice});
  // Removing an absent member is a no-op too.
  auto absent = c.patch(url, patch_body(json::array({{{"op", "remove"}, {"path", "members[value eq \"" + bob + "\"]"}}})));
  CHECK(absent.status == 204);

  // Okta may replace the whole member list.
  auto replace = c.patch(url, patch_body(json::array({{{"op", "replace"}, {"path", "members"},
                                                       {"value", json::array({{{"value", bob}}, {{"value", carol}}})}}})));
  CHECK(replace.status == 204);
  CHECK(member_ids(c.get(url).json_body()) == std::set<std::string>{bob, carol});

  auto gone = c.del(url);
  CHECK(gone.status == 204);
  CHECK(c.get(url).status == 404);
  CHECK(by_name("Engineers")["totalResults"] == 0);
  for (const auto& id : {alice, bob, carol})
    CHECK(c.get("/scim/v2/Users/" + id).status == 200); // users survive their group
}

TEST_CASE("S4 user's groups attribute reflects memberships", "[e2e][okta]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto alice = create_user(c, "alice@example.com");
  auto gid = create_group(c, "Readers", json::array({{{"value", alice}}}));
  auto u = c.get("/scim/v2/Users/" + alice).json_body();
  REQUIRE(u.contains("groups"));
  REQUIRE(u["groups"].size() == 1);
  CHECK(u["groups"][0]["value"] == gid);
}
