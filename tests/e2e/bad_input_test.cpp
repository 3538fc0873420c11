// Hostile input against the real daemon over real sockets (SPEC S6, issue 7):
// pathological JSON, bad text, PATCH operations and filters of the wrong
// shape, malformed HTTP framing, slow and truncated clients. Every answer is
// a 4xx (never a 500), in the SCIM Error shape under /scim/; the daemon
// keeps answering /healthz and stored data does not change. The simple
// cases (short bad filters, truncated JSON, missing schemas, wrong types,
// 405 on a collection DELETE, 413, 415) live in errors_test.cpp and
// protocol_test.cpp; the HTTP layer's own limits in tests/http.

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

/// One hostile request and the 4xx it must get.
struct bad_request {
  std::string what;
  std::string method;
  std::string target;
  std::string body;
  int status;
  std::string scim_type; ///< Checked when not empty.
};

std::string nested(const std::string& open, const std::string& inner, const std::string& close, int depth) {
  std::string out;
  out.reserve((open.size() + close.size()) * static_cast<std::size_t>(depth) + inner.size());
  for (int i = 0; i < depth; ++i)
    out += open;
  out += inner;
  for (int i = 0; i < depth; ++i)
    out += close;
  return out;
}

std::string joined(int n, const std::string& sep, const std::function<std::string(int)>& term) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += (i ? sep : "") + term(i);
  return out;
}

std::string search_body(const std::string& filter) {
  return json{{"schemas", {search_urn}}, {"filter", filter}}.dump();
}

const std::string user_head = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":)";

/// The daemon's stored data as SCIM shows it (meta included, so any write shows).
std::string snapshot(client& c) {
  auto users = c.get("/scim/v2/Users?count=1000");
  auto groups = c.get("/scim/v2/Groups?count=1000");
  REQUIRE(users.status == 200);
  REQUIRE(groups.status == 200);
  return users.body + "\n" + groups.body;
}

/// After each hostile request: /healthz on a fresh connection, data unchanged.
void check_still_serving(const daemon& d, client& c, const std::string& before) {
  auto fresh = d.connect();
  auto h = fresh->get("/healthz");
  INFO("transport: " << h.error);
  CHECK(h.status == 200);
  CHECK(snapshot(c) == before);
}

/// A 4xx in the SCIM Error shape (scimType too, when given).
void check_bad(const response& r, int status, const std::string& scim_type) {
  INFO("status " << r.status << " body " << r.body.substr(0, 300) << " transport " << r.error);
  REQUIRE(r.status != 0);
  CHECK(r.status != 500);
  check_scim_error(r, status, scim_type);
}

} // namespace

