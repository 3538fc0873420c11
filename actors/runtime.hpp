#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/context.hpp"
#include "config/settings.hpp"
#include "persistence/store.hpp"

namespace dirsync::actors {

/// CPUs this process may run on: its affinity mask (taskset, cgroup cpusets),
/// else the machine's count; at least 1.
std::size_t usable_cpus();

/// Settings of the actor runtime, mapped from the config file by main.
struct runtime_options {
  actor_options actors;                       ///< Per-actor tunables.
  std::size_t scheduler_threads = 2;          ///< CAF worker threads; 0: usable_cpus().
  std::string scheduler_policy = "sharing";   ///< sharing or stealing.
  std::size_t max_throughput = 100;           ///< Messages per actor per run.
  bool writer_thread = true;                  ///< Writer detached on its own thread.
  std::size_t read_connections = 2;           ///< Reader actors.
  std::chrono::milliseconds request_timeout{30000}; ///< Wait for an actor at most this long.
  std::size_t mailbox_high_water = 10000;     ///< Pending calls before 503.
  config::mail_settings mail;                 ///< Outgoing mail (E7).
};

/// The actor world of one process: the writer, the readers, the registry with
/// its directory, user and group actors; the thread-safe entry points the
/// HTTP edge calls (they never block: replies come back through callbacks).
class runtime {
public:
  /// Prepares the runtime; nothing runs before start().
  runtime(runtime_options opts, std::unique_ptr<persistence::backend> db, const clock& time,
          id_source& ids, metrics::registry& metrics);
  /// Stops the actor system.
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Applies migrations, opens connections, spawns the actors. Empty string
  /// on success, else why it failed.
  std::string start();
  /// Submits a SCIM call; `done` runs exactly once on an actor thread.
  void scim(scim_call call, scim_done done);
  /// Submits an admin call; `done` runs exactly once.
  void admin(admin_call call, admin_done done);
  /// Submits an enrollment-page or auth-API call; `done` runs exactly once.
  void portal(portal_call call, admin_done done);
  /// Runs every deadline due now and delivers the mail it queued, then
  /// calls `done` with {"steps", "mails"} (the test clock, O4).
  void run_due(admin_done done);
  /// True once started and the storage answers.
  bool ready() const;
  /// Calls accepted but not answered yet.
  std::size_t pending() const { return pending_.load(); }
  /// Live user actors.
  std::int64_t live_users() const { return ctx_ ? ctx_->live_users.load() : 0; }
  /// Live group actors.
  std::int64_t live_groups() const { return ctx_ ? ctx_->live_groups.load() : 0; }
  /// Publishes the actor gauges (live actors by kind, pending calls) into
  /// the metrics registry; called at each scrape.
  void publish_metrics();
  /// Stops every actor after the pending calls were answered.
  void stop();
  /// CAF worker threads started (scheduler_threads resolved).
  std::size_t scheduler_threads() const { return workers_; }

private:
  runtime_options opts_;
  std::unique_ptr<persistence::backend> db_;
  const clock& time_;
  id_source& ids_;
  metrics::registry& metrics_;
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  context_ptr ctx_;
  registry_actor registry_;
  timer_actor timers_;
  mailer_actor mailer_;
  caf::actor bridge_;
  std::shared_ptr<persistence::reader> probe_;
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> started_{false};
  std::size_t workers_ = 0;
};

} // namespace dirsync::actors
