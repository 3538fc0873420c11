#include "actors/mailer.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace dirsync::actors {

namespace {

using self_ptr = mailer_actor::stateful_pointer<mailer_state>;
constexpr std::int64_t batch = 50;

// E7: the delay before attempt n+1 doubles from mail.retry_base.
std::chrono::milliseconds backoff(const config::mail_settings& s, std::int64_t attempts) {
  auto shift = std::min<std::int64_t>(attempts - 1, 20);
  return s.retry_base * (std::int64_t{1} << std::max<std::int64_t>(shift, 0));
}

// Records outcomes; the audit trail notes each email sent or given up (L1).
write_job record(std::vector<persistence::outbox_row> done) {
  return write_job{[done](persistence::writer& db) -> scim::expected<scim::unit> {
    for (const auto& m : done) {
      if (auto r = db.lifecycle().update_outbox(m); !r)
        return r;
      if (m.state != "sent" && m.state != "dead")
        continue;
      nlohmann::json details{{"kind", m.kind}, {"object", m.object_id}, {"attempts", m.attempts}};
      if (m.state == "dead")
        details["error"] = m.last_error;
      if (auto r = db.append_action(m.sent_at.value_or(m.next_attempt_at), "system", "mailer",
                                    m.state == "sent" ? "mail.sent" : "mail.dead", "mail", m.id, details.dump(),
                                    m.state == "sent" ? "ok" : "failed");
          !r)
        return r;
    }
    return scim::unit{};
  }};
}

void deliver(self_ptr self, std::int64_t so_far, std::function<void(std::int64_t)> done) {
  auto& st = self->state;
  auto claimed = std::make_shared<std::vector<persistence::outbox_row>>();
  auto now = st.ctx->now_text();
  auto claim = write_job{[claimed, now](persistence::writer& db) -> scim::expected<scim::unit> {
    *claimed = db.lifecycle().due_outbox(now, batch);
    for (auto& m : *claimed) {
      m.state = "sending";
      m.attempts += 1;
      if (auto r = db.lifecycle().update_outbox(m); !r)
        return r;
    }
    return scim::unit{};
  }};
  self->request(st.ctx->writer, caf::infinite, std::move(claim))
    .await(
      [self, claimed, so_far, done](write_ack& ack) {
        auto& st = self->state;
        if (ack.error || claimed->empty()) {
          if (ack.error)
            spdlog::error("mailer: cannot claim mail: {}", ack.error->detail);
          done(so_far);
          return;
        }
        // The claim is committed: only now may the message leave.
        for (auto& m : *claimed) {
          mail::message msg{m.id, m.to, m.subject, m.body, st.ctx->time->now()};
          auto r = st.sender->send(msg);
          auto at = st.ctx->now_text();
          m.last_error = r.status == mail::outcome::sent ? std::string{} : r.detail;
          if (r.status == mail::outcome::sent) {
            m.state = "sent";
            m.sent_at = at;
          } else if (r.status == mail::outcome::permanent || m.attempts >= st.settings.max_attempts) {
            m.state = "dead";
            m.next_attempt_at = at;
            spdlog::warn("mailer: gave up on mail {} after {} attempts: {}", m.id, m.attempts, r.detail);
          } else {
            m.state = "pending";
            m.next_attempt_at = format_time(st.ctx->time->now() + backoff(st.settings, m.attempts));
            spdlog::info("mailer: mail {} attempt {} failed, retrying: {}", m.id, m.attempts, r.detail);
          }
        }
        auto n = static_cast<std::int64_t>(claimed->size());
        self->request(st.ctx->writer, caf::infinite, record(*claimed))
          .await(
            [self, n, so_far, done](write_ack& ack2) {
              if (ack2.error) {
                spdlog::error("mailer: cannot record deliveries: {}", ack2.error->detail);
                done(so_far + n);
                return;
              }
              if (n == batch)
                deliver(self, so_far + n, done);
              else
                done(so_far + n);
            },
            [so_far, n, done](caf::error&) { done(so_far + n); });
      },
      [so_far, done](caf::error&) { done(so_far); });
}

// Once per start, before the first send (see mailer_state).
void recover(self_ptr self) {
  auto& st = self->state;
  auto to_state = st.settings.smtp_url.empty() ? std::string{"pending"} : std::string{"unknown"};
  auto n = std::make_shared<std::int64_t>(0);
  auto job = write_job{[to_state, n, now = st.ctx->now_text()](persistence::writer& db) -> scim::expected<scim::unit> {
    auto r = db.lifecycle().recover_outbox(to_state, now);
    if (!r)
      return r.err();
    *n = *r;
    return scim::unit{};
  }};
  self->request(st.ctx->writer, caf::infinite, std::move(job))
    .await(
      [self, n, to_state](write_ack& ack) {
        self->state.recovered = !ack.error;
        if (*n > 0)
          spdlog::warn("mailer: {} mail(s) were interrupted by a crash; now {}", *n, to_state);
      },
      [](caf::error&) {});
}

} // namespace

mailer_actor::behavior_type mailer_behavior(self_ptr self, context_ptr ctx, config::mail_settings settings) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.settings = std::move(settings);
  st.sender = mail::make_sender(st.settings);
  recover(self);
  self->send(self, poll_atom::value);
  return {
    [self](tick_atom) -> caf::result<std::int64_t> {
      if (!self->state.recovered)
        recover(self);
      auto rp = self->make_response_promise<std::int64_t>();
      deliver(self, 0, [rp](std::int64_t n) mutable { rp.deliver(n); });
      return rp;
    },
    [self](poll_atom) {
      if (!self->state.recovered)
        recover(self);
      deliver(self, 0, [self](std::int64_t) {
        self->delayed_send(self, self->state.ctx->options.timer_granularity, poll_atom::value);
      });
    },
  };
}

} // namespace dirsync::actors
