// SQLite side of the admin API: admins (A1, A2), users and the Trash (U1,
// U4, U7-U10), groups (G2-G5), the audit trail (L1).

#include "persistence/admin_queries.hpp"

#include <vector>

#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store.hpp"

namespace dirsync::persistence {

namespace {

using scim::error_code;
using scim::make_error;
using ok_t = scim::expected<scim::unit>;

// Columns 0-12 are what rows::read_user expects; then whether a group of the
// user is disabled or bypass (G5) and the owner's mappings (U6).
constexpr const char* admin_user_select =
  "SELECT u.id, u.directory_id, u.user_name, u.external_id, u.display_name, u.active, u.created, "
  "u.last_modified, u.version, u.resource, u.trashed_at, u.trash_reason, u.attributes, u.status, "
  "coalesce(d.name, ''), coalesce(d.type, ''), u.rowid, "
  "EXISTS(SELECT 1 FROM group_members m JOIN groups g ON g.id = m.group_id "
  "WHERE m.user_id = u.id AND g.status = 'disabled'), "
  "EXISTS(SELECT 1 FROM group_members m JOIN groups g ON g.id = m.group_id "
  "WHERE m.user_id = u.id AND g.status = 'bypass'), coalesce(d.mappings, '[]') "
  "FROM users u LEFT JOIN directories d ON d.id = u.directory_id ";

// Columns 0-7 are what rows::read_group expects.
constexpr const char* admin_group_select =
  "SELECT g.id, g.directory_id, g.display_name, g.external_id, g.created, g.last_modified, g.version, "
  "g.resource, g.status, g.description, coalesce(d.name, ''), coalesce(d.type, ''), g.rowid, "
  "(SELECT count(*) FROM group_members m JOIN users x ON x.id = m.user_id WHERE m.group_id = g.id "
  "AND (x.trash_reason IS NULL OR x.trash_reason != 'deleted')) "
  "FROM groups g LEFT JOIN directories d ON d.id = g.directory_id ";

constexpr const char* admin_entry_select = "SELECT id, name, role, created, revoked_at, email FROM admins ";

admin_user read_admin_user(const statement& st) {
  admin_user a;
  a.user = rows::read_user(st);
  a.status = st.text(13);
  a.directory_name = st.text(14);
  a.directory_type = st.text(15);
  a.seq = st.integer(16);
  a.group_disabled = st.integer(17) != 0;
  a.group_bypass = st.integer(18) != 0;
  a.directory_mappings = rows::parse_mappings(st.text(19));
  return a;
}

admin_group read_admin_group(const statement& st) {
  admin_group a;
  a.group = rows::read_group(st);
  a.status = st.text(8);
  a.description = st.text(9);
  a.directory_name = st.text(10);
  a.directory_type = st.text(11);
  a.seq = st.integer(12);
  a.members = st.integer(13);
  return a;
}

admin_entry read_admin_entry(const statement& st) {
  return admin_entry{st.text(0), st.text(1), st.text(2), st.text(3), st.opt_text(4), st.text(5)};
}

std::optional<admin_user> user_by_id(connection& c, const std::string& id) {
  auto st = c.prepare(std::string{admin_user_select} + "WHERE u.id = ?");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{id});
  if (!st->step())
    return std::nullopt;
  return read_admin_user(*st);
}

std::optional<admin_group> group_by_id(connection& c, const std::string& id) {
  auto st = c.prepare(std::string{admin_group_select} + "WHERE g.id = ?");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{id});
  if (!st->step())
    return std::nullopt;
  return read_admin_group(*st);
}

} // namespace

// ---- reader ---------------------------------------------------------------

std::vector<admin_entry> sqlite_reader::admins() {
  std::vector<admin_entry> out;
  auto st = c_->prepare(std::string{admin_entry_select} + "ORDER BY rowid");
  if (st == nullptr)
    return out;
  while (st->step())
    out.push_back(read_admin_entry(*st));
  return out;
}

