// Error answers of the real daemon: every one a SCIM Error with the right
// status and scimType; bad input never changes stored data (SPEC S1, S6).

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

TEST_CASE("S6 request errors answer with the SCIM Error schema", "[e2e][errors]") {
  fixture f{"generic"};
  auto& c = *f.c;
  auto id = create_user(c, "Existing@example.com");
  const auto url = "/scim/v2/Users/" + id;

  SECTION("bad filter -> 400 invalidFilter") {
    check_scim_error(c.get("/scim/v2/Users?filter=" + url_encode("userName eq")), 400, "invalidFilter");
    check_scim_error(c.get("/scim/v2/Users?filter=" + url_encode("(userName eq \"x\"")), 400, "invalidFilter");
  }
  SECTION("bad JSON -> 400 invalidSyntax") {
    check_scim_error(c.request("POST", "/scim/v2/Users", "{\"schemas\": ["), 400, "invalidSyntax");
    check_scim_error(c.request("PATCH", url, "not json"), 400, "invalidSyntax");
  }
  SECTION("missing schemas -> 400") {
    check_scim_error(c.post("/scim/v2/Users", json{{"userName", "noschema@example.com"}}), 400);
    check_scim_error(c.patch(url, json{{"Operations", json::array({{{"op", "replace"}, {"path", "active"},
                                                                     {"value", false}}})}}),
                     400);
    CHECK(c.get(url).json_body()["active"] == true);
  }
  SECTION("missing or empty userName -> 400") {
    check_scim_error(c.post("/scim/v2/Users", json{{"schemas", {user_urn}}, {"active", true}}), 400);
    check_scim_error(c.post("/scim/v2/Users", user_body("")), 400);
    check_scim_error(c.put(url, json{{"schemas", {user_urn}}, {"active", false}}), 400);
    CHECK(c.get(url).json_body()["userName"] == "Existing@example.com");
  }
  SECTION("wrong value type -> 400") {
    check_scim_error(c.post("/scim/v2/Users", user_body("typed@example.com", {{"active", "maybe"}})), 400);
    check_scim_error(c.post("/scim/v2/Users", json{{"schemas", {user_urn}}, {"userName", 42}}), 400);
  }
  SECTION("duplicate userName, case-insensitive -> 409 uniqueness") {
    check_scim_error(c.post("/scim/v2/Users", user_body("existing@EXAMPLE.com")), 409, "uniqueness");
    auto other = create_user(c, "other@example.com");
    check_scim_error(c.put("/scim/v2/Users/" + other, user_body("EXISTING@example.com")), 409, "uniqueness");
    auto list = c.get("/scim/v2/Users");
    CHECK(list.json_body()["totalResults"] == 2);
  }
  SECTION("unknown id -> 404") {
    const std::string missing = "/scim/v2/Users/00000000-0000-0000-0000-000000000000";
    check_scim_error(c.get(missing), 404);
    check_scim_error(c.put(missing, user_body("ghost@example.com")), 404);
    check_scim_error(c.patch(missing, patch_body(json::array({{{"op", "replace"}, {"path", "active"}, {"value", false}}}))),
                     404);
    check_scim_error(c.del(missing), 404);
    check_scim_error(c.get("/scim/v2/Groups/no-such-group"), 404);
  }
  SECTION("unknown attribute in a PATCH path -> 400") {
    check_scim_error(c.patch(url, patch_body(json::array({{{"op", "replace"}, {"path", "noSuchAttr"}, {"value", 1}}}))),
                     400);
  }
  SECTION("tokens: wrong and missing -> 401 with WWW-Authenticate") {
    auto wrong = c.request("GET", "/scim/v2/Users", {}, {}, f.dir.token + "x");
    check_scim_error(wrong, 401);
    CHECK(wrong.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
    auto none = c.request("GET", "/scim/v2/Users", {}, {}, "-");
    check_scim_error(none, 401);
    CHECK(none.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
    check_scim_error(c.request("GET", url, {}, {}, f.d.admin_key()), 401);
  }
  SECTION("unsupported method -> 405; unknown path -> 404; /Me and /Bulk -> 501") {
    check_scim_error(c.request("DELETE", "/scim/v2/Users"), 405);
    check_scim_error(c.request("POST", url, user_body("x@example.com").dump()), 405);
    check_scim_error(c.request("POST", "/scim/v2/ServiceProviderConfig", "{}"), 405);
    check_scim_error(c.get("/scim/v2/Nope"), 404);
    check_scim_error(c.get("/scim/v2/Users/" + id + "/extra"), 404);
    check_scim_error(c.get("/scim/v2/Me"), 501);
    check_scim_error(c.post("/scim/v2/Bulk", json{{"schemas", {"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}},
                                                  {"Operations", json::array()}}),
                     501);
  }
  SECTION("tooMany: count above the maximum is capped, never an error") {
    auto r = c.get("/scim/v2/Users?count=100000");
    CHECK(r.status == 200);
  }
}

TEST_CASE("S6 body over http.max_body_bytes -> 413 SCIM error", "[e2e][errors]") {
  fixture f{"generic", {"--http.max_body_bytes", "4096"}};
  auto& c = *f.c;
  auto big = user_body("big@example.com", {{"displayName", std::string(10000, 'x')}});
  auto r = c.post("/scim/v2/Users", big);
  check_scim_error(r, 413);
  auto after = f.d.connect();
  after->set_token(f.dir.token);
  auto list = after->get("/scim/v2/Users");
  REQUIRE(list.status == 200);
  CHECK(list.json_body()["totalResults"] == 0);
  CHECK(after->post("/scim/v2/Users", user_body("small@example.com")).status == 201);
}

TEST_CASE("S6 paused directory -> 403; resume restores access", "[e2e][errors]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto id = create_user(c, "paused@example.com");
  auto admin = f.d.connect();
  admin->set_token(f.d.admin_key());
  REQUIRE(admin->request("POST", "/admin/v1/directories/" + f.dir.id + "/pause").status == 200);
  check_scim_error(c.get("/scim/v2/Users/" + id), 403);
  check_scim_error(c.post("/scim/v2/Users", user_body("during-pause@example.com")), 403);
  REQUIRE(admin->request("POST", "/admin/v1/directories/" + f.dir.id + "/resume").status == 200);
  CHECK(c.get("/scim/v2/Users/" + id).status == 200);
  auto list = c.get("/scim/v2/Users");
  CHECK(list.json_body()["totalResults"] == 1);
}

TEST_CASE("S6 regenerated token: the old one gets 401, the new one works", "[e2e][errors]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto id = create_user(c, "rotate@example.com");
  auto admin = f.d.connect();
  admin->set_token(f.d.admin_key());
  auto r = admin->request("POST", "/admin/v1/directories/" + f.dir.id + "/token");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto fresh = r.json_body()["token"].get<std::string>();
  CHECK(fresh != f.dir.token);
  CHECK(!r.json_body()["token_expires_at"].get<std::string>().empty());
  check_scim_error(c.get("/scim/v2/Users/" + id), 401);
  auto ok = c.request("GET", "/scim/v2/Users/" + id, {}, {}, fresh);
  CHECK(ok.status == 200);
}

TEST_CASE("S6 O4 an expired token gets 401; the test clock moves time", "[e2e][errors]") {
  fixture f{"okta", {"--clock.test", "true", "--scim.token_lifetime", "1h"}};
  auto& c = *f.c;
  CHECK(c.get("/scim/v2/Users").status == 200);
  auto admin = f.d.connect();
  admin->set_token(f.d.admin_key());
  auto adv = admin->request("POST", "/admin/v1/test-clock/advance", json{{"seconds", 3601}}.dump(),
                            {{"Content-Type", "application/json"}});
  INFO(adv.body);
  REQUIRE(adv.status == 200);
  auto r = c.get("/scim/v2/Users");
  check_scim_error(r, 401);
  CHECK(r.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
  auto fresh = admin->request("POST", "/admin/v1/directories/" + f.dir.id + "/token");
  REQUIRE(fresh.status == 200);
  CHECK(c.request("GET", "/scim/v2/Users", {}, {}, fresh.json_body()["token"].get<std::string>()).status == 200);
}

TEST_CASE("O4 the test clock endpoint does not exist unless enabled", "[e2e][errors]") {
  daemon d;
  auto admin = d.connect();
  admin->set_token(d.admin_key());
  auto adv = admin->request("POST", "/admin/v1/test-clock/advance", json{{"seconds", 10}}.dump(),
                            {{"Content-Type", "application/json"}});
  CHECK(adv.status == 404);
}

TEST_CASE("issue 7: repeated failed authentications get 429 with Retry-After", "[e2e][errors][auth]") {
  fixture f{"okta", {"--http.auth_failure_limit", "3", "--http.auth_failure_window", "1h"}};
  auto bad = f.d.connect();
  bad->set_token("not-a-token");
  for (int i = 0; i < 3; ++i)
    check_scim_error(bad->get("/scim/v2/Users"), 401);
  auto throttled = bad->get("/scim/v2/Users");
  check_scim_error(throttled, 429);
  CHECK_FALSE(throttled.header("Retry-After").empty());
  // The same address is throttled for admin keys too, even a right one.
  auto admin = bad->request("GET", "/admin/v1/directories", {}, {}, f.d.admin_key());
  CHECK(admin.status == 429);
  auto metrics = bad->get("/metrics");
  CHECK(metrics.body.find("dirsync_auth_failures_total 3") != std::string::npos);
}
