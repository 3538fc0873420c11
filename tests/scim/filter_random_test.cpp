#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "sql_fixture.hpp"

// Randomised checks: generated valid filters must select the same users in
// SQL as in matches(), and arbitrary token soup must never crash the parser.
using namespace sql_fixture;

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
