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
#include <boost/asio/write.hpp>
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

/// Beast's HTTP parser, keeping only what `response` holds: the status, the
/// body and Retry-After. The other header fields are not stored, as a
/// response_parser would allocate each of them (create workload: 27.8k ->
/// 24.3k load generator instructions per request).
class response_reader : public bhttp::basic_parser<false> {
public:
  response_reader() { body_limit(512ull * 1024 * 1024); }
  response take() { return std::move(out_); }

private:
  void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int, beast::error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, beast::error_code&) override { out_.status = code; }
  void on_field_impl(bhttp::field name, beast::string_view, beast::string_view value, beast::error_code&) override {
    if (name == bhttp::field::retry_after)
      out_.retry_after.assign(value.data(), value.size());
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast::error_code&) override {
    if (length)
      out_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view part, beast::error_code&) override {
    out_.body.append(part.data(), part.size());
    return part.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view part, beast::error_code& ec) override {
    return on_body_impl(part, ec);
  }
  void on_finish_impl(beast::error_code&) override {}

  response out_;
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
    // The request goes out as one buffer written by hand, not through Beast's
    // request serializer and its field allocations (callgrind, create
    // workload: 48.4k -> 27.8k load generator instructions per request). The
    // answer is read by Beast's parser (response_reader).
    auto verb = bhttp::to_string(method);
    wire_.clear();
    wire_.append(verb.data(), verb.size()).append(" ").append(target).append(" HTTP/1.1\r\n");
    wire_.append("Host: 127.0.0.1\r\nAuthorization: Bearer ").append(token);
    wire_.append("\r\nAccept: application/scim+json\r\n");
    if (!body.empty())
      wire_.append("Content-Type: application/scim+json\r\n");
    if (!body.empty() || method == bhttp::verb::post || method == bhttp::verb::put || method == bhttp::verb::patch)
      wire_.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    wire_.append("\r\n").append(body);
    // One retry, and only when a reused connection turned out to be closed
    // before the server read anything (write failed or EOF before any byte).
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool reused = stream_ != nullptr;
      if (!reused && !connect())
        return {};
      beast::error_code wec;
      stream_->expires_after(timeout_);
      step(wec, [&](auto&& done) {
        return net::async_write(*stream_, net::buffer(wire_), std::forward<decltype(done)>(done));
      });
      if (wec) {
        stream_.reset();
        if (reused)
          continue;
        return {};
      }
      response_reader parser;
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
      if (!parser.keep_alive())
        stream_.reset();
      return parser.take();
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
  std::string wire_;        // the request being sent, kept for its capacity
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::uint64_t reconnects_ = 0;
  bool connected_once_ = false;
  std::optional<net::yield_context> yield_;
};

} // namespace bench
