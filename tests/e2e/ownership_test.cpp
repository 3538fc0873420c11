// Directory sync rules end to end (issue 4): ownership across directories
// (U1-U3), the Trash and restore (U9), deleting a directory (D10), the
// directory list (D11) and the audit of pushes (L1).

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

namespace {

response admin(client& c, const daemon& d, const std::string& method, const std::string& path,
               const json& body = nullptr) {
  return admin_request(c, d.admin_key(), method, path, body);
}

// The actions of one kind recorded for an object, newest first.
json actions(client& c, const daemon& d, const std::string& action) {
  auto r = admin(c, d, "GET", "/actions?action=" + action + "&limit=100");
  REQUIRE(r.status == 200);
  return r.json_body().at("actions");
}

json directory_view(client& c, const daemon& d, const std::string& id) {
  auto r = admin(c, d, "GET", "/directories/" + id);
  REQUIRE(r.status == 200);
  return r.json_body();
}

} // namespace

TEST_CASE("U3 a user of another active directory is refused, then taken over when it pauses",
          "[e2e][sync]") {
  daemon d;
  auto a = d.create_directory("okta", "Okta A");
  auto b = d.create_directory("entra", "Entra B");
  auto c = d.connect();
  c->set_token(a.token);
  auto id = create_user(*c, "shared@example.com", {{"name", {{"givenName", "Sam"}}}});

  c->set_token(b.token);
  auto refused = c->post("/scim/v2/Users", user_body("SHARED@example.com"));
  check_scim_error(refused, 409, "uniqueness");
  auto detail = refused.json_body().at("detail").get<std::string>();
  CHECK(detail.rfind("Cannot sync a user belonging to another directory sync unless that sync is paused", 0) == 0);
  CHECK(detail.find("Okta A") != std::string::npos);
  CHECK(detail.find(a.token) == std::string::npos);
  // Other users of the same push are unaffected.
  create_user(*c, "other@example.com");
  // The refusal is an Admin Action against the pushing directory.
  auto conflicts = actions(*c, d, "user.conflict");
  REQUIRE(conflicts.size() == 1);
  CHECK(conflicts[0].at("actor").at("id") == b.id);
  CHECK(conflicts[0].at("actor").at("kind") == "directory");
  CHECK(conflicts[0].at("result") == "refused");

  REQUIRE(admin(*c, d, "POST", "/directories/" + a.id + "/pause").status == 200);
  auto taken = c->post("/scim/v2/Users", user_body("shared@example.com", {{"name", {{"givenName", "Sue"}}}}));
  REQUIRE(taken.status == 201);
  CHECK(taken.json_body().at("id") == id);
  CHECK(taken.json_body().at("name").at("givenName") == "Sue");
  CHECK(actions(*c, d, "user.takeover").size() == 1);
  // Directory A no longer sees the user; B does.
  c->set_token(b.token);
  CHECK(c->get("/scim/v2/Users/" + id).status == 200);
  REQUIRE(admin(*c, d, "POST", "/directories/" + a.id + "/resume").status == 200);
  c->set_token(a.token);
  CHECK(c->get("/scim/v2/Users/" + id).status == 404);
}

TEST_CASE("U2 a push for an unmanaged user adopts it and overwrites its attributes", "[e2e][sync]") {
  fixture f{"okta"};
  auto made = admin(*f.c, f.d, "POST", "/users",
                    {{"username", "walk.in@example.com"}, {"email", "old@example.com"}, {"first_name", "Old"},
                     {"last_name", "Name"}});
  REQUIRE(made.status == 201);
  auto unmanaged_id = made.json_body().at("id").get<std::string>();
  auto adopted = f.c->post("/scim/v2/Users",
                           user_body("walk.in@example.com",
                                     {{"emails", {{{"value", "new@example.com"}, {"primary", true}}}}}));
  REQUIRE(adopted.status == 201);
  CHECK(adopted.json_body().at("id") == unmanaged_id);
  auto view = admin(*f.c, f.d, "GET", "/users/" + unmanaged_id);
  REQUIRE(view.status == 200);
  CHECK(view.json_body().at("email") == "new@example.com");
  CHECK(view.json_body().at("managed_by").at("id") == f.dir.id);
  CHECK(actions(*f.c, f.d, "user.adopt").size() == 1);
}

