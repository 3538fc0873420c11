#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "http/session.hpp"
#include "http/support.hpp"

using namespace dirsync::http;
using namespace dirsync::http::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Keeps the responders a handler received, to answer them later.
struct held_requests {
  std::mutex mutex;
  std::vector<responder> replies;
  std::atomic<int> calls{0};

  handler hold() {
    return [this](request, responder reply) {
      ++calls;
      std::lock_guard lock(mutex);
      replies.push_back(std::move(reply));
    };
  }
  void answer_all() {
    std::lock_guard lock(mutex);
    for (auto& r : replies)
      r.send(response{});
    replies.clear();
  }
};

} // namespace

TEST_CASE("an oversize body gets 413 in the SCIM shape under /scim/ and closes", "[http]") {
  server_options o;
  o.max_body_bytes = 1024;
  std::atomic<int> calls{0};
  running_server s([&](request, responder) { ++calls; }, o);

  client c(s.port());
  REQUIRE(!c.write_raw("POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"));
  bhttp::response<bhttp::string_body> res;
  REQUIRE(!c.read(res));
  CHECK(res.result_int() == 413);
  auto body = nlohmann::json::parse(res.body());
  CHECK(body["status"] == "413");
  CHECK(body["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error");
  CHECK(c.closed_by_peer());

  client plain(s.port());
  REQUIRE(!plain.write_raw("POST /admin/v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n" +
                           std::string(2000, 'a')));
  REQUIRE(!plain.read(res));
  CHECK(res.result_int() == 413);
  CHECK(nlohmann::json::parse(res.body())["status"] == 413);
  CHECK(calls == 0);
  CHECK(contains(s.registry.render(), "dirsync_http_rejected_total{reason=\"too_large\"} 2"));
}

TEST_CASE("malformed HTTP gets 400 and the connection is closed", "[http]") {
  running_server s(echo_path());
  client c(s.port());
  REQUIRE(!c.write_raw("THIS IS NOT HTTP\r\n\r\n"));
  bhttp::response<bhttp::string_body> res;
  REQUIRE(!c.read(res));
  CHECK(res.result_int() == 400);
  CHECK(c.closed_by_peer());
  CHECK(contains(s.registry.render(), "dirsync_http_rejected_total{reason=\"bad_request\"} 1"));
}

TEST_CASE("a request aimed at /scim/ that fails to parse is refused in the SCIM error shape", "[http]") {
  server_options o;
  o.max_header_bytes = 1024;
  std::atomic<int> calls{0};
  running_server s([&](request, responder) { ++calls; }, o);
  using namespace std::string_literals;
  const std::pair<std::string, int> cases[] = {
    {"GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n"s, 400},
    {"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\n{}", 400},
    {"POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400},
    {"GET /scim/v2/Users?filter=x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n", 431},
  };
  for (const auto& [raw, status] : cases) {
    INFO(raw.substr(0, 60));
    client c(s.port());
    REQUIRE(!c.write_raw(raw));
    bhttp::response<bhttp::string_body> res;
    REQUIRE(!c.read(res));
    CHECK(static_cast<int>(res.result_int()) == status);
    CHECK(res[bhttp::field::content_type] == "application/scim+json");
    auto body = nlohmann::json::parse(res.body(), nullptr, false);
    CHECK(body["schemas"] == nlohmann::json::array({"urn:ietf:params:scim:api:messages:2.0:Error"}));
    CHECK(body["status"] == std::to_string(status));
    CHECK(c.closed_by_peer());
  }
  CHECK(calls == 0);
  CHECK(detail::request_target_hint("GET /scim/v2/Users?a=b HTTP/1.1\r\nHost: x") == "/scim/v2/Users?a=b");
  CHECK(detail::request_target_hint("GET /partial") == "/partial");
  CHECK(detail::request_target_hint("") == "");
  CHECK(detail::request_target_hint(" /x HTTP/1.1") == "");
  CHECK(detail::request_target_hint("GARBAGE\r\n") == "");
}

TEST_CASE("an oversize header gets 431 and the connection is closed", "[http]") {
  server_options o;
  o.max_header_bytes = 512;
  running_server s(echo_path(), o);
  client c(s.port());
  REQUIRE(!c.write_raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n"));
  bhttp::response<bhttp::string_body> res;
  REQUIRE(!c.read(res));
  CHECK(res.result_int() == 431);
  CHECK(c.closed_by_peer());
}

TEST_CASE("past max_in_flight requests get 503 with Retry-After without reaching the handler",
          "[http]") {
  server_options o;
  o.max_in_flight = 1;
  held_requests held;
  running_server s(held.hold(), o);

  client first(s.port());
  REQUIRE(!first.write_raw("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Wait for the held request itself: an earlier answer may still be
  // counted in flight until its write completes.
  for (int i = 0; i < 400 && (held.calls.load() == 0 || s.srv->in_flight() != 1); ++i)
    std::this_thread::sleep_for(5ms);
  REQUIRE(held.calls.load() == 1);
  REQUIRE(s.srv->in_flight() == 1);

  client second(s.port());
  auto res = second.get("/scim/v2/Users");
  CHECK(res.result_int() == 503);
  CHECK(res["Retry-After"] == "1");
  CHECK(held.calls == 1);

  held.answer_all();
  bhttp::response<bhttp::string_body> ok;
  REQUIRE(!first.read(ok));
  CHECK(ok.result_int() == 200);
  // Keep-alive survives a 503.
  REQUIRE(!second.write_raw("GET /again HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 200 && held.calls < 2; ++i)
    std::this_thread::sleep_for(5ms);
  held.answer_all();
  REQUIRE(!second.read(ok));
  CHECK(ok.result_int() == 200);
  CHECK(contains(s.registry.render(), "dirsync_http_rejected_total{reason=\"overload\"} 1"));
}

TEST_CASE("health probes are answered past max_in_flight while other requests get 503", "[http]") {
  // Found by the overload bench: /healthz answered 503 to 440 of 559 probes,
  // which would have a liveness check restart a server that is only busy.
  server_options o;
  o.max_in_flight = 1;
  held_requests held;
  auto hold = held.hold();
  running_server s(
    [&](request req, responder reply) {
      if (req.path != "/healthz")
        return hold(std::move(req), std::move(reply));
      response r;
      r.body = "ok";
      reply.send(std::move(r));
    },
    o);
  client first(s.port());
  REQUIRE(!first.write_raw("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 400 && (held.calls.load() == 0 || s.srv->in_flight() != 1); ++i)
    std::this_thread::sleep_for(5ms);
  REQUIRE(s.srv->in_flight() == 1);

  client probe(s.port());
  CHECK(probe.get("/healthz").result_int() == 200);
  CHECK(probe.get("/healthz").result_int() == 200);
  client other(s.port());
  CHECK(other.get("/scim/v2/Users").result_int() == 503);

  held.answer_all();
  bhttp::response<bhttp::string_body> ok;
  REQUIRE(!first.read(ok));
  CHECK(ok.result_int() == 200);
}

TEST_CASE("the read timeout cuts a slow client", "[http]") {
  server_options o;
  o.read_timeout = 200ms;
  running_server s(echo_path(), o);
  client c(s.port());
  auto begin = std::chrono::steady_clock::now();
  // One header byte every 50ms: never completes within 200ms.
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: abcdefghij\r\n\r\n";
  bool cut = false;
  for (char ch : request) {
    if (c.write_raw(std::string(1, ch))) {
      cut = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
    if (std::chrono::steady_clock::now() - begin > 600ms)
      break;
  }
  CHECK((cut || c.closed_by_peer()));
  CHECK(std::chrono::steady_clock::now() - begin < 1500ms);
  CHECK(contains(s.registry.render(), "dirsync_http_rejected_total{reason=\"timeout\"} 1"));
}

TEST_CASE("the idle timeout closes a quiet keep-alive connection", "[http]") {
  server_options o;
  o.idle_timeout = 200ms;
  running_server s(echo_path(), o);
  client c(s.port());
  CHECK(c.get("/a").result_int() == 200);
  auto begin = std::chrono::steady_clock::now();
  CHECK(c.closed_by_peer());
  auto waited = std::chrono::steady_clock::now() - begin;
  CHECK(waited >= 150ms);
  CHECK(waited < 1500ms);
}

TEST_CASE("stop lets an in-flight request finish and closes idle connections", "[http]") {
  held_requests held;
  running_server s([&](request req, responder reply) {
    if (req.path == "/hold")
      return held.hold()(std::move(req), std::move(reply));
    reply.send(response{});
  });
  client idle(s.port());
  CHECK(idle.get("/warm").result_int() == 200);

  client busy(s.port());
  beast::error_code busy_ec;
  bhttp::response<bhttp::string_body> busy_res;
  std::thread busy_thread([&] {
    busy_ec = busy.write_raw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    if (!busy_ec)
      busy_ec = busy.read(busy_res);
  });
  // Wait for the held request itself: an earlier answer may still be
  // counted in flight until its write completes.
  for (int i = 0; i < 400 && (held.calls.load() == 0 || s.srv->in_flight() != 1); ++i)
    std::this_thread::sleep_for(5ms);
  REQUIRE(held.calls.load() == 1);
  REQUIRE(s.srv->in_flight() == 1);

  std::thread answer([&] {
    std::this_thread::sleep_for(100ms);
    held.answer_all();
  });
  auto begin = std::chrono::steady_clock::now();
  s.srv->stop(2000ms);
  auto took = std::chrono::steady_clock::now() - begin;
  answer.join();
  busy_thread.join();

  CHECK(took >= 50ms);
  CHECK(took < 1500ms);
  CHECK(s.srv->in_flight() == 0);
  INFO(busy_ec.message());
  CHECK(!busy_ec);
  CHECK(busy_res.result_int() == 200);
  CHECK(!busy_res.keep_alive());
  CHECK(idle.closed_by_peer());
}

TEST_CASE("stop without grace abandons a held request and late answers go nowhere", "[http]") {
  held_requests held;
  running_server s(held.hold());
  client c(s.port());
  REQUIRE(!c.write_raw("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Wait for the held request itself: an earlier answer may still be
  // counted in flight until its write completes.
  for (int i = 0; i < 400 && (held.calls.load() == 0 || s.srv->in_flight() != 1); ++i)
    std::this_thread::sleep_for(5ms);
  REQUIRE(held.calls.load() == 1);
  REQUIRE(s.srv->in_flight() == 1);
  s.srv->stop(0ms);
  CHECK(s.srv->in_flight() == 0);
  CHECK(c.closed_by_peer());
  held.answer_all(); // after stop: must not crash
  s.srv.reset();
}
