// The WAL-coalescing VFS (issue 6): a commit's frames reach the file in a
// few writes, and every byte SQLite wrote is in the file before anyone can
// read it: this connection after a spill, another one after a commit, a
// checkpoint, a reopen.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

#include "persistence/sqlite.hpp"
#include "persistence/store.hpp"
#include "persistence/wal_vfs.hpp"
#include "temp_db.hpp"

using namespace dirsync::persistence;

namespace {

struct wal_dir : dirsync::test::temp_folder {
  wal_dir() : temp_folder("walvfs") {
  }
};

std::int64_t scalar(connection& c, const std::string& sql) {
  auto st = c.prepare(sql);
  REQUIRE(st != nullptr);
  REQUIRE(st->step());
  return st->integer(0);
}

std::string text(connection& c, const std::string& sql) {
  auto st = c.prepare(sql);
  REQUIRE(st != nullptr);
  REQUIRE(st->step());
  return st->text(0);
}

// A writer through the VFS at `sync` level, and a plain reader.
struct pair_of_connections {
  connection w;
  connection r;
  pair_of_connections(const std::string& path, const std::string& sync)
    : w(path, false, wal_vfs_name()), r(path, false) {
    REQUIRE(w.ok());
    REQUIRE(w.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = " + sync
                   + "; CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT NOT NULL);"
                   + "CREATE INDEX t_v ON t(v);")
            == SQLITE_OK);
    REQUIRE(r.ok());
  }
  // Inserts rows [from, to) with 300-byte values in one transaction.
  void insert(int from, int to) {
    REQUIRE(w.exec("BEGIN") == SQLITE_OK);
    for (int k = from; k < to; ++k) {
      auto st = w.prepare("INSERT INTO t(k, v) VALUES(?, ?)");
      REQUIRE(st != nullptr);
      st->bind(1, std::int64_t{k});
      st->bind(2, std::string_view{std::to_string(k * 7919 % 100003) + std::string(300, 'x')});
      st->step();
      REQUIRE(st->last_code() == SQLITE_DONE);
    }
    REQUIRE(w.exec("COMMIT") == SQLITE_OK);
  }
};

} // namespace

TEST_CASE("wal vfs: each commit is in the file, whole, before another connection can read it", "[wal_vfs]") {
  for (std::string sync : {"normal", "full"}) {
    DYNAMIC_SECTION("synchronous = " << sync) {
      wal_dir d;
      pair_of_connections c{d.db(), sync};
      int rows = 0;
      // Commits from one page up to ~1.5 MiB of frames: more than one
      // 124 KiB write each, which SQLite's default VFS could not take whole.
      // The last one outgrows the page cache: pages spill to the WAL before
      // the commit, which then writes them again in place, one by one.
      for (int n : {1, 10, 100, 1000, 5000}) {
        auto before = wal_vfs_stats();
        c.insert(rows, rows + n);
        rows += n;
        auto after = wal_vfs_stats();
        CHECK(scalar(c.r, "SELECT count(*) FROM t") == rows);
        CHECK(scalar(c.r, "SELECT count(*) FROM t INDEXED BY t_v WHERE v > ''") == rows);
        // Two writes per frame were asked for; one per 124 KiB went out.
        auto asked = after.asked - before.asked;
        auto written = after.written - before.written;
        CHECK(asked >= 4);
        if (n <= 1000)
          CHECK(written <= 1 + asked / 2 * (4096 + 24) / (124 * 1024));
        else
          CHECK(written < asked);
      }
      CHECK(text(c.r, "PRAGMA integrity_check") == "ok");
    }
  }
}

