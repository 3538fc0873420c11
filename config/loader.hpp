#pragma once
/// \file loader.hpp
/// Loading settings (SPEC O1): defaults < TOML file < DIRSYNC_SECTION_KEY
/// environment variables < --section.key flags, strictly validated, every
/// problem reported at once. Also the generated --help, print-config output
/// and README table.

#include "config/settings.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace CLI {
/// CLI11's application (forward declaration; include <CLI/CLI.hpp> to use add_flags).
class App;
} // namespace CLI

namespace dirsync::config {

/// Values given as flags, collected by add_flags: "section.key" -> raw text.
using flag_values = std::map<std::string, std::string>;

/// Looks up one environment variable by name; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// Registers `--config FILE` and every `--section.key VALUE` (with its doc,
/// allowed values and default in --help) on a CLI11 app or subcommand.
/// `config_file` and `flags` must outlive parsing; flags not given stay absent.
void add_flags(CLI::App& app, std::string& config_file, flag_values& flags);

/// File -> env -> flags. An empty `config_file` means defaults only. On any
/// problem returns ALL problems, each naming its source and key, e.g.
/// "config file x.toml: http.port: 70000 is out of range 0..65535".
/// `env_names` lists the environment variable names present, so that unknown
/// DIRSYNC_* variables are reported (pass process_env_names() in production;
/// names without the DIRSYNC_ prefix are ignored). Never throws on bad input.
std::variant<loaded, std::vector<std::string>>
load(const std::string& config_file, const flag_values& flags,
     const env_lookup& getenv, const std::vector<std::string>& env_names = {});

/// load() against the real process environment (values and unknown-name check).
std::variant<loaded, std::vector<std::string>>
load_from_process(const std::string& config_file, const flag_values& flags);

/// The real environment lookup.
std::optional<std::string> process_env(const std::string& name);

/// Names of every DIRSYNC_* variable in the real environment.
std::vector<std::string> process_env_names();

/// "section.key = value   # origin" lines for every key, in table order; values
/// are TOML, so the output is itself a valid config file. Shows paths (such as
/// mail.smtp_password_file), never the contents of secret files.
std::string render_effective(const loaded& l);

/// Markdown table (key, env var, default, description) for the README.
std::string markdown_table();

} // namespace dirsync::config
