// SIGKILL under concurrent writers, five times over (SPEC S8, issue 7): every
// create and PATCH the daemon acknowledged is there after each restart, in
// its last acknowledged state; the database passes integrity_check and each
// stored user version has its audit row (L1); a create
// whose answer the kill swallowed, sent again, never makes a second row.
// The long version is bench/crash_loop.sh.

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

namespace {

constexpr int writers = 4;
constexpr int cycles = 10;

/// One request a writer sent, in the order it sent them.
struct event {
  bool create = false;
  bool acked = false;
  std::string id;   ///< The user (for a create: "" unless acknowledged).
  std::string name; ///< userName (creates).
  std::string given;
  bool active = true;
};

/// What a user may look like after a crash.
struct expected_user {
  std::string name;
  std::string given;
  bool active = true;
  std::vector<std::pair<std::string, bool>> maybe; ///< Unacknowledged PATCHes after the last acknowledged one.
};

/// Creates and PATCHes as writer `w` until the daemon stops answering.
std::vector<event> write_until_killed(std::uint16_t port, const std::string& token, int w, int cycle,
                                      std::vector<std::string> own, std::atomic<int>& acks) {
  std::vector<event> log;
  client c{port};
  c.set_token(token);
  std::mt19937 rng(static_cast<unsigned>(cycle * 100 + w));
  for (int i = 0; i < 5000; ++i) { // bound: the kill comes after a few hundred
    event e;
    int status = 0;
    if (own.empty() || rng() % 100 < 40) {
      e.create = true;
      e.name = "crash-c" + std::to_string(cycle) + "-w" + std::to_string(w) + "-" + std::to_string(i) + "@example.com";
      e.given = "G" + std::to_string(i);
      auto r = c.post("/scim/v2/Users", user_body(e.name, {{"name", {{"givenName", e.given}, {"familyName", "K"}}}}));
      status = r.status;
      e.acked = status == 201;
      if (e.acked) {
        e.id = r.json_body().value("id", "");
        own.push_back(e.id);
      }
    } else {
      e.id = own[rng() % own.size()];
      e.given = "P" + std::to_string(cycle) + "-" + std::to_string(w) + "-" + std::to_string(i);
      e.active = rng() % 4 != 0;
      auto r = c.patch("/scim/v2/Users/" + e.id,
                       patch_body(json::array({{{"op", "replace"}, {"path", "name.givenName"}, {"value", e.given}},
                                               {{"op", "replace"}, {"path", "active"}, {"value", e.active}}})));
      status = r.status;
      e.acked = status == 200;
    }
    log.push_back(e);
    if (e.acked)
      acks.fetch_add(1);
    if (status == 0)
      break; // the daemon is gone
  }
  return log;
}

/// Runs one SQL statement that yields one text value per row, read-only.
std::vector<std::string> query_text(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return {"cannot open"};
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  else
    out.emplace_back(sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

} // namespace

TEST_CASE("S8 SIGKILL under concurrent creates and PATCHes, 5 times: nothing acknowledged is lost", "[e2e][crash]") {
  fixture f{"okta"};
  std::map<std::string, expected_user> users; // by id
  std::set<std::string> unacked_names;
  std::mt19937 rng(7);
  for (int cycle = 0; cycle < cycles; ++cycle) {
    // Each writer PATCHes its share of the users acknowledged so far.
    std::vector<std::vector<std::string>> own(writers);
    int k = 0;
    for (const auto& [id, u] : users)
      own[static_cast<std::size_t>(k++ % writers)].push_back(id);
    std::atomic<int> acks{0};
    std::vector<std::vector<event>> logs(writers);
    std::vector<std::thread> pool;
    const auto port = f.d.port();
    for (int w = 0; w < writers; ++w)
      pool.emplace_back([&, w] {
        logs[static_cast<std::size_t>(w)] =
          write_until_killed(port, f.dir.token, w, cycle, own[static_cast<std::size_t>(w)], acks);
      });
    // Kill at a different point each cycle: after 30..150 acknowledged writes.
    const int kill_after = 30 + static_cast<int>(rng() % 121);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (acks.load() < kill_after && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield(); // polling for the writes to be under way
    f.d.kill_hard();
    for (auto& t : pool)
      t.join();
    INFO("cycle " << cycle << ": killed after " << acks.load() << " acknowledged writes");
    REQUIRE(acks.load() >= kill_after);

    // Fold the writers' logs into the expected state (a user's PATCHes all come from one writer, in order).
    for (const auto& log : logs)
      for (const auto& e : log) {
        if (e.create) {
          if (e.acked)
            users[e.id] = expected_user{e.name, e.given, true, {}};
          else
            unacked_names.insert(e.name);
          continue;
        }
        auto& u = users.at(e.id);
        if (e.acked) {
          u.given = e.given;
          u.active = e.active;
          u.maybe.clear();
        } else {
          u.maybe.emplace_back(e.given, e.active);
        }
      }

    f.d.start();
    auto c = f.d.connect();
    c->set_token(f.dir.token);
    CHECK(c->get("/readyz").status == 200);
    CHECK(query_text(f.d.db_path(), "PRAGMA integrity_check") == std::vector<std::string>{"ok"});
    // L1: a change and its audit row commit together, also when the crash
    // came between them: each stored user version has its audit row (the
    // create, then one per update), and no audit row names a user never
    // stored.
    CHECK(query_text(f.d.db_path(),
                     "WITH a AS (SELECT object_id id, count(*) n FROM admin_actions WHERE object_kind = 'user' "
                     "GROUP BY 1) "
                     "SELECT u.id || ': version ' || u.version || ', audit rows ' || coalesce(a.n, 0) "
                     "FROM users u LEFT JOIN a ON a.id = u.id WHERE coalesce(a.n, 0) != u.version "
                     "UNION ALL SELECT a.id || ': audit rows without the user' FROM a "
                     "WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.id)")
          == std::vector<std::string>{});

    auto list = c->get("/scim/v2/Users?count=1000");
    REQUIRE(list.status == 200);
    auto body = list.json_body();
    REQUIRE(body["totalResults"].get<std::size_t>() < 1000);
    std::map<std::string, json> back;
    for (const auto& r : body["Resources"])
      back[r["id"].get<std::string>()] = r;
    int lost = 0, wrong = 0;
    for (const auto& [id, want] : users) {
      auto it = back.find(id);
      if (it == back.end() || it->second["userName"] != want.name) {
        ++lost;
        continue;
      }
      auto given = it->second["name"].value("givenName", "");
      bool active = it->second.value("active", true);
      bool ok = given == want.given && active == want.active;
      for (const auto& [g, a] : want.maybe)
        ok = ok || (given == g && active == a);
      wrong += !ok;
    }
    CHECK(lost == 0);
    CHECK(wrong == 0);
    CHECK(back.size() <= users.size() + unacked_names.size());

    // A create whose answer was lost, sent again: 201 if it had not landed,
    // 409 if it had; in both cases exactly one row.
    for (const auto& name : unacked_names) {
      auto r = c->post("/scim/v2/Users", user_body(name, {{"name", {{"givenName", "again"}, {"familyName", "K"}}}}));
      INFO(name << ": " << r.status << " " << r.body);
      CHECK((r.status == 201 || r.status == 409));
      if (r.status == 201)
        users[r.json_body()["id"].get<std::string>()] = expected_user{name, "again", true, {}};
      else
        for (const auto& [id, u] : back)
          if (u["userName"] == name)
            users[id] = expected_user{name, u["name"].value("givenName", ""), u.value("active", true), {}};
    }
    unacked_names.clear();
    CHECK(query_text(f.d.db_path(), "SELECT user_name FROM users GROUP BY user_name COLLATE NOCASE "
                                    "HAVING count(*) > 1")
            .empty());
    auto total = c->get("/scim/v2/Users?count=0");
    REQUIRE(total.status == 200);
    CHECK(total.json_body()["totalResults"] == users.size());
  }
}
