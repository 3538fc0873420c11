// Admin API end to end (issue 4): roles (A1), admin keys (A2), users and
// their read-only rules (U1, U6-U8), the Trash and billing (U9, U10),
// groups (G2-G4), the audit trail (L1) and the OpenAPI document.

#include <ctime>
#include <cstdio>
#include <set>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

namespace {

response call(client& c, const std::string& key, const std::string& method, const std::string& path,
              const json& body = nullptr) {
  return admin_request(c, key, method, path, body);
}

std::string make_admin(client& c, const std::string& owner_key, const std::string& name, const std::string& role) {
  auto r = call(c, owner_key, "POST", "/admins", {{"name", name}, {"role", role}});
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json_body().at("key").get<std::string>();
}

json managed_user(const std::string& name) {
  return {{"emails", json::array({{{"value", name}, {"primary", true}}})},
          {"name", {{"givenName", "Ada"}, {"familyName", "Lovelace"}}}};
}

} // namespace

TEST_CASE("A1 role matrix: each role x directories, admins, users, groups, trash, actions", "[e2e][admin]") {
  daemon d;
  auto c = d.connect();
  std::map<std::string, std::string> keys{{"owner", d.admin_key()}};
  for (const char* role : {"administrator", "user_manager", "read_only"})
    keys[role] = make_admin(*c, d.admin_key(), std::string{"e2e "} + role, role);
  for (const auto& [role, key] : keys) {
    INFO("role " << role);
    bool writer = role != "read_only";
    int write_ok = writer ? 201 : 403;
    // Directories.
    CHECK(call(*c, key, "GET", "/directories").status == 200);
    CHECK(call(*c, key, "POST", "/directories", {{"type", "okta"}, {"name", "m-" + role}}).status == write_ok);
    // Admins: Owner only, reading included.
    CHECK(call(*c, key, "GET", "/admins").status == (role == "owner" ? 200 : 403));
    CHECK(call(*c, key, "POST", "/admins", {{"name", "x"}, {"role", "read_only"}}).status == (role == "owner" ? 201 : 403));
    // Users and billing.
    CHECK(call(*c, key, "GET", "/users").status == 200);
    CHECK(call(*c, key, "GET", "/billing").status == 200);
    CHECK(call(*c, key, "POST", "/users", {{"username", "matrix-" + role + "@example.com"}}).status == write_ok);
    // Groups.
    CHECK(call(*c, key, "GET", "/groups").status == 200);
    CHECK(call(*c, key, "POST", "/groups", {{"name", "Matrix " + role}}).status == write_ok);
    // Trash.
    CHECK(call(*c, key, "GET", "/trash").status == 200);
    CHECK(call(*c, key, "DELETE", "/trash/no-such-user").status == (writer ? 404 : 403));
    // Actions: everyone may read the audit trail.
    CHECK(call(*c, key, "GET", "/actions").status == 200);
    auto forbidden = call(*c, key, "PATCH", "/users/whoever", {{"status", "active"}});
    CHECK(forbidden.status == (writer ? 404 : 403));
    if (!writer)
      CHECK(forbidden.json_body()["status"] == 403);
  }
}

