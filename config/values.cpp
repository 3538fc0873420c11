// Parsing, checking and showing option values; shared by every source.
#include "config/options.hpp"
#include "config/units.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

namespace dirsync::config {

std::string option::name() const { return section + "." + key; }

std::string option::env_name() const {
  std::string out = "DIRSYNC_" + section + "_" + key;
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string option::flag_name() const { return "--" + name(); }

namespace {

std::string quoted(std::string_view text) { return "'" + std::string{text} + "'"; }

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : std::string{sep}) + item;
  return out;
}

/// A bound in the option's own unit: "1KiB", "100ms", "65535".
std::string format_bound(const option& opt, std::int64_t n) {
  return format_value(opt, value{n});
}

} // namespace

std::optional<std::string> parse_text(const option& opt, std::string_view text,
                                      value& out) {
  switch (opt.kind) {
    case kind::string:
    case kind::path:
    case kind::choice:
      out = std::string{text};
      return std::nullopt;
    case kind::boolean:
      if (text != "true" && text != "false")
        return quoted(text) + " is not a boolean (use true or false)";
      out = text == "true";
      return std::nullopt;
    case kind::integer: {
      std::int64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        return quoted(text) + " is not an integer";
      out = n;
      return std::nullopt;
    }
    case kind::size: {
      auto bytes = parse_size(text);
      if (!bytes)
        return quoted(text) + " is not a size (" + std::string{size_syntax} + ")";
      out = static_cast<std::int64_t>(*bytes);
      return std::nullopt;
    }
    case kind::duration: {
      auto d = parse_duration(text);
      if (!d)
        return quoted(text) + " is not a duration (" + std::string{duration_syntax} +
               ")";
      out = std::int64_t{d->count()};
      return std::nullopt;
    }
  }
  return std::string{"unsupported option kind"};
}

std::optional<std::string> validate(const option& opt, const value& v) {
  switch (opt.kind) {
    case kind::integer:
    case kind::size:
    case kind::duration: {
      auto n = std::get<std::int64_t>(v);
      if (n < opt.min || n > opt.max)
        return format_value(opt, v) + " is out of range " + describe_range(opt);
      break;
    }
    case kind::choice: {
      const auto& s = std::get<std::string>(v);
      if (std::find(opt.choices.begin(), opt.choices.end(), s) == opt.choices.end())
        return quoted(s) + " is not one of " + join(opt.choices, ", ");
      break;
    }
    default:
      break;
  }
  if (opt.check)
    return opt.check(v);
  return std::nullopt;
}

std::string format_value(const option& opt, const value& v) {
  switch (opt.kind) {
    case kind::boolean:
      return std::get<bool>(v) ? "true" : "false";
    case kind::integer:
      return std::to_string(std::get<std::int64_t>(v));
    case kind::size: {
      auto n = std::get<std::int64_t>(v);
      return n < 0 ? std::to_string(n) + "B"
                   : format_size(static_cast<std::uint64_t>(n));
    }
    case kind::duration:
      return format_duration(std::chrono::milliseconds{std::get<std::int64_t>(v)});
    default:
      return std::get<std::string>(v);
  }
}

std::string toml_value(const option& opt, const value& v) {
  switch (opt.kind) {
    case kind::boolean:
    case kind::integer:
      return format_value(opt, v);
    default:
      break;
  }
  // Sizes and durations are written in their unit form, which TOML holds as a string.
  std::string out = "\"";
  for (char c : format_value(opt, v)) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string describe_range(const option& opt) {
  switch (opt.kind) {
    case kind::integer:
    case kind::size:
    case kind::duration:
      return format_bound(opt, opt.min) + ".." + format_bound(opt, opt.max);
    case kind::choice:
      return join(opt.choices, " | ");
    case kind::boolean:
      return "true | false";
    default:
      return {};
  }
}

std::string type_label(const option& opt) {
  switch (opt.kind) {
    case kind::string:
      return "TEXT";
    case kind::path:
      return "PATH";
    case kind::integer:
      return "INT";
    case kind::size:
      return "SIZE";
    case kind::duration:
      return "DURATION";
    case kind::boolean:
      return "BOOL";
    case kind::choice:
      return "{" + join(opt.choices, ",") + "}";
  }
  return "VALUE";
}

std::string closest(std::string_view name, const std::vector<std::string>& candidates) {
  // Plain Levenshtein distance; candidate lists are a few dozen short names.
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
      row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      auto diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        auto above = row[j];
        auto substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
        row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
        diagonal = above;
      }
    }
    return row[b.size()];
  };
  std::string best;
  std::size_t best_distance = 3;
  for (const auto& c : candidates) {
    auto d = distance(name, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

} // namespace dirsync::config
