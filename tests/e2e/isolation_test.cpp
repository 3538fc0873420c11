// S9: a token of directory B can never read, list, filter, change or delete
// directory A's users or groups, not even with ids copied from A.

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

TEST_CASE("S9 directory isolation with copied ids", "[e2e][isolation]") {
  daemon d;
  auto a = d.create_directory("okta", "A");
  auto b = d.create_directory("entra", "B");
  auto ca = d.connect();
  ca->set_token(a.token);
  auto cb = d.connect();
  cb->set_token(b.token);

  auto user = create_user(*ca, "shared.name@example.com", {{"externalId", "ext-a"}});
  auto group = create_group(*ca, "A-Group", json::array({{{"value", user}}}));
  const auto user_url = "/scim/v2/Users/" + user;
  const auto group_url = "/scim/v2/Groups/" + group;
  auto user_before = ca->get(user_url).json_body();

  SECTION("reads by id") {
    check_scim_error(cb->get(user_url), 404);
    check_scim_error(cb->get(group_url), 404);
  }
  SECTION("lists and filters") {
    auto users = cb->get("/scim/v2/Users");
    REQUIRE(users.status == 200);
    CHECK(users.json_body()["totalResults"] == 0);
    auto groups = cb->get("/scim/v2/Groups");
    REQUIRE(groups.status == 200);
    CHECK(groups.json_body()["totalResults"] == 0);
    for (auto filter : {"userName eq \"shared.name@example.com\"", "externalId eq \"ext-a\"",
                        "id eq \"ID\"", "userName pr"}) {
      std::string f = filter;
      if (auto at = f.find("ID"); at != std::string::npos)
        f.replace(at, 2, user);
      auto r = cb->get("/scim/v2/Users?filter=" + url_encode(f));
      INFO(f << " -> " << r.body);
      REQUIRE(r.status == 200);
      CHECK(r.json_body()["totalResults"] == 0);
    }
    auto g = cb->get("/scim/v2/Groups?filter=" + url_encode("displayName eq \"A-Group\""));
    REQUIRE(g.status == 200);
    CHECK(g.json_body()["totalResults"] == 0);
    auto search = cb->post("/scim/v2/Users/.search", json{{"schemas", {search_urn}}, {"filter", "userName pr"}});
    REQUIRE(search.status == 200);
    CHECK(search.json_body()["totalResults"] == 0);
  }
  SECTION("writes by id") {
    check_scim_error(cb->put(user_url, user_body("hijack@example.com")), 404);
    check_scim_error(cb->patch(user_url, patch_body(json::array({{{"op", "replace"}, {"value", {{"active", false}}}}}))),
                     404);
    check_scim_error(cb->del(user_url), 404);
    check_scim_error(cb->put(group_url, group_body("hijacked")), 404);
    check_scim_error(cb->patch(group_url, patch_body(json::array({{{"op", "remove"}, {"path", "members"}}}))), 404);
    check_scim_error(cb->del(group_url), 404);
  }
  SECTION("B's group cannot take A's user as a member") {
    auto r = cb->post("/scim/v2/Groups", group_body("B-Group", json::array({{{"value", user}}})));
    INFO(r.body);
    if (r.status == 201) {
      auto gj = cb->get("/scim/v2/Groups/" + r.json_body()["id"].get<std::string>()).json_body();
      CHECK((!gj.contains("members") || gj["members"].empty()));
    } else {
      check_scim_error(r, 400);
    }
  }
  SECTION("U1 U3 a userName owned by another active directory -> 409 uniqueness") {
    auto r = cb->post("/scim/v2/Users", user_body("SHARED.name@example.com"));
    check_scim_error(r, 409, "uniqueness");
    CHECK(cb->get("/scim/v2/Users").json_body()["totalResults"] == 0);
  }
  // Whatever B tried, A's data is unchanged.
  auto user_after = ca->get(user_url);
  REQUIRE(user_after.status == 200);
  CHECK(user_after.json_body() == user_before);
  auto g = ca->get(group_url);
  REQUIRE(g.status == 200);
  CHECK(g.json_body()["displayName"] == "A-Group");
  REQUIRE(g.json_body()["members"].size() == 1);
  CHECK(ca->get("/scim/v2/Users").json_body()["totalResults"] == 1);
}