TEST_CASE("A2 an admin key is shown once, never listed, and a revoked key gets 401 at once", "[e2e][admin]") {
  daemon d;
  auto c = d.connect();
  auto created = call(*c, d.admin_key(), "POST", "/admins", {{"name", "Grace"}, {"role", "administrator"}});
  REQUIRE(created.status == 201);
  auto key = created.json_body()["key"].get<std::string>();
  auto id = created.json_body()["id"].get<std::string>();
  CHECK(key.size() >= 43); // 32 random bytes, base64url
  auto list = call(*c, d.admin_key(), "GET", "/admins");
  REQUIRE(list.status == 200);
  CHECK(list.body.find(key) == std::string::npos);
  CHECK(list.body.find("key_hash") == std::string::npos);
  CHECK(list.json_body()["admins"].size() == 2);
  CHECK(call(*c, d.admin_key(), "GET", "/admins/" + id).body.find(key) == std::string::npos);
  CHECK(call(*c, key, "GET", "/users").status == 200);
  CHECK(call(*c, d.admin_key(), "POST", "/admins", {{"name", "x"}, {"role", "superuser"}}).status == 400);

  auto revoked = call(*c, d.admin_key(), "DELETE", "/admins/" + id);
  REQUIRE(revoked.status == 200);
  CHECK(revoked.json_body()["revoked_at"].is_string());
  CHECK(call(*c, key, "GET", "/users").status == 401);
  CHECK(call(*c, key, "GET", "/directories").status == 401);
  CHECK(call(*c, d.admin_key(), "DELETE", "/admins/" + id).status == 404);
  // The audit trail names the change, never the key.
  auto actions = call(*c, d.admin_key(), "GET", "/actions?object=" + id);
  REQUIRE(actions.status == 200);
  CHECK(actions.json_body()["actions"].size() == 2);
  CHECK(actions.body.find(key) == std::string::npos);

  SECTION("the last Owner cannot be revoked") {
    auto owners = call(*c, d.admin_key(), "GET", "/admins").json_body()["admins"];
    std::string owner_id;
    for (auto& a : owners)
      if (a["role"] == "owner")
        owner_id = a["id"].get<std::string>();
    auto r = call(*c, d.admin_key(), "DELETE", "/admins/" + owner_id);
    CHECK(r.status == 409);
    auto second = make_admin(*c, d.admin_key(), "Second owner", "owner");
    CHECK(call(*c, second, "DELETE", "/admins/" + owner_id).status == 200);
    CHECK(call(*c, d.admin_key(), "GET", "/users").status == 401);
  }
}

TEST_CASE("U6 U7 U8 a managed user: mapped fields 409 naming field and directory, status editable, no delete",
          "[e2e][admin]") {
  fixture f{"okta"};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  auto id = create_user(*f.c, "ada@example.com", managed_user("ada@example.com"));
  auto view = call(*c, key, "GET", "/users/" + id);
  REQUIRE(view.status == 200);
  auto v = view.json_body();
  CHECK(v["username"] == "ada@example.com");
  CHECK(v["email"] == "ada@example.com");
  CHECK(v["first_name"] == "Ada");
  CHECK(v["last_name"] == "Lovelace");
  CHECK(v["status"] == "active");
  CHECK(v["managed_by"]["id"] == f.dir.id);
  CHECK(v["managed_by"]["name"] == "e2e");
  CHECK(v["trashed_at"].is_null());

  for (const char* field : {"email", "first_name", "last_name", "username"}) {
    auto r = call(*c, key, "PATCH", "/users/" + id, {{field, "changed@example.com"}});
    CHECK(r.status == 409);
    CHECK(r.json_body()["error"] == std::string{field} + " is managed by directory \"e2e\"");
  }
  auto status = call(*c, key, "PATCH", "/users/" + id, {{"status", "disabled"}});
  REQUIRE(status.status == 200);
  CHECK(status.json_body()["status"] == "disabled");
  CHECK(call(*c, key, "GET", "/users/" + id).json_body()["status"] == "disabled");
  CHECK(call(*c, key, "PATCH", "/users/" + id, {{"status", "asleep"}}).status == 400);
  // The SCIM view is untouched by the status (U4).
  auto scim = f.c->get("/scim/v2/Users/" + id);
  CHECK(scim.status == 200);
  CHECK(scim.json_body()["userName"] == "ada@example.com");

  auto del = call(*c, key, "DELETE", "/users/" + id);
  CHECK(del.status == 409);
  CHECK(del.json_body()["error"].get<std::string>().find("\"e2e\"") != std::string::npos);
  CHECK(call(*c, key, "GET", "/users/" + id).status == 200);
}

