#pragma once

// A migrated SQLite database in a fresh temporary folder, with one writer
// and one reader, for the persistence tests.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "persistence/store.hpp"

namespace dirsync::test {

/// A fresh, empty folder per test, named after `tag`, removed with
/// everything in it.
struct temp_folder {
  std::filesystem::path dir; ///< The folder.

  explicit temp_folder(const std::string& tag) {
    static std::atomic<int> seq{0};
    dir = std::filesystem::temp_directory_path()
          / ("dirsync-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(seq++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~temp_folder() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;
  /// The database file's path in it.
  std::string db() const { return (dir / "dirsync.db").string(); }
};

/// Owns the folder, the back end and one writer and reader on it.
struct temp_db {
  temp_folder folder;                               ///< Removed last.
  std::filesystem::path dir;                        ///< The folder.
  std::unique_ptr<persistence::backend> db;         ///< The back end.
  std::unique_ptr<persistence::writer> w;           ///< The writer.
  std::unique_ptr<persistence::reader> r;           ///< A reader.

  /// `tag` names the folder, to tell suites apart.
  explicit temp_db(const std::string& tag) : temp_db(tag, persistence::sqlite_options{}) {}
  /// The same with the back end's options (`opts.path` is set here).
  temp_db(const std::string& tag, persistence::sqlite_options opts) : folder(tag), dir(folder.dir) {
    opts.path = folder.db();
    db = persistence::make_sqlite_backend(opts);
    REQUIRE(db->migrate() == "");
    std::string err;
    w = db->open_writer(err);
    REQUIRE(w != nullptr);
    r = db->open_reader(err);
    REQUIRE(r != nullptr);
  }
  /// Closes the connections before the folder goes.
  ~temp_db() {
    r.reset();
    w.reset();
    db.reset();
  }
  temp_db(const temp_db&) = delete;
  temp_db& operator=(const temp_db&) = delete;
};

} // namespace dirsync::test
