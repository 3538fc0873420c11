// The SQLite reader: directory scoping (S9), filtered/sorted/paged queries,
// membership views, and WAL snapshots across the writer's commits.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include <sqlite3.h>

#include "persistence/sqlite.hpp"
#include "persistence/store.hpp"
#include "temp_db.hpp"
#include "scim/filter.hpp"

namespace fs = std::filesystem;
using namespace dirsync::persistence;
using dirsync::scim::error_code;

namespace {

// A migrated database holding users/groups of two directories, dA and dB.
struct reader_fixture : dirsync::test::temp_db {
  reader_fixture() : temp_db("reader") {
    seed();
  }

  static user_row user(std::string id, std::string d, std::string name, std::string display) {
    user_row u;
    u.id = std::move(id);
    u.directory_id = std::move(d);
    u.user_name = std::move(name);
    u.display_name = std::move(display);
    u.created = "2026-01-01T00:00:00.000Z";
    u.last_modified = u.created;
    u.resource = nlohmann::json{{"userName", u.user_name}, {"displayName", *u.display_name}}.dump();
    return u;
  }

  static group_row group(std::string id, std::string d, std::string name) {
    group_row g;
    g.id = std::move(id);
    g.directory_id = std::move(d);
    g.display_name = std::move(name);
    g.created = "2026-01-01T00:00:00.000Z";
    g.last_modified = g.created;
    g.resource = nlohmann::json{{"displayName", g.display_name}}.dump();
    return g;
  }

  template <class F>
  void commit_one(F f) {
    REQUIRE(w->begin_batch() == "");
    w->begin_op();
    auto res = f(*w);
    REQUIRE(res);
    w->end_op(true);
    REQUIRE(w->commit_batch() == "");
  }

  // dA: carol, alice, erin, bob, dave (insertion order); dB: zed.
  void seed() {
    commit_one([](writer& wr) { return wr.insert_user(user("a3", "dA", "carol", "Carol C")); });
    commit_one([](writer& wr) { return wr.insert_user(user("a1", "dA", "Alice", "Alice A")); });
    commit_one([](writer& wr) { return wr.insert_user(user("a5", "dA", "erin", "Erin E")); });
    commit_one([](writer& wr) { return wr.insert_user(user("a2", "dA", "bob", "Bob B")); });
    commit_one([](writer& wr) { return wr.insert_user(user("a4", "dA", "dave", "Dave D")); });
    commit_one([](writer& wr) { return wr.insert_user(user("b1", "dB", "zed", "Zed Z")); });
    commit_one([](writer& wr) { return wr.insert_group(group("gA", "dA", "Staff"), {"a1", "a2"}); });
    commit_one([](writer& wr) { return wr.insert_group(group("gA2", "dA", "Admins"), {"a1"}); });
    commit_one([](writer& wr) { return wr.insert_group(group("gB", "dB", "Staff"), {"b1"}); });
  }

  std::vector<std::string> names(const list_query& q, const std::string& d = "dA") {
    auto page = r->find_users(d, q);
    REQUIRE(page);
    std::vector<std::string> out;
    for (auto& u : page->rows)
      out.push_back(u.user_name);
    return out;
  }
};

dirsync::scim::filter_ptr filter(const char* text) {
  auto f = dirsync::scim::parse_filter(text);
  REQUIRE(f);
  return *f;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE_METHOD(reader_fixture, "reads are scoped by directory (S9)", "[persistence]") {
  CHECK(r->user("dA", "a1"));
  CHECK_FALSE(r->user("dB", "a1"));
  CHECK_FALSE(r->user("dA", "b1"));
  CHECK(r->group("dA", "gA"));
  CHECK_FALSE(r->group("dB", "gA"));
  CHECK(names({}, "dB") == strings{"zed"});

  list_query q;
  q.filter = filter(R"(userName eq "zed")");
  auto page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->total == 0);
  CHECK(page->rows.empty());

  auto groups = r->find_groups("dB", {});
  REQUIRE(groups);
  REQUIRE(groups->total == 1);
  CHECK(groups->rows[0].id == "gB");
  CHECK_FALSE(r->user("", "a1"));
}

TEST_CASE_METHOD(reader_fixture, "find_users filters userName eq case-insensitively", "[persistence]") {
  list_query q;
  q.filter = filter(R"(userName eq "ALICE")");
  auto page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->total == 1);
  REQUIRE(page->rows.size() == 1);
  CHECK(page->rows[0].id == "a1");
  CHECK(page->rows[0].user_name == "Alice");

