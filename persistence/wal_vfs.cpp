#include "persistence/wal_vfs.hpp"

#include <atomic>
#include <mutex>
#include <new>
#include <string>

#include <sqlite3.h>

#include "persistence/sqlite.hpp"

namespace dirsync::persistence {

namespace {

std::atomic<std::uint64_t> asked_writes{0};
std::atomic<std::uint64_t> real_writes{0};
std::atomic<std::uint64_t> dropped_runs{0};

sqlite3_vfs* base_vfs = nullptr; // the default VFS, which does the work
sqlite3_vfs wal_vfs;             // a copy of it whose xOpen wraps WAL files

// The default VFS writes at most 128 KiB - 1 bytes per call (its unixWrite
// masks the size with 0x1ffff, and a short write is SQLITE_FULL): a run
// that would grow past 124 KiB is written first.
constexpr std::size_t max_run = 124 * 1024;
// A WAL frame header: page number, database size (not 0 only on the frame
// that commits), salts and checksums.
constexpr int frame_header_size = 24;

struct wal_file {
  sqlite3_file base;          // first: SQLite sees this
  sqlite3_file* real;         // the default VFS's file, just after this struct
  std::string run;            // bytes written but not yet passed on
  sqlite3_int64 run_at = 0;   // file offset of run[0]
  bool in_commit = false;     // the last frame header written was a commit's
};

wal_file* wal(sqlite3_file* f) {
  return reinterpret_cast<wal_file*>(f);
}

// Writes the held run: never more than max_run bytes (wal_write sees to it).
int pass_on(wal_file* w) {
  if (w->run.empty())
    return SQLITE_OK;
  real_writes.fetch_add(1, std::memory_order_relaxed);
  int rc = w->real->pMethods->xWrite(w->real, w->run.data(), static_cast<int>(w->run.size()), w->run_at);
  // On failure too: SQLite abandons the transaction these frames were for.
  w->run.clear();
  return rc;
}

int wal_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  auto* w = wal(f);
  asked_writes.fetch_add(1, std::memory_order_relaxed);
  // The run never outgrows the buffer reserved at open: no allocation here,
  // in a callback where an exception could not pass. (SQLite writes a
  // header or a page of at most 64 KiB at a time; anything longer goes
  // straight on.)
  if (static_cast<std::size_t>(amount) > max_run) {
    if (int rc = pass_on(w); rc != SQLITE_OK)
      return rc;
    real_writes.fetch_add(1, std::memory_order_relaxed);
    return w->real->pMethods->xWrite(w->real, data, amount, offset);
  }
  bool continues = offset == w->run_at + static_cast<sqlite3_int64>(w->run.size());
  if (!w->run.empty() && (!continues || w->run.size() + static_cast<std::size_t>(amount) > max_run)) {
    if (int rc = pass_on(w); rc != SQLITE_OK)
      return rc;
  }
  if (w->run.empty())
    w->run_at = offset;
  bool header = amount == frame_header_size;
  if (header) {
    auto* b = static_cast<const unsigned char*>(data);
    w->in_commit = (b[4] | b[5] | b[6] | b[7]) != 0;
  }
  w->run.append(static_cast<const char*>(data), static_cast<std::size_t>(amount));
  // The page of a commit frame ends what SQLite writes before it makes the
  // commit visible to readers (with no sync between at synchronous =
  // NORMAL): the run must be in the file by then. Whatever follows a commit
  // frame until the next frame header (a split page, the padding frames of
  // synchronous = FULL without powersafe overwrite, a new WAL header) goes
  // through at once too.
  if (w->in_commit && !header)
    return pass_on(w);
  return SQLITE_OK;
}

int wal_read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
  auto* w = wal(f);
  if (int rc = pass_on(w); rc != SQLITE_OK)
    return rc;
  return w->real->pMethods->xRead(w->real, data, amount, offset);
}

int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* w = wal(f);
  if (int rc = pass_on(w); rc != SQLITE_OK)
    return rc;
  return w->real->pMethods->xTruncate(w->real, size);
}

int wal_sync(sqlite3_file* f, int flags) {
  auto* w = wal(f);
  if (int rc = pass_on(w); rc != SQLITE_OK)
    return rc;
  return w->real->pMethods->xSync(w->real, flags);
}

