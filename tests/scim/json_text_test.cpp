// JSON text through simdjson gives nlohmann's own values (request bodies,
// stored resources).

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "scim/json_text.hpp"

using dirsync::scim::fast_json_depth;
using dirsync::scim::parse_json;
using dirsync::scim::parse_json_fast;

namespace {

// The same value, down to the kinds of numbers: nlohmann's == takes 1 and
// 1.0 as equal, its dump does not. The sign of an integer zero is the one
// thing neither shows ("-0" is a signed 0 to nlohmann, an unsigned one to
// parse_body), and nothing in dirsync tells them apart.
bool same(const nlohmann::json& a, const nlohmann::json& b) {
  if (a.is_discarded() || b.is_discarded())
    return a.is_discarded() == b.is_discarded();
  return a == b && a.dump() == b.dump();
}

struct json_fuzz {
  std::uint64_t state = 0x2545f4914f6cdd1dull;
  std::uint64_t next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  template <std::size_t N>
  const char* pick(const char* const (&from)[N]) { return from[next() % N]; }

  std::string string_value() {
    static const char* const pieces[] = {"a", "Z", " ", "é", "\xf0\x9f\x98\x80", "\\n", "\\\"", "\\\\", "\\/",
                                         "\\u00e9", "\\u0000", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\t", "[", "{",
                                         "\\ud800", "\\udc00", "\\ud800\\u0041", "\xff", "\xc3", "\xed\xa0\x80",
                                         "\x01", "\\x", "\\u12"};
    std::string s = "\"";
    for (std::size_t n = next() % 6; n > 0; --n)
      s += pick(pieces);
    return s + "\"";
  }
  std::string number() {
    static const char* const numbers[] = {"0", "-0", "7", "-7", "1.5", "-2.25e3", "1E2", "1e-7", "0.0",
                                          "18446744073709551615", "18446744073709551616", "9223372036854775807",
                                          "-9223372036854775808", "-9223372036854775809", "1e400", "-1e400",
                                          "123456789012345678901234567890", "01", "1.", ".5", "+1", "-", "1e",
                                          "2.2250738585072014e-308", "4.9e-324", "0.1", "1e+2"};
    return pick(numbers);
  }
  std::string value(int depth) {
    static const char* const spaces[] = {"", "", " ", "\n", "\t", "\r\n "};
    switch (next() % (depth > 5 ? 5 : 7)) {
      case 0: return number();
      case 1: return string_value();
      case 2: return pick({"true", "false", "null", "nul", "True"});
      case 3: case 4: return string_value();
      case 5: {
        std::string s = "[";
        for (std::size_t n = next() % 4; n > 0; --n)
          s += pick(spaces) + value(depth + 1) + (n > 1 ? "," : "");
        return s + pick(spaces) + "]";
      }
      default: {
        static const char* const keys[] = {"\"a\"", "\"b\"", "\"userName\"", "\"a\"", "\"\\u0061\"", "\"\""};
        std::string s = "{";
        for (std::size_t n = next() % 4; n > 0; --n)
          s += pick(spaces) + std::string(pick(keys)) + pick(spaces) + ":" + value(depth + 1) + (n > 1 ? "," : "");
        return s + "}";
      }
    }
  }
  // A valid or broken body: a generated value, sometimes with one byte
  // dropped, doubled or replaced, or with something before or after it.
  std::string body() {
    std::string s = value(0);
    static const char* const bytes[] = {",", "]", "}", "\"", "\\", ":", " ", "\xff", "x", "0", "\xef\xbb\xbf"};
    switch (next() % 8) {
      case 0: if (!s.empty()) s.erase(next() % s.size(), 1); break;
      case 1: if (!s.empty()) s.insert(next() % s.size(), 1, s[next() % s.size()]); break;
      case 2: if (!s.empty()) s[next() % s.size()] = *pick(bytes); break;
      case 3: s = pick(bytes) + s; break;
      case 4: s += pick(bytes); break;
      default: break;
    }
    return s;
  }
};

} // namespace

TEST_CASE("parse_json accepts and refuses exactly what nlohmann's parser does, with the same values",
          "[scim][json]") {
  // Request bodies and stored resources go through simdjson, and only what
  // it refuses through nlohmann's parser; the rest of dirsync was written
  // against the latter.
  const char* const cases[] = {
      R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com","active":true})",
      R"({"a":1,"a":2})", R"({"a":{"b":1},"a":[2]})", "\xef\xbb\xbf{\"a\":1}", "123456789012345678901234567890",
      "-9223372036854775809", "18446744073709551615", "-0", "0.0", "1E2", "1e400", "\"\\ud800\"", "\"\\udc00\"",
      "\"\\ud83d\\ude00\"", "\"\xed\xa0\x80\"", "\"\xff\"", "\"a\\u0000b\"", "", " ", "[1,]", "{\"a\"}", "nul",
      "[] []", "\"\x01\"", "{\"a\":1}\x00"};
  for (const char* text : cases) {
    INFO(text);
    CHECK(same(parse_json(text), nlohmann::json::parse(text, nullptr, false)));
  }
  // The same over generated bodies, most of them broken in one place.
  json_fuzz fuzz;
  int accepted = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text = fuzz.body();
    INFO(text);
    auto ours = parse_json(text);
    REQUIRE(same(ours, nlohmann::json::parse(text, nullptr, false)));
    accepted += ours.is_discarded() ? 0 : 1;
  }
  // Both outcomes are well represented.
  CHECK(accepted > 4000);
  CHECK(accepted < 16000);
  // A body past the size that reuses the thread's parser.
  std::string big = "[";
  for (int n = 0; n < 20000; ++n)
    big += (n ? ",\"" : "\"") + std::to_string(n) + "\"";
  big += "]";
  auto list = parse_json(big);
  REQUIRE(list.is_array());
  CHECK(list.size() == 20000);
  CHECK(list[19999] == "19999");
  big.back() = ',';
  CHECK(parse_json(big).is_discarded());
}

TEST_CASE("parse_json_fast takes nothing nested past its bound, and leaves the value alone when it declines",
          "[scim][json]") {
  // parse_body relies on it: what the fast path takes needs no depth check.
  for (std::size_t depth = fast_json_depth - 2; depth <= fast_json_depth + 2; ++depth) {
    for (bool object : {false, true}) {
      std::string text;
      for (std::size_t level = 0; level < depth; ++level)
        text += object ? "{\"k\":" : "[";
      text += "1";
      for (std::size_t level = 0; level < depth; ++level)
        text += object ? "}" : "]";
      INFO(depth << (object ? " objects" : " arrays"));
      nlohmann::json out = "untouched";
      bool taken = parse_json_fast(text, out);
      if (depth > fast_json_depth) {
        CHECK_FALSE(taken);
        CHECK(out == "untouched");
      }
      if (taken)
        CHECK(out == nlohmann::json::parse(text));
      // parse_json has no bound of its own: nlohmann's parser takes the rest.
      CHECK(parse_json(text) == nlohmann::json::parse(text));
    }
  }
  // Arrays up to the bound take the fast path.
  std::string deepest = std::string(fast_json_depth, '[') + std::string(fast_json_depth, ']');
  nlohmann::json out;
  CHECK(parse_json_fast(deepest, out));
}
