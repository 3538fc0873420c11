#pragma once
/// \file settings.hpp
/// The typed settings of dirsyncd (SPEC O1). Member initializers are the
/// single source of defaults; config/options.cpp documents every key.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace dirsync::config {

/// Which CAF scheduler policy runs the actors.
enum class scheduler_policy {
  sharing,  ///< One shared job queue; cheapest on few cores.
  stealing, ///< CAF's default work-stealing policy.
};

/// SQLite `PRAGMA synchronous` level.
enum class synchronous_mode {
  full,   ///< fsync on every commit: acknowledged writes survive power loss.
  normal, ///< fsync at checkpoints only: last commits may be lost on power loss.
  off,    ///< No fsync at all: for tests and benchmarks only.
};

/// Lowest severity that is logged.
enum class log_level { trace, debug, info, warn, error, off };

/// When an smtp:// connection upgrades to TLS with STARTTLS.
enum class starttls_mode {
  automatic, ///< "auto": when the server offers it; always when logging in.
  required,  ///< "require": always; a server without STARTTLS is an error.
  off,       ///< "off": never (plain text, login included).
};

/// Log line format.
enum class log_format {
  text, ///< Human-readable lines.
  json, ///< One JSON object per line.
};

/// Names of an enum's values in enumerator order (the spelling used in files, env and flags).
template <class Enum>
const std::vector<std::string>& enum_names();

/// Names of the scheduler policies.
template <>
const std::vector<std::string>& enum_names<scheduler_policy>();
/// Names of the SQLite synchronous modes.
template <>
const std::vector<std::string>& enum_names<synchronous_mode>();
/// Names of the log levels.
template <>
const std::vector<std::string>& enum_names<log_level>();
/// Names of the log formats.
template <>
const std::vector<std::string>& enum_names<log_format>();
/// Names of the STARTTLS modes.
template <>
const std::vector<std::string>& enum_names<starttls_mode>();

/// The config spelling of an enum value, e.g. "sharing".
template <class Enum>
const std::string& to_string(Enum value) {
  return enum_names<Enum>().at(static_cast<std::size_t>(value));
}

/// HTTP listener settings.
struct http_settings {
  /// Address to listen on.
  std::string bind = "127.0.0.1";
  /// Port to listen on; 0 picks a free port.
  std::uint16_t port = 8080;
  /// Beast I/O threads.
  int io_threads = 1;
  /// Largest accepted request body.
  std::uint64_t max_body_bytes = 1024 * 1024;
  /// Largest accepted request header block.
  std::uint64_t max_header_bytes = 16 * 1024;
  /// Time allowed to read one request.
  std::chrono::milliseconds read_timeout = std::chrono::seconds{30};
  /// Time an idle keep-alive connection stays open.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds{60};
  /// Requests in flight across all connections before 503.
  int max_in_flight = 1024;
  /// PEM certificate chain; empty = plain HTTP.
  std::string tls_cert;
  /// PEM private key; empty = plain HTTP.
  std::string tls_key;
  /// How long a request may wait for its actor before 503.
  std::chrono::milliseconds request_timeout = std::chrono::seconds{30};
  /// Failed authentications one client address may make per window.
  int auth_failure_limit = 20;
  /// Window of auth_failure_limit; past the limit requests get 429.
  std::chrono::milliseconds auth_failure_window = std::chrono::seconds{60};
};

/// Actor system settings.
struct actor_settings {
  /// CAF scheduler worker threads; 0: one per CPU the process may run on.
  int scheduler_threads = 2;
  /// CAF scheduler policy.
  scheduler_policy policy = scheduler_policy::sharing;
  /// Idle time before a user/group actor stops.
  std::chrono::milliseconds passivate_after = std::chrono::seconds{10};
  /// Most user and group actors one directory keeps alive (0: no bound).
  int max_live = 20000;
  /// Requests inside the actors past which more get 503 + Retry-After.
  int mailbox_high_water = 10000;
  /// Messages an actor handles per scheduling.
  int max_throughput = 100;
  /// Run the process's threads under Linux SCHED_BATCH.
  bool sched_batch = true;
  /// The writer actor runs on a thread of its own.
  bool writer_thread = true;
};

