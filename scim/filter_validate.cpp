#include "scim/filter.hpp"

#include <cctype>
#include <cstdio>

// Schema checks of parsed filters, plus the literal helpers (dates, lenient
// booleans) that validation, evaluation and SQL translation share.
namespace dirsync::scim {

namespace {

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/// Reads exactly `n` digits at `i`.
bool digits(std::string_view s, std::size_t& i, std::size_t n, int& out) {
  if (i + n > s.size())
    return false;
  out = 0;
  for (std::size_t k = 0; k < n; ++k, ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i])))
      return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool expect(std::string_view s, std::size_t& i, char c) { return i < s.size() && s[i++] == c; }

// Instants outside 0000-01-01 .. 9999-12-31 cannot be written in the stored form.
constexpr std::int64_t us_per_day = 86400LL * 1000000;
const std::int64_t min_instant = days_from_civil(0, 1, 1) * us_per_day;
const std::int64_t max_instant = (days_from_civil(9999, 12, 31) + 1) * us_per_day - 1;

error filter_error(std::string detail) { return make_error(error_code::invalid_filter, std::move(detail)); }

/// The literal/operator checks for one comparison against a leaf definition.
expected<unit> check_compare(const filter_compare& c, const attribute& target, const std::string& path) {
  if (target.mut == mutability::write_only || target.ret == returned::never)
    return filter_error("attribute '" + path + "' cannot be used in a filter");
  if (c.op == compare_op::pr)
    return unit{};
  const attribute* leaf = &target;
  if (leaf->type == attr_type::complex) {
    // `emails eq "x"` compares the value sub-attribute (RFC 7644 §3.4.2.2).
    const attribute* value = leaf->multi_valued ? find_sub_attribute(*leaf, "value") : nullptr;
    if (!value)
      return filter_error("complex attribute '" + path + "' needs a sub-attribute to compare");
    leaf = value;
  }
  const bool ordering = c.op == compare_op::gt || c.op == compare_op::ge || c.op == compare_op::lt ||
                        c.op == compare_op::le;
  const bool substring = c.op == compare_op::co || c.op == compare_op::sw || c.op == compare_op::ew;
  if (c.value.is_null()) {
    if (c.op == compare_op::eq || c.op == compare_op::ne)
      return unit{};
    return filter_error("null can only be compared with eq or ne ('" + path + "')");
  }
  switch (leaf->type) {
    case attr_type::boolean:
      if (ordering || substring)
        return filter_error("operator not allowed on boolean attribute '" + path + "'");
      if (!boolean_literal(c.value))
        return filter_error("attribute '" + path + "' is boolean; expected true or false");
      return unit{};
    case attr_type::integer:
    case attr_type::decimal:
      if (substring)
        return filter_error("operator not allowed on numeric attribute '" + path + "'");
      if (!c.value.is_number())
        return filter_error("attribute '" + path + "' is numeric; expected a number");
      return unit{};
    case attr_type::date_time:
      if (substring)
        return filter_error("operator not allowed on dateTime attribute '" + path + "'");
      if (!c.value.is_string() || !parse_date_time(c.value.get_ref<const std::string&>()))
        return filter_error("attribute '" + path + "' is a dateTime; expected an RFC 3339 string");
      return unit{};
    case attr_type::binary:
      if (ordering)
        return filter_error("operator not allowed on binary attribute '" + path + "'");
      [[fallthrough]];
    default:
      if (!c.value.is_string())
        return filter_error("attribute '" + path + "' is a string; expected a quoted value");
      return unit{};
  }
}

