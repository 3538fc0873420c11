#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "config/metrics.hpp"
#include "http/message.hpp"
#include "http/server.hpp"

namespace dirsync::http::detail {

/// The request type Beast parses into.
using wire_request = boost::beast::http::request<boost::beast::http::string_body>;

class session_base;

/// State shared by the server and its sessions; lives while any session does.
struct server_context {
  server_options options;                          ///< Limits and timeouts.
  handler on_request;                              ///< The application.
  std::unique_ptr<boost::asio::ssl::context> tls;  ///< Set when serving HTTPS.
  metrics::registry* registry = nullptr;           ///< Outlives the server.
  metrics::gauge* in_flight_gauge = nullptr;       ///< dirsync_http_in_flight.
  metrics::counter* rejected_overload = nullptr;   ///< reason="overload".
  metrics::counter* rejected_too_large = nullptr;  ///< reason="too_large".
  metrics::counter* rejected_timeout = nullptr;    ///< reason="timeout".
  metrics::counter* rejected_bad_request = nullptr; ///< reason="bad_request".

  std::atomic<std::size_t> in_flight{0}; ///< Handed to the handler, not yet written.
  std::atomic<bool> stopping{false};     ///< Set by stop(): answer 503, close after writes.
  std::mutex drain_mutex;                ///< Pairs with `drained`.
  std::condition_variable drained;       ///< Notified when in_flight drops to 0.

  std::shared_mutex delivery_mutex; ///< Shared by deliveries, exclusive by stop().
  bool delivery_open = true;        ///< False once the I/O context is stopped.

  std::mutex sessions_mutex;                         ///< Guards `sessions`.
  std::vector<std::weak_ptr<session_base>> sessions; ///< Live connections.
  std::size_t prune_sessions_at = 64;                ///< Size that triggers a prune.

  /// Series of one route (and status), found once: the registry's lookup
  /// builds label sets and takes its lock.
  struct route_series {
    metrics::histogram* duration = nullptr;                ///< By route.
    std::vector<std::pair<int, metrics::counter*>> totals; ///< By status.
  };
  std::mutex series_mutex;                                  ///< Guards `series`.
  std::unordered_map<std::string, route_series> series;     ///< By route.

  /// Records one answered request: requests_total and duration histogram.
  void record(const std::string& route, int status, double seconds);
  /// Marks one in-flight request as written (or abandoned).
  void finish_in_flight();
};

/// Interface the server uses to shut connections down.
class session_base {
public:
  /// Virtual: sessions are owned through this base.
  virtual ~session_base() = default;
  /// Closes the connection if it is waiting for a next request (posted to
  /// its strand).
  virtual void close_if_idle() = 0;
  /// Closes the connection now; only while no I/O thread is running.
  virtual void force_close() = 0;
};

/// Creates a (plain or TLS) session for an accepted socket, registers it in
/// `ctx->sessions` and starts reading.
void launch_session(boost::asio::ip::tcp::socket socket, const std::shared_ptr<server_context>& ctx);

/// Converts a parsed Beast request into the handler's request; the body is
/// moved out of `in`.
request to_request(wire_request& in, std::string remote_address, std::string request_id);

/// Pure: the bytes of a handler response as written to the connection:
/// status line, Server, X-Request-Id, Content-Type, the extra headers,
/// Connection as `keep_alive` and the version need, Content-Length, body.
std::string to_wire(response&& in, const std::string& request_id, unsigned version, bool keep_alive);

/// Pure: the request target of the request line at the start of `buffered`
/// ("METHOD SP target SP ..."), or "" when there is none. Lets a request that
/// failed to parse (bad header field, header too large) still be answered in
/// the SCIM error shape when it was aimed at /scim/.
std::string_view request_target_hint(std::string_view buffered);

/// A fresh random request id: 16 lowercase hex characters.
std::string new_request_id();

} // namespace dirsync::http::detail
