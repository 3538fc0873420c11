#pragma once

// Shared fixture of the SQL translation tests: an in-memory SQLite database
// with ~30 varied users and a few groups (membership in a side table), and a
// cross-check of to_sql() against matches().

#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "scim/filter.hpp"

namespace sql_fixture {

using namespace dirsync::scim;
using json = nlohmann::json;

/// The enterprise extension URN, as the stored JSON key.
inline const std::string ent{enterprise_urn};

/// Deleter closing a database handle.
struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
/// Deleter finalizing a prepared statement.
struct stmt_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
/// Owned database handle.
using db_ptr = std::unique_ptr<sqlite3, db_closer>;
/// Owned prepared statement.
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

/// Prepares `sql`, failing the test on error.
inline stmt_ptr prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  INFO(sql << "\n" << sqlite3_errmsg(db));
  REQUIRE(rc == SQLITE_OK);
  return stmt_ptr{s};
}

/// Runs `sql` (several statements allowed), failing the test on error.
inline void exec(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  INFO(sql << "\n" << (msg ? msg : ""));
  sqlite3_free(msg);
  REQUIRE(rc == SQLITE_OK);
}

/// Binds one sql_value. (Not named `bind`: ADL would pick std::bind for std::string arguments.)
inline void bind_value(sqlite3_stmt* s, int i, const sql_value& v) {
  if (auto* n = std::get_if<std::int64_t>(&v))
    sqlite3_bind_int64(s, i, *n);
  else if (auto* d = std::get_if<double>(&v))
    sqlite3_bind_double(s, i, *d);
  else if (auto* t = std::get_if<std::string>(&v))
    sqlite3_bind_text(s, i, t->c_str(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(s, i);
}

/// Binds doc[key] (string, boolean as 1/0, or NULL when absent).
inline void bind_text(sqlite3_stmt* s, int i, const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null())
    sqlite3_bind_null(s, i);
  else if (it->is_boolean())
    sqlite3_bind_int64(s, i, it->get<bool>() ? 1 : 0);
  else
    bind_value(s, i, it->get<std::string>());
}

/// A stored-form dateTime `minutes` and `millis` after 2024-01-01Z.
inline std::string stamp(int minutes, int millis) {
  return format_date_time(*parse_date_time("2024-01-01T00:00:00Z") + (minutes * 60000LL + millis) * 1000);
}

/// ~30 users covering absent/empty values, case variants, LIKE wildcards, non-ASCII.
inline std::vector<json> make_users() {
  const char* user_names[] = {"alice",           "Alice2",          "BOB@example.com", "carol@Example.com",
                              "dave",            "50%_off\\x@ex.com", "Émile@x.org",   "émile2@x.org",
                              "zed",             "Zelda"};
  const char* given[] = {"Barbara", "barbara", "Émile", "O'Brien", "Zoë", "al_pha%"};
  const char* titles[] = {"Engineer", "engineer lead", "Chief_Officer%", ""};
  std::vector<json> users;
  for (int i = 0; i < 30; ++i) {
    json u;
    u["id"] = (i % 3 == 0 ? "U-" : "u-") + std::to_string(100 + i);
    u["userName"] = i < 10 ? std::string{user_names[i]} : "user" + std::to_string(i) + "@Example.COM";
    if (i % 4 != 0)
      u["externalId"] = (i % 2 ? "Ext-" : "ext-") + std::to_string(i);
    if (i % 5 != 0)
      u["displayName"] = i % 7 == 0 ? "" : "User " + std::string(1, static_cast<char>('A' + i % 26));
    if (i % 4 != 3)
      u["title"] = titles[i % 4];
    if (i % 3 != 2)
      u["active"] = i % 3 == 0;
    if (i % 4 != 3) {
      u["name"] = {{"givenName", given[i % 6]}, {"familyName", i % 2 ? "Jensen" : "jensen-smith"}};
      if (i % 5 == 1)
        u["name"]["middleName"] = "";
    }
    switch (i % 5) {
      case 1: u["emails"] = {{{"value", "w" + std::to_string(i) + "@Work.com"}, {"type", "work"}, {"primary", true}}}; break;
      case 2:
        u["emails"] = {{{"value", "w" + std::to_string(i) + "@work.com"}, {"type", "work"}},
                       {{"value", "h" + std::to_string(i) + "@home.org"}, {"type", "home"}, {"primary", true}}};
        break;
      case 3: u["emails"] = json::array(); break;
      case 4: u["emails"] = {{{"value", "o%" + std::to_string(i) + "@x.com"}, {"type", "Other"}, {"display", nullptr}}}; break;
      default: break;
    }
    if (i == 29)
      u["emails"].push_back("not-an-object");
    if (i % 6 == 1)
      u["phoneNumbers"] = {{{"value", "+1 555 01" + std::to_string(i)}, {"type", "mobile"}}};
    if (i % 3 == 0) {
      u[ent] = {{"employeeNumber", "E" + std::to_string(i % 9)}, {"department", i % 2 ? "Sales" : "R&D"}};
      if (i % 2 == 0)
        u[ent]["manager"] = {{"value", "u-10" + std::to_string(i % 4)}, {"displayName", "Boss"}};
    }
    u["meta"] = {{"resourceType", "User"},
                 {"created", stamp(i * 433, i * 37)},
                 {"lastModified", stamp(i * 433 + 90 * (i % 4), i * 37 + 1)},
                 {"version", "W/\"v" + std::to_string(i % 3) + "\""}};
    users.push_back(u);
  }
  return users;
}

/// A few groups whose members are also written to the side table.
inline std::vector<json> make_groups() {
  std::vector<json> groups;
  for (int i = 0; i < 6; ++i) {
    json g = {{"id", "g-" + std::to_string(i)}, {"displayName", i % 2 ? "Admins " + std::to_string(i) : "staff"}};
    if (i != 5)
      g["displayName"] = g["displayName"].get<std::string>() + std::to_string(i);
    json members = json::array();
    for (int k = 0; k < i; ++k) {
      json m = {{"value", "u-" + std::to_string(100 + i + k * 3)}, {"type", "User"}};
      if (k % 2)
        m["display"] = "Member " + std::to_string(k);
      members.push_back(m);
    }
    if (i != 0)
      g["members"] = members;
    g["meta"] = {{"resourceType", "Group"}, {"created", stamp(i * 1000, 0)}, {"lastModified", stamp(i * 1000, 5)}};
    groups.push_back(g);
  }
  return groups;
}

/// The database and resources; users are `users AS u`, groups `groups AS g`.
struct fixture {
  db_ptr db;                                  ///< In-memory database.
  std::vector<json> users = make_users();    ///< Stored user resources.
  std::vector<json> groups = make_groups();  ///< Stored group resources.
  /// Users: indexed columns plus the JSON document.
  sql_layout user_layout{"u", "resource",
                         {{"id", "u.id"}, {"username", "u.user_name"}, {"externalid", "u.external_id"},
                          {"displayname", "u.display_name"}, {"active", "u.active"},
                          {"meta.created", "u.created"}, {"meta.lastmodified", "u.last_modified"}},
                         {}};
  /// Groups: members in the group_members side table.
  sql_layout group_layout{"g", "resource", {{"id", "g.id"}, {"displayname", "g.display_name"}},
                          {{"members", "group_members", "group_id", "user_id"}}};

  /// Creates the tables and inserts every resource.
  fixture() {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
    db.reset(raw);
    exec(raw, "CREATE TABLE users(id TEXT PRIMARY KEY, user_name TEXT, external_id TEXT, display_name TEXT, "
              "active INTEGER, created TEXT, last_modified TEXT, resource TEXT);"
              "CREATE UNIQUE INDEX users_user_name ON users(user_name COLLATE NOCASE);"
              "CREATE TABLE groups(id TEXT PRIMARY KEY, display_name TEXT, resource TEXT);"
              "CREATE TABLE group_members(group_id TEXT, user_id TEXT, PRIMARY KEY(group_id, user_id));");
    auto ins = prepare(raw, "INSERT INTO users VALUES(?,?,?,?,?,?,?,?)");
    for (const auto& u : users) {
      int i = 1;
      for (auto key : {"id", "userName", "externalId", "displayName", "active"})
        bind_text(ins.get(), i++, u, key);
      bind_text(ins.get(), i++, u["meta"], "created");
      bind_text(ins.get(), i++, u["meta"], "lastModified");
      bind_value(ins.get(), i, u.dump());
      REQUIRE(sqlite3_step(ins.get()) == SQLITE_DONE);
      sqlite3_reset(ins.get());
    }
    auto gins = prepare(raw, "INSERT INTO groups VALUES(?,?,?)");
    auto mins = prepare(raw, "INSERT INTO group_members VALUES(?,?)");
    for (const auto& g : groups) {
      bind_text(gins.get(), 1, g, "id");
      bind_text(gins.get(), 2, g, "displayName");
      bind_value(gins.get(), 3, g.dump());
      REQUIRE(sqlite3_step(gins.get()) == SQLITE_DONE);
      sqlite3_reset(gins.get());
      for (const auto& m : g.value("members", json::array())) {
        bind_text(mins.get(), 1, g, "id");
        bind_text(mins.get(), 2, m, "value");
        REQUIRE(sqlite3_step(mins.get()) == SQLITE_DONE);
        sqlite3_reset(mins.get());
      }
    }
  }

  /// Ids of the rows of `from` that satisfy `frag`.
  std::set<std::string> select(const std::string& from, const sql_fragment& frag, const std::string& order = "") {
    auto s = prepare(db.get(), "SELECT id FROM " + from + " WHERE " + frag.where + order);
    for (std::size_t i = 0; i < frag.params.size(); ++i)
      bind_value(s.get(), static_cast<int>(i + 1), frag.params[i]);
    std::set<std::string> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW)
      out.insert(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0)));
    INFO(frag.where << "\n" << sqlite3_errmsg(db.get()));
    REQUIRE(rc == SQLITE_DONE);
    return out;
  }

  /// Compares SQL and matches(); returns how many resources matched.
  std::size_t cross_check(std::string_view text, resource_kind kind) {
    INFO("filter: " << text);
    auto f = parse_filter(text);
    REQUIRE(f);
    auto frag = to_sql(**f, kind, kind == resource_kind::user ? user_layout : group_layout);
    INFO((frag ? frag->where : frag.err().detail));
    REQUIRE(frag);
    std::set<std::string> expected;
    for (const auto& r : kind == resource_kind::user ? users : groups)
      if (matches(**f, kind, r))
        expected.insert(r["id"].get<std::string>());
    auto got = select(kind == resource_kind::user ? "users AS u" : "groups AS g", *frag);
    CHECK(got == expected);
    return expected.size();
  }
};

} // namespace sql_fixture
