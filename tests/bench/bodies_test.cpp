// The load generator's hand-written requests and its field-less response
// parser (issue 6): the bodies are the bytes nlohmann::json wrote before,
// and the parser keeps the status, body, Retry-After and keep-alive.

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "scim.hpp"

using bench::json;

namespace {

// Feeds `wire` to a response_reader in pieces of `step` bytes, as reads of
// a socket would.
bench::response_reader& feed(bench::response_reader& r, std::string_view wire, std::size_t step) {
  r.eager(true);
  std::string held;
  for (std::size_t at = 0; at < wire.size() && !r.is_done(); at += step) {
    held.append(wire.substr(at, step));
    boost::beast::error_code ec;
    auto used = r.put(boost::asio::buffer(held), ec);
    if (ec == boost::beast::http::error::need_more)
      ec = {};
    REQUIRE_FALSE(ec);
    held.erase(0, used);
  }
  return r;
}

} // namespace

TEST_CASE("the load generator's user body is the text nlohmann::json wrote", "[bench]") {
  for (int i : {0, 7, 123456})
    CHECK(bench::user_body("b1-1-c" + std::to_string(i) + "@bench.example", "Given" + std::to_string(i),
                           "Family" + std::to_string(i))
          == bench::user_body_dom("b1-1-c" + std::to_string(i) + "@bench.example", "Given" + std::to_string(i),
                           "Family" + std::to_string(i)));
  // Values JSON escapes, and non-ASCII ones, take the DOM's way.
  CHECK(bench::user_body("a\"b\\c@x", "G\n", "Fé") == bench::user_body_dom("a\"b\\c@x", "G\n", "Fé"));
  CHECK(json::parse(bench::user_body("a\"b@x", "G", "F"))["userName"] == "a\"b@x");
}

TEST_CASE("a PatchOp body written as text is the one patch_body writes", "[bench]") {
  CHECK(bench::patch_text(R"({"op":"replace","path":"name.givenName","value":"G4"},)"
                          R"({"op":"replace","path":"name.familyName","value":"F4"})")
        == bench::patch_body({{{"op", "replace"}, {"path", "name.givenName"}, {"value", "G4"}},
                              {{"op", "replace"}, {"path", "name.familyName"}, {"value", "F4"}}}));
  for (bool to : {true, false})
    CHECK(bench::patch_text(to ? R"({"op":"replace","value":{"active":true}})"
                               : R"({"op":"replace","value":{"active":false}})")
          == bench::patch_body({{{"op", "replace"}, {"value", {{"active", to}}}}}));
}

TEST_CASE("the load generator's response parser keeps status, body, Retry-After and keep-alive", "[bench]") {
  std::string body = R"({"id":"u1","userName":"a@b"})";
  std::string wire = "HTTP/1.1 201 Created\r\nContent-Type: application/scim+json\r\nETag: W/\"1\"\r\n"
                     "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (std::size_t step : {wire.size(), std::size_t{1}, std::size_t{7}}) {
    bench::response_reader r;
    feed(r, wire, step);
    REQUIRE(r.is_done());
    CHECK(r.keep_alive());
    auto out = r.take();
    CHECK(out.status == 201);
    CHECK(out.body == body);
    CHECK(out.retry_after.empty());
  }

  SECTION("a 503 with Retry-After that closes the connection") {
    std::string refused = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
                          "Content-Length: 2\r\n\r\n{}";
    bench::response_reader r;
    feed(r, refused, 5);
    REQUIRE(r.is_done());
    CHECK_FALSE(r.keep_alive());
    auto out = r.take();
    CHECK(out.status == 503);
    CHECK(out.retry_after == "1");
    CHECK(out.body == "{}");
  }

  SECTION("a chunked body") {
    std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n";
    bench::response_reader r;
    feed(r, chunked, 3);
    REQUIRE(r.is_done());
    auto out = r.take();
    CHECK(out.status == 200);
    CHECK(out.body == "abcdef");
  }
}
