#include "http/scim_routes.hpp"

#include <charconv>

#include "http/json_body.hpp"
#include "scim/discovery.hpp"
#include "scim/resource.hpp"
#include "scim/schema.hpp"

namespace dirsync::http {

namespace {

using scim::error_code;
using scim::make_error;

bool iequal_prefix(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && scim::iequals(text.substr(0, prefix.size()), prefix);
}

std::string route_of(const std::vector<std::string>& seg) {
  if (!seg.empty() && seg[0] == "Users")
    return "scim_users";
  if (!seg.empty() && seg[0] == "Groups")
    return "scim_groups";
  return "scim_discovery";
}

response scim_json(int status, const nlohmann::json& body, std::string route) {
  response r;
  r.status = status;
  r.content_type = "application/scim+json";
  r.body = scim::dump_json(body);
  r.route = std::move(route);
  return r;
}

response render(actors::scim_reply& reply, std::string route) {
  if (reply.error)
    return scim_error_response(*reply.error, std::move(route));
  response r;
  r.status = reply.status;
  r.route = std::move(route);
  if (reply.status == 204 || reply.status == 304) {
    r.content_type.clear();
  } else {
    r.content_type = "application/scim+json";
    r.body = reply.text.empty() ? scim::dump_json(reply.body) : std::move(reply.text);
  }
  if (!reply.etag.empty())
    r.headers.emplace_back("ETag", reply.etag);
  if (!reply.location.empty())
    r.headers.emplace_back("Location", reply.location);
  return r;
}

// Parses a non-negative integer query value; SCIM says clients send decimal.
std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size())
    return std::nullopt;
  return v;
}

std::optional<scim::error> read_list_params(const request& req, actors::scim_call& call) {
  for (const auto& [k, v] : req.query) {
    if (k == "filter")
      call.filter = v;
    else if (k == "startIndex" || k == "count") {
      auto n = parse_int(v);
      if (!n)
        return make_error(error_code::invalid_value, k + " must be an integer");
      (k == "count" ? call.count : call.start_index) = *n;
    } else if (k == "sortBy")
      call.sort_by = v;
    else if (k == "sortOrder")
      call.sort_order = v;
  }
  return std::nullopt;
}

std::string join_strings(const nlohmann::json& j) {
  if (j.is_string())
    return j.get<std::string>();
  std::string out;
  if (j.is_array())
    for (const auto& e : j)
      if (e.is_string())
        out += (out.empty() ? "" : ",") + e.get<std::string>();
  return out;
}

// POST /.search (RFC 7644 §3.4.3): the same parameters in a body.
std::optional<scim::error> read_search_body(const nlohmann::json& body, actors::scim_call& call) {
  if (!body.is_object())
    return make_error(error_code::invalid_syntax, "the search request must be a JSON object");
  auto schemas = body.find("schemas");
  bool ok = false;
  if (schemas != body.end() && schemas->is_array())
    for (const auto& s : *schemas)
      ok = ok || (s.is_string() && s.get<std::string>() == scim::search_request_urn);
  if (!ok)
    return make_error(error_code::invalid_syntax, "schemas must contain " + std::string{scim::search_request_urn});
  auto str = [&](const char* key, std::string& out) -> bool {
    auto i = body.find(key);
    if (i == body.end() || i->is_null())
      return true;
    if (!i->is_string())
      return false;
    out = i->get<std::string>();
    return true;
  };
  if (!str("filter", call.filter) || !str("sortBy", call.sort_by) || !str("sortOrder", call.sort_order))
    return make_error(error_code::invalid_value, "filter, sortBy and sortOrder must be strings");
  for (const char* key : {"startIndex", "count"}) {
    auto i = body.find(key);
    if (i == body.end() || i->is_null())
      continue;
    if (!i->is_number_integer())
      return make_error(error_code::invalid_value, std::string{key} + " must be an integer");
    (std::string_view{key} == "count" ? call.count : call.start_index) = i->get<std::int64_t>();
  }
  if (auto i = body.find("attributes"); i != body.end())
    call.attributes = join_strings(*i);
  if (auto i = body.find("excludedAttributes"); i != body.end())
    call.excluded_attributes = join_strings(*i);
  return std::nullopt;
}

response method_not_allowed(const char* allow, std::string route) {
  auto r = scim_error_response(make_error(error_code::method_not_allowed, "method not allowed"), route);
  r.headers.emplace_back("Allow", allow);
  return r;
}

