#include "actors/timers.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/lifecycle.hpp"

namespace dirsync::actors {

namespace {

using self_ptr = timer_actor::stateful_pointer<timer_state>;

// What one due-work transaction did.
struct due_result {
  std::vector<std::pair<std::string, std::string>> purged; // (directory, user)
  std::int64_t mails = 0;
  std::int64_t handled = 0;
  bool more = false;
};

// Runs due work in batches until nothing is due; the mailbox waits (await),
// so a tick and a poll never overlap. `done` gets the number of steps.
void run_due(self_ptr self, std::int64_t so_far, std::function<void(std::int64_t)> done) {
  auto& st = self->state;
  auto out = std::make_shared<due_result>();
  lifecycle::environment env{st.ctx->now_text(), st.ctx->time->now(), st.ctx->options.public_url, st.ctx->ids};
  auto limit = static_cast<std::int64_t>(st.ctx->options.timer_batch);
  auto job = write_job{[env, limit, out](persistence::writer& db) -> scim::expected<scim::unit> {
    auto purged = lifecycle::purge_trash(db, env, limit);
    if (!purged)
      return purged.err();
    out->purged = std::move(*purged);
    auto warned = lifecycle::warn_tokens(db, env);
    if (!warned)
      return warned.err();
    auto enrolled = lifecycle::run_enrollments(db, env, limit);
    if (!enrolled)
      return enrolled.err();
    out->mails = *warned;
    out->handled = static_cast<std::int64_t>(out->purged.size()) + *enrolled + (*warned > 0 ? 1 : 0);
    out->more = static_cast<std::int64_t>(out->purged.size()) == limit || *enrolled == limit;
    return scim::unit{};
  }};
  self->request(st.ctx->writer, caf::infinite, std::move(job))
    .await(
      [self, out, so_far, done](write_ack& ack) {
        auto& st = self->state;
        if (ack.error) {
          spdlog::error("timers: due work failed: {}", ack.error->detail);
          done(so_far);
          return;
        }
        for (auto& [dir, user] : out->purged)
          if (!dir.empty())
            self->send(st.registry, reload_atom::value, dir, user);
        if (out->handled > 0 && st.ctx->mailer)
          caf::anon_send(st.ctx->mailer, tick_atom::value);
        if (out->more)
          run_due(self, so_far + out->handled, done);
        else
          done(so_far + out->handled);
      },
      [so_far, done](caf::error& e) {
        spdlog::error("timers: writer unavailable: {}", caf::to_string(e));
        done(so_far);
      });
}

} // namespace

timer_actor::behavior_type timer_behavior(self_ptr self, context_ptr ctx, registry_actor registry) {
  self->state.ctx = std::move(ctx);
  self->state.registry = std::move(registry);
  // At start: everything that fell due while the process was down (O3).
  self->send(self, poll_atom::value);
  return {
    [self](tick_atom) -> caf::result<std::int64_t> {
      auto rp = self->make_response_promise<std::int64_t>();
      run_due(self, 0, [rp](std::int64_t n) mutable { rp.deliver(n); });
      return rp;
    },
    [self](poll_atom) {
      run_due(self, 0, [self](std::int64_t) {
        self->delayed_send(self, self->state.ctx->options.timer_granularity, poll_atom::value);
      });
    },
  };
}

} // namespace dirsync::actors
