// Groups in the admin view (G2), admin-set status and description (G3, G5),
// memberships: refused for managed groups (G3), unmanaged users only in
// unmanaged groups (G4); unmanaged groups may be created and deleted.

#include "actors/admin_common.hpp"

namespace dirsync::actors::admin {

namespace {

std::string type_label(const std::string& type) {
  if (type == "okta")
    return "Okta";
  if (type == "entra")
    return "Entra ID";
  return "SCIM";
}

// G2: `X from Okta Sync "NAME"` for a managed group; its own name otherwise.
std::string admin_name(const persistence::admin_group& a) {
  if (a.group.directory_id.empty())
    return a.group.display_name;
  return a.group.display_name + " from " + type_label(a.directory_type) + " Sync \"" + a.directory_name + "\"";
}

nlohmann::json group_json(const persistence::admin_group& a) {
  return nlohmann::json{{"id", a.group.id},
                        {"name", admin_name(a)},
                        {"display_name", a.group.display_name},
                        {"description", a.description},
                        {"status", a.status},
                        {"members", a.members},
                        {"managed_by", managed_by(a.group.directory_id, a.directory_name, a.directory_type)},
                        {"created", a.group.created},
                        {"last_modified", a.group.last_modified}};
}

std::string managed_message(const char* field, const persistence::admin_group& a) {
  return std::string{field} + " is managed by directory \"" + a.directory_name + "\"";
}

void patch_group(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                 self_ptr self) {
  admin_reply bad;
  if (!string_fields(call.body, {"status", "description", "name"}, bad))
    return reply(rp, bad);
  auto status = str(call.body, "status");
  if (call.body.contains("status") && status != "active" && status != "bypass" && status != "disabled")
    return reply(rp, error(400, "status must be one of active, bypass, disabled"));
  auto now = ctx->now_text();
  run_write(ctx, self, rp, [id = call.path[1], body = call.body, who, now](persistence::writer& db) {
    auto a = db.admin_group_by_id(id);
    if (!a)
      return error(404, "no such group");
    if (body.contains("name") && str(body, "name") != a->group.display_name)
      return a->group.directory_id.empty() ? error(400, "renaming a group is not supported")
                                           : error(409, managed_message("name", *a));
    nlohmann::json changes = nlohmann::json::object();
    if (body.contains("status") && str(body, "status") != a->status) {
      changes["status"] = {{"old", a->status}, {"new", str(body, "status")}};
      a->status = str(body, "status");
    }
    if (body.contains("description") && str(body, "description") != a->description) {
      changes["description"] = {{"old", a->description}, {"new", str(body, "description")}};
      a->description = str(body, "description");
    }
    if (changes.empty())
      return admin_reply{200, group_json(*a)};
    if (auto r = db.admin_update_group(id, a->status, a->description); !r)
      return from_error(r.err());
    if (auto r = db.append_action(now, "admin", who.id, "group.update", "group", id, changes.dump(), "ok"); !r)
      return from_error(r.err());
    return admin_reply{200, group_json(*a)};
  });
}

void create_group(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                  self_ptr self) {
  admin_reply bad;
  if (!string_fields(call.body, {"name", "description"}, bad))
    return reply(rp, bad);
  persistence::admin_group a;
  a.group.id = ctx->ids->new_id();
  a.group.display_name = str(call.body, "name");
  if (a.group.display_name.empty())
    return reply(rp, error(400, "name is required"));
  a.description = str(call.body, "description");
  a.group.created = a.group.last_modified = ctx->now_text();
  a.group.resource = nlohmann::json{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                                    {"displayName", a.group.display_name}}.dump();
  run_write(ctx, self, rp, [a, who](persistence::writer& db) {
    if (auto r = db.insert_unmanaged_group(a.group, a.description); !r)
      return from_error(r.err());
    auto details = nlohmann::json{{"name", a.group.display_name}, {"description", a.description}}.dump();
    if (auto r = db.append_action(a.group.created, "admin", who.id, "group.create", "group", a.group.id, details, "ok"); !r)
      return from_error(r.err());
    return admin_reply{201, group_json(a)};
  });
}

void delete_group(const context_ptr& ctx, const persistence::admin_row& who, const std::string& id, promise rp,
                  self_ptr self) {
  auto now = ctx->now_text();
  run_write(ctx, self, rp, [id, who, now](persistence::writer& db) {
    auto a = db.admin_group_by_id(id);
    if (!a)
      return error(404, "no such group");
    if (!a->group.directory_id.empty())
      return error(409, "the group is managed by directory \"" + a->directory_name + "\"");
    if (auto r = db.delete_unmanaged_group(id); !r)
      return from_error(r.err());
    auto details = nlohmann::json{{"name", a->group.display_name}}.dump();
    if (auto r = db.append_action(now, "admin", who.id, "group.delete", "group", id, details, "ok"); !r)
      return from_error(r.err());
    return admin_reply{204, nullptr};
  });
}

// POST/DELETE /groups/{id}/members/{user_id}.
void change_member(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                   self_ptr self) {
  bool add = call.method == "POST";
  auto now = ctx->now_text();
  run_write(ctx, self, rp, [id = call.path[1], user_id = call.path[3], add, who, now](persistence::writer& db) {
    auto a = db.admin_group_by_id(id);
    if (!a)
      return error(404, "no such group");
    // G3: members of a managed group are changed only by its directory.
    if (!a->group.directory_id.empty())
      return error(409, managed_message("members", *a));
    auto u = db.admin_user_by_id(user_id);
    if (!u)
      return error(404, "no such user");
    // G4: an unmanaged group holds only unmanaged users.
    if (add && !u->user.directory_id.empty())
      return error(409, "the user is managed by directory \"" + u->directory_name
                          + "\"; an unmanaged group holds only unmanaged users");
    if (add && u->user.trashed_at)
      return error(409, "the user is in the Trash and read-only");
    if (auto r = db.set_membership(id, user_id, add); !r)
      return from_error(r.err());
    auto details = nlohmann::json{{"user", user_id}, {"username", u->user.user_name}}.dump();
    if (auto r = db.append_action(now, "admin", who.id, add ? "group.member.add" : "group.member.remove",
                                  "group", id, details, "ok"); !r)
      return from_error(r.err());
    return admin_reply{204, nullptr};
  });
}

} // namespace

void handle_groups(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                   self_ptr self) {
  const auto& m = call.method;
  auto n = call.path.size();
  if (n == 1 && m == "GET") {
    std::int64_t limit = 0, cursor = 0;
    if (!read_page(call, rp, limit, cursor))
      return;
    return run_read(ctx, self, rp, [limit, cursor](persistence::reader& db) {
      return page_reply("groups", db.admin_groups(cursor, limit + 1), limit, [](const auto& a) { return group_json(a); });
    });
  }
  if (n == 1 && m == "POST")
    return create_group(ctx, who, call, rp, self);
  if (n == 2 && m == "GET") {
    return run_read(ctx, self, rp, [id = call.path[1]](persistence::reader& db) {
      auto a = db.admin_group_by_id(id);
      if (!a)
        return error(404, "no such group");
      auto j = group_json(*a);
      auto users = nlohmann::json::array();
      for (const auto& u : db.members_of_group(id))
        users.push_back({{"id", u.id}, {"username", u.display}});
      j["users"] = std::move(users);
      return admin_reply{200, std::move(j)};
    });
  }
  if (n == 2 && m == "PATCH")
    return patch_group(ctx, who, call, rp, self);
  if (n == 2 && m == "DELETE")
    return delete_group(ctx, who, call.path[1], rp, self);
  if (n == 4 && call.path[2] == "members" && (m == "POST" || m == "DELETE"))
    return change_member(ctx, who, call, rp, self);
  if (n <= 2 || (n == 4 && call.path[2] == "members"))
    return reply(rp, error(405, "method not allowed"));
  reply(rp, error(404, "no such endpoint"));
}

} // namespace dirsync::actors::admin
