// Attribute mapping end to end (D3, D12, U4, U6) and effective status (G5):
// the admin configures mappings, Okta pushes, the admin view follows at the
// next push while the SCIM view keeps what was pushed.

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

namespace {

struct mapped_fixture {
  fixture f{"okta"};
  std::unique_ptr<client> admin = f.d.connect();

  response call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return admin_request(*admin, f.d.admin_key(), method, path, body);
  }
  json mappings() {
    auto r = call("GET", "/directories/" + f.dir.id + "/mappings");
    REQUIRE(r.status == 200);
    return r.json_body();
  }
  response add(const json& body) { return call("POST", "/directories/" + f.dir.id + "/mappings", body); }
  json user(const std::string& id) {
    auto r = call("GET", "/users/" + id);
    REQUIRE(r.status == 200);
    return r.json_body();
  }
  response edit(const std::string& id, const json& body) { return call("PATCH", "/users/" + id, body); }
  // An Okta-style PATCH replacing one attribute of a user (a "push").
  void push(const std::string& id, const std::string& path, const json& value, const char* op = "replace") {
    json operation{{"op", op}, {"path", path}};
    if (!value.is_null())
      operation["value"] = value;
    auto r = f.c->patch("/scim/v2/Users/" + id, patch_body(json::array({operation})));
    INFO(r.body);
    REQUIRE(r.status == 200);
  }
};

json okta_user(const std::string& name, const json& more = json::object()) {
  json u{{"emails", json::array({{{"value", name}, {"primary", true}, {"type", "work"}}})},
         {"name", {{"givenName", "Grace"}, {"familyName", "Hopper"}}},
         {"displayName", "Amazing Grace"}};
  u.update(more);
  return u;
}

std::string error_of(const response& r) {
  return r.json_body().value("error", std::string{});
}

} // namespace

TEST_CASE("D3 the four required mappings exist from creation and cannot be removed or changed", "[e2e][mapping]") {
  mapped_fixture m;
  auto view = m.mappings();
  REQUIRE(view["required"].size() == 4);
  std::map<std::string, std::string> required;
  for (const auto& r : view["required"])
    required[r["source"]] = r["destination"];
  CHECK(required == std::map<std::string, std::string>{{"userName", "username"},
                                                       {"emails", "email"},
                                                       {"name.givenName", "first_name"},
                                                       {"name.familyName", "last_name"}});
  CHECK(view["mappings"].empty());
  for (const char* source : {"userName", "emails", "name.givenName", "name.familyName"}) {
    INFO(source);
    auto del = m.call("DELETE", "/directories/" + m.f.dir.id + "/mappings/" + source);
    CHECK(del.status == 409);
    CHECK(error_of(del).find("required") != std::string::npos);
    CHECK(m.add({{"source", source}, {"destination", "notes"}}).status == 400);
  }
  // Nothing may map into a required destination either.
  auto into_email = m.add({{"source", "title"}, {"destination", "email"}});
  CHECK(into_email.status == 400);
  CHECK(error_of(into_email).find("required") != std::string::npos);
  CHECK(m.mappings()["mappings"].empty());
}

