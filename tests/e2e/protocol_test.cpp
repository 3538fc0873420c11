// RFC 7644 protocol features against the real daemon: ETags, projections,
// sorting, discovery, .search, content types (SPEC S1, S3, S5, S7).

#include <algorithm>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

TEST_CASE("S5 ETag with If-Match and If-None-Match", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  auto created = c.post("/scim/v2/Users", user_body("etag@example.com"));
  REQUIRE(created.status == 201);
  auto id = created.json_body()["id"].get<std::string>();
  const auto url = "/scim/v2/Users/" + id;
  auto etag = created.header("ETag");
  REQUIRE(!etag.empty());
  CHECK(created.json_body()["meta"]["version"] == etag);

  auto got = c.get(url);
  REQUIRE(got.status == 200);
  CHECK(got.header("ETag") == etag);
  auto not_modified = c.get(url, {{"If-None-Match", etag}});
  CHECK(not_modified.status == 304);
  CHECK(not_modified.body.empty());

  auto stale = c.request("PUT", url, user_body("etag-changed@example.com").dump(), {{"If-Match", "W/\"stale\""}});
  check_scim_error(stale, 412);
  CHECK(c.get(url).json_body()["userName"] == "etag@example.com"); // unchanged
  auto stale_patch = c.request("PATCH", url,
                               patch_body(json::array({{{"op", "replace"}, {"path", "active"}, {"value", false}}})).dump(),
                               {{"If-Match", "W/\"stale\""}});
  check_scim_error(stale_patch, 412);
  CHECK(c.get(url).json_body()["active"] == true);

  auto ok = c.request("PATCH", url,
                      patch_body(json::array({{{"op", "replace"}, {"path", "active"}, {"value", false}}})).dump(),
                      {{"If-Match", etag}});
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  auto etag2 = ok.header("ETag");
  CHECK(!etag2.empty());
  CHECK(etag2 != etag);
  CHECK(c.get(url, {{"If-None-Match", etag}}).status == 200); // old version no longer current
  CHECK(c.get(url, {{"If-None-Match", etag2}}).status == 304);

  check_scim_error(c.request("DELETE", url, {}, {{"If-Match", etag}}), 412);
  CHECK(c.get(url).status == 200);
  CHECK(c.request("DELETE", url, {}, {{"If-Match", etag2}}).status == 204);
  CHECK(c.get(url).status == 404);
}

TEST_CASE("S3 attributes and excludedAttributes on reads and writes", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  json extra{{"name", {{"givenName", "Ada"}, {"familyName", "Lovelace"}}},
             {"emails", json::array({{{"type", "work"}, {"value", "ada@example.com"}}})}};
  auto created = c.post("/scim/v2/Users?attributes=userName", user_body("ada@example.com", extra));
  INFO(created.body);
  REQUIRE(created.status == 201);
  auto cj = created.json_body();
  CHECK(cj["userName"] == "ada@example.com");
  CHECK(cj.contains("id"));
  CHECK(!cj.contains("name"));
  CHECK(!cj.contains("emails"));
  auto id = cj["id"].get<std::string>();
  const auto url = "/scim/v2/Users/" + id;

  auto only = c.get(url + "?attributes=name.givenName").json_body();
  CHECK(only["id"] == id);
  CHECK(only.contains("schemas"));
  CHECK(only["name"]["givenName"] == "Ada");
  CHECK(!only["name"].contains("familyName"));
  CHECK(!only.contains("userName"));
  CHECK(!only.contains("emails"));

  auto excl = c.get(url + "?excludedAttributes=emails,name").json_body();
  CHECK(excl["userName"] == "ada@example.com");
  CHECK(excl["id"] == id);
  CHECK(!excl.contains("emails"));
  CHECK(!excl.contains("name"));

  auto list = c.get("/scim/v2/Users?attributes=userName").json_body();
  REQUIRE(list["Resources"].size() == 1);
  CHECK(list["Resources"][0]["userName"] == "ada@example.com");
  CHECK(!list["Resources"][0].contains("emails"));

  auto put = c.put(url + "?excludedAttributes=name", user_body("ada@example.com", extra));
  REQUIRE(put.status == 200);
  CHECK(!put.json_body().contains("name"));
  CHECK(put.json_body()["emails"][0]["value"] == "ada@example.com");
}

