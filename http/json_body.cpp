#include "http/json_body.hpp"

namespace dirsync::http {

std::size_t json_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
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
