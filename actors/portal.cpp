// The end-user side: the enrollment page (E6) and the auth API (P1).

#include "actors/admin_api.hpp"
#include "actors/admin_common.hpp"
#include "actors/lifecycle.hpp"
#include "actors/totp.hpp"

namespace dirsync::actors {

namespace {

using admin::error;
using admin::reply;
using admin::str;

constexpr const char* issuer = "dirsync";

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

admin_reply page(int status, const std::string& title, const std::string& content) {
  auto html = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape_html(title)
              + "</title><meta name=\"viewport\" content=\"width=device-width\"></head><body><main><h1>"
              + escape_html(title) + "</h1>" + content + "</main></body></html>";
  return admin_reply{status, nlohmann::json{{"html", html}}};
}

admin_reply invalid_link() {
  return page(410, "This enrollment link is no longer valid",
              "<p>The link was already used, has expired, or was withdrawn by your administrators. "
              "If you still need to enroll, ask your administrators or IT support for a new enrollment email; "
              "a new link is also sent automatically while your enrollment is pending.</p>");
}

admin_reply enroll_form(const std::string& username, const std::string& secret32, const std::string& note) {
  auto uri = totp::otpauth_uri(issuer, username, secret32);
  return page(note.empty() ? 200 : 400, "Enroll an authenticator",
              (note.empty() ? "" : "<p role=\"alert\"><strong>" + escape_html(note) + "</strong></p>")
                + "<p>Enrolling <b>" + escape_html(username)
                + "</b>. Add this account to an authenticator app (RFC 6238 TOTP), by its secret:</p>"
                  "<p><code id=\"secret\">"
                + escape_html(secret32) + "</code></p><p>or by this URI: <a id=\"otpauth\" href=\""
                + escape_html(uri) + "\">" + escape_html(uri)
                + "</a></p><form method=\"post\"><input type=\"hidden\" name=\"totp_secret\" value=\""
                + escape_html(secret32)
                + "\"><label>Current code <input name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" "
                  "pattern=\"[0-9]{6}\" required></label> <button type=\"submit\">Confirm</button></form>");
}

// The pending enrollment a link opens, if it may still be used (E2, E5, E6).
template <class Db>
std::optional<std::pair<persistence::enrollment_row, persistence::admin_user>> usable_link(Db& db,
                                                                                          const std::string& secret,
                                                                                          const std::string& now) {
  auto e = db.lifecycle().enrollment_by_link(sha256_hex(secret));
  if (!e || e->expires_at <= now)
    return std::nullopt;
  auto a = db.admin_user_by_id(e->user_id);
  if (!a || a->user.trashed_at || a->status == "disabled")
    return std::nullopt;
  return std::make_pair(*e, *a);
}

std::int64_t unix_seconds(const context_ptr& ctx) {
  return std::chrono::duration_cast<std::chrono::seconds>(ctx->time->now().time_since_epoch()).count();
}

void enroll_page(const context_ptr& ctx, portal_call& call, admin::promise rp, admin::self_ptr self) {
  auto now = ctx->now_text();
  // A fresh secret (160 random bits, RFC 4226) each time the page opens; it
  // becomes the device only once a code made from it is confirmed.
  auto secret32 = totp::base32_encode(ctx->ids->new_secret(20));
  admin::run_read(ctx, self, rp, [secret = call.secret, now, secret32](persistence::reader& db) {
    auto link = usable_link(db, secret, now);
    if (!link)
      return invalid_link();
    return enroll_form(link->second.user.user_name, secret32, "");
  });
}

void enroll_confirm(const context_ptr& ctx, portal_call& call, admin::promise rp, admin::self_ptr self) {
  auto now = ctx->now_text();
  auto step = totp::step_of(unix_seconds(ctx));
  auto device_id = ctx->ids->new_id();
  admin::run_write(ctx, self, rp,
                   [secret = call.secret, body = call.body, now, step, device_id](persistence::writer& db) {
                     auto link = usable_link(db, secret, now);
                     if (!link)
                       return invalid_link();
                     auto secret32 = str(body, "totp_secret");
                     auto key = totp::base32_decode(secret32);
                     if (!key || key->size() < 10)
                       return page(400, "Enrollment failed", "<p>The form was damaged; open the link again.</p>");
                     auto matched = totp::verify(*key, str(body, "code"), step);
                     if (!matched)
                       return enroll_form(link->second.user.user_name, secret32,
                                          "That code does not match; check the app's clock and try the current code.");
                     const auto& user_id = link->first.user_id;
                     persistence::device_row d{device_id, user_id, "totp", secret32, now, *matched};
                     if (auto r = db.lifecycle().insert_device(d); !r)
                       return admin::from_error(r.err());
                     // E6: enrolled, so the pending enrollment and its reminders end.
                     if (auto r = db.lifecycle().delete_enrollment(user_id); !r)
                       return admin::from_error(r.err());
                     if (auto r = db.append_action(now, "user", user_id, "enrollment.complete", "user", user_id,
                                                   nlohmann::json{{"device", device_id}, {"kind", "totp"}}.dump(), "ok");
                         !r)
                       return admin::from_error(r.err());
                     return page(200, "You are enrolled",
                                 "<p>Your authenticator is now registered. You can close this page.</p>");
                   });
}

// P1: the decision for a user, from its effective status and devices.
nlohmann::json decision(const std::optional<persistence::admin_user>& a, const std::vector<persistence::device_row>& devices,
                        const std::string& public_url) {
  if (!a)
    return {{"result", "deny"}, {"reason", "unknown_user"}};
  auto [status, why] = admin::effective_status(*a);
  if (status == "disabled")
    return {{"result", "deny"},
            {"reason", why == "in_trash" ? "in_trash" : why == "group_disabled" ? "disabled_group" : "disabled"}};
  if (status == "bypass")
    return {{"result", "allow"}, {"reason", why}};
  if (devices.empty())
    return {{"result", "enroll"}, {"enroll_portal_url", public_url + "/enroll"}};
  auto list = nlohmann::json::array();
  for (const auto& d : devices)
    list.push_back({{"device", d.id}, {"type", d.kind}, {"capabilities", {"passcode"}}});
  return {{"result", "auth"}, {"devices", std::move(list)}};
}

void auth_api(const context_ptr& ctx, portal_call& call, admin::promise rp, admin::self_ptr self) {
  if (!call.body.is_object() || !call.body.contains("username") || !call.body["username"].is_string())
    return reply(rp, error(400, "expected {\"username\": string}"));
  if (call.kind == "auth" && (!call.body.contains("passcode") || !call.body["passcode"].is_string()))
    return reply(rp, error(400, "expected {\"username\": string, \"passcode\": string}"));
  auto key_hash = sha256_hex(call.secret);
  auto username = str(call.body, "username");
  auto public_url = ctx->options.public_url;
  if (call.kind == "preauth") {
    return admin::run_read(ctx, self, rp, [key_hash, username, public_url](persistence::reader& db) {
      if (!db.lifecycle().app_key_by_hash(key_hash))
        return error(401, "the application key is not valid");
      auto id = db.lifecycle().user_id_by_name(username);
      auto a = id ? db.admin_user_by_id(*id) : std::nullopt;
      auto devices = a ? db.lifecycle().devices(a->user.id) : std::vector<persistence::device_row>{};
      return admin_reply{200, decision(a, devices, public_url)};
    });
  }
  auto step = totp::step_of(unix_seconds(ctx));
  auto now = ctx->now_text();
  admin::run_write(ctx, self, rp,
                   [key_hash, username, public_url, step, now, passcode = str(call.body, "passcode")](
                     persistence::writer& db) {
                     auto app = db.lifecycle().app_key_by_hash(key_hash);
                     if (!app)
                       return error(401, "the application key is not valid");
                     auto id = db.lifecycle().user_id_by_name(username);
                     auto a = id ? db.admin_user_by_id(*id) : std::nullopt;
                     auto devices = a ? db.lifecycle().devices(a->user.id) : std::vector<persistence::device_row>{};
                     auto d = decision(a, devices, public_url);
                     if (d["result"] != "auth")
                       return admin_reply{200, d};
                     nlohmann::json out{{"result", "deny"}, {"reason", "invalid_passcode"}};
                     for (const auto& dev : devices) {
                       auto key = totp::base32_decode(dev.secret);
                       auto matched = key ? totp::verify(*key, passcode, step) : std::nullopt;
                       if (!matched)
                         continue;
                       // Replay protection: a step is accepted once per device.
                       auto fresh = db.lifecycle().advance_device_step(dev.id, *matched);
                       if (!fresh)
                         return admin::from_error(fresh.err());
                       out = *fresh ? nlohmann::json{{"result", "allow"}, {"device", dev.id}}
                                    : nlohmann::json{{"result", "deny"}, {"reason", "passcode_already_used"}};
                       break;
                     }
                     if (auto r = db.append_action(now, "app", app->id, "auth." + out["result"].get<std::string>(),
                                                   "user", a->user.id, out.dump(), "ok");
                         !r)
                       return admin::from_error(r.err());
                     return admin_reply{200, out};
                   });
}

} // namespace

void handle_portal(const context_ptr& ctx, portal_call& call, caf::typed_response_promise<admin_reply> rp,
                   registry_actor::stateful_pointer<registry_state> self) {
  if (call.kind == "enroll_page")
    return enroll_page(ctx, call, rp, self);
  if (call.kind == "enroll_confirm")
    return enroll_confirm(ctx, call, rp, self);
  if (call.kind == "preauth" || call.kind == "auth")
    return auth_api(ctx, call, rp, self);
  reply(rp, error(404, "no such endpoint"));
}

} // namespace dirsync::actors