  q.filter = filter(R"(userName sw "A" or displayName co "ave")");
  CHECK(names(q) == strings{"Alice", "dave"});

  q.filter = filter(R"(members.value eq "a1")");
  auto groups = r->find_groups("dA", q);
  REQUIRE(groups);
  CHECK(groups->total == 2);
}

TEST_CASE_METHOD(reader_fixture, "paging returns a window and the total", "[persistence]") {
  list_query q;
  CHECK(names(q) == strings{"carol", "Alice", "erin", "bob", "dave"});
  q.offset = 1;
  q.limit = 2;
  auto page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->total == 5);
  CHECK(names(q) == strings{"Alice", "erin"});

  q.offset = 4;
  CHECK(names(q) == strings{"dave"});
  // A short last page gives the total without a count; it must be the same.
  page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->total == 5);
  q.offset = 3;
  q.limit = 10;
  page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->rows.size() == 2);
  CHECK(page->total == 5);
  q.offset = 0;
  page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->rows.size() == 5);
  CHECK(page->total == 5);
  q.limit = 2;
  q.offset = 5;
  page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->total == 5);
  CHECK(page->rows.empty());
  q.offset = 0;
  q.limit = 0;
  page = r->find_users("dA", q);
  REQUIRE(page);
  CHECK(page->total == 5);
  CHECK(page->rows.empty());
}

TEST_CASE_METHOD(reader_fixture, "sort_by orders ascending and descending", "[persistence]") {
  list_query q;
  q.sort_by = "userName";
  CHECK(names(q) == strings{"Alice", "bob", "carol", "dave", "erin"});
  q.descending = true;
  CHECK(names(q) == strings{"erin", "dave", "carol", "bob", "Alice"});
  q.offset = 1;
  q.limit = 2;
  CHECK(names(q) == strings{"dave", "carol"});

  list_query d;
  d.sort_by = "displayName";
  CHECK(names(d) == strings{"Alice", "bob", "carol", "dave", "erin"});

  list_query bad;
  bad.sort_by = "noSuchAttribute";
  auto page = r->find_users("dA", bad);
  REQUIRE_FALSE(page);
  CHECK(page.err().code == error_code::invalid_path);
}

TEST_CASE_METHOD(reader_fixture, "members_of_group and groups_of_user", "[persistence]") {
  auto members = r->members_of_group("gA");
  CHECK(members == std::vector<member_row>{{"a1", "Alice"}, {"a2", "bob"}});
  CHECK(r->members_of_group("gB") == std::vector<member_row>{{"b1", "zed"}});
  CHECK(r->members_of_group("nope").empty());
  CHECK(r->groups_of_user("a1") == std::vector<member_row>{{"gA", "Staff"}, {"gA2", "Admins"}});
  CHECK(r->groups_of_user("a3").empty());
}

TEST_CASE_METHOD(reader_fixture, "a reader sees only committed writes (WAL snapshot)", "[persistence]") {
  // Read first, so cached statements exist on the reader's connection.
  CHECK(names({}).size() == 5);
  CHECK_FALSE(r->user("dA", "n1"));
  CHECK(r->members_of_group("gA").size() == 2);

  REQUIRE(w->begin_batch() == "");
  w->begin_op();
  REQUIRE(w->insert_user(user("n1", "dA", "newbie", "New N")));
  REQUIRE(w->change_members("dA", "gA", {{"n1"}, {"a2"}, false}));
  w->end_op(true);

  // Uncommitted: invisible to the reader, whatever it reads.
  CHECK_FALSE(r->user("dA", "n1"));
  CHECK(names({}).size() == 5);
  CHECK(r->members_of_group("gA") == std::vector<member_row>{{"a1", "Alice"}, {"a2", "bob"}});

  REQUIRE(w->commit_batch() == "");

  // Committed: visible through the very statements used before.
  auto n1 = r->user("dA", "n1");
  REQUIRE(n1);
  CHECK(n1->user_name == "newbie");
  CHECK(names({}).size() == 6);
  CHECK(r->members_of_group("gA") == std::vector<member_row>{{"a1", "Alice"}, {"n1", "newbie"}});

  // A second reader opened now agrees.
  std::string err;
  auto r2 = db->open_reader(err);
  REQUIRE(r2);
  CHECK(r2->user("dA", "n1"));
  CHECK(r2->ping());
}

