// Attribute mapping rules (D3, D12, U6) on their own, without storage.

#include <set>

#include <catch2/catch.hpp>

#include "scim/mapping.hpp"

using nlohmann::json;
namespace mapping = dirsync::scim::mapping;

namespace {

const char* ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

json pushed_user() {
  return json{{"userName", "ada@example.com"},
              {"emails", json::array({{{"value", "first@example.com"}, {"type", "home"}},
                                      {{"value", "primary@example.com"}, {"primary", true}}})},
              {"name", {{"givenName", "Ada"}, {"familyName", "Lovelace"}, {"middleName", "King"}}},
              {"displayName", "Countess"},
              {"title", "Analyst"},
              {"active", true},
              {"phoneNumbers", json::array({{{"value", "+44 20 0000"}, {"type", "work"}}, {{"type", "fax"}}})},
              {"addresses", json::array({{{"formatted", "Ockham Park"}, {"primary", true}},
                                         {{"locality", "London"}}})},
              {ent, {{"employeeNumber", 1815}, {"manager", {{"value", "babbage"}}}}}};
}

} // namespace

TEST_CASE("D3 required mappings: email is the primary one, else the first; display name is First Last",
          "[mapping]") {
  auto attrs = mapping::apply({}, pushed_user(), json::object());
  CHECK(attrs["email"] == "primary@example.com");
  CHECK(attrs["first_name"] == "Ada");
  CHECK(attrs["last_name"] == "Lovelace");
  CHECK(attrs["display_name"] == "Ada Lovelace");
  CHECK_FALSE(attrs.contains("phones"));
  CHECK_FALSE(attrs.contains("custom"));

  auto no_primary = pushed_user();
  no_primary["emails"][1].erase("primary");
  CHECK(mapping::apply({}, no_primary, json::object())["email"] == "first@example.com");
  auto only_given = pushed_user();
  only_given["name"].erase("familyName");
  auto a = mapping::apply({}, only_given, json::object());
  CHECK(a["display_name"] == "Ada");
  CHECK_FALSE(a.contains("last_name"));
}

TEST_CASE("D3 optional mappings read core, sub-attribute and enterprise sources into each destination",
          "[mapping]") {
  std::vector<mapping::rule> rules{{"displayName", "display_name"},
                                   {"name.middleName", "username_alias_1"},
                                   {"phoneNumbers", "phones"},
                                   {"addresses", "custom:address"},
                                   {std::string{ent} + ":employeeNumber", "notes"},
                                   {std::string{ent} + ":manager.value", "custom:Manager"},
                                   {"title", "custom:title"}};
  auto a = mapping::apply(rules, pushed_user(), json::object());
  CHECK(a["display_name"] == "Countess");
  CHECK(a["username_alias_1"] == "King");
  // Entries without a number are skipped; numbers become text.
  CHECK(a["phones"] == json::array({{{"number", "+44 20 0000"}, {"type", "work"}}}));
  CHECK(a["custom"]["address"] == "Ockham Park");
  CHECK(a["notes"] == "1815");
  CHECK(a["custom"]["Manager"] == "babbage");
  CHECK(a["custom"]["title"] == "Analyst");
}

TEST_CASE("D12 U6 a push overwrites only what the mapping names, and clears what the push lacks", "[mapping]") {
  json current{{"notes", "admin notes"},
               {"username_alias_1", "manual"},
               {"username_alias_2", "kept"},
               {"custom", {{"title", "old title"}, {"site", "Paris"}}},
               {"phones", json::array({{{"number", "1"}}})}};
  std::vector<mapping::rule> rules{{"nickName", "username_alias_1"}, {"title", "custom:title"}};
  auto user = pushed_user();
  user.erase("title");
  user["nickName"] = "ada";
  auto a = mapping::apply(rules, user, current);
  CHECK(a["username_alias_1"] == "ada");
  CHECK(a["username_alias_2"] == "kept");
  CHECK(a["notes"] == "admin notes");
  CHECK(a["phones"].size() == 1);
  // title is mapped but was not pushed: cleared; site is not mapped: kept.
  CHECK(a["custom"] == json{{"site", "Paris"}});
  // Without any custom value left the object disappears.
  current["custom"].erase("site");
  CHECK_FALSE(mapping::apply(rules, user, current).contains("custom"));
}

