#include "actors/runtime.hpp"

#include <sched.h>

#include <thread>

#include <caf/all.hpp>

#include "actors/bridge.hpp"
#include "actors/mailer.hpp"
#include "actors/reader.hpp"
#include "actors/registry.hpp"
#include "actors/timers.hpp"
#include "actors/writer.hpp"

namespace dirsync::actors {

std::size_t usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<std::size_t>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

runtime::runtime(runtime_options opts, std::unique_ptr<persistence::backend> db, const clock& time,
                 id_source& ids, metrics::registry& metrics)
  : opts_(std::move(opts)), db_(std::move(db)), time_(time), ids_(ids), metrics_(metrics) {
}

runtime::~runtime() {
  stop();
}

std::string runtime::start() {
  if (auto err = db_->migrate(); !err.empty())
    return err;
  std::string err;
  auto writer_db = std::shared_ptr<persistence::writer>(db_->open_writer(err));
  if (!writer_db)
    return err;
  probe_ = std::shared_ptr<persistence::reader>(db_->open_reader(err));
  if (!probe_)
    return err;
  cfg_.set("scheduler.policy", opts_.scheduler_policy == "stealing" ? caf::atom("stealing") : caf::atom("sharing"));
  workers_ = opts_.scheduler_threads > 0 ? opts_.scheduler_threads : usable_cpus();
  cfg_.set("scheduler.max-threads", workers_);
  cfg_.set("scheduler.max-throughput", opts_.max_throughput);
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  ctx_ = std::make_shared<context>();
  ctx_->options = opts_.actors;
  ctx_->time = &time_;
  ctx_->ids = &ids_;
  ctx_->metrics = &metrics_;
  writer_config wcfg{opts_.actors.max_batch, opts_.actors.max_commit_delay, &metrics_,
                     opts_.actors.commit_yields};
  // Commits block in fdatasync: on a detached thread they hold no worker.
  ctx_->writer = opts_.writer_thread ? sys_->spawn<caf::detached>(spawn_writer_behavior, writer_db, wcfg)
                                     : sys_->spawn(spawn_writer_behavior, writer_db, wcfg);
  for (std::size_t i = 0; i < std::max<std::size_t>(1, opts_.read_connections); ++i) {
    auto rdb = std::shared_ptr<persistence::reader>(db_->open_reader(err));
    if (!rdb)
      return err;
    ctx_->readers.push_back(sys_->spawn(reader_behavior, rdb));
  }
  registry_ = sys_->spawn(registry_behavior, ctx_, probe_->directories());
  // A send blocks: the mailer gets its own thread.
  mailer_ = sys_->spawn<caf::detached>(mailer_behavior, ctx_, opts_.mail);
  ctx_->mailer = caf::actor_cast<caf::actor>(mailer_);
  timers_ = sys_->spawn(timer_behavior, ctx_, registry_);
  bridge_ = sys_->spawn(bridge_behavior, registry_, timers_, mailer_, opts_.request_timeout, &pending_);
  started_ = true;
  return {};
}

void runtime::scim(scim_call call, scim_done done) {
  if (!started_) {
    done(scim_reply::failure(scim::error_code::unavailable, "the service is starting"));
    return;
  }
  if (pending_.load() >= opts_.mailbox_high_water) {
    done(scim_reply::failure(scim::error_code::unavailable, "the service is overloaded, retry later"));
    return;
  }
  ++pending_;
  caf::anon_send(bridge_, std::move(call), std::move(done));
}

void runtime::admin(admin_call call, admin_done done) {
  if (!started_) {
    done(admin_reply{503, nlohmann::json{{"error", "the service is starting"}, {"status", 503}}});
    return;
  }
  ++pending_;
  caf::anon_send(bridge_, std::move(call), std::move(done));
}

void runtime::portal(portal_call call, admin_done done) {
  if (!started_) {
    done(admin_reply{503, nlohmann::json{{"error", "the service is starting"}, {"status", 503}}});
    return;
  }
  ++pending_;
  caf::anon_send(bridge_, std::move(call), std::move(done));
}

void runtime::run_due(admin_done done) {
  if (!started_) {
    done(admin_reply{503, nlohmann::json{{"error", "the service is starting"}, {"status", 503}}});
    return;
  }
  caf::anon_send(bridge_, tick_atom::value, std::move(done));
}

void runtime::publish_metrics() {
  const char* help = "Live actors by kind";
  metrics_.gauge("dirsync_actors_live", help, {{"kind", "user"}}).set(static_cast<double>(live_users()));
  metrics_.gauge("dirsync_actors_live", help, {{"kind", "group"}}).set(static_cast<double>(live_groups()));
  metrics_.gauge("dirsync_actor_pending_calls", "Calls waiting for an actor's answer (the 503 high-water mark applies to it)")
    .set(static_cast<double>(pending_.load()));
}

bool runtime::ready() const {
  return started_.load();
}

void runtime::stop() {
  if (!sys_)
    return;
  started_ = false;
  caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(registry_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(timers_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(mailer_, caf::exit_reason::user_shutdown);
  for (auto& r : ctx_->readers)
    caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(ctx_->writer, caf::exit_reason::user_shutdown);
  bridge_ = nullptr;
  registry_ = nullptr;
  timers_ = nullptr;
  mailer_ = nullptr;
  ctx_->mailer = nullptr;
  ctx_->readers.clear();
  ctx_->writer = nullptr;
  ctx_.reset();
  sys_.reset(); // waits for every actor to finish
}

} // namespace dirsync::actors
