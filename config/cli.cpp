// Generated surfaces of the option table: flags and --help, print-config, README table.
#include "config/loader.hpp"

#include "config/options.hpp"

#include <algorithm>

#include <CLI/CLI.hpp>

namespace dirsync::config {

namespace {

/// The option's doc plus its allowed values, for --help and the README.
std::string full_doc(const option& o) {
  auto allowed = describe_range(o);
  if (allowed.empty() || o.kind == kind::choice)
    return o.doc + (allowed.empty() ? "" : " One of: " + allowed + ".");
  return o.doc + " Range " + allowed + ".";
}

std::string default_text(const option& o) {
  return format_value(o, o.get(settings{}));
}

/// Escapes text for a Markdown table cell.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += '\\';
    out += c;
  }
  return out;
}

} // namespace

void add_flags(CLI::App& app, std::string& config_file, flag_values& flags) {
  app.add_option("--config", config_file,
                 "TOML config file; DIRSYNC_SECTION_KEY environment variables and "
                 "--section.key flags override its values.")
    ->type_name("FILE");
  for (const auto& o : options()) {
    auto name = o.name();
    auto* flag = app.add_option_function<std::string>(
      o.flag_name(), [&flags, name](const std::string& text) { flags[name] = text; },
      full_doc(o) + " Env: " + o.env_name() + ".");
    flag->type_name(type_label(o));
    flag->group("[" + o.section + "] settings");
    // Shown in --help only: the callback runs just for flags actually given.
    if (auto def = default_text(o); !def.empty())
      flag->default_str(def);
  }
}

std::string render_effective(const loaded& l) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::size_t width = 0;
  for (const auto& o : options()) {
    auto assignment = o.name() + " = " + toml_value(o, o.get(l.values));
    width = std::max(width, assignment.size());
    auto it = l.origins.find(o.name());
    auto from = it == l.origins.end() ? origin::default_value : it->second;
    std::string source{to_string(from)};
    if (from == origin::file)
      source += " " + l.config_file;
    else if (from == origin::environment)
      source += " " + o.env_name();
    else if (from == origin::flag)
      source += " " + o.flag_name();
    lines.emplace_back(std::move(assignment), std::move(source));
  }
  std::string out;
  for (const auto& [assignment, source] : lines)
    out += assignment + std::string(width - assignment.size() + 3, ' ') + "# " +
           source + "\n";
  return out;
}

std::string markdown_table() {
  std::string out = "| Key | Environment variable | Default | Description |\n"
                    "|---|---|---|---|\n";
  for (const auto& o : options()) {
    auto def = default_text(o);
    out += "| `" + o.name() + "` | `" + o.env_name() + "` | " +
           (def.empty() ? std::string{"(empty)"} : "`" + cell(def) + "`") + " | " +
           cell(full_doc(o)) + " |\n";
  }
  return out;
}

} // namespace dirsync::config
