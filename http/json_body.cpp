#include "http/json_body.hpp"

#include <cstring>

#include "scim/json_text.hpp"

namespace dirsync::http {

std::size_t json_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  for (; p < end; ++p) {
    char c = *p;
    if (c == '"') {
      // Jump to the closing quote: one that an odd run of backslashes
      // before it does not escape.
      for (;;) {
        auto* q = static_cast<const char*>(std::memchr(p + 1, '"', static_cast<std::size_t>(end - p - 1)));
        if (q == nullptr)
          return deepest; // unterminated: the parser reports it
        const char* b = q;
        while (b > p + 1 && b[-1] == '\\')
          --b;
        p = q;
        if ((q - b) % 2 == 0)
          break;
      }
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) >= limit)
        return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

nlohmann::json parse_body(std::string_view text, std::string& problem) {
  problem.clear();
  // The fast path takes every body it can, never one nested too deep. What
  // it refuses goes to the checks below, which decide: the nesting bound,
  // then nlohmann's parser, which also accepts the few valid bodies simdjson
  // refuses.
  static_assert(scim::fast_json_depth <= max_json_depth);
  nlohmann::json fast;
  if (scim::parse_json_fast(text, fast))
    return fast;
  if (json_depth(text) > max_json_depth) {
    problem = "the body is nested deeper than " + std::to_string(max_json_depth) + " levels";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded())
    problem = "the body is not valid JSON";
  return j;
}

} // namespace dirsync::http
