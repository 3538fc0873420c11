#include "scim/resource.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_set>

namespace dirsync::scim {

namespace {

using json = nlohmann::json;

error bad_value(std::string_view name, std::string_view what) {
  return make_error(error_code::invalid_value,
                    "Attribute '" + std::string(name) + "' " + std::string(what));
}

// An attribute's name as an error shows it, "[<schema URN>:]<attribute>
// [.<sub-attribute>]": its pieces are kept and joined only for an error, so
// valid values cost no string per attribute (most of a create's values).
struct shown {
  std::string_view urn, attr, sub;
  std::string text() const {
    std::string s;
    if (!urn.empty()) {
      s.append(urn);
      s += ':';
    }
    s.append(attr);
    if (!sub.empty()) {
      s += '.';
      s.append(sub);
    }
    return s;
  }
};

error bad_value(const shown& name, std::string_view what) {
  return bad_value(name.text(), what);
}

expected<json> coerce_owned(const attribute& attr, json v, const shown& name);

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// True when `key` is "<urn>:..." (the URN case-insensitively).
bool under_urn(std::string_view key, std::string_view urn) {
  return key.size() > urn.size() && key[urn.size()] == ':' && istarts_with(key, urn);
}

// Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF) without NUL.
bool valid_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0)
      return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > s.size())
      return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int lo, int hi) {
  if (pos + n > s.size())
    return false;
  int v = 0;
  for (std::size_t k = 0; k < n; ++k) {
    char c = s[pos + k];
    if (c < '0' || c > '9')
      return false;
    v = v * 10 + (c - '0');
  }
  return v >= lo && v <= hi;
}

// xsd:dateTime as RFC 7643 §2.3.5 requires: YYYY-MM-DDTHH:MM:SS[.f+][Z|±HH:MM].
bool valid_date_time(std::string_view s) {
  if (s.size() < 19)
    return false;
  if (!(digits(s, 0, 4, 0, 9999) && s[4] == '-' && digits(s, 5, 2, 1, 12) &&
        s[7] == '-' && digits(s, 8, 2, 1, 31) && s[10] == 'T' && digits(s, 11, 2, 0, 24) &&
        s[13] == ':' && digits(s, 14, 2, 0, 59) && s[16] == ':' && digits(s, 17, 2, 0, 60)))
    return false;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    if (i == start)
      return false;
  }
  if (i == s.size())
    return true;
  if (s[i] == 'Z' || s[i] == 'z')
    return i + 1 == s.size();
  return (s[i] == '+' || s[i] == '-') && i + 6 == s.size() && digits(s, i + 1, 2, 0, 14) &&
         s[i + 3] == ':' && digits(s, i + 4, 2, 0, 59);
}

const attribute* find_attr(const std::vector<attribute>& attrs, std::string_view name) {
  for (const auto& a : attrs)
    if (iequals(a.name, name))
      return &a;
  return nullptr;
}

// A core (or common) top-level attribute of a kind.
const attribute* find_core(resource_kind kind, std::string_view name) {
  if (auto a = find_attr(core_schema(kind).attributes, name))
    return a;
  return find_attr(common_attributes(), name);
}

// Places every attribute of `body` into `out` in its stored form (the
// loop of canonicalize; finish_canonical completes it). The values are moved
// out of `body`, which is left unspecified.
expected<unit> place_all(resource_kind kind, json& body, std::optional<std::vector<member_ref>>* members,
                         json& out) {
  auto place = [&](const attribute& a, const schema* ext, json& v, const shown& name) -> expected<unit> {
    if (a.mut == mutability::read_only || a.ret == returned::never)
      return unit{}; // id, meta, groups ignored; password dropped (U5)
    if (kind == resource_kind::group && iequals(a.name, "members")) {
      if (members) {
        auto m = parse_members(v);
        if (!m)
          return m.err();
        *members = std::move(m.value());
      }
      return unit{};
    }
    auto c = coerce_owned(a, std::move(v), name);
    if (!c)
      return c.err();
    if (c->is_null()) {
      // Unassigned. The extension's object may not exist yet: never create it
      // as null (erase on a null JSON value throws).
      auto target = ext ? out.find(ext->id) : out.end();
      if (!ext)
        out.erase(a.name);
      else if (target != out.end() && target->is_object())
        target->erase(a.name);
      return unit{};
    }
    (ext ? out[ext->id] : out)[a.name] = std::move(c.value());
    return unit{};
  };
  const schema& core = core_schema(kind);
  for (auto& [key, v] : body.items()) {
    if (iequals(key, "schemas"))
      continue;
    if (const schema* ext = extension_schema(kind, key)) {
      if (v.is_null())
        continue;
      if (!v.is_object())
        return bad_value(ext->id, "must be an object");
      for (auto& [sk, sv] : v.items())
        if (auto a = find_attr(ext->attributes, sk))
          if (auto r = place(*a, ext, sv, shown{ext->id, a->name, {}}); !r)
            return r.err();
      continue;
    }
    const attribute* a = nullptr;
    const schema* ext = nullptr;
    if (istarts_with(key, "urn:")) {
      // URN-qualified attribute name; other schemas (custom extensions) are ignored.
      if (under_urn(key, core.id)) {
        a = find_core(kind, std::string_view(key).substr(core.id.size() + 1));
      } else {
        for (const schema* s : schemas_for(kind))
          if (s != &core && under_urn(key, s->id)) {
            ext = s;
            a = find_attr(s->attributes, std::string_view(key).substr(s->id.size() + 1));
          }
      }
    } else if (!(a = find_core(kind, key))) {
      // Lenient like resolve(): an unqualified extension attribute name.
      for (const schema* s : schemas_for(kind))
        if (s != &core && !a && (a = find_attr(s->attributes, key)))
          ext = s;
    }
    if (a)
      if (auto r = place(*a, ext, v, shown{ext ? std::string_view{ext->id} : std::string_view{}, a->name, {}}); !r)
        return r.err();
  }
  return unit{};
}