TEST_CASE("D3 catalog: suggested destinations, fixed phoneNumbers, one mapping per destination, delete",
          "[e2e][mapping]") {
  mapped_fixture m;
  auto catalog = m.mappings()["catalog"];
  std::map<std::string, json> by_source;
  for (const auto& e : catalog)
    by_source[e["source"]] = e;
  for (const char* core : {"displayName", "nickName", "title", "userType", "preferredLanguage", "locale",
                           "timezone", "phoneNumbers", "addresses"})
    CHECK(by_source.count(core) == 1);
  for (const char* ent : {"employeeNumber", "costCenter", "organization", "division", "department", "manager.value"})
    CHECK(by_source.count(std::string{enterprise_urn} + ":" + ent) == 1);
  CHECK(by_source["displayName"]["suggested_destination"] == "display_name");
  CHECK(by_source["phoneNumbers"]["suggested_destination"] == "phones");
  CHECK(by_source["phoneNumbers"]["fixed"] == true);

  // Without a destination the suggestion is taken; a custom destination is
  // created as a custom attribute of the organisation.
  auto title = m.add({{"source", "title"}});
  INFO(title.body);
  REQUIRE(title.status == 201);
  CHECK(title.json_body()["mappings"][0]["destination"] == "custom:title");
  auto customs = m.call("GET", "/custom-attributes").json_body()["custom_attributes"];
  REQUIRE(customs.size() == 1);
  CHECK(customs[0]["name"] == "title");

  // Short enterprise names resolve to the extension's URN.
  auto dept = m.add({{"source", "department"}, {"destination", "notes"}});
  REQUIRE(dept.status == 201);
  CHECK(m.mappings()["mappings"][1]["source"] == std::string{enterprise_urn} + ":department");

  // One mapping per destination (custom names compare case-insensitively),
  // one per source.
  auto taken = m.add({{"source", "nickName"}, {"destination", "custom:TITLE"}});
  CHECK(taken.status == 409);
  CHECK(error_of(taken) == "the destination custom:TITLE is already used by the mapping of title");
  CHECK(m.add({{"source", "nickName"}, {"destination", "notes"}}).status == 409);
  CHECK(m.add({{"source", "title"}, {"destination", "username_alias_1"}}).status == 409);

  // phoneNumbers goes to Phones only; Phones takes phoneNumbers only.
  CHECK(m.add({{"source", "phoneNumbers"}, {"destination", "notes"}}).status == 400);
  CHECK(m.add({{"source", "nickName"}, {"destination", "phones"}}).status == 400);
  CHECK(m.add({{"source", "phoneNumbers"}}).status == 201);
  CHECK(m.call("PATCH", "/directories/" + m.f.dir.id + "/mappings/phoneNumbers", {{"destination", "notes"}}).status
        == 400);
  // Bad names and unknown sources are clear 400s.
  CHECK(m.add({{"source", "favouriteColour"}}).status == 400);
  CHECK(m.add({{"source", "nickName"}, {"destination", "custom:bad\"name"}}).status == 400);
  CHECK(m.add({{"source", "nickName"}, {"destination", "username_alias_9"}}).status == 400);

  // A batch is all or nothing.
  auto batch = m.add({{"mappings", json::array({{{"source", "nickName"}, {"destination", "username_alias_1"}},
                                                {{"source", "locale"}, {"destination", "username_alias_1"}}})}});
  CHECK(batch.status == 409);
  CHECK(m.mappings()["mappings"].size() == 3);

  // Change a destination, then delete the mapping; a mapped custom attribute
  // cannot be deleted.
  CHECK(m.call("DELETE", "/custom-attributes/title").status == 409);
  auto moved = m.call("PATCH", "/directories/" + m.f.dir.id + "/mappings/department", {{"destination", "username_alias_2"}});
  REQUIRE(moved.status == 200);
  CHECK(moved.json_body()["old"] == "notes");
  CHECK(m.call("DELETE", "/directories/" + m.f.dir.id + "/mappings/title").status == 200);
  CHECK(m.call("DELETE", "/directories/" + m.f.dir.id + "/mappings/title").status == 404);
  CHECK(m.call("DELETE", "/custom-attributes/title").status == 204);
  auto left = m.mappings()["mappings"];
  REQUIRE(left.size() == 2);
  CHECK(left[0]["destination"] == "username_alias_2");
  CHECK(left[1]["destination"] == "phones");

  // Each change is an Admin Action (L1).
  auto actions = m.call("GET", "/actions?directory=" + m.f.dir.id + "&action=directory.mapping.add").json_body();
  CHECK(actions["actions"].size() == 3);
}

TEST_CASE("D3 select all maps every catalog attribute to its suggestion; the next push fills them",
          "[e2e][mapping]") {
  mapped_fixture m;
  auto all = m.add({{"select_all", true}});
  INFO(all.body);
  REQUIRE(all.status == 200);
  CHECK(all.json_body()["added"].size() == m.mappings()["catalog"].size());
  CHECK(all.json_body()["skipped"].empty());
  // Again: nothing left to add.
  auto again = m.add({{"select_all", true}});
  REQUIRE(again.status == 200);
  CHECK(again.json_body()["added"].empty());

  json ent{{"employeeNumber", "E-42"}, {"department", "Compilers"}, {"manager", {{"value", "boss-1"}}}};
  auto id = create_user(*m.f.c, "grace@example.com",
                        okta_user("grace@example.com",
                                  {{"title", "Rear Admiral"},
                                   {"nickName", "amazing"},
                                   {"phoneNumbers", json::array({{{"value", "+1 555 0100"}, {"type", "mobile"}}})},
                                   {"addresses", json::array({{{"streetAddress", "1 Navy Way"},
                                                              {"locality", "Arlington"},
                                                              {"country", "US"}}})},
                                   {"schemas", json::array({user_urn, enterprise_urn})},
                                   {enterprise_urn, ent}}));
  auto u = m.user(id);
  CHECK(u["display_name"] == "Amazing Grace");
  CHECK(u["custom_attributes"]["title"] == "Rear Admiral");
  CHECK(u["custom_attributes"]["nickName"] == "amazing");
  CHECK(u["custom_attributes"]["employeeNumber"] == "E-42");
  CHECK(u["custom_attributes"]["department"] == "Compilers");
  CHECK(u["custom_attributes"]["manager"] == "boss-1");
  CHECK(u["custom_attributes"]["address"] == "1 Navy Way, Arlington, US");
  REQUIRE(u["phones"].size() == 1);
  CHECK(u["phones"][0] == json{{"number", "+1 555 0100"}, {"type", "mobile"}});
  // U6: all of these are now read-only for admins.
  auto phones = m.edit(id, {{"phones", json::array({{{"number", "+1 555 0199"}}})}});
  CHECK(phones.status == 409);
  CHECK(error_of(phones) == "phones is managed by directory \"e2e\"");
  auto custom = m.edit(id, {{"custom_attributes", {{"title", "Captain"}}}});
  CHECK(custom.status == 409);
  CHECK(error_of(custom) == "custom_attributes.title is managed by directory \"e2e\"");
  // A push that drops a mapped attribute clears it (the IdP is the source).
  m.push(id, "title", nullptr, "remove");
  CHECK_FALSE(m.user(id)["custom_attributes"].contains("title"));
}