TEST_CASE("S6 hostile JSON, PATCH and filter input: 4xx SCIM errors, nothing stored", "[e2e][badinput]") {
  fixture f{"okta"};
  auto& c = *f.c;
  auto uid = create_user(c, "victim@example.com",
                         {{"emails", json::array({{{"value", "victim@example.com"}, {"type", "work"}, {"primary", true}}})}});
  auto gid = create_group(c, "Victims", json::array({{{"value", uid}}}));
  const auto user = "/scim/v2/Users/" + uid;
  const auto group = "/scim/v2/Groups/" + gid;
  const auto before = snapshot(c);

  auto patch = [](const std::string& ops) {
    return R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":)" + ops + "}";
  };
  auto many = [](int n, const std::string& prefix) {
    json a = json::array();
    for (int i = 0; i < n; ++i)
      a.push_back({{"value", prefix + std::to_string(i)}});
    return a;
  };
  json huge_emails = json{{"schemas", {user_urn}}, {"userName", "many@example.com"}};
  huge_emails["emails"] = many(50000, "e"); // just under 1 MiB of tiny emails
  json huge_members = json{{"schemas", {group_urn}}, {"displayName", "Crowd"}};
  huge_members["members"] = many(50000, "m");

  const std::vector<bad_request> cases = {
    // Pathological JSON.
    {"100,000 unclosed [", "POST", "/scim/v2/Users", std::string(100000, '['), 400, "invalidSyntax"},
    {"arrays nested 100,000 deep", "POST", "/scim/v2/Users", nested("[", "", "]", 100000), 400, "invalidSyntax"},
    {"objects nested 100,000 deep", "POST", "/scim/v2/Users", nested(R"({"a":)", "1", "}", 100000), 400,
     "invalidSyntax"},
    {"emails nested 100,000 deep", "POST", "/scim/v2/Users",
     user_head + R"("deep@example.com","emails":)" + nested("[", "", "]", 100000) + "}", 400, "invalidSyntax"},
    {"emails nested 60 deep (under the depth limit)", "POST", "/scim/v2/Users",
     user_head + R"("deep@example.com","emails":)" + nested("[", "", "]", 60) + "}", 400, "invalidValue"},
    {"a 100,000-digit number", "POST", "/scim/v2/Users", user_head + R"("n@x","active":)" + std::string(100000, '9') + "}",
     400, ""},
    {"a number out of double range", "POST", "/scim/v2/Users", user_head + "1e99999}", 400, "invalidSyntax"},
    {"empty body", "POST", "/scim/v2/Users", "", 400, "invalidSyntax"},
    {"a JSON string", "POST", "/scim/v2/Users", R"("userName")", 400, "invalidSyntax"},
    {"JSON null", "PUT", user, "null", 400, "invalidSyntax"},
    {"a JSON array", "PUT", user, "[]", 400, "invalidSyntax"},
    // Text that is not valid UTF-8 or holds NUL.
    {"escaped NUL in userName", "POST", "/scim/v2/Users", user_head + R"("a\u0000b@x"})", 400, "invalidValue"},
    {"raw NUL byte in a string", "POST", "/scim/v2/Users", user_head + "\"a\0b@x\"}"s, 400, "invalidSyntax"},
    {"invalid UTF-8 bytes", "POST", "/scim/v2/Users", user_head + "\"a\xff\xfe@x\"}", 400, "invalidSyntax"},
    {"overlong UTF-8", "PUT", user, user_head + "\"\xc0\xaf@x\"}", 400, "invalidSyntax"},
    {"lone surrogate escape", "PUT", user, user_head + R"("\ud800@x"})", 400, "invalidSyntax"},
    {"NUL in a PATCH value", "PATCH", user, patch(R"([{"op":"replace","path":"title","value":"a\u0000"}])"), 400,
     "invalidValue"},
    // Too many values: refused before any per-value work.
    {"50,000 emails (~1 MiB)", "POST", "/scim/v2/Users", huge_emails.dump(), 400, "invalidValue"},
    {"1,001 emails by PATCH", "PATCH", user,
     patch(json::array({{{"op", "add"}, {"path", "emails"}, {"value", many(1001, "p")}}}).dump()), 400, "invalidValue"},
    {"50,000 unknown members", "POST", "/scim/v2/Groups", huge_members.dump(), 400, ""},
    // PATCH operations of the wrong shape.
    {"Operations an object", "PATCH", user, patch(R"({"op":"add"})"), 400, "invalidSyntax"},
    {"Operations empty", "PATCH", user, patch("[]"), 400, "invalidSyntax"},
    {"operations numbers", "PATCH", user, patch("[1,2,3]"), 400, "invalidSyntax"},
    {"operation null", "PATCH", user, patch("[null]"), 400, "invalidSyntax"},
    {"op missing", "PATCH", user, patch(R"([{"path":"active","value":false}])"), 400, "invalidSyntax"},
    {"op move", "PATCH", user, patch(R"([{"op":"move","path":"active","value":false}])"), 400, "invalidSyntax"},
    {"op a number", "PATCH", user, patch(R"([{"op":5,"path":"active","value":false}])"), 400, "invalidSyntax"},
    {"path a number", "PATCH", user, patch(R"([{"op":"replace","path":5,"value":false}])"), 400, "invalidPath"},
    {"path unbalanced", "PATCH", user, patch(R"([{"op":"replace","path":"emails[[[","value":"x"}])"), 400,
     "invalidPath"},
    {"path past a value filter", "PATCH", user,
     patch(R"([{"op":"replace","path":"emails[type eq \"work\"].value.x","value":"x"}])"), 400, "invalidPath"},
    {"add without value", "PATCH", user, patch(R"([{"op":"add","path":"title"}])"), 400, "invalidSyntax"},
    {"value nested 100,000 deep", "PATCH", user,
     patch(R"([{"op":"add","path":"title","value":)" + nested("[", "", "]", 100000) + "}]"), 400, "invalidSyntax"},
    {"value nested 60 deep", "PATCH", user,
     patch(R"([{"op":"add","path":"title","value":)" + nested("[", "", "]", 60) + "}]"), 400, "invalidValue"},
    {"members on a user", "PATCH", user, patch(R"([{"op":"add","path":"members","value":[{"value":"x"}]}])"), 400,
     "invalidPath"},
    {"member value a number", "PATCH", group, patch(R"([{"op":"add","path":"members","value":[{"value":5}]}])"), 400,
     "invalidValue"},
    {"member null", "PATCH", group, patch(R"([{"op":"add","path":"members","value":[null]}])"), 400, "invalidValue"},
    {"member unknown", "PATCH", group, patch(R"([{"op":"add","path":"members","value":[{"value":"nope"}]}])"), 400,
     ""},
    {"member filter with and", "PATCH", group,
     patch(R"([{"op":"remove","path":"members[value eq \"a\" and value eq \"b\"]"}])"), 400, "invalidFilter"},
    {"PatchOp schemas a string", "PATCH", user,
     R"({"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[]})", 400, "invalidSyntax"},
    // Filters: nesting, size, literals.
    {"65 nested parentheses", "GET", "/scim/v2/Users?filter=" + url_encode(nested("(", "userName eq \"a\"", ")", 65)),
     "", 400, "invalidFilter"},
    {"nested value paths", "GET", "/scim/v2/Users?filter=" + url_encode(R"(emails[value eq "a" and emails[type eq "b"]])"),
     "", 400, "invalidFilter"},
    {"number out of range", "GET", "/scim/v2/Users?filter=" + url_encode("userName eq 1e999"), "", 400, "invalidFilter"},
    {"impossible date", "GET", "/scim/v2/Users?filter=" + url_encode(R"(meta.created gt "9999-99-99T99:99:99Z")"), "",
     400, "invalidFilter"},
    {"bad escape in a literal", "GET", "/scim/v2/Users?filter=" + url_encode(R"(userName eq "\ud800")"), "", 400,
     "invalidFilter"},
    {"10,000 nested parentheses", "POST", "/scim/v2/Users/.search",
     search_body(nested("(", "userName eq \"a\"", ")", 10000)), 400, "invalidFilter"},
    {"5,000 nested not", "POST", "/scim/v2/Users/.search", search_body(nested("not (", "userName eq \"a\"", ")", 5000)),
     400, "invalidFilter"},
    {"1,001 or terms", "POST", "/scim/v2/Users/.search",
     search_body(joined(1001, " or ", [](int i) { return "userName eq \"a" + std::to_string(i) + "\""; })), 400,
     "invalidFilter"},
    {"1,001 member terms", "POST", "/scim/v2/Groups/.search",
     search_body(joined(1001, " or ", [](int i) { return "members[value eq \"" + std::to_string(i) + "\"]"; })), 400,
     "invalidFilter"},
    // Query parameters and URLs.
    {"count beyond 64 bits", "GET", "/scim/v2/Users?count=99999999999999999999999", "", 400, "invalidValue"},
    {"sortOrder sideways", "GET", "/scim/v2/Users?sortBy=userName&sortOrder=sideways", "", 400, ""},
    {"brackets in attributes", "GET", "/scim/v2/Users?attributes=%5B%5D", "", 400, "invalidValue"},
    {"15,000-character id", "GET", "/scim/v2/Users/" + std::string(15000, 'a'), "", 404, ""},
    {"NUL and 0xFF in an id", "DELETE", "/scim/v2/Users/%00%FF", "", 404, ""},
    {"100,000-character query", "GET", "/scim/v2/Users?filter=" + std::string(100000, 'a'), "", 431, ""},
    // Methods.
    {"method FOO", "FOO", "/scim/v2/Users", "", 405, ""},
    {"method TRACE", "TRACE", user, "", 405, ""},
    {"method OPTIONS", "OPTIONS", "/scim/v2/Groups", "", 405, ""},
    {"PATCH a collection", "PATCH", "/scim/v2/Users", patch("[]"), 405, ""},
    {"PUT a collection", "PUT", "/scim/v2/Groups", "{}", 405, ""},
  };
  for (const auto& bad : cases) {
    INFO(bad.what);
    auto start = std::chrono::steady_clock::now();
    auto r = c.request(bad.method, bad.target, bad.body);
    check_bad(r, bad.status, bad.scim_type);
    // Linear-time refusals: well inside the client's 15 s bound even on a loaded machine.
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    check_still_serving(f.d, c, before);
  }
}

TEST_CASE("S6 malformed HTTP framing over a raw socket: 4xx, connection closed, nothing stored", "[e2e][badinput]") {
  fixture f{"okta", {"--http.max_body_bytes", "4096"}};
  create_user(*f.c, "framing@example.com");
  const auto before = snapshot(*f.c);
  const std::string head = "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.dir.token +
                           "\r\nContent-Type: application/scim+json\r\n";
  std::string many_headers;
  for (int i = 0; i < 3000; ++i)
    many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  const std::string chunked = head + "Transfer-Encoding: chunked\r\n\r\n";
  const std::string big_chunk(6000, ' ');
  struct framing {
    std::string what;
    std::string bytes;
    int status;
    bool scim_shape;
    bool closes; ///< A framing error ends the connection; a bad body does not.
  };
  auto chunk = [](const std::string& data) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", data.size());
    return std::string(size) + "\r\n" + data + "\r\n";
  };
  const std::vector<framing> cases = {
    {"NUL in a header value", "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n"s, 400, true, true},
    {"control character in a header name", "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX\x01A: b\r\n\r\n", 400, true,
     true},
    {"3,000 headers over the 16 KiB limit", "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\n" + many_headers + "\r\n", 431,
     true, true},
    {"two different Content-Lengths", head + "Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}", 400, true, true},
    {"Content-Length and chunked", head + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
     400, true, true},
    {"chunk size not hex", chunked + "zz\r\n{}\r\n0\r\n\r\n", 400, true, true},
    {"chunk size beyond 64 bits", chunked + "fffffffffffffffffff\r\n{}\r\n0\r\n\r\n", 400, true, true},
    {"chunked body over max_body_bytes", chunked + chunk(big_chunk) + "0\r\n\r\n", 413, true, true},
    {"chunked JSON without schemas", chunked + chunk("{\"us") + chunk("erName\":\"c@x.org\"}") + "0\r\n\r\n", 400,
     true, false},
    {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400, false, true},
  };
  // An empty query before a fragment crashed the daemon (Boost.URL 1.81, found by fuzz_query).
  for (const std::string& target : {"/healthz?#" + std::string(3000, 'a'), "/scim/v2/Users?#x"s, "/x?#&&"s}) {
    INFO(target.substr(0, 40));
    raw_connection raw{f.d.port()};
    REQUIRE(raw.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.dir.token + "\r\n\r\n"));
    auto r = raw.read_response();
    INFO(r.error);
    CHECK((r.status == 200 || r.status == 404));
    check_still_serving(f.d, *f.c, before);
  }
  for (const auto& bad : cases) {
    INFO(bad.what);
    raw_connection raw{f.d.port()};
    REQUIRE(raw.send(bad.bytes));
    auto r = raw.read_response();
    INFO("status " << r.status << " body " << r.body << " " << r.error);
    REQUIRE(r.status != 0);
    CHECK(r.status == bad.status);
    if (bad.scim_shape)
      check_scim_error(r, bad.status);
    else
      CHECK(r.json_body()["status"] == bad.status);
    if (bad.closes)
      CHECK(raw.closed_by_peer(5s));
    check_still_serving(f.d, *f.c, before);
  }
  // Thousands of headers inside the byte limit are just headers.
  std::string small_headers;
  for (int i = 0; i < 2500; ++i)
    small_headers += "A: b\r\n";
  raw_connection ok{f.d.port()};
  REQUIRE(ok.send("GET /healthz HTTP/1.1\r\nHost: x\r\n" + small_headers + "\r\n"));
  CHECK(ok.read_response().status == 200);
}

