// Rendering side of resource.hpp: meta, ETags, attribute projection, lists.
#include "scim/resource.hpp"

#include <algorithm>
#include <functional>

namespace dirsync::scim {

namespace {

using json = nlohmann::json;

bool is_extension(resource_kind kind, const resolved_attr& r) {
  return r.owner != nullptr && r.owner != &core_schema(kind);
}

// The object holding `r`'s top-level attribute inside `res`, or null.
json* container_of(resource_kind kind, json& res, const resolved_attr& r, bool create) {
  if (!is_extension(kind, r))
    return &res;
  auto it = res.find(r.owner->id);
  if (it != res.end() && it->is_object())
    return &*it;
  if (!create)
    return nullptr;
  json& c = res[r.owner->id];
  c = json::object();
  return &c;
}

void copy_path(resource_kind kind, const json& full, json& out, const resolved_attr& r) {
  const json* src = is_extension(kind, r) ? nullptr : &full;
  if (!src) {
    auto it = full.find(r.owner->id);
    if (it == full.end() || !it->is_object())
      return;
    src = &*it;
  }
  auto v = src->find(r.attr->name);
  if (v == src->end())
    return;
  json& dst = *container_of(kind, out, r, true);
  if (!r.sub) {
    dst[r.attr->name] = *v;
    return;
  }
  const std::string& sub = r.sub->name;
  if (v->is_array()) {
    json& arr = dst[r.attr->name];
    if (!arr.is_array() || arr.size() != v->size())
      arr = json::array();
    for (std::size_t i = 0; i < v->size(); ++i) {
      if (arr.size() <= i)
        arr.push_back(json::object());
      const json& e = (*v)[i];
      if (e.is_object() && e.contains(sub) && arr[i].is_object())
        arr[i][sub] = e[sub];
    }
  } else if (v->is_object() && v->contains(sub)) {
    json& obj = dst[r.attr->name];
    if (!obj.is_object())
      obj = json::object();
    obj[sub] = (*v)[sub];
  }
}

void remove_path(resource_kind kind, json& out, const resolved_attr& r) {
  json* c = container_of(kind, out, r, false);
  if (!c)
    return;
  auto v = c->find(r.attr->name);
  if (v == c->end())
    return;
  if (!r.sub) {
    c->erase(v);
  } else if (v->is_array()) {
    for (auto& e : *v)
      if (e.is_object())
        e.erase(r.sub->name);
  } else if (v->is_object()) {
    v->erase(r.sub->name);
  }
}

// Drops empty objects from arrays and empty values left behind by projection.
void prune(json& obj) {
  for (auto it = obj.begin(); it != obj.end();) {
    if (it->is_array()) {
      auto& arr = *it;
      arr.erase(std::remove_if(arr.begin(), arr.end(),
                               [](const json& e) { return e.is_object() && e.empty(); }),
                arr.end());
    } else if (it->is_object() && it.key() != "meta") {
      prune(*it);
    }
    if ((it->is_array() || it->is_object()) && it->empty())
      it = obj.erase(it);
    else
      ++it;
  }
}

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '$' || c == '.' || c == ':';
}

expected<std::vector<resolved_attr>> parse_list(resource_kind kind, std::string_view text) {
  std::vector<resolved_attr> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item.empty())
      continue;
    if (!std::all_of(item.begin(), item.end(), valid_name_char))
      return make_error(error_code::invalid_value,
                        "Invalid attribute name in attributes/excludedAttributes");
    if (auto r = resolve(kind, item); r && r->attr)
      out.push_back(std::move(*r));
  }
  return out;
}

void for_each_attribute(resource_kind kind, const std::function<void(const attribute&, const schema*)>& f) {
  for (const schema* s : schemas_for(kind))
    for (const auto& a : s->attributes)
      f(a, s == &core_schema(kind) ? nullptr : s);
  for (const auto& a : common_attributes())
    f(a, nullptr);
}

} // namespace

std::string make_etag(std::int64_t version) {
  return "W/\"" + std::to_string(version) + "\"";
}

namespace {

// What render() adds to a stored resource: id, meta and the related
// references (omitted when empty).
json render_tail(resource_kind kind, const resource_meta& meta, const std::vector<member_ref>* related) {
  const bool user = kind == resource_kind::user;
  json out = json::object();
  out["id"] = meta.id;
  out["meta"] = {{"resourceType", user ? "User" : "Group"},
                 {"created", meta.created},
                 {"lastModified", meta.last_modified},
                 {"location", meta.base_url + (user ? "/Users/" : "/Groups/") + meta.id},
                 {"version", make_etag(meta.version)}};
  if (related && !related->empty()) {
    json arr = json::array();
    for (const auto& m : *related) {
      json e = {{"value", m.value}};
      if (!m.display.empty())
        e["display"] = m.display;
      if (!m.type.empty())
        e["type"] = m.type;
      bool to_group = user || iequals(m.type, "Group");
      e["$ref"] = meta.base_url + (to_group ? "/Groups/" : "/Users/") + m.value;
      arr.push_back(std::move(e));
    }
    out[user ? "groups" : "members"] = std::move(arr);
  }
  return out;
}

// True when the stored text may hold something render() or the default
// projection would change (see render_text).
bool needs_parsing(std::string_view t) {
  if (t.size() < 2 || t.front() != '{' || t.back() != '}' || t.find("\"schemas\":") == std::string_view::npos)
    return true;
  for (std::string_view s : {"\"password\":", "\"id\":", "\"meta\":", "\"groups\":", "\"members\":", "{}", "[]"})
    if (t.find(s) != std::string_view::npos)
      return true;
  return false;
}

} // namespace

