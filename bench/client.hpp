#pragma once

// Bench HTTP client: one keep-alive HTTP/1.1 connection to 127.0.0.1 driven
// by its own io_context, so the thread that owns it can call request() as a
// plain blocking function. Every step is bounded by beast::tcp_stream's timer.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace bench {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

/// One response: status (0 = transport failure or timeout) and body.
struct response {
  int status = 0;
  std::string body;
  std::string retry_after; ///< The Retry-After header, if any.
};

class client {
public:
  client(std::uint16_t port, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {}

  /// Reconnections made after the first connection (server closed, errors).
  std::uint64_t reconnects() const { return reconnects_; }

  /// Sends one request and waits for the answer (or the timeout).
  response request(bhttp::verb method, std::string_view target, std::string body, const std::string& token) {
    bhttp::request<bhttp::string_body> req{method, beast::string_view{target.data(), target.size()}, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    req.set(bhttp::field::authorization, "Bearer " + token);
    req.set(bhttp::field::accept, "application/scim+json");
    if (!body.empty())
      req.set(bhttp::field::content_type, "application/scim+json");
    req.body() = std::move(body);
    req.keep_alive(true);
    req.prepare_payload();
    // One retry, and only when a reused connection turned out to be closed
    // before the server read anything (write failed or EOF before any byte).
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = stream_ != nullptr;
      if (!reused && !connect())
        return {};
      beast::error_code wec = beast::error::timeout;
      stream_->expires_after(timeout_);
      run([&] { bhttp::async_write(*stream_, req, [&](beast::error_code e, std::size_t) { wec = e; }); });
      if (wec) {
        stream_.reset();
        if (reused)
          continue;
        return {};
      }
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(512ull * 1024 * 1024);
      beast::error_code rec = beast::error::timeout;
      std::size_t got = 0;
      stream_->expires_after(timeout_);
      run([&] {
        bhttp::async_read(*stream_, buffer_, parser, [&](beast::error_code e, std::size_t n) {
          rec = e;
          got = n;
        });
      });
      if (rec) {
        stream_.reset();
        if (reused && got == 0 && (rec == bhttp::error::end_of_stream || rec == net::error::connection_reset))
          continue;
        return {};
      }
      auto res = parser.release();
      response out{static_cast<int>(res.result_int()), std::move(res.body()),
                   std::string(res[bhttp::field::retry_after])};
      if (!res.keep_alive())
        stream_.reset();
      return out;
    }
    return {};
  }

private:
  template <class Start>
  void run(Start start) {
    ioc_.restart();
    start();
    ioc_.run(); // bounded: the stream's timer cancels the operation
  }

  bool connect() {
    if (connected_once_)
      ++reconnects_;
    connected_once_ = true;
    stream_ = std::make_unique<beast::tcp_stream>(ioc_);
    buffer_.clear();
    net::ip::tcp::endpoint ep{net::ip::make_address("127.0.0.1"), port_};
    beast::error_code ec = beast::error::timeout;
    stream_->expires_after(timeout_);
    run([&] { stream_->async_connect(ep, [&](beast::error_code e) { ec = e; }); });
    if (ec) {
      stream_.reset();
      return false;
    }
    stream_->socket().set_option(net::ip::tcp::no_delay{true});
    return true;
  }

  net::io_context ioc_{1};
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::uint64_t reconnects_ = 0;
  bool connected_once_ = false;
};

} // namespace bench
