#pragma once

#include <string>

namespace dirsync::persistence {

/// Copies the SQLite database at `source` to `destination` with SQLite's
/// online backup API: a consistent snapshot taken while the service keeps
/// serving (readers and the writer are not stopped). The copy is written to
/// `destination`.partial and renamed into place only when complete.
/// Returns an empty string on success, else what failed.
std::string backup_sqlite(const std::string& source, const std::string& destination);

} // namespace dirsync::persistence