TEST_CASE("D12 merge_changes says exactly when a push changes the stored attributes", "[mapping]") {
  // Every pair of these, both ways round: merge_changes must agree with
  // comparing merge()'s result to what was stored.
  std::vector<json> shapes{
    json::object(),
    json{{"email", "a@x"}},
    json{{"email", "a@x"}, {"first_name", "Ada"}},
    json{{"email", nullptr}},
    json{{"email", "b@x"}, {"notes", "kept"}},
    json{{"custom", json::object()}},
    json{{"custom", {{"title", "x"}}}},
    json{{"custom", {{"title", nullptr}}}},
    json{{"custom", {{"title", "x"}, {"site", "Paris"}}}},
    json{{"custom", {{"site", nullptr}}}},
    json{{"custom", "not an object"}},
    json{{"phones", json::array({{{"number", "1"}}})}},
    json{{"phones", json::array()}},
    json{{"email", "a@x"}, {"custom", {{"title", "x"}}}},
    json(nullptr),
    json::array(),
  };
  int changed = 0, same = 0;
  for (const auto& current : shapes)
    for (const auto& pushed : shapes) {
      if (!pushed.is_object())
        continue;
      bool expected = mapping::merge(current, pushed) != current;
      INFO("current " << current.dump() << ", pushed " << pushed.dump());
      CHECK(mapping::merge_changes(current, pushed) == expected);
      ++(expected ? changed : same);
    }
  // Both answers occur, so the check above compares something.
  CHECK(changed > 20);
  CHECK(same > 20);
}

TEST_CASE("D3 rule checks: catalog sources, destinations, fixed and required mappings", "[mapping]") {
  CHECK(mapping::rule_problem({"title", "custom:Job Title"}).empty());
  CHECK(mapping::rule_problem({"title", "username_alias_8"}).empty());
  CHECK_FALSE(mapping::rule_problem({"title", "username_alias_9"}).empty());
  CHECK_FALSE(mapping::rule_problem({"title", "email"}).empty());
  CHECK_FALSE(mapping::rule_problem({"title", "custom:"}).empty());
  CHECK_FALSE(mapping::rule_problem({"title", "custom: padded"}).empty());
  CHECK_FALSE(mapping::rule_problem({"title", "custom:a\"b"}).empty());
  CHECK_FALSE(mapping::rule_problem({"title", "custom:" + std::string(65, 'x')}).empty());
  CHECK_FALSE(mapping::rule_problem({"phoneNumbers", "notes"}).empty());
  CHECK_FALSE(mapping::rule_problem({"nickName", "phones"}).empty());
  CHECK(mapping::rule_problem({"phoneNumbers", "phones"}).empty());
  CHECK_FALSE(mapping::rule_problem({"userName", "notes"}).empty());
  CHECK_FALSE(mapping::rule_problem({"password", "notes"}).empty());

  REQUIRE(mapping::find_source("Department") != nullptr);
  CHECK(mapping::find_source("Department")->source == std::string{ent} + ":department");
  CHECK(mapping::find_source("TITLE")->source == "title");
  CHECK(mapping::find_source("emails") == nullptr);

  // Suggestions are distinct, so "select all" never collides with itself.
  std::set<std::string> suggested;
  for (const auto& e : mapping::catalog())
    CHECK(suggested.insert(e.suggested).second);
}

TEST_CASE("U6 is_mapped: required fields always, others by the mapping, custom names case-insensitively",
          "[mapping]") {
  std::vector<mapping::rule> rules{{"nickName", "username_alias_1"}, {"title", "custom:Title"}};
  for (const char* f : {"username", "email", "first_name", "last_name", "display_name"})
    CHECK(mapping::is_mapped({}, f));
  CHECK(mapping::is_mapped(rules, "username_alias_1"));
  CHECK_FALSE(mapping::is_mapped(rules, "username_alias_2"));
  CHECK_FALSE(mapping::is_mapped(rules, "notes"));
  CHECK(mapping::is_mapped(rules, "custom:title"));
  CHECK_FALSE(mapping::is_mapped(rules, "custom:site"));
}