TEST_CASE("wal vfs: pages spilled in the middle of a transaction read back, and go with a rollback", "[wal_vfs]") {
  wal_dir d;
  pair_of_connections c{d.db(), "normal"};
  // A page cache of 10 pages: a big transaction writes frames before its
  // commit and reads them back from the WAL.
  REQUIRE(c.w.exec("PRAGMA cache_size = 10") == SQLITE_OK);
  c.insert(0, 3000);
  CHECK(scalar(c.w, "SELECT count(*) FROM t") == 3000);
  CHECK(scalar(c.r, "SELECT count(*) FROM t") == 3000);

  REQUIRE(c.w.exec("BEGIN") == SQLITE_OK);
  REQUIRE(c.w.exec("UPDATE t SET v = v || 'y'") == SQLITE_OK);
  // Read inside the transaction, through pages that went to the WAL.
  CHECK(scalar(c.w, "SELECT count(*) FROM t WHERE v LIKE '%y'") == 3000);
  REQUIRE(c.w.exec("ROLLBACK") == SQLITE_OK);
  CHECK(scalar(c.w, "SELECT count(*) FROM t WHERE v LIKE '%y'") == 0);
  CHECK(scalar(c.r, "SELECT count(*) FROM t WHERE v LIKE '%y'") == 0);

  c.insert(3000, 3100);
  CHECK(scalar(c.r, "SELECT count(*) FROM t") == 3100);
  CHECK(text(c.w, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("wal vfs: checkpoints and a restarted WAL keep every commit, also after reopening", "[wal_vfs]") {
  wal_dir d;
  std::int64_t sum = 0;
  {
    pair_of_connections c{d.db(), "full"};
    for (int round = 0; round < 6; ++round) {
      c.insert(round * 400, round * 400 + 400);
      // Copies the WAL into the database; the next commit restarts the WAL
      // from its start (a new header, then frames over the old ones).
      REQUIRE(c.w.exec(round % 2 == 0 ? "PRAGMA wal_checkpoint(RESTART)" : "PRAGMA wal_checkpoint(PASSIVE)")
              == SQLITE_OK);
      CHECK(scalar(c.r, "SELECT count(*) FROM t") == (round + 1) * 400);
    }
    sum = scalar(c.r, "SELECT sum(length(v)) FROM t");
  }
  // Reopened without the VFS: what the file holds is what was committed.
  connection again{d.db(), false};
  REQUIRE(again.ok());
  CHECK(scalar(again, "SELECT count(*) FROM t") == 2400);
  CHECK(scalar(again, "SELECT sum(length(v)) FROM t") == sum);
  CHECK(text(again, "PRAGMA integrity_check") == "ok");
}

TEST_CASE("wal vfs: the back end's writer goes through it unless coalesce_wal_writes is off", "[wal_vfs]") {
  for (bool coalesce : {true, false}) {
    DYNAMIC_SECTION("coalesce_wal_writes = " << coalesce) {
      wal_dir d;
      sqlite_options opts;
      opts.path = d.db();
      opts.coalesce_wal_writes = coalesce;
      auto db = make_sqlite_backend(opts);
      REQUIRE(db->migrate() == "");
      std::string err;
      auto w = db->open_writer(err);
      REQUIRE(w);
      auto before = wal_vfs_stats();
      REQUIRE(w->begin_batch() == "");
      directory_row dir;
      dir.id = "dA";
      dir.type = "okta";
      dir.name = "A";
      dir.state = "active";
      dir.created = "2026-01-01T00:00:00.000Z";
      REQUIRE(w->insert_directory(dir));
      REQUIRE(w->commit_batch() == "");
      auto after = wal_vfs_stats();
      CHECK((after.asked > before.asked) == coalesce);
      auto r = db->open_reader(err);
      REQUIRE(r);
      CHECK(r->directory("dA"));
    }
  }
}

TEST_CASE("wal vfs: SQLite keeps no memory statistics, whichever comes first", "[wal_vfs]") {
  // Registering the VFS initializes SQLite; the statistics (a process-wide
  // mutex around every sqlite3_malloc) must be off before that happens.
  wal_vfs_name();
  wal_dir d;
  connection c{d.db(), false, wal_vfs_name()};
  REQUIRE(c.ok());
  REQUIRE(c.exec("CREATE TABLE t(v); INSERT INTO t VALUES(randomblob(100000));") == SQLITE_OK);
  sqlite3_int64 used = -1, highest = -1;
  REQUIRE(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &highest, 0) == SQLITE_OK);
  CHECK(used == 0);
  CHECK(highest == 0);
}

TEST_CASE("wal vfs: frames of a transaction rolled back are never written over another writer's commit", "[wal_vfs]") {
  wal_dir d;
  pair_of_connections c{d.db(), "full"};
  c.insert(0, 3000);
  // Everything committed goes into the database file: rolling back reloads
  // pages from there, without touching the WAL.
  REQUIRE(c.w.exec("PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
  // A small page cache: the INSERT spills its new pages to the WAL as
  // frames past the last commit, never read back; the VFS may still hold
  // the last of them when the transaction rolls back.
  REQUIRE(c.w.exec("PRAGMA cache_size = 10") == SQLITE_OK);
  REQUIRE(c.w.exec("BEGIN") == SQLITE_OK);
  REQUIRE(c.w.exec("WITH RECURSIVE n(k) AS (SELECT 3000 UNION ALL SELECT k + 1 FROM n WHERE k < 5999) "
                   "INSERT INTO t(k, v) SELECT k, printf('rolled back %300d', k) FROM n")
          == SQLITE_OK);
  auto before = wal_vfs_stats();
  REQUIRE(c.w.exec("ROLLBACK") == SQLITE_OK);
  // The case under test: frames were still held, and are gone.
  CHECK(wal_vfs_stats().dropped == before.dropped + 1);
  // Another writer (another process, say) commits frames at those offsets.
  REQUIRE(c.r.exec("UPDATE t SET v = 'other ' || v") == SQLITE_OK);
  // The first connection uses the WAL again: a read, then a commit.
  CHECK(scalar(c.w, "SELECT count(*) FROM t WHERE v LIKE 'other %'") == 3000);
  c.insert(6000, 6010);
  connection fresh{d.db(), false};
  REQUIRE(fresh.ok());
  CHECK(text(fresh, "PRAGMA integrity_check") == "ok");
  CHECK(scalar(fresh, "SELECT count(*) FROM t WHERE v LIKE 'other %'") == 3000);
  CHECK(scalar(fresh, "SELECT count(*) FROM t WHERE v LIKE 'rolled back%'") == 0);
  CHECK(scalar(fresh, "SELECT count(*) FROM t") == 3010);
}

namespace {

using rows = std::map<std::int64_t, std::string>;

// Every row as another connection reads it.
rows read_all(connection& c) {
  rows out;
  auto st = c.prepare("SELECT k, v FROM t ORDER BY k");
  REQUIRE(st != nullptr);
  while (st->step())
    out.emplace(st->integer(0), st->text(1));
  REQUIRE(st->last_code() == SQLITE_DONE);
  return out;
}

void run(connection& c, const std::string& sql) {
  INFO(sql << ": " << c.error_message());
  REQUIRE(c.exec(sql) == SQLITE_OK);
}

} // namespace

TEST_CASE("wal vfs: random transactions of two writers, one through it, match a model of what committed",
          "[wal_vfs]") {
  for (unsigned seed : {1u, 2u, 3u}) {
    DYNAMIC_SECTION("seed " << seed) {
      std::mt19937 rng{seed};
      auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>{lo, hi}(rng); };
      wal_dir d;
      pair_of_connections c{d.db(), seed == 2 ? "normal" : "full"};
      connection* writers[2] = {&c.w, &c.r}; // through the VFS, and not
      rows committed;
      for (int round = 0; round < 150; ++round) {
        int who = pick(0, 1);
        connection& w = *writers[who];
        // Small page caches make big changes spill frames before COMMIT.
        run(w, "PRAGMA cache_size = " + std::to_string(pick(5, 60)));
        rows tx = committed;
        rows at_savepoint;
        bool savepoint = false;
        run(w, "BEGIN IMMEDIATE");
        for (int op = pick(1, 4); op > 0; --op) {
          if (!savepoint && pick(0, 3) == 0) {
            run(w, "SAVEPOINT s");
            at_savepoint = tx;
            savepoint = true;
          }
          int from = pick(0, 3000);
          int n = pick(1, 400);
          switch (pick(0, 2)) {
          case 0: { // insert or replace n rows with values long enough to fill pages
            std::string text(static_cast<std::size_t>(pick(50, 900)), static_cast<char>('a' + pick(0, 25)));
            run(w, "WITH RECURSIVE n(k) AS (SELECT " + std::to_string(from) + " UNION ALL SELECT k + 1 FROM n WHERE k < "
                     + std::to_string(from + n - 1) + ") INSERT OR REPLACE INTO t(k, v) SELECT k, k || '" + text
                     + "' FROM n");
            for (int k = from; k < from + n; ++k)
              tx[k] = std::to_string(k) + text;
            break;
          }
          case 1: // update a range
            run(w, "UPDATE t SET v = v || 'u' WHERE k BETWEEN " + std::to_string(from) + " AND "
                     + std::to_string(from + n - 1));
            for (auto it = tx.lower_bound(from); it != tx.end() && it->first < from + n; ++it)
              it->second += "u";
            break;
          default: // delete a range
            run(w, "DELETE FROM t WHERE k BETWEEN " + std::to_string(from) + " AND " + std::to_string(from + n - 1));
            tx.erase(tx.lower_bound(from), tx.lower_bound(from + n));
          }
          if (savepoint && pick(0, 2) == 0) {
            if (pick(0, 1) == 0) {
              run(w, "ROLLBACK TO s");
              tx = at_savepoint;
            }
            run(w, "RELEASE s");
            savepoint = false;
          }
        }
        if (pick(0, 3) == 0) {
          run(w, "ROLLBACK");
        } else {
          run(w, "COMMIT");
          committed = std::move(tx);
        }
        if (pick(0, 5) == 0) {
          static const char* modes[] = {"PASSIVE", "FULL", "RESTART", "TRUNCATE"};
          writers[pick(0, 1)]->exec(std::string{"PRAGMA wal_checkpoint("} + modes[pick(0, 3)] + ")");
        }
        // The other writer, then the one that wrote, read what committed.
        REQUIRE(read_all(*writers[1 - who]) == committed);
        REQUIRE(read_all(w) == committed);
      }
      connection fresh{d.db(), false};
      REQUIRE(fresh.ok());
      CHECK(text(fresh, "PRAGMA integrity_check") == "ok");
      CHECK(read_all(fresh) == committed);
    }
  }
}
