// Fuzz target: request-target parsing for the SCIM and admin routes. The
// input is a request target ("/scim/v2/Users?filter=...&count=10").
// Properties: parse_target never fails or crashes, whatever the bytes,
// nor reads past them; the query part alone parses to the same parameters;
// decoded query parameters survive build_query_string -> parse_query_string
// unchanged; the values the SCIM router reads (filter, attributes,
// excludedAttributes, sortBy) go through their parsers without crashing.

#include "fuzz.hpp"
#include "http/query.hpp"
#include "http/session.hpp"
#include "scim/filter.hpp"
#include "scim/resource.hpp"

using namespace dirsync;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Bytes follow the view, as in a connection's buffer: the parsers must not
  // read them (the replay build has no ASan to notice an overread).
  std::string padded(dirsync::fuzz::as_text(data, size));
  padded += "-tail-not-part-of-the-target";
  std::string_view target(padded.data(), size);
  auto parsed = http::parse_target(target);
  // What the router does with a path: prefixes and segments.
  (void)parsed.path.rfind("/scim/v2/", 0);
  (void)http::percent_decode(target, true);
  (void)http::percent_decode(target, false);
  (void)http::detail::request_target_hint(target);

  // Encoding and decoding are inverse on every parameter list.
  auto rebuilt = http::parse_query_string(http::build_query_string(parsed.query));
  FUZZ_CHECK(rebuilt == parsed.query);
  // The query alone parses to what the whole target gave.
  auto q = target.find('?');
  if (q != std::string_view::npos && parsed.strict && target.find('#') == std::string_view::npos)
    FUZZ_CHECK(http::parse_query_string(target.substr(q + 1)) == parsed.query);

  std::string attributes, excluded;
  for (const auto& [key, value] : parsed.query) {
    if (key == "filter") {
      if (auto f = scim::parse_filter(value))
        (void)scim::validate_filter(**f, scim::resource_kind::user);
    } else if (key == "attributes") {
      attributes = value;
    } else if (key == "excludedAttributes") {
      excluded = value;
    }
  }
  for (auto kind : {scim::resource_kind::user, scim::resource_kind::group})
    if (auto p = scim::parse_projection(kind, attributes, excluded))
      (void)scim::wants_members(kind, *p);
  return 0;
}
