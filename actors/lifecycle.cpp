#include "actors/lifecycle.hpp"

#include <nlohmann/json.hpp>

#include "mail/mail.hpp"

namespace dirsync::actors::lifecycle {

namespace {

using ok_t = scim::expected<scim::unit>;

constexpr const char* default_subject = "Enroll in two-factor authentication";
constexpr const char* default_body =
  "Hello,\n\nYour organisation protects its applications with two-factor authentication. "
  "Open this link to enroll an authenticator app:\n\n<enrollment-link>\n\n"
  "The link works once and is valid for 30 days.";

ok_t audit(persistence::writer& db, const environment& env, const std::string& actor_kind,
           const std::string& actor_id, const std::string& action, const std::string& kind,
           const std::string& object_id, const nlohmann::json& details, const std::string& result = "ok") {
  return db.append_action(env.now, actor_kind, actor_id, action, kind, object_id, details.dump(), result);
}

std::string replace_all(std::string text, const std::string& what, const std::string& with) {
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
  return text;
}

std::string user_email(const persistence::admin_user& a) {
  auto attrs = nlohmann::json::parse(a.user.attributes, nullptr, false);
  if (!attrs.is_object() || !attrs.contains("email") || !attrs["email"].is_string())
    return {};
  return attrs["email"].get<std::string>();
}

// Why a user may not have (or keep) a pending enrollment, or "" (E1, E3).
std::string not_eligible(persistence::writer& db, const std::optional<persistence::admin_user>& a) {
  if (!a)
    return "deleted";
  if (a->user.trashed_at)
    return "in_trash";
  if (a->status != "active")
    return "status_" + a->status;
  if (!mail::valid_address(user_email(*a)))
    return "no_valid_email";
  if (!db.lifecycle().devices(a->user.id).empty())
    return "enrolled";
  return {};
}

// A new link and its email: the start of a 30-day cycle (E2, E3).
ok_t start_cycle(persistence::writer& db, const environment& env, const std::string& user_id,
                 const std::string& email) {
  auto secret = env.ids->new_secret(32);
  auto [subject, body] = enrollment_template(db.lifecycle());
  auto text = replace_all(body, link_placeholder, env.public_url + "/enroll/" + secret);
  auto id = queue_mail(db, env, "enrollment", user_id, email, subject, text);
  if (!id)
    return id.err();
  persistence::enrollment_row e;
  e.user_id = user_id;
  e.link_hash = sha256_hex(secret);
  e.email = email;
  e.message_id = *id;
  e.sent_at = env.now;
  e.expires_at = format_time(env.now_tp + link_lifetime);
  e.reminders = 0;
  e.next_at = format_time(env.now_tp + first_reminder);
  return db.lifecycle().put_enrollment(e);
}

} // namespace

std::string mail_header() {
  return "This is an automated message from your organisation's access service. "
         "If you have questions, contact your organisation's administrators or IT support group.";
}

std::pair<std::string, std::string> enrollment_template(persistence::lifecycle_store& db) {
  return {db.setting("enrollment.subject").value_or(default_subject),
          db.setting("enrollment.body").value_or(default_body)};
}

scim::expected<std::string> queue_mail(persistence::writer& db, const environment& env, const std::string& kind,
                                       const std::string& object_id, const std::string& to,
                                       const std::string& subject, const std::string& text) {
  persistence::outbox_row m;
  m.id = env.ids->new_id();
  m.created = env.now;
  m.kind = kind;
  m.object_id = object_id;
  m.to = to;
  m.subject = subject;
  m.body = mail_header() + "\n\n" + text;
  m.next_attempt_at = env.now;
  if (auto r = db.lifecycle().insert_outbox(m); !r)
    return r.err();
  return m.id;
}

scim::expected<bool> maybe_enroll(persistence::writer& db, const environment& env, const std::string& user_id,
                                  const std::string& actor_kind, const std::string& actor_id) {
  auto a = db.admin_user_by_id(user_id);
  if (!not_eligible(db, a).empty() || db.lifecycle().enrollment(user_id))
    return false;
  auto email = user_email(*a);
  if (auto r = start_cycle(db, env, user_id, email); !r)
    return r.err();
  if (auto r = audit(db, env, actor_kind, actor_id, "enrollment.send", "user", user_id, {{"email", email}}); !r)
    return r.err();
  return true;
}

scim::expected<std::vector<std::pair<std::string, std::string>>> purge_trash(persistence::writer& db,
                                                                            const environment& env,
                                                                            std::int64_t limit) {
  std::vector<std::pair<std::string, std::string>> purged;
  auto cutoff = format_time(env.now_tp - trash_period);
  for (const auto& u : db.lifecycle().due_trash(cutoff, limit)) {
    // Devices, memberships and the pending enrollment go with the user.
    if (auto r = db.purge_user(u.id); !r)
      return r.err();
    nlohmann::json details{{"username", u.user_name}, {"trashed_at", u.trashed_at.value_or("")},
                           {"reason", "trash_period_over"}};
    if (!u.directory_id.empty())
      details["directory"] = u.directory_id;
    if (auto r = audit(db, env, "system", "timer", "user.purge", "user", u.id, details); !r)
      return r.err();
    purged.emplace_back(u.directory_id, u.id);
  }
  return purged;
}

scim::expected<std::int64_t> warn_tokens(persistence::writer& db, const environment& env) {
  using std::chrono::hours;
  static const std::pair<int, hours> stages[] = {{1, hours{24 * 15}}, {2, hours{24 * 7}}, {3, hours{24}}, {4, hours{0}}};
  std::int64_t queued = 0;
  for (const auto& t : db.lifecycle().token_states()) {
    auto expires = parse_time(t.expires_at);
    if (!expires)
      continue;
    int reached = 0;
    int days = 0;
    for (const auto& [stage, before] : stages)
      if (env.now_tp >= *expires - before) {
        reached = stage;
        days = static_cast<int>(before.count() / 24);
      }
    // Only the most urgent stage reached is sent: after a long outage the
    // Owners get one current warning, not a backlog (D8: each at most once).
    if (reached <= t.warned)
      continue;
    std::string subject = reached == 4 ? "Action required: the token of directory \"" + t.name + "\" has expired"
                                       : "Action required: the token of directory \"" + t.name + "\" expires in "
                                           + std::to_string(days) + (days == 1 ? " day" : " days");
    std::string text = "The bearer token your identity provider uses to push to the directory \"" + t.name
                       + "\" " + (reached == 4 ? "expired" : "expires") + " at " + t.expires_at + ".\n\n"
                       + (reached == 4 ? "Pushes are refused until a new token is in place. " : "")
                       + "Regenerate the token (POST /admin/v1/directories/" + t.id
                       + "/token) and paste the new one into the identity provider.";
    auto owners = db.lifecycle().owner_emails();
    for (const auto& to : owners) {
      if (auto id = queue_mail(db, env, "token_warning", t.id, to, subject, text); !id)
        return id.err();
      ++queued;
    }
    if (auto r = db.lifecycle().set_token_warned(t.id, reached); !r)
      return r.err();
    if (auto r = audit(db, env, "system", "timer", reached == 4 ? "directory.token_expired" : "directory.token_warning",
                       "directory", t.id, {{"stage_days", days}, {"recipients", owners.size()}},
                       owners.empty() ? "no_recipients" : "ok");
        !r)
      return r.err();
  }
  return queued;
}

scim::expected<std::int64_t> run_enrollments(persistence::writer& db, const environment& env, std::int64_t limit) {
  std::int64_t handled = 0;
  for (auto e : db.lifecycle().due_enrollments(env.now, limit)) {
    ++handled;
    auto a = db.admin_user_by_id(e.user_id);
    if (auto why = not_eligible(db, a); !why.empty()) {
      // E3: the cycle stops for a trashed, deleted, disabled or enrolled user.
      if (auto r = db.lifecycle().delete_enrollment(e.user_id); !r)
        return r.err();
      if (auto r = audit(db, env, "system", "timer", "enrollment.stop", "user", e.user_id, {{"reason", why}}); !r)
        return r.err();
      continue;
    }
    auto original = db.lifecycle().outbox(e.message_id);
    if (env.now >= e.expires_at || !original) {
      // E3: after 30 days the link dies; a new one starts a new cycle.
      auto email = user_email(*a);
      if (auto r = start_cycle(db, env, e.user_id, email); !r)
        return r.err();
      if (auto r = audit(db, env, "system", "timer", "enrollment.renew", "user", e.user_id, {{"email", email}}); !r)
        return r.err();
      continue;
    }
    // E3: a reminder carries the same link to the same address.
    if (auto id = queue_mail(db, env, "enrollment_reminder", e.user_id, e.email, "Reminder: " + original->subject,
                             original->body.substr(original->body.find("\n\n") + 2));
        !id)
      return id.err();
    e.reminders += 1;
    e.next_at = e.reminders == 1 ? add_time(e.sent_at, first_reminder + second_reminder) : e.expires_at;
    if (e.next_at > e.expires_at)
      e.next_at = e.expires_at;
    if (auto r = db.lifecycle().put_enrollment(e); !r)
      return r.err();
    if (auto r = audit(db, env, "system", "timer", "enrollment.remind", "user", e.user_id,
                       {{"reminder", e.reminders}});
        !r)
      return r.err();
  }
  return handled;
}

scim::expected<scim::unit> resend_enrollment(persistence::writer& db, const environment& env,
                                             const persistence::enrollment_row& e) {
  auto original = db.lifecycle().outbox(e.message_id);
  if (!original)
    return scim::make_error(scim::error_code::not_found, "the original enrollment email is gone");
  auto id = queue_mail(db, env, "enrollment_resend", e.user_id, e.email, original->subject,
                       original->body.substr(original->body.find("\n\n") + 2));
  if (!id)
    return id.err();
  return scim::unit{};
}

} // namespace dirsync::actors::lifecycle
