#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include <boost/beast/http.hpp>

#include "http/session.hpp"
#include "http/support.hpp"

using namespace dirsync::http;
using namespace dirsync::http::test;

TEST_CASE("a request reaches the handler decoded and the response carries the server headers",
          "[http]") {
  std::promise<request> seen;
  running_server s([&](request req, responder reply) {
    seen.set_value(req);
    response r;
    r.route = "test";
    r.content_type = "application/scim+json";
    r.headers.emplace_back("ETag", "W/\"1\"");
    r.status = 201;
    r.body = R"({"ok":true})";
    reply.send(std::move(r));
  });
  client c(s.port());
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, "/scim/v2/Users%20x?filter=userName+eq+%22a%20b%22&x=1&x=2", 11};
  req.set(bhttp::field::authorization, "Bearer secret");
  req.set(bhttp::field::content_type, "application/scim+json");
  req.set(bhttp::field::if_match, "W/\"1\"");
  req.body() = R"({"userName":"a"})";
  auto res = c.roundtrip(req);

  CHECK(res.result_int() == 201);
  CHECK(res[bhttp::field::server] == "dirsync");
  CHECK(res[bhttp::field::content_type] == "application/scim+json");
  CHECK(res["ETag"] == "W/\"1\"");
  CHECK(res.body() == R"({"ok":true})");
  auto id = std::string(res["X-Request-Id"]);
  CHECK(id.size() == 16);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);

  auto r = seen.get_future().get();
  CHECK(r.method == "POST");
  CHECK(r.path == "/scim/v2/Users x");
  CHECK(r.query_value("filter") == std::optional<std::string_view>("userName eq \"a b\""));
  CHECK(r.query_value("x") == std::optional<std::string_view>("1"));
  CHECK(r.query.size() == 3);
  CHECK(r.authorization == "Bearer secret");
  CHECK(r.content_type == "application/scim+json");
  CHECK(r.if_match == "W/\"1\"");
  CHECK(r.body == R"({"userName":"a"})");
  CHECK(r.request_id == id);
  CHECK(r.remote_address == "127.0.0.1");
}

