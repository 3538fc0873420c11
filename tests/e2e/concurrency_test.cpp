// Concurrent clients against the real daemon: PATCHes of one group lose no
// member; racing creates of one userName give one 201 and the rest 409
// (issue 3, SPEC S4, S6, S8).

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

namespace {

constexpr int threads = 8;

} // namespace

TEST_CASE("S4 8 clients PATCH-adding 25 members each to one group lose no member", "[e2e][concurrency]") {
  fixture f{"okta"};
  auto& c = *f.c;
  std::vector<std::string> users;
  for (int i = 0; i < threads * 25; ++i)
    users.push_back(create_user(c, "m" + std::to_string(i) + "@example.com"));
  auto gid = create_group(c, "Crowd");
  const auto url = "/scim/v2/Groups/" + gid;

  std::vector<int> failures(threads, 0);
  std::vector<std::string> first_error(threads);
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      client mine{f.d.port()};
      mine.set_token(f.dir.token);
      ready.fetch_add(1);
      while (ready.load() < threads) // bounded: all threads start at once
        std::this_thread::yield();
      for (int i = 0; i < 25; ++i) {
        const auto& uid = users[static_cast<std::size_t>(t * 25 + i)];
        auto r = mine.patch(url, patch_body(json::array({{{"op", "add"}, {"path", "members"},
                                                           {"value", json::array({{{"value", uid}}})}}})));
        if (r.status != 204) {
          if (failures[static_cast<std::size_t>(t)]++ == 0)
            first_error[static_cast<std::size_t>(t)] = std::to_string(r.status) + " " + r.body + r.error;
        }
      }
    });
  for (auto& th : pool)
    th.join();
  for (int t = 0; t < threads; ++t) {
    INFO("thread " << t << ": " << first_error[static_cast<std::size_t>(t)]);
    CHECK(failures[static_cast<std::size_t>(t)] == 0);
  }
  auto g = c.get(url);
  REQUIRE(g.status == 200);
  auto gj = g.json_body();
  REQUIRE(gj.contains("members"));
  CHECK(gj["members"].size() == static_cast<std::size_t>(threads * 25));
  std::set<std::string> got;
  for (const auto& m : gj["members"])
    got.insert(m["value"].get<std::string>());
  CHECK(got == std::set<std::string>(users.begin(), users.end()));
}

TEST_CASE("S6 8 clients creating the same userName: exactly one 201 and seven 409", "[e2e][concurrency]") {
  fixture f{"entra"};
  std::vector<int> statuses(threads, 0);
  std::vector<std::string> bodies(threads);
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      client mine{f.d.port()};
      mine.set_token(f.dir.token);
      mine.get("/healthz"); // connect before the race (no Catch2 assertion off the main thread)
      ready.fetch_add(1);
      while (ready.load() < threads)
        std::this_thread::yield();
      // Different letter case: uniqueness is case-insensitive.
      auto name = std::string{t % 2 ? "Racer@Example.com" : "racer@example.com"};
      auto r = mine.post("/scim/v2/Users", user_body(name, {{"externalId", "t" + std::to_string(t)}}));
      statuses[static_cast<std::size_t>(t)] = r.status;
      bodies[static_cast<std::size_t>(t)] = r.body + r.error;
    });
  for (auto& th : pool)
    th.join();
  int created = 0, conflicts = 0;
  for (int t = 0; t < threads; ++t) {
    INFO("thread " << t << ": " << statuses[static_cast<std::size_t>(t)] << " " << bodies[static_cast<std::size_t>(t)]);
    auto s = statuses[static_cast<std::size_t>(t)];
    CHECK((s == 201 || s == 409));
    created += s == 201;
    conflicts += s == 409;
    if (s == 409)
      CHECK(json::parse(bodies[static_cast<std::size_t>(t)], nullptr, false).value("scimType", "") == "uniqueness");
  }
  CHECK(created == 1);
  CHECK(conflicts == threads - 1);
  auto list = f.c->get("/scim/v2/Users?filter=" + url_encode("userName eq \"racer@example.com\""));
  REQUIRE(list.status == 200);
  CHECK(list.json_body()["totalResults"] == 1);
}

TEST_CASE("O5 S8 SIGTERM under load: exit 0 and every acknowledged create is kept", "[e2e][concurrency]") {
  fixture f{"okta"};
  const auto port = f.d.port();
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<int> created{0};
  std::atomic<bool> stop_now{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t)
    pool.emplace_back([&, t] {
      client mine{port};
      mine.set_token(f.dir.token);
      for (int i = 0; i < 200 && !stop_now.load(); ++i) {
        auto r = mine.post("/scim/v2/Users", user_body("load" + std::to_string(t) + "-" + std::to_string(i) + "@example.com"));
        if (r.status == 201) {
          std::lock_guard lock(mu);
          acknowledged.push_back(json::parse(r.body)["id"].get<std::string>());
          created.fetch_add(1);
        } else if (r.status == 0) {
          return; // the daemon has stopped listening
        }
      }
    });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (created.load() < 40 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield(); // polling for the load to be under way
  int code = f.d.stop();
  stop_now = true;
  for (auto& th : pool)
    th.join();
  CHECK(code == 0);
  INFO(acknowledged.size() << " creates acknowledged");
  REQUIRE(acknowledged.size() >= 40);
  f.d.start();
  client after{f.d.port()};
  after.set_token(f.dir.token);
  auto list = after.get("/scim/v2/Users?count=1000&attributes=id");
  REQUIRE(list.status == 200);
  auto ids = resource_ids(list.json_body());
  std::set<std::string> stored(ids.begin(), ids.end());
  int missing = 0;
  for (const auto& id : acknowledged)
    missing += stored.count(id) == 0;
  CHECK(missing == 0);
}