/// SQLite storage settings.
struct storage_settings {
  /// Database file.
  std::string path = "data/dirsync.db";
  /// PRAGMA synchronous level.
  synchronous_mode synchronous = synchronous_mode::full;
  /// Write a commit's WAL frames with one system call (persistence/wal_vfs).
  bool coalesce_wal_writes = true;
  /// Writes per group commit.
  int max_batch = 256;
  /// How long the writer may wait to fill a batch.
  std::chrono::milliseconds max_commit_delay{0};
  /// Times the writer lets other ready threads run before a commit.
  int commit_yields = 2;
  /// Read-only connections.
  int read_connections = 2;
  /// Page cache of each read connection, KiB.
  int read_cache = 16384;
  /// Bytes of the database file each read connection maps into memory, MiB.
  int read_mmap = 256;
  /// SQLite busy timeout.
  std::chrono::milliseconds busy_timeout = std::chrono::seconds{5};
};

/// SCIM endpoint settings.
struct scim_settings {
  /// Public base URL; empty = derived from http.bind and http.port.
  std::string public_base_url;
  /// Largest page a list request returns.
  int max_page_size = 1000;
  /// Lifetime of a directory's bearer token.
  std::chrono::milliseconds token_lifetime = std::chrono::hours{24 * 90};
};

/// Outgoing mail settings.
struct mail_settings {
  /// smtp:// or smtps:// URL; empty = write .eml files to `folder`.
  std::string smtp_url;
  /// SMTP user name.
  std::string smtp_user;
  /// File holding the SMTP password (never given inline).
  std::string smtp_password_file;
  /// STARTTLS use on smtp:// URLs (smtps:// is always TLS).
  starttls_mode tls = starttls_mode::automatic;
  /// PEM CA bundle trusted for the relay's certificate; empty = system store.
  std::string tls_ca_file;
  /// Time allowed to open the connection to the relay.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds{10};
  /// Time allowed for one whole delivery (connect, TLS, login, transfer).
  std::chrono::milliseconds timeout = std::chrono::seconds{60};
  /// Sender address.
  std::string from = "dirsync@localhost";
  /// Folder for .eml files when no SMTP URL is set.
  std::string folder = "data/mail";
  /// Delivery attempts before a mail becomes a dead letter.
  int max_attempts = 8;
  /// First retry delay (doubles per attempt).
  std::chrono::milliseconds retry_base = std::chrono::seconds{30};
};

/// Durable timer settings.
struct timer_settings {
  /// How coarsely durable deadlines are armed.
  std::chrono::milliseconds granularity = std::chrono::seconds{1};
};

/// Test clock settings.
struct clock_settings {
  /// Enables the test clock admin endpoint; never in production.
  bool test = false;
  /// With the test clock: start this far ahead of real time (a restarted
  /// test process resumes where its clock was).
  std::chrono::milliseconds start_offset{0};
};

/// Logging settings.
struct log_settings {
  /// Lowest severity logged.
  log_level level = log_level::info;
  /// Line format.
  log_format format = log_format::text;
  /// How long info lines may wait in memory before they are written; 0
  /// writes every line at once. Warnings and errors are written at once.
  std::chrono::milliseconds flush_interval = std::chrono::seconds{1};
};

/// Every setting of dirsyncd, grouped by config section.
struct settings {
  /// [http]
  http_settings http;
  /// [actors]
  actor_settings actors;
  /// [storage]
  storage_settings storage;
  /// [scim]
  scim_settings scim;
  /// [mail]
  mail_settings mail;
  /// [timers]
  timer_settings timers;
  /// [clock]
  clock_settings clock;
  /// [log]
  log_settings log;
};

/// Where an effective value came from.
enum class origin {
  default_value, ///< Member initializer in settings.hpp.
  file,          ///< The TOML config file.
  environment,   ///< A DIRSYNC_SECTION_KEY variable.
  flag,          ///< A --section.key flag.
};

/// Short name of an origin: "default", "file", "env" or "flag".
std::string_view to_string(origin o);

/// Result of a successful load.
struct loaded {
  /// The effective settings.
  settings values;
  /// "section.key" -> where its value came from, for every key.
  std::map<std::string, origin> origins;
  /// The config file read, empty if none.
  std::string config_file;
};

/// The effective SCIM base URL: scim.public_base_url, or else derived as
/// "http://<bind>:<port>" ("https" when TLS is configured, IPv6 in brackets).
/// Pass the actually bound port when http.port is 0; 0 means use http.port.
std::string scim_base_url(const settings& s, std::uint16_t bound_port = 0);

} // namespace dirsync::config
