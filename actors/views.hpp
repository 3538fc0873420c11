#pragma once

#include <string>

#include "actors/protocol.hpp"
#include "persistence/records.hpp"
#include "persistence/store.hpp"
#include "scim/resource.hpp"

namespace dirsync::actors {

/// Builds a user row from a stored-form resource (indexed columns extracted).
/// `stored` is normalize_resource's or validate_stored's output (its text is
/// written by scim::dump_canonical).
persistence::user_row make_user_row(const nlohmann::json& stored, std::string id, std::string directory_id,
                                    std::string created, std::string now, std::int64_t version);

/// Builds a group row from a stored-form resource (the same precondition).
persistence::group_row make_group_row(const nlohmann::json& stored, std::string id, std::string directory_id,
                                      std::string created, std::string now, std::int64_t version);

/// Renders a user (with its groups unless projected away) as a reply.
scim_reply user_reply(persistence::reader& db, const persistence::user_row& u,
                      const scim::projection& p, int status, const std::string& base_url);

/// Renders a user from its resource already parsed (`stored`) with the
/// groups it belongs to, as read by the caller (inside the write that
/// produced the row, so the reply is what committed). Under the default
/// projection the reply is text built from `u.resource` (the same resource,
/// as stored) and `stored` is not used.
scim_reply user_reply(const persistence::user_row& u, const nlohmann::json& stored,
                      const std::vector<persistence::member_row>& groups, const scim::projection& p, int status,
                      const std::string& base_url);

/// Renders a group (with its members unless projected away) as a reply.
scim_reply group_reply(persistence::reader& db, const persistence::group_row& g,
                       const scim::projection& p, int status, const std::string& base_url);

/// GET of one resource of a directory, with If-None-Match (304).
scim_reply get_resource(persistence::reader& db, const std::string& directory_id, const scim_call& call,
                        const std::string& base_url);

/// GET of a list (filter, sort, paging, projection: S2, S3).
scim_reply list_resources(persistence::reader& db, const std::string& directory_id, const scim_call& call,
                          const std::string& base_url, std::int64_t max_page_size);

/// True when the If-Match header admits `version` ("*" or a listed ETag).
bool if_match_admits(const std::string& header, std::int64_t version);

/// The top-level attributes that differ between two stored forms, as
/// {"attr": {"old": …, "new": …}} for the audit trail (L1). Stored forms
/// never hold passwords, so nothing secret is recorded.
nlohmann::json changed_fields(const nlohmann::json& before, const nlohmann::json& after);

/// The location of a resource.
std::string location_of(scim::resource_kind kind, const std::string& base_url, const std::string& id);

} // namespace dirsync::actors
