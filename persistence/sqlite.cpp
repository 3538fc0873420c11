#include "persistence/sqlite.hpp"

#include <atomic>
#include <cstring>
#include <mutex>

#include "persistence/wal_vfs.hpp"

namespace dirsync::persistence {

namespace {

std::atomic<std::uint64_t> commits{0};

// Called by SQLite after each commit on a writable connection, once the
// write lock is released (sqlite3_wal_hook). Installing it replaces SQLite's
// automatic checkpoint hook, so it checkpoints as that one does: once the
// WAL holds 1,000 frames (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT).
int on_commit(void*, sqlite3* db, const char* schema, int frames) {
  commits.fetch_add(1, std::memory_order_release);
  if (frames >= 1000)
    sqlite3_wal_checkpoint(db, schema);
  return SQLITE_OK;
}

} // namespace

void configure_sqlite() {
  // Debian's SQLite keeps memory statistics by default: every sqlite3_malloc
  // and free then takes one process-wide mutex. dirsyncd never reads them.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

std::uint64_t commit_count() noexcept {
  return commits.load(std::memory_order_acquire);
}

void statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  code_ = SQLITE_OK;
}

void statement::bind(int i, const db_value& v) {
  if (std::holds_alternative<std::nullptr_t>(v))
    bind_null(i);
  else if (auto* n = std::get_if<std::int64_t>(&v))
    bind(i, *n);
  else if (auto* d = std::get_if<double>(&v))
    sqlite3_bind_double(stmt_.get(), i, *d);
  else
    bind(i, std::string_view{std::get<std::string>(v)});
}

void statement::bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), i, text.data(), static_cast<int>(text.size()),
                    SQLITE_TRANSIENT);
}

void statement::bind_static(int i, std::string_view text) {
  sqlite3_bind_text(stmt_.get(), i, text.data(), static_cast<int>(text.size()),
                    SQLITE_STATIC);
}

void statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_.get(), i, v);
}

void statement::bind_null(int i) {
  sqlite3_bind_null(stmt_.get(), i);
}

bool statement::step() {
  code_ = sqlite3_step(stmt_.get());
  return code_ == SQLITE_ROW;
}

std::string statement::text(int col) const {
  auto* p = sqlite3_column_text(stmt_.get(), col);
  if (p == nullptr)
    return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), col)));
}

std::optional<std::string> statement::opt_text(int col) const {
  if (is_null(col))
    return std::nullopt;
  return text(col);
}

std::int64_t statement::integer(int col) const {
  return sqlite3_column_int64(stmt_.get(), col);
}

bool statement::is_null(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

connection::connection(const std::string& path, bool read_only, const char* vfs)
  : db_(nullptr, &sqlite3_close_v2) {
  configure_sqlite();
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY
                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX; // each connection is owned by one actor
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  db_.reset(raw);
  if (rc != SQLITE_OK) {
    open_error_ = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    db_.reset();
    return;
  }
  if (!read_only)
    sqlite3_wal_hook(raw, &on_commit, nullptr);
  if (vfs != nullptr && std::strcmp(vfs, wal_vfs_name()) == 0)
    wal_vfs_watch(raw);
}

int connection::exec(const std::string& sql) {
  return sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
}

int connection::run(const std::string& sql) {
  auto st = prepare(sql);
  if (st == nullptr)
    return sqlite3_errcode(db_.get());
  st->step();
  auto rc = st->last_code();
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

lease connection::prepare(const std::string& sql) {
  if (auto i = cache_.find(sql); i != cache_.end()) {
    i->second->reset();
    return lease{i->second.get()};
  }
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &raw, nullptr)
      != SQLITE_OK) {
    sqlite3_finalize(raw);
    return lease{nullptr};
  }
  // Bound the cache: ad-hoc filter queries vary; past the bound a statement
  // lives only as long as its lease (cached ones may be lent right now).
  if (cache_.size() >= 512)
    return lease{std::make_unique<statement>(raw)};
  auto& slot = cache_[sql];
  slot = std::make_unique<statement>(raw);
  return lease{slot.get()};
}

std::string connection::error_message() const {
  return db_ ? sqlite3_errmsg(db_.get()) : open_error_;
}

std::int64_t connection::changes() const noexcept {
  return sqlite3_changes64(db_.get());
}

transaction::transaction(connection& c) : c_(c) {
  open_ = c_.run("BEGIN IMMEDIATE") == SQLITE_OK;
}

transaction::~transaction() {
  if (open_)
    rollback();
}

int transaction::commit() {
  int rc = c_.run("COMMIT");
  if (rc == SQLITE_OK)
    open_ = false;
  return rc;
}

void transaction::rollback() {
  c_.run("ROLLBACK");
  open_ = false;
}

savepoint::savepoint(connection& c) : c_(c) {
  open_ = c_.run("SAVEPOINT sp") == SQLITE_OK;
}

savepoint::~savepoint() {
  if (open_) {
    c_.run("ROLLBACK TO sp");
    c_.run("RELEASE sp");
  }
}

void savepoint::release() {
  if (open_) {
    c_.run("RELEASE sp");
    open_ = false;
  }
}

} // namespace dirsync::persistence
