// Rendering side of resource.hpp: meta, ETags, attribute projection, lists.
#include "scim/resource.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>

#include "scim/json_text.hpp"

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

// Index of the first byte of `s` at or after `from` that JSON must escape
// (a control character, '"' or '\\'), or s.size(). Eight bytes at a time:
// the ids, times and URLs of a reply's tail have none.
std::size_t next_to_escape(std::string_view s, std::size_t from) {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  auto zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  std::size_t i = from;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    // Nonzero exactly when one of the eight bytes is below 0x20 or equals
    // '"' or '\\' (borrows may mark others too, so the byte loop below
    // finds which one).
    auto below_space = (v - 0x2020202020202020ull) & ~v & highs;
    if (below_space | zero_byte(v ^ (ones * '"')) | zero_byte(v ^ (ones * '\\')))
      break;
  }
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\')
      return i;
  }
  return i;
}

// Appends `s` as a JSON string (UTF-8 kept as is, as dump() does).
void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t run = 0; // start of the bytes not yet appended
  for (auto i = next_to_escape(s, 0); i < s.size(); i = next_to_escape(s, run)) {
    auto c = static_cast<unsigned char>(s[i]);
    out.append(s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xF]);
      }
    }
  }
  out.append(s.substr(run));
  out.push_back('"');
}

void append_json(std::string& out, const json& j) {
  switch (j.type()) {
    case json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& [key, v] : j.items()) { // std::map: sorted, as dump()
        if (!first)
          out.push_back(',');
        first = false;
        append_string(out, key);
        out.push_back(':');
        append_json(out, v);
      }
      out.push_back('}');
      break;
    }
    case json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : j) {
        if (!first)
          out.push_back(',');
        first = false;
        append_json(out, v);
      }
      out.push_back(']');
      break;
    }
    case json::value_t::string: append_string(out, j.get_ref<const std::string&>()); break;
    case json::value_t::boolean: out += j.get<bool>() ? "true" : "false"; break;
    case json::value_t::null: out += "null"; break;
    default: out += j.dump(); // numbers, in dump()'s own format
  }
}

// What render() adds to a stored resource, as the members of a JSON object
// without its braces: "id", "meta" and the related references ("groups" of
// a user, "members" of a group; omitted when empty).
void append_tail(std::string& out, resource_kind kind, const resource_meta& meta,
                 const std::vector<member_ref>* related) {
  const bool user = kind == resource_kind::user;
  out += "\"id\":";
  append_string(out, meta.id);
  out += user ? R"(,"meta":{"resourceType":"User","created":)" : R"(,"meta":{"resourceType":"Group","created":)";
  append_string(out, meta.created);
  out += ",\"lastModified\":";
  append_string(out, meta.last_modified);
  out += ",\"location\":";
  append_string(out, meta.base_url + (user ? "/Users/" : "/Groups/") + meta.id);
  out += ",\"version\":";
  append_string(out, make_etag(meta.version));
  out += '}';
  if (!related || related->empty())
    return;
  out += user ? ",\"groups\":[" : ",\"members\":[";
  for (std::size_t i = 0; i < related->size(); ++i) {
    const auto& m = (*related)[i];
    out += i ? ",{\"value\":" : "{\"value\":";
    append_string(out, m.value);
    if (!m.display.empty()) {
      out += ",\"display\":";
      append_string(out, m.display);
    }
    if (!m.type.empty()) {
      out += ",\"type\":";
      append_string(out, m.type);
    }
    bool to_group = user || iequals(m.type, "Group");
    out += ",\"$ref\":";
    append_string(out, meta.base_url + (to_group ? "/Groups/" : "/Users/") + m.value);
    out += '}';
  }
  out += ']';
}

// True when the stored text may hold something render() or the default
// projection would change (see render_text). It jumps from quote to quote
// with memchr (every reply of a lookup passes here); a string value that
// merely looks like such a key or like {} or [] only costs the parse.
bool needs_parsing(std::string_view t) {
  if (t.size() < 2 || t.front() != '{' || t.back() != '}')
    return true;
  if (t.find("{}") != std::string_view::npos || t.find("[]") != std::string_view::npos)
    return true;
  auto at = [&](std::size_t i, std::string_view key) { return t.compare(i, key.size(), key) == 0; };
  bool schemas = false;
  // From quote to quote with memchr: every key starts at one.
  const char* const begin = t.data();
  const char* const end = begin + t.size() - 1; // a quote needs a character after it
  for (auto* q = static_cast<const char*>(std::memchr(begin, '"', t.size() - 1)); q;
       q = static_cast<const char*>(std::memchr(q + 1, '"', static_cast<std::size_t>(end - q - 1)))) {
    auto i = static_cast<std::size_t>(q - begin);
    // Keys are matched without their colon, so `"password" :` (not what
    // dump() writes) is caught too.
    switch (q[1]) {
      case 's': schemas = schemas || at(i, "\"schemas\":"); break;
      case 'p': if (at(i, "\"password\"")) return true; break;
      case 'i': if (at(i, "\"id\"")) return true; break;
      case 'g': if (at(i, "\"groups\"")) return true; break;
      case 'm': if (at(i, "\"meta\"") || at(i, "\"members\"")) return true; break;
      default: break;
    }
  }
  return !schemas;
}

} // namespace

json render(resource_kind kind, json stored, const resource_meta& meta,
            const std::vector<member_ref>* members_or_groups) {
  json out = stored.is_object() ? std::move(stored) : json::object();
  out.erase("password"); // U5, even if it somehow got stored
  if (!out.contains("schemas"))
    out["schemas"] = json::array({core_schema(kind).id});
  out.erase(kind == resource_kind::user ? "groups" : "members");
  std::string tail = "{";
  append_tail(tail, kind, meta, members_or_groups);
  tail += '}';
  auto added = json::parse(tail);
  for (auto& [key, value] : added.items())
    out[key] = std::move(value);
  return out;
}

std::string render_text(resource_kind kind, std::string_view stored_text, const resource_meta& meta,
                        const std::vector<member_ref>* members_or_groups) {
  if (needs_parsing(stored_text))
    return dump_json(apply_projection(kind,
                                      render(kind, parse_json(stored_text), meta,
                                             members_or_groups),
                                      projection{}));
  std::string out;
  out.reserve(stored_text.size() + 320 + (members_or_groups ? members_or_groups->size() * 160 : 0));
  out.append(stored_text.substr(0, stored_text.size() - 1));
  out.push_back(',');
  append_tail(out, kind, meta, members_or_groups);
  out.push_back('}');
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
  std::size_t size = 160;
  for (const auto& r : resources)
    size += r.size() + 1;
  std::string out;
  out.reserve(size);
  out += "{\"schemas\":[";
  append_string(out, list_response_urn);
  out += "],\"totalResults\":" + std::to_string(total_results);
  out += ",\"itemsPerPage\":" + std::to_string(resources.size());
  out += ",\"startIndex\":" + std::to_string(start_index);
  out += ",\"Resources\":[";
  for (std::size_t i = 0; i < resources.size(); ++i) {
    if (i > 0)
      out.push_back(',');
    out.append(resources[i]);
  }
  out += "]}";
  return out;
}

std::string dump_canonical(const json& resource) {
  std::string out;
  out.reserve(512);
  append_json(out, resource);
  return out;
}

std::string dump_json(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace dirsync::scim
