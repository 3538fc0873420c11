#include "http/server.hpp"

#include <iterator>
#include <random>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/version.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "http/query.hpp"
#include "http/session.hpp"

namespace dirsync::http {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

// ---- pure conversions -------------------------------------------------------

namespace detail {

request to_request(wire_request& in, std::string remote_address, std::string request_id) {
  request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  auto parsed = parse_target(out.target);
  out.path = std::move(parsed.path);
  out.query = std::move(parsed.query);
  // One pass over the fields (each knows its field enum) instead of one
  // case-insensitive tree search per header; the first of repeated fields
  // wins, as in[field] would.
  std::string* slots[] = {&out.authorization, &out.content_type, &out.if_match, &out.if_none_match, &out.accept};
  bool seen[std::size(slots)] = {};
  for (const auto& f : in) {
    std::size_t i = 0;
    switch (f.name()) {
      case bhttp::field::authorization: i = 0; break;
      case bhttp::field::content_type: i = 1; break;
      case bhttp::field::if_match: i = 2; break;
      case bhttp::field::if_none_match: i = 3; break;
      case bhttp::field::accept: i = 4; break;
      default: continue;
    }
    if (!seen[i]) // even an empty first value wins
      slots[i]->assign(f.value().data(), f.value().size());
    seen[i] = true;
  }
  out.body = std::move(in.body());
  out.request_id = std::move(request_id);
  out.remote_address = std::move(remote_address);
  return out;
}

namespace {

// Appends "name: value\r\n". A CR or LF in a value (none of ours has one)
// is dropped, so no value can start another header.
void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ": ";
  for (char c : value)
    if (c != '\r' && c != '\n')
      out.push_back(c);
  out += "\r\n";
}

} // namespace

std::string to_wire(response&& in, const std::string& request_id, unsigned version, bool keep_alive) {
  // Written here rather than by Beast's serializer, whose buffer sequences
  // cost about 4 % of the server's time on lookups.
  const auto status = static_cast<bhttp::status>(in.status);
  // RFC 9110 §6.4.1: no content (and no Content-Length) for 1xx, 204, 304.
  const bool no_content = in.status == 204 || in.status == 304 || in.status / 100 == 1;
  if (no_content)
    in.body.clear();
  std::string out;
  out.reserve(256 + in.body.size());
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(in.status);
  out.push_back(' ');
  out.append(bhttp::obsolete_reason(status));
  out += "\r\n";
  append_field(out, "Server", "dirsync");
  append_field(out, "X-Request-Id", request_id);
  if (!in.content_type.empty())
    append_field(out, "Content-Type", in.content_type);
  for (const auto& [name, value] : in.headers)
    append_field(out, name, value);
  if (version == 10 && keep_alive)
    append_field(out, "Connection", "keep-alive");
  else if (version != 10 && !keep_alive)
    append_field(out, "Connection", "close");
  if (!no_content)
    append_field(out, "Content-Length", std::to_string(in.body.size()));
  out += "\r\n";
  out += in.body;
  return out;
}

std::string_view request_target_hint(std::string_view buffered) {
  auto line = buffered.substr(0, buffered.find('\r'));
  auto sp = line.find(' ');
  if (sp == 0 || sp == std::string_view::npos)
    return {};
  auto target = line.substr(sp + 1);
  return target.substr(0, target.find(' '));
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

void server_context::record(const std::string& route, int status, double seconds) {
  metrics::histogram* duration = nullptr;
  metrics::counter* total = nullptr;
  {
    std::lock_guard lock(series_mutex);
    auto& s = series[route];
    if (!s.duration)
      s.duration = &registry->histogram("dirsync_http_request_duration_seconds",
                                        "Time from a complete request to its response, by route.",
                                        {{"route", route}});
    duration = s.duration;
    for (auto& [code, c] : s.totals)
      if (code == status)
        total = c;
    if (!total) {
      total = &registry->counter("dirsync_http_requests_total",
                                 "HTTP requests answered, by route and status.",
                                 {{"route", route}, {"status", std::to_string(status)}});
      s.totals.emplace_back(status, total);
    }
  }
  total->inc();
  duration->observe(seconds);
}

void server_context::finish_in_flight() {
  in_flight_gauge->dec();
  if (in_flight.fetch_sub(1) == 1) {
    std::lock_guard lock(drain_mutex);
    drained.notify_all();
  }
}

} // namespace detail

// ---- server -----------------------------------------------------------------

struct server::impl {
  std::shared_ptr<detail::server_context> ctx = std::make_shared<detail::server_context>();
  net::io_context ioc;
  tcp::acceptor acceptor{net::make_strand(ioc)};
  net::steady_timer accept_backoff{acceptor.get_executor()};
  // Keeps run() going while every connection waits on the application.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;

  // The executor of a new connection. With one I/O thread every handler
  // already runs in turn, so a strand per connection would only add a lock
  // and a queue hop to each handler; with several threads it keeps a
  // connection's handlers from running at once.
  net::any_io_executor connection_executor() {
    if (ctx->options.io_threads > 1)
      return net::make_strand(ioc);
    return ioc.get_executor();
  }

