#include "actors/bridge.hpp"

#include <algorithm>

namespace dirsync::actors {

namespace {

using bridge_ptr = caf::stateful_actor<bridge_state>*;

std::chrono::milliseconds sweep_period(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 8, std::chrono::milliseconds{10}, std::chrono::milliseconds{1000});
}

void schedule_sweep(bridge_ptr self) {
  auto& st = self->state;
  if (st.sweeping || st.waiting.empty())
    return;
  st.sweeping = true;
  self->delayed_send(self, sweep_period(st.timeout), sweep_atom::value);
}

// Registers a call; `expire` answers it if no reply came by the deadline.
std::uint64_t await(bridge_ptr self, std::function<void()> expire) {
  auto& st = self->state;
  auto id = ++st.next_id;
  st.waiting.emplace(id, bridge_wait{self->clock().now() + st.timeout, std::move(expire)});
  schedule_sweep(self);
  return id;
}

// True for the first of reply and expiry only.
bool settle(bridge_ptr self, std::uint64_t id) {
  auto& st = self->state;
  if (st.waiting.erase(id) == 0)
    return false;
  --*st.pending;
  return true;
}

template <class Dest, class Call, class Reply>
void forward(bridge_ptr self, const Dest& dest, Call call, std::function<void(Reply)> done,
             Reply (*on_timeout)(), Reply (*on_error)(const caf::error&)) {
  // One callback shared by the three ways the call can end.
  auto once = std::make_shared<std::function<void(Reply)>>(std::move(done));
  auto id = await(self, [once, on_timeout] { (*once)(on_timeout()); });
  self->request(dest, caf::infinite, std::move(call))
    .then(
      [self, id, once](Reply& r) {
        if (settle(self, id))
          (*once)(std::move(r));
      },
      [self, id, once, on_error](caf::error& e) {
        if (settle(self, id))
          (*once)(on_error(e));
      });
}

scim_reply scim_timeout() {
  return scim_reply::failure(scim::error_code::unavailable, "the request timed out, retry later");
}

scim_reply scim_internal(const caf::error&) {
  return scim_reply::failure(scim::error_code::internal, "internal error");
}

admin_reply admin_timeout() {
  return admin_reply{503, nlohmann::json{{"error", "the request timed out, retry later"}, {"status", 503}}};
}

admin_reply admin_internal(const caf::error&) {
  return admin_reply{500, nlohmann::json{{"error", "internal error"}, {"status", 500}}};
}

} // namespace

caf::behavior bridge_behavior(caf::stateful_actor<bridge_state>* self, registry_actor registry,
                              timer_actor timers, mailer_actor mailer, std::chrono::milliseconds timeout,
                              std::atomic<std::size_t>* pending) {
  auto& st = self->state;
  st.registry = std::move(registry);
  st.timers = std::move(timers);
  st.mailer = std::move(mailer);
  st.timeout = timeout;
  st.pending = pending;
  return {
    [self](scim_call& call, scim_done& done) {
      forward<registry_actor, scim_call, scim_reply>(self, self->state.registry, std::move(call), std::move(done),
                                                      scim_timeout, scim_internal);
    },
    [self](admin_call& call, admin_done& done) {
      forward<registry_actor, admin_call, admin_reply>(self, self->state.registry, std::move(call),
                                                        std::move(done), admin_timeout, admin_internal);
    },
    [self](portal_call& call, admin_done& done) {
      forward<registry_actor, portal_call, admin_reply>(self, self->state.registry, std::move(call),
                                                         std::move(done), admin_timeout, admin_internal);
    },
    [self](sweep_atom) {
      auto& st = self->state;
      st.sweeping = false;
      auto now = self->clock().now();
      std::vector<std::function<void()>> expired;
      for (auto i = st.waiting.begin(); i != st.waiting.end();) {
        if (i->second.deadline <= now) {
          expired.push_back(std::move(i->second.expire));
          i = st.waiting.erase(i);
          --*st.pending;
        } else {
          ++i;
        }
      }
      for (auto& e : expired)
        e();
      schedule_sweep(self);
    },
    // The test clock (O4): the timers run what is due, then the mailer
    // delivers what they queued. Rare, so CAF's own timeouts serve here.
    [self](tick_atom, admin_done& done) {
      auto failed = [done](caf::error&) {
        done(admin_reply{503, nlohmann::json{{"error", "the timers did not answer"}, {"status", 503}}});
      };
      auto& st = self->state;
      self->request(st.timers, st.timeout, tick_atom::value)
        .then(
          [self, done, failed](std::int64_t steps) {
            self->request(self->state.mailer, self->state.timeout, tick_atom::value)
              .then([done, steps](std::int64_t mails) {
                done(admin_reply{200, nlohmann::json{{"steps", steps}, {"mails", mails}}});
              }, failed);
          },
          failed);
    },
  };
}

} // namespace dirsync::actors
