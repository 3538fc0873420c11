#include <catch2/catch.hpp>

#include "scim/filter.hpp"

using namespace dirsync::scim;
using json = nlohmann::json;

namespace {

const json& babs() {
  static const json j = json::parse(R"({
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "Ext-701984",
    "userName": "BJensen@example.com",
    "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": ""},
    "displayName": "Babs Jensen",
    "title": "Tour Guide",
    "active": true,
    "emails": [
      {"value": "bjensen@example.com", "type": "work", "primary": true},
      {"value": "babs@jensen.org", "type": "home"}
    ],
    "phoneNumbers": [],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
      "employeeNumber": "701984", "department": "Tour Operations",
      "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
    },
    "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22.000Z",
             "lastModified": "2011-05-13T04:42:34.250Z", "version": "W/\"a330bc54f0671c9\""}
  })");
  return j;
}

/// Parses, validates and evaluates; fails the test on a parse/validation error.
bool m(std::string_view text, const json& doc = babs(), resource_kind kind = resource_kind::user) {
  INFO("filter: " << text);
  auto f = parse_filter(text);
  REQUIRE(f.has_value());
  auto valid = validate_filter(**f, kind);
  INFO((valid ? "" : valid.err().detail));
  REQUIRE(valid.has_value());
  return matches(**f, kind, doc);
}

/// The error a filter produces at parse or validation time, or "" if none.
std::string problem(std::string_view text, resource_kind kind = resource_kind::user) {
  auto f = parse_filter(text);
  if (!f) {
    CHECK(f.err().code == error_code::invalid_filter);
    return f.err().detail;
  }
  auto valid = validate_filter(**f, kind);
  if (!valid) {
    CHECK(valid.err().code == error_code::invalid_filter);
    return valid.err().detail;
  }
  return "";
}

} // namespace

TEST_CASE("every comparison operator", "[filter]") {
  CHECK(m(R"(userName eq "bjensen@example.com")"));
  CHECK_FALSE(m(R"(userName eq "bjensen")"));
  CHECK(m(R"(userName ne "bjensen")"));
  CHECK_FALSE(m(R"(userName ne "BJENSEN@example.com")"));
  CHECK(m(R"(userName co "JENSEN@")"));
  CHECK(m(R"(userName sw "bjen")"));
  CHECK_FALSE(m(R"(userName sw "jensen")"));
  CHECK(m(R"(userName ew ".COM")"));
  CHECK(m(R"(userName gt "a")"));
  CHECK(m(R"(userName ge "bjensen@example.com")"));
  CHECK(m(R"(userName lt "c")"));
  CHECK(m(R"(userName le "BJENSEN@EXAMPLE.COM")"));
  CHECK_FALSE(m(R"(userName lt "b")"));
  CHECK(m("title pr"));
  CHECK_FALSE(m("nickName pr"));
  CHECK_FALSE(m("name.middleName pr")); // empty string is not present
  CHECK(m("name pr"));
  CHECK(m("emails pr"));
  CHECK_FALSE(m("phoneNumbers pr"));
}

TEST_CASE("keywords and attribute names are case-insensitive", "[filter]") {
  CHECK(m(R"(USERNAME EQ "bjensen@example.com" AND Title Pr)"));
  CHECK(m(R"(NOT (userName Eq "x") oR title PR)"));
  CHECK(m(R"(Name.GivenName sW "bar")"));
  CHECK(m("active eq TRUE"));
}

