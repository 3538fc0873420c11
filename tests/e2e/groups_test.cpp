// Group rules through SCIM against the real daemon (SPEC G1, G4, G7, S4, S5).

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

} // namespace

TEST_CASE("G1 group displayName is unique within a directory, case-insensitively", "[e2e][groups]") {
  daemon d;
  auto a = d.create_directory("okta", "A");
  auto b = d.create_directory("okta", "B");
  auto ca = d.connect();
  ca->set_token(a.token);
  auto cb = d.connect();
  cb->set_token(b.token);
  auto gid = create_group(*ca, "Sales");
  check_scim_error(ca->post("/scim/v2/Groups", group_body("SALES")), 409, "uniqueness");
  auto other = create_group(*ca, "Marketing");
  check_scim_error(ca->put("/scim/v2/Groups/" + other, group_body("sales")), 409, "uniqueness");
  CHECK(ca->get("/scim/v2/Groups/" + other).json_body()["displayName"] == "Marketing");
  // G4: same-named groups may exist in several directories.
  CHECK(cb->post("/scim/v2/Groups", group_body("Sales")).status == 201);
  CHECK(ca->get("/scim/v2/Groups").json_body()["totalResults"] == 2);
  CHECK(ca->get("/scim/v2/Groups/" + gid).status == 200);
}

TEST_CASE("G4 a member that is not a user of the directory is refused", "[e2e][groups]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto uid = create_user(c, "real@example.com");
  check_scim_error(c.post("/scim/v2/Groups", group_body("Ghosts", json::array({{{"value", "no-such-user"}}}))), 400);
  CHECK(c.get("/scim/v2/Groups").json_body()["totalResults"] == 0);
  auto gid = create_group(c, "Real", json::array({{{"value", uid}}}));
  auto r = c.patch("/scim/v2/Groups/" + gid, patch_body(json::array({{{"op", "add"}, {"path", "members"},
                                                                       {"value", json::array({{{"value", "nope"}}})}}})));
  CHECK(r.status == 400);
  CHECK(member_ids(c.get("/scim/v2/Groups/" + gid).json_body()) == std::set<std::string>{uid});
}

TEST_CASE("S4 group members: PUT replaces, remove without filter clears, deleted users leave", "[e2e][groups]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto u1 = create_user(c, "u1@example.com");
  auto u2 = create_user(c, "u2@example.com");
  auto u3 = create_user(c, "u3@example.com");
  auto gid = create_group(c, "Team", json::array({{{"value", u1}}, {{"value", u2}}}));
  const auto url = "/scim/v2/Groups/" + gid;
  auto before = c.get(url);
  REQUIRE(before.status == 200);
  auto bj = before.json_body();
  CHECK(member_ids(bj) == std::set<std::string>{u1, u2});
  CHECK(bj["meta"]["resourceType"] == "Group");

  SECTION("PUT replaces the member list") {
    auto put = c.put(url, group_body("Team", json::array({{{"value", u3}}})));
    INFO(put.body);
    REQUIRE(put.status == 200);
    CHECK(member_ids(c.get(url).json_body()) == std::set<std::string>{u3});
    CHECK(put.header("ETag") != before.header("ETag"));
    CHECK(put.json_body()["meta"]["created"] == bj["meta"]["created"]);
  }
  SECTION("remove with path members and no value clears the list") {
    auto r = c.patch(url, patch_body(json::array({{{"op", "remove"}, {"path", "members"}}})));
    CHECK(r.status == 204);
    CHECK(member_ids(c.get(url).json_body()).empty());
    CHECK(c.get("/scim/v2/Users/" + u1).status == 200);
  }
  SECTION("a deleted user leaves its groups") {
    REQUIRE(c.del("/scim/v2/Users/" + u1).status == 204);
    CHECK(c.get("/scim/v2/Users/" + u1).status == 404);
    CHECK(member_ids(c.get(url).json_body()) == std::set<std::string>{u2});
  }
  SECTION("a deleted group leaves its users' groups attribute") {
    REQUIRE(c.del(url).status == 204);
    auto u = c.get("/scim/v2/Users/" + u1).json_body();
    CHECK((!u.contains("groups") || u["groups"].empty()));
    check_scim_error(c.del(url), 404);
  }
  SECTION("list with attributes=displayName") {
    auto list = c.get("/scim/v2/Groups?attributes=displayName");
    REQUIRE(list.status == 200);
    auto lj = list.json_body();
    REQUIRE(lj["Resources"].size() == 1);
    CHECK(lj["Resources"][0]["displayName"] == "Team");
    CHECK(lj["Resources"][0]["id"] == gid);
    CHECK(!lj["Resources"][0].contains("members"));
  }
}

TEST_CASE("S6 bad PATCH operations are refused and change nothing", "[e2e][groups]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto gid = create_group(c, "Stable");
  const auto url = "/scim/v2/Groups/" + gid;
  auto etag = c.get(url).header("ETag");
  check_scim_error(c.patch(url, patch_body(json::array({{{"op", "frob"}, {"path", "displayName"}, {"value", "x"}}}))),
                   400);
  check_scim_error(c.patch(url, patch_body(json::array({{{"op", "replace"}, {"path", "displayName"}, {"value", 5}}}))),
                   400);
  check_scim_error(c.patch(url, patch_body(json::array({{{"op", "replace"}, {"path", "displayName"}, {"value", "ok"}},
                                                        {{"op", "add"}, {"path", "bogus[["}, {"value", "x"}}}))),
                   400);
  check_scim_error(c.patch(url, patch_body("not an array")), 400);
  auto after = c.get(url);
  CHECK(after.json_body()["displayName"] == "Stable");
  CHECK(after.header("ETag") == etag);
}