TEST_CASE("keep-alive serves two requests on one connection", "[http]") {
  running_server s(echo_path());
  client c(s.port());
  CHECK(c.get("/one").body() == "/one");
  auto second = c.get("/two");
  CHECK(second.body() == "/two");
  CHECK(second.keep_alive());
  // in_flight drops once the write completes, which may trail the client's read.
  for (int i = 0; i < 200 && s.srv->in_flight() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto text = s.registry.render();
  CHECK(text.find("dirsync_http_requests_total{route=\"test\",status=\"200\"} 2") != std::string::npos);
  CHECK(text.find("dirsync_http_request_duration_seconds_count{route=\"test\"} 2") != std::string::npos);
  CHECK(text.find("dirsync_http_in_flight 0") != std::string::npos);
}

TEST_CASE("pipelined requests are answered in order", "[http]") {
  running_server s([](request req, responder reply) {
    // Answer the first one late from another thread: order must still hold.
    std::thread([req, reply] {
      if (req.path == "/first")
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      response r;
      r.body = req.path;
      reply.send(r);
    }).detach();
  });
  client c(s.port());
  REQUIRE(!c.write_raw("GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n"));
  bhttp::response<bhttp::string_body> a, b;
  REQUIRE(!c.read(a));
  REQUIRE(!c.read(b));
  CHECK(a.body() == "/first");
  CHECK(b.body() == "/second");
}

// A request is parsed from what the first read brought when it is all
// there; a request cut anywhere (inside the header, inside the body) is
// still read whole, and bytes of the next request stay for it.
TEST_CASE("requests arriving in pieces are read whole, and the next one after them", "[http]") {
  running_server s([](request req, responder reply) {
    response r;
    r.body = req.method + " " + req.path + " " + req.body;
    reply.send(r);
  });
  client c(s.port());
  const std::string pieces[] = {"POST /a HTTP/1.1\r\nHost: x\r\nContent-Le", "ngth: 5\r\n\r\nab",
                                "cdeGET /b HTTP/1.1\r\n", "Host: x\r\n\r\n"};
  for (const auto& p : pieces) {
    REQUIRE(!c.write_raw(p));
    std::this_thread::sleep_for(std::chrono::milliseconds(5)); // separate segments, separate reads
  }
  bhttp::response<bhttp::string_body> a, b;
  REQUIRE(!c.read(a));
  REQUIRE(!c.read(b));
  CHECK(a.body() == "POST /a abcde");
  CHECK(b.body() == "GET /b ");
}

TEST_CASE("a handler may answer later from another thread", "[http]") {
  std::thread worker;
  running_server s([&](request, responder reply) {
    worker = std::thread([reply] {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      response r;
      r.body = "late";
      reply.send(r);
      CHECK(reply.sent());
      reply.send(response{}); // ignored
    });
  });
  client c(s.port());
  auto res = c.get("/x");
  CHECK(res.body() == "late");
  CHECK(res.result_int() == 200);
  worker.join();
}

TEST_CASE("a dropped responder answers 500", "[http]") {
  std::thread worker;
  running_server s([&](request req, responder reply) {
    if (req.path == "/now")
      return; // dropped immediately
    worker = std::thread([reply = std::move(reply)]() mutable { responder gone = std::move(reply); });
  });
  client c(s.port());
  auto now = c.get("/now");
  CHECK(now.result_int() == 500);
  CHECK(nlohmann::json::parse(now.body())["status"] == 500);

  auto scim = c.get("/scim/v2/Users");
  worker.join();
  CHECK(scim.result_int() == 500);
  auto body = nlohmann::json::parse(scim.body());
  CHECK(body["status"] == "500");
  CHECK(body["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error");
}

TEST_CASE("a throwing handler still gets a 500", "[http]") {
  running_server s([](request, responder) { throw std::runtime_error("boom"); });
  client c(s.port());
  CHECK(c.get("/x").result_int() == 500);
}

TEST_CASE("start reports a port that is taken", "[http]") {
  running_server first(echo_path());
  dirsync::metrics::registry reg;
  server_options o;
  o.port = first.port();
  server second(o, echo_path(), reg);
  auto err = second.start();
  REQUIRE(err);
  CHECK(err->find("bind") != std::string::npos);
}

TEST_CASE("error responses have the SCIM shape only under /scim/", "[http]") {
  auto scim = make_error_response("/scim/v2/Users", dirsync::scim::error_code::payload_too_large, "big");
  CHECK(scim.status == 413);
  CHECK(scim.content_type == "application/scim+json");
  auto j = nlohmann::json::parse(scim.body);
  CHECK(j["status"] == "413");
  CHECK(j["detail"] == "big");

  auto plain = make_error_response("/admin/v1/x", 431, "header");
  CHECK(plain.status == 431);
  CHECK(nlohmann::json::parse(plain.body) == nlohmann::json{{"error", "header"}, {"status", 431}});
}

TEST_CASE("an empty responder ignores send", "[http]") {
  responder none;
  CHECK(none.sent());
  none.send(response{});
  int delivered = 0;
  {
    responder r([&](response) { ++delivered; }, "id");
    auto copy = r;
    copy.send(response{});
    r.send(response{});
  }
  CHECK(delivered == 1);
}

TEST_CASE("several I/O threads serve concurrent keep-alive connections", "[http]") {
  server_options o;
  o.io_threads = 4;
  running_server s(
      [](request req, responder reply) {
        auto answer = [req, reply] {
          response r;
          r.body = req.path;
          reply.send(r);
        };
        if (req.path.back() % 2)
          std::thread(answer).detach();
        else
          answer();
      },
      o);
  constexpr int connections = 6;
  constexpr int per_connection = 20;
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < connections; ++i)
    clients.push_back(std::make_unique<client>(s.port()));
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < per_connection; ++n) {
        auto path = "/c" + std::to_string(i) + "/" + std::to_string(n);
        bhttp::response<bhttp::string_body> res;
        if (!clients[i]->write_raw("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n") &&
            !clients[i]->read(res) && res.body() == path)
          ++good;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  CHECK(good == connections * per_connection);
}

TEST_CASE("Expect: 100-continue gets an interim answer before the body is sent", "[http]") {
  running_server s([](request req, responder reply) {
    response r;
    r.body = req.body;
    reply.send(r);
  });
  client c(s.port());
  REQUIRE(!c.write_raw("POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  bhttp::response<bhttp::string_body> interim, final;
  REQUIRE(!c.read(interim));
  CHECK(interim.result_int() == 100);
  REQUIRE(!c.write_raw("hello"));
  REQUIRE(!c.read(final));
  CHECK(final.result_int() == 200);
  CHECK(final.body() == "hello");
}

// The response bytes are written by to_wire, not Beast's serializer: they
// must still parse as the response the handler gave, with Connection and
// Content-Length as the version and status require.
TEST_CASE("responses are written as valid HTTP/1.x with the handler's status, headers and body", "[http]") {
  namespace bhttp = boost::beast::http;
  auto parse = [](const std::string& bytes) {
    bhttp::response_parser<bhttp::string_body> p;
    p.eager(true); // header and body in one put
    boost::beast::error_code ec;
    auto n = p.put(boost::asio::buffer(bytes), ec);
    INFO(bytes);
    REQUIRE_FALSE(ec);
    CHECK(p.is_done());
    CHECK(n == bytes.size());
    return p.release();
  };
  response r;
  r.status = 201;
  r.content_type = "application/scim+json";
  r.body = R"({"id":"u1"})";
  r.headers = {{"ETag", "W/\"1\""}, {"Location", "https://h/scim/v2/Users/u1\r\nX-Evil: 1"}};
  auto bytes = detail::to_wire(response{r}, "0123456789abcdef", 11, true);
  CHECK(bytes.rfind("HTTP/1.1 201 Created\r\n", 0) == 0);
  auto m = parse(bytes);
  CHECK(m.result_int() == 201);
  CHECK(m[bhttp::field::server] == "dirsync");
  CHECK(m["X-Request-Id"] == "0123456789abcdef");
  CHECK(m[bhttp::field::content_type] == "application/scim+json");
  CHECK(m[bhttp::field::etag] == "W/\"1\"");
  CHECK(m[bhttp::field::location] == "https://h/scim/v2/Users/u1X-Evil: 1"); // no header injection
  CHECK(m.count("X-Evil") == 0);
  CHECK(m[bhttp::field::content_length] == "11");
  CHECK(m.body() == r.body);
  CHECK(m.keep_alive());

  auto closing = parse(detail::to_wire(response{r}, "id", 11, false));
  CHECK_FALSE(closing.keep_alive());
  CHECK(closing[bhttp::field::connection] == "close");
  auto old_keep = parse(detail::to_wire(response{r}, "id", 10, true));
  CHECK(old_keep.version() == 10);
  CHECK(old_keep.keep_alive());
  CHECK_FALSE(parse(detail::to_wire(response{r}, "id", 10, false)).keep_alive());

  response none;
  none.status = 204;
  none.content_type.clear();
  none.body = "ignored";
  auto empty = detail::to_wire(std::move(none), "id", 11, true);
  CHECK(empty.find("Content-Length") == std::string::npos);
  CHECK(empty.size() >= 4);
  CHECK(empty.compare(empty.size() - 4, 4, "\r\n\r\n") == 0); // nothing after the header
  CHECK(parse(empty).result_int() == 204);
}

TEST_CASE("to_request takes each header's first value whatever its case, and the body", "[http]") {
  bhttp::request<bhttp::string_body> in{bhttp::verb::get, "/scim/v2/Users?count=2", 11};
  in.insert("accept", "application/scim+json");
  in.insert("AUTHORIZATION", "Bearer first");
  in.insert("Authorization", "Bearer second");
  in.insert("If-None-Match", "W/\"3\"");
  in.insert("X-Other", "ignored");
  in.body() = std::string(2000, 'b');
  auto r = dirsync::http::detail::to_request(in, "10.0.0.1", "id");
  CHECK(r.method == "GET");
  CHECK(r.path == "/scim/v2/Users");
  CHECK(r.query_value("count") == std::optional<std::string_view>("2"));
  CHECK(r.authorization == "Bearer first");
  CHECK(r.accept == "application/scim+json");
  CHECK(r.if_none_match == "W/\"3\"");
  CHECK(r.if_match.empty());
  CHECK(r.content_type.empty());
  CHECK(r.body == std::string(2000, 'b'));
  CHECK(r.request_id == "id");
  CHECK(r.remote_address == "10.0.0.1");

  // An empty first value still wins, as in[field] answers it.
  bhttp::request<bhttp::string_body> empty_first{bhttp::verb::get, "/", 11};
  empty_first.insert("Authorization", "");
  empty_first.insert("Authorization", "Bearer later");
  CHECK(dirsync::http::detail::to_request(empty_first, "", "").authorization.empty());
}
