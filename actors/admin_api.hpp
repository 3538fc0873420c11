#pragma once

#include "actors/context.hpp"
#include "actors/registry.hpp"
#include "persistence/records.hpp"

namespace dirsync::actors {

/// Handles the admin API outside /directories: admins, users, groups, the
/// Trash, the audit trail, the OpenAPI document. `who` is authenticated;
/// roles are enforced here (A1). Answers exactly once through `rp`.
void handle_admin_api(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call,
                      caf::typed_response_promise<admin_reply> rp,
                      registry_actor::stateful_pointer<registry_state> self);

/// Handles the end-user side: the enrollment page (E6) and the auth API
/// (P1). Answers exactly once through `rp`; HTML pages come as {"html"}.
void handle_portal(const context_ptr& ctx, portal_call& call, caf::typed_response_promise<admin_reply> rp,
                   registry_actor::stateful_pointer<registry_state> self);

} // namespace dirsync::actors
