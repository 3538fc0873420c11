#pragma once

#include <cstdint>

#include <sqlite3.h>

namespace dirsync::persistence {

/// Name of an SQLite VFS that is the default one except for write-ahead
/// logs: the frames a commit writes (a 24-byte header and a page each, one
/// pwrite per piece) reach the file as one write instead of two per page.
/// Registered by the first call; open a connection with it through
/// sqlite3_open_v2's zVfs argument.
///
/// A WAL write is held only while the next one continues it: the run is
/// written before anything else touches the file (a read, a sync, a size,
/// a truncate, a write elsewhere) and at once after the page of a commit
/// frame, before SQLite publishes the commit to readers. So whoever reads
/// the WAL, this connection or another, sees every byte SQLite wrote, and a
/// crash finds the file as after a crash between two writes. A run held
/// when its transaction rolls back (or the connection closes) is dropped:
/// it holds no commit (see wal_vfs_watch).
const char* wal_vfs_name();

/// Makes `db`, opened with wal_vfs_name(), drop what the VFS holds of its
/// WAL when one of its transactions rolls back (sqlite3_rollback_hook).
/// Held bytes never include a commit, so after a rollback they belong to
/// nothing; written later, once the write lock is gone, they could land on
/// frames another writer has committed since. connection() calls it.
void wal_vfs_watch(sqlite3* db);

/// Writes to WAL files through wal_vfs_name(), all connections together:
/// what SQLite asked for, what reached the file, and what was dropped.
struct wal_vfs_counts {
  std::uint64_t asked = 0;   ///< xWrite calls SQLite made.
  std::uint64_t written = 0; ///< Writes passed to the default VFS.
  std::uint64_t dropped = 0; ///< Held runs of rolled-back transactions dropped.
};
/// The counts so far (for tests and the bench).
wal_vfs_counts wal_vfs_stats() noexcept;

} // namespace dirsync::persistence
