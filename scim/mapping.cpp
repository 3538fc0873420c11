#include "scim/mapping.hpp"

#include <algorithm>
#include <cctype>

namespace dirsync::scim::mapping {

namespace {

constexpr std::string_view enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

// The JSON value at a catalog path of a stored resource (null if absent).
// Stored resources keep the extension under its URN key (normalize_resource).
const nlohmann::json* at_path(const nlohmann::json& resource, std::string_view source) {
  const nlohmann::json* node = &resource;
  std::string_view path = source;
  if (path.substr(0, enterprise.size()) == enterprise) {
    auto urn = std::string{enterprise.substr(0, enterprise.size() - 1)};
    auto ext = resource.find(urn);
    if (ext == resource.end() || !ext->is_object())
      return nullptr;
    node = &*ext;
    path.remove_prefix(enterprise.size());
  }
  while (!path.empty()) {
    auto dot = path.find('.');
    auto name = std::string{path.substr(0, dot)};
    if (!node->is_object())
      return nullptr;
    auto next = node->find(name);
    if (next == node->end())
      return nullptr;
    node = &*next;
    path = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  }
  return node;
}

std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_number() || v.is_boolean())
    return v.dump();
  return {};
}

// The primary entry of a multi-valued attribute, else the first object.
const nlohmann::json* primary_entry(const nlohmann::json& list) {
  if (!list.is_array())
    return nullptr;
  const nlohmann::json* first = nullptr;
  for (const auto& e : list) {
    if (!e.is_object())
      continue;
    if (first == nullptr)
      first = &e;
    auto p = e.find("primary");
    if (p != e.end() && p->is_boolean() && p->get<bool>())
      return &e;
  }
  return first;
}

// addresses → one line: "formatted", else the parts joined by ", ".
std::string address_text(const nlohmann::json& list) {
  const auto* a = primary_entry(list);
  if (a == nullptr)
    return {};
  if (auto f = a->find("formatted"); f != a->end() && f->is_string() && !f->get<std::string>().empty())
    return f->get<std::string>();
  std::string out;
  for (const char* part : {"streetAddress", "locality", "region", "postalCode", "country"}) {
    auto p = a->find(part);
    if (p == a->end() || !p->is_string() || p->get<std::string>().empty())
      continue;
    if (!out.empty())
      out += ", ";
    out += p->get<std::string>();
  }
  return out;
}

// phoneNumbers → [{number, type}] in the order pushed.
nlohmann::json phones_of(const nlohmann::json& list) {
  auto out = nlohmann::json::array();
  if (!list.is_array())
    return out;
  for (const auto& e : list) {
    if (!e.is_object() || !e.contains("value") || !e["value"].is_string() || e["value"].get<std::string>().empty())
      continue;
    nlohmann::json phone{{"number", e["value"]}};
    if (auto t = e.find("type"); t != e.end() && t->is_string())
      phone["type"] = *t;
    out.push_back(std::move(phone));
  }
  return out;
}

// The pushed email: primary, else first (D3).
std::string email_of(const nlohmann::json& resource) {
  auto emails = resource.find("emails");
  if (emails == resource.end())
    return {};
  const auto* e = primary_entry(*emails);
  return e != nullptr && e->contains("value") ? scalar_text((*e)["value"]) : std::string{};
}

// A pushed value, or null when the push has none (the destination is cleared).
nlohmann::json text_or_null(std::string text) {
  return text.empty() ? nlohmann::json() : nlohmann::json(std::move(text));
}

nlohmann::json destination_value(const std::string& destination, const nlohmann::json* value,
                                 std::string_view source) {
  if (destination == "phones") {
    auto phones = value != nullptr ? phones_of(*value) : nlohmann::json::array();
    return phones.empty() ? nlohmann::json() : phones;
  }
  if (value == nullptr)
    return nullptr;
  return text_or_null(source == "addresses" ? address_text(*value) : scalar_text(*value));
}

// Sets or (for null) erases one key of an object.
void assign(nlohmann::json& object, const std::string& key, const nlohmann::json& value) {
  if (value.is_null())
    object.erase(key);
  else
    object[key] = value;
}

bool is_builtin(std::string_view d) {
  if (d == "display_name" || d == "notes" || d == "phones")
    return true;
  for (int i = 1; i <= alias_count; ++i)
    if (d == "username_alias_" + std::to_string(i))
      return true;
  return false;
}

} // namespace

const std::vector<catalog_entry>& catalog() {
  static const std::vector<catalog_entry> list = [] {
    std::vector<catalog_entry> l{
      {"displayName", "displayName", "display_name", false},
      {"nickName", "nickName", "custom:nickName", false},
      {"title", "title", "custom:title", false},
      {"userType", "userType", "custom:userType", false},
      {"preferredLanguage", "preferredLanguage", "custom:preferredLanguage", false},
      {"locale", "locale", "custom:locale", false},
      {"timezone", "timezone", "custom:timezone", false},
      {"profileUrl", "profileUrl", "custom:profileUrl", false},
      {"externalId", "externalId", "custom:externalId", false},
      {"name.middleName", "middleName", "custom:middleName", false},
      {"name.honorificPrefix", "honorificPrefix", "custom:honorificPrefix", false},
      {"name.honorificSuffix", "honorificSuffix", "custom:honorificSuffix", false},
      {"name.formatted", "formatted name", "custom:formattedName", false},
      {"phoneNumbers", "phoneNumbers", "phones", true},
      {"addresses", "addresses (primary, one line)", "custom:address", false},
    };
    for (const char* a : {"employeeNumber", "costCenter", "organization", "division", "department"})
      l.push_back({std::string{enterprise} + a, a, std::string{"custom:"} + a, false});
    l.push_back({std::string{enterprise} + "manager.value", "manager", "custom:manager", false});
    return l;
  }();
  return list;
}

