// The SMTP sender against a real SMTP server process on loopback (smtp_sink.py).
#include "support.hpp"

#include <algorithm>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace dirsync::mail;
using namespace dirsync::mail::test;
using Catch::Matchers::Contains;

namespace {

const std::string password = "s3cret pass";

bool saw(const std::vector<std::string>& verbs, const std::string& verb) {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

/// A loopback port nobody listens on (bound, then released).
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// Settings that log in as "dirsync" with `secret` written to a file in `dir`.
dirsync::config::mail_settings login_settings(const std::string& url, const fs::path& dir,
                                              const std::string& secret) {
  auto s = settings_for(url);
  s.smtp_user = "dirsync";
  s.smtp_password_file = (dir / "smtp-password").string();
  write_text(s.smtp_password_file, secret + "\n");
  s.tls = dirsync::config::starttls_mode::off; // the plain sink offers no STARTTLS
  return s;
}

} // namespace

TEST_CASE("SMTP delivers headers and body intact", "[mail][smtp]") {
  temp_dir tmp;
  smtp_sink sink{tmp.path / "in", {}};
  auto s = settings_for(sink.url());
  auto m = sample("entry-1");
  auto r = make_sender(s)->send(m);
  INFO(r.detail);
  REQUIRE(r.status == outcome::sent);
  CHECK(r.detail == "accepted (last reply 250)");
  auto got = messages(tmp.path / "in");
  REQUIRE(got.size() == 1);
  // Byte for byte what render() produced: curl's dot-stuffing was undone.
  CHECK(got[0].data == *render(m, s.from));
  CHECK(got[0].envelope["mail_from"] == s.from);
  CHECK(got[0].envelope["rcpt_to"] == nlohmann::json::array({m.to}));
  CHECK(got[0].envelope["tls"] == false);
  CHECK(got[0].envelope["auth_user"].is_null());
  parsed p{got[0].data};
  CHECK(decode_words(p.field("Subject")) == m.subject);
  CHECK(p.field("Message-ID") == "<entry-1@sync.example.com>");
  CHECK(unquote_printable(p.body) ==
        "This is an automated message from Example's access service.\r\n"
        ".a line that starts with a dot\r\n"
        ".\r\n"
        "..two dots\r\n"
        "Open https://sync.example.com/enroll/abc?x=1&y=2 within 30 days.\r\n");
  // Python's email package reads it the same way, without complaint.
  CHECK(got[0].envelope["defects"] == nlohmann::json::array());
  CHECK(got[0].envelope["subject"] == m.subject);
  CHECK(got[0].envelope["text"] ==
        "This is an automated message from Example's access service.\r\n"
        ".a line that starts with a dot\r\n"
        ".\r\n"
        "..two dots\r\n"
        "Open https://sync.example.com/enroll/abc?x=1&y=2 within 30 days.\r\n");
  auto verbs = commands(tmp.path / "in");
  CHECK(verbs.front() == "EHLO");
  CHECK(verbs.back() == "QUIT");
}

TEST_CASE("SMTP carries long lines, non-ASCII text and stray line ends", "[mail][smtp]") {
  temp_dir tmp;
  smtp_sink sink{tmp.path, {}};
  auto m = sample("entry-2");
  m.subject = "Votre clé d'accès 🔐 – bitte melden Sie Ihr Gerät an, " + std::string(80, 'x');
  m.text = "Bonjour Zoë,\r\n" + std::string(200, '=') + "\n.\n..\n\ttab first\rlone CR\n" +
           std::string(300, 'k') + "   \n\nno final line end";
  auto s = settings_for(sink.url());
  auto r = make_sender(s)->send(m);
  INFO(r.detail);
  REQUIRE(r.status == outcome::sent);
  auto got = messages(tmp.path);
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == *render(m, s.from));
  CHECK(got[0].envelope["defects"] == nlohmann::json::array());
  CHECK(got[0].envelope["subject"] == m.subject);
  CHECK(got[0].envelope["text"] == crlf_normalised(m.text));
}

TEST_CASE("SMTP logs in when mail.smtp_user is set", "[mail][smtp]") {
  temp_dir tmp;
  for (const std::string mechanism : {"PLAIN", "LOGIN"}) {
    INFO(mechanism);
    auto in = tmp.path / mechanism;
    smtp_sink sink{in, {"--user", "dirsync", "--password", password, "--mechanisms", mechanism}};
    auto r = make_sender(login_settings(sink.url(), tmp.path, password))->send(sample("a1"));
    INFO(r.detail);
    REQUIRE(r.status == outcome::sent);
    auto got = messages(in);
    REQUIRE(got.size() == 1);
    CHECK(got[0].envelope["auth_user"] == "dirsync");
    CHECK(got[0].envelope["auth_mechanism"] == mechanism);
  }
}

