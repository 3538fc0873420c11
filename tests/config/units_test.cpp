#include "config/units.hpp"

#include <catch2/catch.hpp>

using namespace dirsync::config;
using namespace std::chrono_literals;

TEST_CASE("durations parse with units and bare seconds", "[config]") {
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("30s") == 30s);
  CHECK(parse_duration("5m") == 5min);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("7d") == std::chrono::hours{7 * 24});
  CHECK(parse_duration("45") == 45s);
  CHECK(parse_duration("0ms") == 0ms);
}

TEST_CASE("bad durations are rejected", "[config]") {
  for (auto bad : {"", "s", "5x", "5 s", " 5s", "-5s", "+5s", "1.5s", "5S", "5sec",
                   "5ms5", "99999999999999999999s", "9999999999999999d"})
    CHECK_FALSE(parse_duration(bad).has_value());
}

TEST_CASE("sizes parse with binary units and bare bytes", "[config]") {
  CHECK(parse_size("1MiB") == 1024u * 1024u);
  CHECK(parse_size("64KiB") == 64u * 1024u);
  CHECK(parse_size("2GiB") == 2ull << 30);
  CHECK(parse_size("512B") == 512u);
  CHECK(parse_size("4096") == 4096u);
}

TEST_CASE("bad sizes are rejected", "[config]") {
  for (auto bad : {"", "MiB", "1MB", "1mib", "1 MiB", "-1KiB", "1.5MiB", "1KB",
                   "99999999999999999999", "99999999999GiB"})
    CHECK_FALSE(parse_size(bad).has_value());
}

TEST_CASE("durations and sizes format in their coarsest exact unit", "[config]") {
  CHECK(format_duration(0ms) == "0ms");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(90s) == "90s");
  CHECK(format_duration(5min) == "5m");
  CHECK(format_duration(std::chrono::hours{24 * 90}) == "90d");
  CHECK(format_size(0) == "0B");
  CHECK(format_size(1000) == "1000B");
  CHECK(format_size(16 * 1024) == "16KiB");
  CHECK(format_size(1024 * 1024) == "1MiB");
  for (auto text : {"250ms", "30s", "5m", "2h", "7d"})
    CHECK(format_duration(*parse_duration(text)) == text);
}
