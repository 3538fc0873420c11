#pragma once

// Shared helpers of the admin API handlers (actors/admin_*.cpp): replies,
// the role rule (A1), query parameters, and running a read or a write job
// whose answer is an admin_reply. Nothing here throws.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/context.hpp"
#include "actors/registry.hpp"
#include "persistence/admin_queries.hpp"

namespace dirsync::actors::admin {

/// The registry, from which admin jobs are requested.
using self_ptr = registry_actor::stateful_pointer<registry_state>;
/// The promise every admin call is answered through.
using promise = caf::typed_response_promise<admin_reply>;

/// Delivers `r` through `rp` (so handlers can `return reply(rp, ...)`).
inline void reply(promise rp, admin_reply r) { rp.deliver(std::move(r)); }
/// A JSON error reply `{"error": message, "status": status}`.
admin_reply error(int status, std::string message);
/// The reply for a storage error (internal details are not sent).
admin_reply from_error(const scim::error& e);
/// True when `role` may change things (A1: all but read_only).
bool may_write(const std::string& role);
/// First query value for `key`.
std::optional<std::string> query_value(const admin_call& call, const std::string& key);
/// Reads `limit` (1..max, default `fallback`) and `cursor` (> 0 integer, 0
/// when absent); false with `bad` set when one is invalid.
bool page_params(const admin_call& call, std::int64_t fallback, std::int64_t max, std::int64_t& limit,
                 std::int64_t& cursor, admin_reply& bad);
/// page_params with the admin lists' defaults (100, at most 1000); answers
/// 400 through `rp` and returns false when a parameter is invalid.
bool read_page(const admin_call& call, promise rp, std::int64_t& limit, std::int64_t& cursor);
/// The cursor value for the next page, or null when `more` is false.
nlohmann::json next_cursor(bool more, std::int64_t last);
/// One page `{name: [render(row)...], "next_cursor"}` from `rows` fetched with
/// `limit + 1` (the extra row only says that there is more); rows have `seq`.
template <class Row, class Render>
admin_reply page_reply(const char* name, std::vector<Row> rows, std::int64_t limit, Render render) {
  bool more = static_cast<std::int64_t>(rows.size()) > limit;
  if (more)
    rows.resize(static_cast<std::size_t>(limit));
  auto list = nlohmann::json::array();
  for (const auto& r : rows)
    list.push_back(render(r));
  return admin_reply{200, nlohmann::json{{name, std::move(list)},
                                         {"next_cursor", next_cursor(more, rows.empty() ? 0 : rows.back().seq)}}};
}
/// RFC 3339 `at` plus `days`; `at` unchanged when it cannot be parsed.
std::string add_days(const std::string& at, int days);
/// G5, U7, U9: the status that decides authentication (active, bypass or
/// disabled) and why (active, user_bypass, group_bypass, user_disabled,
/// group_disabled, in_trash).
std::pair<std::string, std::string> effective_status(const persistence::admin_user& a);
/// A string member of `j` or "".
std::string str(const nlohmann::json& j, const char* key);
/// Checks that `body` is an object whose members are all in `allowed` and are
/// strings; false with `bad` set otherwise.
bool string_fields(const nlohmann::json& body, std::initializer_list<const char*> allowed, admin_reply& bad);
/// `{"id", "name", "type"}` of a managed object's directory, or null.
nlohmann::json managed_by(const std::string& id, const std::string& name, const std::string& type);

/// Runs `fn` on a reader and delivers its reply.
void run_read(const context_ptr& ctx, self_ptr self, promise rp,
              std::function<admin_reply(persistence::reader&)> fn);
/// Runs `fn` in the writer's group commit and delivers its reply once
/// committed. A reply of status >= 400 rolls the job's changes back.
void run_write(const context_ptr& ctx, self_ptr self, promise rp,
               std::function<admin_reply(persistence::writer&)> fn);

/// Admins (A1, A2): Owner-only list, create (key shown once), revoke.
void handle_admins(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                   self_ptr self);
/// Users, billing and the Trash (U1, U4, U6-U10).
void handle_users(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                  self_ptr self);
/// The organisation's custom attributes (D3): list, create, delete.
void handle_custom_attributes(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call,
                              promise rp, self_ptr self);
/// Pending enrollments (E5), enrollment email settings (E4), the outbox
/// (E7) and application keys (P1).
void handle_enrollment(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                       self_ptr self);
/// Groups and memberships (G2-G5).
void handle_groups(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                   self_ptr self);

} // namespace dirsync::actors::admin
