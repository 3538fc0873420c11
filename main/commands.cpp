#include "main/commands.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <csignal>
#include <iostream>

#include <sched.h>
#include <unistd.h>

#ifdef DIRSYNC_MIMALLOC
#include <mimalloc.h>
#endif

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "actors/runtime.hpp"
#include "actors/services.hpp"
#include "http/app.hpp"
#include "http/server.hpp"
#include "main/log_sink.hpp"
#include "mail/mail.hpp"
#include "persistence/backup.hpp"
#include "persistence/store.hpp"

namespace dirsync::cli {

namespace {

persistence::sqlite_options storage_options(const config::settings& s) {
  persistence::sqlite_options o;
  o.path = s.storage.path;
  o.synchronous = config::to_string(s.storage.synchronous);
  o.coalesce_wal_writes = s.storage.coalesce_wal_writes;
  o.busy_timeout_ms = static_cast<int>(s.storage.busy_timeout.count());
  o.read_cache_kib = s.storage.read_cache;
  o.read_mmap_bytes = std::int64_t{s.storage.read_mmap} * 1024 * 1024;
  return o;
}

// Which malloc serves the process: mimalloc only if it really took over.
std::string allocator_name() {
#ifdef DIRSYNC_MIMALLOC
  void* probe = std::malloc(64);
  bool ours = mi_is_in_heap_region(probe);
  std::free(probe);
  if (ours)
    return "mimalloc " + std::to_string(mi_version());
  return "the C library's (mimalloc is linked but did not take over malloc)";
#else
  return "the C library's";
#endif
}

void setup_logging(const config::settings& s) {
  std::shared_ptr<spdlog::logger> logger;
  if (s.log.flush_interval.count() == 0 || ::isatty(STDERR_FILENO)) {
    logger = spdlog::stderr_color_mt("dirsync");
  } else {
    logger = std::make_shared<spdlog::logger>("dirsync", std::make_shared<buffered_fd_sink>(STDERR_FILENO));
    logger->flush_on(spdlog::level::warn);
    spdlog::register_logger(logger);
    spdlog::flush_every(std::chrono::ceil<std::chrono::seconds>(s.log.flush_interval));
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config::to_string(s.log.level)));
  if (s.log.format == config::log_format::json)
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
}

actors::runtime_options runtime_options(const config::settings& s, const std::string& base_url) {
  actors::runtime_options o;
  o.actors.passivate_after = s.actors.passivate_after;
  o.actors.max_live = s.actors.max_live;
  o.actors.max_batch = static_cast<std::size_t>(s.storage.max_batch);
  o.actors.max_commit_delay = s.storage.max_commit_delay;
  o.actors.commit_yields = static_cast<std::size_t>(s.storage.commit_yields);
  o.actors.max_page_size = s.scim.max_page_size;
  o.actors.token_lifetime = s.scim.token_lifetime;
  o.actors.base_url = base_url;
  o.scheduler_threads = static_cast<std::size_t>(s.actors.scheduler_threads);
  o.scheduler_policy = config::to_string(s.actors.policy);
  o.max_throughput = static_cast<std::size_t>(s.actors.max_throughput);
  o.writer_thread = s.actors.writer_thread;
  o.read_connections = static_cast<std::size_t>(s.storage.read_connections);
  o.request_timeout = s.http.request_timeout;
  o.mailbox_high_water = static_cast<std::size_t>(s.actors.mailbox_high_water);
  o.mail = s.mail;
  o.actors.timer_granularity = s.timers.granularity;
  // Enrollment links live beside the SCIM base URL (E2).
  o.actors.public_url = base_url.substr(0, base_url.size() - std::string{"/scim/v2"}.size());
  return o;
}

http::server_options server_options(const config::settings& s) {
  http::server_options o;
  o.bind = s.http.bind;
  o.port = s.http.port;
  o.io_threads = s.http.io_threads;
  o.max_body_bytes = s.http.max_body_bytes;
  o.max_header_bytes = s.http.max_header_bytes;
  o.read_timeout = s.http.read_timeout;
  o.idle_timeout = s.http.idle_timeout;
  o.max_in_flight = static_cast<std::size_t>(s.http.max_in_flight);
  o.tls_cert = s.http.tls_cert;
  o.tls_key = s.http.tls_key;
  return o;
}

} // namespace

