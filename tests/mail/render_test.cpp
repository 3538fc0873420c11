// RFC 5322 / MIME rendering, addresses and ids.
#include "support.hpp"

using namespace dirsync::mail;
using namespace dirsync::mail::test;

namespace {

const std::string from = "dirsync@sync.example.com";

/// Every CR is followed by LF and every LF preceded by CR.
bool crlf_only(const std::string& s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n'))
      return false;
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
      return false;
  }
  return true;
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < s.size();) {
    auto eol = s.find("\r\n", pos);
    out.push_back(s.substr(pos, eol - pos));
    pos = eol == std::string::npos ? s.size() : eol + 2;
  }
  return out;
}

/// Whether `s` is complete, well-formed UTF-8 (no sequence cut off).
bool complete_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size())
      return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return false;
    i += n;
  }
  return true;
}

} // namespace

TEST_CASE("render writes every header, CRLF only", "[mail][render]") {
  auto m = sample("outbox-42");
  m.subject = "Enroll your authenticator";
  auto text = render(m, from);
  REQUIRE(text);
  CHECK(crlf_only(*text));
  parsed p{*text};
  CHECK(p.fields == std::vector<std::string>{
                      "Date: Thu, 29 Feb 2024 13:05:09 +0000",
                      "From: dirsync@sync.example.com",
                      "To: alice@example.com",
                      "Subject: Enroll your authenticator",
                      "Message-ID: <outbox-42@sync.example.com>",
                      "MIME-Version: 1.0",
                      "Content-Type: text/plain; charset=utf-8",
                      "Content-Transfer-Encoding: quoted-printable",
                      "Auto-Submitted: auto-generated",
                    });
  for (const auto& line : lines_of(*text))
    CHECK(line.size() <= 76);
  CHECK(unquote_printable(p.body) == crlf_normalised(m.text));
}

TEST_CASE("a non-ASCII or long subject becomes RFC 2047 words", "[mail][render]") {
  auto m = sample("s1");
  for (const auto& subject : std::vector<std::string>{"Inscription de votre clé – ünïcödé 日本語のテキスト and more text to need several "
        "encoded words, 🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐🔐",
        "é", std::string(200, 'a'), "Looks =?UTF-8?B?encoded?= but is not"}) {
    INFO(subject);
    m.subject = subject;
    auto text = render(m, from);
    REQUIRE(text);
    CHECK(crlf_only(*text));
    parsed p{*text};
    auto value = p.field("Subject");
    CHECK(value.compare(0, 10, "=?UTF-8?B?") == 0);
    CHECK(decode_words(value) == subject);
    // Each word decodes to whole characters; no folded line is too long.
    for (std::size_t pos = 0; (pos = value.find("=?UTF-8?B?", pos)) != std::string::npos;) {
      auto end = value.find("?=", pos + 10);
      CHECK(complete_utf8(unbase64(value.substr(pos + 10, end - pos - 10))));
      pos = end;
    }
    for (const auto& line : lines_of(text->substr(0, text->find("\r\n\r\n"))))
      CHECK(line.size() <= 76);
  }
  m.subject = "Plain ASCII stays readable";
  CHECK(parsed{*render(m, from)}.field("Subject") == "Plain ASCII stays readable");
}

TEST_CASE("the body round-trips through quoted-printable", "[mail][render]") {
  auto m = sample("b1");
  m.text = "Bonjour Zoë,\r\n"
           "a = b and c=d, tab\there, trailing spaces   \n"
           "trailing tab\t\n" +
           std::string(300, 'x') + "\n" + std::string(100, '=') + "\n" +
           ".leading dot\n.\nFrom the start\rlone CR\n\n"
           "https://sync.example.com/enroll/" + std::string(90, 'k') + "\n"
           "🔐 last line without a line end";
  auto text = render(m, from);
  REQUIRE(text);
  CHECK(crlf_only(*text));
  parsed p{*text};
  CHECK(unquote_printable(p.body) == crlf_normalised(m.text));
  for (const auto& line : lines_of(p.body)) {
    INFO(line);
    CHECK(line.size() <= 76);
    CHECK((line.empty() || (line.back() != ' ' && line.back() != '\t')));
    for (unsigned char c : line)
      CHECK((c == '\t' || (c >= 32 && c < 127)));
  }
  m.text.clear();
  CHECK(parsed{*render(m, from)}.body.empty());
}

