#include "scim/filter.hpp"

#include <cctype>
#include <cstdint>
#include <limits>

// In-memory filter evaluation over the stored JSON form. The semantics here are
// the reference that to_sql (filter_sql.cpp) must reproduce row for row:
//  - a comparison on a multi-valued attribute holds if any element holds;
//  - `ne` is exactly `not eq`, so an absent attribute matches `ne` and
//    `not (a eq v)`; every other operator is false on an absent attribute;
//  - `eq null` holds when no non-null value exists, `ne null` when one does;
//  - `pr` holds for a non-null value that is not "" (complex: any known
//    sub-attribute present);
//  - strings compare byte-wise, ASCII-case-folded unless caseExact (as
//    SQLite's NOCASE and LIKE do), dateTimes as instants.
namespace dirsync::scim {

namespace {

using json = nlohmann::json;

std::string fold(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

const json* member(const json* obj, const std::string& key) {
  if (!obj || !obj->is_object())
    return nullptr;
  auto it = obj->find(key);
  return it == obj->end() || it->is_null() ? nullptr : &*it;
}

template <class T>
bool ordered(const T& a, const T& b, compare_op op) {
  switch (op) {
    case compare_op::eq: return a == b;
    case compare_op::gt: return b < a;
    case compare_op::ge: return !(a < b);
    case compare_op::lt: return a < b;
    case compare_op::le: return !(b < a);
    default: return false;
  }
}

bool compare_strings(std::string a, std::string b, bool case_exact, compare_op op) {
  if (!case_exact) {
    a = fold(std::move(a));
    b = fold(std::move(b));
  }
  switch (op) {
    case compare_op::co: return a.find(b) != std::string::npos;
    case compare_op::sw: return a.size() >= b.size() && a.compare(0, b.size(), b) == 0;
    case compare_op::ew: return a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0;
    default: return ordered(a, b, op);
  }
}

bool compare_numbers(const json& a, const json& b, compare_op op) {
  auto as_int = [](const json& j, std::int64_t& out) {
    if (j.is_number_unsigned()) {
      auto u = j.get<std::uint64_t>();
      out = static_cast<std::int64_t>(u);
      return u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    }
    if (!j.is_number_integer())
      return false;
    out = j.get<std::int64_t>();
    return true;
  };
  std::int64_t x, y;
  if (as_int(a, x) && as_int(b, y))
    return ordered(x, y, op);
  return ordered(a.get<double>(), b.get<double>(), op);
}

/// One stored value against a (validated, non-null) literal; op is not ne/pr.
bool compare_value(const json& v, const attribute& leaf, compare_op op, const json& lit) {
  switch (leaf.type) {
    case attr_type::boolean: {
      auto b = boolean_literal(lit);
      return op == compare_op::eq && v.is_boolean() && b && v.get<bool>() == *b;
    }
    case attr_type::integer:
    case attr_type::decimal:
      return v.is_number() && lit.is_number() && compare_numbers(v, lit, op);
    case attr_type::date_time: {
      if (!v.is_string() || !lit.is_string())
        return false;
      auto a = parse_date_time(v.get_ref<const std::string&>());
      auto b = parse_date_time(lit.get_ref<const std::string&>());
      return a && b && ordered(*a, *b, op);
    }
    case attr_type::complex:
      return false;
    default:
      return v.is_string() && lit.is_string() &&
             compare_strings(v.get<std::string>(), lit.get<std::string>(), leaf.case_exact, op);
  }
}

bool has_value(const json& v, const attribute& def) {
  if (v.is_null())
    return false;
  if (def.type == attr_type::complex) {
    for (const auto& sub : def.sub_attributes)
      if (const json* s = member(&v, sub.name); s && has_value(*s, sub))
        return true;
    return false;
  }
  return !(v.is_string() && v.get_ref<const std::string&>().empty());
}

/// The non-null values of `attr` (or of its `sub`) found in `node`, the JSON
/// stored under the attribute's name. Multi-valued complex attributes keep
/// only object elements, as the SQL translation does.
std::vector<const json*> values_of(const json* node, const attribute& attr, const attribute* sub) {
  std::vector<const json*> out;
  if (!node || node->is_null())
    return out;
  auto take = [&](const json& item) {
    if (!sub)
      out.push_back(&item);
    else if (const json* s = member(&item, sub->name))
      out.push_back(s);
  };
  if (!attr.multi_valued) {
    take(*node);
    return out;
  }
  if (!node->is_array())
    return out;
  for (const auto& e : *node)
    if (attr.type == attr_type::complex ? e.is_object() : !e.is_null())
      take(e);
  return out;
}

/// Applies one comparison to the values a path yields.
bool test(const std::vector<const json*>& vals, const attribute& leaf, const filter_compare& c) {
  if (c.op == compare_op::pr) {
    for (const json* v : vals)
      if (has_value(*v, leaf))
        return true;
    return false;
  }
  if (c.value.is_null())
    return (c.op == compare_op::eq) == vals.empty();
  compare_op op = c.op == compare_op::ne ? compare_op::eq : c.op;
  bool any = false;
  for (const json* v : vals)
    if ((any = compare_value(*v, leaf, op, c.value)))
      break;
  return c.op == compare_op::ne ? !any : any;
}

/// A comparison's attribute, its implied sub-attribute, and the leaf compared.
struct target {
  const attribute* attr = nullptr;
  const attribute* sub = nullptr;
};

target implied(const attribute* attr, const attribute* sub, compare_op op) {
  // `emails eq "x"` means `emails.value eq "x"`; `emails pr` looks at elements.
  if (!sub && attr->type == attr_type::complex && attr->multi_valued && op != compare_op::pr)
    sub = find_sub_attribute(*attr, "value");
  return {attr, sub};
}

bool eval(const filter_node& f, const attribute* parent, resource_kind kind, const json& doc);

/// The object holding a resolved attribute: the resource, or its extension object.
const json* container(const resolved_attr& r, const json& doc) {
  return r.owner == &enterprise_user_schema() ? member(&doc, r.owner->id) : &doc;
}

bool eval_compare(const filter_compare& c, const attribute* parent, resource_kind kind, const json& doc) {
  if (parent) {
    const attribute* sub = find_sub_attribute(*parent, c.path);
    if (!sub)
      return false;
    const json* v = member(&doc, sub->name);
    std::vector<const json*> vals;
    if (v)
      vals.push_back(v);
    return test(vals, *sub, c);
  }
  auto r = resolve(kind, c.path);
  if (!r)
    return false;
  auto t = implied(r->attr, r->sub, c.op);
  if (t.attr->type == attr_type::complex && !t.sub && c.op != compare_op::pr)
    return false;
  const json* base = container(*r, doc);
  auto vals = values_of(member(base, t.attr->name), *t.attr, t.sub);
  return test(vals, t.sub ? *t.sub : *t.attr, c);
}

bool eval_value_path(const filter_value_path& vp, resource_kind kind, const json& doc) {
  auto r = resolve(kind, vp.path);
  if (!r || r->sub || r->attr->type != attr_type::complex || !vp.inner)
    return false;
  const json* base = container(*r, doc);
  for (const json* e : values_of(member(base, r->attr->name), *r->attr, nullptr))
    if (e->is_object() && eval(*vp.inner, r->attr, kind, *e))
      return true;
  return false;
}

bool eval(const filter_node& f, const attribute* parent, resource_kind kind, const json& doc) {
  if (auto* c = std::get_if<filter_compare>(&f.v))
    return eval_compare(*c, parent, kind, doc);
  if (auto* l = std::get_if<filter_logical>(&f.v)) {
    if (!l->lhs || !l->rhs)
      return false;
    bool lhs = eval(*l->lhs, parent, kind, doc);
    return l->is_and ? lhs && eval(*l->rhs, parent, kind, doc) : lhs || eval(*l->rhs, parent, kind, doc);
  }
  if (auto* n = std::get_if<filter_not>(&f.v))
    return n->operand && !eval(*n->operand, parent, kind, doc);
  // Value filters do not nest (RFC 7644 §3.4.2.2); inside an element they never match.
  return !parent && eval_value_path(std::get<filter_value_path>(f.v), kind, doc);
}

} // namespace

bool matches(const filter_node& f, resource_kind kind, const nlohmann::json& resource) {
  return eval(f, nullptr, kind, resource);
}

bool matches_element(const filter_node& f, const attribute& parent, const nlohmann::json& element) {
  return eval(f, &parent, resource_kind::user, element);
}

} // namespace dirsync::scim