TEST_CASE("U1 unmanaged users: create, case-insensitive uniqueness, search, edit, delete", "[e2e][admin]") {
  fixture f{"okta"};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  auto r = call(*c, key, "POST", "/users",
                {{"username", "Bob@Example.com"}, {"email", "bob@example.com"}, {"first_name", "Bob"}});
  REQUIRE(r.status == 201);
  auto id = r.json_body()["id"].get<std::string>();
  CHECK(r.json_body()["managed_by"].is_null());
  CHECK(call(*c, key, "POST", "/users", {{"username", "bob@example.COM"}}).status == 409);
  // A managed username is taken organisation-wide too.
  create_user(*f.c, "carol@example.com");
  CHECK(call(*c, key, "POST", "/users", {{"username", "CAROL@example.com"}}).status == 409);

  auto found = call(*c, key, "GET", "/users?q=" + url_encode("BOB@"));
  REQUIRE(found.status == 200);
  REQUIRE(found.json_body()["users"].size() == 1);
  CHECK(found.json_body()["users"][0]["id"] == id);

  auto edit = call(*c, key, "PATCH", "/users/" + id, {{"email", "robert@example.com"}, {"last_name", "Builder"}});
  REQUIRE(edit.status == 200);
  CHECK(edit.json_body()["email"] == "robert@example.com");
  CHECK(edit.json_body()["last_name"] == "Builder");
  CHECK(edit.json_body()["first_name"] == "Bob");
  CHECK(call(*c, key, "PATCH", "/users/" + id, {{"username", "Carol@example.com"}}).status == 409);
  CHECK(call(*c, key, "PATCH", "/users/" + id, {{"email", 5}}).status == 400);

  CHECK(call(*c, key, "DELETE", "/users/" + id).status == 204);
  CHECK(call(*c, key, "GET", "/users/" + id).status == 404);
}

TEST_CASE("U9 U10 SCIM DELETE puts a user in the Trash: not billed, deletion date +7 days, permanent delete",
          "[e2e][admin]") {
  fixture f{"okta"};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  auto keep = create_user(*f.c, "keep@example.com");
  auto gone = create_user(*f.c, "gone@example.com");
  auto group = create_group(*f.c, "Team", json::array({{{"value", gone}}, {{"value", keep}}}));
  CHECK(call(*c, key, "GET", "/billing").json_body()["billable_users"] == 2);

  REQUIRE(f.c->del("/scim/v2/Users/" + gone).status == 204);
  CHECK(call(*c, key, "GET", "/billing").json_body()["billable_users"] == 1);
  auto users = call(*c, key, "GET", "/users").json_body()["users"];
  REQUIRE(users.size() == 1);
  CHECK(users[0]["id"] == keep);

  auto trash = call(*c, key, "GET", "/trash");
  REQUIRE(trash.status == 200);
  auto t = trash.json_body()["trash"];
  REQUIRE(t.size() == 1);
  CHECK(t[0]["id"] == gone);
  CHECK(t[0]["trash_reason"] == "deleted");
  REQUIRE(t[0]["trashed_at"].is_string());
  REQUIRE(t[0]["deletion_date"].is_string());
  CHECK(epoch_seconds(t[0]["deletion_date"].get<std::string>()) - epoch_seconds(t[0]["trashed_at"].get<std::string>()) == 7 * 24 * 3600);
  // Read-only while in the Trash.
  CHECK(call(*c, key, "PATCH", "/users/" + gone, {{"status", "bypass"}}).status == 409);

  CHECK(call(*c, key, "DELETE", "/trash/" + keep).status == 404); // not in the Trash
  CHECK(call(*c, key, "DELETE", "/trash/" + gone).status == 204);
  CHECK(call(*c, key, "GET", "/users/" + gone).status == 404);
  CHECK(call(*c, key, "GET", "/trash").json_body()["trash"].empty());
  CHECK(call(*c, key, "GET", "/groups/" + group).json_body()["members"] == 1);
  CHECK(call(*c, key, "GET", "/billing").json_body()["billable_users"] == 1);
  auto purge = call(*c, key, "GET", "/actions?action=user.purge").json_body()["actions"];
  REQUIRE(purge.size() == 1);
  CHECK(purge[0]["object"]["id"] == gone);
}

