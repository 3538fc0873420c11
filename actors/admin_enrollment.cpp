// Enrollment and mail in the admin API: Pending Enrollments (E5), the
// enrollment email settings (E4), the outbox with its dead letters (E7) and
// application keys for the auth API (P1).

#include "actors/admin_common.hpp"
#include "actors/lifecycle.hpp"

namespace dirsync::actors::admin {

namespace {

lifecycle::environment environment_of(const context_ptr& ctx) {
  return lifecycle::environment{ctx->now_text(), ctx->time->now(), ctx->options.public_url, ctx->ids};
}

nlohmann::json enrollment_json(const persistence::enrollment_row& e, const std::string& username) {
  return {{"user_id", e.user_id}, {"username", username},     {"email", e.email},
          {"sent_at", e.sent_at}, {"expires_at", e.expires_at}, {"reminders_sent", e.reminders}};
}

void nudge_mailer(const context_ptr& ctx) {
  if (ctx->mailer)
    caf::anon_send(ctx->mailer, tick_atom::value);
}

void enrollments(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                 self_ptr self) {
  auto n = call.path.size();
  if (n == 1 && call.method == "GET") {
    std::int64_t limit = 0, cursor = 0;
    if (!read_page(call, rp, limit, cursor))
      return;
    return run_read(ctx, self, rp, [limit, cursor](persistence::reader& db) {
      return page_reply("enrollments", db.lifecycle().enrollments(cursor, limit + 1), limit, [&](const auto& e) {
        auto u = db.admin_user_by_id(e.user_id);
        return enrollment_json(e, u ? u->user.user_name : "");
      });
    });
  }
  auto env = environment_of(ctx);
  // POST /enrollments/resend (all) and /enrollments/{user}/resend (E5).
  bool resend_all = n == 2 && call.path[1] == "resend" && call.method == "POST";
  bool resend_one = n == 3 && call.path[2] == "resend" && call.method == "POST";
  if (resend_all || resend_one) {
    auto only = resend_one ? call.path[1] : std::string{};
    return run_write(ctx, self, rp, [env, only, who, ctx](persistence::writer& db) {
      std::vector<persistence::enrollment_row> targets;
      if (!only.empty()) {
        auto e = db.lifecycle().enrollment(only);
        if (!e)
          return error(404, "no pending enrollment for this user");
        targets.push_back(*e);
      } else {
        for (std::int64_t after = 0;;) {
          auto page = db.lifecycle().enrollments(after, 500);
          if (page.empty())
            break;
          after = page.back().seq;
          targets.insert(targets.end(), page.begin(), page.end());
        }
      }
      for (const auto& e : targets) {
        if (auto r = lifecycle::resend_enrollment(db, env, e); !r)
          return from_error(r.err());
        if (auto r = db.append_action(env.now, "admin", who.id, "enrollment.resend", "user", e.user_id,
                                      nlohmann::json{{"email", e.email}}.dump(), "ok");
            !r)
          return from_error(r.err());
      }
      nudge_mailer(ctx);
      return admin_reply{200, nlohmann::json{{"resent", targets.size()}}};
    });
  }
  if (n == 2 && call.method == "DELETE") {
    return run_write(ctx, self, rp, [env, id = call.path[1], who](persistence::writer& db) {
      // E5: the link dies with the row; the next push may start a new one.
      if (auto r = db.lifecycle().delete_enrollment(id); !r)
        return from_error(r.err());
      if (auto r = db.append_action(env.now, "admin", who.id, "enrollment.delete", "user", id, "{}", "ok"); !r)
        return from_error(r.err());
      return admin_reply{204, nullptr};
    });
  }
  reply(rp, n <= 3 ? error(405, "method not allowed") : error(404, "no such endpoint"));
}

void enrollment_settings(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                         self_ptr self) {
  if (call.path.size() != 2 || call.path[1] != "enrollment-email")
    return reply(rp, error(404, "no such endpoint"));
  if (call.method == "GET") {
    return run_read(ctx, self, rp, [](persistence::reader& db) {
      auto [subject, body] = lifecycle::enrollment_template(db.lifecycle());
      return admin_reply{200, nlohmann::json{{"subject", subject}, {"body", body}, {"header", lifecycle::mail_header()}}};
    });
  }
  if (call.method != "PUT")
    return reply(rp, error(405, "method not allowed"));
  admin_reply bad;
  if (!string_fields(call.body, {"subject", "body"}, bad))
    return reply(rp, bad);
  auto subject = str(call.body, "subject");
  auto body = str(call.body, "body");
  if (subject.empty() || !call.body.contains("body"))
    return reply(rp, error(400, "subject and body are required"));
  // E4: without the placeholder the email would carry no link.
  if (body.find(lifecycle::link_placeholder) == std::string::npos)
    return reply(rp, error(400, std::string{"the body must contain the placeholder "} + lifecycle::link_placeholder));
  auto at = ctx->now_text();
  run_write(ctx, self, rp, [subject, body, at, who](persistence::writer& db) {
    if (auto r = db.lifecycle().set_setting("enrollment.subject", subject); !r)
      return from_error(r.err());
    if (auto r = db.lifecycle().set_setting("enrollment.body", body); !r)
      return from_error(r.err());
    if (auto r = db.append_action(at, "admin", who.id, "settings.enrollment_email", "settings", "enrollment-email",
                                  nlohmann::json{{"subject", subject}}.dump(), "ok");
        !r)
      return from_error(r.err());
    return admin_reply{200, nlohmann::json{{"subject", subject}, {"body", body}, {"header", lifecycle::mail_header()}}};
  });
}

nlohmann::json outbox_json(const persistence::outbox_row& m) {
  // Never the body: an enrollment link is a credential.
  return {{"id", m.id},           {"created", m.created},        {"kind", m.kind},
          {"object_id", m.object_id}, {"to", m.to},              {"subject", m.subject},
          {"state", m.state},     {"attempts", m.attempts},      {"next_attempt_at", m.next_attempt_at},
          {"last_error", m.last_error}, {"sent_at", m.sent_at ? nlohmann::json(*m.sent_at) : nlohmann::json()}};
}

void outbox(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp, self_ptr self) {
  auto n = call.path.size();
  if (n == 1 && call.method == "GET") {
    std::int64_t limit = 0, cursor = 0;
    if (!read_page(call, rp, limit, cursor))
      return;
    auto state = query_value(call, "state").value_or("");
    return run_read(ctx, self, rp, [limit, cursor, state](persistence::reader& db) {
      return page_reply("mails", db.lifecycle().outbox_page(state, cursor, limit + 1), limit,
                        [](const auto& m) { return outbox_json(m); });
    });
  }
  if (n == 3 && call.path[2] == "retry" && call.method == "POST") {
    // An admin decision: a dead or interrupted (unknown) mail goes out again.
    auto at = ctx->now_text();
    return run_write(ctx, self, rp, [id = call.path[1], at, who, ctx](persistence::writer& db) {
      auto m = db.lifecycle().outbox(id);
      if (!m)
        return error(404, "no such mail");
      if (m->state != "dead" && m->state != "unknown")
        return error(409, "only a dead or unknown mail can be retried");
      m->state = "pending";
      m->attempts = 0;
      m->next_attempt_at = at;
      if (auto r = db.lifecycle().update_outbox(*m); !r)
        return from_error(r.err());
      if (auto r = db.append_action(at, "admin", who.id, "mail.retry", "mail", id, "{}", "ok"); !r)
        return from_error(r.err());
      nudge_mailer(ctx);
      return admin_reply{200, outbox_json(*m)};
    });
  }
  reply(rp, n <= 3 ? error(405, "method not allowed") : error(404, "no such endpoint"));
}

void app_keys(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
              self_ptr self) {
  if (call.path.size() != 1 || call.method != "POST")
    return reply(rp, call.path.size() == 1 ? error(405, "method not allowed") : error(404, "no such endpoint"));
  admin_reply bad;
  if (!string_fields(call.body, {"name"}, bad))
    return reply(rp, bad);
  if (str(call.body, "name").empty())
    return reply(rp, error(400, "name is required"));
  // P1: 32 random bytes, stored only as a hash, shown in this answer only.
  auto key = ctx->ids->new_secret(32);
  persistence::app_key_row row{ctx->ids->new_id(), str(call.body, "name"), sha256_hex(key), ctx->now_text()};
  run_write(ctx, self, rp, [row, key, who](persistence::writer& db) {
    if (auto r = db.lifecycle().insert_app_key(row); !r)
      return from_error(r.err());
    if (auto r = db.append_action(row.created, "admin", who.id, "app_key.create", "app_key", row.id,
                                  nlohmann::json{{"name", row.name}}.dump(), "ok");
        !r)
      return from_error(r.err());
    return admin_reply{201, nlohmann::json{{"id", row.id}, {"name", row.name}, {"created", row.created}, {"key", key}}};
  });
}

} // namespace

void handle_enrollment(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                       self_ptr self) {
  const auto& family = call.path.front();
  if (family == "enrollments")
    return enrollments(ctx, who, call, rp, self);
  if (family == "settings")
    return enrollment_settings(ctx, who, call, rp, self);
  if (family == "outbox")
    return outbox(ctx, who, call, rp, self);
  app_keys(ctx, who, call, rp, self);
}

} // namespace dirsync::actors::admin