// Drops empty extension objects, lists exactly the schemas in use and
// checks the required attribute.
expected<json> finish_canonical(resource_kind kind, json out) {
  const schema& core = core_schema(kind);
  json schemas = json::array({core.id});
  for (const schema* s : schemas_for(kind)) {
    if (s == &core)
      continue;
    auto it = out.find(s->id);
    if (it != out.end() && it->empty())
      out.erase(it);
    else if (it != out.end())
      schemas.push_back(s->id);
  }
  out["schemas"] = std::move(schemas);
  const char* required = kind == resource_kind::user ? "userName" : "displayName";
  auto it = out.find(required);
  if (it == out.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return bad_value(required, "is required and must be a non-empty string");
  return out;
}

// Shared by normalize_resource and validate_stored.
expected<json> canonicalize(resource_kind kind, json body,
                            std::optional<std::vector<member_ref>>* members) {
  if (!body.is_object())
    return make_error(error_code::invalid_syntax, "The resource must be a JSON object");
  json out = json::object();
  if (auto r = place_all(kind, body, members, out); !r)
    return r.err();
  return finish_canonical(kind, std::move(out));
}

} // namespace

expected<std::optional<std::vector<member_ref>>> parse_members(const json& v) {
  using result = std::optional<std::vector<member_ref>>;
  if (v.is_null())
    return result{};
  if (!v.is_array() && !v.is_object())
    return bad_value("members", "must be an array");
  std::vector<member_ref> out;
  std::unordered_set<std::string> seen; // a group push may carry tens of thousands
  auto add_one = [&](const json& m) -> expected<unit> {
    if (!m.is_object())
      return bad_value("members", "must contain objects");
    auto it = m.find("value");
    if (it == m.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        !valid_text(it->get_ref<const std::string&>()))
      return bad_value("members.value", "must be a non-empty string");
    member_ref ref{it->get<std::string>(), {}, {}};
    auto d = m.find("display");
    if (d != m.end() && d->is_string())
      ref.display = d->get<std::string>();
    auto t = m.find("type");
    if (t != m.end() && t->is_string())
      ref.type = t->get<std::string>();
    if (seen.insert(ref.value).second)
      out.push_back(std::move(ref));
    return unit{};
  };
  if (v.is_object()) {
    if (auto r = add_one(v); !r)
      return r.err();
  } else {
    for (const auto& m : v)
      if (auto r = add_one(m); !r)
        return r.err();
  }
  return result{std::move(out)};
}

const schema& core_schema(resource_kind kind) {
  return kind == resource_kind::user ? user_schema() : group_schema();
}

const schema* extension_schema(resource_kind kind, std::string_view key) {
  const schema& core = core_schema(kind);
  for (const schema* s : schemas_for(kind))
    if (s != &core && iequals(s->id, key))
      return s;
  return nullptr;
}

