#include "http/session.hpp"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>
#include <type_traits>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/compile.h>
#include <spdlog/spdlog.h>

namespace dirsync::http::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

/// Bytes read at once while waiting for the first byte of a request.
constexpr std::size_t first_read_chunk = 4096;
/// Time a client gets to take our response off the wire.
constexpr std::chrono::seconds write_timeout{30};
/// Interim answer to "Expect: 100-continue".
constexpr char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";
/// Time allowed for the TLS close_notify exchange.
constexpr std::chrono::seconds tls_shutdown_timeout{2};

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// One connection. Only moves bytes: read a request, hand it to the handler,
/// write the answer, repeat. Every member runs on the connection's strand,
/// except deliver(), which only posts to it. The next request is read after
/// the previous response is written, so pipelined requests stay in order.
template <class Stream>
class session : public session_base, public std::enable_shared_from_this<session<Stream>> {
  static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

public:
  session(net::ip::tcp::socket&& socket, std::shared_ptr<server_context> ctx)
      : ctx_(std::move(ctx)), stream_(make_stream(std::move(socket), *ctx_)) {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec)
      remote_ = ep.address().to_string();
  }

  void run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (is_tls) {
        beast::get_lowest_layer(self->stream_).expires_after(self->ctx_->options.read_timeout);
        self->stream_.async_handshake(net::ssl::stream_base::server,
                                      [self](beast::error_code ec) {
                                        if (ec)
                                          return self->fail("tls handshake", ec);
                                        self->wait_for_request(true);
                                      });
      } else {
        self->wait_for_request(true);
      }
    });
  }

  void close_if_idle() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_)
        beast::get_lowest_layer(self->stream_).close();
    });
  }

  void force_close() override {
    beast::get_lowest_layer(stream_).close();
    if (awaiting_) {
      awaiting_ = false;
      ctx_->finish_in_flight();
    }
    hold_.reset();
  }