std::vector<admin_user> sqlite_reader::admin_users(const user_query& q) {
  std::vector<admin_user> out;
  std::string sql = std::string{admin_user_select} + "WHERE u.rowid > ? AND "
                    + (q.trash ? "u.trashed_at IS NOT NULL" : "u.trashed_at IS NULL");
  if (!q.q.empty())
    sql += " AND instr(lower(u.user_name), lower(?)) > 0";
  sql += " ORDER BY u.rowid LIMIT ?";
  auto st = c_->prepare(sql);
  if (st == nullptr)
    return out;
  int i = 1;
  st->bind(i++, q.after);
  if (!q.q.empty())
    st->bind(i++, std::string_view{q.q});
  st->bind(i, q.limit);
  while (st->step())
    out.push_back(read_admin_user(*st));
  return out;
}

std::optional<admin_user> sqlite_reader::admin_user_by_id(const std::string& id) {
  return user_by_id(*c_, id);
}

std::int64_t sqlite_reader::billable_users() {
  auto st = c_->prepare("SELECT count(*) FROM users WHERE trashed_at IS NULL");
  if (st == nullptr || !st->step())
    return 0;
  return st->integer(0);
}

std::vector<admin_group> sqlite_reader::admin_groups(std::int64_t after, std::int64_t limit) {
  std::vector<admin_group> out;
  auto st = c_->prepare(std::string{admin_group_select} + "WHERE g.rowid > ? ORDER BY g.rowid LIMIT ?");
  if (st == nullptr)
    return out;
  st->bind(1, after);
  st->bind(2, limit);
  while (st->step())
    out.push_back(read_admin_group(*st));
  return out;
}

std::optional<admin_group> sqlite_reader::admin_group_by_id(const std::string& id) {
  return group_by_id(*c_, id);
}

std::vector<action_row> sqlite_reader::actions(const action_query& q) {
  std::vector<action_row> out;
  std::string sql = "SELECT seq, at, actor_kind, actor_id, action, object_kind, object_id, details, result "
                    "FROM admin_actions WHERE 1 = 1";
  std::vector<std::string> params;
  auto add = [&](const std::string& value, const char* clause) {
    if (value.empty())
      return;
    sql += clause;
    params.push_back(value);
  };
  add(q.since, " AND at >= ?");
  add(q.until, " AND at < ?");
  add(q.action, " AND action = ?");
  add(q.object, " AND object_id = ?");
  if (!q.directory.empty()) {
    sql += " AND ((actor_kind = 'directory' AND actor_id = ?) OR object_id = ?)";
    params.push_back(q.directory);
    params.push_back(q.directory);
  }
  if (q.before > 0)
    sql += " AND seq < ?";
  sql += " ORDER BY seq DESC LIMIT ?";
  auto st = c_->prepare(sql);
  if (st == nullptr)
    return out;
  int i = 1;
  for (const auto& p : params)
    st->bind(i++, std::string_view{p});
  if (q.before > 0)
    st->bind(i++, q.before);
  st->bind(i, q.limit);
  while (st->step())
    out.push_back(action_row{st->integer(0), st->text(1), st->text(2), st->text(3), st->text(4),
                             st->text(5), st->text(6), st->text(7), st->text(8)});
  return out;
}

// ---- writer ---------------------------------------------------------------

std::optional<admin_entry> sqlite_writer::admin_by_id(const std::string& id) {
  auto st = c_->prepare(std::string{admin_entry_select} + "WHERE id = ?");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{id});
  if (!st->step())
    return std::nullopt;
  return read_admin_entry(*st);
}

std::int64_t sqlite_writer::active_owners() {
  auto st = c_->prepare("SELECT count(*) FROM admins WHERE role = 'owner' AND revoked_at IS NULL");
  if (st == nullptr || !st->step())
    return 0;
  return st->integer(0);
}