TEST_CASE_METHOD(reader_fixture, "a reader does not see a rolled-back batch", "[persistence]") {
  CHECK(r->ping());
  REQUIRE(w->begin_batch() == "");
  w->begin_op();
  REQUIRE(w->delete_user("dA", "a1"));
  w->end_op(true);
  CHECK(r->user("dA", "a1"));
  w->rollback_batch();
  CHECK(r->user("dA", "a1"));
  CHECK(r->groups_of_user("a1").size() == 2);
}

TEST_CASE_METHOD(reader_fixture, "directory_by_token_hash and directories", "[persistence]") {
  directory_row d;
  d.id = "dA";
  d.type = "generic";
  d.name = "Generic";
  d.state = "active";
  d.token_hash = "hash-a";
  d.created = "2026-01-01T00:00:00.000Z";
  commit_one([&](writer& wr) { return wr.insert_directory(d); });
  directory_row e = d;
  e.id = "dB";
  e.token_hash.clear();
  e.state = "draft";
  e.created = "2026-01-02T00:00:00.000Z";
  commit_one([&](writer& wr) { return wr.insert_directory(e); });

  CHECK(r->directory_by_token_hash("hash-a")->id == "dA");
  CHECK_FALSE(r->directory_by_token_hash(""));
  CHECK(r->directory("dB")->token_hash.empty());
  CHECK_FALSE(r->directory("dC"));
  auto all = r->directories();
  REQUIRE(all.size() == 2);
  CHECK(all[0].id == "dA");
  CHECK(all[1].id == "dB");
}

TEST_CASE_METHOD(reader_fixture, "a snapshot sees one committed state until it ends, then the newest",
                 "[persistence]") {
  {
    snapshot scope{*r};
    REQUIRE(r->user("dA", "a1"));
    // Committed meanwhile: a user gone and a new one.
    commit_one([](writer& wr) { return wr.delete_user("dA", "a1"); });
    commit_one([](writer& wr) { return wr.insert_user(user("n1", "dA", "newbie", "N")); });
    CHECK(r->user("dA", "a1"));
    CHECK(!r->user("dA", "n1"));
    CHECK(r->groups_of_user("a1").size() == 2);
    CHECK(names({}).size() == 5);
  }
  CHECK(!r->user("dA", "a1"));
  CHECK(r->user("dA", "n1"));
  CHECK(names({}).size() == 5);

  // Ended even when the work inside throws, so no reader stays on an old
  // state; a second begin without an end does not pin one either.
  try {
    snapshot scope{*r};
    REQUIRE(r->user("dA", "n1"));
    throw std::runtime_error("job failed");
  } catch (const std::runtime_error&) {
  }
  r->begin_snapshot();
  REQUIRE(r->user("dA", "n1"));
  commit_one([](writer& wr) { return wr.delete_user("dA", "n1"); });
  r->begin_snapshot();
  CHECK(!r->user("dA", "n1"));
  r->end_snapshot();
  commit_one([](writer& wr) { return wr.insert_user(user("n2", "dA", "second", "S")); });
  CHECK(r->user("dA", "n2"));
}

TEST_CASE_METHOD(reader_fixture, "a renewed snapshot is kept while nothing is committed, and renewed after a commit "
                                 "or after its job bound", "[persistence]") {
  // Kept: two jobs in a row see the same state, and a commit of this
  // process between them is seen by the second (read-your-writes).
  r->renew_snapshot(3);
  REQUIRE(r->user("dA", "a1"));
  auto before = commit_count();
  commit_one([](writer& wr) { return wr.delete_user("dA", "a1"); });
  CHECK(commit_count() > before);
  CHECK(r->user("dA", "a1")); // still this job's snapshot
  r->renew_snapshot(3);
  CHECK(!r->user("dA", "a1"));

  // A write the process did not make (here: a connection outside the
  // persistence layer, as another process would be) is seen once the
  // snapshot has served its bound of jobs.
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open_v2((dir / "dirsync.db").string().c_str(), &other, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "UPDATE users SET display_name = 'Bob Outside' WHERE id = 'a2'", nullptr, nullptr,
                       nullptr) == SQLITE_OK);
  sqlite3_close(other);
  auto display = [&] { return r->user("dA", "a2")->display_name.value_or(""); };
  CHECK(display() == "Bob B"); // job 1 of the renewed snapshot
  r->renew_snapshot(3);
  CHECK(display() == "Bob B"); // job 2
  r->renew_snapshot(3);
  CHECK(display() == "Bob B"); // job 3
  r->renew_snapshot(3);
  CHECK(display() == "Bob Outside"); // bound reached: a new snapshot
  r->end_snapshot();
}

