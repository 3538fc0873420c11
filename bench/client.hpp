#pragma once

// Bench HTTP client: one keep-alive HTTP/1.1 connection to 127.0.0.1.
// request() reads as a plain blocking call in two settings: on a thread of
// its own (the client then runs its own io_context for each step), or inside
// a stackful coroutine (asio::spawn), where each step suspends the coroutine
// and one thread drives many connections. Every step is bounded by
// beast::tcp_stream's timer.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/spawn.hpp>
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
  /// A client for a thread of its own.
  client(std::uint16_t port, std::chrono::milliseconds timeout) : port_(port), timeout_(timeout) {}

  /// A client for the coroutine `yield` belongs to; its connection lives on
  /// that coroutine's executor.
  client(std::uint16_t port, std::chrono::milliseconds timeout, net::yield_context yield)
    : port_(port), timeout_(timeout), yield_(std::move(yield)) {}

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
      beast::error_code wec;
      stream_->expires_after(timeout_);
      step(wec, [&](auto&& done) { return bhttp::async_write(*stream_, req, std::forward<decltype(done)>(done)); });
      if (wec) {
        stream_.reset();
        if (reused)
          continue;
        return {};
      }
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(512ull * 1024 * 1024);
      beast::error_code rec;
      stream_->expires_after(timeout_);
      std::size_t got = step(rec, [&](auto&& done) {
        return bhttp::async_read(*stream_, buffer_, parser, std::forward<decltype(done)>(done));
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
  /// Runs one asynchronous step to its end and returns its byte count.
  /// `start(done)` begins it with the completion token `done`: the
  /// coroutine's yield_context (the coroutine waits) or, on a thread of its
  /// own, a handler while this client's io_context runs.
  template <class Start>
  std::size_t step(beast::error_code& ec, Start start) {
    if (yield_)
      return start((*yield_)[ec]);
    ec = beast::error::timeout;
    std::size_t bytes = 0;
    own_.restart();
    start([&](beast::error_code e, std::size_t n = 0) {
      ec = e;
      bytes = n;
    });
    own_.run(); // bounded: the stream's timer cancels the operation
    return bytes;
  }

  bool connect() {
    if (connected_once_)
      ++reconnects_;
    connected_once_ = true;
    if (yield_)
      stream_ = std::make_unique<beast::tcp_stream>(yield_->get_executor());
    else
      stream_ = std::make_unique<beast::tcp_stream>(own_);
    buffer_.clear();
    net::ip::tcp::endpoint ep{net::ip::make_address("127.0.0.1"), port_};
    beast::error_code ec;
    stream_->expires_after(timeout_);
    step(ec, [&](auto&& done) {
      stream_->async_connect(ep, std::forward<decltype(done)>(done));
      return std::size_t{0};
    });
    if (ec) {
      stream_.reset();
      return false;
    }
    stream_->socket().set_option(net::ip::tcp::no_delay{true});
    return true;
  }

  net::io_context own_{1}; // runs the steps of a client on a thread of its own
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::uint64_t reconnects_ = 0;
  bool connected_once_ = false;
  std::optional<net::yield_context> yield_;
};

} // namespace bench
