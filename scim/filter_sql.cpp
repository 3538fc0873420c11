#include "scim/filter.hpp"

#include <functional>
#include <utility>

// Translation of validated filters to SQLite WHERE fragments that select the
// rows `matches` (filter_eval.cpp) accepts. Two rules make that hold:
//  - negation is pushed down to the comparisons (De Morgan); a negated
//    comparison that may yield NULL becomes `NOT IFNULL(p, 0)`, so absent
//    values behave as in `matches` (absent => `ne`/`not` hold);
//  - multi-valued attributes are EXISTS over json_each (or a side table),
//    keeping only object elements of a JSON array, like `matches`.
// Assumes well-formed stored resources (values of the schema's JSON type,
// dateTimes in the stored form "YYYY-MM-DDTHH:MM:SS.mmmZ") and SQLite's
// default case_sensitive_like=OFF.
namespace dirsync::scim {

namespace {

using accessor = std::function<std::string(const attribute& sub)>;

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// A quoted SQLite JSON path literal: '$."name"."givenName"'. Schema names
/// contain no quotes, so no escaping is needed.
std::string json_path(const std::vector<std::string>& keys) {
  std::string p = "'$";
  for (const auto& k : keys)
    p += ".\"" + k + "\"";
  return p + "'";
}

bool is_stringish(attr_type t) {
  return t == attr_type::string || t == attr_type::reference || t == attr_type::binary;
}

std::string like_pattern(const std::string& s, compare_op op) {
  std::string p = op == compare_op::sw ? "" : "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\')
      p += '\\';
    p += c;
  }
  return op == compare_op::ew ? p : p + "%";
}

const char* sql_op(compare_op op) {
  switch (op) {
    case compare_op::gt: return " > ";
    case compare_op::ge: return " >= ";
    case compare_op::lt: return " < ";
    case compare_op::le: return " <= ";
    default: return " = ";
  }
}

/// `emails eq "x"` compares emails.value, as in filter_eval.cpp.
const attribute* implied_sub(const attribute& attr, const attribute* sub, compare_op op) {
  if (!sub && attr.type == attr_type::complex && attr.multi_valued && op != compare_op::pr)
    return find_sub_attribute(attr, "value");
  return sub;
}

class translator {
public:
  translator(resource_kind kind, const sql_layout& layout) : kind_(kind), layout_(layout) {}

  std::vector<sql_value> params;

  expected<std::string> node(const filter_node& f, bool neg, const attribute* parent, const accessor& acc) {
    if (auto* l = std::get_if<filter_logical>(&f.v)) {
      if (!l->lhs || !l->rhs)
        return bad("incomplete filter");
      auto a = node(*l->lhs, neg, parent, acc);
      if (!a)
        return a;
      auto b = node(*l->rhs, neg, parent, acc);
      if (!b)
        return b;
      // not (a and b) == not a or not b
      return "(" + *a + (l->is_and != neg ? " AND " : " OR ") + *b + ")";
    }
    if (auto* n = std::get_if<filter_not>(&f.v))
      return n->operand ? node(*n->operand, !neg, parent, acc) : bad("incomplete filter");
    if (auto* c = std::get_if<filter_compare>(&f.v))
      return compare(*c, neg, parent, acc);
    if (parent)
      return bad("value filters cannot be nested");
    return value_path(std::get<filter_value_path>(f.v), neg);
  }

  /// Column or json_extract for a single-valued path.
  std::string source(const std::vector<std::string>& keys, const std::string& canonical) const {
    auto key = lower(canonical);
    for (const auto& [path, column] : layout_.columns)
      if (path == key)
        return column;
    return "json_extract(" + doc() + ", " + json_path(keys) + ")";
  }

  const sql_layout::side_table* side_table(const std::string& canonical) const {
    auto key = lower(canonical);
    for (const auto& st : layout_.side_tables)
      if (st.attribute == key)
        return &st;
    return nullptr;
  }

  std::string doc() const { return layout_.table + "." + layout_.json_column; }
  std::string owner() const { return layout_.table + "." + layout_.id_column; }
  std::string next_alias() { return "e" + std::to_string(++aliases_); }

  /// Iteration over the object elements of a JSON array attribute.
  std::string each(const std::vector<std::string>& keys, const std::string& alias) const {
    return " FROM json_each(" + doc() + ", " + json_path(keys) + ") AS " + alias + " WHERE " + alias +
           ".type = 'object' AND typeof(" + alias + ".key) = 'integer'";
  }

  static accessor element_accessor(const std::string& alias) {
    // CASE keeps json_extract away from non-object elements (it would raise).
    return [alias](const attribute& sub) {
      return "(CASE WHEN " + alias + ".type = 'object' THEN json_extract(" + alias + ".value, " +
             json_path({sub.name}) + ") END)";
    };
  }

private:
  static error bad(std::string detail) { return make_error(error_code::invalid_filter, std::move(detail)); }

