#include "persistence/sqlite_store.hpp"

#include "persistence/sqlite_rows.hpp"
#include "scim/filter.hpp"

namespace dirsync::persistence {

using namespace rows;

const scim::sql_layout& user_layout() {
  static const scim::sql_layout layout = [] {
    scim::sql_layout l;
    l.table = "users";
    l.json_column = "resource";
    l.columns = {{"id", "users.id"},
                 {"username", "users.user_name"},
                 {"externalid", "users.external_id"},
                 {"displayname", "users.display_name"},
                 {"active", "users.active"},
                 {"meta.created", "users.created"},
                 {"meta.lastmodified", "users.last_modified"}};
    l.side_tables = {{"groups", "group_members", "user_id", "group_id"}};
    l.id_column = "id";
    return l;
  }();
  return layout;
}

const scim::sql_layout& group_layout() {
  static const scim::sql_layout layout = [] {
    scim::sql_layout l;
    l.table = "groups";
    l.json_column = "resource";
    l.columns = {{"id", "groups.id"},
                 {"displayname", "groups.display_name"},
                 {"externalid", "groups.external_id"},
                 {"meta.created", "groups.created"},
                 {"meta.lastmodified", "groups.last_modified"}};
    l.side_tables = {{"members", "group_members", "group_id", "user_id"}};
    l.id_column = "id";
    return l;
  }();
  return layout;
}

sqlite_reader::sqlite_reader(std::unique_ptr<connection> c) : c_(std::move(c)) {
}

std::optional<directory_row> sqlite_reader::directory_by_token_hash(const std::string& token_hash) {
  auto st = c_->prepare(std::string{"SELECT "} + directory_columns
                         + " FROM directories WHERE token_hash = ?");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{token_hash});
  if (!st->step())
    return std::nullopt;
  return read_directory(*st);
}

std::optional<directory_row> sqlite_reader::directory(const std::string& id) {
  auto st = c_->prepare(std::string{"SELECT "} + directory_columns
                         + " FROM directories WHERE id = ?");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{id});
  if (!st->step())
    return std::nullopt;
  return read_directory(*st);
}

std::vector<directory_row> sqlite_reader::directories() {
  std::vector<directory_row> out;
  auto st = c_->prepare(std::string{"SELECT "} + directory_columns
                         + " FROM directories WHERE state != 'deleted' ORDER BY created, id");
  if (st == nullptr)
    return out;
  while (st->step())
    out.push_back(read_directory(*st));
  return out;
}

std::optional<user_row> sqlite_reader::user(const std::string& directory_id, const std::string& id) {
  auto st = c_->prepare(std::string{"SELECT "} + user_columns
                         + " FROM users WHERE id = ? AND directory_id = ? AND " + visible_user);
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{id});
  st->bind(2, std::string_view{directory_id});
  if (!st->step())
    return std::nullopt;
  return read_user(*st);
}

std::optional<group_row> sqlite_reader::group(const std::string& directory_id, const std::string& id) {
  auto st = c_->prepare(std::string{"SELECT "} + group_columns
                         + " FROM groups WHERE id = ? AND directory_id = ?");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{id});
  st->bind(2, std::string_view{directory_id});
  if (!st->step())
    return std::nullopt;
  return read_group(*st);
}

std::vector<member_row> sqlite_reader::groups_of_user(const std::string& user_id) {
  return query_groups_of_user(*c_, user_id);
}

std::vector<member_row> query_groups_of_user(connection& c, const std::string& user_id) {
  std::vector<member_row> out;
  auto st = c.prepare("SELECT g.id, g.display_name FROM group_members m "
                         "JOIN groups g ON g.id = m.group_id WHERE m.user_id = ? "
                         "ORDER BY g.rowid");
  if (st == nullptr)
    return out;
  st->bind(1, std::string_view{user_id});
  while (st->step())
    out.push_back({st->text(0), st->text(1)});
  return out;
}

std::vector<member_row> sqlite_reader::members_of_group(const std::string& group_id) {
  std::vector<member_row> out;
  auto st = c_->prepare("SELECT u.id, u.user_name FROM group_members m "
                         "JOIN users u ON u.id = m.user_id WHERE m.group_id = ? "
                         "AND (u.trash_reason IS NULL OR u.trash_reason != 'deleted') "
                         "ORDER BY u.rowid");
  if (st == nullptr)
    return out;
  st->bind(1, std::string_view{group_id});
  while (st->step())
    out.push_back({st->text(0), st->text(1)});
  return out;
}