TEST_CASE("G2 G3 G5 managed groups: admin name per type, member edits 409, status and description editable",
          "[e2e][admin]") {
  fixture f{"okta"};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  auto user = create_user(*f.c, "member@example.com");
  auto group = create_group(*f.c, "Engineering", json::array({{{"value", user}}}));
  auto g = call(*c, key, "GET", "/groups/" + group);
  REQUIRE(g.status == 200);
  CHECK(g.json_body()["name"] == "Engineering from Okta Sync \"e2e\"");
  CHECK(g.json_body()["display_name"] == "Engineering");
  CHECK(g.json_body()["members"] == 1);
  CHECK(f.c->get("/scim/v2/Groups/" + group).json_body()["displayName"] == "Engineering");

  auto entra = f.d.create_directory("entra", "Entra prod");
  auto ec = f.d.connect();
  ec->set_token(entra.token);
  auto eg = create_group(*ec, "Engineering");
  CHECK(call(*c, key, "GET", "/groups/" + eg).json_body()["name"] == "Engineering from Entra ID Sync \"Entra prod\"");
  auto generic = f.d.create_directory("generic", "Script");
  auto gc = f.d.connect();
  gc->set_token(generic.token);
  auto gg = create_group(*gc, "Ops");
  CHECK(call(*c, key, "GET", "/groups/" + gg).json_body()["name"] == "Ops from SCIM Sync \"Script\"");
  CHECK(call(*c, key, "GET", "/groups").json_body()["groups"].size() == 3);

  auto other = call(*c, key, "POST", "/users", {{"username", "loose@example.com"}}).json_body()["id"].get<std::string>();
  auto add = call(*c, key, "POST", "/groups/" + group + "/members/" + other);
  CHECK(add.status == 409);
  CHECK(add.json_body()["error"] == "members is managed by directory \"e2e\"");
  CHECK(call(*c, key, "DELETE", "/groups/" + group + "/members/" + user).status == 409);
  CHECK(call(*c, key, "DELETE", "/groups/" + group).status == 409);
  CHECK(call(*c, key, "PATCH", "/groups/" + group, {{"name", "Renamed"}}).status == 409);

  auto edit = call(*c, key, "PATCH", "/groups/" + group, {{"status", "disabled"}, {"description", "Builders"}});
  REQUIRE(edit.status == 200);
  CHECK(edit.json_body()["status"] == "disabled");
  CHECK(edit.json_body()["description"] == "Builders");
  CHECK(call(*c, key, "GET", "/groups/" + group).json_body()["users"].size() == 1);
}

TEST_CASE("G4 an unmanaged group holds only unmanaged users", "[e2e][admin]") {
  fixture f{"okta"};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  auto managed = create_user(*f.c, "managed@example.com");
  auto loose = call(*c, key, "POST", "/users", {{"username", "loose@example.com"}}).json_body()["id"].get<std::string>();
  auto g = call(*c, key, "POST", "/groups", {{"name", "Contractors"}});
  REQUIRE(g.status == 201);
  auto id = g.json_body()["id"].get<std::string>();
  CHECK(g.json_body()["name"] == "Contractors");
  CHECK(call(*c, key, "POST", "/groups/" + id + "/members/" + loose).status == 204);
  CHECK(call(*c, key, "POST", "/groups/" + id + "/members/" + managed).status == 409);
  CHECK(call(*c, key, "GET", "/groups/" + id).json_body()["members"] == 1);
  CHECK(call(*c, key, "DELETE", "/groups/" + id + "/members/" + loose).status == 204);
  CHECK(call(*c, key, "GET", "/groups/" + id).json_body()["members"] == 0);
  CHECK(call(*c, key, "DELETE", "/groups/" + id).status == 204);
  CHECK(call(*c, key, "GET", "/groups/" + id).status == 404);
}

