#include "http/query.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

namespace dirsync::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// Splits a query on '&' and '=' and decodes each part ('+' is a space). Used
// for every query rather than Boost.URL's params views: in Boost 1.81 their
// iterator runs off the end of an empty query followed by a fragment ("/x?#",
// one request crashed the daemon), and parse_query reads its input with
// strlen. On a valid query this gives what params(encoding_opts(true))
// gives; a malformed escape ("%zz") is kept literally.
query_params split_query(std::string_view q) {
  query_params out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    auto key = part.substr(0, eq);
    auto value = eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    out.emplace_back(percent_decode(key, true), percent_decode(value, true));
  }
  return out;
}

} // namespace

std::string percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_as_space && c == '+') ? ' ' : c;
  }
  return out;
}

query_params parse_query_string(std::string_view query) { return split_query(query); }

parsed_target parse_target(std::string_view target) {
  parsed_target out;
  // A request's target is nearly always origin-form ("/path?query", RFC 9112
  // 3.2.1), whose grammar is a fraction of a URI reference's. Anything else
  // ("//…", a fragment, an absolute URI) goes through the whole grammar.
  const bool origin_form = target.size() > 1 && target[0] == '/' && target[1] != '/';
  auto parsed = origin_form ? boost::urls::parse_origin_form(target)
                            : boost::urls::parse_uri_reference(target);
  if (!parsed && origin_form)
    parsed = boost::urls::parse_uri_reference(target);
  if (parsed) {
    out.path = parsed->path();
    if (parsed->has_query())
      out.query = split_query(parsed->encoded_query());
    return out;
  }
  out.strict = false;
  auto qmark = target.find('?');
  out.path = percent_decode(target.substr(0, qmark), false);
  if (qmark != std::string_view::npos)
    out.query = split_query(target.substr(qmark + 1));
  return out;
}

std::string encode_query_component(std::string_view s) {
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string build_query_string(const query_params& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty())
      out += '&';
    out += encode_query_component(key);
    out += '=';
    out += encode_query_component(value);
  }
  return out;
}

} // namespace dirsync::http
