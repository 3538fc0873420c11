// Versioned migrations in PRAGMA user_version: fresh database, upgrade from
// an older version, idempotence, and refusal of a newer schema.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "persistence/migrations.hpp"
#include "persistence/sqlite.hpp"
#include "persistence/store.hpp"
#include "temp_db.hpp"

namespace fs = std::filesystem;
using namespace dirsync::persistence;

namespace {

// A fresh directory per test, removed with everything in it.
struct migration_dir : dirsync::test::temp_folder {
  migration_dir() : temp_folder("mig") {
  }
};

bool table_exists(connection& c, const std::string& name) {
  auto st = c.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  REQUIRE(st != nullptr);
  st->bind(1, std::string_view{name});
  return st->step();
}

std::int64_t count_rows(connection& c, const std::string& table) {
  auto st = c.prepare("SELECT count(*) FROM " + table);
  REQUIRE(st != nullptr);
  REQUIRE(st->step());
  return st->integer(0);
}

int latest() {
  return all_migrations().back().version;
}

} // namespace

TEST_CASE("migrations are numbered from 1 without gaps", "[persistence]") {
  const auto& list = all_migrations();
  REQUIRE_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) {
    CHECK(list[i].version == static_cast<int>(i) + 1);
    CHECK(list[i].sql != nullptr);
  }
}

TEST_CASE("an empty database migrates to the latest version", "[persistence]") {
  migration_dir tmp;
  connection c{tmp.db(), false};
  REQUIRE(c.ok());
  CHECK(schema_version(c) == 0);
  CHECK(migrate(c) == "");
  CHECK(schema_version(c) == latest());
  for (const char* t : {"directories", "users", "groups", "group_members", "admins", "admin_actions"})
    CHECK(table_exists(c, t));
}

TEST_CASE("the backend migrates a new file and reopens it idempotently", "[persistence]") {
  migration_dir tmp;
  auto path = (tmp.dir / "nested" / "dirsync.db").string();
  {
    auto db = make_sqlite_backend({path, "full"});
    CHECK(db->migrate() == "");
  }
  CHECK(fs::exists(path));
  auto again = make_sqlite_backend({path, "full"});
  CHECK(again->migrate() == "");
  connection c{path, true};
  CHECK(schema_version(c) == latest());
}

TEST_CASE("the backend refuses an in-memory database", "[persistence]") {
  auto db = make_sqlite_backend({":memory:", "full"});
  std::string err;
  CHECK(db->open_writer(err) == nullptr);
  CHECK(err.find("must name a file") != std::string::npos);
  CHECK(db->open_reader(err) == nullptr);
}

TEST_CASE("a database at the previous version is upgraded and keeps its data", "[persistence]") {
  migration_dir tmp;
  connection c{tmp.db(), false};
  REQUIRE(c.ok());
  const int previous = latest() - 1;

  // A target of 0 applies nothing.
  CHECK(migrate(c, 0) == "");
  CHECK(schema_version(c) == 0);
  CHECK_FALSE(table_exists(c, "users"));

  // Build v1 explicitly and put data in it.
  CHECK(migrate(c, 1) == "");
  CHECK(schema_version(c) == 1);
  REQUIRE(c.exec("INSERT INTO users(id, directory_id, user_name, created, last_modified, resource) "
                 "VALUES('u1', 'd1', 'alice', 't', 't', '{}')")
          == SQLITE_OK);

  // Then the version just below the latest, when there is one above v1.
  if (previous > 1) {
    CHECK(migrate(c, previous) == "");
    CHECK(schema_version(c) == previous);
  }

  CHECK(migrate(c) == "");
  CHECK(schema_version(c) == latest());
  CHECK(count_rows(c, "users") == 1);

  // Migrating a current database again is a no-op that keeps the data.
  CHECK(migrate(c) == "");
  CHECK(migrate(c, 1) == "");
  CHECK(schema_version(c) == latest());
  CHECK(count_rows(c, "users") == 1);
}

TEST_CASE("a database newer than the binary is refused with a clear message", "[persistence]") {
  migration_dir tmp;
  const int newer = latest() + 1;
  {
    connection c{tmp.db(), false};
    REQUIRE(c.ok());
    REQUIRE(migrate(c) == "");
    REQUIRE(c.exec("PRAGMA user_version = " + std::to_string(newer)) == SQLITE_OK);
  }
  connection c{tmp.db(), false};
  auto err = migrate(c);
  CHECK(err.find("newer than this binary") != std::string::npos);
  CHECK(err.find(std::to_string(newer)) != std::string::npos);
  CHECK(err.find(std::to_string(latest())) != std::string::npos);
  CHECK(schema_version(c) == newer); // untouched

  auto db = make_sqlite_backend({tmp.db(), "full"});
  CHECK(db->migrate() == err);
}

TEST_CASE("a failing migration leaves the version unchanged", "[persistence]") {
  migration_dir tmp;
  connection c{tmp.db(), false};
  REQUIRE(c.ok());
  // A clashing table makes v1's CREATE TABLE fail; its transaction rolls back.
  REQUIRE(c.exec("CREATE TABLE users(x)") == SQLITE_OK);
  auto err = migrate(c);
  CHECK(err.find("migration 1 failed") != std::string::npos);
  CHECK(schema_version(c) == 0);
  CHECK_FALSE(table_exists(c, "directories"));
}

TEST_CASE("v4 fills each existing user's admin attributes from what it was pushed (D3)", "[persistence]") {
  migration_dir tmp;
  connection c{tmp.db(), false};
  REQUIRE(c.ok());
  REQUIRE(migrate(c, 3) == "");
  REQUIRE(c.exec(R"(INSERT INTO users(id, directory_id, user_name, created, last_modified, resource) VALUES
    ('u1', 'd1', 'ada', 't', 't', '{"emails":[{"value":"home@x.org"},{"value":"work@x.org","primary":true}],
      "name":{"givenName":"Ada","familyName":"Lovelace"},"displayName":"Countess"}'),
    ('u2', NULL, 'bob', 't', 't', '{"userName":"bob"}'))")
          == SQLITE_OK);
  REQUIRE(migrate(c) == "");
  auto st = c.prepare("SELECT attributes FROM users ORDER BY id");
  REQUIRE(st->step());
  auto ada = nlohmann::json::parse(st->text(0));
  CHECK(ada["email"] == "work@x.org");
  CHECK(ada["first_name"] == "Ada");
  CHECK(ada["last_name"] == "Lovelace");
  CHECK(ada["display_name"] == "Countess");
  REQUIRE(st->step());
  auto bob = nlohmann::json::parse(st->text(0));
  CHECK(bob["email"] == "");
  CHECK(count_rows(c, "outbox") == 0);
  CHECK(count_rows(c, "enrollments") == 0);
}
