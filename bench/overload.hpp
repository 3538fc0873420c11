#pragma once

// The overload workload (bench/run.sh overload): measure the sustainable
// create rate, offer ~10x that rate open-loop over many more connections
// than the server admits at once (http.max_in_flight), then check that the
// server shed the excess with 503 + Retry-After, kept every accepted write,
// stayed healthy, and serves a normal run at its old speed afterwards.

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "scim.hpp"

namespace bench {

/// Settings of the overload workload.
struct overload_options {
  int calibrate_concurrency = 16; // closed-loop connections of the before/after runs
  double calibrate_seconds = 3;   // length of each of those runs
  double factor = 10;             // offered rate = factor x measured sustainable rate
  double rate = 0;                // offered rate in req/s; 0: factor x sustainable
};

namespace detail {

inline bool overload_503(const response& r) {
  // The two admission refusals (http.max_in_flight, actors.mailbox_high_water)
  // answer before anything is done; a timed-out request may still land.
  return r.status == 503 && r.body.find("overloaded") != std::string::npos;
}

/// A closed-loop create run: returns the acknowledged creates per second.
inline double closed_creates(const settings& s, const overload_options& o, const std::string& phase,
                             const std::string& tag, phase_result& out, std::vector<std::string>& ids,
                             std::vector<std::string>& names) {
  auto bounded = s;
  bounded.concurrency = o.calibrate_concurrency;
  // Budget far above what the time allows (the time limit ends the run).
  auto budget = static_cast<std::uint64_t>(o.calibrate_seconds * 50000);
  out = create_users(bounded, s.tokens[0], phase, tag, budget, ids, names, o.calibrate_seconds);
  auto& v = out.st.by_op["POST /Users"];
  return out.seconds > 0 ? static_cast<double>(v.ok) / out.seconds : 0;
}

/// Cumulative counts of the server's dirsync_http_request_duration_seconds
/// histogram for `route` (time from a complete request to its response),
/// by bucket upper bound in seconds.
inline std::map<double, double> duration_buckets(client& c, const std::string& token, const std::string& route) {
  std::map<double, double> out;
  auto r = c.request(bhttp::verb::get, "/metrics", {}, token);
  const std::string prefix = "dirsync_http_request_duration_seconds_bucket{route=\"" + route + "\",le=\"";
  std::size_t at = 0;
  while ((at = r.body.find(prefix, at)) != std::string::npos) {
    at += prefix.size();
    auto quote = r.body.find('"', at);
    auto le = r.body.substr(at, quote - at);
    auto value = std::strtod(r.body.c_str() + r.body.find(' ', quote) + 1, nullptr);
    out[le == "+Inf" ? 1e300 : std::strtod(le.c_str(), nullptr)] = value;
  }
  return out;
}

/// Upper bound (ms) of the bucket holding quantile q of the requests counted
/// between two scrapes; -1 when none.
inline double bucket_quantile(const std::map<double, double>& before, const std::map<double, double>& after,
                              double q, double& total) {
  total = after.empty() ? 0 : after.rbegin()->second - (before.empty() ? 0 : before.rbegin()->second);
  for (auto& [le, n] : after) {
    auto b = before.count(le) ? before.at(le) : 0;
    if (total > 0 && n - b >= q * total)
      return le * 1000;
  }
  return -1;
}

} // namespace detail

inline int workload_overload(const settings& s, const overload_options& o) {
  const auto& tok = s.tokens[0];
  client v{s.port, s.timeout};
  auto before = user_total(v, tok);

  // 1. What the server sustains, closed loop.
  phase_result cal;
  std::vector<std::string> cal_ids, cal_names;
  double sustainable = detail::closed_creates(s, o, "before", "a", cal, cal_ids, cal_names);
  double rate = o.rate > 0 ? o.rate : o.factor * sustainable;
  if (rate <= 0) {
    std::fprintf(stderr, "calibration acknowledged nothing\n");
    return 2;
  }

  // 2. Open loop: connection w sends its k-th create at its turn of a pace
  //    (t0 + (k + w/C) * C/rate), or as soon as its previous answer is in
  //    when it is behind.
  const auto conns = static_cast<std::size_t>(s.concurrency);
  std::vector<stats> per(conns);
  std::vector<std::vector<std::pair<std::string, std::string>>> acked(conns);  // name, id
  std::vector<std::vector<std::string>> refused(conns), uncertain(conns);      // names
  std::vector<std::uint64_t> late(conns, 0), no_retry_after(conns, 0);
  auto server_before = detail::duration_buckets(v, tok, "scim_users");
  auto t0 = steady::now() + std::chrono::milliseconds(200); // every coroutine started and waiting
  const pace turns{t0, rate, static_cast<int>(conns)};
  auto end = t0 + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s.max_seconds));
  // Every connection is a coroutine (run_coroutines), and so is the health
  // probe, which asks every 50 ms while any connection still sends.
  std::atomic<std::size_t> sending{conns};
  stats health;
  run_coroutines(s, static_cast<int>(conns) + 1, [&](int wi, net::yield_context yield) {
    net::steady_timer timer{yield.get_executor()};
    client c{s.port, s.timeout, yield};
    if (static_cast<std::size_t>(wi) == conns) {
      await_turn(timer, yield, t0);
      while (sending.load() > 0) {
        timed(c, health, "GET /healthz during overload", bhttp::verb::get, "/healthz", {}, tok, 200);
        await_turn(timer, yield, steady::now() + std::chrono::milliseconds(50));
      }
      return;
    }
    auto w = static_cast<std::size_t>(wi);
    auto& st = per[w];
    for (std::uint64_t k = 0;; ++k) {
      auto due = turns.due(k, static_cast<int>(w));
      if (due >= end || steady::now() >= end)
        break; // what the load generator could not send in time is not sent
      if (await_turn(timer, yield, due) > std::chrono::milliseconds(10))
        ++late[w];
      auto name = s.prefix + "-o" + std::to_string(w) + "-" + std::to_string(k) + "@bench.example";
      auto sent = steady::now();
      auto r = c.request(bhttp::verb::post, "/scim/v2/Users", user_body(name, "Over", "Load"), tok);
      auto us = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - sent).count());
      st.by_op["POST /Users"].add(us, r.status, r.status == 201);
      st.by_op[r.status == 201 ? "201" : r.status == 503 ? "503" : "other"].add(us, r.status, r.status == 201);
      if (r.status == 201) {
        acked[w].emplace_back(name, id_of(r));
      } else if (detail::overload_503(r)) {
        refused[w].push_back(name);
        no_retry_after[w] += r.retry_after.empty();
      } else {
        uncertain[w].push_back(name);
      }
    }
    --sending;
  });
  double seconds = std::chrono::duration<double>(steady::now() - t0).count();
  auto server_after = detail::duration_buckets(v, tok, "scim_users");

  // 3. Right after: health, readiness.
  auto t_after = steady::now();
  auto h = v.request(bhttp::verb::get, "/healthz", {}, tok);
  auto rz = v.request(bhttp::verb::get, "/readyz", {}, tok);
  double health_ms = std::chrono::duration<double, std::milli>(steady::now() - t_after).count();

  // 4. A normal run again.
  phase_result again;
  std::vector<std::string> again_ids, again_names;
  double recovered = detail::closed_creates(s, o, "after", "z", again, again_ids, again_names);

  stats all;
  std::uint64_t n_acked = 0, n_refused = 0, n_uncertain = 0, n_late = 0, n_no_retry = 0;
  for (std::size_t w = 0; w < conns; ++w) {
    all.merge(per[w]);
    n_acked += acked[w].size();
    n_refused += refused[w].size();
    n_uncertain += uncertain[w].size();
    n_late += late[w];
    n_no_retry += no_retry_after[w];
  }
  for (auto& [k, sv] : all.by_op)
    std::sort(sv.us.begin(), sv.us.end());
  auto& creates = all.by_op["POST /Users"];
  auto total = static_cast<double>(creates.us.size());

  print_header();
  print_phase(cal);
  print_series("overload POST /Users (all)", creates, seconds);
  print_series("overload POST /Users (201 only)", all.by_op["201"], seconds);
  print_series("overload POST /Users (503 only)", all.by_op["503"], seconds);
  if (all.by_op.count("other"))
    print_series("overload POST /Users (other)", all.by_op["other"], seconds);
  for (auto& [k, sv] : health.by_op)
    std::sort(sv.us.begin(), sv.us.end());
  for (auto& [k, sv] : health.by_op)
    print_series(k, sv, 0);
  print_phase(again);
  std::printf("overload: target %.0f req/s (%.1fx the %.0f/s sustained before) over %zu connections; sent %.0f "
              "req/s for %.1f s (%.1fx); %llu sends more than 10 ms behind schedule, %.0f scheduled sends not made "
              "(load generator saturated)\n",
              rate, rate / std::max(sustainable, 1.0), sustainable, conns, total / seconds, seconds,
              total / seconds / std::max(sustainable, 1.0), static_cast<unsigned long long>(n_late),
              std::max(0.0, rate * s.max_seconds - total));
  double server_n = 0;
  auto server_p50 = detail::bucket_quantile(server_before, server_after, 0.50, server_n);
  auto server_p99 = detail::bucket_quantile(server_before, server_after, 0.99, server_n);
  std::printf("overload: accepted requests inside the server (complete request -> response, histogram buckets): "
              "%.0f requests, p50 <= %.1f ms, p99 <= %.1f ms\n",
              server_n, server_p50, server_p99);
  std::printf("overload: %llu accepted (201, %.1f%%, %.0f/s), %llu refused 503 overloaded (%.1f%%), %llu of them "
              "without Retry-After, %llu other (%.1f%%)\n",
              static_cast<unsigned long long>(n_acked), 100.0 * static_cast<double>(n_acked) / total,
              static_cast<double>(n_acked) / seconds, static_cast<unsigned long long>(n_refused),
              100.0 * static_cast<double>(n_refused) / total, static_cast<unsigned long long>(n_no_retry),
              static_cast<unsigned long long>(n_uncertain), 100.0 * static_cast<double>(n_uncertain) / total);
  std::printf("after: /healthz %d, /readyz %d within %.1f ms; closed-loop creates %.0f/s before, %.0f/s after\n",
              h.status, rz.status, health_ms, sustainable, recovered);

  // 5. Read back: every accepted create stored, no refused one stored.
  std::unordered_map<std::string, json> back;
  bool read = all_users(v, tok, back);
  std::unordered_set<std::string> stored_names;
  for (auto& [id, u] : back)
    stored_names.insert(u.value("userName", ""));
  long long lost = 0, refused_but_stored = 0;
  for (std::size_t w = 0; w < conns; ++w) {
    for (auto& [name, id] : acked[w]) {
      auto it = back.find(id);
      lost += it == back.end() || it->second.value("userName", "") != name;
    }
    for (auto& name : refused[w])
      refused_but_stored += stored_names.count(name);
  }
  auto expected_total = before + static_cast<long long>(count_nonempty(cal_ids) + n_acked + count_nonempty(again_ids));
  bool ok = report_check("accepted overload creates missing", 0, lost, read && lost == 0);
  ok = report_check("503-refused creates that were stored", 0, refused_but_stored, read && refused_but_stored == 0) && ok;
  ok = report_check("users >= before + all acknowledged creates", expected_total, static_cast<long long>(back.size()),
                    read && static_cast<long long>(back.size()) >= expected_total) && ok;
  ok = report_check("503 without Retry-After", 0, static_cast<long long>(n_no_retry), n_no_retry == 0) && ok;
  ok = report_check("healthz and readyz 200 after the overload", 200, h.status == 200 ? rz.status : h.status,
                    h.status == 200 && rz.status == 200) && ok;
  return ok ? 0 : 1;
}

} // namespace bench
