// Mail delivery through a real SMTP server process on loopback (E4, E7):
// content, header and link; retries with backoff while the relay is down;
// a refused message becomes a dead letter; a crash during a send is never
// followed by a second send of the same outbox entry.

#include <regex>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"
#include "mail/support.hpp"

using namespace dirsync::e2e;
namespace sink = dirsync::mail::test;

namespace {

json mail_of(client& c, const dirsync::e2e::daemon& d, const std::string& kind) {
  auto r = admin_request(c, d.admin_key(), "GET", "/outbox?limit=1000");
  REQUIRE(r.status == 200);
  auto body = r.json_body();
  for (const auto& m : body["mails"])
    if (m["kind"] == kind)
      return m;
  return nullptr;
}

// A loopback port nothing listens on (a sink's, after it stopped).
std::uint16_t dead_port(const sink::temp_dir& dir) {
  sink::smtp_sink probe{dir.path / "probe", {}};
  auto port = probe.port();
  probe.stop();
  return port;
}

std::vector<std::string> smtp_flags(std::uint16_t port) {
  return {"--clock.test", "true", "--mail.smtp_url", "smtp://127.0.0.1:" + std::to_string(port), "--mail.tls",
          "off", "--mail.from", "dirsync@sync.example.com", "--mail.retry_base", "1m", "--mail.connect_timeout",
          "2s", "--mail.timeout", "5s"};
}

// A directory sending enrollment emails, pushing through the relay at `port`.
struct enrolling_fixture : fixture {
  explicit enrolling_fixture(std::uint16_t port) : fixture{"okta", smtp_flags(port)} {
    admin = d.connect();
    REQUIRE(admin_request(*admin, d.admin_key(), "PATCH", "/directories/" + dir.id, {{"enrollment_emails", true}})
              .status
            == 200);
  }
  std::unique_ptr<client> admin;
};

json enrollee(const std::string& email) {
  return {{"emails", json::array({{{"value", email}, {"primary", true}}})},
          {"name", {{"givenName", "Sam"}, {"familyName", "Smtp"}}}};
}

} // namespace

TEST_CASE("E7 SMTP: retried with backoff while the relay is down, delivered intact when it is back",
          "[e2e][smtp]") {
  sink::temp_dir tmp;
  auto port = dead_port(tmp);
  enrolling_fixture f{port};
  auto& c = f.admin;
  create_user(*f.c, "sam@example.com", enrollee("sam@example.com"));
  advance_clock(*c, f.d, 0);
  auto m = mail_of(*c, f.d, "enrollment");
  REQUIRE(m.is_object());
  CHECK(m["state"] == "pending");
  CHECK(m["attempts"] == 1);
  CHECK_FALSE(m["last_error"].get<std::string>().empty());

  // The relay comes back; the next attempt waits for the backoff (1 min).
  sink::smtp_sink relay{tmp.path / "relay", {"--port", std::to_string(port)}};
  advance_clock(*c, f.d, 30);
  CHECK(mail_of(*c, f.d, "enrollment")["attempts"] == 1);
  CHECK(sink::messages(tmp.path / "relay").empty());
  advance_clock(*c, f.d, 31);
  m = mail_of(*c, f.d, "enrollment");
  CHECK(m["state"] == "sent");
  CHECK(m["attempts"] == 2);
  auto got = sink::messages(tmp.path / "relay");
  REQUIRE(got.size() == 1);
  CHECK(got[0].envelope["mail_from"] == "dirsync@sync.example.com");
  CHECK(got[0].envelope["rcpt_to"] == json::array({"sam@example.com"}));
  const auto& data = got[0].data;
  CHECK(data.find("To: sam@example.com") != std::string::npos);
  CHECK(data.find("Message-ID: <" + m["id"].get<std::string>() + "@sync.example.com>") != std::string::npos);
  // The body is quoted-printable; the link and the header survive it.
  auto unfolded = std::regex_replace(data, std::regex{"=\r\n"}, "");
  CHECK(unfolded.find("automated message") != std::string::npos);
  CHECK(unfolded.find("/enroll/") != std::string::npos);
  // Nothing is sent twice.
  advance_clock(*c, f.d, 3600);
  CHECK(sink::messages(tmp.path / "relay").size() == 1);
}

TEST_CASE("E7 a message the relay refuses (5xx) is a dead letter for admins to see and retry", "[e2e][smtp]") {
  sink::temp_dir tmp;
  sink::smtp_sink relay{tmp.path / "relay", {"--fail", "RCPT:550:1"}};
  enrolling_fixture f{relay.port()};
  auto& c = f.admin;
  create_user(*f.c, "refused@example.com", enrollee("refused@example.com"));
  advance_clock(*c, f.d, 0);
  auto m = mail_of(*c, f.d, "enrollment");
  CHECK(m["state"] == "dead");
  auto dead = admin_request(*c, f.d.admin_key(), "GET", "/outbox?state=dead").json_body()["mails"];
  CHECK(dead.size() == 1);
  auto audit = admin_request(*c, f.d.admin_key(), "GET", "/actions?action=mail.dead").json_body()["actions"];
  CHECK(audit.size() == 1);
  // An admin sends it again; the relay accepts it this time.
  REQUIRE(admin_request(*c, f.d.admin_key(), "POST", "/outbox/" + m["id"].get<std::string>() + "/retry").status == 200);
  advance_clock(*c, f.d, 0);
  CHECK(mail_of(*c, f.d, "enrollment")["state"] == "sent");
  CHECK(sink::messages(tmp.path / "relay").size() == 1);
}

TEST_CASE("E7 a crash in the middle of an SMTP send leaves the mail 'unknown', not sent again", "[e2e][smtp]") {
  sink::temp_dir tmp;
  sink::smtp_sink relay{tmp.path / "relay", {"--stall"}};
  enrolling_fixture f{relay.port()};
  auto& c = f.admin;
  create_user(*f.c, "crash@example.com", enrollee("crash@example.com"));
  // The mailer's own poll claims the mail and blocks on the silent relay.
  json m;
  for (int i = 0; i < 100; ++i) {
    m = mail_of(*c, f.d, "enrollment");
    if (m.is_object() && m["state"] == "sending")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  REQUIRE(m["state"] == "sending");
  f.d.kill_hard();
  f.d.start();
  auto c2 = f.d.connect();
  advance_clock(*c2, f.d, 3600);
  m = mail_of(*c2, f.d, "enrollment");
  CHECK(m["state"] == "unknown");
  CHECK(m["attempts"] == 1);
}
