#pragma once

#include "persistence/lifecycle.hpp"
#include "persistence/sqlite.hpp"

namespace dirsync::persistence {

/// lifecycle_store on one SQLite connection (owned by a reader or the writer).
class sqlite_lifecycle final : public lifecycle_store {
public:
  /// Uses `c`, which must outlive this object.
  explicit sqlite_lifecycle(connection& c) : c_(c) {}

  std::vector<user_row> due_trash(const std::string& cutoff, std::int64_t limit) override;
  std::vector<token_state> token_states() override;
  scim::expected<scim::unit> set_token_warned(const std::string& id, std::int64_t stage) override;
  std::vector<std::string> owner_emails() override;
  scim::expected<scim::unit> insert_outbox(const outbox_row& m) override;
  std::optional<outbox_row> outbox(const std::string& id) override;
  std::vector<outbox_row> due_outbox(const std::string& now, std::int64_t limit) override;
  std::optional<std::string> next_outbox_due() override;
  scim::expected<scim::unit> update_outbox(const outbox_row& m) override;
  std::vector<outbox_row> outbox_page(const std::string& state, std::int64_t before, std::int64_t limit) override;
  scim::expected<std::int64_t> recover_outbox(const std::string& to_state, const std::string& now) override;
  std::optional<std::string> setting(const std::string& key) override;
  scim::expected<scim::unit> set_setting(const std::string& key, const std::string& value) override;
  std::optional<enrollment_row> enrollment(const std::string& user_id) override;
  std::optional<enrollment_row> enrollment_by_link(const std::string& link_hash) override;
  scim::expected<scim::unit> put_enrollment(const enrollment_row& e) override;
  scim::expected<scim::unit> delete_enrollment(const std::string& user_id) override;
  std::vector<enrollment_row> due_enrollments(const std::string& now, std::int64_t limit) override;
  std::vector<enrollment_row> enrollments(std::int64_t after, std::int64_t limit) override;
  std::vector<device_row> devices(const std::string& user_id) override;
  scim::expected<scim::unit> insert_device(const device_row& d) override;
  scim::expected<bool> advance_device_step(const std::string& id, std::int64_t step) override;
  std::optional<std::string> user_id_by_name(const std::string& user_name) override;
  scim::expected<scim::unit> insert_app_key(const app_key_row& k) override;
  std::optional<app_key_row> app_key_by_hash(const std::string& key_hash) override;

private:
  template <class... Ts>
  scim::expected<scim::unit> run(const char* what, const std::string& sql, const Ts&... args);
  template <class Row, class Read, class... Ts>
  std::vector<Row> rows(Read read, const std::string& sql, const Ts&... args);
  connection& c_;
};

} // namespace dirsync::persistence