private:
  static Stream make_stream(net::ip::tcp::socket&& socket, server_context& ctx) {
    if constexpr (is_tls)
      return Stream(std::move(socket), *ctx.tls);
    else
      return Stream(std::move(socket));
  }

  // Phase 1: wait for the first byte (idle timeout between keep-alive requests,
  // read timeout before the first one). Skipped when bytes are already buffered.
  void wait_for_request(bool first) {
    if (buffer_.size() > 0)
      return read_request();
    idle_ = true;
    auto& tcp = beast::get_lowest_layer(stream_);
    tcp.expires_after(first ? ctx_->options.read_timeout : ctx_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(first_read_chunk),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->idle_ = false;
                              if (ec)
                                return self->close(); // idle timeout, EOF, closed by stop()
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  // Phase 2: the whole request must arrive within read_timeout of its first byte.
  void read_request() {
    parser_.emplace();
    parser_->body_limit(ctx_->options.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(ctx_->options.max_header_bytes));
    // Usually the whole request came with its first byte: parse what is
    // buffered here instead of through an asynchronous read, whose
    // completion would take one more trip through the I/O queue.
    beast::error_code ec;
    parser_->eager(true); // header and as much body as is buffered
    buffer_.consume(parser_->put(buffer_.data(), ec));
    if (ec == bhttp::error::need_more)
      ec = {};
    if (ec || parser_->is_done())
      return on_read(ec);
    beast::get_lowest_layer(stream_).expires_after(ctx_->options.read_timeout);
    if (parser_->is_header_done())
      return on_header(ec); // Expect: 100-continue, then the rest of the body
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  // Clients such as curl send "Expect: 100-continue" and wait for it before
  // the body; an oversize Content-Length has already failed with body_limit.
  void on_header(beast::error_code ec) {
    if (ec || parser_->is_done())
      return on_read(ec);
    if (!beast::iequals(parser_->get()[bhttp::field::expect], "100-continue"))
      return read_body();
    net::async_write(stream_, net::buffer(continue_line, sizeof continue_line - 1),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec)
                         return self->fail("write 100-continue", ec);
                       self->read_body();
                     });
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    started_ = std::chrono::steady_clock::now();
    if (ec == bhttp::error::end_of_stream)
      return close();
    if (ec == beast::error::timeout) {
      ctx_->rejected_timeout->inc();
      spdlog::info("http read timeout, closing connection");
      return close();
    }
    if (ec == bhttp::error::body_limit) {
      ctx_->rejected_too_large->inc();
      auto target = std::string(parser_->get().target());
      return reject(make_error_response(target_path(target), scim::error_code::payload_too_large,
                                        "The request body is too large."));
    }
    if (ec == bhttp::error::header_limit) {
      ctx_->rejected_too_large->inc();
      return reject(make_error_response(failed_path(), 431, "The request header is too large."));
    }
    if (ec.category() == beast::error_code(bhttp::error::bad_target).category() ||
        ec == bhttp::error::partial_message) {
      ctx_->rejected_bad_request->inc();
      spdlog::info("http malformed request: {}", ec.message());
      return reject(make_error_response(failed_path(), scim::error_code::invalid_syntax, "Malformed HTTP request."));
    }
    if (ec)
      return fail("read", ec);
    dispatch_request();
  }

  static std::string target_path(const std::string& target) {
    return target.substr(0, target.find('?'));
  }

  // Path of a request that failed to parse: from the parser if it got past
  // the request line, else from the bytes still buffered (SCIM error shape
  // under /scim/).
  std::string failed_path() const {
    std::string target(parser_ ? parser_->get().target() : beast::string_view{});
    if (target.empty()) {
      auto bytes = buffer_.data();
      target = std::string(request_target_hint({static_cast<const char*>(bytes.data()), bytes.size()}));
    }
    return target_path(target);
  }

  // A complete request: admit it (or answer 503) and hand it to the handler.
  void dispatch_request() {
    wire_request& in = parser_->get();
    request req = to_request(in, remote_, new_request_id()); // takes the body
    method_ = req.method;
    request_id_ = req.request_id;
    version_ = in.version();
    keep_alive_ = in.keep_alive();

    if (ctx_->stopping.load()) {
      ctx_->rejected_overload->inc();
      keep_alive_ = false;
      return answer(unavailable(req.path, "The service is shutting down."));
    }
    const auto& probes = ctx_->options.always_admit;
    bool probe = std::find(probes.begin(), probes.end(), req.path) != probes.end();
    if (ctx_->in_flight.fetch_add(1) >= ctx_->options.max_in_flight && !probe) {
      ctx_->in_flight.fetch_sub(1);
      ctx_->rejected_overload->inc();
      return answer(unavailable(req.path, "The service is overloaded; retry later."));
    }
    ctx_->in_flight_gauge->inc();
    awaiting_ = true;
    hold_ = this->shared_from_this(); // kept alive until answered or stop()

    std::weak_ptr<session> weak = hold_;
    std::shared_ptr<server_context> ctx = ctx_;
    std::string path = req.path;
    responder reply([weak, ctx](response r) { deliver(weak, ctx, std::move(r)); },
                    request_id_, std::move(path));
    try {
      ctx_->on_request(std::move(req), reply);
    } catch (const std::exception& e) {
      spdlog::error("http handler threw, request_id={}: {}", request_id_, e.what());
    }
  }

  static response unavailable(const std::string& path, std::string detail) {
    auto r = make_error_response(path, scim::error_code::unavailable, std::move(detail));
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  // Any thread: hop onto the session's strand. Never blocks beyond a shared lock
  // that stop() takes exclusively only once the I/O threads are gone.
  static void deliver(const std::weak_ptr<session>& weak, const std::shared_ptr<server_context>& ctx,
                      response r) {
    std::shared_lock lock(ctx->delivery_mutex);
    if (!ctx->delivery_open)
      return;
    if (auto self = weak.lock())
      net::post(self->stream_.get_executor(),
                [self, r = std::move(r)]() mutable { self->answer(std::move(r)); });
  }

  // Writes a response to a read error and closes afterwards.
  void reject(response r) {
    method_ = parser_ ? std::string(parser_->get().method_string()) : std::string();
    request_id_ = new_request_id();
    version_ = 11;
    keep_alive_ = false;
    answer(std::move(r));
  }

  void answer(response r) {
    if (hold_) {
      if (!awaiting_)
        return; // already answered or force-closed
      hold_.reset();
    }
    bool keep_alive = keep_alive_ && !ctx_->stopping.load();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    ctx_->record(r.route, r.status, seconds);
    if (auto* log = spdlog::default_logger_raw(); log->should_log(spdlog::level::info)) {
      // The access line's format is parsed at compile time: at run time
      // fmt's parse of it was a tenth of the HTTP layer's instructions.
      fmt::memory_buffer line;
      fmt::format_to(std::back_inserter(line), FMT_COMPILE("http {} {} {} {:.1f}ms request_id={}"), method_,
                     r.route, r.status, seconds * 1000.0, request_id_);
      log->info(std::string_view{line.data(), line.size()});
    }
    response_ = to_wire(std::move(r), request_id_, version_, keep_alive);
    beast::get_lowest_layer(stream_).expires_after(write_timeout);
    net::async_write(stream_, net::buffer(response_),
                       [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                         self->on_write(ec, keep_alive);
                       });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    response_.clear();
    if (awaiting_) {
      awaiting_ = false;
      ctx_->finish_in_flight();
    }
    if (ec)
      return fail("write", ec);
    if (!keep_alive || ctx_->stopping.load())
      return close();
    wait_for_request(false);
  }

  void fail(const char* what, beast::error_code ec) {
    if (ec != net::error::operation_aborted && ec != net::error::eof &&
        ec != net::ssl::error::stream_truncated)
      spdlog::debug("http {} failed: {}", what, ec.message());
    beast::get_lowest_layer(stream_).close();
  }

  void close() {
    if constexpr (is_tls) {
      beast::get_lowest_layer(stream_).expires_after(tls_shutdown_timeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
      });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
      stream_.close();
    }
  }

  std::shared_ptr<server_context> ctx_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string response_; // the bytes being written
  std::shared_ptr<session> hold_;           // self-reference while the handler has the request
  std::string remote_;
  std::string method_;
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool awaiting_ = false; // counted in in_flight
  bool idle_ = false;     // waiting for the first byte of a request
};

} // namespace

void launch_session(net::ip::tcp::socket socket, const std::shared_ptr<server_context>& ctx) {
  std::shared_ptr<session_base> base;
  if (ctx->tls) {
    auto s = std::make_shared<session<tls_stream>>(std::move(socket), ctx);
    base = s;
    s->run();
  } else {
    auto s = std::make_shared<session<plain_stream>>(std::move(socket), ctx);
    base = s;
    s->run();
  }
  std::lock_guard lock(ctx->sessions_mutex);
  auto& list = ctx->sessions;
  // Prune closed sessions once the list has doubled since the last prune.
  if (list.size() >= ctx->prune_sessions_at) {
    list.erase(std::remove_if(list.begin(), list.end(), [](auto& w) { return w.expired(); }),
               list.end());
    ctx->prune_sessions_at = std::max<std::size_t>(64, list.size() * 2);
  }
  list.push_back(base);
}

} // namespace dirsync::http::detail
