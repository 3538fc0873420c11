#include "actors/totp.hpp"

#include <cctype>
#include <cstdio>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace dirsync::actors::totp {

namespace {

constexpr const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string percent_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

} // namespace

std::string base32_encode(const std::string& bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0)
    out += alphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> base32_decode(const std::string& text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char raw : text) {
    if (raw == '=' || raw == ' ')
      continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= '2' && c <= '7' ? c - '2' + 26 : -1;
    if (v < 0)
      return std::nullopt;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::string hotp(const std::string& key, std::uint64_t counter) {
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), msg, sizeof msg, mac, &len);
  int offset = mac[len - 1] & 0x0f;
  std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24)
                      | (static_cast<std::uint32_t>(mac[offset + 1]) << 16)
                      | (static_cast<std::uint32_t>(mac[offset + 2]) << 8) | mac[offset + 3];
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06u", bin % 1000000u);
  return buf;
}

std::optional<std::int64_t> verify(const std::string& key, const std::string& code, std::int64_t step, int window) {
  if (code.size() != 6)
    return std::nullopt;
  for (int d = -window; d <= window; ++d) {
    auto s = step + d;
    if (s >= 0 && hotp(key, static_cast<std::uint64_t>(s)) == code)
      return s;
  }
  return std::nullopt;
}

std::string otpauth_uri(const std::string& issuer, const std::string& account, const std::string& base32_secret) {
  return "otpauth://totp/" + percent_encode(issuer) + ":" + percent_encode(account) + "?secret=" + base32_secret
         + "&issuer=" + percent_encode(issuer) + "&algorithm=SHA1&digits=6&period=30";
}

} // namespace dirsync::actors::totp