template <class Row, class ReadFn>
scim::expected<page_result<Row>>
sqlite_reader::find(const char* table, const char* columns, const scim::sql_layout& layout,
                    scim::resource_kind kind, const std::string& directory_id,
                    const list_query& q, ReadFn read_row) {
  std::string where = std::string{table} + ".directory_id = ?";
  if (kind == scim::resource_kind::user)
    where += std::string{" AND "} + visible_user;
  std::vector<scim::sql_value> params{directory_id};
  if (q.filter) {
    auto frag = scim::to_sql(*q.filter, kind, layout);
    if (!frag)
      return frag.err();
    where += " AND (" + frag->where + ")";
    for (auto& p : frag->params)
      params.push_back(p);
  }
  std::string order = std::string{table} + ".rowid";
  if (!q.sort_by.empty()) {
    auto expr = scim::sort_expression(q.sort_by, kind, layout);
    if (!expr)
      return expr.err();
    order = *expr + (q.descending ? " DESC, " : " ASC, ") + order;
  }
  auto bind_all = [&](statement& st) {
    int i = 1;
    for (auto& p : params)
      st.bind(i++, p);
    return i;
  };
  page_result<Row> out;
  auto count_rows = [&]() -> bool {
    auto count = c_->prepare(std::string{"SELECT count(*) FROM "} + table + " WHERE " + where);
    if (count == nullptr)
      return false;
    bind_all(*count);
    if (count->step())
      out.total = count->integer(0);
    return true;
  };
  auto invalid = [] { return scim::make_error(scim::error_code::invalid_filter, "the filter cannot be evaluated"); };
  if (q.limit <= 0) {
    if (!count_rows())
      return invalid();
    return out;
  }
  auto st = c_->prepare(std::string{"SELECT "} + columns + " FROM " + table + " WHERE " + where
                         + " ORDER BY " + order + " LIMIT ? OFFSET ?");
  if (st == nullptr)
    return invalid();
  int next = bind_all(*st);
  st->bind(next, static_cast<std::int64_t>(q.limit));
  st->bind(next + 1, static_cast<std::int64_t>(q.offset));
  while (st->step())
    out.rows.push_back(read_row(*st));
  // A page that is not full and not past the end ends the result: its
  // position gives the total without counting (an Okta lookup by userName
  // is one query, not two). Otherwise count.
  auto got = static_cast<std::int64_t>(out.rows.size());
  if (got < q.limit && (got > 0 || q.offset == 0)) {
    out.total = q.offset + got;
    return out;
  }
  if (!count_rows())
    return invalid();
  return out;
}

scim::expected<page_result<user_row>> sqlite_reader::find_users(const std::string& directory_id, const list_query& q) {
  return find<user_row>("users", user_columns, user_layout(), scim::resource_kind::user,
                        directory_id, q, read_user);
}

scim::expected<page_result<group_row>> sqlite_reader::find_groups(const std::string& directory_id, const list_query& q) {
  return find<group_row>("groups", group_columns, group_layout(), scim::resource_kind::group,
                         directory_id, q, read_group);
}

std::optional<admin_row> sqlite_reader::admin_by_key_hash(const std::string& key_hash) {
  auto st = c_->prepare("SELECT id, name, role, key_hash, created, email FROM admins "
                         "WHERE key_hash = ? AND revoked_at IS NULL");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{key_hash});
  if (!st->step())
    return std::nullopt;
  return admin_row{st->text(0), st->text(1), st->text(2), st->text(3), st->text(4), st->text(5)};
}

std::pair<std::int64_t, std::int64_t> sqlite_reader::managed_counts(const std::string& directory_id) {
  std::pair<std::int64_t, std::int64_t> out{0, 0};
  auto users = c_->prepare("SELECT count(*) FROM users WHERE directory_id = ? AND trashed_at IS NULL");
  auto groups = c_->prepare("SELECT count(*) FROM groups WHERE directory_id = ?");
  if (users == nullptr || groups == nullptr)
    return out;
  users->bind(1, std::string_view{directory_id});
  groups->bind(1, std::string_view{directory_id});
  if (users->step())
    out.first = users->integer(0);
  if (groups->step())
    out.second = groups->integer(0);
  return out;
}

void sqlite_reader::begin_snapshot() {
  // A snapshot still open (one renew_snapshot() could not keep, or a begin
  // without an end) would pin an old state: end it before starting the next.
  if (!c_->autocommit())
    end_snapshot();
  // Read before BEGIN: a commit landing in between only makes the snapshot
  // newer than the count says, and the next renew_snapshot() renews it.
  snapshot_commits_ = commit_count();
  snapshot_jobs_ = 1;
  c_->run("BEGIN");
}

void sqlite_reader::renew_snapshot(int max_jobs) {
  if (!c_->autocommit() && snapshot_jobs_ < max_jobs && commit_count() == snapshot_commits_) {
    ++snapshot_jobs_;
    return;
  }
  begin_snapshot();
}

void sqlite_reader::end_snapshot() {
  if (c_->autocommit())
    return;
  if (c_->run("COMMIT") != SQLITE_OK)
    c_->run("ROLLBACK");
}

bool sqlite_reader::ping() {
  auto st = c_->prepare("SELECT 1");
  return st != nullptr && st->step();
}

} // namespace dirsync::persistence