TEST_CASE("S6 slow and truncated requests are cut by the read timeout while other clients are served",
          "[e2e][badinput]") {
  fixture f{"okta", {"--http.read_timeout", "300ms"}};
  create_user(*f.c, "steady@example.com");
  const auto before = snapshot(*f.c);
  const auto port = f.d.port();

  // A body shorter than its Content-Length, a client that sends nothing, and
  // slowloris clients feeding their headers one byte every 20 ms.
  raw_connection truncated{port};
  REQUIRE(truncated.send("POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f.dir.token +
                         "\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{\"sche"));
  raw_connection silent{port};
  constexpr int slow_clients = 20;
  std::vector<std::unique_ptr<raw_connection>> slowloris;
  for (int i = 0; i < slow_clients; ++i)
    slowloris.push_back(std::make_unique<raw_connection>(port));
  std::atomic<int> cut{0};
  std::vector<std::thread> slow;
  for (auto& conn : slowloris)
    slow.emplace_back([&cut, s = conn.get()] {
      const std::string request = "GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(500, 's') + "\r\n\r\n";
      for (char ch : request) {
        if (!s->send(std::string(1, ch)) || s->closed_by_peer(20ms)) { // pacing: 20 ms per byte
          cut.fetch_add(1);
          return;
        }
      }
    });

  // Meanwhile everybody else gets answers.
  auto begin = std::chrono::steady_clock::now();
  int answered = 0, failed = 0;
  while (std::chrono::steady_clock::now() - begin < 600ms) {
    auto r = f.c->get("/scim/v2/Users?count=1");
    (r.status == 200 ? answered : failed)++;
  }
  CHECK(answered > 10);
  CHECK(failed == 0);

  for (auto& t : slow)
    t.join();
  CHECK(cut.load() == slow_clients); // none got to send its whole request (over 10 s)
  CHECK(truncated.closed_by_peer(3s));
  CHECK(silent.closed_by_peer(3s));
  CHECK(std::chrono::steady_clock::now() - begin < 5s);
  check_still_serving(f.d, *f.c, before);
}

TEST_CASE("S6 null or empty enterprise attributes are unassigned: never a 500, the directory keeps working",
          "[e2e][badinput]") {
  // Found by fuzz_resource: they threw inside the directory actor (500, actor restarted).
  fixture f{"entra"};
  auto& c = *f.c;
  auto body = user_body("nulls@example.com");
  body["schemas"].push_back(enterprise_urn);
  body[enterprise_urn] = {{"department", nullptr}, {"manager", json::object()}};
  auto r = c.post("/scim/v2/Users", body);
  INFO(r.body);
  REQUIRE(r.status == 201);
  CHECK_FALSE(r.json_body().contains(enterprise_urn));
  auto id = r.json_body()["id"].get<std::string>();
  body[enterprise_urn] = {{"manager", {{"value", nullptr}}}, {"costCenter", "42"}};
  auto put = c.put("/scim/v2/Users/" + id, body);
  INFO(put.body);
  CHECK(put.status == 200);
  CHECK(put.json_body()[enterprise_urn] == json{{"costCenter", "42"}});
  CHECK(c.get("/scim/v2/Users/" + id).status == 200);
}
