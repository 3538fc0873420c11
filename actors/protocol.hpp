#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <nlohmann/json.hpp>

#include "persistence/store.hpp"
#include "scim/error.hpp"
#include "scim/mapping.hpp"
#include "scim/schema.hpp"

namespace dirsync::actors {

/// What a SCIM request asks for.
enum class scim_method { get, list, create, replace, patch, remove };

/// One SCIM request, parsed by the HTTP edge (S1–S5). The body is already
/// valid JSON (the edge answers 400 otherwise).
struct scim_call {
  scim_method method = scim_method::get;            ///< Operation.
  scim::resource_kind kind = scim::resource_kind::user; ///< Users or Groups.
  std::string token;                                ///< Bearer token as presented.
  std::string id;                                   ///< Resource id for item operations.
  nlohmann::json body;                              ///< Request body (POST/PUT/PATCH/.search).
  std::string filter;                               ///< `filter` (list).
  std::optional<std::int64_t> start_index;          ///< `startIndex` (list).
  std::optional<std::int64_t> count;                ///< `count` (list).
  std::string sort_by;                              ///< `sortBy` (list).
  std::string sort_order;                           ///< `sortOrder` (list).
  std::string attributes;                           ///< `attributes`.
  std::string excluded_attributes;                  ///< `excludedAttributes`.
  std::string if_match;                             ///< If-Match header.
  std::string if_none_match;                        ///< If-None-Match header.
  /// The directory's optional attribute mappings, attached by the directory
  /// actor to the writes it routes (D12: applied at each push).
  std::shared_ptr<const std::vector<scim::mapping::rule>> mapping;
  /// The directory sends enrollment emails (D4, E1); attached with `mapping`.
  bool enroll = false;
};

/// The answer to a scim_call: a resource/list, or an error rendered at the edge.
struct scim_reply {
  int status = 200;                 ///< HTTP status for success replies.
  nlohmann::json body;              ///< Resource or ListResponse (null for 204/304).
  std::string text;                 ///< The body already as JSON text; when set, `body` is unused.
  std::string etag;                 ///< ETag header, if any.
  std::string location;             ///< Location header (201).
  std::optional<scim::error> error; ///< Set for failures.

