#include "persistence/migrations.hpp"

#include "persistence/sqlite.hpp"

namespace dirsync::persistence {

namespace {

// Version 1: directories, users, groups with membership rows, admins, audit.
constexpr const char* v1 = R"sql(
CREATE TABLE directories(
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'draft',
  paused INTEGER NOT NULL DEFAULT 0,
  token_hash TEXT,
  token_expires_at TEXT,
  created TEXT NOT NULL,
  last_push_at TEXT
);
CREATE UNIQUE INDEX directories_token ON directories(token_hash) WHERE token_hash IS NOT NULL;
CREATE TABLE users(
  id TEXT PRIMARY KEY,
  directory_id TEXT,
  user_name TEXT NOT NULL,
  external_id TEXT,
  display_name TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  resource TEXT NOT NULL
);
CREATE UNIQUE INDEX users_user_name ON users(user_name COLLATE NOCASE);
CREATE INDEX users_directory ON users(directory_id);
CREATE INDEX users_external_id ON users(directory_id, external_id);
CREATE TABLE groups(
  id TEXT PRIMARY KEY,
  directory_id TEXT,
  display_name TEXT NOT NULL,
  external_id TEXT,
  created TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  resource TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_display_name ON groups(directory_id, display_name COLLATE NOCASE);
CREATE INDEX groups_external_id ON groups(directory_id, external_id);
CREATE TABLE group_members(
  group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY(group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members(user_id);
CREATE TABLE admins(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  revoked_at TEXT
);
CREATE TABLE admin_actions(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  action TEXT NOT NULL,
  object_kind TEXT NOT NULL,
  object_id TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}',
  result TEXT NOT NULL DEFAULT 'ok'
);
CREATE INDEX admin_actions_at ON admin_actions(at);
)sql";

// Version 2: the Trash (U9), admin-set statuses (U7, G5), deleted directories
// (D10) kept for the audit trail.
constexpr const char* v2 = R"sql(
ALTER TABLE users ADD COLUMN trashed_at TEXT;
ALTER TABLE users ADD COLUMN trash_reason TEXT;
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE groups ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
CREATE INDEX users_trashed ON users(trashed_at) WHERE trashed_at IS NOT NULL;
)sql";

// Version 3: admin-editable group description (G3) and audit-trail indexes
// for the admin queries by action, object and actor (L1).
constexpr const char* v3 = R"sql(
ALTER TABLE groups ADD COLUMN description TEXT NOT NULL DEFAULT '';
CREATE INDEX admin_actions_action ON admin_actions(action);
CREATE INDEX admin_actions_object ON admin_actions(object_id);
CREATE INDEX admin_actions_actor ON admin_actions(actor_id);
)sql";

// Version 4: attribute mapping (D3, D12, U6). A directory's optional
// mappings; custom attributes; each user's admin-view attributes, filled for
// existing users from what they were pushed (the next push recomputes them).
constexpr const char* v4 = R"sql(
ALTER TABLE directories ADD COLUMN mappings TEXT NOT NULL DEFAULT '[]';
CREATE TABLE custom_attributes(
  name TEXT PRIMARY KEY COLLATE NOCASE,
  created TEXT NOT NULL
);
ALTER TABLE users ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
UPDATE users SET attributes = json_object(
  'email', coalesce((SELECT json_extract(e.value, '$.value') FROM json_each(users.resource, '$.emails') e
                     ORDER BY json_extract(e.value, '$.primary') IS 1 DESC, CAST(e.key AS INTEGER) LIMIT 1), ''),
  'first_name', coalesce(json_extract(resource, '$.name.givenName'), ''),
  'last_name', coalesce(json_extract(resource, '$.name.familyName'), ''),
  'display_name', coalesce(json_extract(resource, '$.displayName'), ''));
)sql";

// Version 5: the time-driven lifecycle (D4, D8, E1-E7, P1). Deadlines are
// indexed columns: enrollments.next_at, outbox.next_attempt_at (and, from
// earlier versions, users.trashed_at and directories.token_expires_at).
constexpr const char* v5 = R"sql(
ALTER TABLE admins ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE directories ADD COLUMN token_warned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE directories ADD COLUMN enrollment_emails INTEGER NOT NULL DEFAULT 0;
CREATE TABLE settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE outbox(
  id TEXT PRIMARY KEY,
  created TEXT NOT NULL,
  kind TEXT NOT NULL,
  object_id TEXT NOT NULL,
  to_addr TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox(state);
CREATE TABLE enrollments(
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  link_hash TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  message_id TEXT NOT NULL,
  sent_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  reminders INTEGER NOT NULL DEFAULT 0,
  next_at TEXT NOT NULL
);
CREATE INDEX enrollments_next ON enrollments(next_at);
CREATE TABLE devices(
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  secret TEXT NOT NULL,
  created TEXT NOT NULL,
  last_step INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX devices_user ON devices(user_id);
CREATE TABLE app_keys(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  revoked_at TEXT
);
)sql";

} // namespace

const std::vector<migration>& all_migrations() {
  static const std::vector<migration> list{{1, v1}, {2, v2}, {3, v3}, {4, v4}, {5, v5}};
  return list;
}

int schema_version(connection& c) {
  auto st = c.prepare("PRAGMA user_version");
  if (st == nullptr || !st->step())
    return -1;
  return static_cast<int>(st->integer(0));
}

std::string migrate(connection& c, int target_version) {
  int current = schema_version(c);
  if (current < 0)
    return "cannot read schema version: " + c.error_message();
  const auto& list = all_migrations();
  int newest = list.empty() ? 0 : list.back().version;
  if (current > newest)
    return "database schema version " + std::to_string(current)
           + " is newer than this binary supports (" + std::to_string(newest) + ")";
  for (const auto& m : list) {
    if (m.version <= current)
      continue;
    if (target_version >= 0 && m.version > target_version)
      break;
    transaction tx{c};
    if (!tx.ok())
      return "cannot begin migration: " + c.error_message();
    if (c.exec(m.sql) != SQLITE_OK)
      return "migration " + std::to_string(m.version) + " failed: " + c.error_message();
    if (c.exec("PRAGMA user_version = " + std::to_string(m.version)) != SQLITE_OK)
      return "cannot record schema version: " + c.error_message();
    if (tx.commit() != SQLITE_OK)
      return "cannot commit migration: " + c.error_message();
  }
  return {};
}

} // namespace dirsync::persistence