TEST_CASE("U6 seed example 1: Notes not mapped stays editable; username, names, email and display name do not",
          "[e2e][mapping]") {
  mapped_fixture m;
  auto id = create_user(*m.f.c, "notes@example.com", okta_user("notes@example.com"));
  auto u = m.user(id);
  // Without a Display Name mapping the admin view shows "First Last".
  CHECK(u["display_name"] == "Grace Hopper");
  CHECK(u["notes"] == "");
  auto ok = m.edit(id, {{"notes", "met at the conference"}});
  REQUIRE(ok.status == 200);
  CHECK(ok.json_body()["notes"] == "met at the conference");
  for (const char* field : {"username", "display_name", "first_name", "last_name", "email"}) {
    auto r = m.edit(id, {{field, "someone else"}});
    CHECK(r.status == 409);
    CHECK(error_of(r) == std::string{field} + " is managed by directory \"e2e\"");
  }
  // The next push keeps the admin's notes and updates the mapped fields.
  m.push(id, "name.familyName", "Murray Hopper");
  u = m.user(id);
  CHECK(u["notes"] == "met at the conference");
  CHECK(u["last_name"] == "Murray Hopper");
  CHECK(u["display_name"] == "Grace Murray Hopper");
  // U4: the SCIM view is what Okta pushed, not the admin view.
  auto scim = m.f.c->get("/scim/v2/Users/" + id).json_body();
  CHECK(scim["displayName"] == "Amazing Grace");
  CHECK_FALSE(scim.contains("notes"));
}

TEST_CASE("U6 seed example 2: Username Alias 1 mapped is read-only, alias 2 stays editable", "[e2e][mapping]") {
  mapped_fixture m;
  REQUIRE(m.add({{"source", "nickName"}, {"destination", "username_alias_1"}}).status == 201);
  auto id = create_user(*m.f.c, "alias@example.com", okta_user("alias@example.com", {{"nickName", "gh"}}));
  CHECK(m.user(id)["username_alias_1"] == "gh");
  auto r = m.edit(id, {{"username_alias_1", "grace"}});
  CHECK(r.status == 409);
  CHECK(error_of(r) == "username_alias_1 is managed by directory \"e2e\"");
  auto two = m.edit(id, {{"username_alias_2", "ghopper"}});
  REQUIRE(two.status == 200);
  CHECK(two.json_body()["username_alias_2"] == "ghopper");
  CHECK(two.json_body()["username_alias_1"] == "gh");
  auto ro = two.json_body()["read_only_fields"];
  CHECK(std::find(ro.begin(), ro.end(), "username_alias_1") != ro.end());
  CHECK(std::find(ro.begin(), ro.end(), "username_alias_2") == ro.end());
}

