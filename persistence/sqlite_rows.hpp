#pragma once

// Column lists and row readers shared by the SQLite reader and writer.

#include <nlohmann/json.hpp>

#include "persistence/records.hpp"
#include "persistence/sqlite.hpp"

namespace dirsync::persistence {

namespace rows {

/// Users the SCIM view shows: not deleted by their directory (U9).
inline constexpr const char* visible_user =
  "(users.trash_reason IS NULL OR users.trash_reason != 'deleted')";

/// Columns read_user expects, in order.
inline constexpr const char* user_columns =
  "id, directory_id, user_name, external_id, display_name, active, created, "
  "last_modified, version, resource, trashed_at, trash_reason, attributes";
/// Columns read_group expects, in order.
inline constexpr const char* group_columns =
  "id, directory_id, display_name, external_id, created, last_modified, "
  "version, resource";
/// Columns read_directory expects, in order.
inline constexpr const char* directory_columns =
  "id, type, name, state, paused, token_hash, token_expires_at, created, "
  "last_push_at, mappings, enrollment_emails";

/// The stored JSON form of a directory's mappings: [{"source","destination"}].
inline std::string mappings_text(const std::vector<scim::mapping::rule>& rules) {
  auto a = nlohmann::json::array();
  for (const auto& r : rules)
    a.push_back({{"source", r.source}, {"destination", r.destination}});
  return a.dump();
}

/// Parses mappings_text; entries of another shape are skipped.
inline std::vector<scim::mapping::rule> parse_mappings(const std::string& text) {
  std::vector<scim::mapping::rule> out;
  auto a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array())
    return out;
  for (const auto& e : a)
    if (e.is_object() && e.value("source", nlohmann::json()).is_string()
        && e.value("destination", nlohmann::json()).is_string())
      out.push_back({e["source"].get<std::string>(), e["destination"].get<std::string>()});
  return out;
}

/// Reads a user row selected with user_columns.
inline user_row read_user(const statement& st) {
  user_row u;
  u.id = st.text(0);
  u.directory_id = st.text(1);
  u.user_name = st.text(2);
  u.external_id = st.opt_text(3);
  u.display_name = st.opt_text(4);
  u.active = st.integer(5) != 0;
  u.created = st.text(6);
  u.last_modified = st.text(7);
  u.version = st.integer(8);
  u.resource = st.text(9);
  u.trashed_at = st.opt_text(10);
  u.trash_reason = st.text(11);
  u.attributes = st.text(12);
  return u;
}

/// Reads a group row selected with group_columns.
inline group_row read_group(const statement& st) {
  group_row g;
  g.id = st.text(0);
  g.directory_id = st.text(1);
  g.display_name = st.text(2);
  g.external_id = st.opt_text(3);
  g.created = st.text(4);
  g.last_modified = st.text(5);
  g.version = st.integer(6);
  g.resource = st.text(7);
  return g;
}

/// Reads a directory row selected with directory_columns.
inline directory_row read_directory(const statement& st) {
  directory_row d;
  d.id = st.text(0);
  d.type = st.text(1);
  d.name = st.text(2);
  d.state = st.text(3);
  d.paused = st.integer(4) != 0;
  d.token_hash = st.text(5);
  d.token_expires_at = st.opt_text(6);
  d.created = st.text(7);
  d.last_push_at = st.opt_text(8);
  d.mappings = parse_mappings(st.text(9));
  d.enrollment_emails = st.integer(10) != 0;
  return d;
}

} // namespace rows

} // namespace dirsync::persistence
