// The time-driven lifecycle end to end with the test clock (O3, O4): token
// warnings (D6, D8), the Trash purge (U9), the enrollment cycle (E1-E6),
// the auth API (P1), and deadlines that fell due while the process was down.

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>

#include <catch2/catch.hpp>

#include "actors/totp.hpp"
#include "e2e/harness.hpp"

using namespace dirsync::e2e;
namespace totp = dirsync::actors::totp;

namespace {

constexpr long day = 86400;

// The outbox, oldest first, optionally of one kind.
std::vector<json> outbox(client& c, const dirsync::e2e::daemon& d, const std::string& kind = {}) {
  auto r = admin_request(c, d.admin_key(), "GET", "/outbox?limit=1000");
  REQUIRE(r.status == 200);
  std::vector<json> out;
  auto body = r.json_body();
  for (const auto& m : body["mails"])
    if (kind.empty() || m["kind"] == kind)
      out.push_back(m);
  std::reverse(out.begin(), out.end());
  return out;
}

// The text of a delivered .eml, quoted-printable decoded.
std::string eml_text(const dirsync::e2e::daemon& d, const std::string& id) {
  std::ifstream in{d.data_dir() + "/mail/" + id + ".eml", std::ios::binary};
  REQUIRE(in.good());
  std::string raw{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '=' && i + 2 < raw.size() && raw[i + 1] == '\r' && raw[i + 2] == '\n') {
      i += 2;
    } else if (raw[i] == '=' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1]))) {
      out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += raw[i];
    }
  }
  return out;
}

std::string link_secret(const std::string& text) {
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex{"/enroll/([A-Za-z0-9_-]+)"}));
  return m[1];
}

std::string current_code(const std::string& secret32, const std::string& server_now) {
  auto key = totp::base32_decode(secret32);
  REQUIRE(key);
  return totp::hotp(*key, static_cast<std::uint64_t>(totp::step_of(epoch_seconds(server_now))));
}

json user_body_with_email(const std::string& name) {
  return {{"emails", json::array({{{"value", name}, {"primary", true}}})},
          {"name", {{"givenName", "Eve"}, {"familyName", "Enroll"}}}};
}

} // namespace

TEST_CASE("D6 D8 token warnings to Owners at 15, 7 and 1 days and at expiry, each once", "[e2e][time]") {
  daemon d{{"--clock.test", "true"}};
  auto c = d.connect();
  auto dir = d.create_directory("okta", "Okta prod");
  auto subjects = [&] {
    std::vector<std::string> s;
    for (const auto& m : outbox(*c, d, "token_warning")) {
      CHECK(m["to"] == "owner@example.test");
      CHECK(m["state"] == "sent");
      s.push_back(m["subject"]);
    }
    return s;
  };
  advance_clock(*c, d, 74 * day);
  CHECK(subjects().empty());
  advance_clock(*c, d, day + 60);
  REQUIRE(subjects().size() == 1);
  CHECK(subjects()[0] == "Action required: the token of directory \"Okta prod\" expires in 15 days");
  advance_clock(*c, d, 0);
  advance_clock(*c, d, 3600);
  CHECK(subjects().size() == 1);
  advance_clock(*c, d, 8 * day);
  REQUIRE(subjects().size() == 2);
  CHECK(subjects()[1].find("expires in 7 days") != std::string::npos);
  advance_clock(*c, d, 6 * day);
  REQUIRE(subjects().size() == 3);
  CHECK(subjects()[2].find("expires in 1 day") != std::string::npos);
  auto scim = d.connect();
  scim->set_token(dir.token);
  CHECK(scim->get("/scim/v2/Users").status == 200);
  advance_clock(*c, d, day);
  REQUIRE(subjects().size() == 4);
  CHECK(subjects()[3] == "Action required: the token of directory \"Okta prod\" has expired");
  auto expired = scim->get("/scim/v2/Users");
  CHECK(expired.status == 401);
  auto view = admin_request(*c, d.admin_key(), "GET", "/directories/" + dir.id).json_body();
  CHECK(view["status"] == "token_expired");
  advance_clock(*c, d, 30 * day);
  CHECK(subjects().size() == 4);
  // The message itself carries the non-editable header (E4) and the way out.
  auto text = eml_text(d, outbox(*c, d, "token_warning")[3]["id"]);
  CHECK(text.find("automated message") != std::string::npos);
  CHECK(text.find("/admin/v1/directories/" + dir.id + "/token") != std::string::npos);
  auto audit = admin_request(*c, d.admin_key(), "GET", "/actions?action=directory.token_expired").json_body();
  CHECK(audit["actions"].size() == 1);
}