TEST_CASE("caseExact attributes compare exactly", "[filter]") {
  CHECK(m(R"(id eq "2819c223-7f76-453a-919d-413861904646")"));
  CHECK_FALSE(m(R"(id eq "2819C223-7F76-453A-919D-413861904646")"));
  CHECK(m(R"(externalId eq "Ext-701984")"));
  CHECK_FALSE(m(R"(externalId eq "ext-701984")"));
  CHECK_FALSE(m(R"(externalId sw "ext")"));
  CHECK(m(R"(externalId sw "Ext")"));
  CHECK(m(R"(meta.version eq "W/\"a330bc54f0671c9\"")"));
}

TEST_CASE("and, or, not precedence and parentheses", "[filter]") {
  // not > and > or: "a or b and c" is "a or (b and c)".
  CHECK(m(R"(title eq "Tour Guide" or userName eq "x" and title eq "y")"));
  CHECK_FALSE(m(R"((title eq "Tour Guide" or userName eq "x") and title eq "y")"));
  CHECK(m(R"(not (title eq "x") and title pr)"));
  CHECK_FALSE(m(R"(not (title eq "x" or title pr))"));
  CHECK(m(R"(((((title pr)))))"));
  CHECK(m(R"(not not (title pr))"));
  CHECK(m(R"(userName eq "a" or userName eq "b" or userName eq "c" or userName eq "bjensen@example.com")"));
}

TEST_CASE("absent attributes: ne and not match, others do not", "[filter]") {
  CHECK(m(R"(nickName ne "x")"));
  CHECK(m(R"(not (nickName eq "x"))"));
  CHECK_FALSE(m(R"(nickName eq "x")"));
  CHECK_FALSE(m(R"(nickName gt "a")"));
  CHECK(m(R"(not (nickName lt "a"))"));
  CHECK(m("nickName eq null"));
  CHECK_FALSE(m("title eq null"));
  CHECK(m("title ne null"));
}

TEST_CASE("multi-valued attributes match if any element matches", "[filter]") {
  CHECK(m(R"(emails.value eq "babs@jensen.org")"));
  CHECK(m(R"(emails eq "BABS@jensen.org")")); // compares emails.value
  CHECK(m(R"(emails.type eq "home")"));
  CHECK(m(R"(emails co "jensen.org")"));
  CHECK_FALSE(m(R"(emails.value eq "nobody@x")"));
  CHECK_FALSE(m(R"(emails.value ne "babs@jensen.org")")); // ne == not eq
  CHECK(m("emails.primary eq true"));
  CHECK_FALSE(m(R"(phoneNumbers.value pr)"));
}

TEST_CASE("value paths and the Entra sub-attribute form", "[filter]") {
  CHECK(m(R"(emails[type eq "work" and value co "@example.com"])"));
  CHECK_FALSE(m(R"(emails[type eq "home" and value co "@example.com"])"));
  CHECK(m(R"(emails[type eq "work"].value eq "BJENSEN@example.com")"));
  CHECK_FALSE(m(R"(emails[type eq "home"].value eq "bjensen@example.com")"));
  CHECK(m(R"(emails[type eq "home"].value pr)"));
  CHECK(m(R"(emails[not (type eq "work")])"));
  CHECK(m(R"(emails[primary eq true] and userName pr)"));
  CHECK(m(R"(name[givenName eq "barbara"])"));
  CHECK(m(R"(urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"])"));

  auto f = parse_filter(R"(emails[type eq "work"].value eq "x")");
  REQUIRE(f);
  const auto& vp = std::get<filter_value_path>((*f)->v);
  CHECK(vp.path == "emails");
  const auto& both = std::get<filter_logical>(vp.inner->v);
  CHECK(both.is_and);
  CHECK(std::get<filter_compare>(both.rhs->v).path == "value");
}

TEST_CASE("string escapes", "[filter]") {
  json doc = {{"userName", "a\"b\\c"}, {"displayName", "Ren\u00e9e \u00e9t\u00e9"}};
  CHECK(m(R"(userName eq "a\"b\\c")", doc));
  CHECK(m(R"(displayName eq "Ren\u00e9e \u00e9t\u00e9")", doc));
  CHECK(m(R"(displayName co "été")", doc));
  auto f = parse_filter(R"(title eq "tab\there\nnl\/")");
  REQUIRE(f);
  CHECK(std::get<filter_compare>((*f)->v).value == "tab\there\nnl/");
}

TEST_CASE("URN-qualified attribute names", "[filter]") {
  const std::string ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  CHECK(m(ent + R"(:employeeNumber eq "701984")"));
  CHECK(m(ent + R"(:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d")"));
  CHECK(m(ent + ":department sw \"tour\""));
  CHECK(m(R"(employeeNumber eq "701984")")); // unqualified extension names are accepted
  CHECK(m(R"(urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ")"));
  CHECK(m(ent + ":manager pr"));
  CHECK_FALSE(m(ent + ":costCenter pr"));
}

TEST_CASE("dateTimes compare as instants", "[filter]") {
  CHECK(m(R"(meta.created eq "2010-01-23T04:56:22Z")"));
  CHECK(m(R"(meta.created eq "2010-01-23T06:56:22+02:00")"));
  CHECK(m(R"(meta.created eq "2010-01-22T23:56:22.000000-05:00")"));
  CHECK(m(R"(meta.lastModified gt "2011-05-13T04:42:34.2499Z")"));
  CHECK_FALSE(m(R"(meta.lastModified gt "2011-05-13T04:42:34.25Z")"));
  CHECK(m(R"(meta.lastModified ge "2011-05-13T06:42:34.25+02:00")"));
  CHECK(m(R"(meta.lastModified lt "2011-05-13T04:42:34.2501Z")"));
  CHECK(m(R"(meta.lastModified le "2011-05-13T04:42:34.250Z")"));
  CHECK(m(R"(meta.created gt "2009-12-31T23:59:59Z" and meta.created lt "2010-12-31T00:00:00Z")"));
  CHECK(format_date_time(*parse_date_time("2010-01-23T06:56:22.1239+02:00")) == "2010-01-23T04:56:22.123Z");
  CHECK(format_date_time(*parse_date_time("1969-12-31T23:59:59.9995Z")) == "1969-12-31T23:59:59.999Z");
  CHECK(parse_date_time("2024-02-29T00:00:00Z"));
  for (auto bad : {"2023-02-29T00:00:00Z", "2010-01-23", "2010-01-23T04:56:22", "2010-13-01T00:00:00Z",
                   "2010-01-23T04:56:22.Z", "2010-01-23T24:00:00Z", "2010-01-23T04:56:22+0200"}) {
    INFO(bad);
    CHECK_FALSE(parse_date_time(bad));
  }
}

TEST_CASE("booleans, including Entra's string form", "[filter]") {
  CHECK(m("active eq true"));
  CHECK_FALSE(m("active eq false"));
  CHECK(m(R"(active eq "True")"));
  CHECK(m(R"(active ne "false")"));
  CHECK(m("active pr"));
  CHECK(m("active eq false", json{{"active", false}}));
  CHECK(m("active ne true", json::object())); // absent
}

TEST_CASE("numbers compare numerically", "[filter]") {
  // No core attribute is numeric; check element filters on a custom one.
  attribute parent;
  parent.name = "scores";
  parent.type = attr_type::complex;
  attribute n;
  n.name = "n";
  n.type = attr_type::decimal;
  parent.sub_attributes = {n};
  json element = {{"n", 10}};
  auto eval = [&](std::string_view text) {
    auto f = parse_filter(text);
    REQUIRE(f);
    REQUIRE(validate_element_filter(**f, parent));
    return matches_element(**f, parent, element);
  };
  CHECK(eval("n eq 10"));
  CHECK(eval("n eq 10.0"));
  CHECK(eval("n gt 9.5"));
  CHECK(eval("n lt 1e2"));
  CHECK(eval("n ge -3"));
  CHECK_FALSE(eval("n le 9"));
  CHECK(eval("n ne 11"));
  CHECK_FALSE(validate_element_filter(**parse_filter(R"(n eq "10")"), parent));
  CHECK_FALSE(validate_element_filter(**parse_filter(R"(n co 1)"), parent));
  CHECK_FALSE(validate_element_filter(**parse_filter(R"(missing eq 1)"), parent));
}

TEST_CASE("matches_element evaluates PATCH value filters", "[filter]") {
  const attribute* members = nullptr;
  for (const auto& a : group_schema().attributes)
    if (a.name == "members")
      members = &a;
  REQUIRE(members);
  auto f = parse_filter(R"(value eq "U-1" and type eq "user")");
  REQUIRE(f);
  CHECK(matches_element(**f, *members, json{{"value", "u-1"}, {"type", "User"}})); // members.value is not caseExact
  CHECK_FALSE(matches_element(**f, *members, json{{"value", "u-2"}, {"type", "User"}}));
  CHECK_FALSE(matches_element(**f, *members, json("u-1")));
}

TEST_CASE("groups filter on members", "[filter]") {
  json g = {{"displayName", "Admins"}, {"members", {{{"value", "u1"}, {"display", "Ann"}}, {{"value", "u2"}}}}};
  CHECK(m(R"(members.value eq "u2")", g, resource_kind::group));
  CHECK(m(R"(members eq "u1")", g, resource_kind::group));
  CHECK(m(R"(members[value eq "u1" and display sw "a"])", g, resource_kind::group));
  CHECK(m(R"(displayName eq "admins")", g, resource_kind::group));
  CHECK_FALSE(m(R"(members.value eq "u3")", g, resource_kind::group));
}

TEST_CASE("syntax errors name a position", "[filter][errors]") {
  CHECK_THAT(problem(R"((userName eq "a")"), Catch::Contains("position 0") && Catch::Contains("parenthesis"));
  CHECK_THAT(problem(R"(userName eq "a")"), Catch::Equals(""));
  CHECK_THAT(problem(R"(userName eq "a"))"), Catch::Contains("position 15"));
  CHECK_THAT(problem(R"(userName xx "a")"), Catch::Contains("operator"));
  CHECK_THAT(problem(R"(userName eq "abc)"), Catch::Contains("unterminated string"));
  CHECK_THAT(problem(R"(userName eq "a\qb")"), Catch::Contains("string literal"));
  CHECK_THAT(problem("userName eq"), Catch::Contains("expected a value"));
  CHECK_THAT(problem("userName eq bob"), Catch::Contains("expected a value"));
  CHECK_THAT(problem("userName"), Catch::Contains("operator"));
  CHECK_THAT(problem(""), Catch::Contains("expected an attribute path"));
  CHECK_THAT(problem(R"(userName eq "a" and)"), Catch::Contains("expected an attribute path"));
  CHECK_THAT(problem(R"(userName eq "a" title pr)"), Catch::Contains("unexpected text"));
  CHECK_THAT(problem(R"(emails[type eq "work")"), Catch::Contains("'['"));
  CHECK_THAT(problem(R"(emails[type eq "work"] ])"), Catch::Contains("unexpected"));
  CHECK_THAT(problem(R"(emails[value[type eq "x"]])"), Catch::Contains("nested"));
  CHECK_THAT(problem(R"(emails[type eq "w"].value.x eq "y")"), Catch::Contains("sub-attribute"));
  CHECK_THAT(problem(R"(userName eq 1.2.3)"), Catch::Contains("expected a value"));
}

TEST_CASE("deep nesting and oversized filters are refused", "[filter][errors]") {
  std::string deep = std::string(200, '(') + "title pr" + std::string(200, ')');
  CHECK_THAT(problem(deep), Catch::Contains("nested too deeply"));
  std::string nots;
  for (int i = 0; i < 100; ++i)
    nots += "not ";
  CHECK_THAT(problem(nots + "(title pr)"), Catch::Contains("nested too deeply"));
  std::string ok = std::string(30, '(') + "title pr" + std::string(30, ')');
  CHECK(problem(ok).empty());
  std::string huge(max_filter_length + 1, ' ');
  CHECK_THAT(problem(huge), Catch::Contains("longer"));
  std::string many = "title pr";
  for (int i = 0; i < 1200; ++i)
    many += " or title pr";
  CHECK_THAT(problem(many), Catch::Contains("too many"));
  std::string wide = "userName eq \"x0\"";
  for (int i = 1; i < 900; ++i)
    wide += " or userName eq \"x" + std::to_string(i) + "\"";
  CHECK(m(wide, json{{"userName", "X899"}}));
}

TEST_CASE("schema errors: unknown attributes and type mismatches", "[filter][errors]") {
  CHECK_THAT(problem(R"(nope eq "x")"), Catch::Contains("unknown attribute 'nope'"));
  CHECK_THAT(problem(R"(name.nope eq "x")"), Catch::Contains("unknown attribute"));
  CHECK_THAT(problem(R"(emails[nope eq "x"])"), Catch::Contains("unknown attribute"));
  CHECK_THAT(problem(R"(members eq "x")"), Catch::Contains("unknown attribute"));
  CHECK_THAT(problem(R"(userName eq "x")", resource_kind::group), Catch::Contains("unknown attribute"));
  CHECK_THAT(problem(R"(active eq "yes")"), Catch::Contains("boolean"));
  CHECK_THAT(problem("active gt true"), Catch::Contains("not allowed"));
  CHECK_THAT(problem(R"(active co "t")"), Catch::Contains("not allowed"));
  CHECK_THAT(problem("userName eq 12"), Catch::Contains("string"));
  CHECK_THAT(problem("userName eq true"), Catch::Contains("string"));
  CHECK_THAT(problem(R"(x509Certificates.value gt "x")"), Catch::Contains("binary"));
  CHECK_THAT(problem(R"(meta.created gt "yesterday")"), Catch::Contains("dateTime"));
  CHECK_THAT(problem(R"(meta.created co "2010")"), Catch::Contains("not allowed"));
  CHECK_THAT(problem(R"(name eq "x")"), Catch::Contains("sub-attribute"));
  CHECK_THAT(problem(R"(userName gt null)"), Catch::Contains("null"));
  CHECK_THAT(problem(R"(password eq "secret")"), Catch::Contains("cannot be used"));
  CHECK_THAT(problem(R"(userName[value eq "x"])"), Catch::Contains("complex"));
  CHECK(problem(R"(x509Certificates.value eq "TUlJ")").empty());
}

TEST_CASE("parse_attr_path forms", "[filter][path]") {
  auto p = parse_attr_path("name.givenName", resource_kind::user);
  REQUIRE(p);
  CHECK(p->target.canonical == "name.givenName");
  CHECK_FALSE(p->value_filter);

  p = parse_attr_path(R"(emails[type eq "work"])", resource_kind::user);
  REQUIRE(p);
  CHECK(p->target.attr->name == "emails");
  REQUIRE(p->value_filter);
  CHECK(matches_element(*p->value_filter, *p->target.attr, json{{"type", "Work"}}));
  CHECK(p->filter_sub == nullptr);

  p = parse_attr_path(R"(emails[type eq "work" and value ew "]"].Value)", resource_kind::user);
  REQUIRE(p);
  REQUIRE(p->filter_sub);
  CHECK(p->filter_sub->name == "value");

  p = parse_attr_path(R"(members[value eq "2819c223"])", resource_kind::group);
  REQUIRE(p);
  CHECK(p->target.attr->name == "members");

  p = parse_attr_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
                      resource_kind::user);
  REQUIRE(p);
  CHECK(p->target.json_keys.size() == 3);
  CHECK(parse_attr_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                        resource_kind::user));
  CHECK(parse_attr_path(R"(urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value)",
                        resource_kind::user));
}

TEST_CASE("parse_attr_path errors", "[filter][path]") {
  for (auto bad : {"", "nope", "name.nope", R"(name[givenName eq "x"])", R"(userName[value eq "x"])",
                   R"(emails[type eq "work")", R"(emails[type eq])", R"(emails[nope eq "x"])",
                   R"(emails[type eq "work"].nope)", R"(emails[type eq "work"]value)",
                   R"(emails.value[type eq "work"])", R"(emails[type eq "work"]].value)"}) {
    INFO(bad);
    auto p = parse_attr_path(bad, resource_kind::user);
    REQUIRE_FALSE(p);
    CHECK(p.err().code == error_code::invalid_path);
  }
}