namespace {

// coerce_element on a value the caller gives up: accepted strings, numbers
// and sub-attributes move into the result instead of being copied.
expected<json> coerce_element_owned(const attribute& attr, json v, const shown& name) {
  if (v.is_null())
    return json();
  switch (attr.type) {
    case attr_type::string:
    case attr_type::reference:
    case attr_type::binary:
      if (!v.is_string())
        return bad_value(name, "must be a string");
      if (!valid_text(v.get_ref<const std::string&>()))
        return bad_value(name, "must be valid UTF-8 without NUL characters");
      return v;
    case attr_type::boolean:
      if (v.is_boolean())
        return v;
      if (v.is_string() && iequals(v.get_ref<const std::string&>(), "true"))
        return json(true); // Entra sends "True" / "False"
      if (v.is_string() && iequals(v.get_ref<const std::string&>(), "false"))
        return json(false);
      return bad_value(name, "must be a boolean");
    case attr_type::integer:
      if (v.is_number_integer())
        return v;
      if (v.is_number_float()) {
        double d = v.get<double>();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15)
          return json(static_cast<std::int64_t>(d));
      }
      return bad_value(name, "must be an integer");
    case attr_type::decimal:
      if (v.is_number())
        return v;
      return bad_value(name, "must be a number");
    case attr_type::date_time:
      if (!v.is_string() || !valid_date_time(v.get_ref<const std::string&>()))
        return bad_value(name, "must be an xsd:dateTime string");
      return v;
    case attr_type::complex: {
      if (!v.is_object())
        return bad_value(name, "must be an object");
      // RFC 7643 §2.3.8: sub-attributes are not complex, so `name` has no
      // sub-attribute yet; if a schema nested deeper, the path is joined here.
      std::string outer = name.sub.empty() ? std::string{} : name.text();
      json out = json::object();
      for (auto& [k, sv] : v.items()) {
        const attribute* sub = find_sub_attribute(attr, k);
        if (!sub || sub->mut == mutability::read_only)
          continue; // unknown and readOnly sub-attributes are ignored like top-level ones
        shown sub_name = outer.empty() ? shown{name.urn, name.attr, sub->name} : shown{{}, outer, sub->name};
        auto c = coerce_owned(*sub, std::move(sv), sub_name);
        if (!c)
          return c.err();
        if (!c->is_null())
          out[sub->name] = std::move(c.value());
      }
      if (out.empty())
        return json();
      return out;
    }
  }
  return bad_value(name, "has an unsupported type");
}

expected<json> coerce_owned(const attribute& attr, json v, const shown& name) {
  if (v.is_null() || !attr.multi_valued)
    return coerce_element_owned(attr, std::move(v), name);
  if (!v.is_array())
    return bad_value(name, "must be an array");
  if (v.size() > max_multi_values)
    return bad_value(name, "may have at most " + std::to_string(max_multi_values) + " values");
  json out = json::array();
  int primaries = 0;
  for (auto& e : v) {
    auto c = coerce_element_owned(attr, std::move(e), name);
    if (!c)
      return c.err();
    if (c->is_null() || std::find(out.begin(), out.end(), c.value()) != out.end())
      continue; // unassigned or an exact duplicate
    if (auto p = c->is_object() ? c->find("primary") : c->end();
        c->is_object() && p != c->end() && p->is_boolean() && p->get<bool>())
      ++primaries;
    out.push_back(std::move(c.value()));
  }
  if (primaries > 1)
    return bad_value(name, "may have at most one primary value");
  if (out.empty())
    return json();
  return out;
}

} // namespace

expected<json> coerce_element(const attribute& attr, json v, std::string_view name) {
  return coerce_element_owned(attr, std::move(v), shown{{}, name, {}});
}

expected<json> coerce_value(const attribute& attr, json v, std::string_view name) {
  return coerce_owned(attr, std::move(v), shown{{}, name, {}});
}

expected<normalized> normalize_resource(resource_kind kind, json body) {
  if (!body.is_object())
    return make_error(error_code::invalid_syntax, "The request body must be a JSON object");
  const json* schemas = nullptr;
  for (const auto& [k, v] : body.items())
    if (iequals(k, "schemas"))
      schemas = &v;
  if (!schemas || !schemas->is_array())
    return make_error(error_code::invalid_syntax, "\"schemas\" must be an array of schema URNs");
  const schema& core = core_schema(kind);
  bool has_core = false;
  for (const auto& s : *schemas) {
    if (!s.is_string())
      return make_error(error_code::invalid_syntax, "\"schemas\" must contain only strings");
    has_core = has_core || iequals(s.get_ref<const std::string&>(), core.id);
  }
  if (!has_core)
    return make_error(error_code::invalid_syntax, "\"schemas\" must contain " + core.id);
  normalized out;
  auto r = canonicalize(kind, std::move(body), kind == resource_kind::group ? &out.members : nullptr);
  if (!r)
    return r.err();
  out.resource = std::move(r.value());
  return out;
}

expected<json> validate_stored(resource_kind kind, json resource) {
  return canonicalize(kind, std::move(resource), nullptr);
}

expected<json> validate_touched(resource_kind kind, json resource, const std::set<std::string>& touched) {
  if (!resource.is_object())
    return make_error(error_code::invalid_syntax, "The resource must be a JSON object");
  json changed = json::object();
  for (const auto& key : touched)
    if (auto it = resource.find(key); it != resource.end()) {
      changed[key] = std::move(*it);
      resource.erase(it);
    }
  if (auto r = place_all(kind, changed, nullptr, resource); !r)
    return r.err();
  return finish_canonical(kind, std::move(resource));
}

} // namespace dirsync::scim