int serve(const config::loaded& cfg) {
  const auto& s = cfg.values;
  // Signals are taken synchronously by this thread only: block them before
  // any other thread exists (the log flusher is the first), so none of them
  // can take a SIGTERM and end the process without the graceful stop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // Also before any thread exists: every thread started from here inherits it.
  std::string policy_problem;
  if (s.actors.sched_batch) {
    sched_param none{};
    if (sched_setscheduler(0, SCHED_BATCH, &none) != 0)
      policy_problem = std::strerror(errno);
  }
  setup_logging(s);
  if (!policy_problem.empty())
    spdlog::warn("actors.sched_batch: cannot switch to SCHED_BATCH ({}); running under the normal policy",
                 policy_problem);

  metrics::registry registry;
  actors::adjustable_clock clock;
  actors::random_ids ids;
  // The base URL needs the bound port when port 0 was asked for; the server
  // binds first, then the runtime learns the URL.
  std::unique_ptr<actors::runtime> rt;
  http::app_options app;
  app.max_page_size = s.scim.max_page_size;
  app.test_clock = s.clock.test ? &clock : nullptr;
  if (s.clock.test)
    clock.advance(s.clock.start_offset);
  http::auth_limiter limiter{s.http.auth_failure_limit, s.http.auth_failure_window};
  app.limiter = &limiter;
  // Requests that arrive between listen and the runtime's start get 503.
  std::atomic<actors::runtime*> live{nullptr};
  http::handler forward = [&live, &registry, &app](http::request req, http::responder out) {
    auto* current = live.load();
    if (current == nullptr) {
      http::response r;
      r.status = 503;
      r.body = R"({"error":"the service is starting","status":503})";
      r.headers.emplace_back("Retry-After", "1");
      return out.send(std::move(r));
    }
    static thread_local http::handler h;
    if (!h)
      h = http::make_app(*current, registry, app);
    h(std::move(req), std::move(out));
  };
  http::server srv{server_options(s), forward, registry};
  if (auto err = srv.start()) {
    spdlog::error("cannot listen on {}:{}: {}", s.http.bind, s.http.port, *err);
    return 1;
  }
  app.scim_base_url = config::scim_base_url(s, srv.port()) + "/scim/v2";
  rt = std::make_unique<actors::runtime>(runtime_options(s, app.scim_base_url),
                                         persistence::make_sqlite_backend(storage_options(s)), clock, ids,
                                         registry);
  if (auto err = rt->start(); !err.empty()) {
    spdlog::error("cannot start: {}", err);
    srv.stop(std::chrono::milliseconds{0});
    return 1;
  }
  live = rt.get();
  spdlog::info("dirsyncd listening on {}:{} (SCIM base URL {})", s.http.bind, srv.port(), app.scim_base_url);
  spdlog::info("memory allocator: {}; actor scheduler: {} worker thread(s)", allocator_name(),
               rt->scheduler_threads());
  spdlog::default_logger()->flush();
  // Tests read this line to learn the port.
  std::cout << "listening on " << s.http.bind << ":" << srv.port() << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {} received: finishing in-flight requests", sig);
  srv.stop(std::chrono::seconds{30});
  rt->stop();
  spdlog::info("stopped");
  spdlog::default_logger()->flush();
  return 0;
}

int backup(const config::loaded& cfg, const std::string& target) {
  if (auto err = persistence::backup_sqlite(cfg.values.storage.path, target); !err.empty()) {
    std::cerr << "dirsyncd: " << err << "\n";
    return 1;
  }
  std::cout << "backup written to " << target << std::endl;
  return 0;
}

int create_owner(const config::loaded& cfg, const std::string& name, const std::string& email) {
  const auto& s = cfg.values;
  if (name.empty()) {
    std::cerr << "dirsyncd: --name must not be empty\n";
    return 2;
  }
  auto db = persistence::make_sqlite_backend(storage_options(s));
  if (auto err = db->migrate(); !err.empty()) {
    std::cerr << "dirsyncd: " << err << "\n";
    return 1;
  }
  std::string err;
  auto w = db->open_writer(err);
  if (!w) {
    std::cerr << "dirsyncd: " << err << "\n";
    return 1;
  }
  actors::random_ids ids;
  actors::adjustable_clock clock;
  auto key = ids.new_secret(32); // 256 bits (A2)
  if (!email.empty() && !mail::valid_address(email)) {
    std::cerr << "dirsyncd: --email is not a valid address\n";
    return 2;
  }
  persistence::admin_row admin{ids.new_id(), name, "owner", actors::sha256_hex(key),
                               actors::format_time(clock.now()), email};
  if (auto e = w->begin_batch(); !e.empty()) {
    std::cerr << "dirsyncd: " << e << "\n";
    return 1;
  }
  auto r = w->insert_admin(admin);
  if (r)
    r = w->append_action(admin.created, "cli", "create-owner", "admin.create", "admin", admin.id,
                         nlohmann::json{{"name", name}, {"role", "owner"}}.dump(), "ok");
  if (!r) {
    w->rollback_batch();
    std::cerr << "dirsyncd: cannot create the owner: " << r.err().detail << "\n";
    return 1;
  }
  if (auto e = w->commit_batch(); !e.empty()) {
    std::cerr << "dirsyncd: " << e << "\n";
    return 1;
  }
  std::cout << "Owner '" << name << "' created (id " << admin.id << "). Its admin API key, shown once:\n"
            << key << std::endl;
  return 0;
}

} // namespace dirsync::cli
