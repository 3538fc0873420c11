#include <filesystem>

#include "persistence/migrations.hpp"
#include "persistence/sqlite_store.hpp"
#include "persistence/wal_vfs.hpp"

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
    const char* vfs = !read_only && opts_.coalesce_wal_writes ? wal_vfs_name() : nullptr;
    auto c = std::make_unique<connection>(opts_.path, read_only, vfs);
    if (!c->ok()) {
      error = "cannot open " + opts_.path + ": " + c->open_error();
      return nullptr;
    }
    sqlite3_busy_timeout(c->get(), opts_.busy_timeout_ms);
    // Savepoint journals and sorts stay in memory: with temp files, every
    // batch whose savepoint journal passed 64 KiB created and unlinked one
    // (a file create per batch under load). Measured again: `temp_store =
    // FILE` saves the 1 KiB mallocs of the in-memory journal (creates 308k ->
    // 285k instructions), but a create's journal is close to 64 KiB, so many
    // batches spill: 40 % more bytes written and slower creates in 4 of 4
    // pairs. Spill sizes of 256 KiB and more (SQLITE_CONFIG_STMTJRNL_SPILL)
    // made SQLite 3.40 fail the spill with "database or disk is full".
    std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;";
    if (read_only) {
      pragmas += "PRAGMA query_only = ON; PRAGMA cache_size = -" + std::to_string(opts_.read_cache_kib) + ";";
      if (opts_.read_mmap_bytes > 0)
        pragmas += "PRAGMA mmap_size = " + std::to_string(opts_.read_mmap_bytes) + ";";
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