int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  auto* w = wal(f);
  if (int rc = pass_on(w); rc != SQLITE_OK)
    return rc;
  return w->real->pMethods->xFileSize(w->real, size);
}

int wal_lock(sqlite3_file* f, int level) {
  return wal(f)->real->pMethods->xLock(wal(f)->real, level);
}

int wal_unlock(sqlite3_file* f, int level) {
  return wal(f)->real->pMethods->xUnlock(wal(f)->real, level);
}

int wal_check_reserved_lock(sqlite3_file* f, int* out) {
  return wal(f)->real->pMethods->xCheckReservedLock(wal(f)->real, out);
}

int wal_file_control(sqlite3_file* f, int op, void* arg) {
  auto* w = wal(f);
  if (int rc = pass_on(w); rc != SQLITE_OK)
    return rc;
  return w->real->pMethods->xFileControl(w->real, op, arg);
}

int wal_sector_size(sqlite3_file* f) {
  return wal(f)->real->pMethods->xSectorSize(wal(f)->real);
}

int wal_device_characteristics(sqlite3_file* f) {
  return wal(f)->real->pMethods->xDeviceCharacteristics(wal(f)->real);
}

// Forgets the held run: bytes of a transaction that will never commit.
void drop(wal_file* w) {
  if (w->run.empty())
    return;
  dropped_runs.fetch_add(1, std::memory_order_relaxed);
  w->run.clear();
}

int wal_close(sqlite3_file* f) {
  auto* w = wal(f);
  // Whatever is still held belongs to no commit (a commit's run is written
  // at its commit frame): the connection closes without it.
  drop(w);
  int closed = w->real->pMethods->xClose(w->real);
  w->~wal_file();
  return closed;
}

// Version 1: SQLite calls no shared-memory or mmap method on a WAL file.
const sqlite3_io_methods wal_methods = {
  1,
  wal_close,
  wal_read,
  wal_write,
  wal_truncate,
  wal_sync,
  wal_file_size,
  wal_lock,
  wal_unlock,
  wal_check_reserved_lock,
  wal_file_control,
  wal_sector_size,
  wal_device_characteristics,
  nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
};

constexpr int real_offset = (sizeof(wal_file) + 7) / 8 * 8;

int wal_vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  // Every other file is the default VFS's own, in place.
  if ((flags & SQLITE_OPEN_WAL) == 0)
    return base_vfs->xOpen(base_vfs, name, f, flags, out_flags);
  auto* w = new (f) wal_file{};
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + real_offset);
  w->real->pMethods = nullptr;
  try {
    w->run.reserve(max_run);
  } catch (const std::bad_alloc&) {
    w->~wal_file();
    f->pMethods = nullptr;
    return SQLITE_NOMEM;
  }
  int rc = base_vfs->xOpen(base_vfs, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (w->real->pMethods != nullptr)
      w->real->pMethods->xClose(w->real);
    w->~wal_file();
    f->pMethods = nullptr;
    return rc;
  }
  w->base.pMethods = &wal_methods;
  return SQLITE_OK;
}

} // namespace

const char* wal_vfs_name() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    configure_sqlite(); // before sqlite3_vfs_find initializes SQLite
    base_vfs = sqlite3_vfs_find(nullptr);
    wal_vfs = *base_vfs;
    wal_vfs.pNext = nullptr;
    wal_vfs.zName = "dirsync-wal";
    wal_vfs.szOsFile = real_offset + base_vfs->szOsFile;
    wal_vfs.xOpen = wal_vfs_open;
    sqlite3_vfs_register(&wal_vfs, 0);
  });
  return wal_vfs.zName;
}

void wal_vfs_watch(sqlite3* db) {
  sqlite3_rollback_hook(
    db,
    [](void* arg) {
      // Called once the rollback is done and the write lock released.
      sqlite3_file* f = nullptr;
      if (sqlite3_file_control(static_cast<sqlite3*>(arg), "main", SQLITE_FCNTL_JOURNAL_POINTER, &f) == SQLITE_OK
          && f != nullptr && f->pMethods == &wal_methods)
        drop(wal(f));
    },
    db);
}

wal_vfs_counts wal_vfs_stats() noexcept {
  return {asked_writes.load(std::memory_order_relaxed), real_writes.load(std::memory_order_relaxed),
          dropped_runs.load(std::memory_order_relaxed)};
}

} // namespace dirsync::persistence
