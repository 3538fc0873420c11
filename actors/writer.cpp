#include "actors/writer.hpp"

#include <chrono>
#include <thread>

#include <caf/all.hpp>

namespace dirsync::actors {

namespace {

write_ack ack_of(const scim::expected<scim::unit>& result) {
  write_ack ack;
  if (!result)
    ack.error = result.err();
  return ack;
}

write_ack lost_batch() {
  return write_ack{scim::make_error(scim::error_code::unavailable, "the change could not be committed, retry later")};
}

} // namespace

void writer_state::run(writer_actor::stateful_pointer<writer_state> self, write_job& job,
                       caf::typed_response_promise<write_ack> rp) {
  if (!open) {
    if (auto err = db->begin_batch(); !err.empty()) {
      rp.deliver(write_ack{scim::make_error(scim::error_code::unavailable,
                                            "storage is unavailable, retry later")});
      return;
    }
    open = true;
    guarded = false;
    yields = 0;
    ++batch_id;
    // The flush lands behind every job already in the mailbox: those join
    // this batch (group commit) without any waiting when the delay is 0.
    if (cfg.max_commit_delay.count() > 0)
      self->delayed_send(self, cfg.max_commit_delay, flush_atom::value, batch_id);
    else
      self->send(self, flush_atom::value, batch_id);
  }
  auto ack = execute(job);
  if (!open) {
    // The batch was lost and its other jobs answered: this one too.
    rp.deliver(std::move(ack));
    return;
  }
  pending.push_back(held{std::move(rp), std::move(ack), std::move(job)});
  if (pending.size() >= cfg.max_batch)
    flush();
}

write_ack writer_state::execute(write_job& job) {
  // A batch holding a job that cannot run twice cannot be replayed.
  if (!job.replayable)
    guarded = true;
  if (guarded) {
    auto ack = run_guarded(job);
    return open ? ack : lost_batch();
  }
  // Without a savepoint SQLite copies no page into a savepoint journal (POST
  // /Users: 18k instructions of 260k). A failure that changed nothing needs
  // no undo; any other is undone by running the batch again.
  auto changes = db->changes();
  db->begin_op(false);
  auto result = job.run(*db);
  if (result && db->batch_open()) {
    db->end_op(true);
    return ack_of(result);
  }
  db->end_op(false);
  if (!result && db->changes() == changes && db->batch_open())
    return ack_of(result);
  if (!replay())
    return lost_batch();
  return execute(job);
}

bool writer_state::replay() {
  if (replays)
    replays->inc();
  guarded = true;
  db->rollback_batch();
  if (auto err = db->begin_batch(); !err.empty()) {
    abandon();
    return false;
  }
  // By index: a lost batch (abandon) empties `pending` under the loop.
  for (std::size_t i = 0; i < pending.size(); ++i) {
    auto ack = run_guarded(pending[i].job);
    if (!open)
      return false;
    pending[i].ack = std::move(ack);
  }
  return true;
}

write_ack writer_state::run_guarded(write_job& job) {
  db->begin_op(true);
  auto result = job.run(*db);
  db->end_op(result.has_value());
  if (!db->batch_open())
    abandon();
  return ack_of(result);
}

void writer_state::abandon() {
  db->rollback_batch();
  open = false;
  if (commit_failures)
    commit_failures->inc();
  for (auto& h : pending)
    h.rp.deliver(lost_batch());
  pending.clear();
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
  for (auto& h : pending) {
    // Nothing of a failed batch is stored: no job of it may be acknowledged.
    h.rp.deliver(err.empty() ? std::move(h.ack) : lost_batch());
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
    st.replays = &cfg.metrics->counter("dirsync_writer_replays_total",
                                       "Batches rolled back and run again to undo a failed job");
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
      auto& st = self->state;
      if (!st.open || st.batch_id != id)
        return;
      // Work-conserving group commit: let the server's other ready threads
      // run; writes they queue meanwhile join this batch, and the flush goes
      // behind them. A yield with no other thread ready returns at once.
      if (st.yields < st.cfg.commit_yields && st.pending.size() < st.cfg.max_batch) {
        ++st.yields;
        std::this_thread::yield();
        if (!self->mailbox().empty()) {
          self->send(self, flush_atom::value, id);
          return;
        }
      }
      st.flush();
    },
  };
}

} // namespace dirsync::actors
