// SQLite side of the time-driven lifecycle (persistence/lifecycle.hpp).

#include "persistence/sqlite_lifecycle.hpp"

#include "persistence/sqlite_rows.hpp"

namespace dirsync::persistence {

namespace {

using scim::error_code;
using scim::make_error;
using ok_t = scim::expected<scim::unit>;

// Binds `args` to ?1, ?2, ... (strings, integers, optional strings).
void bind_all(statement&, int) {}
template <class T, class... Ts>
void bind_all(statement& st, int i, const T& first, const Ts&... rest) {
  if constexpr (std::is_same_v<T, std::optional<std::string>>) {
    if (first)
      st.bind(i, std::string_view{*first});
    else
      st.bind_null(i);
  } else if constexpr (std::is_integral_v<T>) {
    st.bind(i, static_cast<std::int64_t>(first));
  } else {
    st.bind(i, std::string_view{first});
  }
  bind_all(st, i + 1, rest...);
}

constexpr const char* outbox_columns =
  "id, created, kind, object_id, to_addr, subject, body, state, attempts, next_attempt_at, last_error, sent_at, rowid";

outbox_row read_outbox(const statement& st) {
  outbox_row m;
  m.id = st.text(0);
  m.created = st.text(1);
  m.kind = st.text(2);
  m.object_id = st.text(3);
  m.to = st.text(4);
  m.subject = st.text(5);
  m.body = st.text(6);
  m.state = st.text(7);
  m.attempts = st.integer(8);
  m.next_attempt_at = st.text(9);
  m.last_error = st.text(10);
  m.sent_at = st.opt_text(11);
  m.seq = st.integer(12);
  return m;
}

constexpr const char* enrollment_columns =
  "user_id, link_hash, email, message_id, sent_at, expires_at, reminders, next_at, rowid";

enrollment_row read_enrollment(const statement& st) {
  return enrollment_row{st.text(0), st.text(1), st.text(2), st.text(3), st.text(4),
                        st.text(5), st.integer(6), st.text(7), st.integer(8)};
}

} // namespace

template <class... Ts>
ok_t sqlite_lifecycle::run(const char* what, const std::string& sql, const Ts&... args) {
  auto st = c_.prepare(sql);
  if (st == nullptr)
    return make_error(error_code::internal, std::string{"prepare "} + what + ": " + c_.error_message());
  bind_all(*st, 1, args...);
  st->step();
  if (st->last_code() != SQLITE_DONE)
    return make_error(error_code::internal, std::string{what} + ": " + c_.error_message());
  return scim::unit{};
}

template <class Row, class Read, class... Ts>
std::vector<Row> sqlite_lifecycle::rows(Read read, const std::string& sql, const Ts&... args) {
  std::vector<Row> out;
  auto st = c_.prepare(sql);
  if (st == nullptr)
    return out;
  bind_all(*st, 1, args...);
  while (st->step())
    out.push_back(read(*st));
  return out;
}

std::vector<user_row> sqlite_lifecycle::due_trash(const std::string& cutoff, std::int64_t limit) {
  return rows<user_row>(rows::read_user,
                        std::string{"SELECT "} + rows::user_columns
                          + " FROM users WHERE trashed_at IS NOT NULL AND trashed_at <= ?1 ORDER BY trashed_at LIMIT ?2",
                        cutoff, limit);
}

std::vector<token_state> sqlite_lifecycle::token_states() {
  return rows<token_state>(
    [](const statement& st) { return token_state{st.text(0), st.text(1), st.text(2), st.integer(3)}; },
    "SELECT id, name, token_expires_at, token_warned FROM directories WHERE state = 'active' "
    "AND token_hash IS NOT NULL AND token_expires_at IS NOT NULL AND token_warned < 4");
}

ok_t sqlite_lifecycle::set_token_warned(const std::string& id, std::int64_t stage) {
  return run("set token warned", "UPDATE directories SET token_warned = ?2 WHERE id = ?1", id, stage);
}

std::vector<std::string> sqlite_lifecycle::owner_emails() {
  return rows<std::string>([](const statement& st) { return st.text(0); },
                           "SELECT email FROM admins WHERE role = 'owner' AND revoked_at IS NULL AND email != '' "
                           "ORDER BY rowid");
}

ok_t sqlite_lifecycle::insert_outbox(const outbox_row& m) {
  return run("insert outbox",
             "INSERT INTO outbox(id, created, kind, object_id, to_addr, subject, body, state, attempts, "
             "next_attempt_at, last_error, sent_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
             m.id, m.created, m.kind, m.object_id, m.to, m.subject, m.body, m.state, m.attempts, m.next_attempt_at,
             m.last_error, m.sent_at);
}

std::optional<outbox_row> sqlite_lifecycle::outbox(const std::string& id) {
  auto r = rows<outbox_row>(read_outbox, std::string{"SELECT "} + outbox_columns + " FROM outbox WHERE id = ?1", id);
  return r.empty() ? std::nullopt : std::optional<outbox_row>{r.front()};
}

std::vector<outbox_row> sqlite_lifecycle::due_outbox(const std::string& now, std::int64_t limit) {
  return rows<outbox_row>(read_outbox,
                          std::string{"SELECT "} + outbox_columns
                            + " FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1 "
                              "ORDER BY next_attempt_at LIMIT ?2",
                          now, limit);
}

std::optional<std::string> sqlite_lifecycle::next_outbox_due() {
  auto r = rows<std::string>([](const statement& st) { return st.text(0); },
                             "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'");
  return r.empty() || r.front().empty() ? std::nullopt : std::optional<std::string>{r.front()};
}

ok_t sqlite_lifecycle::update_outbox(const outbox_row& m) {
  return run("update outbox",
             "UPDATE outbox SET state = ?2, attempts = ?3, next_attempt_at = ?4, last_error = ?5, sent_at = ?6 "
             "WHERE id = ?1",
             m.id, m.state, m.attempts, m.next_attempt_at, m.last_error, m.sent_at);
}

std::vector<outbox_row> sqlite_lifecycle::outbox_page(const std::string& state, std::int64_t before,
                                                     std::int64_t limit) {
  return rows<outbox_row>(read_outbox,
                          std::string{"SELECT "} + outbox_columns
                            + " FROM outbox WHERE (?1 = '' OR state = ?1) AND (?2 = 0 OR rowid < ?2) "
                              "ORDER BY rowid DESC LIMIT ?3",
                          state, before, limit);
}

scim::expected<std::int64_t> sqlite_lifecycle::recover_outbox(const std::string& to_state, const std::string& now) {
  if (auto r = run("recover outbox",
                   "UPDATE outbox SET state = ?1, next_attempt_at = ?2, "
                   "last_error = 'interrupted while sending' WHERE state = 'sending'",
                   to_state, now);
      !r)
    return r.err();
  return c_.changes();
}

std::optional<std::string> sqlite_lifecycle::setting(const std::string& key) {
  auto r = rows<std::string>([](const statement& st) { return st.text(0); },
                             "SELECT value FROM settings WHERE key = ?1", key);
  return r.empty() ? std::nullopt : std::optional<std::string>{r.front()};
}

ok_t sqlite_lifecycle::set_setting(const std::string& key, const std::string& value) {
  return run("set setting", "INSERT INTO settings(key, value) VALUES(?1, ?2) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
}

std::optional<enrollment_row> sqlite_lifecycle::enrollment(const std::string& user_id) {
  auto r = rows<enrollment_row>(read_enrollment,
                                std::string{"SELECT "} + enrollment_columns + " FROM enrollments WHERE user_id = ?1",
                                user_id);
  return r.empty() ? std::nullopt : std::optional<enrollment_row>{r.front()};
}

std::optional<enrollment_row> sqlite_lifecycle::enrollment_by_link(const std::string& link_hash) {
  auto r = rows<enrollment_row>(read_enrollment,
                                std::string{"SELECT "} + enrollment_columns + " FROM enrollments WHERE link_hash = ?1",
                                link_hash);
  return r.empty() ? std::nullopt : std::optional<enrollment_row>{r.front()};
}

ok_t sqlite_lifecycle::put_enrollment(const enrollment_row& e) {
  return run("put enrollment",
             "INSERT INTO enrollments(user_id, link_hash, email, message_id, sent_at, expires_at, reminders, next_at) "
             "VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(user_id) DO UPDATE SET link_hash = excluded.link_hash, "
             "email = excluded.email, message_id = excluded.message_id, sent_at = excluded.sent_at, "
             "expires_at = excluded.expires_at, reminders = excluded.reminders, next_at = excluded.next_at",
             e.user_id, e.link_hash, e.email, e.message_id, e.sent_at, e.expires_at, e.reminders, e.next_at);
}

ok_t sqlite_lifecycle::delete_enrollment(const std::string& user_id) {
  if (auto r = run("delete enrollment", "DELETE FROM enrollments WHERE user_id = ?1", user_id); !r)
    return r;
  if (c_.changes() == 0)
    return make_error(error_code::not_found, "no pending enrollment for this user");
  return scim::unit{};
}

std::vector<enrollment_row> sqlite_lifecycle::due_enrollments(const std::string& now, std::int64_t limit) {
  return rows<enrollment_row>(read_enrollment,
                              std::string{"SELECT "} + enrollment_columns
                                + " FROM enrollments WHERE next_at <= ?1 ORDER BY next_at LIMIT ?2",
                              now, limit);
}

std::vector<enrollment_row> sqlite_lifecycle::enrollments(std::int64_t after, std::int64_t limit) {
  return rows<enrollment_row>(read_enrollment,
                              std::string{"SELECT "} + enrollment_columns
                                + " FROM enrollments WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
                              after, limit);
}

std::vector<device_row> sqlite_lifecycle::devices(const std::string& user_id) {
  return rows<device_row>(
    [](const statement& st) {
      return device_row{st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), st.integer(5)};
    },
    "SELECT id, user_id, kind, secret, created, last_step FROM devices WHERE user_id = ?1 ORDER BY rowid", user_id);
}

ok_t sqlite_lifecycle::insert_device(const device_row& d) {
  return run("insert device",
             "INSERT INTO devices(id, user_id, kind, secret, created, last_step) VALUES(?1,?2,?3,?4,?5,?6)", d.id,
             d.user_id, d.kind, d.secret, d.created, d.last_step);
}

scim::expected<bool> sqlite_lifecycle::advance_device_step(const std::string& id, std::int64_t step) {
  if (auto r = run("advance device", "UPDATE devices SET last_step = ?2 WHERE id = ?1 AND last_step < ?2", id, step);
      !r)
    return r.err();
  return c_.changes() > 0;
}

std::optional<std::string> sqlite_lifecycle::user_id_by_name(const std::string& user_name) {
  auto r = rows<std::string>([](const statement& st) { return st.text(0); },
                             "SELECT id FROM users WHERE user_name = ?1 COLLATE NOCASE", user_name);
  return r.empty() ? std::nullopt : std::optional<std::string>{r.front()};
}

ok_t sqlite_lifecycle::insert_app_key(const app_key_row& k) {
  return run("insert app key", "INSERT INTO app_keys(id, name, key_hash, created) VALUES(?1,?2,?3,?4)", k.id, k.name,
             k.key_hash, k.created);
}

std::optional<app_key_row> sqlite_lifecycle::app_key_by_hash(const std::string& key_hash) {
  auto r = rows<app_key_row>(
    [](const statement& st) { return app_key_row{st.text(0), st.text(1), st.text(2), st.text(3)}; },
    "SELECT id, name, key_hash, created FROM app_keys WHERE key_hash = ?1 AND revoked_at IS NULL", key_hash);
  return r.empty() ? std::nullopt : std::optional<app_key_row>{r.front()};
}

} // namespace dirsync::persistence
