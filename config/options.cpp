// The option table: the single place where keys, defaults (via settings.hpp),
// limits and documentation meet.
#include "config/options.hpp"

#include "config/units.hpp"

#include <algorithm>
#include <cctype>
#include <type_traits>

namespace dirsync::config {

using namespace std::chrono_literals;

namespace {

constexpr std::int64_t KiB = 1024;
constexpr std::int64_t MiB = 1024 * KiB;
constexpr std::int64_t ms(std::chrono::milliseconds d) { return d.count(); }
constexpr std::int64_t days(std::int64_t n) { return n * 86'400'000; }

/// Appends a row bound to `s.*sec.*mem`, deriving set/get (and choices for enums) from the member type.
template <class Section, class T>
option& add(std::vector<option>& out, std::string section, std::string key,
            kind k, Section settings::*sec, T Section::*mem, std::string doc) {
  option o;
  o.section = std::move(section);
  o.key = std::move(key);
  o.kind = k;
  o.doc = std::move(doc);
  o.set = [sec, mem](settings& s, const value& v) {
    auto& field = (s.*sec).*mem;
    if constexpr (std::is_same_v<T, std::string>) {
      field = std::get<std::string>(v);
    } else if constexpr (std::is_same_v<T, bool>) {
      field = std::get<bool>(v);
    } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
      field = std::chrono::milliseconds{std::get<std::int64_t>(v)};
    } else if constexpr (std::is_enum_v<T>) {
      const auto& names = enum_names<T>();
      auto pos = std::find(names.begin(), names.end(), std::get<std::string>(v));
      field = static_cast<T>(pos - names.begin());
    } else {
      field = static_cast<T>(std::get<std::int64_t>(v));
    }
  };
  o.get = [sec, mem](const settings& s) -> value {
    const auto& field = (s.*sec).*mem;
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool>)
      return field;
    else if constexpr (std::is_same_v<T, std::chrono::milliseconds>)
      return std::int64_t{field.count()};
    else if constexpr (std::is_enum_v<T>)
      return to_string(field);
    else
      return static_cast<std::int64_t>(field);
  };
  if constexpr (std::is_enum_v<T>)
    o.choices = enum_names<T>();
  out.push_back(std::move(o));
  return out.back();
}

/// Sets the inclusive range of the row just added.
void limit(option& o, std::int64_t lo, std::int64_t hi) {
  o.min = lo;
  o.max = hi;
}

