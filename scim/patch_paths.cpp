// RFC 7644 §3.5.2 add / replace / remove on one (non-member) attribute of a
// stored resource, including value-filtered paths and the IdP dialects (S4).
#include <algorithm>
#include <vector>

#include "scim/patch.hpp"
#include "scim/resource.hpp"

namespace dirsync::scim::detail {

namespace {

using json = nlohmann::json;

std::string shown_name(const patch_target& t) {
  std::string n = t.ext ? t.ext->id + ":" + t.attr->name : t.attr->name;
  return t.sub ? n + "." + t.sub->name : n;
}

// `type eq "work" and primary eq true` -> {"type":"work","primary":true}; the
// element Entra expects us to create when a replace filter matches nothing.
bool equality_clauses(const filter_node& f, const attribute& parent, json& out) {
  if (auto c = std::get_if<filter_compare>(&f.v)) {
    const attribute* sub = find_sub_attribute(parent, c->path);
    if (!sub || c->op != compare_op::eq || c->value.is_null())
      return false;
    out[sub->name] = c->value;
    return true;
  }
  if (auto l = std::get_if<filter_logical>(&f.v); l && l->is_and)
    return equality_clauses(*l->lhs, parent, out) && equality_clauses(*l->rhs, parent, out);
  return false;
}

void merge_into(json& target, const json& patch) {
  if (!target.is_object())
    target = json::object();
  for (const auto& [k, v] : patch.items())
    target[k] = v;
}

bool is_primary(const json& e) {
  if (!e.is_object())
    return false;
  auto it = e.find("primary");
  return it != e.end() && it->is_boolean() && it->get<bool>();
}

// At most one primary: a value just set primary clears it on the others.
void settle_primary(json& arr, const std::vector<std::size_t>& touched) {
  std::size_t winner = arr.size();
  for (auto i : touched)
    if (i < arr.size() && is_primary(arr[i]))
      winner = i;
  if (winner == arr.size())
    return;
  for (std::size_t i = 0; i < arr.size(); ++i)
    if (i != winner && is_primary(arr[i]))
      arr[i]["primary"] = false;
}

// Whether `e` has every field of `pattern` (Entra's remove-with-value).
bool has_fields(const json& e, const json& pattern) {
  if (!pattern.is_object() || !e.is_object())
    return e == pattern;
  for (const auto& [k, v] : pattern.items()) {
    auto it = e.find(k);
    if (it == e.end() || *it != v)
      return false;
  }
  return true;
}

void drop_empty(json& arr) {
  arr.erase(std::remove_if(arr.begin(), arr.end(),
                           [](const json& e) { return e.is_object() && e.empty(); }),
            arr.end());
}

expected<unit> single_valued(patch_kind op, json& c, const patch_target& t, const json& value) {
  const attribute& a = *t.attr;
  const std::string name = shown_name(t);
  if (op == patch_kind::remove) {
    if (!t.sub) {
      c.erase(a.name);
    } else if (auto it = c.find(a.name); it != c.end() && it->is_object()) {
      it->erase(t.sub->name);
      if (it->empty())
        c.erase(it);
    }
    return unit{};
  }
  // add on a single-valued attribute acts as replace (Entra sends Add).
  if (t.sub) {
    auto v = coerce_value(*t.sub, value, name);
    if (!v)
      return v.err();
    if (v->is_null()) {
      if (auto it = c.find(a.name); it != c.end() && it->is_object())
        it->erase(t.sub->name);
    } else {
      merge_into(c[a.name], json{{t.sub->name, v.value()}});
    }
    return unit{};
  }
  json in = value;
  if (a.type == attr_type::complex && in.is_string() && find_sub_attribute(a, "value"))
    in = json{{"value", value}}; // Entra: manager sent as a bare id
  auto v = coerce_element(a, std::move(in), name);
  if (!v)
    return v.err();
  if (v->is_null())
    c.erase(a.name);
  else if (a.type == attr_type::complex)
    merge_into(c[a.name], v.value()); // RFC: unspecified sub-attributes unchanged
  else
    c[a.name] = std::move(v.value());
  return unit{};
}

expected<unit> multi_valued(patch_kind op, json& arr, const patch_target& t, const json& value) {
  const attribute& a = *t.attr;
  const std::string name = shown_name(t);
  std::vector<std::size_t> touched;
  if (t.value_filter) {
    std::vector<std::size_t> hits;
    for (std::size_t i = 0; i < arr.size(); ++i)
      if (matches_element(*t.value_filter, a, arr[i]))
        hits.push_back(i);
    if (op == patch_kind::remove) {
      for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
        if (t.sub && arr[*it].is_object())
          arr[*it].erase(t.sub->name);
        else if (!t.sub)
          arr.erase(*it);
      }
      drop_empty(arr);
      return unit{};
    }
    json patch;
    if (t.sub) {
      auto v = coerce_value(*t.sub, value, name);
      if (!v)
        return v.err();
      patch = json{{t.sub->name, v.value()}};
    } else {
      auto v = coerce_element(a, value, name);
      if (!v)
        return v.err();
      patch = v->is_null() ? json::object() : v.value();
    }
    if (hits.empty()) {
      // RFC says noTarget; Entra expects `emails[type eq "work"].value` to
      // create the element, so a pure-equality filter builds one.
      json fresh = json::object();
      if (!equality_clauses(*t.value_filter, a, fresh))
        return make_error(error_code::no_target, "No value of '" + a.name + "' matches the filter");
      merge_into(fresh, patch);
      auto e = coerce_element(a, std::move(fresh), name);
      if (!e)
        return e.err();
      arr.push_back(std::move(e.value()));
      touched.push_back(arr.size() - 1);
    }
    for (auto i : hits) {
      merge_into(arr[i], patch);
      for (auto it = arr[i].begin(); it != arr[i].end();)
        it = it->is_null() ? arr[i].erase(it) : std::next(it);
      touched.push_back(i);
    }
    drop_empty(arr);
  } else if (t.sub) {
    // `emails.value`: every element's sub-attribute.
    if (op == patch_kind::remove) {
      for (auto& e : arr)
        if (e.is_object())
          e.erase(t.sub->name);
      drop_empty(arr);
      return unit{};
    }
    auto v = coerce_value(*t.sub, value, name);
    if (!v)
      return v.err();
    if (arr.empty() && !v->is_null())
      arr.push_back(json::object());
    for (std::size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_object())
        continue;
      if (v->is_null())
        arr[i].erase(t.sub->name);
      else
        arr[i][t.sub->name] = v.value();
      touched.push_back(i);
    }
    drop_empty(arr);
  } else {
    json list = value.is_array() || value.is_null() ? value : json::array({value});
    if (op == patch_kind::remove) {
      if (value.is_null()) {
        arr = json::array();
        return unit{};
      }
      // A value list with remove deletes only the matching elements.
      auto v = coerce_value(a, std::move(list), name);
      if (!v)
        return v.err();
      if (v->is_array())
        for (const auto& pat : v.value())
          arr.erase(std::remove_if(arr.begin(), arr.end(),
                                   [&](const json& e) { return has_fields(e, pat); }),
                    arr.end());
      return unit{};
    }
    auto v = coerce_value(a, std::move(list), name);
    if (!v)
      return v.err();
    if (op == patch_kind::replace)
      arr = json::array();
    if (!v->is_array())
      return unit{};
    for (auto& e : v.value()) {
      // Same value and type as an existing element: update it, don't duplicate.
      auto same = std::find_if(arr.begin(), arr.end(), [&](const json& x) {
        return x.is_object() && e.is_object() && x.value("value", json()) == e.value("value", json()) &&
               x.value("type", json()) == e.value("type", json()) && e.contains("value");
      });
      if (same != arr.end() || (same = std::find(arr.begin(), arr.end(), e)) != arr.end()) {
        if (same->is_object() && e.is_object())
          merge_into(*same, e);
        touched.push_back(static_cast<std::size_t>(same - arr.begin()));
      } else {
        arr.push_back(std::move(e));
        touched.push_back(arr.size() - 1);
      }
    }
  }
  settle_primary(arr, touched);
  return unit{};
}

} // namespace

expected<unit> apply_to_attribute(patch_kind op, json& res, const patch_target& t, const json& value) {
  json* c = &res;
  if (t.ext) {
    auto it = res.find(t.ext->id);
    if (it == res.end() || !it->is_object()) {
      if (op == patch_kind::remove)
        return unit{}; // removing from an absent extension: no-op
      res[t.ext->id] = json::object();
      it = res.find(t.ext->id);
    }
    c = &*it;
  }
  expected<unit> r = unit{};
  if (!t.attr->multi_valued) {
    r = single_valued(op, *c, t, value);
  } else {
    auto it = c->find(t.attr->name);
    json arr = it != c->end() && it->is_array() ? *it : json::array();
    if (op == patch_kind::remove && it == c->end())
      return unit{};
    r = multi_valued(op, arr, t, value);
    if (r) {
      if (arr.empty())
        c->erase(t.attr->name);
      else
        (*c)[t.attr->name] = std::move(arr);
    }
  }
  if (t.ext && c->empty())
    res.erase(t.ext->id);
  return r;
}

} // namespace dirsync::scim::detail