void discovery(const app_options& opts, const request& req, responder& out,
               const std::vector<std::string>& seg) {
  const std::string route = "scim_discovery";
  if (req.method != "GET")
    return out.send(method_not_allowed("GET", route));
  const auto& base = opts.scim_base_url;
  if (seg[0] == "ServiceProviderConfig" && seg.size() == 1)
    return out.send(scim_json(200, scim::service_provider_config(base, opts.max_page_size, true, true), route));
  if (seg[0] == "ResourceTypes") {
    if (seg.size() == 1) {
      auto types = scim::resource_types(base);
      return out.send(scim_json(200, types, route));
    }
    if (seg.size() == 2 && (seg[1] == "User" || seg[1] == "Group"))
      return out.send(scim_json(
        200, scim::resource_type(seg[1] == "User" ? scim::resource_kind::user : scim::resource_kind::group, base),
        route));
  }
  if (seg[0] == "Schemas") {
    std::vector<const scim::schema*> all{&scim::user_schema(), &scim::enterprise_user_schema(),
                                         &scim::group_schema()};
    if (seg.size() == 1) {
      std::vector<nlohmann::json> list;
      for (auto* s : all)
        list.push_back(scim::schema_to_json(*s, base));
      return out.send(scim_json(200, scim::list_response(std::move(list), 3, 1), route));
    }
    if (seg.size() == 2)
      for (auto* s : all)
        if (s->id == seg[1])
          return out.send(scim_json(200, scim::schema_to_json(*s, base), route));
  }
  out.send(scim_error_response(make_error(error_code::not_found, "no such resource"), route));
}

} // namespace

std::string bearer_token(std::string_view authorization) {
  if (!iequal_prefix(authorization, "Bearer "))
    return {};
  auto token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ')
    token.remove_suffix(1);
  return std::string{token};
}

bool is_json_content_type(std::string_view ct) {
  auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ')
    type.remove_suffix(1);
  return type.empty() || scim::iequals(type, "application/json") || scim::iequals(type, "application/scim+json");
}

void handle_scim(actors::runtime& rt, metrics::registry& metrics, const app_options& opts, request& req,
                 responder& out, std::vector<std::string> seg) {
  auto route = route_of(seg);
  auto fail = [&](error_code c, std::string detail) {
    out.send(scim_error_response(make_error(c, std::move(detail)), route));
  };
  if (seg.empty())
    return fail(error_code::not_found, "no such resource");
  if (seg[0] == "ServiceProviderConfig" || seg[0] == "ResourceTypes" || seg[0] == "Schemas")
    return discovery(opts, req, out, seg);
  if (seg[0] == "Me" || seg[0] == "Bulk" || seg[0] == ".search")
    return fail(error_code::not_implemented, "/" + seg[0] + " is not supported");
  if ((seg[0] != "Users" && seg[0] != "Groups") || seg.size() > 2)
    return fail(error_code::not_found, "no such resource");
  actors::scim_call call;
  call.kind = seg[0] == "Users" ? scim::resource_kind::user : scim::resource_kind::group;
  call.token = bearer_token(req.authorization);
  call.if_match = req.if_match;
  call.if_none_match = req.if_none_match;
  if (auto a = req.query_value("attributes"))
    call.attributes = std::string{*a};
  if (auto e = req.query_value("excludedAttributes"))
    call.excluded_attributes = std::string{*e};
  const auto& m = req.method;
  bool has_body = m == "POST" || m == "PUT" || m == "PATCH";
  if (has_body) {
    if (!is_json_content_type(req.content_type))
      return fail(error_code::unsupported_media, "the body must be application/scim+json or application/json");
    std::string problem;
    call.body = parse_body(req.body, problem);
    if (!problem.empty())
      return fail(error_code::invalid_syntax, problem);
  }
  bool search = seg.size() == 2 && seg[1] == ".search";
  if (seg.size() == 1 || search) {
    if (search) {
      if (m != "POST")
        return out.send(method_not_allowed("POST", route));
      if (auto err = read_search_body(call.body, call))
        return out.send(scim_error_response(*err, route));
      call.method = actors::scim_method::list;
    } else if (m == "GET") {
      if (auto err = read_list_params(req, call))
        return out.send(scim_error_response(*err, route));
      call.method = actors::scim_method::list;
    } else if (m == "POST") {
      call.method = actors::scim_method::create;
    } else {
      return out.send(method_not_allowed("GET, POST", route));
    }
  } else {
    call.id = seg[1];
    if (m == "GET")
      call.method = actors::scim_method::get;
    else if (m == "PUT")
      call.method = actors::scim_method::replace;
    else if (m == "PATCH")
      call.method = actors::scim_method::patch;
    else if (m == "DELETE")
      call.method = actors::scim_method::remove;
    else
      return out.send(method_not_allowed("GET, PUT, PATCH, DELETE", route));
  }
  rt.scim(std::move(call), [out, route, &metrics, opts, addr = req.remote_address](actors::scim_reply reply) {
    if (reply.status == 401)
      note_auth_failure(opts, metrics, addr);
    out.send(render(reply, route));
  });
}

} // namespace dirsync::http
