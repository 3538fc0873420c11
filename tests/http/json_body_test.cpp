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

TEST_CASE("parse_body gives nlohmann's value or says the body is not valid JSON", "[http][json]") {
  // The fast path (scim::parse_json_fast, json_text_test) and the fallback
  // for what it refuses: a byte order mark, an integer past 64 bits.
  std::string problem;
  const char* const cases[] = {R"({"userName":"a@example.com","active":true,"n":-3,"x":1.5})",
                               "\xef\xbb\xbf{\"a\":1}", "123456789012345678901234567890", "", "[1,]", "\"\\ud800\"",
                               "\"\xff\""};
  for (const char* text : cases) {
    INFO(text);
    auto ours = parse_body(text, problem);
    auto theirs = nlohmann::json::parse(text, nullptr, false);
    CHECK(ours.is_discarded() == theirs.is_discarded());
    CHECK(ours.dump() == theirs.dump());
    CHECK(problem == (ours.is_discarded() ? "the body is not valid JSON" : ""));
  }
}

TEST_CASE("parse_body's nesting bound holds for objects and arrays on either side of it", "[http][json]") {
  // Every mix of arrays and objects nested 60 to 70 deep: accepted up to the
  // bound with every level in place, refused past it with the reason.
  std::string problem;
  for (std::size_t depth = 60; depth <= 70; ++depth) {
    for (unsigned mask : {0u, 1u, 0x55555555u, 0xffffffffu, 0x0f0f0f0fu}) {
      std::string open, close;
      for (std::size_t level = 0; level < depth; ++level) {
        bool object = ((mask >> (level % 32)) & 1u) != 0;
        open += object ? "{\"k\":" : "[";
        close.insert(0, object ? "}" : "]");
      }
      std::string text = open + "1" + close;
      INFO(depth << " levels, mask " << mask);
      auto j = parse_body(text, problem);
      if (depth > max_json_depth) {
        CHECK(j.is_discarded());
        CHECK(problem == "the body is nested deeper than 64 levels");
        continue;
      }
      REQUIRE(problem.empty());
      const nlohmann::json* at = &j;
      for (std::size_t level = 0; level < depth; ++level)
        at = at->is_object() ? &at->at("k") : &at->at(0);
      CHECK(*at == 1);
    }
  }
}
