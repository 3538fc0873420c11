#pragma once
/// \file options.hpp
/// The one table of config options (SPEC O1). Each row binds a
/// "section.key" to a member of `settings` and carries its kind, limits and
/// documentation; the loader, env lookup, flags, --help, print-config and the
/// README table are all generated from it.

#include "config/settings.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace dirsync::config {

/// How an option's text is parsed and shown.
enum class kind {
  string,   ///< Free text.
  path,     ///< A file or folder path (free text, shown as a path).
  integer,  ///< A whole number within [min, max].
  size,     ///< Bytes: integer or "64KiB"/"1MiB"; within [min, max] bytes.
  duration, ///< Integer seconds or "250ms"/"30s"/"5m"/"7d"; within [min, max] ms.
  boolean,  ///< true or false.
  choice,   ///< One of `choices`.
};

/// A typed option value: bool for boolean; int64 for integer, size (bytes)
/// and duration (milliseconds); string for string, path and choice.
using value = std::variant<bool, std::int64_t, std::string>;

/// One row of the option table.
struct option {
  /// Section name, e.g. "http".
  std::string section;
  /// Key within the section, e.g. "port".
  std::string key;
  /// How the value is parsed, checked and shown.
  config::kind kind = kind::string;
  /// One-paragraph description for --help and the README.
  std::string doc;
  /// Inclusive lower bound (integer, size in bytes, duration in ms).
  std::int64_t min = 0;
  /// Inclusive upper bound (integer, size in bytes, duration in ms).
  std::int64_t max = 0;
  /// Allowed spellings for kind::choice, in enumerator order.
  std::vector<std::string> choices;
  /// Extra check of a well-typed, in-range value; returns the problem, if any.
  std::function<std::optional<std::string>(const value&)> check;
  /// Stores a checked value into the settings.
  std::function<void(settings&, const value&)> set;
  /// Reads the value out of the settings.
  std::function<value(const settings&)> get;

  /// "section.key".
  std::string name() const;
  /// "DIRSYNC_SECTION_KEY".
  std::string env_name() const;
  /// "--section.key".
  std::string flag_name() const;
};

/// A rule over several keys, checked on the effective settings.
struct rule {
  /// The keys the rule names ("section.key").
  std::vector<std::string> keys;
  /// Returns the problem, if the settings break the rule.
  std::function<std::optional<std::string>(const settings&)> check;
};

/// Every option, in documentation order.
const std::vector<option>& options();

/// Every cross-key rule.
const std::vector<rule>& rules();

/// The option named "section.key", or nullptr.
const option* find_option(std::string_view name);

/// The known section names, in documentation order.
std::vector<std::string> sections();

/// Parses environment or flag text for `opt` into `out`; returns the problem, if any.
std::optional<std::string> parse_text(const option& opt, std::string_view text, value& out);

/// Checks range, choices and the option's own check; returns the problem, if any.
std::optional<std::string> validate(const option& opt, const value& v);

/// Human form of a value: "30s", "1MiB", "8080", "sharing", "" for empty text.
std::string format_value(const option& opt, const value& v);

/// TOML form of a value: strings quoted and escaped, numbers and booleans bare.
std::string toml_value(const option& opt, const value& v);

/// The allowed values in words, e.g. "0..65535", "1KiB..256MiB", "sharing | stealing"; empty if unrestricted.
std::string describe_range(const option& opt);

/// Placeholder for --help, e.g. "INT", "SIZE", "DURATION", "PATH", "BOOL", "{text,json}".
std::string type_label(const option& opt);

/// The closest known name to `name` among `candidates` (edit distance ≤ 2), or empty.
std::string closest(std::string_view name, const std::vector<std::string>& candidates);

} // namespace dirsync::config