json render(resource_kind kind, json stored, const resource_meta& meta,
            const std::vector<member_ref>* members_or_groups) {
  json out = stored.is_object() ? std::move(stored) : json::object();
  out.erase("password"); // U5, even if it somehow got stored
  if (!out.contains("schemas"))
    out["schemas"] = json::array({core_schema(kind).id});
  out.erase(kind == resource_kind::user ? "groups" : "members");
  auto tail = render_tail(kind, meta, members_or_groups);
  for (auto& [key, value] : tail.items())
    out[key] = std::move(value);
  return out;
}

std::string render_text(resource_kind kind, std::string_view stored_text, const resource_meta& meta,
                        const std::vector<member_ref>* members_or_groups) {
  if (needs_parsing(stored_text))
    return dump_json(apply_projection(kind,
                                      render(kind, json::parse(stored_text, nullptr, false), meta,
                                             members_or_groups),
                                      projection{}));
  auto tail = dump_json(render_tail(kind, meta, members_or_groups)); // {"id":…,"meta":{…}}
  std::string out;
  out.reserve(stored_text.size() + tail.size());
  out.append(stored_text.substr(0, stored_text.size() - 1));
  out.push_back(',');
  out.append(tail, 1, std::string::npos);
  return out;
}

expected<projection> parse_projection(resource_kind kind, std::string_view attributes,
                                      std::string_view excluded) {
  auto a = parse_list(kind, attributes);
  if (!a)
    return a.err();
  auto e = parse_list(kind, excluded);
  if (!e)
    return e.err();
  return projection{std::move(a.value()), std::move(e.value())};
}

json apply_projection(resource_kind kind, json full, const projection& p) {
  if (!full.is_object())
    return full;
  json out;
  if (p.attributes.empty()) {
    out = std::move(full);
  } else {
    out = json::object();
    if (auto s = full.find("schemas"); s != full.end())
      out["schemas"] = *s;
    for_each_attribute(kind, [&](const attribute& a, const schema* ext) {
      if (a.ret != returned::always)
        return;
      const json* src = ext ? (full.contains(ext->id) ? &full[ext->id] : nullptr) : &full;
      if (src && src->is_object() && src->contains(a.name))
        (ext ? out[ext->id] : out)[a.name] = (*src)[a.name];
    });
    if (auto id = full.find("id"); id != full.end())
      out["id"] = *id; // id is returned=always (RFC 7643 §3.1)
    for (const auto& r : p.attributes)
      copy_path(kind, full, out, r);
  }
  for (const auto& r : p.excluded) {
    bool always = r.attr->ret == returned::always || iequals(r.attr->name, "id") ||
                  (r.sub && r.sub->ret == returned::always);
    if (!always)
      remove_path(kind, out, r);
  }
  // returned=never is never sent; returned=request only when asked for.
  for_each_attribute(kind, [&](const attribute& a, const schema* ext) {
    bool asked = std::any_of(p.attributes.begin(), p.attributes.end(),
                             [&](const resolved_attr& r) { return r.attr == &a; });
    if (a.ret == returned::never || (a.ret == returned::request && !asked)) {
      json* c = ext ? (out.contains(ext->id) ? &out[ext->id] : nullptr) : &out;
      if (c && c->is_object())
        c->erase(a.name);
    }
  });
  prune(out);
  return out;
}

bool is_default(const projection& p) {
  return p.attributes.empty() && p.excluded.empty();
}

bool wants_members(resource_kind kind, const projection& p) {
  const char* name = kind == resource_kind::group ? "members" : "groups";
  auto names_it = [&](const resolved_attr& r) {
    return !is_extension(kind, r) && r.attr && iequals(r.attr->name, name);
  };
  if (!p.attributes.empty())
    return std::any_of(p.attributes.begin(), p.attributes.end(), names_it);
  return std::none_of(p.excluded.begin(), p.excluded.end(),
                      [&](const resolved_attr& r) { return names_it(r) && !r.sub; });
}

json list_response(std::vector<json> resources, std::int64_t total_results, std::int64_t start_index) {
  json out = json::object();
  out["schemas"] = json::array({std::string(list_response_urn)});
  out["totalResults"] = total_results;
  out["itemsPerPage"] = resources.size();
  out["startIndex"] = start_index;
  out["Resources"] = json(std::move(resources));
  return out;
}

std::string list_response_text(const std::vector<std::string>& resources, std::int64_t total_results,
                               std::int64_t start_index) {
  auto frame = list_response({}, total_results, start_index);
  frame["itemsPerPage"] = resources.size();
  // Keys are dumped in order, and "Resources" sorts first: {"Resources":[],…
  auto text = dump_json(frame);
  const std::string_view head = "{\"Resources\":[]";
  if (text.compare(0, head.size(), head) != 0) { // not reached: the key order is fixed
    std::vector<json> parsed;
    for (const auto& r : resources)
      parsed.push_back(json::parse(r, nullptr, false));
    return dump_json(list_response(std::move(parsed), total_results, start_index));
  }
  std::size_t size = text.size();
  for (const auto& r : resources)
    size += r.size() + 1;
  std::string out;
  out.reserve(size);
  out.append("{\"Resources\":[");
  for (std::size_t i = 0; i < resources.size(); ++i) {
    if (i > 0)
      out.push_back(',');
    out.append(resources[i]);
  }
  out.push_back(']');
  out.append(text, head.size(), std::string::npos);
  return out;
}

std::string dump_json(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace dirsync::scim