TEST_CASE("U6 D12 seed example 3: a manual alias is overwritten by a mapping added later, at the next push",
          "[e2e][mapping]") {
  mapped_fixture m;
  auto id = create_user(*m.f.c, "later@example.com", okta_user("later@example.com", {{"nickName", "from-okta"}}));
  CHECK(m.user(id)["username_alias_1"] == "");
  REQUIRE(m.edit(id, {{"username_alias_1", "manual"}}).status == 200);
  // An unmapped custom attribute is editable too, once created.
  CHECK(m.edit(id, {{"custom_attributes", {{"building", "B1"}}}}).status == 400);
  REQUIRE(m.call("POST", "/custom-attributes", {{"name", "Building"}}).status == 201);
  auto b = m.edit(id, {{"custom_attributes", {{"building", "B1"}}}});
  REQUIRE(b.status == 200);
  CHECK(b.json_body()["custom_attributes"]["Building"] == "B1");

  REQUIRE(m.add({{"source", "nickName"}, {"destination", "username_alias_1"}}).status == 201);
  // D12: nothing changes until the user's next push...
  CHECK(m.user(id)["username_alias_1"] == "manual");
  // ...but the field is the directory's from now on.
  CHECK(m.edit(id, {{"username_alias_1", "manual 2"}}).status == 409);
  m.push(id, "title", "Admiral");
  auto u = m.user(id);
  CHECK(u["username_alias_1"] == "from-okta");
  CHECK(u["custom_attributes"]["Building"] == "B1");
  // Deleting the mapping gives the field back to the admins; the value stays.
  REQUIRE(m.call("DELETE", "/directories/" + m.f.dir.id + "/mappings/nickName").status == 200);
  CHECK(m.user(id)["username_alias_1"] == "from-okta");
  CHECK(m.edit(id, {{"username_alias_1", "manual again"}}).status == 200);
  m.push(id, "title", "Commodore");
  CHECK(m.user(id)["username_alias_1"] == "manual again");
}

TEST_CASE("U2 adoption overwrites the mapped attributes of an unmanaged user and keeps the others",
          "[e2e][mapping]") {
  mapped_fixture m;
  REQUIRE(m.call("POST", "/custom-attributes", {{"name", "site"}}).status == 201);
  auto made = m.call("POST", "/users",
                     {{"username", "adopt@example.com"},
                      {"email", "old@example.com"},
                      {"first_name", "Old"},
                      {"notes", "keep me"},
                      {"username_alias_3", "legacy"},
                      {"phones", json::array({{{"number", "+1 555 0000"}, {"type", "office"}}})},
                      {"custom_attributes", {{"site", "Paris"}}}});
  INFO(made.body);
  REQUIRE(made.status == 201);
  auto id = made.json_body()["id"].get<std::string>();
  CHECK(made.json_body()["read_only_fields"].empty());
  auto pushed = create_user(*m.f.c, "adopt@example.com", okta_user("adopt@example.com"));
  CHECK(pushed == id);
  auto u = m.user(id);
  CHECK(u["email"] == "adopt@example.com");
  CHECK(u["first_name"] == "Grace");
  CHECK(u["notes"] == "keep me");
  CHECK(u["username_alias_3"] == "legacy");
  CHECK(u["phones"].size() == 1);
  CHECK(u["custom_attributes"]["site"] == "Paris");
  CHECK(u["managed_by"]["id"] == m.f.dir.id);
}

TEST_CASE("G5 U7 effective status follows group status: disabled group denies, bypass group bypasses",
          "[e2e][mapping]") {
  mapped_fixture m;
  auto id = create_user(*m.f.c, "member@example.com", okta_user("member@example.com"));
  auto group = create_group(*m.f.c, "Pilots", json::array({{{"value", id}}}));
  auto u = m.user(id);
  CHECK(u["effective_status"] == "active");
  REQUIRE(m.call("PATCH", "/groups/" + group, {{"status", "bypass"}}).status == 200);
  u = m.user(id);
  CHECK(u["status"] == "active");
  CHECK(u["effective_status"] == "bypass");
  CHECK(u["effective_status_reason"] == "group_bypass");
  REQUIRE(m.call("PATCH", "/groups/" + group, {{"status", "disabled"}}).status == 200);
  u = m.user(id);
  CHECK(u["effective_status"] == "disabled");
  CHECK(u["effective_status_reason"] == "group_disabled");
  // A disabled group wins over the user's own bypass.
  REQUIRE(m.edit(id, {{"status", "bypass"}}).status == 200);
  CHECK(m.user(id)["effective_status"] == "disabled");
  REQUIRE(m.call("PATCH", "/groups/" + group, {{"status", "active"}}).status == 200);
  u = m.user(id);
  CHECK(u["effective_status"] == "bypass");
  CHECK(u["effective_status_reason"] == "user_bypass");
  // A user in the Trash cannot authenticate at all.
  REQUIRE(m.f.c->del("/scim/v2/Users/" + id).status == 204);
  auto trashed = m.call("GET", "/trash/" + id).json_body();
  CHECK(trashed["effective_status"] == "disabled");
  CHECK(trashed["effective_status_reason"] == "in_trash");
}
