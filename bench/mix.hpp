#pragma once

// The Okta-like mix over several directories at once: lookup-then-create,
// lookups of existing users, profile updates, deactivations/reactivations and
// group membership changes. Each worker thread only changes the users it
// created itself, so the last acknowledged state of every user and of every
// membership is known and can be checked when the run ends.

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "scim.hpp"

namespace bench {

struct mix_user {
  std::string id;
  std::string name;
  bool active = true;
  bool uncertain = false;   // an unacknowledged change may or may not have landed
  std::uint64_t groups = 0; // bit g: member of group g (acknowledged)
  std::uint64_t unsure = 0; // bit g: membership change failed
};

inline int workload_mix(const settings& s, std::uint64_t /*users*/, int groups, unsigned seed) {
  groups = std::min(groups, 64);
  client v{s.port, s.timeout};
  const auto dirs = s.tokens.size();
  std::vector<long long> before(dirs);
  std::vector<std::vector<std::string>> gids(dirs);
  for (std::size_t d = 0; d < dirs; ++d) {
    before[d] = user_total(v, s.tokens[d]);
    for (int g = 0; g < groups; ++g) {
      auto r = v.request(bhttp::verb::post, "/scim/v2/Groups",
                         json{{"schemas", {group_urn}},
                              {"displayName", s.prefix + "-mix" + std::to_string(g)},
                              {"members", json::array()}}
                           .dump(),
                         s.tokens[d]);
      if (r.status != 201) {
        std::fprintf(stderr, "group create failed: %d %s\n", r.status, r.body.c_str());
        return 2;
      }
      gids[d].push_back(id_of(r));
    }
  }
  const auto threads = static_cast<std::size_t>(s.concurrency);
  // mine[w][d]: the users worker w created in directory d.
  std::vector<std::vector<std::vector<mix_user>>> mine(threads, std::vector<std::vector<mix_user>>(dirs));
  std::vector<std::mt19937_64> rng;
  std::vector<std::uint64_t> serial(threads, 0);
  for (std::size_t w = 0; w < threads; ++w)
    rng.emplace_back(seed * 1000003ull + w);

  auto p = run_phase("mix", s, s.concurrency, s.requests, [&](int wi, std::uint64_t, client& c, stats& st) {
    auto w = static_cast<std::size_t>(wi);
    auto& R = rng[w];
    auto d = static_cast<std::size_t>(R() % dirs);
    const auto& tok = s.tokens[d];
    auto& pool = mine[w][d];
    auto roll = static_cast<int>(R() % 100);
    if (pool.empty() || roll < 35) {
      // Okta: look the user up first, then create it.
      auto name = s.prefix + "-x" + std::to_string(w) + "-" + std::to_string(serial[w]++) + "@bench.example";
      timed(c, st, "GET filter (miss)", bhttp::verb::get, filter_target(name), {}, tok, 200);
      auto r = timed(c, st, "POST /Users", bhttp::verb::post, "/scim/v2/Users", user_body(name, "Mix", "User"), tok,
                     201);
      if (r.status == 201)
        pool.push_back(mix_user{id_of(r), name});
      return;
    }
    auto& u = pool[R() % pool.size()];
    auto target = "/scim/v2/Users/" + u.id;
    if (roll < 50) {
      timed(c, st, "GET filter (hit)", bhttp::verb::get, filter_target(u.name), {}, tok, 200);
    } else if (roll < 75) {
      auto r = timed(c, st, "PATCH name", bhttp::verb::patch, target,
                     patch_body({{{"op", "replace"}, {"value", {{"name", {{"givenName", "G" + std::to_string(R() % 1000)}}}}}}}),
                     tok, 200);
      (void)r;
    } else if (roll < 85) {
      bool to = !u.active; // deactivate an active user, reactivate an inactive one
      auto r = timed(c, st, to ? "PATCH active=true" : "PATCH active=false", bhttp::verb::patch, target,
                     patch_body({{{"op", "replace"}, {"value", {{"active", to}}}}}), tok, 200);
      if (r.status == 200)
        u.active = to;
      else
        u.uncertain = true;
    } else {
      auto g = static_cast<std::size_t>(R() % static_cast<std::uint64_t>(groups));
      std::uint64_t bit = 1ull << g;
      bool add = !(u.groups & bit);
      json op = add ? json{{"op", "add"}, {"path", "members"}, {"value", {{{"value", u.id}}}}}
                    : json{{"op", "remove"}, {"path", "members[value eq \"" + u.id + "\"]"}};
      auto r = timed(c, st, add ? "PATCH group add" : "PATCH group remove", bhttp::verb::patch,
                     "/scim/v2/Groups/" + gids[d][g], patch_body(json::array({op})), tok, 204);
      if (r.status == 204)
        u.groups ^= bit;
      else
        u.unsure |= bit;
    }
  });
  print_header();
  print_phase(p);

  bool ok = true;
  for (std::size_t d = 0; d < dirs; ++d) {
    const auto& tok = s.tokens[d];
    long long created = 0;
    for (std::size_t w = 0; w < threads; ++w)
      created += static_cast<long long>(mine[w][d].size());
    auto after = user_total(v, tok);
    auto tag = "dir " + std::to_string(d) + ": ";
    ok = report_check(tag + "users = before + acknowledged creates", before[d] + created, after,
                      after >= before[d] + created) && ok;
    std::unordered_map<std::string, json> back;
    bool read = all_users(v, tok, back);
    long long wrong_active = 0;
    for (std::size_t w = 0; w < threads; ++w)
      for (auto& u : mine[w][d]) {
        auto it = back.find(u.id);
        if (it == back.end() || (!u.uncertain && it->second.value("active", true) != u.active))
          ++wrong_active;
      }
    ok = report_check(tag + "users missing or with a lost active change", 0, wrong_active,
                      read && wrong_active == 0) && ok;
    long long lost = 0, expected_total = 0, back_total = 0;
    for (int g = 0; g < groups; ++g) {
      std::set<std::string> members;
      if (!group_members(v, tok, gids[d][static_cast<std::size_t>(g)], members)) {
        ok = report_check(tag + "group read-back", 1, 0, false) && ok;
        continue;
      }
      back_total += static_cast<long long>(members.size());
      std::uint64_t bit = 1ull << g;
      for (std::size_t w = 0; w < threads; ++w)
        for (auto& u : mine[w][d]) {
          if (u.unsure & bit)
            continue;
          bool want = u.groups & bit, have = members.count(u.id) > 0;
          expected_total += want;
          lost += want != have;
        }
    }
    ok = report_check(tag + "memberships differing from acknowledged", 0, lost, lost == 0) && ok;
    std::printf("verify: %s%d groups, %lld acknowledged memberships, %lld read back\n", tag.c_str(), groups,
                expected_total, back_total);
  }
  return ok ? 0 : 1;
}

} // namespace bench
