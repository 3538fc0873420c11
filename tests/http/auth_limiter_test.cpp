// Failed-authentication limiting per client address (issue 7).

#include <catch2/catch.hpp>

#include "http/auth_limiter.hpp"

using dirsync::http::auth_limiter;
using namespace std::chrono_literals;

TEST_CASE("an address past the failure limit is blocked until its window ends", "[http][auth]") {
  auth_limiter limiter{3, 60s};
  auto t0 = auth_limiter::time_point{} + 1h;
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(limiter.blocked("10.0.0.1", t0));
    limiter.record_failure("10.0.0.1", t0 + std::chrono::seconds{i});
  }
  auto wait = limiter.blocked("10.0.0.1", t0 + 10s);
  REQUIRE(wait);
  CHECK(*wait == 50);
  // Other addresses are unaffected.
  CHECK_FALSE(limiter.blocked("10.0.0.2", t0 + 10s));
  // The window ends: the address may try again.
  CHECK_FALSE(limiter.blocked("10.0.0.1", t0 + 60s));
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("failures in an expired window start a new count", "[http][auth]") {
  auth_limiter limiter{2, 10s};
  auto t0 = auth_limiter::time_point{} + 1h;
  limiter.record_failure("a", t0);
  limiter.record_failure("a", t0 + 11s); // new window
  CHECK_FALSE(limiter.blocked("a", t0 + 12s));
  limiter.record_failure("a", t0 + 12s);
  CHECK(limiter.blocked("a", t0 + 12s));
}

TEST_CASE("many addresses do not grow the table without bound", "[http][auth]") {
  auth_limiter limiter{5, 1s};
  auto t0 = auth_limiter::time_point{} + 1h;
  for (int i = 0; i < 25'000; ++i)
    limiter.record_failure("addr" + std::to_string(i), t0 + std::chrono::milliseconds{i});
  CHECK(limiter.tracked() < 12'000);
}