  /// A failure reply.
  static scim_reply failure(scim::error e) {
    scim_reply r;
    r.status = scim::http_status(e.code);
    r.error = std::move(e);
    return r;
  }
  /// A failure reply from a code and detail.
  static scim_reply failure(scim::error_code c, std::string detail) {
    return failure(scim::make_error(c, std::move(detail)));
  }
};

/// Work for the single writer: runs inside a group-commit transaction, in its
/// own savepoint unless replayable. Must not block on anything but the
/// database.
struct write_job {
  std::function<scim::expected<scim::unit>(persistence::writer&)> run; ///< The change.
  /// The writer may run it without a savepoint, and undo its failure by
  /// rolling back the batch and running every job of it again. So `run`
  /// gives the same result on the same data, sets (never adds to) what it
  /// reports through its captures, leaves its captures as they were, and
  /// changes the database only with INSERT, UPDATE and DELETE.
  bool replayable = false;
};

/// The writer's answer, sent only after the batch holding the job committed
/// (S8), or with the job's or the commit's error.
struct write_ack {
  std::optional<scim::error> error; ///< Empty on success.
};

/// Work for a reader: a read that produces a reply.
struct read_job {
  std::function<scim_reply(persistence::reader&)> run; ///< The read.
};

/// An admin API request (`/admin/v1/...`), routed by the edge.
struct admin_call {
  std::string method;              ///< HTTP method.
  std::vector<std::string> path;   ///< Segments after /admin/v1.
  std::string key;                 ///< Bearer admin key as presented.
  nlohmann::json body;             ///< JSON body (null when none).
  std::vector<std::pair<std::string, std::string>> query; ///< Decoded query parameters, in order.
};

/// The answer to an admin_call.
struct admin_reply {
  int status = 200;                ///< HTTP status.
  nlohmann::json body;             ///< JSON body.
};

/// A call of the end-user side: the enrollment page (E6) and the auth API
/// (P1). Not authenticated by an admin key: by the link or an app key.
struct portal_call {
  std::string kind;     ///< enroll_page, enroll_confirm, preauth or auth.
  std::string secret;   ///< The enrollment link's secret, or the app key.
  nlohmann::json body;  ///< Form fields or JSON body.
};

/// Callback through which a reply leaves the actor world (to a session).
using scim_done = std::function<void(scim_reply)>;
/// Callback for admin replies.
using admin_done = std::function<void(admin_reply)>;

using stop_atom = caf::atom_constant<caf::atom("stop")>;       ///< Stop an entity actor.
using idle_atom = caf::atom_constant<caf::atom("idle")>;       ///< Idle timer fired.
using passivate_atom = caf::atom_constant<caf::atom("passivate")>; ///< Entity asks to stop.
using evict_atom = caf::atom_constant<caf::atom("evict")>;     ///< Directory asks an entity to stop.
using flush_atom = caf::atom_constant<caf::atom("flush")>;     ///< Commit the open batch.
using ready_atom = caf::atom_constant<caf::atom("ready")>;     ///< Readiness probe.
using reload_atom = caf::atom_constant<caf::atom("reload")>;   ///< Drop a stale cache.
using tick_atom = caf::atom_constant<caf::atom("tick")>;       ///< Run what is due now, then answer.
using poll_atom = caf::atom_constant<caf::atom("poll")>;       ///< Periodic run of what is due.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;     ///< Expire calls past their deadline.

/// The writer: one per process, owns the write connection.
using writer_actor = caf::typed_actor<caf::replies_to<write_job>::with<write_ack>,
                                      caf::reacts_to<flush_atom, std::uint64_t>>;

/// A reader: owns one read-only connection.
using reader_actor = caf::typed_actor<caf::replies_to<read_job>::with<scim_reply>>;

/// A user or group actor: serializes every change to one resource.
using entity_actor = caf::typed_actor<caf::replies_to<scim_call>::with<scim_reply>,
                                      caf::reacts_to<idle_atom>,
                                      caf::reacts_to<evict_atom>,
                                      caf::reacts_to<reload_atom>,
                                      caf::reacts_to<stop_atom>>;

/// A directory actor: vets every push of its directory (D6, D9) and routes it.
using directory_actor = caf::typed_actor<caf::replies_to<scim_call>::with<scim_reply>,
                                         caf::reacts_to<passivate_atom, std::string, std::uint64_t>,
                                         caf::reacts_to<persistence::directory_row>,
                                         caf::reacts_to<reload_atom, std::string>,
                                         caf::reacts_to<stop_atom>>;

/// The registry: authenticates tokens and keys and routes to directories.
using registry_actor = caf::typed_actor<caf::replies_to<scim_call>::with<scim_reply>,
                                        caf::replies_to<admin_call>::with<admin_reply>,
                                        caf::replies_to<ready_atom>::with<bool>,
                                        caf::replies_to<portal_call>::with<admin_reply>,
                                        caf::reacts_to<reload_atom, std::string, std::string>>;

/// The timer actor: runs the stored deadlines that are due (O3).
using timer_actor = caf::typed_actor<caf::replies_to<tick_atom>::with<std::int64_t>, caf::reacts_to<poll_atom>>;

/// The mailer: delivers the outbox (E7).
using mailer_actor = caf::typed_actor<caf::replies_to<tick_atom>::with<std::int64_t>, caf::reacts_to<poll_atom>>;

} // namespace dirsync::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::scim_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::scim_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::write_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::write_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::read_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::admin_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::admin_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::portal_call)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::scim_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::actors::admin_done)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dirsync::persistence::directory_row)