  /// Positive SQL for one comparison over a value expression, NULL when absent.
  std::string scalar(const std::string& x, const attribute& leaf, compare_op op, const nlohmann::json& lit) {
    if (op == compare_op::pr) {
      if (leaf.type != attr_type::complex)
        return "IFNULL(" + x + ", '') <> ''";
      return "0"; // complex leaves are expanded by the callers
    }
    switch (leaf.type) {
      case attr_type::boolean:
        params.emplace_back(std::int64_t{boolean_literal(lit).value_or(false) ? 1 : 0});
        return x + " = ?";
      case attr_type::integer:
      case attr_type::decimal:
        if (lit.is_number_integer() && !lit.is_number_unsigned())
          params.emplace_back(lit.get<std::int64_t>());
        else
          params.emplace_back(lit.get<double>());
        return x + sql_op(op) + "?";
      case attr_type::date_time: {
        // Stored dateTimes have millisecond precision: a literal with finer
        // digits can never be equal, and orders like its millisecond floor.
        std::int64_t us = parse_date_time(lit.get<std::string>()).value_or(0);
        std::int64_t floor_us = us >= 0 ? us / 1000 * 1000 : -((-us + 999) / 1000) * 1000;
        params.emplace_back(format_date_time(us));
        if (floor_us == us)
          return x + sql_op(op) + "?";
        if (op == compare_op::eq) {
          params.pop_back();
          return "0";
        }
        bool after = op == compare_op::gt || op == compare_op::ge;
        return x + (after ? " > ?" : " <= ?");
      }
      default: break;
    }
    const std::string& s = lit.get_ref<const std::string&>();
    const bool nocase = !leaf.case_exact;
    if (op == compare_op::co || op == compare_op::sw || op == compare_op::ew) {
      if (nocase) {
        params.emplace_back(like_pattern(s, op));
        return x + " LIKE ? ESCAPE '\\'";
      }
      params.emplace_back(s);
      if (op == compare_op::co)
        return "instr(" + x + ", ?) > 0";
      if (op == compare_op::sw)
        return "instr(" + x + ", ?) = 1";
      params.emplace_back(s);
      return "substr(" + x + ", length(" + x + ") - length(?) + 1) = ?";
    }
    params.emplace_back(s);
    return x + sql_op(op) + "?" + (nocase ? " COLLATE NOCASE" : "");
  }

  /// `pr` on a complex value: any known sub-attribute present.
  static std::string any_sub_present(const attribute& attr, const accessor& acc) {
    std::string out;
    for (const auto& sub : attr.sub_attributes)
      out += (out.empty() ? "(" : " OR ") + ("IFNULL(" + acc(sub) + ", '') <> ''");
    return out.empty() ? "0" : out + ")";
  }

  expected<std::string> compare(const filter_compare& c, bool neg, const attribute* parent, const accessor& acc) {
    // Normalise to a positive test: ne == not eq; eq null == not (non-null).
    compare_op op = c.op;
    bool nonnull = false;
    if (op != compare_op::pr && c.value.is_null()) {
      nonnull = true;
      neg = (op == compare_op::eq) != neg;
    } else if (op == compare_op::ne) {
      op = compare_op::eq;
      neg = !neg;
    }
    auto test = [&](const std::string& x, const attribute& leaf) {
      return nonnull ? x + " IS NOT NULL" : scalar(x, leaf, op, c.value);
    };
    auto finish = [&](std::string sql, bool nullable) {
      if (!neg)
        return sql;
      return nullable ? "NOT IFNULL(" + sql + ", 0)" : "NOT " + sql;
    };

    if (parent) {
      const attribute* sub = find_sub_attribute(*parent, c.path);
      if (!sub)
        return bad("unknown attribute '" + c.path + "' in filter");
      return finish(test(acc(*sub), *sub), true);
    }
    auto r = resolve(kind_, c.path);
    if (!r)
      return bad("unknown attribute '" + c.path + "' in filter");
    const attribute& attr = *r->attr;
    const attribute* sub = implied_sub(attr, r->sub, op);
    if (!sub && attr.type == attr_type::complex && op != compare_op::pr)
      return bad("complex attribute '" + c.path + "' needs a sub-attribute to compare");
    auto keys = r->json_keys;
    auto attr_canonical = r->canonical;
    if (r->sub) {
      keys.pop_back();
      attr_canonical.resize(attr_canonical.size() - r->sub->name.size() - 1);
    }

    if (attr.multi_valued) {
      const auto* st = side_table(attr_canonical);
      if (st && (!sub || iequals(sub->name, "value"))) {
        // Rows hold only the value, so `members pr` tests the value.
        const attribute* leaf = sub ? sub : find_sub_attribute(attr, "value");
        std::string v = st->table + "." + st->value_column;
        return finish("EXISTS (SELECT 1 FROM " + st->table + " WHERE " + st->table + "." + st->owner_column +
                          " = " + owner() + " AND " + test(v, leaf ? *leaf : attr) + ")",
                      false);
      }
      if (attr.type != attr_type::complex)
        return bad("multi-valued simple attributes are not supported in filters");
      auto alias = next_alias();
      auto eacc = element_accessor(alias);
      std::string inner = sub ? test(eacc(*sub), *sub) : any_sub_present(attr, eacc);
      return finish("EXISTS (SELECT 1" + each(keys, alias) + " AND " + inner + ")", false);
    }
    auto sub_source = [&](const attribute& s) {
      auto k = keys;
      k.push_back(s.name);
      return source(k, attr_canonical + "." + s.name);
    };
    if (!sub) {
      if (attr.type == attr_type::complex)
        return finish(any_sub_present(attr, sub_source), false);
      return finish(test(source(keys, attr_canonical), attr), true);
    }
    return finish(test(sub_source(*sub), *sub), true);
  }

