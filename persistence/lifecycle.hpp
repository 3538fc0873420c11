#pragma once

// Storage of the time-driven lifecycle (SPEC D8, U9, E1-E7, P1, O3): every
// deadline is a stored, indexed column (users.trashed_at,
// directories.token_expires_at, enrollments.next_at, outbox.next_attempt_at),
// so what falls due while the process is down is found at the next start.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "persistence/records.hpp"
#include "scim/expected.hpp"

namespace dirsync::persistence {

/// One outgoing email (E7). States: pending, sending, sent, dead (gave up
/// after retries or refused), unknown (a crash interrupted an SMTP send; not
/// resent automatically so it is never sent twice).
struct outbox_row {
  std::string id;                      ///< Also the Message-ID and the .eml name.
  std::string created;                 ///< RFC 3339 UTC.
  std::string kind;                    ///< enrollment, reminder, token_warning, ...
  std::string object_id;               ///< User or directory the mail is about.
  std::string to;                      ///< Recipient address.
  std::string subject;                 ///< Subject.
  std::string body;                    ///< Full text body.
  std::string state = "pending";       ///< See above.
  std::int64_t attempts = 0;           ///< Delivery attempts so far.
  std::string next_attempt_at;         ///< When pending: not before.
  std::string last_error;              ///< Last failure (no secrets).
  std::optional<std::string> sent_at;  ///< When delivered.
  std::int64_t seq = 0;                ///< rowid, the admin list cursor.
};

/// A directory's token and how far its expiry warnings went (D8): 0 none,
/// 1 = 15 days, 2 = 7 days, 3 = 1 day, 4 = expired.
struct token_state {
  std::string id;          ///< Directory id.
  std::string name;        ///< Directory name.
  std::string expires_at;  ///< Token expiry.
  std::int64_t warned = 0; ///< Highest stage sent for this token.
};

/// A pending enrollment (E1-E5): one per user.
struct enrollment_row {
  std::string user_id;     ///< The user.
  std::string link_hash;   ///< SHA-256 of the link's secret (E2).
  std::string email;       ///< Address of the original send (E5).
  std::string message_id;  ///< Outbox id of the original send (resend and reminders copy it).
  std::string sent_at;     ///< Start of this 30-day cycle.
  std::string expires_at;  ///< sent_at + 30 days.
  std::int64_t reminders = 0; ///< Reminders sent in this cycle (E3).
  std::string next_at;     ///< Next deadline: a reminder or the expiry.
  std::int64_t seq = 0;    ///< rowid, the list cursor.
};

/// An enrolled authenticator (E6): a TOTP secret.
struct device_row {
  std::string id;              ///< Device id.
  std::string user_id;         ///< Owner.
  std::string kind = "totp";   ///< Only TOTP today.
  std::string secret;          ///< Base32 secret.
  std::string created;         ///< RFC 3339 UTC.
  std::int64_t last_step = 0;  ///< Last accepted time step (replay protection).
};

/// An application key for the auth API (P1).
struct app_key_row {
  std::string id;        ///< Key id.
  std::string name;      ///< Human name.
  std::string key_hash;  ///< SHA-256 of the key.
  std::string created;   ///< RFC 3339 UTC.
};

/// The lifecycle tables. On a reader only the reading functions are used.
class lifecycle_store {
public:
  virtual ~lifecycle_store() = default;

  /// Users trashed at or before `cutoff` (U9), oldest first.
  virtual std::vector<user_row> due_trash(const std::string& cutoff, std::int64_t limit) = 0;
  /// Active directories with a token whose warnings are not all sent (D8).
  virtual std::vector<token_state> token_states() = 0;
  /// Records the stage of warnings sent for a directory's current token.
  virtual scim::expected<scim::unit> set_token_warned(const std::string& id, std::int64_t stage) = 0;
  /// Addresses of every Owner not revoked that has one (D8).
  virtual std::vector<std::string> owner_emails() = 0;

  /// Queues an email.
  virtual scim::expected<scim::unit> insert_outbox(const outbox_row& m) = 0;
  /// One email by id.
  virtual std::optional<outbox_row> outbox(const std::string& id) = 0;
  /// Pending emails due at `now`, oldest first.
  virtual std::vector<outbox_row> due_outbox(const std::string& now, std::int64_t limit) = 0;
  /// Earliest next_attempt_at of a pending email.
  virtual std::optional<std::string> next_outbox_due() = 0;
  /// Stores an email's state, attempts, next attempt, error and sent time.
  virtual scim::expected<scim::unit> update_outbox(const outbox_row& m) = 0;
  /// Emails by state ("" = all), newest first, seq < before (0 = newest).
  virtual std::vector<outbox_row> outbox_page(const std::string& state, std::int64_t before, std::int64_t limit) = 0;
  /// At start: emails left in `sending` by a crash move to `to_state`.
  virtual scim::expected<std::int64_t> recover_outbox(const std::string& to_state, const std::string& now) = 0;

  /// An organisation setting (E4).
  virtual std::optional<std::string> setting(const std::string& key) = 0;
  /// Stores an organisation setting.
  virtual scim::expected<scim::unit> set_setting(const std::string& key, const std::string& value) = 0;

  /// A user's pending enrollment.
  virtual std::optional<enrollment_row> enrollment(const std::string& user_id) = 0;
  /// The pending enrollment of a link.
  virtual std::optional<enrollment_row> enrollment_by_link(const std::string& link_hash) = 0;
  /// Inserts or replaces a user's pending enrollment.
  virtual scim::expected<scim::unit> put_enrollment(const enrollment_row& e) = 0;
  /// Ends a pending enrollment (the link dies at once). Errors: not_found.
  virtual scim::expected<scim::unit> delete_enrollment(const std::string& user_id) = 0;
  /// Enrollments whose next deadline is due at `now`.
  virtual std::vector<enrollment_row> due_enrollments(const std::string& now, std::int64_t limit) = 0;
  /// Pending enrollments in rowid order after `after`.
  virtual std::vector<enrollment_row> enrollments(std::int64_t after, std::int64_t limit) = 0;

  /// A user's devices.
  virtual std::vector<device_row> devices(const std::string& user_id) = 0;
  /// Adds a device.
  virtual scim::expected<scim::unit> insert_device(const device_row& d) = 0;
  /// Moves a device's last accepted step forward, only if `step` is newer
  /// (false when it is not: a replay).
  virtual scim::expected<bool> advance_device_step(const std::string& id, std::int64_t step) = 0;

  /// The id of the user holding `user_name`, in any case (U1).
  virtual std::optional<std::string> user_id_by_name(const std::string& user_name) = 0;
  /// Adds an application key.
  virtual scim::expected<scim::unit> insert_app_key(const app_key_row& k) = 0;
  /// An application key by hash.
  virtual std::optional<app_key_row> app_key_by_hash(const std::string& key_hash) = 0;
};

} // namespace dirsync::persistence
