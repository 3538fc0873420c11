#pragma once

// The two halves of bench/crash_loop.sh (SPEC S8): `crashwrite` drives
// concurrent creates and PATCHes until the server dies under it, appending
// every outcome to a journal; `crashcheck` reads the journal of all cycles
// so far and checks the restarted server against it.
//
// Journal lines (one per request, appended across cycles):
//   C <userName> <id> <givenName>   create acknowledged (201)
//   c <userName>                    create sent, not acknowledged
//   P <id> <givenName> <0|1>        PATCH acknowledged (200): givenName, active
//   p <id> <givenName> <0|1>        PATCH sent, not acknowledged
//   G <groupId>                     a writer's group (created or found)
//   M <groupId> <userId>            member add acknowledged (group push)
//   m <groupId> <userId>            member add sent, not acknowledged
// A user's PATCHes come from one thread, one at a time, so after the last
// acknowledged one only the unacknowledged ones sent after it may also
// have landed.

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "scim.hpp"

namespace bench {

/// What the journal says a user may look like now.
struct journal_user {
  std::string name;
  std::string given;           ///< Last acknowledged givenName (the create's, before any PATCH).
  bool active = true;          ///< Last acknowledged active.
  std::vector<std::string> maybe; ///< "<given> <0|1>" of unacknowledged PATCHes after it.
  bool acked = false;          ///< The create was acknowledged.
};

/// The journal folded into the expected state.
struct journal {
  std::map<std::string, journal_user> by_id;       ///< Acknowledged creates.
  std::map<std::string, int> unacked_names;       ///< userName -> unacknowledged create attempts.
  std::set<std::string> groups;                   ///< The writers' groups.
  std::map<std::string, std::set<std::string>> members; ///< Acknowledged member adds per group.
  std::uint64_t creates = 0, patches = 0, unacked_creates = 0, unacked_patches = 0, member_adds = 0;

  static journal read(const std::string& path) {
    journal j;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string kind, a, b, c;
      f >> kind >> a >> b >> c;
      if (kind == "C") {
        auto& u = j.by_id[b];
        u.name = a;
        u.given = c;
        u.acked = true;
        ++j.creates;
      } else if (kind == "c") {
        ++j.unacked_names[a];
        ++j.unacked_creates;
      } else if (kind == "G") {
        j.groups.insert(a);
      } else if (kind == "M") {
        j.members[a].insert(b);
        ++j.member_adds;
      } else if (kind == "P" || kind == "p") {
        auto it = j.by_id.find(a);
        if (it == j.by_id.end())
          continue;
        if (kind == "P") {
          it->second.given = b;
          it->second.active = c == "1";
          it->second.maybe.clear();
          ++j.patches;
        } else {
          it->second.maybe.push_back(b + " " + c);
          ++j.unacked_patches;
        }
      }
    }
    return j;
  }
};

/// Appends lines to the journal from several threads.
class journal_writer {
public:
  explicit journal_writer(const std::string& path) : f_(std::fopen(path.c_str(), "a")) {}
  ~journal_writer() {
    if (f_)
      std::fclose(f_);
  }
  journal_writer(const journal_writer&) = delete;
  journal_writer& operator=(const journal_writer&) = delete;
  bool ok() const { return f_ != nullptr; }
  void line(const std::string& text) {
    std::lock_guard lock(mu_);
    std::fputs(text.c_str(), f_);
    std::fputc('\n', f_);
    std::fflush(f_);
  }

private:
  std::FILE* f_;
  std::mutex mu_;
};

