// The audit details of an update (L1): which top-level attributes changed,
// with their old and new values.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>

#include "actors/views.hpp"

using dirsync::actors::changed_fields;
using nlohmann::json;

TEST_CASE("changed_fields lists each attribute added, removed or changed, and nothing else", "[views]") {
  json before = {{"schemas", json::array({"a"})},
                 {"userName", "ann"},
                 {"name", {{"givenName", "Ann"}, {"familyName", "Lee"}}},
                 {"title", "Engineer"},
                 {"active", true}};
  json after = {{"schemas", json::array({"b"})},
                {"userName", "ann"},
                {"name", {{"givenName", "Ann"}, {"familyName", "Li"}}},
                {"active", false},
                {"nickName", "Annie"},
                {"locale", nullptr}};
  auto got = changed_fields(before, after);
  CHECK(got == json{{"name",
                     {{"old", {{"givenName", "Ann"}, {"familyName", "Lee"}}},
                      {"new", {{"givenName", "Ann"}, {"familyName", "Li"}}}}},
                    {"title", {{"old", "Engineer"}, {"new", nullptr}}},
                    {"active", {{"old", true}, {"new", false}}},
                    {"nickName", {{"old", nullptr}, {"new", "Annie"}}}});
  CHECK(changed_fields(after, after) == json::object());
  CHECK(changed_fields(json(), json{{"userName", "x"}}) == json{{"userName", {{"old", nullptr}, {"new", "x"}}}});
  CHECK(changed_fields(json{{"userName", "x"}}, json()) == json{{"userName", {{"old", "x"}, {"new", nullptr}}}});
}

TEST_CASE("changed_fields agrees with a key-by-key comparison on random objects", "[views]") {
  std::mt19937 rng(20261130);
  const std::vector<std::string> keys = {"schemas", "a", "b", "c", "d", "e", "f", "g", "name", "z"};
  const std::vector<json> values = {json(), json(1), json(2), json("x"), json("y"), json(true),
                                    json::array({1, 2}), json{{"k", "v"}}, json{{"k", "w"}}};
  auto random_object = [&] {
    json o = json::object();
    for (const auto& k : keys)
      if (rng() % 2)
        o[k] = values[rng() % values.size()];
    return o;
  };
  for (int round = 0; round < 5000; ++round) {
    json before = random_object();
    json after = random_object();
    // Reference: every key of either side, looked up on both.
    std::set<std::string> all;
    for (const auto& k : keys)
      if (before.contains(k) || after.contains(k))
        all.insert(k);
    json expected = json::object();
    for (const auto& k : all) {
      if (k == "schemas")
        continue;
      json old_value = before.contains(k) ? before.at(k) : json();
      json new_value = after.contains(k) ? after.at(k) : json();
      bool removed = before.contains(k) && !after.contains(k);
      if (removed || old_value != new_value)
        expected[k] = {{"old", old_value}, {"new", new_value}};
    }
    INFO(before.dump() << " -> " << after.dump());
    REQUIRE(changed_fields(before, after) == expected);
  }
}
