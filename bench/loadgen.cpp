// dirsync_loadgen: SCIM load generator for dirsyncd (issue 6).
//
// C workers (stackful coroutines on --threads threads), each with its own
// keep-alive HTTP/1.1 connection to 127.0.0.1:PORT, take request tickets until the request budget (-n) or the
// wall-time budget (--max-seconds) is spent: as fast as the answers come, or
// at a fixed pace (--rate), to see the latency at a given load rather than
// at the most the server takes. Every workload ends by reading
// its results back over SCIM; the exit status is 1 when something that was
// acknowledged is missing, 2 on a usage or setup error.

#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <sys/prctl.h>

#include <CLI/CLI.hpp>

#include "crash.hpp"
#include "mix.hpp"
#include "overload.hpp"
#include "scim.hpp"

namespace bench {
namespace {

struct options {
  std::string workload = "create";
  std::uint64_t users = 10000;   // lookup/patch: directory size; group: users created as members
  std::uint64_t members = 10000; // group: members added
  std::uint64_t removals = 1000; // group: members removed afterwards
  std::uint64_t batch = 100;     // group: members (or remove ops) per PATCH
  std::uint64_t baseline = 250;  // group: add/remove rounds on the big group and a `batch`-member one, interleaved
  int groups = 4;                // mix: groups per directory
  unsigned seed = 1;
  double setup_seconds = 600;
  std::string journal;           // crashwrite/crashcheck: the journal file
  overload_options overload;
};

int workload_create(const settings& s, const options&) {
  client v{s.port, s.timeout};
  const auto& tok = s.tokens[0];
  auto before = user_total(v, tok);
  std::vector<std::string> ids, names;
  auto p = create_users(s, tok, "create", "c", s.requests, ids, names, s.max_seconds, s.rate);
  print_header();
  print_phase(p);
  auto acked = static_cast<long long>(count_nonempty(ids));
  auto after = user_total(v, tok);
  bool ok = report_check("users = before + acknowledged creates", before + acked, after, after >= before + acked);
  if (after > before + acked)
    std::printf("note: %lld created but not acknowledged (timeouts/errors)\n", after - before - acked);
  return ok ? 0 : 1;
}

// The HTTP layer alone: GET /healthz, which no actor handles. Its rate is the
// ceiling of any SCIM workload on the same cores.
int workload_health(const settings& s, const options&) {
  auto p = run_phase("health", s, s.concurrency, s.requests, [&](int, std::uint64_t, client& c, stats& st) {
    timed(c, st, "GET /healthz", bhttp::verb::get, "/healthz", {}, s.tokens[0], 200);
  });
  print_header();
  print_phase(p);
  auto ok = p.st.by_op["GET /healthz"].ok;
  return report_check("answered 200", static_cast<long long>(p.st.by_op["GET /healthz"].us.size()),
                      static_cast<long long>(ok), ok == p.st.by_op["GET /healthz"].us.size()) ? 0 : 1;
}

int workload_lookup(const settings& s, const options& o) {
  client v{s.port, s.timeout};
  const auto& tok = s.tokens[0];
  auto before = user_total(v, tok);
  std::vector<std::string> ids, names;
  auto setup = create_users(s, tok, "setup", "l", o.users, ids, names, o.setup_seconds);
  std::vector<std::uint64_t> known;
  for (std::uint64_t i = 0; i < ids.size(); ++i)
    if (!ids[i].empty())
      known.push_back(i);
  if (known.empty()) {
    std::fprintf(stderr, "no user could be created\n");
    return 2;
  }
  std::atomic<std::uint64_t> wrong{0};
  auto p = run_phase("lookup", s, s.concurrency, s.requests, [&](int w, std::uint64_t i, client& c, stats& st) {
    std::uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(w) ^ o.seed;
    auto j = known[(x >> 17) % known.size()];
    auto r = timed(c, st, "GET filter userName eq", bhttp::verb::get, filter_target(names[j]), {}, tok, 200);
    if (r.status != 200)
      return;
    // Cheap check (no JSON parse, to keep the client's cost low): one result, the right id.
    auto t = r.body.find("\"totalResults\":1");
    char after = t == std::string::npos || t + 16 >= r.body.size() ? '9' : r.body[t + 16];
    if ((after != ',' && after != '}') || r.body.find("\"id\":\"" + ids[j] + "\"") == std::string::npos)
      ++wrong;
  });
  print_header();
  print_phase(setup);
  print_phase(p);
  auto after = user_total(v, tok);
  auto acked = static_cast<long long>(known.size());
  bool ok = report_check("users = before + acknowledged creates", before + acked, after, after >= before + acked);
  ok = report_check("lookups of acknowledged users that missed", 0, static_cast<long long>(wrong.load()),
                    wrong == 0) && ok;
  return ok ? 0 : 1;
}

int workload_patch(const settings& s, const options& o) {
  client v{s.port, s.timeout};
  const auto& tok = s.tokens[0];
  std::vector<std::string> ids, names;
  auto users = std::max<std::uint64_t>(o.users, static_cast<std::uint64_t>(s.concurrency));
  auto setup = create_users(s, tok, "setup", "p", users, ids, names, o.setup_seconds);
  // Thread w owns users w, w+C, w+2C...: its changes to them are ordered, so
  // the last acknowledged value of each is known.
  std::vector<std::string> given(users);
  std::vector<char> active(users, 1), patched(users, 0), uncertain(users, 0);
  std::vector<std::uint64_t> visits(static_cast<std::size_t>(s.concurrency), 0);
  auto per = users / static_cast<std::uint64_t>(s.concurrency);
  auto p = run_phase("patch", s, s.concurrency, s.requests, [&](int w, std::uint64_t i, client& c, stats& st) {
    auto k = visits[static_cast<std::size_t>(w)]++;
    auto j = static_cast<std::uint64_t>(w) + static_cast<std::uint64_t>(s.concurrency) * (k % per);
    if (ids[j].empty())
      return;
    auto target = "/scim/v2/Users/" + ids[j];
    int op = static_cast<int>((k / per) % 4); // name, deactivate, name, reactivate
    response r;
    std::string g = "G" + std::to_string(i);
    if (op == 0 || op == 2) {
      r = timed(c, st, "PATCH name", bhttp::verb::patch, target,
                patch_text(R"({"op":"replace","path":"name.givenName","value":")" + g
                           + R"("},{"op":"replace","path":"name.familyName","value":"F)" + std::to_string(i) + R"("})"),
                tok, 200);
    } else {
      bool to = op == 3;
      r = timed(c, st, to ? "PATCH active=true" : "PATCH active=false", bhttp::verb::patch, target,
                patch_text(to ? R"({"op":"replace","value":{"active":true}})"
                              : R"({"op":"replace","value":{"active":false}})"),
                tok, 200);
      if (r.status == 200)
        active[j] = to;
    }
    if (r.status == 200) {
      patched[j] = 1;
      if (op == 0 || op == 2)
        given[j] = g;
    } else {
      uncertain[j] = 1;
    }
  });
  print_header();
  print_phase(setup);
  print_phase(p);
  std::unordered_map<std::string, json> back;
  bool read = all_users(v, tok, back);
  long long checked = 0, lost = 0;
  for (std::uint64_t j = 0; j < users; ++j) {
    if (ids[j].empty() || !patched[j] || uncertain[j])
      continue;
    ++checked;
    auto it = back.find(ids[j]);
    if (it == back.end() || it->second.value("active", true) != static_cast<bool>(active[j])
        || (!given[j].empty() && it->second["name"].value("givenName", "") != given[j]))
      ++lost;
  }
  bool ok = report_check("patched users whose last acknowledged state differs", 0, lost, read && lost == 0);
  std::printf("verify: %lld patched users checked (read back %zu users)\n", checked, back.size());
  return ok ? 0 : 1;
}

