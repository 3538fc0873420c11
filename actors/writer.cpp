#include "actors/writer.hpp"

#include <chrono>

#include <caf/all.hpp>

namespace dirsync::actors {

void writer_state::run(writer_actor::stateful_pointer<writer_state> self, write_job& job,
                       caf::typed_response_promise<write_ack> rp) {
  if (!open) {
    if (auto err = db->begin_batch(); !err.empty()) {
      rp.deliver(write_ack{scim::make_error(scim::error_code::unavailable,
                                            "storage is unavailable, retry later")});
      return;
    }
    open = true;
    ++batch_id;
    // The flush lands behind every job already in the mailbox: those join
    // this batch (group commit) without any waiting when the delay is 0.
    if (cfg.max_commit_delay.count() > 0)
      self->delayed_send(self, cfg.max_commit_delay, flush_atom::value, batch_id);
    else
      self->send(self, flush_atom::value, batch_id);
  }
  db->begin_op();
  auto result = job.run(*db);
  db->end_op(result.has_value());
  write_ack ack;
  if (!result)
    ack.error = result.err();
  pending.emplace_back(std::move(rp), std::move(ack));
  if (pending.size() >= cfg.max_batch)
    flush();
}

void writer_state::flush() {
  if (!open)
    return;
  auto started = std::chrono::steady_clock::now();
  auto err = db->commit_batch();
  open = false;
  if (commit_latency)
    commit_latency->observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (batch_sizes)
    batch_sizes->observe(static_cast<double>(pending.size()));
  for (auto& [rp, ack] : pending) {
    if (!err.empty()) {
      // Nothing of the batch is stored: no job may be acknowledged.
      ack.error = scim::make_error(scim::error_code::unavailable,
                                   "the change could not be committed, retry later");
    }
    rp.deliver(std::move(ack));
  }
  if (!err.empty() && commit_failures)
    commit_failures->inc();
  pending.clear();
}

writer_actor::behavior_type
spawn_writer_behavior(writer_actor::stateful_pointer<writer_state> self,
                      std::shared_ptr<persistence::writer> db, writer_config cfg) {
  auto& st = self->state;
  st.db = std::move(db);
  st.cfg = cfg;
  if (st.cfg.max_batch == 0)
    st.cfg.max_batch = 1;
  if (cfg.metrics) {
    st.batch_sizes = &cfg.metrics->histogram("dirsync_writer_batch_size", "Jobs per group commit", {},
                                             {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
    st.commit_latency = &cfg.metrics->histogram("dirsync_writer_commit_seconds",
                                                "Time to commit one batch");
    st.commit_failures = &cfg.metrics->counter("dirsync_writer_commit_failures_total",
                                               "Batches whose commit failed");
  }
  // On shutdown the open batch is committed and every job of it answered
  // before the writer stops: an actor awaiting its answer (the mailer, the
  // timers) would otherwise wait forever and hold the process at exit.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    self->state.flush();
    self->quit(msg.reason);
  });
  return {
    [self](write_job& job) -> caf::typed_response_promise<write_ack> {
      auto rp = self->make_response_promise<write_ack>();
      self->state.run(self, job, rp);
      return rp;
    },
    [self](flush_atom, std::uint64_t id) {
      if (self->state.open && self->state.batch_id == id)
        self->state.flush();
    },
  };
}

} // namespace dirsync::actors
