#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dirsync::http {

/// Decoded query parameters, in the order sent; keys may repeat.
using query_params = std::vector<std::pair<std::string, std::string>>;

/// A request target split into its decoded parts.
struct parsed_target {
  std::string path;   ///< Percent-decoded path, without the query.
  query_params query; ///< Decoded query; '+' and %20 both mean a space.
  bool strict = true; ///< False if the target was not valid RFC 3986 and the
                      ///< lenient decoder was used (bad % sequences kept as-is).
};

/// Splits a request target (origin or absolute form) into decoded path (with
/// Boost.URL) and query (split on '&' and '=', then decoded). Never fails: an
/// invalid target (e.g. bad percent encoding) is decoded leniently, keeping
/// malformed escapes literally. A fragment is not part of the query.
parsed_target parse_target(std::string_view target);

/// Parses a raw query string (without '?') with the same rules.
query_params parse_query_string(std::string_view query);

/// Lenient percent-decoding; `plus_as_space` for query components. Malformed
/// escapes ("%zz", a trailing "%") are kept literally.
std::string percent_decode(std::string_view s, bool plus_as_space);

/// Percent-encodes a query key or value: everything except the RFC 3986
/// unreserved characters (A-Z a-z 0-9 - . _ ~) is escaped; a space becomes %20.
std::string encode_query_component(std::string_view s);

/// Renders parameters as "a=1&b=x%20y" (no leading '?'); the inverse of
/// parse_query_string. Useful for links (e.g. paging) and for tests.
std::string build_query_string(const query_params& params);

} // namespace dirsync::http
