// Addresses, ids and the RFC 5322 / MIME rendering of one message.
#include "mail/mail.hpp"

#include <cstdio>
#include <ctime>

namespace dirsync::mail {

namespace {

/// RFC 5321: a path is at most 256 octets including the angle brackets.
constexpr std::size_t max_address = 254;
/// RFC 5321 local-part limit.
constexpr std::size_t max_local = 64;
/// RFC 1035 limits.
constexpr std::size_t max_domain = 253;
constexpr std::size_t max_label = 63;
/// Longest id accepted: even its hex form fits a 255-byte file name with
/// the ".eml.tmp" decoration.
constexpr std::size_t max_id = 120;
/// Encoded-word payload in UTF-8 bytes: 52 base64 characters, so that
/// "Subject: =?UTF-8?B?...?=" stays within RFC 2047's 76 characters.
constexpr std::size_t word_bytes = 39;
/// Characters before a quoted-printable soft break (76 with the '=').
constexpr std::size_t qp_width = 75;

constexpr const char* crlf = "\r\n";

bool is_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/// RFC 5322 atext.
bool is_atext(unsigned char c) {
  return is_alnum(c) || std::string_view{"!#$%&'*+-/=?^_`{|}~"}.find(static_cast<char>(c)) !=
                          std::string_view::npos;
}

/// Dots only between other characters: not first, not last, never doubled.
bool dots_inside(std::string_view s) {
  return !s.empty() && s.front() != '.' && s.back() != '.' &&
         s.find("..") == std::string_view::npos;
}

bool valid_local(std::string_view local) {
  if (local.empty() || local.size() > max_local || !dots_inside(local))
    return false;
  for (unsigned char c : local)
    if (c != '.' && !is_atext(c))
      return false;
  return true;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > max_domain || !dots_inside(domain))
    return false;
  while (!domain.empty()) {
    auto dot = domain.find('.');
    auto label = domain.substr(0, dot);
    if (label.size() > max_label || label.front() == '-' || label.back() == '-')
      return false;
    for (unsigned char c : label)
      if (!is_alnum(c) && c != '-')
        return false;
    domain.remove_prefix(dot == std::string_view::npos ? domain.size() : dot + 1);
  }
  return true;
}

std::string domain_of(std::string_view address) {
  return std::string{address.substr(address.rfind('@') + 1)};
}

std::string base64(std::string_view in) {
  static constexpr char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < in.size(); i += 3) {
    std::uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size())
      n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size())
      n |= static_cast<unsigned char>(in[i + 2]);
    out += digits[(n >> 18) & 63];
    out += digits[(n >> 12) & 63];
    out += i + 1 < in.size() ? digits[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? digits[n & 63] : '=';
  }
  return out;
}

std::string hex_byte(unsigned char c, const char* prefix) {
  static constexpr char digits[] = "0123456789ABCDEF";
  return std::string{prefix} + digits[c >> 4] + digits[c & 15];
}

/// RFC 5322 date-time in UTC, spelled without the C locale's help.
std::string date_text(std::chrono::system_clock::time_point when) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

/// The Subject field: plain when short printable ASCII, else folded encoded words
/// cut on UTF-8 character boundaries. Control characters were already replaced.
std::string subject_field(std::string subject) {
  for (auto& c : subject)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = ' ';
  bool plain = subject.size() + 9 <= 76 && subject.find("=?") == std::string::npos;
  for (unsigned char c : subject)
    plain = plain && c < 0x80;
  if (plain)
    return "Subject: " + subject + crlf;
  std::string out = "Subject:";
  auto continuation = [&](std::size_t at) {
    return (static_cast<unsigned char>(subject[at]) & 0xC0) == 0x80;
  };
  for (std::size_t pos = 0; pos < subject.size();) {
    auto n = std::min(word_bytes, subject.size() - pos);
    // Step back (at most 3 bytes) so no UTF-8 sequence is split across words.
    for (std::size_t back = 0; back < 3 && pos + n < subject.size() && continuation(pos + n) &&
                               n > 1;
         ++back)
      --n;
    out += (pos == 0 ? " " : "\r\n ");
    out += "=?UTF-8?B?" + base64(std::string_view{subject}.substr(pos, n)) + "?=";
    pos += n;
  }
  return out + crlf;
}

/// RFC 2045 quoted-printable with CRLF hard breaks for any line end in `text`.
std::string quoted_printable(std::string_view text) {
  std::string out;
  std::size_t column = 0;
  auto put = [&](const std::string& token) {
    if (column + token.size() > qp_width) {
      out += "=\r\n";
      column = 0;
    }
    out += token;
    column += token.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
        ++i;
      out += crlf;
      column = 0;
      continue;
    }
    bool line_end = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    bool literal = (c > 32 && c < 127 && c != '=') || ((c == ' ' || c == '\t') && !line_end);
    put(literal ? std::string(1, static_cast<char>(c)) : hex_byte(c, "="));
  }
  if (!text.empty() && text.back() != '\n' && text.back() != '\r')
    out += crlf;
  return out;
}

} // namespace

bool valid_address(std::string_view addr) {
  if (addr.size() > max_address)
    return false;
  auto at = addr.rfind('@');
  if (at == std::string_view::npos)
    return false;
  return valid_local(addr.substr(0, at)) && valid_domain(addr.substr(at + 1));
}

std::string id_token(std::string_view id) {
  bool plain = id.size() <= max_id && dots_inside(id);
  for (unsigned char c : id)
    plain = plain && (is_alnum(c) || c == '.' || c == '_' || c == '-');
  if (plain)
    return std::string{id};
  std::string out = "=";
  for (unsigned char c : id)
    out += hex_byte(c, "");
  return out;
}

std::optional<std::string> refusal(const message& m, std::string_view from) {
  if (!valid_address(from))
    return std::string{"the sender address (mail.from) is not a valid address"};
  if (!valid_address(m.to))
    return std::string{"the recipient address is not a valid address"};
  if (m.id.empty() || m.id.size() > max_id)
    return "the outbox id must be 1.." + std::to_string(max_id) + " bytes";
  return std::nullopt;
}

std::optional<std::string> render(const message& m, std::string_view from) {
  if (refusal(m, from))
    return std::nullopt;
  std::string out;
  out += "Date: " + date_text(m.date) + crlf;
  out += "From: " + std::string{from} + crlf;
  out += "To: " + m.to + crlf;
  out += subject_field(m.subject);
  out += "Message-ID: <" + id_token(m.id) + "@" + domain_of(from) + ">" + crlf;
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: quoted-printable\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += crlf;
  out += quoted_printable(m.text);
  return out;
}

} // namespace dirsync::mail
