// Online backup and restore (issue 7): a copy taken under load holds every
// write answered before the backup started, and restores by file copy.

#include <atomic>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

TEST_CASE("backup under load, then restore: every write answered before it is there", "[e2e][backup]") {
  fixture f{"okta"};
  std::vector<std::string> before;
  for (int i = 0; i < 40; ++i)
    before.push_back(create_user(*f.c, "before" + std::to_string(i) + "@example.com"));

  // Keep writing on another connection while the backup runs.
  std::atomic<bool> stop{false};
  std::atomic<int> during{0};
  std::thread writer{[&] {
    auto c = f.d.connect();
    c->set_token(f.dir.token);
    for (int i = 0; i < 2000 && !stop; ++i)
      if (c->post("/scim/v2/Users", user_body("during" + std::to_string(i) + "@example.com")).status == 201)
        ++during;
  }};
  while (during < 5)
    std::this_thread::yield();
  auto copy = f.d.data_dir() + "/backup.db";
  auto result = run_dirsyncd({"backup", copy, "--storage.path", f.d.db_path()});
  stop = true;
  writer.join();
  INFO(result.out);
  REQUIRE(result.exit_code == 0);
  REQUIRE(std::filesystem::exists(copy));
  CHECK_FALSE(std::filesystem::exists(copy + ".partial"));

  // Restore: stop, put the copy in place of the database, start again.
  REQUIRE(f.d.stop() == 0);
  for (auto suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(f.d.db_path() + suffix);
  std::filesystem::copy_file(copy, f.d.db_path());
  f.d.start();
  auto c = f.d.connect();
  c->set_token(f.dir.token);
  for (const auto& id : before)
    CHECK(c->get("/scim/v2/Users/" + id).status == 200);
  // Writes during the backup are wholly in or wholly out, never half.
  auto list = c->get("/scim/v2/Users?count=0");
  REQUIRE(list.status == 200);
  auto total = list.json_body().at("totalResults").get<int>();
  CHECK(total >= 40);
  CHECK(total <= 40 + during.load());
}

TEST_CASE("backup of a missing database fails with a clear message", "[e2e][backup]") {
  auto result = run_dirsyncd({"backup", "/tmp/never-written.db", "--storage.path", "/nonexistent/dirsync.db"});
  CHECK(result.exit_code != 0);
  CHECK(result.err.find("no database") != std::string::npos);
}