TEST_CASE("L1 audit trail: query by action and directory, newest first, paginated by cursor", "[e2e][admin]") {
  fixture f{"okta"};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(create_user(*f.c, "audit" + std::to_string(i) + "@example.com"));
  auto other = f.d.create_directory("okta", "other");
  auto oc = f.d.connect();
  oc->set_token(other.token);
  create_user(*oc, "elsewhere@example.com");
  REQUIRE(call(*c, key, "PATCH", "/users/" + ids[0], {{"status", "bypass"}}).status == 200);

  // By action, two per page.
  auto first = call(*c, key, "GET", "/actions?action=user.create&directory=" + f.dir.id + "&limit=2");
  REQUIRE(first.status == 200);
  auto page1 = first.json_body();
  REQUIRE(page1["actions"].size() == 2);
  REQUIRE(page1["next_cursor"].is_string());
  CHECK(page1["actions"][0]["object"]["id"] == ids[2]);
  CHECK(page1["actions"][1]["object"]["id"] == ids[1]);
  CHECK(page1["actions"][0]["seq"].get<std::int64_t>() > page1["actions"][1]["seq"].get<std::int64_t>());
  CHECK(page1["actions"][0]["actor"]["kind"] == "directory");
  CHECK(page1["actions"][0]["actor"]["id"] == f.dir.id);
  auto second = call(*c, key, "GET", "/actions?action=user.create&directory=" + f.dir.id + "&limit=2&cursor="
                                       + page1["next_cursor"].get<std::string>());
  REQUIRE(second.status == 200);
  auto page2 = second.json_body();
  REQUIRE(page2["actions"].size() == 1);
  CHECK(page2["actions"][0]["object"]["id"] == ids[0]);
  CHECK(page2["next_cursor"].is_null());

  // By directory: its pushes and the changes made to it, not the other's.
  auto by_dir = call(*c, key, "GET", "/actions?directory=" + other.id).json_body()["actions"];
  std::set<std::string> actions;
  for (auto& a : by_dir) {
    CHECK((a["actor"]["id"] == other.id || a["object"]["id"] == other.id));
    actions.insert(a["action"].get<std::string>());
  }
  CHECK(actions.count("user.create") == 1);
  CHECK(actions.count("directory.create") == 1);

  // The admin's change, with old and new values.
  auto upd = call(*c, key, "GET", "/actions?action=user.update&object=" + ids[0]).json_body()["actions"];
  REQUIRE(upd.size() == 1);
  CHECK(upd[0]["actor"]["kind"] == "admin");
  CHECK(upd[0]["details"]["status"]["old"] == "active");
  CHECK(upd[0]["details"]["status"]["new"] == "bypass");
  CHECK(call(*c, key, "GET", "/actions?limit=1001").status == 400);
  CHECK(call(*c, key, "GET", "/actions?since=2999-01-01T00:00:00Z").json_body()["actions"].empty());
}

TEST_CASE("OpenAPI document of the admin API is served", "[e2e][admin]") {
  daemon d;
  auto c = d.connect();
  auto r = call(*c, d.admin_key(), "GET", "/openapi.json");
  REQUIRE(r.status == 200);
  auto doc = r.json_body();
  CHECK(doc["openapi"] == "3.0.3");
  for (const char* p : {"/directories", "/directories/{id}/complete", "/admins", "/users/{id}", "/trash/{id}",
                        "/groups/{id}/members/{user_id}", "/actions", "/billing"})
    CHECK(doc["paths"].contains(p));
  CHECK(call(*c, "-", "GET", "/openapi.json").status == 401);
}
