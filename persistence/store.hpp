#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "persistence/admin_queries.hpp"
#include "persistence/lifecycle.hpp"
#include "persistence/records.hpp"
#include "scim/expected.hpp"
#include "scim/filter.hpp"

namespace dirsync::persistence {

/// A list request after parsing: filter, order and window.
struct list_query {
  scim::filter_ptr filter;    ///< Null = all.
  std::string sort_by;        ///< Empty = stable insertion order.
  bool descending = false;    ///< sortOrder=descending.
  std::int64_t offset = 0;    ///< startIndex - 1.
  std::int64_t limit = 100;   ///< count.
};

class reader;

/// Holds a read transaction open for its lifetime (reader::begin_snapshot).
class snapshot {
public:
  /// Begins the snapshot.
  explicit snapshot(reader& r);
  /// For one job of a run: reader::renew_snapshot(max_jobs) keeps the
  /// snapshot the job before left open when it is still the newest.
  snapshot(reader& r, int max_jobs);
  /// Ends it unless keep() was called; always when the work inside threw.
  ~snapshot();
  snapshot(const snapshot&) = delete;
  snapshot& operator=(const snapshot&) = delete;
  /// Leaves the read transaction open for the next job (renew_snapshot).
  void keep() noexcept { keep_ = true; }

private:
  reader& r_;
  bool keep_ = false;
  int exceptions_ = std::uncaught_exceptions(); ///< In flight when it began.
};

/// Read-only access (one per reader actor). Every lookup is scoped by
/// directory id, so one directory can never see another's objects (S9).
class reader {
public:
  virtual ~reader() = default;
  /// The directory whose active token hashes to `token_hash`.
  virtual std::optional<directory_row> directory_by_token_hash(const std::string& token_hash) = 0;
  /// One directory by id.
  virtual std::optional<directory_row> directory(const std::string& id) = 0;
  /// All directories.
  virtual std::vector<directory_row> directories() = 0;
  /// The custom attributes admins created (D3), by name.
  virtual std::vector<custom_attribute_row> custom_attributes() = 0;
  /// The lifecycle tables, read-only here.
  virtual lifecycle_store& lifecycle() = 0;
  /// A user of `directory_id`.
  virtual std::optional<user_row> user(const std::string& directory_id, const std::string& id) = 0;
  /// A group of `directory_id`.
  virtual std::optional<group_row> group(const std::string& directory_id, const std::string& id) = 0;
  /// The groups a user belongs to (for the readOnly `groups` attribute).
  virtual std::vector<member_row> groups_of_user(const std::string& user_id) = 0;
  /// The members of a group, in a stable order.
  virtual std::vector<member_row> members_of_group(const std::string& group_id) = 0;
  /// Users of a directory matching a query. Errors: invalid_filter, invalid_path.
  virtual scim::expected<page_result<user_row>> find_users(const std::string& directory_id, const list_query& q) = 0;
  /// Groups of a directory matching a query.
  virtual scim::expected<page_result<group_row>> find_groups(const std::string& directory_id, const list_query& q) = 0;
  /// Managed users not in the Trash, and managed groups, of a directory (D11).
  virtual std::pair<std::int64_t, std::int64_t> managed_counts(const std::string& directory_id) = 0;
  /// An admin by key hash (revoked ones excluded).
  virtual std::optional<admin_row> admin_by_key_hash(const std::string& key_hash) = 0;
  /// True when the database answers a trivial query (readiness).
  virtual bool ping() = 0;
  /// Starts one read transaction: every query until end_snapshot() sees
  /// the same committed state (a user and its groups, a page and its
  /// total), and the database's read lock is taken once, not per query.
  virtual void begin_snapshot() {}
  /// Ends the read transaction begin_snapshot() started.
  virtual void end_snapshot() {}
  /// Like begin_snapshot(), for a run of jobs: keeps the snapshot that is
  /// open when it still shows the newest state this process committed
  /// (nothing was committed since it began) and has served fewer than
  /// `max_jobs` jobs; otherwise ends it and begins a new one. The bound caps
  /// how long a write made by another process can stay unseen.
  virtual void renew_snapshot(int max_jobs) { (void)max_jobs; end_snapshot(); begin_snapshot(); }
  /// Every admin, revoked ones too, without key hashes (A1, A2).
  virtual std::vector<admin_entry> admins() = 0;
  /// A page of users of the whole organisation, in rowid order (U1, U9).
  virtual std::vector<admin_user> admin_users(const user_query& q) = 0;
  /// Any user by id, managed or not, trashed or not.
  virtual std::optional<admin_user> admin_user_by_id(const std::string& id) = 0;
  /// Users not in the Trash (U10).
  virtual std::int64_t billable_users() = 0;
  /// A page of groups of the whole organisation, in rowid order (G2).
  virtual std::vector<admin_group> admin_groups(std::int64_t after, std::int64_t limit) = 0;
  /// Any group by id.
  virtual std::optional<admin_group> admin_group_by_id(const std::string& id) = 0;
  /// Admin Actions matching `q`, newest first (L1).
  virtual std::vector<action_row> actions(const action_query& q) = 0;
};

/// Membership change of one group, applied in O(members changed).
struct membership_change {
  std::vector<std::string> add;     ///< User ids to add (no-op if present).
  std::vector<std::string> remove;  ///< User ids to remove (no-op if absent).
  bool replace_all = false;         ///< Drop every member first.
};

inline snapshot::snapshot(reader& r) : r_(r) { r_.begin_snapshot(); }
inline snapshot::snapshot(reader& r, int max_jobs) : r_(r) { r_.renew_snapshot(max_jobs); }
inline snapshot::~snapshot() {
  if (!keep_ || std::uncaught_exceptions() > exceptions_)
    r_.end_snapshot();
}

/// The single write connection, owned by the writer actor. Operations run
/// inside `begin_batch` / `commit_batch`; a guarded one in its own savepoint,
/// so one failed operation does not undo the others of its batch.
class writer {
public:
  virtual ~writer() = default;
  /// Starts a group-commit transaction. Empty string on success.
  virtual std::string begin_batch() = 0;
  /// Commits it durably. Empty string on success.
  virtual std::string commit_batch() = 0;
  /// Abandons it.
  virtual void rollback_batch() = 0;
  /// Opens one operation in a savepoint of its own.
  void begin_op() { begin_op(true); }
  /// Opens one operation: `guarded`, in a savepoint of its own; otherwise
  /// without one, which saves SQLite copying every page the operation
  /// touches into the savepoint's journal. A caller that opens an unguarded
  /// operation undoes its failure itself: when it changed rows (`changes`),
  /// by rolling back the batch.
  virtual void begin_op(bool guarded) = 0;
  /// Closes it: keeps (`keep`) or drops the operation's audit rows and, when
  /// guarded, rolls back its changes.
  virtual void end_op(bool keep) = 0;
  /// Rows inserted, updated or deleted through this connection so far. A
  /// failed statement undoes itself, so an operation that failed with this
  /// count unchanged left nothing behind.
  virtual std::int64_t changes() const = 0;
  /// The batch's transaction is still open. SQLite rolls it back on its own
  /// after some errors (I/O error, disk full, out of memory).
  virtual bool batch_open() const = 0;

