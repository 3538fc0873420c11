#pragma once

#include <array>

#include <memory>
#include <string>

#include "persistence/sqlite.hpp"
#include "persistence/sqlite_lifecycle.hpp"
#include "persistence/store.hpp"

namespace dirsync::persistence {

/// How users are laid out in SQLite, for the filter translation.
const scim::sql_layout& user_layout();
/// How groups are laid out in SQLite, for the filter translation.
const scim::sql_layout& group_layout();

/// The groups `user_id` belongs to, in group creation order.
std::vector<member_row> query_groups_of_user(connection& c, const std::string& user_id);

/// Reader over a read-only SQLite connection.
class sqlite_reader final : public reader {
public:
  /// Takes an open read-only connection.
  explicit sqlite_reader(std::unique_ptr<connection> c);
  std::optional<directory_row> directory_by_token_hash(const std::string& token_hash) override;
  std::optional<directory_row> directory(const std::string& id) override;
  std::vector<directory_row> directories() override;
  std::vector<custom_attribute_row> custom_attributes() override;
  lifecycle_store& lifecycle() override { return lifecycle_; }
  std::optional<user_row> user(const std::string& directory_id, const std::string& id) override;
  std::optional<group_row> group(const std::string& directory_id, const std::string& id) override;
  std::vector<member_row> groups_of_user(const std::string& user_id) override;
  std::vector<member_row> members_of_group(const std::string& group_id) override;
  scim::expected<page_result<user_row>> find_users(const std::string& directory_id, const list_query& q) override;
  scim::expected<page_result<group_row>> find_groups(const std::string& directory_id, const list_query& q) override;
  std::optional<admin_row> admin_by_key_hash(const std::string& key_hash) override;
  std::pair<std::int64_t, std::int64_t> managed_counts(const std::string& directory_id) override;
  bool ping() override;
  void begin_snapshot() override;
  void end_snapshot() override;
  void renew_snapshot(int max_jobs) override;
  std::vector<admin_entry> admins() override;
  std::vector<admin_user> admin_users(const user_query& q) override;
  std::optional<admin_user> admin_user_by_id(const std::string& id) override;
  std::int64_t billable_users() override;
  std::vector<admin_group> admin_groups(std::int64_t after, std::int64_t limit) override;
  std::optional<admin_group> admin_group_by_id(const std::string& id) override;
  std::vector<action_row> actions(const action_query& q) override;

private:
  template <class Row, class ReadFn>
  scim::expected<page_result<Row>> find(const char* table, const char* columns, const scim::sql_layout& layout,
                                        scim::resource_kind kind, const std::string& directory_id,
                                        const list_query& q, ReadFn read_row);
  std::unique_ptr<connection> c_;
  sqlite_lifecycle lifecycle_{*c_};
  std::uint64_t snapshot_commits_ = 0; ///< commit_count() when the snapshot began.
  int snapshot_jobs_ = 0;              ///< Jobs the open snapshot has served.
};

/// Writer over the single read-write SQLite connection.
class sqlite_writer final : public writer {
public:
  /// Takes the open read-write connection.
  explicit sqlite_writer(std::unique_ptr<connection> c);
  std::string begin_batch() override;
  std::string commit_batch() override;
  void rollback_batch() override;
  using writer::begin_op;
  void begin_op(bool guarded) override;
  void end_op(bool keep) override;
  std::int64_t changes() const override;
  bool batch_open() const override;
  scim::expected<scim::unit> insert_user(const user_row& u) override;
  using writer::update_user;
  scim::expected<scim::unit> update_user(const user_row& u, std::int64_t expected_version,
                                         const attributes_merge& merge, const user_snapshot* seen) override;
  scim::expected<scim::unit> delete_user(const std::string& directory_id, const std::string& id) override;
  scim::expected<scim::unit> insert_group(const group_row& g, const std::vector<std::string>& members) override;
  scim::expected<scim::unit> update_group(const group_row& g, std::int64_t expected_version) override;
  scim::expected<scim::unit> change_members(const std::string& directory_id, const std::string& group_id,
                                            const membership_change& c) override;
  scim::expected<scim::unit> delete_group(const std::string& directory_id, const std::string& id) override;
  std::optional<user_row> user_by_name(const std::string& user_name) override;
  std::optional<directory_row> directory(const std::string& id) override;
  std::vector<member_row> groups_of_user(const std::string& user_id) override;
  scim::expected<scim::unit> reassign_user(const user_row& u) override;
  scim::expected<scim::unit> retire_directory(const std::string& id, const std::string& name) override;
  scim::expected<scim::unit> insert_directory(const directory_row& d) override;
  scim::expected<scim::unit> update_directory(const directory_row& d) override;
  scim::expected<scim::unit> touch_directory(const std::string& id, const std::string& at) override;
  scim::expected<std::int64_t> unmanage_group(const std::string& directory_id, const std::string& group_id,
                                              const std::string& directory_name, const std::string& now) override;
  scim::expected<scim::unit> insert_admin(const admin_row& a) override;
  scim::expected<scim::unit> append_action(const std::string& at, const std::string& actor_kind,
                                           const std::string& actor_id, const std::string& action,
                                           const std::string& object_kind, const std::string& object_id,
                                           const std::string& details, const std::string& result) override;
  std::optional<admin_entry> admin_by_id(const std::string& id) override;
  std::int64_t active_owners() override;
  scim::expected<scim::unit> revoke_admin(const std::string& id, const std::string& at) override;
  std::optional<admin_user> admin_user_by_id(const std::string& id) override;
  scim::expected<scim::unit> admin_update_user(const user_row& u, const std::string& status,
                                               std::int64_t expected_version) override;
  scim::expected<scim::unit> purge_user(const std::string& id) override;
  std::optional<admin_group> admin_group_by_id(const std::string& id) override;
  scim::expected<scim::unit> admin_update_group(const std::string& id, const std::string& status,
                                                const std::string& description) override;
  scim::expected<scim::unit> insert_unmanaged_group(const group_row& g, const std::string& description) override;
  scim::expected<scim::unit> delete_unmanaged_group(const std::string& id) override;
  scim::expected<scim::unit> set_membership(const std::string& group_id, const std::string& user_id,
                                            bool add) override;
  lifecycle_store& lifecycle() override { return lifecycle_; }
  scim::expected<scim::unit> set_directory_mappings(const std::string& id,
                                                    const std::vector<scim::mapping::rule>& rules) override;
  scim::expected<scim::unit> set_user_attributes(const std::string& id, const std::string& attributes) override;
  std::optional<custom_attribute_row> custom_attribute(const std::string& name) override;
  scim::expected<scim::unit> insert_custom_attribute(const custom_attribute_row& a) override;
  scim::expected<scim::unit> delete_custom_attribute(const std::string& name) override;

private:
  scim::expected<scim::unit> add_member(const std::string& directory_id, const std::string& group_id,
                                        const std::string& user_id);
  scim::expected<scim::unit> failure(const char* what);
  std::unique_ptr<connection> c_;
  sqlite_lifecycle lifecycle_{*c_};
  /// Inserts audit rows with multi-row INSERTs; false on a failed statement.
  bool insert_actions(const std::vector<std::array<std::string, 8>>& rows);
  std::unique_ptr<transaction> tx_;
  std::unique_ptr<savepoint> op_; ///< The guarded operation's savepoint.
  bool op_open_ = false;           ///< An operation is open (guarded or not).
  /// Audit rows of the open batch's kept operations, and of the running
  /// operation: inserted just before COMMIT (see append_action).
  std::vector<std::array<std::string, 8>> batch_actions_;
  std::vector<std::array<std::string, 8>> op_actions_;
};

} // namespace dirsync::persistence
