// Strict loading: defaults < TOML file < environment < flags, all problems collected.
#include "config/loader.hpp"

#include "config/options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <toml++/toml.h>

extern char** environ;

namespace dirsync::config {

namespace {

constexpr std::string_view env_prefix = "DIRSYNC_";

/// Accumulates settings, origins and problems across the sources.
struct loader {
  loaded result;
  std::vector<std::string> problems;

  /// Validates `v` for `opt` and stores it, or records the problem under `where`.
  void apply(const option& opt, const value& v, origin from, const std::string& where) {
    if (auto problem = validate(opt, v)) {
      problems.push_back(where + ": " + *problem);
      return;
    }
    opt.set(result.values, v);
    result.origins[opt.name()] = from;
  }

  void apply_text(const option& opt, std::string_view text, origin from,
                  const std::string& where) {
    value v;
    if (auto problem = parse_text(opt, text, v))
      problems.push_back(where + ": " + *problem);
    else
      apply(opt, v, from, where);
  }

  void read_file(const std::string& path);
  void read_table(const toml::table& root, const std::string& where);
  void read_node(const option& opt, const toml::node& node, const std::string& where);
  void read_env(const env_lookup& getenv, const std::vector<std::string>& names);
  void read_flags(const flag_values& flags);
  void check_rules();
};

std::string toml_type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

std::string expected_toml_type(kind k) {
  switch (k) {
    case kind::integer:
      return "an integer";
    case kind::size:
      return "a size (integer bytes or a string like \"1MiB\")";
    case kind::duration:
      return "a duration (integer seconds or a string like \"30s\")";
    case kind::boolean:
      return "a boolean";
    default:
      return "a string";
  }
}

void loader::read_file(const std::string& path) {
  const auto where = "config file " + path;
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    problems.push_back(where + ": cannot be read: does not exist");
    return;
  }
  if (std::filesystem::is_directory(status)) {
    problems.push_back(where + ": cannot be read: is a directory");
    return;
  }
  std::ifstream in{path, std::ios::binary};
  std::ostringstream text;
  if (in)
    text << in.rdbuf();
  if (!in || in.bad()) {
    problems.push_back(where + ": cannot be read: " + std::strerror(errno));
    return;
  }
  // toml++ is built with exceptions: keep its parse_error inside the loader.
  try {
    auto root = toml::parse(text.str(), path);
    read_table(root, where);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    problems.push_back(where + ": TOML syntax error at line " +
                       std::to_string(begin.line) + ", column " +
                       std::to_string(begin.column) + ": " +
                       std::string{e.description()});
  }
}

void loader::read_table(const toml::table& root, const std::string& where) {
  const auto known_sections = sections();
  std::vector<std::string> known_keys;
  for (const auto& o : options())
    known_keys.push_back(o.name());
  for (auto&& [section_key, section_node] : root) {
    std::string section{section_key.str()};
    if (std::find(known_sections.begin(), known_sections.end(), section) ==
        known_sections.end()) {
      auto hint = closest(section, known_sections);
      // A bare key such as `port = 1` most likely belongs in a section.
      for (const auto& o : options())
        if (hint.empty() && o.key == section)
          hint = o.name();
      problems.push_back(where + ": unknown " +
                         (section_node.is_table() ? "section" : "key") + " '" +
                         section + "'" +
                         (hint.empty() ? "" : " (did you mean " + hint + "?)"));
      continue;
    }
    const auto* table = section_node.as_table();
    if (table == nullptr) {
      problems.push_back(where + ": " + section + ": expected a table ([" + section +
                         "]), got " + toml_type_name(section_node.type()));
      continue;
    }
    for (auto&& [key, node] : *table) {
      auto name = section + "." + std::string{key.str()};
      if (const auto* opt = find_option(name)) {
        read_node(*opt, node, where + ": " + name);
        continue;
      }
      auto hint = closest(name, known_keys);
      problems.push_back(where + ": unknown key '" + name + "'" +
                         (hint.empty() ? "" : " (did you mean " + hint + "?)"));
    }
  }
}

void loader::read_node(const option& opt, const toml::node& node,
                       const std::string& where) {
  auto mismatch = [&] {
    problems.push_back(where + ": expected " + expected_toml_type(opt.kind) +
                       ", got " + toml_type_name(node.type()));
  };
  if (const auto* s = node.as_string()) {
    switch (opt.kind) {
      case kind::string:
      case kind::path:
      case kind::choice:
      case kind::size:
      case kind::duration:
        apply_text(opt, s->get(), origin::file, where);
        return;
      default:
        return mismatch();
    }
  }
  if (const auto* i = node.as_integer()) {
    auto n = i->get();
    if (opt.kind == kind::integer || opt.kind == kind::size)
      return apply(opt, value{n}, origin::file, where);
    if (opt.kind == kind::duration) {
      // Bare integers are seconds.
      constexpr auto limit = std::numeric_limits<std::int64_t>::max() / 1000;
      if (n > limit || n < -limit)
        problems.push_back(where + ": " + std::to_string(n) + " seconds is too large");
      else
        apply(opt, value{n * 1000}, origin::file, where);
      return;
    }
    return mismatch();
  }
  if (const auto* b = node.as_boolean(); b != nullptr && opt.kind == kind::boolean)
    return apply(opt, value{b->get()}, origin::file, where);
  mismatch();
}

void loader::read_env(const env_lookup& getenv, const std::vector<std::string>& names) {
  std::vector<std::string> known;
  for (const auto& o : options()) {
    known.push_back(o.env_name());
    if (auto text = getenv(o.env_name()))
      apply_text(o, *text, origin::environment, o.env_name());
  }
  for (const auto& name : names) {
    if (name.compare(0, env_prefix.size(), env_prefix) != 0 ||
        std::find(known.begin(), known.end(), name) != known.end())
      continue;
    auto hint = closest(name, known);
    problems.push_back(name + ": unknown setting" +
                       (hint.empty() ? "" : " (did you mean " + hint + "?)"));
  }
}

void loader::read_flags(const flag_values& flags) {
  for (const auto& [name, text] : flags) {
    if (const auto* opt = find_option(name))
      apply_text(*opt, text, origin::flag, opt->flag_name());
    else
      problems.push_back("--" + name + ": unknown setting");
  }
}

void loader::check_rules() {
  for (const auto& r : rules()) {
    auto problem = r.check(result.values);
    if (!problem)
      continue;
    // Say where the non-default values came from, so the operator knows what to fix.
    std::string sources;
    for (const auto& key : r.keys) {
      auto from = result.origins[key];
      if (from == origin::default_value)
        continue;
      const auto* opt = find_option(key);
      auto source = from == origin::file          ? "config file " + result.config_file
                    : from == origin::environment ? opt->env_name()
                                                  : opt->flag_name();
      sources += (sources.empty() ? "" : ", ") + key + " from " + source;
    }
    problems.push_back(*problem + (sources.empty() ? "" : " (" + sources + ")"));
  }
}

} // namespace

std::variant<loaded, std::vector<std::string>>
load(const std::string& config_file, const flag_values& flags,
     const env_lookup& getenv, const std::vector<std::string>& env_names) {
  loader l;
  l.result.config_file = config_file;
  for (const auto& o : options())
    l.result.origins[o.name()] = origin::default_value;
  if (!config_file.empty())
    l.read_file(config_file);
  l.read_env(getenv, env_names);
  l.read_flags(flags);
  l.check_rules();
  if (!l.problems.empty())
    return std::move(l.problems);
  return std::move(l.result);
}

std::variant<loaded, std::vector<std::string>>
load_from_process(const std::string& config_file, const flag_values& flags) {
  return load(config_file, flags, process_env, process_env_names());
}

std::optional<std::string> process_env(const std::string& name) {
  if (const char* v = std::getenv(name.c_str()))
    return std::string{v};
  return std::nullopt;
}

std::vector<std::string> process_env_names() {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv{*entry};
    auto name = kv.substr(0, kv.find('='));
    if (name.compare(0, env_prefix.size(), env_prefix) == 0)
      out.emplace_back(name);
  }
  return out;
}

} // namespace dirsync::config
