#include <catch2/catch.hpp>

#include <stdexcept>
#include <thread>
#include <vector>

#include "config/metrics.hpp"

using namespace dirsync::metrics;

TEST_CASE("counter renders with HELP, TYPE and escaped labels", "[metrics]") {
  registry reg;
  auto& ok = reg.counter("app_requests_total", "Requests served.", {{"route", "users"}, {"status", "200"}});
  auto& odd = reg.counter("app_requests_total", "ignored", {{"route", "a\"b\\c\nd"}, {"status", "500"}});
  ok.inc();
  ok.inc(2);
  odd.inc();
  CHECK(&reg.counter("app_requests_total", "", {{"route", "users"}, {"status", "200"}}) == &ok);
  CHECK(reg.render() ==
        "# HELP app_requests_total Requests served.\n"
        "# TYPE app_requests_total counter\n"
        "app_requests_total{route=\"a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"
        "app_requests_total{route=\"users\",status=\"200\"} 3\n");
}

TEST_CASE("gauge renders without labels and goes both ways", "[metrics]") {
  registry reg;
  auto& g = reg.gauge("app_in_flight", "Requests being handled.\nSecond line \\ slash");
  g.inc();
  g.inc();
  g.dec();
  g.inc(0.5);
  CHECK(g.value() == 1.5);
  CHECK(reg.render() ==
        "# HELP app_in_flight Requests being handled.\\nSecond line \\\\ slash\n"
        "# TYPE app_in_flight gauge\n"
        "app_in_flight 1.5\n");
  g.set(-3);
  CHECK(reg.render().find("app_in_flight -3\n") != std::string::npos);
}

TEST_CASE("histogram renders cumulative buckets, sum and count", "[metrics]") {
  registry reg;
  auto& h = reg.histogram("app_latency_seconds", "Latency.", {{"route", "x"}}, {0.5, 0.0005, 1});
  h.observe(0);
  h.observe(0.25);
  h.observe(0.75);
  h.observe(20.5);
  CHECK(h.count() == 4);
  CHECK(reg.render() ==
        "# HELP app_latency_seconds Latency.\n"
        "# TYPE app_latency_seconds histogram\n"
        "app_latency_seconds_bucket{route=\"x\",le=\"0.0005\"} 1\n"
        "app_latency_seconds_bucket{route=\"x\",le=\"0.5\"} 2\n"
        "app_latency_seconds_bucket{route=\"x\",le=\"1\"} 3\n"
        "app_latency_seconds_bucket{route=\"x\",le=\"+Inf\"} 4\n"
        "app_latency_seconds_sum{route=\"x\"} 21.5\n"
        "app_latency_seconds_count{route=\"x\"} 4\n");
}

TEST_CASE("histogram bounds are inclusive", "[metrics]") {
  histogram h({0.0005, 1});
  h.observe(0.0005);
  h.observe(1);
  h.observe(1.5);
  CHECK(h.cumulative_counts() == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("histogram without labels uses only le", "[metrics]") {
  registry reg;
  reg.histogram("h", "H.", {}, {1}).observe(2);
  CHECK(reg.render() ==
        "# HELP h H.\n# TYPE h histogram\n"
        "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n");
}

TEST_CASE("default latency buckets span 0.5ms to 10s", "[metrics]") {
  auto b = default_latency_buckets();
  REQUIRE(!b.empty());
  CHECK(b.front() == 0.0005);
  CHECK(b.back() == 10);
  CHECK(std::is_sorted(b.begin(), b.end()));
}

TEST_CASE("families render sorted by name", "[metrics]") {
  registry reg;
  reg.counter("b_total", "B.").inc();
  reg.counter("a_total", "A.").inc();
  auto text = reg.render();
  CHECK(text.find("a_total 1") < text.find("b_total 1"));
}

TEST_CASE("re-registering with another type or labels is refused", "[metrics]") {
  registry reg;
  reg.counter("x_total", "X.", {{"a", "1"}});
  CHECK_THROWS_AS(reg.gauge("x_total", "X."), std::logic_error);
  CHECK_THROWS_AS(reg.counter("x_total", "X.", {{"b", "1"}}), std::logic_error);
}

TEST_CASE("values format as shortest round-trip text", "[metrics]") {
  CHECK(format_value(0) == "0");
  CHECK(format_value(42) == "42");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(1.0 / 0.0) == "+Inf");
  CHECK(format_value(-1.0 / 0.0) == "-Inf");
  CHECK(format_value(0.0 / 0.0) == "NaN");
}

TEST_CASE("concurrent increments and registrations sum correctly", "[metrics]") {
  registry reg;
  constexpr int threads = 8;
  constexpr int per_thread = 20000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&reg, t] {
      auto& shared = reg.counter("c_total", "C.", {{"k", "shared"}});
      auto& own = reg.counter("c_total", "C.", {{"k", std::to_string(t)}});
      auto& h = reg.histogram("h_seconds", "H.", {}, {1});
      auto& g = reg.gauge("g", "G.");
      for (int i = 0; i < per_thread; ++i) {
        shared.inc();
        own.inc();
        h.observe(i % 2 ? 0.5 : 2);
        g.inc();
        g.dec();
      }
    });
  }
  for (auto& th : pool)
    th.join();
  CHECK(reg.counter("c_total", "C.", {{"k", "shared"}}).value() == threads * per_thread);
  CHECK(reg.counter("c_total", "C.", {{"k", "3"}}).value() == per_thread);
  auto& h = reg.histogram("h_seconds", "H.", {}, {1});
  CHECK(h.count() == std::uint64_t(threads) * per_thread);
  CHECK(h.cumulative_counts().front() == std::uint64_t(threads) * per_thread / 2);
  CHECK(h.sum() == Approx(threads * per_thread / 2 * 2.5));
  CHECK(reg.gauge("g", "G.").value() == 0);
}
