// The admin API outside /directories: dispatch, the role rule (A1), the
// audit-trail query (L1) and the OpenAPI document.

#include "actors/admin_api.hpp"

#include <caf/all.hpp>

#include "actors/admin_common.hpp"
#include "actors/admin_openapi_doc.hpp"

namespace dirsync::actors {

namespace {

using admin::error;
using admin::reply;

// GET /actions?since=&until=&directory=&action=&object=&limit=&cursor= (L1).
void list_actions(const context_ptr& ctx, admin_call& call, admin::promise rp, admin::self_ptr self) {
  if (call.path.size() != 1)
    return reply(rp, error(404, "no such endpoint"));
  if (call.method != "GET")
    return reply(rp, error(405, "method not allowed"));
  persistence::action_query q;
  std::int64_t limit = 0, cursor = 0;
  if (!admin::read_page(call, rp, limit, cursor))
    return;
  q.since = admin::query_value(call, "since").value_or("");
  q.until = admin::query_value(call, "until").value_or("");
  q.directory = admin::query_value(call, "directory").value_or("");
  q.action = admin::query_value(call, "action").value_or("");
  q.object = admin::query_value(call, "object").value_or("");
  q.before = cursor;
  q.limit = limit + 1;
  admin::run_read(ctx, self, rp, [q, limit](persistence::reader& db) {
    return admin::page_reply("actions", db.actions(q), limit, [&](const auto& a) {
      auto details = nlohmann::json::parse(a.details, nullptr, false);
      if (details.is_discarded())
        details = nlohmann::json::object();
      return nlohmann::json{{"seq", a.seq},
                            {"at", a.at},
                            {"actor", {{"kind", a.actor_kind}, {"id", a.actor_id}}},
                            {"action", a.action},
                            {"object", {{"kind", a.object_kind}, {"id", a.object_id}}},
                            {"details", std::move(details)},
                            {"result", a.result}};
    });
  });
}

const nlohmann::json& openapi_document() {
  static const nlohmann::json doc = nlohmann::json::parse(admin_openapi_json, nullptr, false);
  return doc;
}

} // namespace

void handle_admin_api(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call,
                      caf::typed_response_promise<admin_reply> rp,
                      registry_actor::stateful_pointer<registry_state> self) {
  // A1: Read-only may only read; every other role may write.
  if (call.method != "GET" && !admin::may_write(who.role)) {
    rp.deliver(error(403, "the role " + who.role + " may only read"));
    return;
  }
  if (call.path.empty())
    return reply(rp, error(404, "no such endpoint"));
  const auto& family = call.path.front();
  if (family == "admins")
    return admin::handle_admins(ctx, who, call, rp, self);
  if (family == "users" || family == "billing" || family == "trash")
    return admin::handle_users(ctx, who, call, rp, self);
  if (family == "groups")
    return admin::handle_groups(ctx, who, call, rp, self);
  if (family == "enrollments" || family == "settings" || family == "outbox" || family == "app-keys")
    return admin::handle_enrollment(ctx, who, call, rp, self);
  if (family == "custom-attributes")
    return admin::handle_custom_attributes(ctx, who, call, rp, self);
  if (family == "actions")
    return list_actions(ctx, call, rp, self);
  if (family == "openapi.json" && call.path.size() == 1) {
    if (call.method != "GET")
      return reply(rp, error(405, "method not allowed"));
    const auto& doc = openapi_document();
    if (doc.is_discarded())
      return reply(rp, error(500, "the OpenAPI document is not valid JSON"));
    return reply(rp, admin_reply{200, doc});
  }
  rp.deliver(error(404, "no such endpoint"));
}

} // namespace dirsync::actors
