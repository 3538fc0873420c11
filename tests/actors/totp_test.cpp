// TOTP (RFC 6238 / RFC 4226) for enrollment (E6) and the auth API (P1),
// checked against the RFCs' published test vectors.

#include <catch2/catch.hpp>

#include "actors/totp.hpp"

namespace totp = dirsync::actors::totp;

TEST_CASE("RFC 4226 HOTP test vectors", "[totp]") {
  const std::string key = "12345678901234567890";
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t i = 0; i < 10; ++i)
    CHECK(totp::hotp(key, i) == expected[i]);
}

TEST_CASE("RFC 6238 TOTP (SHA-1) test vectors, last six digits", "[totp]") {
  const std::string key = "12345678901234567890";
  CHECK(totp::hotp(key, static_cast<std::uint64_t>(totp::step_of(59))) == "287082");
  CHECK(totp::hotp(key, static_cast<std::uint64_t>(totp::step_of(1111111109))) == "081804");
  CHECK(totp::hotp(key, static_cast<std::uint64_t>(totp::step_of(1234567890))) == "005924");
  CHECK(totp::hotp(key, static_cast<std::uint64_t>(totp::step_of(2000000000))) == "279037");
}

TEST_CASE("verify accepts one step of clock drift either way and names the step", "[totp]") {
  const std::string key = "12345678901234567890";
  auto step = totp::step_of(1234567890);
  CHECK(totp::verify(key, totp::hotp(key, step), step) == step);
  CHECK(totp::verify(key, totp::hotp(key, step - 1), step) == step - 1);
  CHECK(totp::verify(key, totp::hotp(key, step + 1), step) == step + 1);
  CHECK_FALSE(totp::verify(key, totp::hotp(key, step + 2), step));
  CHECK_FALSE(totp::verify(key, "12345", step));
}

TEST_CASE("base32 round trip (RFC 4648) and the otpauth URI", "[totp]") {
  CHECK(totp::base32_encode("foobar") == "MZXW6YTBOI");
  CHECK(totp::base32_decode("mzxw6ytboi======") == std::optional<std::string>{"foobar"});
  CHECK_FALSE(totp::base32_decode("not base32!"));
  CHECK(totp::otpauth_uri("dirsync", "eve@example.com", "ABC")
        == "otpauth://totp/dirsync:eve@example.com?secret=ABC&issuer=dirsync&algorithm=SHA1&digits=6&period=30");
}