  void accept() {
    acceptor.async_accept(connection_executor(), [this](boost::system::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !acceptor.is_open())
        return; // closed by stop()
      if (!ec) {
        detail::launch_session(std::move(s), ctx);
        accept();
        return;
      }
      // Out of descriptors (EMFILE) and the like fail again at once: wait a
      // little instead of spinning on the accept loop.
      spdlog::warn("http accept failed: {}; retrying in 50 ms", ec.message());
      accept_backoff.expires_after(std::chrono::milliseconds{50});
      accept_backoff.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec && acceptor.is_open())
          accept();
      });
    });
  }

  std::optional<std::string> load_tls() {
    const auto& o = ctx->options;
    if (o.tls_cert.empty() && o.tls_key.empty())
      return std::nullopt;
    if (o.tls_cert.empty() || o.tls_key.empty())
      return std::string("TLS needs both a certificate and a key file");
    auto tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(o.tls_cert, ec);
    if (ec)
      return fmt::format("cannot load TLS certificate '{}': {}", o.tls_cert, ec.message());
    tls->use_private_key_file(o.tls_key, net::ssl::context::pem, ec);
    if (ec)
      return fmt::format("cannot load TLS key '{}': {}", o.tls_key, ec.message());
    ctx->tls = std::move(tls);
    return std::nullopt;
  }

  std::optional<std::string> listen() {
    const auto& o = ctx->options;
    boost::system::error_code ec;
    auto address = net::ip::make_address(o.bind, ec);
    if (ec)
      return fmt::format("invalid bind address '{}'", o.bind);
    tcp::endpoint endpoint{address, o.port};
    auto where = fmt::format("{}:{}", o.bind, o.port);
    if (acceptor.open(endpoint.protocol(), ec); ec)
      return fmt::format("cannot open socket for {}: {}", where, ec.message());
    if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec)
      return fmt::format("cannot set SO_REUSEADDR for {}: {}", where, ec.message());
    if (acceptor.bind(endpoint, ec); ec)
      return fmt::format("cannot bind {}: {}", where, ec.message());
    if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec)
      return fmt::format("cannot listen on {}: {}", where, ec.message());
    port = acceptor.local_endpoint(ec).port();
    return std::nullopt;
  }

  std::vector<std::shared_ptr<detail::session_base>> live_sessions() {
    std::lock_guard lock(ctx->sessions_mutex);
    std::vector<std::shared_ptr<detail::session_base>> out;
    for (auto& weak : ctx->sessions)
      if (auto s = weak.lock())
        out.push_back(std::move(s));
    return out;
  }
};

server::server(server_options options, handler on_request, metrics::registry& registry)
    : impl_(std::make_unique<impl>()) {
  auto& ctx = *impl_->ctx;
  ctx.options = std::move(options);
  ctx.on_request = std::move(on_request);
  ctx.registry = &registry;
  ctx.in_flight_gauge = &registry.gauge("dirsync_http_in_flight",
                                        "HTTP requests handed to the application, not yet answered.");
  auto rejected = [&registry](const char* reason) {
    return &registry.counter("dirsync_http_rejected_total",
                             "HTTP requests refused by the front end, by reason.",
                             {{"reason", reason}});
  };
  ctx.rejected_overload = rejected("overload");
  ctx.rejected_too_large = rejected("too_large");
  ctx.rejected_timeout = rejected("timeout");
  ctx.rejected_bad_request = rejected("bad_request");
}

server::~server() { stop(std::chrono::milliseconds(0)); }

std::optional<std::string> server::start() {
  auto& i = *impl_;
  if (i.started)
    return std::string("server already started");
  if (auto err = i.load_tls())
    return err;
  if (auto err = i.listen()) {
    boost::system::error_code ignored;
    i.acceptor.close(ignored);
    return err;
  }
  i.started = true;
  i.work.emplace(i.ioc.get_executor());
  i.accept();
  int n = std::max(1, i.ctx->options.io_threads);
  for (int t = 0; t < n; ++t)
    i.threads.emplace_back([&ioc = i.ioc] { ioc.run(); });
  spdlog::info("http listening on {}:{}{}", i.ctx->options.bind, i.port,
               i.ctx->tls ? " (TLS)" : "");
  return std::nullopt;
}

std::uint16_t server::port() const { return impl_->port; }

std::size_t server::in_flight() const { return impl_->ctx->in_flight.load(); }

void server::stop(std::chrono::milliseconds grace) {
  auto& i = *impl_;
  if (!i.started || i.stopped)
    return;
  i.stopped = true;
  auto& ctx = *i.ctx;
  ctx.stopping = true;

  // No new connections; idle keep-alive connections go now.
  net::post(i.acceptor.get_executor(), [&i] {
    boost::system::error_code ignored;
    i.acceptor.close(ignored);
    i.accept_backoff.cancel();
  });
  for (auto& s : i.live_sessions())
    s->close_if_idle();

  // Let in-flight requests be answered and written, up to the grace period.
  {
    std::unique_lock lock(ctx.drain_mutex);
    bool drained = ctx.drained.wait_for(lock, grace, [&ctx] { return ctx.in_flight.load() == 0; });
    if (!drained)
      spdlog::warn("http stop: {} request(s) still in flight after the grace period",
                   ctx.in_flight.load());
  }

  i.work.reset();
  i.ioc.stop();
  for (auto& t : i.threads)
    t.join();
  i.threads.clear();

  // From here responders deliver nowhere; close what is left from this thread.
  {
    std::unique_lock lock(ctx.delivery_mutex);
    ctx.delivery_open = false;
  }
  for (auto& s : i.live_sessions())
    s->force_close();
  boost::system::error_code ignored;
  i.acceptor.close(ignored);
  spdlog::info("http server stopped");
}

} // namespace dirsync::http
