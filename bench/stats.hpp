#pragma once

// Latency and status bookkeeping for the load generator, and the phase
// runner: C workers, each with its own connection, take request tickets until
// the request budget or the wall-time budget is spent, either as fast as the
// answers come (closed loop) or each at its turn of a fixed pace (--rate).
// The workers are stackful coroutines spread over a few threads (--threads),
// so waiting for an answer costs a coroutine switch, not a thread's sleep and
// wake-up.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/resource.h>

#include "client.hpp"

namespace bench {

using steady = std::chrono::steady_clock;

/// Latencies (microseconds) and statuses of one kind of request.
struct series {
  std::vector<std::uint32_t> us;
  std::map<int, std::uint64_t> statuses; // 0 = transport failure/timeout
  std::uint64_t ok = 0;

  void add(std::uint64_t micros, int status, bool good) {
    us.push_back(static_cast<std::uint32_t>(std::min<std::uint64_t>(micros, UINT32_MAX)));
    ++statuses[status];
    if (good)
      ++ok;
  }
  void merge(const series& o) {
    us.insert(us.end(), o.us.begin(), o.us.end());
    for (auto& [s, n] : o.statuses)
      statuses[s] += n;
    ok += o.ok;
  }
  /// Percentile in milliseconds (us must be sorted).
  double pct(double p) const {
    if (us.empty())
      return 0;
    auto i = static_cast<std::size_t>(p * static_cast<double>(us.size()));
    return us[std::min(i, us.size() - 1)] / 1000.0;
  }
};

/// Per-thread (then merged) results, keyed by a label such as "POST /Users".
struct stats {
  std::map<std::string, series> by_op;
  std::uint64_t reconnects = 0;
  /// When set, the next `timed` request's latency counts from this time (its
  /// turn in a paced phase) instead of from its send, so a request that had
  /// to wait for the previous answer on its connection counts that wait.
  std::chrono::steady_clock::time_point scheduled{};

  void merge(const stats& o) {
    for (auto& [k, v] : o.by_op)
      by_op[k].merge(v);
    reconnects += o.reconnects;
  }
};

/// Where a request's latency starts: its turn when it has one (which is then
/// used up), else now.
inline steady::time_point latency_start(stats& st) {
  return st.scheduled == steady::time_point{} ? steady::now() : std::exchange(st.scheduled, {});
}

/// Times one request and records it under `label`; `good` decides "ok".
inline response timed(client& c, stats& st, const std::string& label, bhttp::verb m, const std::string& target,
                      std::string body, const std::string& token, int expect) {
  auto t0 = latency_start(st);
  auto r = c.request(m, target, std::move(body), token);
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t0).count();
  st.by_op[label].add(static_cast<std::uint64_t>(us), r.status, r.status == expect);
  return r;
}

/// Common run settings.
struct settings {
  std::uint16_t port = 0;
  std::vector<std::string> tokens;
  int concurrency = 16;
  int threads = 1; ///< Threads the closed-loop workers share.
  std::uint64_t requests = 20000;
  double max_seconds = 120;
  std::chrono::milliseconds timeout{60000};
  std::string prefix;
  double rate = 0; ///< Requests per second of a paced measured phase; 0: closed loop.
};

/// Open-loop schedule of `workers` connections that together send `rate`
/// requests per second, evenly spaced: connection w sends its k-th request
/// at start + (k + w / workers) * workers / rate, and that request is ticket
/// k * workers + w, so the tickets 0, 1, 2... are due one after another, one
/// every 1 / rate seconds.
struct pace {
  pace(steady::time_point start, double rate, int workers)
    : start(start), interval(static_cast<double>(workers) / rate), workers(workers) {}

  steady::time_point due(std::uint64_t k, int w) const {
    return start + std::chrono::duration_cast<steady::duration>(
                     interval * (static_cast<double>(k) + static_cast<double>(w) / static_cast<double>(workers)));
  }
  std::uint64_t ticket(std::uint64_t k, int w) const {
    return k * static_cast<std::uint64_t>(workers) + static_cast<std::uint64_t>(w);
  }

  steady::time_point start;
  std::chrono::duration<double> interval; ///< Between two sends of one connection.
  int workers;
};

/// Waits on `timer` until `due` when that is still ahead; returns how late
/// the turn is taken (zero when on time).
inline steady::duration await_turn(net::steady_timer& timer, const net::yield_context& yield, steady::time_point due) {
  auto now = steady::now();
  if (now >= due)
    return now - due;
  timer.expires_at(due);
  timer.async_wait(yield);
  return steady::duration::zero();
}

/// A phase's merged results and wall time.
struct phase_result {
  std::string name;
  stats st;
  double seconds = 0;
  double client_cpu = 0; // loadgen user+sys seconds during the phase
  bool hit_time_limit = false;
  double rate = 0;        // the pace of a paced phase (req/s); 0: closed loop
  std::uint64_t late = 0; // paced: requests sent more than 1 ms after their turn
};