TEST_CASE("S3 sortBy userName ascending and descending", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  for (auto n : {"charlie", "Alice", "bob", "dave"})
    create_user(c, n);
  auto names = [&](const std::string& q) {
    auto r = c.get("/scim/v2/Users?" + q);
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    auto body = r.json_body(); // keep the list alive for the loop
    for (const auto& u : body["Resources"])
      out.push_back(u["userName"].get<std::string>());
    return out;
  };
  CHECK(names("sortBy=userName") == std::vector<std::string>{"Alice", "bob", "charlie", "dave"});
  CHECK(names("sortBy=userName&sortOrder=ascending") == std::vector<std::string>{"Alice", "bob", "charlie", "dave"});
  CHECK(names("sortBy=userName&sortOrder=descending") == std::vector<std::string>{"dave", "charlie", "bob", "Alice"});
  CHECK(names("sortBy=userName&sortOrder=descending&startIndex=2&count=2") ==
        std::vector<std::string>{"charlie", "bob"});
}

TEST_CASE("S1 discovery endpoints", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  auto spc = c.get("/scim/v2/ServiceProviderConfig");
  REQUIRE(spc.status == 200);
  auto s = spc.json_body();
  CHECK(s["patch"]["supported"] == true);
  CHECK(s["bulk"]["supported"] == false);
  CHECK(s["filter"]["supported"] == true);
  CHECK(s["filter"]["maxResults"].is_number_integer());
  CHECK(s["filter"]["maxResults"].get<int>() >= 100);
  CHECK(s["etag"]["supported"] == true);
  CHECK(s["sort"]["supported"] == true);
  CHECK(s["changePassword"]["supported"] == false);
  CHECK(s["authenticationSchemes"].is_array());

  auto rt = c.get("/scim/v2/ResourceTypes");
  REQUIRE(rt.status == 200);
  auto rtj = rt.json_body();
  std::vector<std::string> names;
  for (const auto& r : (rtj.is_array() ? rtj : rtj["Resources"]))
    names.push_back(r["name"].get<std::string>());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"Group", "User"});
  auto user_rt = c.get("/scim/v2/ResourceTypes/User");
  REQUIRE(user_rt.status == 200);
  CHECK(user_rt.json_body()["endpoint"] == "/Users");

  auto schemas = c.get("/scim/v2/Schemas");
  REQUIRE(schemas.status == 200);
  auto sj = schemas.json_body();
  CHECK(sj["totalResults"] == 3);
  REQUIRE(sj["Resources"].size() == 3);
  for (auto urn : {user_urn, group_urn, enterprise_urn}) {
    auto one = c.get(std::string{"/scim/v2/Schemas/"} + urn);
    INFO(urn);
    REQUIRE(one.status == 200);
    CHECK(one.json_body()["id"] == urn);
    CHECK(one.json_body()["attributes"].is_array());
  }
  check_scim_error(c.get("/scim/v2/Schemas/urn:nope"), 404);
}

