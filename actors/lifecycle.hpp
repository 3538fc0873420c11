#pragma once

// The time-driven rules (SPEC D8, U9, E1-E5), run inside writer jobs so each
// step commits atomically with its audit record and the mail it queues: a
// step that committed is never repeated, one that did not is redone.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "actors/services.hpp"
#include "persistence/store.hpp"

namespace dirsync::actors::lifecycle {

/// U9: how long a user stays in the Trash.
inline constexpr std::chrono::hours trash_period{24 * 7};
/// E2: how long an enrollment link is valid.
inline constexpr std::chrono::hours link_lifetime{24 * 30};
/// E3: first reminder after the send, second after the first reminder.
inline constexpr std::chrono::hours first_reminder{24 * 2};
inline constexpr std::chrono::hours second_reminder{24 * 8};
/// E4: the placeholder the enrollment body must contain.
inline constexpr const char* link_placeholder = "<enrollment-link>";

/// What the rules need besides the database.
struct environment {
  std::string now;          ///< Current time, RFC 3339.
  clock::time_point now_tp; ///< The same, as a time point.
  std::string public_url;   ///< Root URL of the service (enrollment links).
  id_source* ids = nullptr; ///< Ids and link secrets.
};

/// E4: the non-editable header of every email.
std::string mail_header();
/// E4: the enrollment subject and body (organisation settings or defaults).
std::pair<std::string, std::string> enrollment_template(persistence::lifecycle_store& db);

/// Queues one email (E7); returns its outbox id.
scim::expected<std::string> queue_mail(persistence::writer& db, const environment& env, const std::string& kind,
                                       const std::string& object_id, const std::string& to,
                                       const std::string& subject, const std::string& text);

/// E1: starts an enrollment (link, email, reminders) when the user is
/// active, not in the Trash, has a valid email, no device and no pending
/// enrollment. True when one was started.
scim::expected<bool> maybe_enroll(persistence::writer& db, const environment& env, const std::string& user_id,
                                  const std::string& actor_kind, const std::string& actor_id);

/// U9: deletes users trashed for 7 days (at most `limit`); returns
/// (directory id, user id) of each, for the actors caching them.
scim::expected<std::vector<std::pair<std::string, std::string>>> purge_trash(persistence::writer& db,
                                                                            const environment& env,
                                                                            std::int64_t limit);

/// D6, D8: "Action required" emails to every Owner at 15, 7 and 1 days
/// before a token expires and at expiry, each once per token. Returns how
/// many emails were queued.
scim::expected<std::int64_t> warn_tokens(persistence::writer& db, const environment& env);

/// E3: reminders, new links after 30 days, and the end of enrollments whose
/// user no longer qualifies (at most `limit`). Returns how many were handled.
scim::expected<std::int64_t> run_enrollments(persistence::writer& db, const environment& env, std::int64_t limit);

/// E5: queues the original enrollment email again (same link, expiry, address).
scim::expected<scim::unit> resend_enrollment(persistence::writer& db, const environment& env,
                                             const persistence::enrollment_row& e);

} // namespace dirsync::actors::lifecycle
