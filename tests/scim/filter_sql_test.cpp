#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <random>
#include <set>

#include <sqlite3.h>

#include "scim/filter.hpp"

// Property-style cross-check: for many filters, the rows the SQL translation
// selects from an in-memory SQLite database equal the rows `matches` accepts.
using namespace dirsync::scim;
using json = nlohmann::json;

namespace {

const std::string ent{enterprise_urn};

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct stmt_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, stmt_finalizer>;

stmt_ptr prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  INFO(sql << "\n" << sqlite3_errmsg(db));
  REQUIRE(rc == SQLITE_OK);
  return stmt_ptr{s};
}

void exec(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  INFO(sql << "\n" << (msg ? msg : ""));
  sqlite3_free(msg);
  REQUIRE(rc == SQLITE_OK);
}

/// (Not named `bind`: ADL would pick std::bind for std::string arguments.)
void bind_value(sqlite3_stmt* s, int i, const sql_value& v) {
  if (auto* n = std::get_if<std::int64_t>(&v))
    sqlite3_bind_int64(s, i, *n);
  else if (auto* d = std::get_if<double>(&v))
    sqlite3_bind_double(s, i, *d);
  else if (auto* t = std::get_if<std::string>(&v))
    sqlite3_bind_text(s, i, t->c_str(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(s, i);
}

void bind_text(sqlite3_stmt* s, int i, const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null())
    sqlite3_bind_null(s, i);
  else if (it->is_boolean())
    sqlite3_bind_int64(s, i, it->get<bool>() ? 1 : 0);
  else
    bind_value(s, i, it->get<std::string>());
}

std::string stamp(int minutes, int millis) {
  return format_date_time(*parse_date_time("2024-01-01T00:00:00Z") + (minutes * 60000LL + millis) * 1000);
}

std::vector<json> make_users() {
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

std::vector<json> make_groups() {
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

struct fixture {
  db_ptr db;
  std::vector<json> users = make_users();
  std::vector<json> groups = make_groups();
  sql_layout user_layout{"u", "resource",
                         {{"id", "u.id"}, {"username", "u.user_name"}, {"externalid", "u.external_id"},
                          {"displayname", "u.display_name"}, {"active", "u.active"},
                          {"meta.created", "u.created"}, {"meta.lastmodified", "u.last_modified"}},
                         {}};
  sql_layout group_layout{"g", "resource", {{"id", "g.id"}, {"displayname", "g.display_name"}},
                          {{"members", "group_members", "group_id", "user_id"}}};

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

} // namespace

TEST_CASE("SQL selects exactly the users matches() accepts", "[filter][sql]") {
  fixture fx;
  const std::string e = ent + ":";
  const std::vector<std::string> filters = {
      // columns, case rules
      R"(userName eq "ALICE")", R"(userName ne "alice")", R"(userName co "EXAMPLE")", R"(userName sw "Al")",
      R"(userName ew ".com")", R"(userName gt "carol")", R"(userName ge "Carol@example.com")",
      R"(userName lt "B")", R"(userName le "bob@example.com")", "userName pr", R"(userName co "%_")",
      R"(userName co "\\")", R"(userName sw "émile")", R"(userName sw "Émile")", R"(userName co "50%")",
      R"(id eq "u-101")", R"(id eq "U-100")", R"(id eq "u-100")", R"(id sw "U")", R"(id ew "05")",
      R"(id co "-1")", R"(id gt "u-110")", R"(externalId eq "ext-2")", R"(externalId ne "Ext-1")",
      R"(externalId sw "Ext")", "externalId pr", "not (externalId pr)", "externalId eq null",
      R"(displayName eq "user b")", "displayName pr", R"(displayName ne "User B")", R"(displayName co "")",
      R"(displayName ew "")", R"(displayName lt "User M")",
      // booleans
      "active eq true", "active eq false", "active ne true", R"(active eq "False")", "active pr",
      "not (active eq false)", "active eq null",
      // JSON single-valued, complex and extension
      R"(title eq "engineer")", R"(title co "_off")", R"(title co "_")", R"(title co "%")",
      R"(title sw "chief_")", R"(title ne "Engineer")", "title pr", "not (title pr)", R"(title gt "e")",
      R"(name.givenName eq "barbara")", R"(name.givenName co "'")", R"(name.givenName sw "É")",
      R"(name.givenName ew "ë")", R"(name.familyName ew "SMITH")", "name pr", "name.middleName pr",
      R"(name[givenName sw "b" and familyName eq "jensen"])", R"(name[not (givenName eq "barbara")])",
      e + R"(employeeNumber eq "E3")", e + R"(department eq "r&d")", e + "manager pr",
      e + R"(manager.value eq "U-100")", "not (" + e + R"(manager.value eq "u-100"))",
      R"(employeeNumber gt "E4")", e + "employeeNumber eq null",
      R"(meta.version eq "W/\"v1\"")", R"(meta.resourceType eq "User")",
      // dateTimes (columns), offsets, sub-millisecond literals
      R"(meta.created gt "2024-01-03T00:00:00Z")", R"(meta.created le "2024-01-03T02:00:00+02:00")",
      R"(meta.created eq "2024-01-01T07:13:00.037Z")", R"(meta.created eq "2024-01-01T09:13:00.037+02:00")",
      R"(meta.created eq "2024-01-01T07:13:00.0370001Z")", R"(meta.created ne "2024-01-01T07:13:00.0370001Z")",
      R"(meta.created ge "2024-01-01T07:13:00.0365Z")", R"(meta.created gt "2024-01-01T07:13:00.0375Z")",
      R"(meta.created lt "2024-01-01T07:13:00.0375Z")", R"(meta.created le "2024-01-01T07:13:00.0365Z")",
      R"(meta.lastModified gt "2024-01-05T00:00:00-05:00")", "meta.lastModified pr",
      R"(meta[created lt "2024-01-02T00:00:00Z" and lastModified gt "2024-01-01T00:00:00Z"])",
      // multi-valued
      R"(emails.value eq "W1@work.com")", R"(emails eq "h2@HOME.org")", R"(emails co "@work")",
      R"(emails.type eq "other")", R"(emails.type ne "work")", "emails pr", "not (emails pr)",
      "emails.primary eq true", "emails.display pr", "emails eq null", "emails ne null",
      R"(emails.value sw "o%")", R"(emails.value gt "p")", R"(phoneNumbers.value co "555")",
      R"(phoneNumbers.type eq "mobile")", "phoneNumbers pr",
      // value paths and the Entra form
      R"(emails[type eq "work" and value co "@work.com"])", R"(emails[type eq "home" or primary eq true])",
      R"(emails[type eq "work"].value ew "2@work.com")", R"(emails[not (type eq "work")])",
      R"(not emails[type eq "work"])", R"(emails[primary eq true].value pr)", R"(emails[display pr])",
      R"(emails[type eq "work"] and emails[type eq "home"])", R"(emails[type ne "work"].value co "@")",
      // logic, precedence, absent values
      R"(title eq "Engineer" or userName sw "bob" and active eq true)",
      R"((title eq "Engineer" or userName sw "bob") and active eq true)",
      R"(not (title eq "Engineer" or active eq false))", R"(not (not (title pr) and name pr))",
      R"(nickName ne "x")", R"(nickName eq "x")", R"(not (nickName gt "a"))",
      R"(active eq true and (emails[type eq "work"] or not (externalId pr)))",
  };
  for (const auto& f : filters)
    fx.cross_check(f, resource_kind::user);
}

TEST_CASE("SQL selects exactly the groups matches() accepts", "[filter][sql]") {
  fixture fx;
  for (auto f : {R"(members.value eq "u-104")", R"(members eq "U-104")", "members pr", "not (members pr)",
                 R"(members[value eq "u-107"])", R"(members[value sw "u-10"])", R"(members ne "u-104")",
                 R"(members[display eq "member 1"])", "members.display pr", R"(members[type eq "user"])",
                 R"(displayName co "ADMINS")", R"(displayName eq "staff5")", R"(displayName eq "staff")",
                 R"(id eq "g-3")", R"(members.value gt "u-110")", "members eq null",
                 R"(members[value eq "u-104" or value eq "u-108"] and not (displayName sw "s"))"})
    fx.cross_check(f, resource_kind::group);
}

TEST_CASE("SQL shapes: columns, collation, JSON paths, side tables", "[filter][sql]") {
  fixture fx;
  auto sql = [&](std::string_view text, resource_kind kind = resource_kind::user) {
    auto f = parse_filter(text);
    REQUIRE(f);
    auto frag = to_sql(**f, kind, kind == resource_kind::user ? fx.user_layout : fx.group_layout);
    REQUIRE(frag);
    return *frag;
  };
  auto user_name = sql(R"(userName eq "Bob")");
  CHECK(user_name.where == "u.user_name = ? COLLATE NOCASE");
  CHECK(user_name.params == std::vector<sql_value>{std::string{"Bob"}});
  CHECK(sql(R"(id eq "x")").where == "u.id = ?");
  CHECK(sql(R"(title ne "x")").where == "NOT IFNULL(json_extract(u.resource, '$.\"title\"') = ? COLLATE NOCASE, 0)");
  CHECK_THAT(sql(ent + R"(:manager.value eq "x")").where,
             Catch::Contains("'$.\"" + ent + "\".\"manager\".\"value\"'"));
  CHECK(sql("active eq true").params == std::vector<sql_value>{std::int64_t{1}});
  CHECK(sql(R"(meta.created gt "2024-01-01T02:00:00+02:00")").params ==
        std::vector<sql_value>{std::string{"2024-01-01T00:00:00.000Z"}});
  CHECK(sql(R"(title sw "a%b")").params == std::vector<sql_value>{std::string{"a\\%b%"}});
  auto nested = sql(R"(emails[type eq "work"] and emails.value pr)");
  CHECK_THAT(nested.where, Catch::Contains("json_each(u.resource, '$.\"emails\"') AS e1") &&
                               Catch::Contains("AS e2"));
  CHECK(sql(R"(members eq "u1")", resource_kind::group).where ==
        "EXISTS (SELECT 1 FROM group_members WHERE group_members.group_id = g.id AND "
        "group_members.user_id = ? COLLATE NOCASE)");
  CHECK(sql("members pr", resource_kind::group).where ==
        "EXISTS (SELECT 1 FROM group_members WHERE group_members.group_id = g.id AND "
        "IFNULL(group_members.user_id, '') <> '')");

  auto f = parse_filter(R"(nope eq "x")");
  REQUIRE(f);
  auto bad = to_sql(**f, resource_kind::user, fx.user_layout);
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == error_code::invalid_filter);
}

TEST_CASE("userName eq uses the NOCASE index", "[filter][sql]") {
  fixture fx;
  auto f = parse_filter(R"(userName eq "alice")");
  REQUIRE(f);
  auto frag = to_sql(**f, resource_kind::user, fx.user_layout);
  REQUIRE(frag);
  auto s = prepare(fx.db.get(), "EXPLAIN QUERY PLAN SELECT id FROM users AS u WHERE " + frag->where);
  bind_value(s.get(), 1, frag->params[0]);
  std::string plan;
  while (sqlite3_step(s.get()) == SQLITE_ROW)
    plan += std::string(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 3))) + "\n";
  INFO(plan);
  CHECK_THAT(plan, Catch::Contains("USING INDEX users_user_name"));
  CHECK_THAT(plan, !Catch::Contains("SCAN"));
}