TEST_CASE("S3 POST /Users/.search", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  auto id = create_user(c, "searched@example.com");
  create_user(c, "other@example.com");
  auto r = c.post("/scim/v2/Users/.search", json{{"schemas", {search_urn}},
                                                  {"filter", "userName eq \"searched@example.com\""},
                                                  {"attributes", {"userName"}},
                                                  {"startIndex", 1},
                                                  {"count", 10}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto j = r.json_body();
  CHECK(j["schemas"] == json::array({list_urn}));
  CHECK(j["totalResults"] == 1);
  CHECK(resource_ids(j) == std::vector<std::string>{id});
  CHECK(!j["Resources"][0].contains("active"));
  check_scim_error(c.request("GET", "/scim/v2/Users/.search"), 405);
}

TEST_CASE("S7 content types", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  auto charset = c.request("POST", "/scim/v2/Users", user_body("charset@example.com").dump(),
                           {{"Content-Type", "application/scim+json; charset=utf-8"}});
  CHECK(charset.status == 201);
  CHECK(charset.header("content-type").rfind("application/scim+json", 0) == 0);
  auto plain_json = c.request("POST", "/scim/v2/Users", user_body("json@example.com").dump(),
                              {{"Content-Type", "application/json"}});
  CHECK(plain_json.status == 201);
  auto text = c.request("POST", "/scim/v2/Users", user_body("text@example.com").dump(),
                        {{"Content-Type", "text/plain"}});
  check_scim_error(text, 415);
  auto list = c.get("/scim/v2/Users?filter=" + url_encode("userName eq \"text@example.com\""));
  CHECK(list.json_body()["totalResults"] == 0);
}

namespace {

std::vector<std::string> user_names(client& c, const std::string& filter) {
  auto r = c.get("/scim/v2/Users?sortBy=userName&filter=" + url_encode(filter));
  INFO(filter << " -> " << r.body);
  CHECK(r.status == 200);
  if (r.status != 200)
    return {"status " + std::to_string(r.status)};
  auto body = r.json_body();
  std::vector<std::string> out;
  if (body.contains("Resources"))
    for (const auto& u : body["Resources"])
      out.push_back(u["userName"].get<std::string>());
  return out;
}

void three_users(client& c) {
  create_user(c, "ann@example.com", {{"active", true}, {"title", "Engineer"},
                                      {"name", {{"familyName", "Smith"}}},
                                      {"emails", json::array({{{"type", "work"}, {"value", "ann@example.com"}}})}});
  create_user(c, "ben@example.org", {{"active", false}, {"name", {{"familyName", "Jones"}}},
                                      {"emails", json::array({{{"type", "home"}, {"value", "ben@example.com"}}})}});
  create_user(c, "cat@example.com", {{"active", true}, {"externalId", "x-3"}});
}

} // namespace

TEST_CASE("S2 filters on column attributes: operators, and/or/not, case rules", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  three_users(c);
  using v = std::vector<std::string>;
  CHECK(user_names(c, "userName sw \"A\"") == v{"ann@example.com"});
  CHECK(user_names(c, "userName ew \".org\"") == v{"ben@example.org"});
  CHECK(user_names(c, "userName co \"EXAMPLE.COM\"") == v{"ann@example.com", "cat@example.com"});
  CHECK(user_names(c, "userName ne \"ann@example.com\"") == v{"ben@example.org", "cat@example.com"});
  CHECK(user_names(c, "active eq false") == v{"ben@example.org"});
  CHECK(user_names(c, "active eq true and userName sw \"c\"") == v{"cat@example.com"});
  CHECK(user_names(c, "userName sw \"a\" or userName sw \"b\"") == v{"ann@example.com", "ben@example.org"});
  CHECK(user_names(c, "not (active eq true)") == v{"ben@example.org"});
  CHECK(user_names(c, "externalId pr") == v{"cat@example.com"});
  CHECK(user_names(c, "USERNAME eq \"cat@example.com\"") == v{"cat@example.com"});
  CHECK(user_names(c, std::string{user_urn} + ":userName eq \"cat@example.com\"") == v{"cat@example.com"});
  CHECK(user_names(c, "meta.created gt \"2000-01-01T00:00:00Z\"").size() == 3);
}

TEST_CASE("S2 filters on document attributes and value paths", "[e2e][protocol]") {
  fixture f{"generic"};
  auto& c = *f.c;
  three_users(c);
  using v = std::vector<std::string>;
  CHECK(user_names(c, "name.familyName eq \"Smith\"") == v{"ann@example.com"});
  CHECK(user_names(c, "title pr") == v{"ann@example.com"});
  CHECK(user_names(c, "emails co \"ben@\"") == v{"ben@example.org"});
  CHECK(user_names(c, "emails.value eq \"ann@example.com\"") == v{"ann@example.com"});
  CHECK(user_names(c, "emails[type eq \"work\" and value co \"@example.com\"]") == v{"ann@example.com"});
  CHECK(user_names(c, "emails[type eq \"work\"].value eq \"ann@example.com\"") == v{"ann@example.com"});
}
