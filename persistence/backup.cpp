#include "persistence/backup.hpp"

#include <cstdio>
#include <filesystem>

#include "persistence/sqlite.hpp"

namespace dirsync::persistence {

std::string backup_sqlite(const std::string& source, const std::string& destination) {
  if (!std::filesystem::exists(source))
    return "no database at " + source;
  connection src{source, true};
  if (!src.ok())
    return "cannot open " + source + ": " + src.open_error();
  sqlite3_busy_timeout(src.get(), 5000);
  auto partial = destination + ".partial";
  std::error_code ec;
  std::filesystem::remove(partial, ec);
  {
    connection dst{partial, false};
    if (!dst.ok())
      return "cannot create " + partial + ": " + dst.open_error();
    auto* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
    if (b == nullptr)
      return "cannot start the backup: " + dst.error_message();
    // One step copies every page from a single read snapshot of the source,
    // so writes committed meanwhile are either wholly in or wholly out.
    int rc = SQLITE_OK;
    for (int attempt = 0; attempt < 100; ++attempt) {
      rc = sqlite3_backup_step(b, -1);
      if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
        break;
      sqlite3_sleep(50);
    }
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      std::filesystem::remove(partial, ec);
      return std::string{"backup failed: "} + sqlite3_errstr(rc);
    }
    // The copy is a plain rollback-journal database: one file to move.
    if (dst.exec("PRAGMA journal_mode = DELETE") != SQLITE_OK)
      return "cannot finish the copy: " + dst.error_message();
  }
  std::filesystem::rename(partial, destination, ec);
  if (ec)
    return "cannot move the copy to " + destination + ": " + ec.message();
  return {};
}

} // namespace dirsync::persistence