TEST_CASE("sort_expression orders by column, JSON or primary value", "[filter][sql]") {
  fixture fx;
  auto expr = [&](std::string_view by, resource_kind kind = resource_kind::user) {
    auto e = sort_expression(by, kind, kind == resource_kind::user ? fx.user_layout : fx.group_layout);
    REQUIRE(e);
    return *e;
  };
  CHECK(expr("userName") == "u.user_name COLLATE NOCASE");
  CHECK(expr("id") == "u.id");
  CHECK(expr("meta.lastModified") == "u.last_modified");
  CHECK(expr("name.familyName") == "json_extract(u.resource, '$.\"name\".\"familyName\"') COLLATE NOCASE");
  CHECK_THAT(expr("emails"), Catch::Contains("primary") && Catch::Contains("LIMIT 1"));
  CHECK_THAT(expr("members.value", resource_kind::group), Catch::Contains("group_members"));
  auto bad = sort_expression("nope", resource_kind::user, fx.user_layout);
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == error_code::invalid_path);
  CHECK_FALSE(sort_expression("name", resource_kind::user, fx.user_layout));
  CHECK_FALSE(sort_expression("password", resource_kind::user, fx.user_layout));

  // Sorting by emails: the primary (else first) address of each user.
  auto s = prepare(fx.db.get(), "SELECT id, " + expr("emails") + " AS k FROM users AS u WHERE k IS NOT NULL "
                                "ORDER BY k, id");
  std::vector<std::string> keys;
  while (sqlite3_step(s.get()) == SQLITE_ROW)
    keys.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 1)));
  REQUIRE_FALSE(keys.empty());
  CHECK(std::is_sorted(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    auto lower = [](std::string x) {
      for (auto& c : x)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return x;
    };
    return lower(a) < lower(b);
  }));
  CHECK(std::find(keys.begin(), keys.end(), "h2@home.org") != keys.end()); // primary, not first
  CHECK(std::find(keys.begin(), keys.end(), "w2@work.com") == keys.end());
}

