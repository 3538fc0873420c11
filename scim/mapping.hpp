#pragma once

// Attribute mapping (SPEC D3, D12, U4, U6): how a pushed SCIM User becomes
// the user attributes of the admin view. Pure: no storage, no clock.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace dirsync::scim::mapping {

/// Prefix of destinations naming a custom attribute ("custom:Building").
inline constexpr std::string_view custom_prefix = "custom:";
/// How many Username Alias destinations exist (username_alias_1 ... _8).
inline constexpr int alias_count = 8;

/// One attribute the admin may map (D3 catalog).
struct catalog_entry {
  std::string source;    ///< SCIM path, enterprise attributes with their URN.
  std::string label;     ///< Short name shown to admins.
  std::string suggested; ///< Suggested destination (select all uses it).
  bool fixed = false;    ///< The destination cannot be changed (phoneNumbers → phones).
};

/// One mapping: a SCIM source attribute to a destination.
struct rule {
  std::string source;      ///< Catalog source (canonical spelling).
  std::string destination; ///< Built-in destination or custom:NAME.
  /// Equality, for tests.
  friend bool operator==(const rule& a, const rule& b) {
    return a.source == b.source && a.destination == b.destination;
  }
};

/// The optional attributes an admin may map, in display order.
const std::vector<catalog_entry>& catalog();

/// The four required mappings (userName, emails, name.givenName,
/// name.familyName), present from creation and not removable.
const std::vector<rule>& required();

/// The catalog entry for a source given as its full path or, for the
/// enterprise extension, its short name ("department"); null if unknown.
const catalog_entry* find_source(std::string_view source);

/// True for a required mapping's source (userName, emails, ...).
bool is_required_source(std::string_view source);

/// Checks a destination name: display_name, notes, username_alias_1..8,
/// phones, or custom:NAME (1–64 letters, digits, spaces, '_', '-', '.').
/// Returns the problem, or an empty string when valid.
std::string destination_problem(std::string_view destination);

/// Checks one rule against the catalog: a known source, a valid destination,
/// fixed sources to their fixed destination only, phones only from
/// phoneNumbers, no required destination. Returns the problem or "".
std::string rule_problem(const rule& r);

/// The custom attribute name of a custom:NAME destination, else nullopt.
std::optional<std::string> custom_name(std::string_view destination);

/// What a push writes (D12): for the required destinations and each
/// mapped one, the pushed value or null when the push has none (null clears
/// the destination). Display Name is "First Last" unless a mapping names
/// it. Custom destinations are nested under "custom". Layout of the admin
/// attributes: {"email", "first_name", "last_name", "display_name",
/// "notes", "username_alias_N", "phones": [{number, type}],
/// "custom": {NAME: value}}; an absent key means empty.
nlohmann::json pushed_values(const std::vector<rule>& rules, const nlohmann::json& resource);

/// `current` admin attributes with `pushed` written over them; every
/// destination the push does not name keeps its value (U6).
nlohmann::json merge(nlohmann::json current, const nlohmann::json& pushed);

/// Whether merge(current, pushed) differs from `current`, without building
/// it: a push that leaves every mapped value as it was needs no new text.
bool merge_changes(const nlohmann::json& current, const nlohmann::json& pushed);

/// The admin attributes after a push: merge(current, pushed_values(...)).
inline nlohmann::json apply(const std::vector<rule>& rules, const nlohmann::json& resource,
                            nlohmann::json current) {
  return merge(std::move(current), pushed_values(rules, resource));
}

/// True when `destination` is written by a push of a directory with `rules`
/// (always for username, email, first_name, last_name and display_name: U6).
bool is_mapped(const std::vector<rule>& rules, std::string_view destination);

} // namespace dirsync::scim::mapping