ok_t sqlite_writer::revoke_admin(const std::string& id, const std::string& at) {
  auto st = c_->prepare("UPDATE admins SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  if (st == nullptr)
    return failure("prepare revoke admin");
  st->bind(1, std::string_view{at});
  st->bind(2, std::string_view{id});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("revoke admin");
  if (c_->changes() == 0)
    return make_error(error_code::not_found, "no such admin");
  return scim::unit{};
}

std::optional<admin_user> sqlite_writer::admin_user_by_id(const std::string& id) {
  return user_by_id(*c_, id);
}

ok_t sqlite_writer::admin_update_user(const user_row& u, const std::string& status,
                                      std::int64_t expected_version) {
  auto st = c_->prepare("UPDATE users SET user_name = ?, display_name = ?, resource = ?, last_modified = ?, "
                        "version = ?, status = ?, attributes = ? WHERE id = ? AND version = ?");
  if (st == nullptr)
    return failure("prepare admin update user");
  st->bind(1, std::string_view{u.user_name});
  if (u.display_name)
    st->bind(2, std::string_view{*u.display_name});
  else
    st->bind_null(2);
  st->bind(3, std::string_view{u.resource});
  st->bind(4, std::string_view{u.last_modified});
  st->bind(5, u.version);
  st->bind(6, std::string_view{status});
  st->bind(7, std::string_view{u.attributes});
  st->bind(8, std::string_view{u.id});
  st->bind(9, expected_version);
  st->step();
  if (st->last_code() != SQLITE_DONE) {
    if (sqlite3_extended_errcode(c_->get()) == SQLITE_CONSTRAINT_UNIQUE)
      return make_error(error_code::uniqueness, "username is already taken");
    return failure("admin update user");
  }
  if (c_->changes() == 0)
    return make_error(error_code::precondition_failed, "the user changed concurrently");
  return scim::unit{};
}

ok_t sqlite_writer::purge_user(const std::string& id) {
  auto st = c_->prepare("DELETE FROM users WHERE id = ?");
  if (st == nullptr)
    return failure("prepare purge user");
  st->bind(1, std::string_view{id});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("purge user");
  if (c_->changes() == 0)
    return make_error(error_code::not_found, "no such user");
  return scim::unit{};
}

std::optional<admin_group> sqlite_writer::admin_group_by_id(const std::string& id) {
  return group_by_id(*c_, id);
}

ok_t sqlite_writer::admin_update_group(const std::string& id, const std::string& status,
                                       const std::string& description) {
  auto st = c_->prepare("UPDATE groups SET status = ?, description = ? WHERE id = ?");
  if (st == nullptr)
    return failure("prepare admin update group");
  st->bind(1, std::string_view{status});
  st->bind(2, std::string_view{description});
  st->bind(3, std::string_view{id});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("admin update group");
  if (c_->changes() == 0)
    return make_error(error_code::not_found, "no such group");
  return scim::unit{};
}

ok_t sqlite_writer::insert_unmanaged_group(const group_row& g, const std::string& description) {
  auto st = c_->prepare("INSERT INTO groups(id, directory_id, display_name, external_id, created, last_modified, "
                        "version, resource, description) VALUES(?, NULL, ?, NULL, ?, ?, ?, ?, ?)");
  if (st == nullptr)
    return failure("prepare insert unmanaged group");
  st->bind(1, std::string_view{g.id});
  st->bind(2, std::string_view{g.display_name});
  st->bind(3, std::string_view{g.created});
  st->bind(4, std::string_view{g.last_modified});
  st->bind(5, g.version);
  st->bind(6, std::string_view{g.resource});
  st->bind(7, std::string_view{description});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("insert unmanaged group");
  return scim::unit{};
}

ok_t sqlite_writer::delete_unmanaged_group(const std::string& id) {
  auto st = c_->prepare("DELETE FROM groups WHERE id = ? AND directory_id IS NULL");
  if (st == nullptr)
    return failure("prepare delete unmanaged group");
  st->bind(1, std::string_view{id});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("delete unmanaged group");
  if (c_->changes() == 0)
    return make_error(error_code::not_found, "no such unmanaged group");
  return scim::unit{};
}

ok_t sqlite_writer::set_membership(const std::string& group_id, const std::string& user_id, bool add) {
  auto st = c_->prepare(add ? "INSERT OR IGNORE INTO group_members(group_id, user_id) VALUES(?, ?)"
                            : "DELETE FROM group_members WHERE group_id = ? AND user_id = ?");
  if (st == nullptr)
    return failure("prepare membership");
  st->bind(1, std::string_view{group_id});
  st->bind(2, std::string_view{user_id});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("membership");
  return scim::unit{};
}

} // namespace dirsync::persistence