namespace {

/// Random valid filters over the user schema, from a fixed seed.
class filter_generator {
public:
  explicit filter_generator(unsigned seed) : rng_(seed) {}

  std::string filter(int depth) {
    switch (depth > 0 ? pick(6) : 0) {
      case 1: return "(" + filter(depth - 1) + " and " + filter(depth - 1) + ")";
      case 2: return "(" + filter(depth - 1) + " or " + filter(depth - 1) + ")";
      case 3: return "not (" + filter(depth - 1) + ")";
      case 4: return value_path();
      default: return comparison();
    }
  }

private:
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  template <class T, std::size_t N>
  const T& one(const T (&items)[N]) { return items[pick(N)]; }

  std::string quoted(const std::string& s) { return json(s).dump(); }

  std::string string_literal() {
    static const char* pool[] = {"alice", "ALICE", "u-101", "U-100", "ext-2", "Ext-3", "Engineer", "e", "%",
                                 "_", "jensen", "Jensen", "work", "home", "W1@work.com", "E3", "r&d", "",
                                 "user b", "\u00c9mile", "z", "u-1", "@", ".com", "Other", "boss"};
    std::string s = one(pool);
    bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii && !s.empty() && pick(3) == 0)
      s = s.substr(pick(s.size()), 1 + pick(3));
    return quoted(s);
  }