TEST_CASE("header injection is impossible", "[mail][render]") {
  auto m = sample("inj");
  m.to = "victim@example.com\r\nBcc: everyone@example.com";
  CHECK_FALSE(render(m, from));
  CHECK(refusal(m, from) == "the recipient address is not a valid address");
  m.to = "victim@example.com\nBcc: everyone@example.com";
  CHECK_FALSE(render(m, from));
  m.to = "Victim <victim@example.com>";
  CHECK_FALSE(render(m, from));

  m = sample("inj");
  CHECK_FALSE(render(m, "dirsync@example.com\r\nBcc: x@example.com"));
  CHECK(refusal(m, "nobody") == "the sender address (mail.from) is not a valid address");

  // Control characters in the subject become spaces; nothing new appears.
  m.subject = "Hello\r\nBcc: everyone@example.com\r\n\r\nfake body";
  auto text = render(m, from);
  REQUIRE(text);
  parsed p{*text};
  CHECK(p.fields.size() == 9);
  CHECK(p.field("Bcc").empty());
  CHECK(decode_words(p.field("Subject")) == "Hello  Bcc: everyone@example.com    fake body");
  m.subject = "bell\a nul";
  m.subject += '\0';
  CHECK(decode_words(parsed{*render(m, from)}.field("Subject")) == "bell  nul ");

  // An id with a line break still gives one Message-ID token.
  m.id = "x>\r\nBcc: everyone@example.com";
  p = parsed{*render(m, from)};
  CHECK(p.fields.size() == 9);
  CHECK(p.field("Message-ID") == "<=" + std::string{"783E0D0A4263633A2065766572796F6E65406578616D706C652E636F6D"} +
                                   "@sync.example.com>");
}

TEST_CASE("Message-ID is stable per outbox id", "[mail][render]") {
  auto a = sample("entry-7");
  auto b = sample("entry-7");
  b.subject = "Reminder";
  b.text = "other text";
  b.date += std::chrono::hours{48};
  auto id_a = parsed{*render(a, from)}.field("Message-ID");
  CHECK(id_a == "<entry-7@sync.example.com>");
  CHECK(parsed{*render(b, from)}.field("Message-ID") == id_a);
  b.id = "entry-8";
  CHECK(parsed{*render(b, from)}.field("Message-ID") != id_a);

  CHECK(id_token("0f8e2c1a-9b7d-4e3f-8a6b-5c4d3e2f1a0b") == "0f8e2c1a-9b7d-4e3f-8a6b-5c4d3e2f1a0b");
  CHECK(id_token("42") == "42");
  CHECK(id_token("a.b_c-d") == "a.b_c-d");
  CHECK(id_token(".hidden") == "=2E68696464656E");
  CHECK(id_token("../etc") == "=2E2E2F657463");
  CHECK(id_token("a/b") == "=612F62");
  CHECK(id_token("a..b") == "=612E2E62");
  CHECK(id_token("a b") == "=612062");
  CHECK(id_token(std::string(121, 'a')).front() == '=');

  a.id.clear();
  CHECK_FALSE(render(a, from));
  a.id = std::string(121, 'a');
  CHECK(refusal(a, from) == "the outbox id must be 1..120 bytes");
  a.id = std::string(120, '/');
  CHECK(render(a, from));
}

TEST_CASE("valid_address accepts plain addresses only", "[mail][address]") {
  for (const auto& ok : std::vector<std::string>{"alice@example.com", "a@b", "admin@localhost", "first.last@sub.example.co.uk",
        "user+tag@example.com", "o'brien@example.ie", "x!#$%&'*+-/=?^_`{|}~@example.com",
        "a@1.2.3.4", "a@xn--bcher-kva.example", "UPPER@EXAMPLE.COM",
        std::string(64, 'l') + "@" + std::string(63, 'd') + ".com"}) {
    INFO(ok);
    CHECK(valid_address(ok));
  }
  std::string long_domain;
  while (long_domain.size() < 300)
    long_domain += std::string(49, 'd') + ".";
  long_domain += "com";
  for (const auto& bad : std::vector<std::string>{"", "@", "alice", "alice@", "@example.com", "alice@@example.com",
        "al ice@example.com", "alice@exa mple.com", " alice@example.com",
        "alice@example.com ", "alice@example.com\r\n", "alice\n@example.com",
        "alice@example.com.", ".alice@example.com", "alice.@example.com",
        "al..ice@example.com", "alice@example..com", "alice@.example.com",
        "alice@-example.com", "alice@example-.com", "alice@exa_mple.com",
        "\"alice\"@example.com", "Alice <alice@example.com>", "alice@[192.0.2.1]",
        "alice(comment)@example.com", "alïce@example.com", "alice@exämple.com",
        "a,b@example.com", "a;b@example.com", "a<b@example.com", "a\\b@example.com",
        "a@b@example.com", std::string(65, 'l') + "@example.com",
        "a@" + std::string(64, 'd') + ".com", "a@" + long_domain}) {
    INFO(bad);
    CHECK_FALSE(valid_address(bad));
  }
}
