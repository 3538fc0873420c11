// Time text and secret hashes: every stored timestamp (meta.created,
// lastModified, token expiry D6, the Trash's seven days U9, the audit trail
// L1) is format_time's text, compared as text; every token and admin key is
// stored as sha256_hex.
#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <random>
#include <string>

#include "actors/services.hpp"

using dirsync::actors::format_time;
using dirsync::actors::parse_time;
using dirsync::actors::sha256_hex;
using ms = std::chrono::milliseconds;
using time_point = std::chrono::system_clock::time_point;

namespace {

// The C library's answer, for comparison.
std::string reference_text(std::int64_t millis) {
  auto secs = static_cast<std::time_t>(millis >= 0 ? millis / 1000 : (millis - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis - secs * 1000));
  return buf;
}

} // namespace

TEST_CASE("format_time writes UTC ISO 8601 with milliseconds, as the C library does", "[time]") {
  CHECK(format_time(time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(format_time(time_point{ms{951'782'400'000}}) == "2000-02-29T00:00:00.000Z");
  CHECK(format_time(time_point{ms{4'107'542'399'999}}) == "2100-02-28T23:59:59.999Z");
  CHECK(format_time(time_point{ms{-2'203'891'200'001}}) == "1900-02-28T23:59:59.999Z");
  CHECK(format_time(time_point{ms{-1}}) == "1969-12-31T23:59:59.999Z");
  // Leap years, century rules (1700, 1800, 1900 and 2100 are not leap
  // years, 2000 is), month ends: every day from 1678 to 2261 at a random
  // time of day.
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<std::int64_t> time_of_day(0, 86'399'999);
  for (std::int64_t day = -106'650; day <= 106'650; ++day) {
    auto millis = day * 86'400'000 + time_of_day(rng);
    INFO(millis);
    REQUIRE(format_time(time_point{ms{millis}}) == reference_text(millis));
  }
}

TEST_CASE("format_time's text sorts as time does and reads back exactly", "[time]") {
  std::mt19937_64 rng{7};
  std::uniform_int_distribution<std::int64_t> instant(0, 7'258'118'400'000); // 1970 to 2200
  for (int i = 0; i < 20'000; ++i) {
    auto a = instant(rng);
    auto b = instant(rng);
    auto ta = format_time(time_point{ms{a}});
    auto tb = format_time(time_point{ms{b}});
    REQUIRE((ta < tb) == (a < b));
    auto back = parse_time(ta);
    REQUIRE(back);
    REQUIRE(std::chrono::duration_cast<ms>(back->time_since_epoch()).count() == a);
  }
}

TEST_CASE("format_time covers the whole range of a system_clock time point", "[time]") {
  for (auto t : {time_point::min(), time_point::max()}) {
    auto millis = std::chrono::duration_cast<ms>(t.time_since_epoch()).count();
    REQUIRE(format_time(t) == reference_text(millis));
  }
  CHECK(format_time(time_point::max()).substr(0, 4) == "2262");
  CHECK(format_time(time_point::min()).substr(0, 4) == "1677");
}

TEST_CASE("sha256_hex is SHA-256 in lower-case hex", "[secrets]") {
  // FIPS 180-2 test vectors.
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex(std::string(1000, 'a')) != sha256_hex(std::string(1001, 'a')));
}