inline double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// Runs body(worker, yield) as `workers` stackful coroutines spread over
/// s.threads threads (each its own io_context) and returns when all ended;
/// the threads spin (poll) when s.rate is set.
inline void run_coroutines(const settings& s, int workers, const std::function<void(int, net::yield_context)>& body) {
  const int threads = std::clamp(s.threads, 1, std::max(workers, 1));
  std::vector<std::unique_ptr<net::io_context>> loops;
  for (int t = 0; t < threads; ++t)
    loops.push_back(std::make_unique<net::io_context>(1));
  for (int w = 0; w < workers; ++w)
    net::spawn(
      *loops[static_cast<std::size_t>(w % threads)], [&body, w](net::yield_context yield) { body(w, yield); },
      [](std::exception_ptr e) {
        if (e)
          std::rethrow_exception(e);
      });
  std::vector<std::thread> pool;
  // A paced phase polls instead of sleeping between turns: waking a sleeping
  // thread costs tens of microseconds here, which would add to the measured
  // latencies, and did cost the load generator 45-60 us of its core per
  // lookup at 10,000-20,000/s. Its core is its own (taskset), so polling
  // takes nothing from the server.
  for (auto& loop : loops)
    pool.emplace_back([&loop, poll = s.rate > 0] {
      if (!poll) {
        loop->run();
        return;
      }
      while (!loop->stopped())
        loop->poll();
    });
  for (auto& t : pool)
    t.join();
}

/// `workers` coroutines (run_coroutines) call body(worker, ticket, client,
/// stats) for tickets 0..n-1 (each ticket once) until n or max_seconds is
/// reached: in a closed loop, or with s.rate > 0 each ticket at its turn of
/// a `pace` (a connection still waiting for an answer at its next turn sends
/// late, and that request's latency counts from its turn).
using step_fn = std::function<void(int, std::uint64_t, client&, stats&)>;

inline phase_result run_phase(const std::string& name, const settings& s, int workers, std::uint64_t n,
                              const step_fn& body) {
  phase_result out;
  out.name = name;
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> timed_out{false};
  std::vector<stats> per(static_cast<std::size_t>(workers));
  auto cpu0 = process_cpu_seconds();
  auto t0 = steady::now();
  auto deadline = t0 + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s.max_seconds));
  // Paced: the first turns come once every coroutine is waiting for them.
  const pace turns{t0 + std::chrono::milliseconds(100), s.rate > 0 ? s.rate : 1, workers};
  std::atomic<std::uint64_t> late{0};
  run_coroutines(s, workers, [&](int w, net::yield_context yield) {
    client c{s.port, s.timeout, yield};
    auto& st = per[static_cast<std::size_t>(w)];
    if (s.rate > 0) {
      net::steady_timer timer{yield.get_executor()};
      for (std::uint64_t k = 0; turns.ticket(k, w) < n; ++k) {
        auto due = turns.due(k, w);
        if (due >= deadline) {
          timed_out = true;
          break;
        }
        if (await_turn(timer, yield, due) > std::chrono::milliseconds(1))
          ++late;
        st.scheduled = due;
        body(w, turns.ticket(k, w), c, st);
        st.scheduled = {}; // a body that sent nothing leaves no turn behind
      }
      st.reconnects = c.reconnects();
      return;
    }
    for (;;) {
      if (steady::now() >= deadline) {
        timed_out = true;
        break;
      }
      auto i = next.fetch_add(1);
      if (i >= n)
        break;
      body(w, i, c, st);
    }
    st.reconnects = c.reconnects();
  });
  out.seconds = std::chrono::duration<double>(steady::now() - (s.rate > 0 ? turns.start : t0)).count();
  out.client_cpu = process_cpu_seconds() - cpu0;
  out.hit_time_limit = timed_out;
  out.rate = s.rate;
  out.late = late;
  for (auto& p : per)
    out.st.merge(p);
  for (auto& [k, v] : out.st.by_op)
    std::sort(v.us.begin(), v.us.end());
  return out;
}

/// Prints the table header once.
inline void print_header() {
  std::printf("%-34s %8s %8s %9s %8s %8s %8s %9s  %s\n", "phase / request", "count", "ok", "req/s", "p50 ms",
              "p90 ms", "p99 ms", "max ms", "statuses");
}

/// Prints one row; rate is count/seconds (omitted when seconds is 0).
inline void print_series(const std::string& label, const series& v, double seconds) {
  std::string codes;
  for (auto& [s, n] : v.statuses)
    codes += (codes.empty() ? "" : " ") + std::to_string(s) + ":" + std::to_string(n);
  char rate[32] = "-";
  if (seconds > 0)
    std::snprintf(rate, sizeof rate, "%.0f", static_cast<double>(v.us.size()) / seconds);
  std::printf("%-34s %8zu %8llu %9s %8.2f %8.2f %8.2f %9.2f  %s\n", label.c_str(), v.us.size(),
              static_cast<unsigned long long>(v.ok), rate, v.pct(0.50), v.pct(0.90), v.pct(0.99),
              v.us.empty() ? 0.0 : v.us.back() / 1000.0, codes.c_str());
}

/// Prints one line per request kind of a phase (req/s over the phase's wall time).
inline void print_phase(const phase_result& p) {
  std::uint64_t total = 0;
  for (auto& [k, v] : p.st.by_op) {
    print_series(p.name + " " + k, v, p.seconds);
    total += v.us.size();
  }
  std::string paced;
  if (p.rate > 0)
    paced = ", paced at " + std::to_string(static_cast<long long>(p.rate)) + " req/s (latency from each turn; "
            + std::to_string(p.late) + " sent more than 1 ms late; the load generator polls, so its cpu is its wall)";
  std::printf("%-34s %.2f s wall, %.0f req/s all kinds, loadgen cpu %.2f s (%.1f us/req)%s%s, reconnects %llu\n",
              ("  (" + p.name + ")").c_str(), p.seconds, p.seconds > 0 ? static_cast<double>(total) / p.seconds : 0.0,
              p.client_cpu, total ? p.client_cpu * 1e6 / static_cast<double>(total) : 0.0, paced.c_str(),
              p.hit_time_limit ? ", STOPPED BY TIME LIMIT" : "", static_cast<unsigned long long>(p.st.reconnects));
}

} // namespace bench
