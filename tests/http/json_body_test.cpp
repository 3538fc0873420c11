// Request bodies: nesting depth is bounded before parsing (S6).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>

#include "http/json_body.hpp"

using dirsync::http::json_depth;
using dirsync::http::max_json_depth;
using dirsync::http::parse_body;

TEST_CASE("json_depth counts arrays and objects, not brackets inside strings", "[http][json]") {
  CHECK(json_depth("1") == 0);
  CHECK(json_depth(R"({"a":[1,{"b":2}]})") == 3);
  CHECK(json_depth(R"({"a":"[[[[{{{{"})") == 1);
  CHECK(json_depth(R"({"a":"\"[[[["})") == 1);
  CHECK(json_depth(std::string(100000, '[')) == max_json_depth + 1); // stops counting early
  // Escaped backslashes before a closing quote: the string ends there.
  CHECK(json_depth(R"({"a":"\\","b":[[1]]})") == 3);
  CHECK(json_depth(R"({"a":"x\\\"[[","b":1})") == 1);
  CHECK(json_depth(R"({"a":"unterminated [[[)") == 1);
}

TEST_CASE("json_depth agrees with a byte-by-byte scan on every mix of quotes, backslashes and brackets",
          "[http][json]") {
  // The reference: first drop what lies inside strings (one byte at a
  // time, a backslash taking the next byte with it), then count.
  auto reference = [](std::string_view text, std::size_t limit) {
    std::string outside;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (!quoted)
        outside.push_back(text[i]);
      if (text[i] == '"')
        quoted = !quoted;
      else if (quoted && text[i] == '\\')
        ++i;
    }
    std::size_t open = 0, most = 0;
    for (char c : outside) {
      switch (c) {
        case '[': case '{': most = std::max(most, ++open); break;
        case ']': case '}': open -= open > 0 ? 1 : 0; break;
        default: break;
      }
      if (most >= limit)
        break;
    }
    return most;
  };
  const char alphabet[] = {'"', '\\', '[', ']', '{', '}', 'a'};
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int n = 0; n < 20000; ++n) {
    std::string text(next() % 24, ' ');
    for (auto& c : text)
      c = alphabet[next() % sizeof alphabet];
    INFO(text);
    REQUIRE(json_depth(text, 4) == reference(text, 4));
    REQUIRE(json_depth(text) == reference(text, max_json_depth));
  }
}

TEST_CASE("parse_body refuses bodies nested past the limit and says why", "[http][json]") {
  std::string problem;
  auto ok = parse_body(std::string(max_json_depth, '[') + std::string(max_json_depth, ']'), problem);
  CHECK(problem.empty());
  CHECK(ok.is_array());
  auto deep = parse_body(std::string(max_json_depth + 1, '[') + std::string(max_json_depth + 1, ']'), problem);
  CHECK(deep.is_discarded());
  CHECK(problem == "the body is nested deeper than 64 levels");
  auto bad = parse_body("{", problem);
  CHECK(bad.is_discarded());
  CHECK(problem == "the body is not valid JSON");
}