/// Walks a filter; `lookup` maps a comparison path to its definition.
template <class Lookup, class OnValuePath>
expected<unit> walk(const filter_node& f, const Lookup& lookup, const OnValuePath& on_value_path) {
  if (auto* c = std::get_if<filter_compare>(&f.v)) {
    const attribute* a = lookup(c->path);
    if (!a)
      return filter_error("unknown attribute '" + c->path + "' in filter");
    return check_compare(*c, *a, c->path);
  }
  if (auto* l = std::get_if<filter_logical>(&f.v)) {
    if (!l->lhs || !l->rhs)
      return filter_error("incomplete filter");
    auto r = walk(*l->lhs, lookup, on_value_path);
    return r ? walk(*l->rhs, lookup, on_value_path) : r;
  }
  if (auto* n = std::get_if<filter_not>(&f.v))
    return n->operand ? walk(*n->operand, lookup, on_value_path) : filter_error("incomplete filter");
  return on_value_path(std::get<filter_value_path>(f.v));
}

} // namespace

std::optional<std::int64_t> parse_date_time(std::string_view s) {
  std::size_t i = 0;
  int y, mo, d, h, mi, sec;
  if (!digits(s, i, 4, y) || !expect(s, i, '-') || !digits(s, i, 2, mo) || !expect(s, i, '-') ||
      !digits(s, i, 2, d) || i >= s.size() || (s[i] != 'T' && s[i] != 't' && s[i] != ' ') ||
      !digits(s, ++i, 2, h) || !expect(s, i, ':') || !digits(s, i, 2, mi) || !expect(s, i, ':') ||
      !digits(s, i, 2, sec))
    return std::nullopt;
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] + (mo == 2 && leap(y)) || h > 23 || mi > 59 ||
      sec > 59)
    return std::nullopt;
  std::int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    for (std::int64_t scale = 100000; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i, scale /= 10)
      micros += (s[i] - '0') * scale; // digits beyond microseconds add 0
    if (i == start)
      return std::nullopt;
  }
  std::int64_t offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i++] == '-' ? -1 : 1, oh, om;
    if (!digits(s, i, 2, oh) || !expect(s, i, ':') || !digits(s, i, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = sign * (oh * 60 + om);
  } else {
    return std::nullopt; // RFC 3339 requires an offset
  }
  if (i != s.size())
    return std::nullopt;
  std::int64_t secs = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 +
                      h * 3600 + mi * 60 + sec - offset_min * 60;
  std::int64_t t = secs * 1000000 + micros;
  if (t < min_instant || t > max_instant)
    return std::nullopt;
  return t;
}

std::string format_date_time(std::int64_t micros) {
  std::int64_t ms = micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000);
  std::int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  std::int64_t rem = ms - days * 86400000;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y), m, d,
                static_cast<long long>(rem / 3600000), static_cast<long long>(rem / 60000 % 60),
                static_cast<long long>(rem / 1000 % 60), static_cast<long long>(rem % 1000));
  return buf;
}

std::optional<bool> boolean_literal(const nlohmann::json& v) {
  if (v.is_boolean())
    return v.get<bool>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (iequals(s, "true"))
      return true;
    if (iequals(s, "false"))
      return false;
  }
  return std::nullopt;
}

expected<unit> validate_element_filter(const filter_node& f, const attribute& parent) {
  auto lookup = [&](const std::string& path) { return find_sub_attribute(parent, path); };
  auto nested = [](const filter_value_path&) -> expected<unit> {
    return filter_error("value filters cannot be nested");
  };
  return walk(f, lookup, nested);
}

expected<unit> validate_filter(const filter_node& f, resource_kind kind) {
  auto lookup = [&](const std::string& path) -> const attribute* {
    auto r = resolve(kind, path);
    return r ? &r->leaf() : nullptr;
  };
  auto value_path = [&](const filter_value_path& vp) -> expected<unit> {
    auto r = resolve(kind, vp.path);
    if (!r)
      return filter_error("unknown attribute '" + vp.path + "' in filter");
    if (r->sub || r->attr->type != attr_type::complex)
      return filter_error("'" + vp.path + "[...]' needs a complex attribute");
    if (!vp.inner)
      return filter_error("incomplete filter");
    return validate_element_filter(*vp.inner, *r->attr);
  };
  return walk(f, lookup, value_path);
}

} // namespace dirsync::scim