TEST_CASE("SMTP login problems are transient and never show the password", "[mail][smtp]") {
  temp_dir tmp;
  auto in = tmp.path / "in";
  smtp_sink sink{in, {"--user", "dirsync", "--password", password}};

  // Wrong password: 535 before the envelope.
  auto r = make_sender(login_settings(sink.url(), tmp.path, "wrong-secret"))->send(sample("a"));
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Contains("535"));
  CHECK_THAT(r.detail, !Contains("wrong-secret"));

  // No login at all: the server answers MAIL with 530 (configuration, not message).
  r = make_sender(settings_for(sink.url()))->send(sample("b"));
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Contains("530"));

  // Unreadable password file.
  auto s = login_settings(sink.url(), tmp.path, password);
  s.smtp_password_file = (tmp.path / "absent").string();
  r = make_sender(s)->send(sample("c"));
  CHECK(r.status == outcome::transient);
  CHECK(r.detail == "cannot read mail.smtp_password_file " + s.smtp_password_file);
  CHECK(messages(in).empty());

  // mail.tls = auto with a login insists on TLS: the password is never sent in clear.
  s = login_settings(sink.url(), tmp.path, password);
  s.tls = dirsync::config::starttls_mode::automatic;
  auto before = commands(in).size();
  r = make_sender(s)->send(sample("d"));
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Contains("STARTTLS"));
  auto verbs = commands(in);
  verbs.erase(verbs.begin(), verbs.begin() + static_cast<std::ptrdiff_t>(before));
  CHECK_FALSE(saw(verbs, "AUTH"));
  CHECK_FALSE(saw(verbs, "MAIL"));
  CHECK(messages(in).empty());
}

TEST_CASE("SMTP: nothing listening is transient; delivery works once the server is back",
          "[mail][smtp]") {
  temp_dir tmp;
  auto port = closed_port();
  auto s = settings_for("smtp://127.0.0.1:" + std::to_string(port));
  auto sender = make_sender(s);
  auto r = sender->send(sample("e1"));
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Contains("connect"));

  smtp_sink sink{tmp.path / "in", {"--port", std::to_string(port)}};
  r = sender->send(sample("e1"));
  INFO(r.detail);
  CHECK(r.status == outcome::sent);
  CHECK(messages(tmp.path / "in").size() == 1);

  // Down again, then back again on the same port.
  sink.stop();
  CHECK(sender->send(sample("e2")).status == outcome::transient);
  smtp_sink again{tmp.path / "in2", {"--port", std::to_string(port)}};
  CHECK(sender->send(sample("e2")).status == outcome::sent);
  CHECK(messages(tmp.path / "in2").size() == 1);
}

TEST_CASE("SMTP 4xx replies are transient, 5xx replies to the message permanent",
          "[mail][smtp]") {
  temp_dir tmp;
  // One forced reply per attempt, in this order; then the server accepts.
  struct attempt {
    std::string fail;
    outcome expected;
  };
  const std::vector<attempt> attempts{
    {"MAIL:421", outcome::transient}, {"MAIL:550", outcome::permanent},
    {"RCPT:450", outcome::transient}, {"RCPT:550", outcome::permanent},
    {"DATA:451", outcome::transient}, {"DATA:554", outcome::permanent},
    {"BODY:452", outcome::transient}, {"BODY:552", outcome::permanent},
  };
  std::vector<std::string> args;
  for (const auto& a : attempts)
    args.insert(args.end(), {"--fail", a.fail + ":1"});
  smtp_sink sink{tmp.path, args};
  auto sender = make_sender(settings_for(sink.url()));
  for (const auto& [fail, expected] : attempts) {
    auto r = sender->send(sample("f1"));
    INFO(fail << ": " << r.detail);
    CHECK(r.status == expected);
    CHECK_THAT(r.detail, Contains("(last reply " + fail.substr(fail.find(':') + 1) + ")"));
    CHECK(messages(tmp.path).empty());
  }
  CHECK(sender->send(sample("f1")).status == outcome::sent);
  CHECK(messages(tmp.path).size() == 1);
}

TEST_CASE("SMTP: a server that never answers times out", "[mail][smtp]") {
  temp_dir tmp;
  smtp_sink sink{tmp.path, {"--stall"}};
  auto s = settings_for(sink.url());
  s.timeout = std::chrono::milliseconds{300};
  auto start = std::chrono::steady_clock::now();
  auto r = make_sender(s)->send(sample("t1"));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == outcome::transient);
  CHECK_THAT(r.detail, Contains("Timeout"));
  CHECK(took < std::chrono::seconds{2});
}