TEST_CASE("D7 D8 no warning of the old token after a regeneration", "[e2e][time]") {
  daemon d{{"--clock.test", "true"}};
  auto c = d.connect();
  auto dir = d.create_directory("okta", "Rotated");
  advance_clock(*c, d, 76 * day);
  REQUIRE(outbox(*c, d, "token_warning").size() == 1);
  REQUIRE(admin_request(*c, d.admin_key(), "POST", "/directories/" + dir.id + "/token").status == 200);
  advance_clock(*c, d, 15 * day);
  CHECK(outbox(*c, d, "token_warning").size() == 1);
  // The new token warns on its own schedule: 75 days after its issue.
  advance_clock(*c, d, 60 * day);
  auto all = outbox(*c, d, "token_warning");
  REQUIRE(all.size() == 2);
  CHECK(all[1]["subject"].get<std::string>().find("15 days") != std::string::npos);
}

TEST_CASE("U9 the Trash is purged at day 7; a restore at day 6 cancels it", "[e2e][time]") {
  fixture f{"okta", {"--clock.test", "true"}};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  auto a = create_user(*f.c, "restored@example.com");
  auto b = create_user(*f.c, "purged@example.com");
  REQUIRE(f.c->del("/scim/v2/Users/" + a).status == 204);
  advance_clock(*c, f.d, day);
  REQUIRE(f.c->del("/scim/v2/Users/" + b).status == 204);
  advance_clock(*c, f.d, 5 * day);
  // Day 6 for a: Okta provisions it again, so it leaves the Trash.
  CHECK(create_user(*f.c, "restored@example.com") == a);
  advance_clock(*c, f.d, day + 3600);
  CHECK(admin_request(*c, key, "GET", "/users/" + a).status == 200);
  CHECK(admin_request(*c, key, "GET", "/trash/" + b).status == 200);
  advance_clock(*c, f.d, day);
  CHECK(admin_request(*c, key, "GET", "/trash/" + b).status == 404);
  CHECK(admin_request(*c, key, "GET", "/users/" + b).status == 404);
  CHECK(f.c->get("/scim/v2/Users/" + b).status == 404);
  CHECK(admin_request(*c, key, "GET", "/users/" + a).status == 200);
  auto purges = admin_request(*c, key, "GET", "/actions?action=user.purge").json_body()["actions"];
  REQUIRE(purges.size() == 1);
  CHECK(purges[0]["object"]["id"] == b);
  CHECK(purges[0]["actor"]["kind"] == "system");
}

TEST_CASE("O3 a deadline that passed while the process was down runs once at the next start", "[e2e][time]") {
  daemon d{{"--clock.test", "true"}};
  auto c = d.connect();
  auto dir = d.create_directory("okta", "Down");
  auto scim = d.connect();
  scim->set_token(dir.token);
  auto id = create_user(*scim, "gone@example.com");
  REQUIRE(scim->del("/scim/v2/Users/" + id).status == 204);
  d.kill_hard();
  d.add_args({"--clock.start_offset", "8d"});
  d.start();
  auto c2 = d.connect();
  advance_clock(*c2, d, 0);
  CHECK(admin_request(*c2, d.admin_key(), "GET", "/trash/" + id).status == 404);
  auto count = [&] {
    return admin_request(*c2, d.admin_key(), "GET", "/actions?action=user.purge").json_body()["actions"].size();
  };
  CHECK(count() == 1);
  d.kill_hard();
  d.start();
  c2 = d.connect();
  advance_clock(*c2, d, 0);
  CHECK(count() == 1);
}