TEST_CASE_METHOD(reader_fixture, "the writer's commits still checkpoint the WAL once it holds 1,000 frames",
                 "[persistence]") {
  // dirsync counts commits with SQLite's WAL hook, which replaces SQLite's
  // own automatic checkpoint: without one the WAL would grow with every
  // commit. About 40 pages per commit, 100 commits: 4,000 frames written.
  const std::string big(4000, 'x');
  for (int c = 0; c < 100; ++c)
    commit_one([&](writer& wr) -> dirsync::scim::expected<dirsync::scim::unit> {
      for (int i = 0; i < 10; ++i) {
        auto id = "w" + std::to_string(c) + "-" + std::to_string(i);
        auto u = user(id, "dA", id, big);
        if (auto ok = wr.insert_user(u); !ok)
          return ok;
      }
      return dirsync::scim::unit{};
    });
  auto wal = fs::file_size(dir / "dirsync.db-wal");
  CHECK(wal < 1500 * 4096);
  CHECK(r->managed_counts("dA").first == 5 + 1000);
}

TEST_CASE_METHOD(reader_fixture, "a job's snapshot is kept for the next job only when asked, and ended when the job "
                                 "throws", "[persistence]") {
  // Kept: the next job shares it (a write outside the process stays unseen).
  auto outside = [&](const char* display) {
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open_v2((dir / "dirsync.db").string().c_str(), &other, SQLITE_OPEN_READWRITE, nullptr) ==
            SQLITE_OK);
    auto sql = std::string{"UPDATE users SET display_name = '"} + display + "' WHERE id = 'a2'";
    REQUIRE(sqlite3_exec(other, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
  };
  auto display = [&] { return r->user("dA", "a2")->display_name.value_or(""); };
  {
    snapshot job{*r, 32};
    CHECK(display() == "Bob B");
    job.keep();
  }
  outside("One");
  {
    snapshot job{*r, 32};
    CHECK(display() == "Bob B"); // the kept snapshot
  }
  // Not kept: the next job reads the newest state.
  {
    snapshot job{*r, 32};
    CHECK(display() == "One");
  }
  outside("Two");
  // A job that throws ends its snapshot, kept or not.
  try {
    snapshot job{*r, 32};
    CHECK(display() == "Two");
    job.keep();
    outside("Three");
    throw std::runtime_error("job failed");
  } catch (const std::runtime_error&) {
  }
  snapshot job{*r, 32};
  CHECK(display() == "Three");
}

namespace {

// Mappings of `path` in this process (/proc/self/maps).
int mappings_of(const std::string& path) {
  std::ifstream maps{"/proc/self/maps"};
  int n = 0;
  for (std::string line; std::getline(maps, line);)
    if (line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0)
      ++n;
  return n;
}

} // namespace

TEST_CASE("read_mmap_bytes: a reader maps the database only when asked, and reads each commit through it",
          "[persistence]") {
  for (std::int64_t bytes : {std::int64_t{0}, std::int64_t{1} << 20}) {
    CAPTURE(bytes);
    sqlite_options o;
    o.read_mmap_bytes = bytes;
    dirsync::test::temp_db t{"mmap", o};
    auto& w = t.w;
    auto& r = t.r;
    auto commit_user = [&](const char* id, const char* name) {
      REQUIRE(w->begin_batch() == "");
      w->begin_op();
      REQUIRE(w->insert_user(reader_fixture::user(id, "dA", name, name)));
      w->end_op(true);
      REQUIRE(w->commit_batch() == "");
    };
    commit_user("u1", "first");
    // Checkpointed: the pages are read from the database file, not the WAL.
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open_v2(t.folder.db().c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    CHECK(sqlite3_exec(raw, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
    auto first = r->user("dA", "u1");
    REQUIRE(first);
    CHECK(first->user_name == "first");
    CHECK((mappings_of(t.folder.db()) > 0) == (bytes > 0));
    // A commit after the reader mapped the file: the next read sees it.
    commit_user("u2", "second");
    auto second = r->user("dA", "u2");
    REQUIRE(second);
    CHECK(second->user_name == "second");
    CHECK(r->user("dA", "u1"));
  }
}