/// Creates and PATCHes until --max-seconds, or until the server stops
/// answering (every thread stops at its first transport failure).
inline int workload_crash_write(const settings& s, const std::string& journal_path, unsigned seed) {
  auto known = journal::read(journal_path);
  journal_writer out(journal_path);
  if (!out.ok()) {
    std::fprintf(stderr, "cannot append to %s\n", journal_path.c_str());
    return 2;
  }
  const auto threads = static_cast<std::size_t>(s.concurrency);
  struct own {
    std::string id;
    bool active = true;
  };
  std::vector<std::vector<own>> mine(threads);
  {
    std::size_t k = 0;
    for (auto& [id, u] : known.by_id)
      mine[k++ % threads].push_back(own{id, u.active});
  }
  std::atomic<std::uint64_t> acked{0}, sent{0};
  auto deadline = steady::now() + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(s.max_seconds));
  std::vector<std::thread> pool;
  for (std::size_t w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      client c{s.port, s.timeout};
      std::mt19937_64 rng(seed * 7919ull + w);
      const auto& tok = s.tokens[0];
      // Each writer pushes members (users of any cycle) into its own group,
      // found by its displayName or created.
      auto group_name = s.prefix + "-group-w" + std::to_string(w);
      std::string gid;
      auto found = c.request(bhttp::verb::get,
                             "/scim/v2/Groups?filter=" + enc("displayName eq \"" + group_name + "\""), {}, tok);
      if (found.status == 0)
        return;
      auto list = json::parse(found.body, nullptr, false);
      if (list.is_object() && list.value("totalResults", 0) > 0)
        gid = list["Resources"][0].value("id", "");
      if (gid.empty()) {
        auto made = c.request(bhttp::verb::post, "/scim/v2/Groups",
                              json{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                                   {"displayName", group_name}}.dump(),
                              tok);
        if (made.status == 0)
          return;
        gid = made.status == 201 ? id_of(made) : std::string{};
      }
      if (!gid.empty())
        out.line("G " + gid);
      for (std::uint64_t i = 0; steady::now() < deadline; ++i) {
        auto& users = mine[w];
        ++sent;
        if (!gid.empty() && !users.empty() && rng() % 100 < 20) {
          const auto& uid = users[rng() % users.size()].id;
          auto r = c.request(bhttp::verb::patch, "/scim/v2/Groups/" + gid,
                             patch_body({{{"op", "add"}, {"path", "members"}, {"value", {{{"value", uid}}}}}}), tok);
          bool ok = r.status == 204 || r.status == 200;
          out.line(std::string{ok ? "M " : "m "} + gid + " " + uid);
          if (ok)
            ++acked;
          if (r.status == 0)
            return;
          continue;
        }
        if (users.empty() || rng() % 100 < 40) {
          auto name = s.prefix + "-w" + std::to_string(w) + "-" + std::to_string(i) + "@crash.example";
          auto given = "G" + std::to_string(i);
          auto r = c.request(bhttp::verb::post, "/scim/v2/Users", user_body(name, given, "Crash"), tok);
          auto id = r.status == 201 ? id_of(r) : std::string{};
          if (!id.empty()) {
            out.line("C " + name + " " + id + " " + given);
            users.push_back(own{id, true});
            ++acked;
          } else {
            out.line("c " + name);
          }
          if (r.status == 0)
            return; // the server is gone
          continue;
        }
        auto& u = users[rng() % users.size()];
        auto given = "P" + std::to_string(seed) + "x" + std::to_string(w) + "x" + std::to_string(i);
        bool active = rng() % 4 != 0;
        auto r = c.request(bhttp::verb::patch, "/scim/v2/Users/" + u.id,
                           patch_body({{{"op", "replace"}, {"path", "name.givenName"}, {"value", given}},
                                       {{"op", "replace"}, {"path", "active"}, {"value", active}}}),
                           tok);
        auto tail = u.id + " " + given + " " + (active ? "1" : "0");
        if (r.status == 200) {
          out.line("P " + tail);
          u.active = active;
          ++acked;
        } else {
          out.line("p " + tail);
        }
        if (r.status == 0)
          return;
      }
    });
  for (auto& t : pool)
    t.join();
  std::printf("crashwrite: %llu requests sent, %llu acknowledged\n", static_cast<unsigned long long>(sent.load()),
              static_cast<unsigned long long>(acked.load()));
  return 0;
}