  /// Inserts a user. Errors: uniqueness (userName taken, U1).
  virtual scim::expected<scim::unit> insert_user(const user_row& u) = 0;
  /// What a caller holds of a user at some version (update_user).
  struct user_snapshot {
    std::string user_name;                  ///< userName stored at that version.
    std::optional<std::string> external_id; ///< externalId stored at that version.
    std::string attributes;                 ///< Admin-view attributes as the caller last saw them.
    std::string merged;                     ///< Those attributes after the push.
  };
  /// New admin-view attributes (JSON text) computed from the stored ones.
  using attributes_merge = std::function<std::string(const std::string& stored)>;
  /// Replaces a user's columns and resource if its version is
  /// `expected_version`; with `merge`, also its admin-view attributes, set to
  /// merge(stored attributes) in the same statement (D12: what an admin
  /// changed meanwhile is read inside the transaction). Errors: uniqueness;
  /// precondition_failed when the user is gone or at another version (the
  /// caller's copy is stale).
  ///
  /// A caller that holds the user at `expected_version` passes `seen`: then
  /// one statement does the update while the stored attributes are still
  /// `seen->attributes`, writing `seen->merged`, without reading the row
  /// first; `merge` runs only when they are not (an admin edited them).
  /// The outcome is the same as without `seen` (merge(attributes) is
  /// `merged`), so a back end may ignore it.
  virtual scim::expected<scim::unit> update_user(const user_row& u, std::int64_t expected_version,
                                                 const attributes_merge& merge, const user_snapshot* seen) = 0;
  /// update_user without a copy of the user.
  scim::expected<scim::unit> update_user(const user_row& u, std::int64_t expected_version,
                                         const attributes_merge& merge) {
    return update_user(u, expected_version, merge, nullptr);
  }
  /// update_user without touching the admin-view attributes.
  scim::expected<scim::unit> update_user(const user_row& u, std::int64_t expected_version) {
    return update_user(u, expected_version, attributes_merge{}, nullptr);
  }
  /// Deletes a user and its memberships. Errors: not_found.
  virtual scim::expected<scim::unit> delete_user(const std::string& directory_id, const std::string& id) = 0;
  /// Inserts a group with its members (users of the same directory, G4).
  virtual scim::expected<scim::unit> insert_group(const group_row& g, const std::vector<std::string>& members) = 0;
  /// Replaces a group's columns (not members) if at `expected_version`;
  /// precondition_failed when gone or at another version.
  virtual scim::expected<scim::unit> update_group(const group_row& g, std::int64_t expected_version) = 0;
  /// Applies a membership change to a group of `directory_id`.
  virtual scim::expected<scim::unit> change_members(const std::string& directory_id, const std::string& group_id, const membership_change& c) = 0;
  /// Deletes a group and its membership rows, never its users (G7).
  virtual scim::expected<scim::unit> delete_group(const std::string& directory_id, const std::string& id) = 0;
  /// The user holding `user_name` (case-insensitively) anywhere in the
  /// organisation, trashed or not (U1).
  virtual std::optional<user_row> user_by_name(const std::string& user_name) = 0;
  /// A directory by id, read inside the write transaction.
  virtual std::optional<directory_row> directory(const std::string& id) = 0;
  /// The groups a user belongs to, read inside the write transaction (so a
  /// write can answer with the state it committed, without a second read).
  virtual std::vector<member_row> groups_of_user(const std::string& user_id) = 0;
  /// Moves an existing user (by id, any owner) to `u.directory_id` and
  /// replaces its columns, resource and trash state: adoption (U2), takeover
  /// (U3) or restore from the Trash (U9).
  virtual scim::expected<scim::unit> reassign_user(const user_row& u) = 0;
  /// Deletes a directory (D10): its users and groups become unmanaged, each
  /// group renamed `X (formerly from "NAME")`; the token stops working.
  virtual scim::expected<scim::unit> retire_directory(const std::string& id, const std::string& name) = 0;
  /// Inserts a directory.
  virtual scim::expected<scim::unit> insert_directory(const directory_row& d) = 0;
  /// Removes a group from a directory's configuration (G6): the group becomes
  /// unmanaged, renamed `X (formerly from "NAME")`; each member not in
  /// another group of that directory goes to the Trash. Returns how many
  /// users were trashed. Errors: not_found.
  virtual scim::expected<std::int64_t> unmanage_group(const std::string& directory_id, const std::string& group_id,
                                                      const std::string& directory_name, const std::string& now) = 0;
  /// Records the time of a directory's latest push (D11).
  virtual scim::expected<scim::unit> touch_directory(const std::string& id, const std::string& at) = 0;
  /// Replaces a directory's optional attribute mappings (D3).
  virtual scim::expected<scim::unit> set_directory_mappings(const std::string& id,
                                                            const std::vector<scim::mapping::rule>& rules) = 0;
  /// Replaces a directory's row (all but last_push_at and mappings).
  virtual scim::expected<scim::unit> update_directory(const directory_row& d) = 0;
  /// Inserts an admin.
  virtual scim::expected<scim::unit> insert_admin(const admin_row& a) = 0;
  /// Appends an audit record (L1); `details` is JSON text without secrets.
  virtual scim::expected<scim::unit> append_action(const std::string& at, const std::string& actor_kind,
                                                   const std::string& actor_id, const std::string& action,
                                                   const std::string& object_kind, const std::string& object_id,
                                                   const std::string& details, const std::string& result) = 0;
  /// An admin by id, inside the write transaction (A1).
  virtual std::optional<admin_entry> admin_by_id(const std::string& id) = 0;
  /// Owners not revoked (an Owner cannot revoke the last one).
  virtual std::int64_t active_owners() = 0;
  /// Revokes an admin's key at `at`. Errors: not_found (unknown or revoked).
  virtual scim::expected<scim::unit> revoke_admin(const std::string& id, const std::string& at) = 0;
  /// Any user by id, inside the write transaction.
  virtual std::optional<admin_user> admin_user_by_id(const std::string& id) = 0;
  /// Admin edit of a user: userName, displayName, resource, last_modified,
  /// version and status, if at `expected_version`. Errors: uniqueness,
  /// precondition_failed.
  virtual scim::expected<scim::unit> admin_update_user(const user_row& u, const std::string& status,
                                                       std::int64_t expected_version) = 0;
  /// Deletes any user by id with its memberships. Errors: not_found.
  virtual scim::expected<scim::unit> purge_user(const std::string& id) = 0;
  /// Any group by id, inside the write transaction.
  virtual std::optional<admin_group> admin_group_by_id(const std::string& id) = 0;
  /// Sets a group's admin fields: status and description (G3, G5).
  virtual scim::expected<scim::unit> admin_update_group(const std::string& id, const std::string& status,
                                                        const std::string& description) = 0;
  /// Inserts an unmanaged group (directory_id NULL).
  virtual scim::expected<scim::unit> insert_unmanaged_group(const group_row& g, const std::string& description) = 0;
  /// Deletes an unmanaged group (never its users). Errors: not_found.
  virtual scim::expected<scim::unit> delete_unmanaged_group(const std::string& id) = 0;
  /// Adds (`add`) or removes a membership row; idempotent.
  virtual scim::expected<scim::unit> set_membership(const std::string& group_id, const std::string& user_id,
                                                    bool add) = 0;
  /// The lifecycle tables (timers, outbox, enrollment, devices, app keys).
  virtual lifecycle_store& lifecycle() = 0;
  /// Replaces a user's admin-view attributes (D12: a push writes its mapped
  /// destinations; U6: admins the others). Errors: not_found.
  virtual scim::expected<scim::unit> set_user_attributes(const std::string& id, const std::string& attributes) = 0;
  /// The custom attribute of that name (case-insensitively), as first typed.
  virtual std::optional<custom_attribute_row> custom_attribute(const std::string& name) = 0;
  /// Creates a custom attribute. Errors: uniqueness.
  virtual scim::expected<scim::unit> insert_custom_attribute(const custom_attribute_row& a) = 0;
  /// Deletes a custom attribute and every user's value of it. Errors:
  /// not_found; conflict while a directory maps to it.
  virtual scim::expected<scim::unit> delete_custom_attribute(const std::string& name) = 0;
};

/// A storage back end: SQLite today; a PostgreSQL one implements the same.
class backend {
public:
  virtual ~backend() = default;
  /// Applies pending migrations. Empty string on success.
  virtual std::string migrate() = 0;
  /// Opens the single writer.
  virtual std::unique_ptr<writer> open_writer(std::string& error) = 0;
  /// Opens a reader.
  virtual std::unique_ptr<reader> open_reader(std::string& error) = 0;
};

/// Options of the SQLite back end.
struct sqlite_options {
  std::string path;                 ///< Database file (":memory:" is refused: readers need a file).
  std::string synchronous = "full"; ///< full, normal or off.
  /// Writable connections write the WAL through wal_vfs_name(): one write
  /// per commit (up to 124 KiB) instead of two per page.
  bool coalesce_wal_writes = true;
  int busy_timeout_ms = 5000;       ///< Wait for locks this long.
  int read_cache_kib = 16384;       ///< Page cache of each read connection.
  /// Bytes of the database file each read connection maps (PRAGMA
  /// mmap_size); 0 reads every page with pread.
  std::int64_t read_mmap_bytes = std::int64_t{256} << 20;
};

/// Creates the SQLite back end (WAL, foreign keys on, versioned migrations).
std::unique_ptr<backend> make_sqlite_backend(const sqlite_options& opts);

} // namespace dirsync::persistence