  std::string date_literal() {
    auto us = *parse_date_time("2024-01-01T00:00:00Z") + static_cast<std::int64_t>(pick(30 * 433 + 300)) * 60000000 +
              static_cast<std::int64_t>(pick(4)) * 37000 * static_cast<std::int64_t>(pick(30));
    int hours = static_cast<int>(pick(3)) * 3 - 3; // -3, 0, +3
    std::string s = format_date_time(us + hours * 3600LL * 1000000);
    s.pop_back(); // 'Z'
    if (pick(3) == 0)
      s += "5"; // finer than a millisecond
    s += hours == 0 ? "Z" : (hours > 0 ? "+" : "-") + std::string("0") + std::to_string(std::abs(hours)) + ":00";
    return quoted(s);
  }

  std::string comparison() {
    static const char* strings[] = {"userName", "id", "externalId", "displayName", "title", "name.givenName",
                                    "name.familyName", "emails.value", "emails.type", "emails",
                                    "phoneNumbers.value", "employeeNumber", "department", "manager.value",
                                    "meta.version", "nickName", "emails.display"};
    static const char* ops[] = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"};
    static const char* date_ops[] = {"eq", "ne", "gt", "ge", "lt", "le"};
    static const char* complex[] = {"name", "emails", "manager", "phoneNumbers", "meta", "addresses"};
    switch (pick(8)) {
      case 0: return std::string(one(strings)) + " pr";
      case 1: return std::string(one(complex)) + " pr";
      case 2: return std::string(pick(2) ? "active" : "emails.primary") + (pick(2) ? " eq " : " ne ") +
                     (pick(3) == 0 ? "\"True\"" : pick(2) ? "true" : "false");
      case 3: return std::string(pick(2) ? "meta.created " : "meta.lastModified ") + one(date_ops) + " " + date_literal();
      case 4: return std::string(one(strings)) + (pick(2) ? " eq null" : " ne null");
      default: return std::string(one(strings)) + " " + one(ops) + " " + string_literal();
    }
  }

