#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/metrics.hpp"
#include "http/message.hpp"

namespace dirsync::http {

/// Listener settings. Every limit is explicit; the defaults are the
/// production values.
struct server_options {
  std::string bind = "127.0.0.1";        ///< Address to listen on.
  std::uint16_t port = 8080;             ///< TCP port; 0 picks a free one.
  int io_threads = 1;                    ///< Threads running the I/O context.
  std::size_t max_body_bytes = 1 << 20;  ///< Larger bodies get 413 and close.
  std::size_t max_header_bytes = 16 * 1024; ///< Larger headers get 431 and close.
  std::chrono::milliseconds read_timeout{30000}; ///< Whole request, from its first byte.
  std::chrono::milliseconds idle_timeout{60000}; ///< Keep-alive wait for the next request.
  std::size_t max_in_flight = 1024;      ///< Past this, 503 + Retry-After: 1.
  /// Paths admitted even past max_in_flight: the health probes, answered
  /// without the actors, must not fail while the service sheds load.
  std::vector<std::string> always_admit{"/healthz", "/readyz"};
  std::string tls_cert;                  ///< PEM chain file; with tls_key enables HTTPS.
  std::string tls_key;                   ///< PEM private key file.
};

/// HTTP/1.1 front end: accepts connections, parses requests with Beast,
/// enforces the limits of server_options, hands each request to the handler
/// and writes the responder's answer back in order. Records the
/// dirsync_http_* metrics and logs one line per request (no bodies, query
/// values or credentials).
class server {
public:
  /// Configures the server; nothing is opened until start().
  server(server_options options, handler on_request, metrics::registry& registry);
  /// Stops with no grace period if still running.
  ~server();
  /// Not copyable.
  server(const server&) = delete;
  /// Not assignable.
  server& operator=(const server&) = delete;

  /// Loads TLS material, binds, listens and spawns the I/O threads. Returns
  /// an error text on failure (bad address, port taken, unreadable cert/key).
  /// A server is started at most once.
  std::optional<std::string> start();

  /// The bound port (useful after binding port 0); 0 before start().
  std::uint16_t port() const;

  /// Stops accepting, closes idle keep-alive connections, waits up to `grace`
  /// for in-flight requests to be answered and written, then closes every
  /// connection and joins the I/O threads. Idempotent.
  void stop(std::chrono::milliseconds grace);

  /// Requests handed to the handler whose response is not yet written.
  std::size_t in_flight() const;

private:
  struct impl;                 ///< Asio objects, threads, shared state.
  std::unique_ptr<impl> impl_; ///< Never null.
};

} // namespace dirsync::http
