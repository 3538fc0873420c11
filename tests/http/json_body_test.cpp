// Request bodies: nesting depth is bounded before parsing (S6).

#include <catch2/catch.hpp>

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
