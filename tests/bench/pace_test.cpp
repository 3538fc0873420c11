// The load generator's paced phases (issue 6, --rate): the schedule that
// spreads the connections' turns, and the latency a paced request reports.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <vector>

#include "stats.hpp"

using namespace std::chrono_literals;

TEST_CASE("a pace gives every ticket once, due one after another at the rate", "[bench]") {
  const auto start = bench::steady::now();
  for (int workers : {1, 3, 16}) {
    const double rate = 2000; // 0.5 ms between two tickets
    bench::pace p{start, rate, workers};
    std::vector<std::pair<std::uint64_t, bench::steady::time_point>> turns; // ticket, due
    const std::uint64_t n = 1000;
    for (int w = 0; w < workers; ++w)
      for (std::uint64_t k = 0; p.ticket(k, w) < n; ++k)
        turns.emplace_back(p.ticket(k, w), p.due(k, w));
    REQUIRE(turns.size() == n);
    std::sort(turns.begin(), turns.end());
    for (std::uint64_t i = 0; i < n; ++i) {
      CHECK(turns[i].first == i);
      auto offset = std::chrono::duration<double>(turns[i].second - start).count();
      CHECK(offset == Approx(static_cast<double>(i) / rate).margin(1e-6));
    }
    // One connection's turns are workers / rate apart: the load the
    // connections offer together is the rate, whatever their number.
    CHECK(std::chrono::duration<double>(p.due(5, 0) - p.due(4, 0)).count()
          == Approx(workers / rate).margin(1e-6));
  }
}

TEST_CASE("a paced request's latency counts from its turn, and only that request's", "[bench]") {
  bench::stats st;
  // A request due 5 ms ago (its connection was still waiting for the
  // previous answer): the wait is part of its latency.
  auto turn = bench::steady::now() - 5ms;
  st.scheduled = turn;
  CHECK(bench::latency_start(st) == turn);
  // The next request, without a turn of its own, counts from its send.
  auto before = bench::steady::now();
  auto start = bench::latency_start(st);
  CHECK(start >= before);
  CHECK(start <= bench::steady::now());
}
