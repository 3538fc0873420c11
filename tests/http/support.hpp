#pragma once

// Test helpers: a server on 127.0.0.1:0 and a small Beast client whose every
// operation is bounded by a timeout, so a broken server fails a test instead
// of hanging it.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>

#include "config/metrics.hpp"
#include "http/server.hpp"

namespace dirsync::http::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

/// Upper bound for any single client operation.
inline constexpr std::chrono::seconds client_timeout{5};

/// A started server with its own metrics registry.
struct running_server {
  metrics::registry registry;                   ///< Fresh per test.
  std::unique_ptr<http::server> srv;            ///< Started in the constructor.

  /// Starts on 127.0.0.1:0 with `options` (bind/port overridden).
  explicit running_server(handler h, server_options options = {}) {
    options.bind = "127.0.0.1";
    options.port = 0;
    srv = std::make_unique<http::server>(std::move(options), std::move(h), registry);
    auto err = srv->start();
    INFO((err ? *err : std::string()));
    REQUIRE(!err);
  }
  /// The bound port.
  std::uint16_t port() const { return srv->port(); }
};

/// Synchronous-looking client over a plain or TLS stream.
template <class Stream>
class basic_client {
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
  /// Connects (and handshakes, for TLS) to 127.0.0.1:port.
  explicit basic_client(std::uint16_t port) : stream_(make()) {
    net::ip::tcp::endpoint ep{net::ip::make_address("127.0.0.1"), port};
    beast::error_code ec;
    run([&] { tcp().async_connect(ep, [&](beast::error_code e) { ec = e; }); });
    REQUIRE(!ec);
    if constexpr (is_tls) {
      run([&] { stream_.async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) { ec = e; }); });
      INFO(ec.message());
      REQUIRE(!ec);
    }
  }

  /// Writes raw bytes.
  beast::error_code write_raw(const std::string& bytes) {
    beast::error_code ec;
    run([&] {
      net::async_write(stream_, net::buffer(bytes), [&](beast::error_code e, std::size_t) { ec = e; });
    });
    return ec;
  }

  /// Reads one response; the error is set on EOF, reset or timeout.
  beast::error_code read(bhttp::response<bhttp::string_body>& out) {
    beast::error_code ec;
    out = {};
    run([&] { bhttp::async_read(stream_, buffer_, out, [&](beast::error_code e, std::size_t) { ec = e; }); });
    return ec;
  }

  /// Sends a request and reads its response (REQUIREs success).
  bhttp::response<bhttp::string_body> roundtrip(bhttp::request<bhttp::string_body> req) {
    req.set(bhttp::field::host, "localhost");
    req.prepare_payload();
    beast::error_code ec;
    run([&] { bhttp::async_write(stream_, req, [&](beast::error_code e, std::size_t) { ec = e; }); });
    REQUIRE(!ec);
    bhttp::response<bhttp::string_body> res;
    ec = read(res);
    INFO(ec.message());
    REQUIRE(!ec);
    return res;
  }

  /// GET `target` on this connection.
  bhttp::response<bhttp::string_body> get(const std::string& target) {
    return roundtrip({bhttp::verb::get, target, 11});
  }

  /// True if the server closes the connection (EOF/reset) within the timeout.
  bool closed_by_peer() {
    char byte;
    beast::error_code ec;
    run([&] { stream_.async_read_some(net::buffer(&byte, 1), [&](beast::error_code e, std::size_t) { ec = e; }); });
    return ec && ec != beast::error::timeout;
  }

private:
  Stream make() {
    if constexpr (is_tls) {
      tls_.set_verify_mode(net::ssl::verify_none); // self-signed test certificate
      return Stream(ioc_, tls_);
    } else {
      return Stream(ioc_);
    }
  }
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  template <class Start>
  void run(Start start) {
    tcp().expires_after(client_timeout);
    start();
    ioc_.restart();
    ioc_.run();
  }

  net::io_context ioc_;
  net::ssl::context tls_{net::ssl::context::tls_client};
  Stream stream_;
  beast::flat_buffer buffer_;
};

/// Plain HTTP client.
using client = basic_client<beast::tcp_stream>;
/// HTTPS client that skips certificate verification.
using tls_client = basic_client<beast::ssl_stream<beast::tcp_stream>>;

/// A handler answering 200 with route "test" and the decoded path as body.
inline handler echo_path() {
  return [](request req, responder reply) {
    response r;
    r.route = "test";
    r.body = req.path;
    reply.send(std::move(r));
  };
}

} // namespace dirsync::http::test