/// Reads every user back and compares with the journal: each acknowledged
/// create present with its userName, each user in its last acknowledged
/// state (or a later unacknowledged one), no userName twice.
inline int workload_crash_check(const settings& s, const std::string& journal_path) {
  auto j = journal::read(journal_path);
  client c{s.port, s.timeout};
  std::unordered_map<std::string, json> back;
  if (!all_users(c, s.tokens[0], back)) {
    std::printf("crashcheck: FAILED to read the users back\n");
    return 1;
  }
  long long lost = 0, wrong = 0, dup = 0, landed = 0, stray = 0;
  std::map<std::string, int> names;
  for (auto& [id, u] : back) {
    auto name = u.value("userName", "");
    for (auto& ch : name)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (++names[name] == 2) {
      ++dup;
      std::printf("crashcheck: userName %s stored twice\n", name.c_str());
    }
  }
  for (auto& [id, want] : j.by_id) {
    auto it = back.find(id);
    if (it == back.end() || it->second.value("userName", "") != want.name) {
      if (++lost <= 5)
        std::printf("crashcheck: acknowledged create %s (%s) LOST\n", want.name.c_str(), id.c_str());
      continue;
    }
    auto& u = it->second;
    auto given = u.contains("name") && u["name"].is_object() ? u["name"].value("givenName", "") : std::string{};
    auto have = given + " " + (u.value("active", true) ? "1" : "0");
    auto acked = want.given + " " + (want.active ? "1" : "0");
    bool ok = have == acked;
    for (auto& m : want.maybe)
      ok = ok || have == m;
    if (!ok && ++wrong <= 5)
      std::printf("crashcheck: user %s is \"%s\", last acknowledged \"%s\" (+%zu unacknowledged)\n", id.c_str(),
                  have.c_str(), acked.c_str(), want.maybe.size());
  }
  for (auto& [id, u] : back) {
    if (j.by_id.count(id))
      continue;
    if (j.unacked_names.count(u.value("userName", "")))
      ++landed; // a create whose answer the kill swallowed: allowed
    else
      ++stray;
  }
  // Group pushes: every acknowledged member add is there, and every member
  // is a stored user (no membership row without its user).
  long long missing_members = 0, orphan_members = 0;
  for (const auto& gid : j.groups) {
    std::set<std::string> have;
    if (!group_members(c, s.tokens[0], gid, have)) {
      std::printf("crashcheck: group %s LOST or unreadable\n", gid.c_str());
      ++missing_members;
      continue;
    }
    for (const auto& uid : j.members[gid])
      if (!have.count(uid) && ++missing_members <= 5)
        std::printf("crashcheck: acknowledged member %s of group %s LOST\n", uid.c_str(), gid.c_str());
    for (const auto& uid : have)
      if (!back.count(uid) && ++orphan_members <= 5)
        std::printf("crashcheck: member %s of group %s is no stored user\n", uid.c_str(), gid.c_str());
  }
  bool ok = lost == 0 && wrong == 0 && dup == 0 && stray == 0 && missing_members == 0 && orphan_members == 0;
  std::printf("crashcheck: %zu users stored; journal: %llu creates and %llu patches acknowledged, %llu creates "
              "and %llu patches unacknowledged; lost %lld, wrong state %lld, duplicate userNames %lld, "
              "unacknowledged creates that landed %lld, unknown users %lld; %zu groups, %llu member adds "
              "acknowledged, lost %lld, orphan members %lld  %s\n",
              back.size(), static_cast<unsigned long long>(j.creates), static_cast<unsigned long long>(j.patches),
              static_cast<unsigned long long>(j.unacked_creates), static_cast<unsigned long long>(j.unacked_patches),
              lost, wrong, dup, landed, stray, j.groups.size(), static_cast<unsigned long long>(j.member_adds),
              missing_members, orphan_members, ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}

} // namespace bench
