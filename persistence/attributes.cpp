// SQLite side of attribute mapping (D3, D12, U6): users' admin-view
// attributes and the organisation's custom attributes.

#include "persistence/sqlite_rows.hpp"
#include "persistence/sqlite_store.hpp"

namespace dirsync::persistence {

namespace {

using scim::error_code;
using scim::make_error;
using ok_t = scim::expected<scim::unit>;

} // namespace

std::vector<custom_attribute_row> sqlite_reader::custom_attributes() {
  std::vector<custom_attribute_row> out;
  auto st = c_->prepare("SELECT name, created FROM custom_attributes ORDER BY name COLLATE NOCASE");
  if (st == nullptr)
    return out;
  while (st->step())
    out.push_back({st->text(0), st->text(1)});
  return out;
}

ok_t sqlite_writer::set_directory_mappings(const std::string& id, const std::vector<scim::mapping::rule>& rules) {
  auto st = c_->prepare("UPDATE directories SET mappings = ? WHERE id = ?");
  if (st == nullptr)
    return failure("prepare set mappings");
  st->bind(1, std::string_view{rows::mappings_text(rules)});
  st->bind(2, std::string_view{id});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("set mappings");
  if (c_->changes() == 0)
    return make_error(error_code::not_found, "no such directory");
  return scim::unit{};
}

ok_t sqlite_writer::set_user_attributes(const std::string& id, const std::string& attributes) {
  auto st = c_->prepare("UPDATE users SET attributes = ? WHERE id = ?");
  if (st == nullptr)
    return failure("prepare set attributes");
  st->bind(1, std::string_view{attributes});
  st->bind(2, std::string_view{id});
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return failure("set attributes");
  if (c_->changes() == 0)
    return make_error(error_code::not_found, "no such user");
  return scim::unit{};
}

std::optional<custom_attribute_row> sqlite_writer::custom_attribute(const std::string& name) {
  auto st = c_->prepare("SELECT name, created FROM custom_attributes WHERE name = ?");
  if (st == nullptr)
    return std::nullopt;
  st->bind(1, std::string_view{name});
  if (!st->step())
    return std::nullopt;
  return custom_attribute_row{st->text(0), st->text(1)};
}

ok_t sqlite_writer::insert_custom_attribute(const custom_attribute_row& a) {
  auto st = c_->prepare("INSERT INTO custom_attributes(name, created) VALUES(?, ?)");
  if (st == nullptr)
    return failure("prepare insert custom attribute");
  st->bind(1, std::string_view{a.name});
  st->bind(2, std::string_view{a.created});
  st->step();
  if (st->last_code() == SQLITE_DONE)
    return scim::unit{};
  if (sqlite3_extended_errcode(c_->get()) == SQLITE_CONSTRAINT_PRIMARYKEY)
    return make_error(error_code::uniqueness, "a custom attribute of that name exists");
  return failure("insert custom attribute");
}

ok_t sqlite_writer::delete_custom_attribute(const std::string& name) {
  auto existing = custom_attribute(name);
  if (!existing)
    return make_error(error_code::not_found, "no such custom attribute");
  // A mapping of a directory still writes it: refuse (D3).
  auto used = c_->prepare("SELECT d.name FROM directories d, json_each(d.mappings) m WHERE d.state != 'deleted' "
                          "AND lower(json_extract(m.value, '$.destination')) = lower('custom:' || ?) LIMIT 1");
  if (used == nullptr)
    return failure("prepare custom attribute use");
  used->bind(1, std::string_view{existing->name});
  if (used->step())
    return make_error(error_code::conflict, "the custom attribute is mapped by directory \"" + used->text(0)
                                              + "\"; delete that mapping first");
  auto del = c_->prepare("DELETE FROM custom_attributes WHERE name = ?");
  // Names hold no '"' (scim::mapping::destination_problem), so the quoted
  // JSON path is safe.
  auto values = c_->prepare("UPDATE users SET attributes = json_remove(attributes, '$.custom.\"' || ? || '\"') "
                            "WHERE json_extract(attributes, '$.custom.\"' || ? || '\"') IS NOT NULL");
  if (del == nullptr || values == nullptr)
    return failure("prepare delete custom attribute");
  del->bind(1, std::string_view{existing->name});
  values->bind(1, std::string_view{existing->name});
  values->bind(2, std::string_view{existing->name});
  del->step();
  if (del->last_code() != SQLITE_DONE)
    return failure("delete custom attribute");
  values->step();
  if (values->last_code() != SQLITE_DONE)
    return failure("delete custom attribute values");
  return scim::unit{};
}

} // namespace dirsync::persistence
