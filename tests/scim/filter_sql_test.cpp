#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>

#include "sql_fixture.hpp"

// Property-style cross-check: for many filters, the rows the SQL translation
// selects from an in-memory SQLite database equal the rows `matches` accepts.
using namespace sql_fixture;

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
