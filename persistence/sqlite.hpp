#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include <sqlite3.h>

namespace dirsync::persistence {

/// Process-wide SQLite settings, which only take effect before SQLite
/// initializes itself (at the first open, or VFS lookup or registration):
/// everything here that does one of those calls this first. Idempotent.
void configure_sqlite();

/// Commits made so far through this process's writable connections, all
/// databases together. It grows after a commit is visible to new read
/// transactions, so a reader that saw it unchanged since its read
/// transaction began has missed no commit of this process.
std::uint64_t commit_count() noexcept;

/// A value bound to or read from a statement.
using db_value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

/// Owns one prepared statement; reset on every `step` cycle by its user.
class statement {
public:
  /// Wraps a prepared statement (takes ownership).
  explicit statement(sqlite3_stmt* s) : stmt_(s, &sqlite3_finalize) {}

  /// Resets the statement and clears its bindings.
  void reset();
  /// Binds a value to 1-based parameter `i`.
  void bind(int i, const db_value& v);
  /// Binds text (copied by SQLite).
  void bind(int i, std::string_view text);
  /// Binds text without a copy: it must stay alive and unchanged until the
  /// statement is stepped for the last time (a user's resource in its
  /// INSERT: one allocation and copy fewer per value).
  void bind_static(int i, std::string_view text);
  /// Binds an integer.
  void bind(int i, std::int64_t v);
  /// Binds NULL.
  void bind_null(int i);
  /// Steps once: true when a row is available, false when done; throws
  /// nothing: errors are reported through `last_error`.
  bool step();
  /// The result code of the last step (SQLITE_ROW, SQLITE_DONE or an error).
  int last_code() const noexcept { return code_; }
  /// Column as text ("" for NULL).
  std::string text(int col) const;
  /// Column as optional text.
  std::optional<std::string> opt_text(int col) const;
  /// Column as integer.
  std::int64_t integer(int col) const;
  /// True if the column is NULL.
  bool is_null(int col) const;
  /// Raw handle.
  sqlite3_stmt* get() const noexcept { return stmt_.get(); }

private:
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt_;
  int code_ = SQLITE_OK;
};

/// A cached statement lent out by `connection::prepare`; reset when the lease
/// ends, so no statement keeps a read snapshot open or blocks a COMMIT.
class lease {
public:
  /// Lends `s` (may be null when preparing failed).
  explicit lease(statement* s) : s_(s) {}
  /// Owns an uncached statement for the lease's lifetime.
  explicit lease(std::unique_ptr<statement> owned) : s_(owned.get()), owned_(std::move(owned)) {}
  lease(lease&& other) noexcept : s_(other.s_), owned_(std::move(other.owned_)) { other.s_ = nullptr; }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  lease& operator=(lease&&) = delete;
  /// Resets the statement.
  ~lease() {
    if (s_)
      s_->reset();
  }
  /// Access to the statement.
  statement* operator->() const noexcept { return s_; }
  /// Access to the statement.
  statement& operator*() const noexcept { return *s_; }
  /// True when preparing failed.
  bool operator==(std::nullptr_t) const noexcept { return s_ == nullptr; }
  /// True when preparing succeeded.
  bool operator!=(std::nullptr_t) const noexcept { return s_ != nullptr; }

private:
  statement* s_;
  std::unique_ptr<statement> owned_;
};

/// One SQLite connection with a cache of prepared statements.
class connection {
public:
  /// Opens `path`; `read_only` opens with SQLITE_OPEN_READONLY; `vfs`
  /// names the SQLite VFS (null: the default one).
  /// On failure `ok()` is false and `error()` says why.
  connection(const std::string& path, bool read_only, const char* vfs = nullptr);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// True when the database opened.
  bool ok() const noexcept { return db_ != nullptr && open_error_.empty(); }
  /// Why opening failed.
  const std::string& open_error() const noexcept { return open_error_; }
  /// Runs SQL without results; returns the SQLite code.
  int exec(const std::string& sql);
  /// Runs one statement without results through the statement cache (for
  /// the BEGIN, COMMIT and SAVEPOINT of every write: no parse each time);
  /// returns SQLITE_OK or the error code.
  int run(const std::string& sql);
  /// A cached prepared statement for `sql`, reset and ready to bind; null if
  /// the SQL does not compile (see `error_message`).
  lease prepare(const std::string& sql);
  /// The last error message of the connection.
  std::string error_message() const;
  /// Rows changed by the last statement.
  std::int64_t changes() const noexcept;
  /// True when no transaction is open.
  bool autocommit() const noexcept { return sqlite3_get_autocommit(db_.get()) != 0; }
  /// Raw handle.
  sqlite3* get() const noexcept { return db_.get(); }

private:
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db_;
  std::string open_error_;
  std::unordered_map<std::string, std::unique_ptr<statement>> cache_;
};

/// Rolls back unless committed (RAII, like SQLiteCpp's Transaction).
class transaction {
public:
  /// Begins (IMMEDIATE) a transaction on `c`.
  explicit transaction(connection& c);
  /// Rolls back if neither committed nor rolled back.
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  /// True when BEGIN succeeded.
  bool ok() const noexcept { return open_; }
  /// Commits; returns the SQLite code (SQLITE_OK on success).
  int commit();
  /// Rolls back explicitly.
  void rollback();

private:
  connection& c_;
  bool open_ = false;
};

/// A named savepoint inside a transaction: rolls back to itself unless released.
class savepoint {
public:
  /// Opens SAVEPOINT sp on `c`.
  explicit savepoint(connection& c);
  /// Rolls back to the savepoint if not released.
  ~savepoint();
  savepoint(const savepoint&) = delete;
  savepoint& operator=(const savepoint&) = delete;
  /// Keeps the changes made since the savepoint.
  void release();

private:
  connection& c_;
  bool open_ = false;
};

} // namespace dirsync::persistence
