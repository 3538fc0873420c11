#pragma once

// Request bodies as JSON, with a bound on nesting: SCIM and admin bodies are
// a few levels deep, and copying or destroying a value nested 100,000 deep
// recurses once per level (a stack overflow on an actor thread).

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dirsync::http {

/// Deepest nesting of arrays and objects a request body may have.
inline constexpr std::size_t max_json_depth = 64;

/// Nesting depth of arrays and objects in JSON text (string contents skipped);
/// stops counting past `limit`.
std::size_t json_depth(std::string_view text, std::size_t limit = max_json_depth + 1);

/// Parses a body; `problem` says why it is refused ("" when it parsed).
nlohmann::json parse_body(std::string_view text, std::string& problem);

} // namespace dirsync::http