TEST_CASE("E1-E6 an enrollment cycle: send, reminders on days 2 and 10, new link on day 30, enrolled on day 31",
          "[e2e][time][enroll]") {
  fixture f{"okta", {"--clock.test", "true"}};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  // E4: the body must carry the link.
  CHECK(admin_request(*c, key, "PUT", "/settings/enrollment-email", {{"subject", "Hi"}, {"body", "no link"}}).status
        == 400);
  REQUIRE(admin_request(*c, key, "PUT", "/settings/enrollment-email",
                        {{"subject", "Welcome to 2FA"}, {"body", "Enroll here: <enrollment-link>\nThanks."}})
            .status
          == 200);
  REQUIRE(admin_request(*c, key, "PATCH", "/directories/" + f.dir.id, {{"enrollment_emails", true}}).status == 200);
  auto id = create_user(*f.c, "eve@example.com", user_body_with_email("eve@example.com"));
  // Not eligible: no valid email.
  create_user(*f.c, "noemail@example.com", {{"emails", json::array({{{"value", "not an address"}}})}});
  advance_clock(*c, f.d, 0);
  auto sent = outbox(*c, f.d, "enrollment");
  REQUIRE(sent.size() == 1);
  CHECK(sent[0]["to"] == "eve@example.com");
  CHECK(sent[0]["subject"] == "Welcome to 2FA");
  CHECK(sent[0]["state"] == "sent");
  auto text = eml_text(f.d, sent[0]["id"]);
  CHECK(text.find("automated message") != std::string::npos);
  CHECK(text.find("Enroll here: http://127.0.0.1:" + std::to_string(f.d.port()) + "/enroll/") != std::string::npos);
  auto link1 = link_secret(text);
  CHECK(link1.size() >= 22); // >= 128 bits
  auto pending = admin_request(*c, key, "GET", "/enrollments").json_body()["enrollments"];
  REQUIRE(pending.size() == 1);
  CHECK(pending[0]["user_id"] == id);
  CHECK(pending[0]["email"] == "eve@example.com");
  // A second push does not start a second enrollment.
  REQUIRE(f.c->patch("/scim/v2/Users/" + id,
                     patch_body(json::array({{{"op", "replace"}, {"path", "title"}, {"value", "x"}}})))
            .status
          == 200);

  advance_clock(*c, f.d, 2 * day);
  auto reminders = outbox(*c, f.d, "enrollment_reminder");
  REQUIRE(reminders.size() == 1);
  CHECK(reminders[0]["subject"] == "Reminder: Welcome to 2FA");
  CHECK(link_secret(eml_text(f.d, reminders[0]["id"])) == link1);
  advance_clock(*c, f.d, 7 * day);
  CHECK(outbox(*c, f.d, "enrollment_reminder").size() == 1);
  advance_clock(*c, f.d, day);
  REQUIRE(outbox(*c, f.d, "enrollment_reminder").size() == 2);
  advance_clock(*c, f.d, 19 * day);
  CHECK(outbox(*c, f.d, "enrollment").size() == 1);
  // Day 30: the link expires and a new cycle starts with a new link.
  advance_clock(*c, f.d, day);
  sent = outbox(*c, f.d, "enrollment");
  REQUIRE(sent.size() == 2);
  auto link2 = link_secret(eml_text(f.d, sent[1]["id"]));
  CHECK(link2 != link1);
  auto old = c->request("GET", "/enroll/" + link1);
  CHECK(old.status == 410);
  CHECK(old.header("content-type").find("text/html") != std::string::npos);
  // E5: resend = the same link to the same address.
  REQUIRE(admin_request(*c, key, "POST", "/enrollments/" + id + "/resend").status == 200);
  advance_clock(*c, f.d, 0);
  auto resent = outbox(*c, f.d, "enrollment_resend");
  REQUIRE(resent.size() == 1);
  CHECK(resent[0]["to"] == "eve@example.com");
  CHECK(link_secret(eml_text(f.d, resent[0]["id"])) == link2);

  // Day 31: the user opens the page and enrolls a TOTP app (E6).
  auto now = advance_clock(*c, f.d, day)["now"].get<std::string>();
  auto page = c->request("GET", "/enroll/" + link2);
  REQUIRE(page.status == 200);
  std::smatch m;
  REQUIRE(std::regex_search(page.body, m, std::regex{"<code id=\"secret\">([A-Z2-7]+)</code>"}));
  std::string secret32 = m[1];
  CHECK(page.body.find("otpauth://totp/") != std::string::npos);
  auto wrong = c->request("POST", "/enroll/" + link2, "totp_secret=" + secret32 + "&code=000000",
                          {{"Content-Type", "application/x-www-form-urlencoded"}});
  CHECK(wrong.status == 400);
  auto code = current_code(secret32, now);
  auto done = c->request("POST", "/enroll/" + link2, "totp_secret=" + secret32 + "&code=" + code,
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
  INFO(done.body);
  REQUIRE(done.status == 200);
  CHECK(done.body.find("You are enrolled") != std::string::npos);
  CHECK(c->request("GET", "/enroll/" + link2).status == 410);
  CHECK(admin_request(*c, key, "GET", "/enrollments").json_body()["enrollments"].empty());
  auto before = outbox(*c, f.d).size();
  advance_clock(*c, f.d, 12 * day);
  CHECK(outbox(*c, f.d).size() == before);

  // P1: the enrolled user authenticates with a fresh code, once.
  auto app = admin_request(*c, key, "POST", "/app-keys", {{"name", "vpn"}});
  REQUIRE(app.status == 201);
  auto app_key = app.json_body()["key"].get<std::string>();
  auto pre = c->request("POST", "/auth/v1/preauth", json{{"username", "EVE@example.com"}}.dump(),
                        {{"Content-Type", "application/json"}}, app_key);
  REQUIRE(pre.status == 200);
  CHECK(pre.json_body()["result"] == "auth");
  CHECK(pre.json_body()["devices"].size() == 1);
  now = advance_clock(*c, f.d, 60)["now"].get<std::string>();
  code = current_code(secret32, now);
  json attempt{{"username", "eve@example.com"}, {"passcode", code}};
  auto ok = c->request("POST", "/auth/v1/auth", attempt.dump(), {{"Content-Type", "application/json"}}, app_key);
  REQUIRE(ok.status == 200);
  CHECK(ok.json_body()["result"] == "allow");
  auto replay = c->request("POST", "/auth/v1/auth", attempt.dump(), {{"Content-Type", "application/json"}}, app_key);
  CHECK(replay.json_body()["result"] == "deny");
  CHECK(replay.json_body()["reason"] == "passcode_already_used");
  attempt["passcode"] = code == "123456" ? "654321" : "123456";
  auto bad = c->request("POST", "/auth/v1/auth", attempt.dump(), {{"Content-Type", "application/json"}}, app_key);
  CHECK(bad.json_body()["reason"] == "invalid_passcode");

  // U9: a user trashed and provisioned again keeps its device.
  REQUIRE(f.c->del("/scim/v2/Users/" + id).status == 204);
  auto trashed = c->request("POST", "/auth/v1/preauth", json{{"username", "eve@example.com"}}.dump(),
                            {{"Content-Type", "application/json"}}, app_key);
  CHECK(trashed.json_body()["reason"] == "in_trash");
  CHECK(create_user(*f.c, "eve@example.com", user_body_with_email("eve@example.com")) == id);
  auto back = c->request("POST", "/auth/v1/preauth", json{{"username", "eve@example.com"}}.dump(),
                         {{"Content-Type", "application/json"}}, app_key);
  CHECK(back.json_body()["result"] == "auth");
  CHECK(back.json_body()["devices"].size() == 1);
  // Enrolled, so the restore sends no new enrollment email (E1).
  advance_clock(*c, f.d, 0);
  CHECK(outbox(*c, f.d, "enrollment").size() == 2);
}

TEST_CASE("E3 E5 an enrollment stops when the user is disabled; a deleted one kills its link at once",
          "[e2e][time][enroll]") {
  fixture f{"okta", {"--clock.test", "true"}};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  REQUIRE(admin_request(*c, key, "PATCH", "/directories/" + f.dir.id, {{"enrollment_emails", true}}).status == 200);
  auto a = create_user(*f.c, "a@example.com", user_body_with_email("a@example.com"));
  auto b = create_user(*f.c, "b@example.com", user_body_with_email("b@example.com"));
  advance_clock(*c, f.d, 0);
  auto sent = outbox(*c, f.d, "enrollment");
  REQUIRE(sent.size() == 2);
  std::map<std::string, std::string> link;
  for (const auto& m : sent)
    link[m["object_id"]] = link_secret(eml_text(f.d, m["id"]));
  REQUIRE(admin_request(*c, key, "PATCH", "/users/" + a, {{"status", "disabled"}}).status == 200);
  CHECK(c->request("GET", "/enroll/" + link[a]).status == 410);
  REQUIRE(admin_request(*c, key, "DELETE", "/enrollments/" + b).status == 204);
  CHECK(c->request("GET", "/enroll/" + link[b]).status == 410);
  advance_clock(*c, f.d, 3 * day);
  CHECK(outbox(*c, f.d, "enrollment_reminder").empty());
  CHECK(admin_request(*c, key, "GET", "/enrollments").json_body()["enrollments"].empty());
  // E5: after a deletion the next push starts a new enrollment.
  REQUIRE(f.c->patch("/scim/v2/Users/" + b,
                     patch_body(json::array({{{"op", "replace"}, {"path", "title"}, {"value", "y"}}})))
            .status
          == 200);
  advance_clock(*c, f.d, 0);
  CHECK(outbox(*c, f.d, "enrollment").size() == 3);
}

TEST_CASE("P1 preauth: unknown, disabled, disabled group, Trash, bypass, enroll; app key required", "[e2e][time]") {
  fixture f{"okta", {"--clock.test", "true"}};
  auto c = f.d.connect();
  auto key = f.d.admin_key();
  auto app = admin_request(*c, key, "POST", "/app-keys", {{"name", "portal"}}).json_body()["key"].get<std::string>();
  auto preauth = [&](const std::string& user, const std::string& k) {
    return c->request("POST", "/auth/v1/preauth", json{{"username", user}}.dump(),
                      {{"Content-Type", "application/json"}}, k);
  };
  CHECK(preauth("x", "wrong-key").status == 401);
  CHECK(preauth("nobody", app).json_body() == json{{"result", "deny"}, {"reason", "unknown_user"}});
  auto id = create_user(*f.c, "p@example.com", user_body_with_email("p@example.com"));
  auto r = preauth("p@example.com", app).json_body();
  CHECK(r["result"] == "enroll");
  CHECK(r["enroll_portal_url"] == "http://127.0.0.1:" + std::to_string(f.d.port()) + "/enroll");
  REQUIRE(admin_request(*c, key, "PATCH", "/users/" + id, {{"status", "bypass"}}).status == 200);
  CHECK(preauth("p@example.com", app).json_body()["result"] == "allow");
  auto g = create_group(*f.c, "Locked", json::array({{{"value", id}}}));
  REQUIRE(admin_request(*c, key, "PATCH", "/groups/" + g, {{"status", "disabled"}}).status == 200);
  CHECK(preauth("p@example.com", app).json_body() == json{{"result", "deny"}, {"reason", "disabled_group"}});
  REQUIRE(admin_request(*c, key, "PATCH", "/groups/" + g, {{"status", "active"}}).status == 200);
  REQUIRE(admin_request(*c, key, "PATCH", "/users/" + id, {{"status", "disabled"}}).status == 200);
  CHECK(preauth("p@example.com", app).json_body() == json{{"result", "deny"}, {"reason", "disabled"}});
  REQUIRE(f.c->del("/scim/v2/Users/" + id).status == 204);
  CHECK(preauth("p@example.com", app).json_body() == json{{"result", "deny"}, {"reason", "in_trash"}});
  // An admin key is not an application key, and an application key opens
  // neither the admin API nor SCIM.
  CHECK(preauth("p@example.com", key).status == 401);
  CHECK(admin_request(*c, app, "GET", "/users").status == 401);
  CHECK(c->request("GET", "/scim/v2/Users", {}, {}, app).status == 401);
  CHECK(preauth("p@example.com", f.dir.token).status == 401);
}
