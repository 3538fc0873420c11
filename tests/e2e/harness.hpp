#pragma once

// End-to-end harness: runs the real dirsyncd binary (DIRSYNCD_PATH) on a
// temporary data folder and a free loopback port, and talks HTTP/1.1 to it
// through a small synchronous Beast client whose every step is bounded by a
// timeout, so a broken daemon fails a test instead of hanging the suite.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include <nlohmann/json.hpp>

namespace dirsync::e2e {

using json = nlohmann::json;

/// The SCIM Error schema URN every error body must carry.
inline constexpr const char* error_urn = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr const char* user_urn = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr const char* group_urn = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr const char* patch_urn = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr const char* list_urn = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr const char* search_urn = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
inline constexpr const char* enterprise_urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One HTTP response: status, headers (names lower-cased) and body.
struct response {
  int status = 0;                             ///< 0 when the exchange failed.
  std::map<std::string, std::string> headers; ///< Lower-cased names.
  std::string body;                           ///< Raw body.
  std::string error;                          ///< Transport error, if any.

  /// Header value or "" (name in any case).
  std::string header(const std::string& name) const;
  /// The body parsed as JSON; a discarded value if it is not JSON.
  json json_body() const;
};

/// Result of running dirsyncd to completion.
struct process_result {
  int exit_code = -1; ///< -1 when killed by a signal or timed out.
  std::string out;    ///< Captured stdout.
  std::string err;    ///< Captured stderr.
};

/// Runs DIRSYNCD_PATH with `args`, waits at most `timeout`.
process_result run_dirsyncd(const std::vector<std::string>& args,
                            std::chrono::seconds timeout = std::chrono::seconds{20});

/// Percent-encodes a query value (spaces as %20).
std::string url_encode(const std::string& text);

/// Keep-alive HTTP/1.1 client to 127.0.0.1:port; reconnects when the server
/// closed the connection.
class client {
public:
  explicit client(std::uint16_t port);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  /// Default bearer token sent when a call does not give one.
  void set_token(std::string token) { token_ = std::move(token); }

  /// Sends any request. `token` "-" means: no Authorization header.
  response request(const std::string& method, const std::string& target, const std::string& body = {},
                   const std::map<std::string, std::string>& headers = {}, const std::string& token = {});

  response get(const std::string& target, const std::map<std::string, std::string>& headers = {}) {
    return request("GET", target, {}, headers);
  }
  response post(const std::string& target, const json& body) { return request("POST", target, body.dump()); }
  response put(const std::string& target, const json& body) { return request("PUT", target, body.dump()); }
  response patch(const std::string& target, const json& body) { return request("PATCH", target, body.dump()); }
  response del(const std::string& target) { return request("DELETE", target); }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::string token_;
};

/// A raw TCP connection to 127.0.0.1:port for requests no HTTP client
/// sends (malformed, truncated, byte by byte). Every wait is bounded.
class raw_connection {
public:
  /// Connects; REQUIREs success.
  explicit raw_connection(std::uint16_t port);
  ~raw_connection();
  raw_connection(const raw_connection&) = delete;
  raw_connection& operator=(const raw_connection&) = delete;

  /// Writes all of `bytes`; false once the server has closed or reset the connection.
  bool send(const std::string& bytes);
  /// Reads one response; status 0 and `error` set on close or after `timeout`.
  response read_response(std::chrono::milliseconds timeout = std::chrono::seconds{10});
  /// Waits up to `timeout` for the server to close the connection; true if it did.
  bool closed_by_peer(std::chrono::milliseconds timeout);

private:
  int fd_ = -1;
  std::string buffered_; ///< Received, not yet parsed.
};

/// A directory created and completed through the admin API.
struct directory {
  std::string id;    ///< Directory id.
  std::string token; ///< SCIM bearer token.
};

/// A running dirsyncd with its own data folder and Owner admin key.
class daemon {
public:
  /// Creates the data folder, runs create-owner and starts serve with `extra` flags.
  explicit daemon(std::vector<std::string> extra = {});
  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  /// Starts serve (REQUIREs the port line within ~10 s).
  void start();
  /// SIGTERM, wait (SIGKILL after 10 s); returns the exit code (-1 if killed).
  int stop();
  /// SIGKILL (no chance to flush), wait; returns -1.
  int kill_hard();
  /// stop() then start() on the same data.
  int restart();

  std::uint16_t port() const { return port_; }
  /// Process id of the running serve, -1 when stopped.
  pid_t pid() const { return pid_; }
  const std::string& admin_key() const { return admin_key_; }
  const std::string& data_dir() const { return dir_; }
  /// Path of the SQLite database.
  std::string db_path() const { return dir_ + "/dirsync.db"; }
  /// A new client for this daemon (no default token).
  std::unique_ptr<client> connect() const { return std::make_unique<client>(port_); }

  /// POST /admin/v1/directories then /complete; REQUIREs 201 and 200.
  directory create_directory(const std::string& type, const std::string& name = "e2e");
  /// Adds flags for the next start().
  void add_args(const std::vector<std::string>& args) { extra_.insert(extra_.end(), args.begin(), args.end()); }
  /// The flags given to serve (besides data paths and port).
  std::vector<std::string> serve_args() const;

private:
  std::string dir_;
  std::string admin_key_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::uint16_t port_ = 0;
};

/// A daemon, one completed directory of `type` and a client using its token.
struct fixture {
  explicit fixture(const std::string& type = "okta", std::vector<std::string> extra = {});
  daemon d;                  ///< The running daemon.
  directory dir;             ///< Its directory.
  std::unique_ptr<client> c; ///< Client with dir.token as default token.
};

/// An admin API call (`/admin/v1` + path) with `key`; a null body sends none.
response admin_request(client& c, const std::string& key, const std::string& method, const std::string& path,
                       const json& body = nullptr);
/// Seconds since the epoch of an RFC 3339 UTC time (milliseconds dropped).
std::int64_t epoch_seconds(const std::string& at);
/// Moves the test clock of `d` (started with --clock.test true) forward and
/// waits until what became due ran (REQUIREs 200); returns {"now", ...}.
json advance_clock(client& c, const daemon& d, long seconds);
/// POSTs a user (REQUIREs 201) and returns its id.
std::string create_user(client& c, const std::string& user_name, const json& extra = json::object());
/// POSTs a group (REQUIREs 201) and returns its id.
std::string create_group(client& c, const std::string& display_name, const json& members = json::array());
/// The ids in a ListResponse body's Resources (empty if absent).
std::vector<std::string> resource_ids(const json& list);

/// CHECKs a SCIM error response: status, schemas [Error URN], status as a
/// string, scimType (when given) and a detail string.
void check_scim_error(const response& r, int status, const std::string& scim_type = {});

/// A minimal valid User body.
json user_body(const std::string& user_name, const json& extra = json::object());
/// A minimal valid Group body.
json group_body(const std::string& display_name, const json& members = json::array());
/// A PatchOp body with the given operations.
json patch_body(const json& operations);

} // namespace dirsync::e2e
