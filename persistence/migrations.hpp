#pragma once

#include <string>
#include <vector>

namespace dirsync::persistence {

class connection;

/// One schema step; `version` counts from 1 and is stored in PRAGMA user_version.
struct migration {
  int version;        ///< Version after applying.
  const char* sql;    ///< Statements to run in one transaction.
};

/// All migrations, in order.
const std::vector<migration>& all_migrations();

/// Applies every migration above the database's version, each in its own
/// transaction. Returns an empty string on success, else what failed.
std::string migrate(connection& c, int target_version = -1);

/// The version stored in the database.
int schema_version(connection& c);

} // namespace dirsync::persistence
