#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scim/error.hpp"

namespace dirsync::http {

/// One parsed HTTP request, independent of Beast; what a handler sees.
struct request {
  std::string method;        ///< "GET", "POST", ... as sent.
  std::string target;        ///< Raw request target (path and query, encoded).
  std::string path;          ///< Percent-decoded path without the query.
  std::vector<std::pair<std::string, std::string>> query; ///< Decoded, in order.
  std::string authorization; ///< Authorization header (never log it).
  std::string content_type;  ///< Content-Type header.
  std::string if_match;      ///< If-Match header.
  std::string if_none_match; ///< If-None-Match header.
  std::string accept;        ///< Accept header.
  std::string body;          ///< Request body (never log it).
  std::string request_id;    ///< Generated per request; echoed as X-Request-Id.
  std::string remote_address; ///< Peer IP address.

  /// First query value for `key` (case-sensitive), if present.
  std::optional<std::string_view> query_value(std::string_view key) const;
};

/// What a handler answers. The server adds X-Request-Id, Server, Content-Type.
struct response {
  int status = 200;                            ///< HTTP status code.
  std::string content_type = "application/json"; ///< Empty: no Content-Type.
  std::vector<std::pair<std::string, std::string>> headers; ///< Extra headers.
  std::string body;                            ///< Response body.
  std::string route = "other";                 ///< Low-cardinality metrics label.
};

/// A JSON error response: the SCIM Error shape (application/scim+json) when
/// `path` is under /scim/, else {"error": detail, "status": n}.
response make_error_response(std::string_view path, scim::error_code code, std::string detail);

/// Same, for a status that has no SCIM error code (e.g. 431, 408).
response make_error_response(std::string_view path, int status, std::string detail);

/// Handle to answer one request exactly once, from any thread. Copies share
/// state. send() never blocks: it hands the response to the delivery function
/// (the server posts it to the connection's executor). Calls after the first
/// are ignored. If the last copy dies without send(), a 500 JSON error is
/// delivered and "request dropped" logged, so a client never hangs.
class responder {
public:
  /// Receives the response exactly once; must not block.
  using deliver_fn = std::function<void(response)>;

  /// An empty responder: send() does nothing, sent() is true.
  responder() = default;
  /// A responder that delivers to `deliver`; `request_id` is only for logs.
  responder(deliver_fn deliver, std::string request_id, std::string path = {});

  /// Answers the request; ignored if already answered.
  void send(response r) const;
  /// True once send() has been called (or for an empty responder).
  bool sent() const;

private:
  struct state;                  ///< Shared between copies; its end sends 500.
  std::shared_ptr<state> state_; ///< Null for an empty responder.
};

/// Application entry point: called on an I/O thread; must not block. Answer
/// through the responder, now or later, from any thread.
using handler = std::function<void(request, responder)>;

} // namespace dirsync::http