  /// True when an element filter reads only the `value` sub-attribute.
  static bool only_value(const filter_node& f) {
    if (auto* c = std::get_if<filter_compare>(&f.v))
      return iequals(c->path, "value");
    if (auto* l = std::get_if<filter_logical>(&f.v))
      return l->lhs && l->rhs && only_value(*l->lhs) && only_value(*l->rhs);
    if (auto* n = std::get_if<filter_not>(&f.v))
      return n->operand && only_value(*n->operand);
    return false;
  }

  expected<std::string> value_path(const filter_value_path& vp, bool neg) {
    auto r = resolve(kind_, vp.path);
    if (!r || r->sub || r->attr->type != attr_type::complex || !vp.inner)
      return bad("'" + vp.path + "[...]' needs a complex attribute");
    const attribute& attr = *r->attr;
    std::string sql;
    bool nullable = false;
    if (const auto* st = side_table(r->canonical); st && attr.multi_valued && only_value(*vp.inner)) {
      std::string v = st->table + "." + st->value_column;
      auto inner = node(*vp.inner, false, &attr, [v](const attribute&) { return v; });
      if (!inner)
        return inner;
      sql = "EXISTS (SELECT 1 FROM " + st->table + " WHERE " + st->table + "." + st->owner_column + " = " +
            owner() + " AND " + *inner + ")";
    } else if (attr.multi_valued) {
      auto alias = next_alias();
      auto inner = node(*vp.inner, false, &attr, element_accessor(alias));
      if (!inner)
        return inner;
      sql = "EXISTS (SELECT 1" + each(r->json_keys, alias) + " AND " + *inner + ")";
    } else {
      // A single complex attribute is one element, if it is an object.
      auto acc = [&](const attribute& s) {
        auto k = r->json_keys;
        k.push_back(s.name);
        return source(k, r->canonical + "." + s.name);
      };
      auto inner = node(*vp.inner, false, &attr, acc);
      if (!inner)
        return inner;
      sql = "(json_type(" + doc() + ", " + json_path(r->json_keys) + ") = 'object' AND " + *inner + ")";
      nullable = true;
    }
    if (!neg)
      return sql;
    return nullable ? "NOT IFNULL(" + sql + ", 0)" : "NOT " + sql;
  }

  resource_kind kind_;
  const sql_layout& layout_;
  int aliases_ = 0;
};

} // namespace

expected<sql_fragment> to_sql(const filter_node& f, resource_kind kind, const sql_layout& layout) {
  if (auto valid = validate_filter(f, kind); !valid)
    return valid.err();
  translator t{kind, layout};
  auto where = t.node(f, false, nullptr, {});
  if (!where)
    return where.err();
  return sql_fragment{std::move(*where), std::move(t.params)};
}

expected<std::string> sort_expression(std::string_view sort_by, resource_kind kind, const sql_layout& layout) {
  auto r = resolve(kind, sort_by);
  if (!r)
    return make_error(error_code::invalid_path, "unknown sortBy attribute '" + std::string{sort_by} + "'");
  const attribute& attr = *r->attr;
  const attribute* sub = implied_sub(attr, r->sub, compare_op::eq);
  if ((!sub && attr.type == attr_type::complex) || attr.mut == mutability::write_only)
    return make_error(error_code::invalid_path, "cannot sort by '" + std::string{sort_by} + "'");
  const attribute& leaf = sub ? *sub : attr;
  const std::string collate = is_stringish(leaf.type) && !leaf.case_exact ? " COLLATE NOCASE" : "";
  translator t{kind, layout};
  auto keys = r->json_keys;
  auto canonical = r->canonical;
  if (r->sub) {
    keys.pop_back();
    canonical.resize(canonical.size() - r->sub->name.size() - 1);
  }
  if (!attr.multi_valued)
    return t.source(r->json_keys, r->canonical) + collate;
  if (const auto* st = t.side_table(canonical); st && iequals(leaf.name, "value")) {
    std::string v = st->table + "." + st->value_column;
    return "(SELECT " + v + " FROM " + st->table + " WHERE " + st->table + "." + st->owner_column + " = " +
           t.owner() + " ORDER BY " + v + collate + " LIMIT 1)" + collate;
  }
  // The primary element's value, else the first element's.
  const std::string alias = "s1";
  auto acc = translator::element_accessor(alias);
  std::string order;
  if (const attribute* primary = find_sub_attribute(attr, "primary"))
    order = acc(*primary) + " IS NOT 1, ";
  return "(SELECT " + acc(leaf) + t.each(keys, alias) + " ORDER BY " + order + alias + ".key LIMIT 1)" + collate;
}

} // namespace dirsync::scim
