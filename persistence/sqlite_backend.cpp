#include <filesystem>

#include "persistence/migrations.hpp"
#include "persistence/sqlite_store.hpp"

namespace dirsync::persistence {

namespace {

class sqlite_backend final : public backend {
public:
  explicit sqlite_backend(sqlite_options opts) : opts_(std::move(opts)) {
  }

  std::string migrate() override {
    std::string err;
    auto c = open(false, err);
    if (!c)
      return err;
    return persistence::migrate(*c);
  }

  std::unique_ptr<writer> open_writer(std::string& error) override {
    auto c = open(false, error);
    if (!c)
      return nullptr;
    return std::make_unique<sqlite_writer>(std::move(c));
  }

  std::unique_ptr<reader> open_reader(std::string& error) override {
    auto c = open(true, error);
    if (!c)
      return nullptr;
    return std::make_unique<sqlite_reader>(std::move(c));
  }

private:
  std::unique_ptr<connection> open(bool read_only, std::string& error) {
    if (opts_.path.empty() || opts_.path == ":memory:") {
      error = "storage.path must name a file";
      return nullptr;
    }
    if (!read_only) {
      auto dir = std::filesystem::path{opts_.path}.parent_path();
      std::error_code ec;
      if (!dir.empty())
        std::filesystem::create_directories(dir, ec);
      if (ec) {
        error = "cannot create " + dir.string() + ": " + ec.message();
        return nullptr;
      }
    }
    auto c = std::make_unique<connection>(opts_.path, read_only);
    if (!c->ok()) {
      error = "cannot open " + opts_.path + ": " + c->open_error();
      return nullptr;
    }
    sqlite3_busy_timeout(c->get(), opts_.busy_timeout_ms);
    // The writer's savepoint journals (one savepoint per write job) stay in
    // one 64 KiB block in memory; a job whose journal grows past it spills
    // the rest of its batch's journal to a temporary file (SQLITE_TMPDIR,
    // which `dirsyncd serve` points at the database's folder unless set).
    // Measured (callgrind, bench/run.sh): with `temp_store = MEMORY` SQLite
    // kept them as lists of 1 KiB blocks, malloc'd as a job wrote and freed
    // when it ended: creates 308k -> 285k instructions, PATCH 326k -> 304k
    // and -5 % server CPU (4 interleaved pairs), although about one PATCH
    // batch in five spills (20,000 PATCHes opened 4,185 temporary files;
    // 20,000 creates 36). Spill sizes of 256 KiB and more made SQLite 3.40
    // fail the spill ("database or disk is full"), so the default stays.
    // Read connections keep their sorts in memory.
    std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA temp_store = ";
    pragmas += read_only ? "MEMORY;" : "FILE;";
    if (read_only) {
      pragmas += "PRAGMA query_only = ON; PRAGMA cache_size = -" + std::to_string(opts_.read_cache_kib) + ";";
    } else {
      // WAL lets readers run beside the single writer; `synchronous` decides
      // whether a commit survives power loss (full) or only a crash (normal).
      pragmas += "PRAGMA journal_mode = WAL; PRAGMA synchronous = " + opts_.synchronous + ";";
    }
    if (c->exec(pragmas) != SQLITE_OK) {
      error = "cannot configure " + opts_.path + ": " + c->error_message();
      return nullptr;
    }
    return c;
  }

  sqlite_options opts_;
};

} // namespace

std::unique_ptr<backend> make_sqlite_backend(const sqlite_options& opts) {
  return std::make_unique<sqlite_backend>(opts);
}

} // namespace dirsync::persistence