  std::string element_comparison() {
    static const char* subs[] = {"value", "type", "display"};
    static const char* ops[] = {"eq", "ne", "co", "sw", "ew", "gt", "lt"};
    switch (pick(4)) {
      case 0: return std::string(one(subs)) + " pr";
      case 1: return std::string("primary eq ") + (pick(2) ? "true" : "false");
      default: return std::string(one(subs)) + " " + one(ops) + " " + string_literal();
    }
  }

  std::string value_path() {
    std::string inner = element_comparison();
    if (pick(2))
      inner = "(" + inner + (pick(2) ? " and " : " or ") + element_comparison() + ")";
    if (pick(4) == 0)
      inner = "not (" + inner + ")";
    std::string out = "emails[" + inner + "]";
    if (pick(3) == 0)
      out += ".value " + std::string(pick(2) ? "co " : "eq ") + string_literal();
    return out;
  }

  std::mt19937 rng_;
};

} // namespace

TEST_CASE("random valid filters: SQL and matches() agree", "[filter][sql]") {
  fixture fx;
  filter_generator gen{20240101};
  int selective = 0; // neither no row nor every row: the filter discriminated
  for (int i = 0; i < 600; ++i) {
    auto n = fx.cross_check(gen.filter(3), resource_kind::user);
    selective += n > 0 && n < fx.users.size();
  }
  CHECK(selective > 200);
}

TEST_CASE("random token soup never crashes the parser", "[filter][errors]") {
  static const char* tokens[] = {"userName", "emails", "[", "]", "(", ")", "eq", "pr", "and", "or", "not",
                                 "\"x\"", "\"", "\\", ".value", "true", "12", "-", "urn:x:", " ", "name.", "$ref"};
  std::mt19937 rng{7};
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    for (std::size_t n = rng() % 12; n > 0; --n)
      text += std::string(tokens[rng() % (sizeof tokens / sizeof *tokens)]) + (rng() % 2 ? " " : "");
    INFO(text);
    auto f = parse_filter(text);
    if (!f) {
      CHECK(f.err().code == error_code::invalid_filter);
      continue;
    }
    REQUIRE(*f);
    if (validate_filter(**f, resource_kind::user))
      CHECK(to_sql(**f, resource_kind::user, sql_layout{"u", "resource", {}, {}}));
    matches(**f, resource_kind::user, json::object());
    parse_attr_path(text, resource_kind::user);
  }
}