const std::vector<rule>& required() {
  static const std::vector<rule> list{{"userName", "username"},
                                      {"emails", "email"},
                                      {"name.givenName", "first_name"},
                                      {"name.familyName", "last_name"}};
  return list;
}

const catalog_entry* find_source(std::string_view source) {
  for (const auto& e : catalog())
    if (iequals(e.source, source))
      return &e;
  // The enterprise extension's attributes by their short name.
  for (const auto& e : catalog())
    if (e.source.size() > enterprise.size() && e.source.compare(0, enterprise.size(), enterprise) == 0
        && iequals(std::string_view{e.source}.substr(enterprise.size()), source))
      return &e;
  return nullptr;
}

bool is_required_source(std::string_view source) {
  return std::any_of(required().begin(), required().end(),
                     [&](const rule& r) { return iequals(r.source, source); });
}

std::optional<std::string> custom_name(std::string_view destination) {
  if (destination.substr(0, custom_prefix.size()) != custom_prefix)
    return std::nullopt;
  return std::string{destination.substr(custom_prefix.size())};
}

std::string destination_problem(std::string_view destination) {
  for (const auto& r : required())
    if (destination == r.destination)
      return "the destination " + std::string{destination} + " belongs to a required mapping";
  if (is_builtin(destination))
    return {};
  auto name = custom_name(destination);
  if (!name)
    return "unknown destination \"" + std::string{destination}
           + "\"; use display_name, notes, username_alias_1 to username_alias_"
           + std::to_string(alias_count) + ", phones or custom:NAME";
  if (name->empty() || name->size() > 64)
    return "a custom attribute name has 1 to 64 characters";
  for (unsigned char c : *name)
    if (!std::isalnum(c) && c != ' ' && c != '_' && c != '-' && c != '.')
      return "a custom attribute name has only letters, digits, spaces, '_', '-' and '.'";
  if (name->front() == ' ' || name->back() == ' ')
    return "a custom attribute name does not start or end with a space";
  return {};
}

std::string rule_problem(const rule& r) {
  const auto* entry = find_source(r.source);
  if (entry == nullptr)
    return is_required_source(r.source) ? "the mapping of " + r.source + " is required and fixed"
                                        : "unknown source attribute \"" + r.source + "\"";
  if (auto p = destination_problem(r.destination); !p.empty())
    return p;
  if (entry->fixed && r.destination != entry->suggested)
    return entry->source + " always maps to " + entry->suggested;
  if (r.destination == "phones" && !entry->fixed)
    return "only phoneNumbers maps to phones";
  return {};
}

nlohmann::json pushed_values(const std::vector<rule>& rules, const nlohmann::json& resource) {
  nlohmann::json out = nlohmann::json::object();
  out["email"] = text_or_null(email_of(resource));
  const auto* given = at_path(resource, "name.givenName");
  const auto* family = at_path(resource, "name.familyName");
  auto first = given != nullptr ? scalar_text(*given) : std::string{};
  auto last = family != nullptr ? scalar_text(*family) : std::string{};
  out["first_name"] = text_or_null(first);
  out["last_name"] = text_or_null(last);
  out["display_name"] = text_or_null(first.empty() || last.empty() ? first + last : first + " " + last);
  for (const auto& r : rules) {
    auto v = destination_value(r.destination, at_path(resource, r.source), r.source);
    if (auto name = custom_name(r.destination))
      out["custom"][*name] = std::move(v);
    else
      out[r.destination] = std::move(v);
  }
  return out;
}

nlohmann::json merge(nlohmann::json current, const nlohmann::json& pushed) {
  if (!current.is_object())
    current = nlohmann::json::object();
  for (const auto& [key, value] : pushed.items()) {
    if (key != "custom") {
      assign(current, key, value);
      continue;
    }
    auto& custom = current["custom"];
    if (!custom.is_object())
      custom = nlohmann::json::object();
    for (const auto& [name, v] : value.items())
      assign(custom, name, v);
    if (custom.empty())
      current.erase("custom");
  }
  return current;
}

bool merge_changes(const nlohmann::json& current, const nlohmann::json& pushed) {
  if (!current.is_object())
    return true;
  // What assign() would change: a null erases the key, a value sets it.
  auto differs = [](const nlohmann::json& object, const std::string& key, const nlohmann::json& value) {
    auto it = object.find(key);
    return value.is_null() ? it != object.end() : it == object.end() || *it != value;
  };
  for (const auto& [key, value] : pushed.items()) {
    if (key != "custom") {
      if (differs(current, key, value))
        return true;
      continue;
    }
    auto custom = current.find("custom");
    if (custom == current.end()) {
      // merge() adds "custom" only if a value is set (it drops it empty).
      for (const auto& [name, v] : value.items())
        if (!v.is_null())
          return true;
      continue;
    }
    if (!custom->is_object() || custom->empty()) // merge() replaces or drops it
      return true;
    for (const auto& [name, v] : value.items())
      if (differs(*custom, name, v))
        return true;
  }
  return false;
}

bool is_mapped(const std::vector<rule>& rules, std::string_view destination) {
  if (destination == "username" || destination == "email" || destination == "first_name"
      || destination == "last_name" || destination == "display_name")
    return true;
  return std::any_of(rules.begin(), rules.end(), [&](const rule& r) {
    if (r.destination == destination)
      return true;
    auto a = custom_name(r.destination);
    auto b = custom_name(destination);
    return a && b && iequals(*a, *b);
  });
}

} // namespace dirsync::scim::mapping