TEST_CASE("U9 deleted or deactivated users go to the Trash and come back when re-provisioned",
          "[e2e][sync]") {
  fixture f{"okta"};
  auto id = create_user(*f.c, "gone@example.com");
  REQUIRE(f.c->del("/scim/v2/Users/" + id).status == 204);
  CHECK(f.c->get("/scim/v2/Users/" + id).status == 404);
  auto trash = admin(*f.c, f.d, "GET", "/trash");
  REQUIRE(trash.status == 200);
  CHECK(trash.body.find(id) != std::string::npos);
  CHECK(directory_view(*f.c, f.d, f.dir.id).at("managed_users") == 0);

  // Provisioning the same userName again restores the same user.
  auto back = f.c->post("/scim/v2/Users", user_body("GONE@example.com"));
  REQUIRE(back.status == 201);
  CHECK(back.json_body().at("id") == id);
  CHECK(admin(*f.c, f.d, "GET", "/trash").body.find(id) == std::string::npos);
  CHECK(actions(*f.c, f.d, "user.restore").size() == 1);

  // Deactivation trashes but the IdP still reads the user back; reactivation restores.
  auto off = f.c->patch("/scim/v2/Users/" + id,
                        patch_body({{{"op", "replace"}, {"value", {{"active", false}}}}}));
  REQUIRE(off.status == 200);
  CHECK(f.c->get("/scim/v2/Users/" + id).json_body().at("active") == false);
  CHECK(admin(*f.c, f.d, "GET", "/trash").body.find(id) != std::string::npos);
  auto on = f.c->patch("/scim/v2/Users/" + id,
                       patch_body({{{"op", "replace"}, {"value", {{"active", true}}}}}));
  REQUIRE(on.status == 200);
  CHECK(admin(*f.c, f.d, "GET", "/trash").body.find(id) == std::string::npos);
}

TEST_CASE("D10 deleting a directory keeps its objects unmanaged and kills its token", "[e2e][sync]") {
  fixture f{"okta"};
  auto user = create_user(*f.c, "kept@example.com");
  auto group = create_group(*f.c, "Sales", json::array({{{"value", user}}}));
  auto listed = directory_view(*f.c, f.d, f.dir.id);
  CHECK(listed.at("managed_users") == 1);
  CHECK(listed.at("managed_groups") == 1);
  CHECK(listed.at("status") == "connected");
  CHECK_FALSE(listed.at("last_push_at").is_null());

  REQUIRE(admin(*f.c, f.d, "DELETE", "/directories/" + f.dir.id).status == 204);
  check_scim_error(f.c->get("/scim/v2/Users/" + user), 401);
  CHECK(admin(*f.c, f.d, "GET", "/directories/" + f.dir.id).status == 404);
  auto g = admin(*f.c, f.d, "GET", "/groups/" + group);
  REQUIRE(g.status == 200);
  CHECK(g.body.find("Sales (formerly from \\\"e2e\\\")") != std::string::npos);
  auto u = admin(*f.c, f.d, "GET", "/users/" + user);
  REQUIRE(u.status == 200);
  CHECK(u.json_body().at("managed_by").is_null());
  CHECK(actions(*f.c, f.d, "directory.delete").size() == 1);
}

TEST_CASE("L1 every effect of a push is an Admin Action without secrets", "[e2e][sync]") {
  fixture f{"okta"};
  auto id = create_user(*f.c, "audited@example.com", {{"password", "hunter2-secret"}});
  REQUIRE(f.c->patch("/scim/v2/Users/" + id,
                     patch_body({{{"op", "replace"}, {"path", "displayName"}, {"value", "Audited"}}}))
            .status == 200);
  auto updates = actions(*f.c, f.d, "user.update");
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].at("details").dump().find("Audited") != std::string::npos);
  auto all = admin(*f.c, f.d, "GET", "/actions?limit=1000");
  CHECK(all.body.find("hunter2-secret") == std::string::npos);
  CHECK(all.body.find(f.dir.token) == std::string::npos);
}

TEST_CASE("G6 removing a group from the configuration unmanages it and trashes its only-members",
          "[e2e][sync]") {
  fixture f{"okta"};
  auto only = create_user(*f.c, "only@example.com");
  auto both = create_user(*f.c, "both@example.com");
  auto removed = create_group(*f.c, "Removed", json::array({{{"value", only}}, {{"value", both}}}));
  create_group(*f.c, "Kept", json::array({{{"value", both}}}));

  auto r = admin(*f.c, f.d, "DELETE", "/directories/" + f.dir.id + "/groups/" + removed);
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.json_body().at("trashed_users") == 1);
  auto trash = admin(*f.c, f.d, "GET", "/trash").body;
  CHECK(trash.find(only) != std::string::npos);
  CHECK(trash.find(both) == std::string::npos);
  auto g = admin(*f.c, f.d, "GET", "/groups/" + removed);
  REQUIRE(g.status == 200);
  CHECK(g.body.find("Removed (formerly from \\\"e2e\\\")") != std::string::npos);
  // The directory no longer sees the group; a second removal is a 404.
  CHECK(f.c->get("/scim/v2/Groups/" + removed).status == 404);
  CHECK(admin(*f.c, f.d, "DELETE", "/directories/" + f.dir.id + "/groups/" + removed).status == 404);
  CHECK(actions(*f.c, f.d, "group.unmanage").size() == 1);
}