bool has_space(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

/// Empty, or "<scheme>://<host>..." with one of the given schemes and no spaces.
std::optional<std::string> check_url(const std::string& url,
                                     const std::vector<std::string>& schemes,
                                     bool allow_trailing_slash) {
  if (url.empty())
    return std::nullopt;
  std::string allowed;
  for (const auto& scheme : schemes) {
    allowed += (allowed.empty() ? "" : " or ") + scheme + "://";
    auto prefix = scheme + "://";
    if (url.compare(0, prefix.size(), prefix) != 0)
      continue;
    auto host = url.substr(prefix.size());
    if (host.empty() || host[0] == '/' || host[0] == ':' || has_space(url))
      return "'" + url + "' is not an absolute URL with a host";
    if (!allow_trailing_slash && url.back() == '/')
      return "'" + url + "' must not end with '/'";
    if (url.find_first_of("?#") != std::string::npos)
      return "'" + url + "' must not contain a query or fragment";
    return std::nullopt;
  }
  return "'" + url + "' must start with " + allowed;
}

std::optional<std::string> not_empty(const value& v) {
  const auto& s = std::get<std::string>(v);
  if (s.empty())
    return std::string{"must not be empty"};
  return std::nullopt;
}

std::vector<option> build_options() {
  std::vector<option> t;
  // [http]
  add(t, "http", "bind", kind::string, &settings::http, &http_settings::bind,
      "Address the HTTP listener binds to.")
    .check = not_empty;
  limit(add(t, "http", "port", kind::integer, &settings::http, &http_settings::port,
            "TCP port of the HTTP listener; 0 picks a free port."),
        0, 65535);
  limit(add(t, "http", "io_threads", kind::integer, &settings::http,
            &http_settings::io_threads,
            "Threads running Boost.Beast I/O. Measured with bench/run.sh, server on one core, "
            "interleaved pairs of 1 against 2: create (20k POST /Users, 16 clients) within the noise "
            "(4 pairs, ratios 0.91-1.02), lookups (60k over 10k users) slower or equal (3 pairs, "
            "0.90-1.00). More threads pay off only when the server has more cores."),
        1, 64);
  limit(add(t, "http", "max_body_bytes", kind::size, &settings::http,
            &http_settings::max_body_bytes,
            "Largest request body accepted; larger bodies get 413."),
        KiB, 256 * MiB);
  limit(add(t, "http", "max_header_bytes", kind::size, &settings::http,
            &http_settings::max_header_bytes,
            "Largest request header block accepted; larger headers get 431."),
        KiB, MiB);
  limit(add(t, "http", "read_timeout", kind::duration, &settings::http,
            &http_settings::read_timeout,
            "Time allowed to receive one complete request."),
        ms(100ms), ms(1h));
  limit(add(t, "http", "idle_timeout", kind::duration, &settings::http,
            &http_settings::idle_timeout,
            "Time an idle keep-alive connection stays open."),
        ms(1s), days(1));
  limit(add(t, "http", "max_in_flight", kind::integer, &settings::http,
            &http_settings::max_in_flight,
            "Requests being handled at once across all connections; more get 503."),
        1, 1'000'000);
  add(t, "http", "tls_cert", kind::path, &settings::http, &http_settings::tls_cert,
      "PEM certificate chain for native TLS; empty serves plain HTTP. Set together "
      "with http.tls_key.");
  add(t, "http", "tls_key", kind::path, &settings::http, &http_settings::tls_key,
      "PEM private key for native TLS; empty serves plain HTTP. Set together with "
      "http.tls_cert.");
  limit(add(t, "http", "request_timeout", kind::duration, &settings::http,
            &http_settings::request_timeout,
            "How long a request may wait for its actor before it gets 503."),
        ms(100ms), ms(10min));
  limit(add(t, "http", "auth_failure_limit", kind::integer, &settings::http,
            &http_settings::auth_failure_limit,
            "Failed authentications (SCIM token or admin key) one client address may "
            "make per window; past it, its requests get 429 with Retry-After."),
        1, 1'000'000);
  limit(add(t, "http", "auth_failure_window", kind::duration, &settings::http,
            &http_settings::auth_failure_window,
            "Window over which http.auth_failure_limit counts."),
        ms(1s), days(1));
  // [actors]
  limit(add(t, "actors", "scheduler_threads", kind::integer, &settings::actors,
            &actor_settings::scheduler_threads,
            "CAF scheduler worker threads; 0 starts one per CPU the process may run on (its "
            "affinity mask, as taskset sets it). CAF 0.17 would start max(cores, 4). Measured with "
            "bench/run.sh, server pinned to one core, interleaved pairs of 1 and 2 workers: POST /Users "
            "(20k, 16 clients) 7,216-8,442 against 7,005-8,942 req/s (median ratio 0.98 over 4 pairs); "
            "lookups over 10k users within the VM's noise; lookups over 1M users 17,700-23,700 against "
            "24,900-26,800 req/s (p99 1.6-1.8 against 1.3-1.4 ms), and the load generator spent more CPU per "
            "lookup (20-22 against 16-19 us): replies left in longer bursts. So 2 stays the default, also "
            "on one core. Again with the lighter load generator of f77c87f, 1 against 2 workers: creates "
            "0.93-1.15, lookups over 10k users 0.94-1.16 (3 pairs each), lookups over 1M users 22,941 and "
            "23,331 against 23,916 and 23,318 req/s: within the noise."),
        0, 256);
  add(t, "actors", "scheduler_policy", kind::choice, &settings::actors,
      &actor_settings::policy,
      "CAF scheduler policy. Measured with bench/run.sh create (10k POST /Users, 16 "
      "clients, 2 cores): sharing with 2 workers 2,900-3,200 req/s, p90 8.3-8.7 ms; "
      "stealing with 2 or 4 workers 2,300-2,600 req/s, p90 9.6-11 ms.");
  add(t, "actors", "sched_batch", kind::boolean, &settings::actors, &actor_settings::sched_batch,
      "Run every thread of dirsyncd under the Linux SCHED_BATCH policy: a thread woken by another (a new "
      "request for the actors, a reply for the I/O thread) no longer preempts the one that woke it, so work "
      "passes between threads in bunches instead of one message at a time. Measured with bench/run.sh, "
      "server on one core: context switches per lookup 2.2 -> 0.3, lookups 16,300-16,700 -> 17,100-18,300 "
      "req/s, POST /Users 4,500-4,900 -> 5,600-5,900 req/s (larger group commits). false keeps the normal "
      "policy (a box where dirsyncd shares cores with interactive work).");
  add(t, "actors", "writer_thread", kind::boolean, &settings::actors, &actor_settings::writer_thread,
      "Run the writer actor on a thread of its own: its commit waits for the disk (fdatasync) "
      "without holding one of the scheduler's workers, so reads and pushes to other actors go on "
      "meanwhile. Measured with bench/run.sh, server on one core, interleaved pairs: create (20k "
      "POST /Users, 16 clients) 6,639 -> 7,113 req/s by median of 5 pairs (4 faster); 50k-member "
      "group push 0.77-0.94 -> 0.93-0.97 s (2 pairs); both within the VM's noise, lookups "
      "unchanged. false runs it on the scheduler like every other actor.");
  limit(add(t, "actors", "passivate_after", kind::duration, &settings::actors,
            &actor_settings::passivate_after,
            "Idle time after which a user or group actor stops; its next call loads it from the "
            "database again (a PATCH then costs about 1.8 times the instructions of one to a live "
            "actor). A live user actor holds about 6 KiB, so this times the rate of distinct users "
            "pushed bounds that memory. Measured with bench/run.sh patch (100k users, each patched "
            "once, 7,500-8,000 PATCH/s): with 1m all 100k stay live, 595 MiB of private memory and "
            "887 MiB peak resident; with 10s, 661-760 MiB peak and 76-103 MiB at the end; throughput "
            "equal in one pair and lower in the other (6,307 against 7,530, a slower run of the load "
            "generator too). At that rate 1m would hold about 450k actors, some 2.5 GiB. "
            "An IdP's usual repeat (GET then PUT or PATCH of one user) comes within a second."),
        ms(1s), days(1));
  limit(add(t, "actors", "max_live", kind::integer, &settings::actors, &actor_settings::max_live,
            "Most user and group actors one directory keeps alive; past it, the directory asks its "
            "least recently called one to stop when it starts another (it stops once it has "
            "answered every call sent to it). A live user actor holds about 6 KiB. Measured with "
            "the bench's patch workload over 100k users, each patched once, and passivate_after "
            "1m: 99,943 live actors and 624 MiB of private memory with 0; 50,000 and 427 MiB with "
            "50000; 20,000 and 310 MiB with 20000 (not in proportion: what the stopped actors freed "
            "stays in the process for the next ones). Throughput with 50000 against 0: 5,970 and 6,036 against 5,573 and "
            "6,508 PATCH/s (2 pairs). 0: no bound, actors.passivate_after alone."),
        0, 100'000'000);
  limit(add(t, "actors", "mailbox_high_water", kind::integer, &settings::actors,
            &actor_settings::mailbox_high_water,
            "Requests inside the actors (taken, not yet answered) past which more get 503 with "
            "Retry-After. http.max_in_flight (default 1024) limits the same requests earlier, so "
            "this bound acts only with a larger http.max_in_flight."),
        1, 10'000'000);
  limit(add(t, "actors", "max_throughput", kind::integer, &settings::actors,
            &actor_settings::max_throughput,
            "Messages an actor handles per scheduling before yielding. Measured with bench/run.sh, "
            "server on one core, interleaved pairs against 100: 10 gave create 0.97-1.05 (3 pairs), "
            "lookups 0.93-1.04 (3), the Okta mix 0.96 and 0.96 (2); 1000 gave create 0.99-1.07 (3), "
            "lookups 0.85 and 0.93 (2)."),
        1, 1'000'000);
  // [storage]
  add(t, "storage", "path", kind::path, &settings::storage, &storage_settings::path,
      "SQLite database file; its folder is created if missing.")
    .check = not_empty;
  add(t, "storage", "synchronous", kind::choice, &settings::storage,
      &storage_settings::synchronous,
      "SQLite synchronous level. full keeps acknowledged writes through power loss "
      "in WAL mode; normal may lose the last commits; off is for tests only.");
  add(t, "storage", "coalesce_wal_writes", kind::boolean, &settings::storage,
      &storage_settings::coalesce_wal_writes,
      "Write a commit's WAL frames with one system call per 124 KiB instead of two per 4 KiB page "
      "(SQLite writes each frame's header and page apart); each commit is whole in the file before "
      "SQLite makes it visible or syncs it. Measured with bench/run.sh create, server on one core: "
      "write system calls per create 7.2 -> 0.7 (what is left are the checkpoints' page writes to the database file). false writes through SQLite's default VFS.");
  limit(add(t, "storage", "max_batch", kind::integer, &settings::storage,
            &storage_settings::max_batch,
            "Most writes in one group commit. A batch holds at most one write per client in flight, "
            "so this bound acts only with many clients. Measured with bench/run.sh create -n 40000 "
            "-c 256, server on one core: 256 against 16, 22,241-23,268 against 14,754-15,693 POST/s "
            "(3 pairs; 140-152 against 16 jobs per commit); 1024 against 256, 21,824 and 23,414 "
            "against 23,384 and 23,965 POST/s (2 pairs; batches stay near 150)."),
        1, 100'000);
  limit(add(t, "storage", "max_commit_delay", kind::duration, &settings::storage,
            &storage_settings::max_commit_delay,
            "How long the writer may wait to fill a batch; 0ms commits at once, after "
            "storage.commit_yields. Measured with bench/run.sh, server on one core, 1ms against 0ms: "
            "create (20k POST /Users, 16 clients) 7,033-7,470 against 11,218-11,893 req/s (3 pairs), "
            "PATCH 6,637 and 6,672 against 10,119 and 10,197 req/s (2 pairs): the wait leaves the core "
            "idle, while the yields fill the batch without waiting."),
        0, ms(1s));
  limit(add(t, "storage", "commit_yields", kind::integer, &settings::storage,
            &storage_settings::commit_yields,
            "Before committing a batch, the writer lets the server's other ready threads run "
            "(sched_yield) up to this many times, while writes they queue meanwhile keep arriving; "
            "those join the batch. Bigger batches without waiting idle: it never waits when no "
            "other thread is ready. Measured with bench/run.sh create (20k POST /Users, 16 "
            "clients, server on one core), same binary: 0 -> 2 took jobs per commit 7.0 -> 14.1 "
            "and server CPU per run -12 to -17 %; see the README for throughput. 4 against 2: "
            "create 0.84-1.05 (3 pairs, 2 slower), PATCH 1.03 and 1.07 (2 pairs); batches stay near "
            "14 jobs, as 16 clients allow. Again with the lighter load generator of f77c87f, 4 against 2: "
            "create 0.83-0.98 (3 pairs, all slower), 15-16 jobs per commit either way. 0 commits as soon "
            "as the queued writes are done."),
        0, 64);
  limit(add(t, "storage", "read_connections", kind::integer, &settings::storage,
            &storage_settings::read_connections, "Read-only SQLite connections."),
        1, 64);
  limit(add(t, "storage", "read_cache", kind::integer, &settings::storage,
            &storage_settings::read_cache,
            "Page cache of each read connection, in KiB. With SQLite's 2 MiB default, "
            "lookups over 5,000 users read a page from the file (pread) for most "
            "requests: 4 % of the server's time in perf. Memory: read_connections times this, "
            "at most."),
        64, 4'194'304);
  limit(add(t, "storage", "read_mmap", kind::integer, &settings::storage,
            &storage_settings::read_mmap,
            "Bytes of the database file each read connection maps into memory, in MiB (SQLite's "
            "mmap_size: the first this many bytes of the file); 0 reads every page with pread. A "
            "mapped page is read in place: no system call and no copy into the connection's page "
            "cache. Measured with bench/run.sh, server on one core, interleaved pairs of 0 and 256: "
            "lookups over 10k users 33,200-34,200 against 35,100-38,500 req/s (3 pairs, all faster); "
            "over 200k users 26,600-30,300 against 28,600-34,800 req/s (4 pairs, all faster, +16 % "
            "at the median), p99 1.05-1.68 against 0.88-1.34 ms; over 1M users, where 256 MiB is "
            "the first sixth of the file, 23,600 against 22,800 req/s (one pair); creates and the "
            "Okta mix within the noise. Memory: the mapped pages are the kernel's page cache, but "
            "the resident size counts them (RssFile), once per read connection: up to "
            "read_connections times this (559 MiB resident at 200k users instead of 63). A disk "
            "error while reading a mapped page stops the process (SIGBUS) instead of failing the "
            "read."),
        0, 2047);
  limit(add(t, "storage", "busy_timeout", kind::duration, &settings::storage,
            &storage_settings::busy_timeout,
            "How long SQLite waits on a locked database before failing."),
        0, ms(10min));
  // [scim]
  add(t, "scim", "public_base_url", kind::string, &settings::scim,
      &scim_settings::public_base_url,
      "Public base URL given to identity providers, an absolute http(s) URL without "
      "a trailing slash; empty derives http://<bind>:<port>.")
    .check = [](const value& v) {
      return check_url(std::get<std::string>(v), {"http", "https"}, false);
    };
  limit(add(t, "scim", "max_page_size", kind::integer, &settings::scim,
            &scim_settings::max_page_size,
            "Most resources one list request returns; at least 100 because Okta "
            "pages with count=100."),
        1, 100'000);
  t.back().check = [](const value& v) -> std::optional<std::string> {
    auto n = std::get<std::int64_t>(v);
    if (n < 100)
      return std::to_string(n) +
             " is too small: Okta requests pages of count=100, so it must be at "
             "least 100";
    return std::nullopt;
  };
  limit(add(t, "scim", "token_lifetime", kind::duration, &settings::scim,
            &scim_settings::token_lifetime,
            "Lifetime of a directory's SCIM bearer token."),
        ms(1min), days(3650));
  // [mail]
  add(t, "mail", "smtp_url", kind::string, &settings::mail, &mail_settings::smtp_url,
      "smtp:// or smtps:// URL of the mail relay; empty writes .eml files to "
      "mail.folder.")
    .check = [](const value& v) -> std::optional<std::string> {
    const auto& url = std::get<std::string>(v);
    if (auto problem = check_url(url, {"smtp", "smtps"}, true))
      return problem;
    // Credentials in the URL would end up in logs and print-config.
    auto authority = url.substr(0, url.find('/', url.find("://") + 3));
    if (authority.find('@') != std::string::npos)
      return std::string{"must not contain a user or password; use mail.smtp_user "
                         "and mail.smtp_password_file"};
    return std::nullopt;
  };
  add(t, "mail", "smtp_user", kind::string, &settings::mail,
      &mail_settings::smtp_user, "SMTP user name; empty sends without login.");
  add(t, "mail", "smtp_password_file", kind::path, &settings::mail,
      &mail_settings::smtp_password_file,
      "File holding the SMTP password (never given inline); needs mail.smtp_user.");
  add(t, "mail", "tls", kind::choice, &settings::mail, &mail_settings::tls,
      "STARTTLS on smtp:// URLs. auto upgrades when the server offers it and "
      "insists on it when mail.smtp_user is set (no password in clear); require "
      "always insists; off never upgrades (only for a relay on a trusted network). "
      "smtps:// is always TLS.");
  add(t, "mail", "tls_ca_file", kind::path, &settings::mail,
      &mail_settings::tls_ca_file,
      "PEM CA bundle trusted for the relay's certificate; empty uses the system "
      "store. The certificate and host name are always verified.");
  limit(add(t, "mail", "connect_timeout", kind::duration, &settings::mail,
            &mail_settings::connect_timeout,
            "Time allowed to connect to the relay; past it the attempt is retried."),
        ms(1s), ms(5min));
  limit(add(t, "mail", "timeout", kind::duration, &settings::mail,
            &mail_settings::timeout,
            "Time allowed for one whole delivery (connect, TLS, login, transfer); past "
            "it the attempt is retried."),
        ms(1s), ms(1h));
  add(t, "mail", "from", kind::string, &settings::mail, &mail_settings::from,
      "Sender address of outgoing mail.")
    .check = [](const value& v) -> std::optional<std::string> {
    const auto& s = std::get<std::string>(v);
    auto at = s.find('@');
    if (at == 0 || at == std::string::npos || at + 1 == s.size() ||
        s.find('@', at + 1) != std::string::npos || has_space(s) ||
        s.find_first_of("<>,;\"") != std::string::npos)
      return "'" + s + "' is not an address like name@example.com";
    return std::nullopt;
  };
  add(t, "mail", "folder", kind::path, &settings::mail, &mail_settings::folder,
      "Folder receiving .eml files when mail.smtp_url is empty.")
    .check = not_empty;
  limit(add(t, "mail", "max_attempts", kind::integer, &settings::mail,
            &mail_settings::max_attempts, "Delivery attempts before a mail becomes a dead letter (state dead, listed by GET /admin/v1/outbox?state=dead)."),
        1, 100);
  limit(add(t, "mail", "retry_base", kind::duration, &settings::mail,
            &mail_settings::retry_base, "First retry delay; doubles per attempt."),
        ms(1s), days(1));
  // [timers]
  limit(add(t, "timers", "granularity", kind::duration, &settings::timers,
            &timer_settings::granularity,
            "How often the timer actor and the mailer look for what fell due (Trash purge, token warnings, enrollment steps, mail retries); deadlines are stored, so a longer period only delays them."),
        ms(100ms), ms(1h));
  // [clock]
  add(t, "clock", "test", kind::boolean, &settings::clock, &clock_settings::test,
      "Enables the test clock admin endpoint. Never in production.");
  limit(add(t, "clock", "start_offset", kind::duration, &settings::clock, &clock_settings::start_offset,
            "With clock.test only: the test clock starts this far ahead of real time."),
        0, days(3650));
  // [log]
  add(t, "log", "level", kind::choice, &settings::log, &log_settings::level,
      "Lowest severity logged.");
  add(t, "log", "format", kind::choice, &settings::log, &log_settings::format,
      "Log line format: text for people, json for collectors.");
  limit(add(t, "log", "flush_interval", kind::duration, &settings::log, &log_settings::flush_interval,
            "How long info lines (the access log) may wait in memory before they are written to stderr; "
            "warnings and errors are written at once, and a terminal gets every line at once; rounded up to whole "
            "seconds. 0s writes "
            "each line with its own system call, which cost a third of the lookup throughput "
            "(bench/run.sh lookup: 7,850 against 11,950 req/s)."),
        0, ms(1min));
  return t;
}

/// Both or neither of two path options.
rule both_or_neither(std::string a, std::string b, std::string a_b_purpose) {
  rule r;
  r.keys = {a, b};
  r.check = [a, b, a_b_purpose](const settings& s) -> std::optional<std::string> {
    auto has_a = !std::get<std::string>(find_option(a)->get(s)).empty();
    auto has_b = !std::get<std::string>(find_option(b)->get(s)).empty();
    if (has_a == has_b)
      return std::nullopt;
    return a + " and " + b + " must be set together (" + a_b_purpose + "); only " +
           (has_a ? a : b) + " is set";
  };
  return r;
}

std::vector<rule> build_rules() {
  std::vector<rule> r;
  r.push_back(both_or_neither("http.tls_cert", "http.tls_key", "native TLS"));
  r.push_back(both_or_neither("mail.smtp_user", "mail.smtp_password_file",
                              "SMTP login"));
  rule offset_needs_test;
  offset_needs_test.keys = {"clock.start_offset", "clock.test"};
  offset_needs_test.check = [](const settings& s) -> std::optional<std::string> {
    if (s.clock.start_offset.count() != 0 && !s.clock.test)
      return std::string{"clock.start_offset needs clock.test = true"};
    return std::nullopt;
  };
  r.push_back(std::move(offset_needs_test));
  rule needs_url;
  needs_url.keys = {"mail.smtp_user", "mail.smtp_url"};
  needs_url.check = [](const settings& s) -> std::optional<std::string> {
    if (!s.mail.smtp_user.empty() && s.mail.smtp_url.empty())
      return std::string{"mail.smtp_user is set but mail.smtp_url is empty (mail "
                         "goes to .eml files)"};
    return std::nullopt;
  };
  r.push_back(std::move(needs_url));
  rule tls_off;
  tls_off.keys = {"mail.tls", "mail.smtp_url"};
  tls_off.check = [](const settings& s) -> std::optional<std::string> {
    if (s.mail.tls == starttls_mode::off && s.mail.smtp_url.rfind("smtps://", 0) == 0)
      return std::string{"mail.tls is off but mail.smtp_url is smtps:// (always TLS); "
                         "use smtp:// for a plain connection"};
    return std::nullopt;
  };
  r.push_back(std::move(tls_off));
  return r;
}

} // namespace

const std::vector<option>& options() {
  static const std::vector<option> table = build_options();
  return table;
}

const std::vector<rule>& rules() {
  static const std::vector<rule> table = build_rules();
  return table;
}

const option* find_option(std::string_view name) {
  for (const auto& o : options())
    if (o.name() == name)
      return &o;
  return nullptr;
}

std::vector<std::string> sections() {
  std::vector<std::string> out;
  for (const auto& o : options())
    if (std::find(out.begin(), out.end(), o.section) == out.end())
      out.push_back(o.section);
  return out;
}

} // namespace dirsync::config