int workload_group(const settings& s, const options& o) {
  client c{s.port, s.timeout};
  const auto& tok = s.tokens[0];
  std::vector<std::string> ids, names;
  // The members of the push, then the spare batches of the baseline rounds,
  // created last: with time-ordered ids, their membership rows go at the
  // end of each group's rows, as the push's do.
  auto spares = o.baseline > 0 ? std::min<std::uint64_t>(o.baseline, 10) * o.batch : 0;
  auto setup = create_users(s, tok, "setup", "m", o.members + spares, ids, names, o.setup_seconds);
  std::vector<std::string> pool, spare;
  for (std::size_t k = 0; k < ids.size(); ++k)
    if (!ids[k].empty())
      (k < o.members ? pool : spare).push_back(ids[k]);
  stats st;
  auto g = timed(c, st, "POST /Groups", bhttp::verb::post, "/scim/v2/Groups",
                 json{{"schemas", {group_urn}}, {"displayName", s.prefix + "-push"}, {"members", json::array()}}.dump(),
                 tok, 201);
  auto gid = id_of(g);
  if (gid.empty()) {
    std::fprintf(stderr, "group create failed: %d %s\n", g.status, g.body.c_str());
    return 2;
  }
  const std::uint64_t edges[] = {100, 1000, 5000, 10000, 20000, 50000, 100000, 1000000};
  std::vector<series> buckets(std::size(edges) + 1);
  auto bucket_of = [&](std::uint64_t size) {
    std::size_t b = 0;
    while (b < std::size(edges) && size >= edges[b])
      ++b;
    return b;
  };
  std::set<std::string> expected, uncertain;
  std::set<std::string> small_expected, small_uncertain; // the baseline group
  std::string small_id, small_target;
  auto deadline = steady::now() + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s.max_seconds));
  bool stopped = false;
  auto target = "/scim/v2/Groups/" + gid;
  auto t0 = steady::now();
  for (std::size_t at = 0; at < pool.size(); at += o.batch) {
    if (steady::now() >= deadline) {
      stopped = true;
      break;
    }
    json values = json::array();
    auto end = std::min<std::size_t>(pool.size(), at + o.batch);
    for (auto k = at; k < end; ++k)
      values.push_back({{"value", pool[k]}});
    auto size = expected.size();
    auto t = steady::now();
    auto r = c.request(bhttp::verb::patch, target, patch_body({{{"op", "add"}, {"path", "members"}, {"value", values}}}), tok);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - t).count();
    buckets[bucket_of(size)].add(static_cast<std::uint64_t>(us), r.status, r.status == 204);
    st.by_op["PATCH add " + std::to_string(o.batch) + " members"].add(static_cast<std::uint64_t>(us), r.status, r.status == 204);
    for (auto k = at; k < end; ++k)
      (r.status == 204 ? expected : uncertain).insert(pool[k]);
  }
  double push_seconds = std::chrono::duration<double>(steady::now() - t0).count();
  // Removals: spread over the group, `batch` remove ops per PATCH.
  std::vector<std::string> victims;
  std::vector<std::string> current(expected.begin(), expected.end());
  auto k = std::min<std::uint64_t>(o.removals, current.size());
  for (std::uint64_t i = 0; i < k; ++i)
    victims.push_back(current[i * current.size() / k]);
  auto t1 = steady::now();
  for (std::size_t at = 0; at < victims.size() && !stopped; at += o.batch) {
    if (steady::now() >= deadline) {
      stopped = true;
      break;
    }
    json ops = json::array();
    auto end = std::min<std::size_t>(victims.size(), at + o.batch);
    for (auto x = at; x < end; ++x)
      ops.push_back({{"op", "remove"}, {"path", "members[value eq \"" + victims[x] + "\"]"}});
    auto r = timed(c, st, "PATCH remove " + std::to_string(o.batch) + " members", bhttp::verb::patch, target, patch_body(ops), tok, 204);
    for (auto x = at; x < end; ++x) {
      if (r.status == 204)
        expected.erase(victims[x]);
      else
        uncertain.insert(victims[x]);
    }
  }
  double remove_seconds = std::chrono::duration<double>(steady::now() - t1).count();
  // Baseline, in the same database after the push: the push's PATCH (add
  // `batch` new members) on the big group and on a group of `batch`
  // members, in interleaved rounds, so that both see the same database and
  // the same moments of the machine, and their p99 rest on as many samples.
  // Each round adds one of the spare batches (in no group) to both groups,
  // and removes it again (`members[value eq "…"]` ops, timed apart). Which
  // group goes first alternates.
  if (o.baseline > 0 && !spare.empty() && pool.size() >= o.batch && !stopped) {
    json first = json::array();
    for (std::size_t k = 0; k < o.batch; ++k)
      first.push_back({{"value", pool[k]}});
    auto sg = timed(c, st, "POST /Groups", bhttp::verb::post, "/scim/v2/Groups",
                    json{{"schemas", {group_urn}}, {"displayName", s.prefix + "-small"}, {"members", first}}.dump(),
                    tok, 201);
    if (id_of(sg).empty()) {
      std::fprintf(stderr, "group create failed: %d %s\n", sg.status, sg.body.c_str());
      return 2;
    }
    small_id = id_of(sg);
    small_target = "/scim/v2/Groups/" + small_id;
    for (std::size_t k = 0; k < o.batch; ++k)
      small_expected.insert(pool[k]);
    auto per = std::to_string(o.batch) + " members";
    auto big_label = "on the " + std::to_string(expected.size()) + "-member group";
    auto small_label = "on a " + std::to_string(o.batch) + "-member group";
    // Adds, then removes, of one batch on one group; what an error leaves
    // is uncertain (in or out, depending on which PATCH failed).
    auto round_on = [&](const std::string& target, const std::string& label, std::set<std::string>& unsure,
                        const std::vector<std::string>& users) {
      json values = json::array(), removes = json::array();
      for (auto& u : users) {
        values.push_back({{"value", u}});
        removes.push_back({{"op", "remove"}, {"path", "members[value eq \"" + u + "\"]"}});
      }
      auto added = timed(c, st, "PATCH add " + per + " " + label, bhttp::verb::patch, target,
                         patch_body({{{"op", "add"}, {"path", "members"}, {"value", values}}}), tok, 204);
      auto removed = timed(c, st, "PATCH remove " + per + " " + label + "+" + std::to_string(o.batch),
                           bhttp::verb::patch, target, patch_body(removes), tok, 204);
      if (added.status != 204 || removed.status != 204)
        unsure.insert(users.begin(), users.end());
    };
    auto batches = spare.size() / o.batch;
    for (std::uint64_t round = 0; round < o.baseline && batches > 0 && steady::now() < deadline; ++round) {
      auto from = spare.begin() + static_cast<std::ptrdiff_t>(o.batch * (round % batches));
      std::vector<std::string> users(from, from + static_cast<std::ptrdiff_t>(o.batch));
      for (int side = 0; side < 2; ++side) {
        if ((side + round) % 2 == 0)
          round_on(target, big_label, uncertain, users);
        else
          round_on(small_target, small_label, small_uncertain, users);
      }
    }
  }
  for (int i = 0; i < 20; ++i)
    timed(c, st, "GET group excl. members", bhttp::verb::get, target + "?excludedAttributes=members", {}, tok, 200);
  for (auto& [key, v] : st.by_op)
    std::sort(v.us.begin(), v.us.end());
  print_header();
  print_phase(setup);
  for (auto& [key, v] : st.by_op)
    print_series("group " + key, v, 0);
  std::printf("group push: %zu members in %.2f s%s; %zu removals in %.2f s\n", expected.size() + victims.size(),
              push_seconds, stopped ? " (STOPPED BY TIME LIMIT)" : "", victims.size(), remove_seconds);
  std::printf("PATCH add latency by group size before the PATCH:\n");
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    if (buckets[b].us.empty())
      continue;
    std::sort(buckets[b].us.begin(), buckets[b].us.end());
    std::string label = "  size " + std::to_string(b ? edges[b - 1] : 0) + ".."
                        + (b < std::size(edges) ? std::to_string(edges[b] - 1) : std::string{"+"});
    print_series(label, buckets[b], 0);
  }
  std::set<std::string> back;
  bool read = group_members(c, tok, gid, back);
  long long lost = 0, extra = 0;
  for (auto& m : expected)
    lost += !back.count(m);
  for (auto& m : back)
    extra += !expected.count(m) && !uncertain.count(m);
  bool ok = report_check("group members (acknowledged adds - removes)", static_cast<long long>(expected.size()),
                         static_cast<long long>(back.size()), read && lost == 0 && extra == 0);
  if (!small_id.empty()) {
    std::set<std::string> small_back;
    bool small_read = group_members(c, tok, small_id, small_back);
    long long small_wrong = 0;
    for (auto& m : small_expected)
      small_wrong += !small_back.count(m);
    for (auto& m : small_back)
      small_wrong += !small_expected.count(m) && !small_uncertain.count(m);
    ok = report_check("baseline group members", static_cast<long long>(small_expected.size()),
                      static_cast<long long>(small_back.size()), small_read && small_wrong == 0) && ok;
  }
  if (lost || extra)
    std::printf("verify: %lld acknowledged members missing, %lld acknowledged removals still present\n", lost, extra);
  return ok ? 0 : 1;
}

} // namespace
} // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  settings s;
  options o;
  int port = 0;
  long long timeout_ms = 60000;
  std::string tokens_file;
  CLI::App app{"dirsync_loadgen: SCIM load against dirsyncd on 127.0.0.1"};
  app.add_option("workload", o.workload, "create | lookup | patch | group | mix | overload | health | crashwrite | crashcheck")
    ->check(CLI::IsMember({"health", "create", "lookup", "patch", "group", "mix", "overload", "crashwrite", "crashcheck"}));
  app.add_option("--port", port, "dirsyncd port on 127.0.0.1")->required()->check(CLI::Range(1, 65535));
  app.add_option("--token", s.tokens, "SCIM bearer token (repeat for several directories)");
  app.add_option("--tokens-file", tokens_file, "file with one SCIM bearer token per line");
  app.add_option("-c,--concurrency", s.concurrency, "connections, one request in flight on each")
    ->check(CLI::Range(1, 4096));
  app.add_option("--threads", s.threads, "threads the connections (coroutines) share")
    ->check(CLI::Range(1, 256));
  app.add_option("-n,--requests", s.requests, "request budget of the measured phase (mix: operations)");
  app.add_option("--max-seconds", s.max_seconds, "wall-time budget of the measured phase")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--setup-seconds", o.setup_seconds, "wall-time budget of a setup phase")->check(CLI::Range(1.0, 7200.0));
  app.add_option("--timeout-ms", timeout_ms, "per-request timeout")->check(CLI::Range(100, 600000));
  app.add_option("--users", o.users, "lookup/patch/mix: users created first");
  app.add_option("--members", o.members, "group: members added");
  app.add_option("--removals", o.removals, "group: members removed afterwards");
  app.add_option("--batch", o.batch, "group: members per PATCH")->check(CLI::Range(1, 10000));
  app.add_option("--baseline", o.baseline,
                 "group: rounds, after the push, of adding --batch new members to the big group and to a "
                 "group of --batch members, and removing them again, interleaved (0: none)");
  app.add_option("--groups", o.groups, "mix: groups per directory")->check(CLI::Range(1, 1000));
  app.add_option("--seed", o.seed, "random seed");
  app.add_option("--journal", o.journal, "crashwrite/crashcheck: journal of every request's outcome");
  app.add_option("--rate", s.rate,
                 "create/lookup/patch/health: pace the measured phase at this many req/s over the -c connections "
                 "(open loop; a request's latency counts from its turn); overload: offered req/s (default: "
                 "--factor x the measured rate)")
    ->check(CLI::PositiveNumber);
  app.add_option("--factor", o.overload.factor, "overload: offered rate / sustainable rate")->check(CLI::Range(0.1, 1000.0));
  app.add_option("--calibrate-concurrency", o.overload.calibrate_concurrency,
                 "overload: connections of the closed-loop runs before and after")->check(CLI::Range(1, 1024));
  app.add_option("--calibrate-seconds", o.overload.calibrate_seconds, "overload: length of those runs")
    ->check(CLI::Range(0.5, 600.0));
  CLI11_PARSE(app, argc, argv);
  s.port = static_cast<std::uint16_t>(port);
  s.timeout = std::chrono::milliseconds{timeout_ms};
  if (s.rate > 0 && o.workload != "create" && o.workload != "lookup" && o.workload != "patch" && o.workload != "health"
      && o.workload != "overload") {
    std::fprintf(stderr, "--rate applies to create, lookup, patch, health and overload\n");
    return 2;
  }
  if (o.workload == "overload") {
    o.overload.rate = s.rate;
    s.rate = 0;
  }
  // Paced sends wake at their turn: Linux lets a sleeping thread's timer fire
  // up to 50 us late by default (timer slack), which a paced request's
  // latency would count.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  if (!tokens_file.empty()) {
    std::FILE* f = std::fopen(tokens_file.c_str(), "r");
    if (!f) {
      std::fprintf(stderr, "cannot read %s\n", tokens_file.c_str());
      return 2;
    }
    char line[4096];
    while (std::fgets(line, sizeof line, f)) {
      std::string t = line;
      while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' '))
        t.pop_back();
      if (!t.empty())
        s.tokens.push_back(t);
    }
    std::fclose(f);
  }
  if (s.tokens.empty()) {
    std::fprintf(stderr, "give --token or --tokens-file\n");
    return 2;
  }
  s.prefix = "b" + std::to_string(std::time(nullptr)) + "-" + std::to_string(o.seed);
  std::printf("workload %s: port %d, concurrency %d, budget %llu requests / %.0f s, %zu directories\n",
              o.workload.c_str(), port, s.concurrency, static_cast<unsigned long long>(s.requests), s.max_seconds,
              s.tokens.size());
  if (o.workload == "create")
    return workload_create(s, o);
  if (o.workload == "lookup")
    return workload_lookup(s, o);
  if (o.workload == "health")
    return workload_health(s, o);
  if (o.workload == "patch")
    return workload_patch(s, o);
  if (o.workload == "group")
    return workload_group(s, o);
  if (o.workload == "overload")
    return workload_overload(s, o.overload);
  if ((o.workload == "crashwrite" || o.workload == "crashcheck") && o.journal.empty()) {
    std::fprintf(stderr, "%s needs --journal FILE\n", o.workload.c_str());
    return 2;
  }
  if (o.workload == "crashwrite")
    return workload_crash_write(s, o.journal, o.seed);
  if (o.workload == "crashcheck")
    return workload_crash_check(s, o.journal);
  return workload_mix(s, o.users, o.groups, o.seed);
}
