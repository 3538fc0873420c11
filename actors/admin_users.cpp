// Users in the admin view (U1, U4, U6-U8), billing (U10) and the Trash (U9).

#include "actors/admin_common.hpp"

namespace dirsync::actors::admin {

namespace {

constexpr int trash_days = 7; // U9: trashed_at + 7 days

// The four mapped attributes the admin view shows (D3), from the stored SCIM resource.
struct mapped {
  std::string username, email, first_name, last_name, display_name;
};

nlohmann::json parse_object(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

// The primary email entry, else the first one with a string value; null if none.
nlohmann::json* email_entry(nlohmann::json& resource) {
  auto emails = resource.find("emails");
  if (emails == resource.end() || !emails->is_array())
    return nullptr;
  nlohmann::json* first = nullptr;
  for (auto& e : *emails) {
    if (!e.is_object() || !e.contains("value") || !e["value"].is_string())
      continue;
    if (first == nullptr)
      first = &e;
    auto primary = e.find("primary");
    if (primary != e.end() && primary->is_boolean() && primary->get<bool>())
      return &e;
  }
  return first;
}

mapped read_mapped(nlohmann::json resource) {
  mapped m;
  m.username = str(resource, "userName");
  if (auto* e = email_entry(resource))
    m.email = (*e)["value"].get<std::string>();
  if (auto name = resource.find("name"); name != resource.end()) {
    m.first_name = str(*name, "givenName");
    m.last_name = str(*name, "familyName");
  }
  m.display_name = str(resource, "displayName");
  return m;
}

nlohmann::json opt(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

nlohmann::json user_json(const persistence::admin_user& a) {
  const auto& u = a.user;
  auto m = read_mapped(parse_object(u.resource));
  nlohmann::json j{{"id", u.id},
                   {"username", u.user_name},
                   {"email", m.email},
                   {"first_name", m.first_name},
                   {"last_name", m.last_name},
                   {"display_name", m.display_name},
                   {"status", a.status},
                   {"managed_by", managed_by(u.directory_id, a.directory_name, a.directory_type)},
                   {"trashed_at", opt(u.trashed_at)},
                   {"trash_reason", u.trash_reason.empty() ? nlohmann::json() : nlohmann::json(u.trash_reason)},
                   {"deletion_date", u.trashed_at ? nlohmann::json(add_days(*u.trashed_at, trash_days)) : nlohmann::json()},
                   {"created", u.created},
                   {"last_modified", u.last_modified}};
  return j;
}

// Writes the admin-view attributes into a stored SCIM resource.
void apply_mapped(nlohmann::json& r, const nlohmann::json& body) {
  if (auto v = str(body, "username"); body.contains("username"))
    r["userName"] = v;
  if (body.contains("email")) {
    auto v = str(body, "email");
    if (auto* e = email_entry(r))
      (*e)["value"] = v;
    else
      r["emails"] = nlohmann::json::array({{{"value", v}, {"primary", true}}});
  }
  if (body.contains("first_name") || body.contains("last_name")) {
    if (!r.contains("name") || !r["name"].is_object())
      r["name"] = nlohmann::json::object();
    if (body.contains("first_name"))
      r["name"]["givenName"] = str(body, "first_name");
    if (body.contains("last_name"))
      r["name"]["familyName"] = str(body, "last_name");
  }
  if (body.contains("display_name"))
    r["displayName"] = str(body, "display_name");
}

bool known_status(const std::string& s) {
  return s == "active" || s == "bypass" || s == "disabled";
}

void list_users(const context_ptr& ctx, admin_call& call, promise rp, self_ptr self, bool trash) {
  std::int64_t limit = 0;
  std::int64_t cursor = 0;
  admin_reply bad;
  if (!page_params(call, 100, 1000, limit, cursor, bad))
    return reply(rp, bad);
  persistence::user_query q{query_value(call, "q").value_or(""), trash, cursor, limit + 1};
  run_read(ctx, self, rp, [q, limit, trash](persistence::reader& db) {
    auto rows = db.admin_users(q);
    bool more = static_cast<std::int64_t>(rows.size()) > limit;
    if (more)
      rows.resize(static_cast<std::size_t>(limit));
    auto list = nlohmann::json::array();
    for (const auto& a : rows)
      list.push_back(user_json(a));
    return admin_reply{200, nlohmann::json{{trash ? "trash" : "users", std::move(list)},
                                           {"next_cursor", next_cursor(more, rows.empty() ? 0 : rows.back().seq)}}};
  });
}

void create_user(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                 self_ptr self) {
  admin_reply bad;
  if (!string_fields(call.body, {"username", "email", "first_name", "last_name", "display_name"}, bad))
    return reply(rp, bad);
  if (str(call.body, "username").empty())
    return reply(rp, error(400, "username is required"));
  nlohmann::json resource{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}}, {"active", true}};
  apply_mapped(resource, call.body);
  persistence::admin_user a;
  auto& u = a.user;
  u.id = ctx->ids->new_id();
  u.user_name = str(call.body, "username");
  if (call.body.contains("display_name"))
    u.display_name = str(call.body, "display_name");
  u.created = u.last_modified = ctx->now_text();
  u.resource = resource.dump();
  auto details = call.body;
  run_write(ctx, self, rp, [a, who, details](persistence::writer& db) {
    // U1: the unique index is case-insensitive across the organisation.
    if (auto r = db.insert_user(a.user); !r)
      return r.err().code == scim::error_code::uniqueness ? error(409, "username is already taken")
                                                          : from_error(r.err());
    if (auto r = db.append_action(a.user.created, "admin", who.id, "user.create", "user", a.user.id,
                                  details.dump(), "ok"); !r)
      return from_error(r.err());
    return admin_reply{201, user_json(a)};
  });
}

void patch_user(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                self_ptr self) {
  admin_reply bad;
  if (!string_fields(call.body, {"status", "username", "email", "first_name", "last_name", "display_name"}, bad))
    return reply(rp, bad);
  if (call.body.contains("status") && !known_status(str(call.body, "status")))
    return reply(rp, error(400, "status must be one of active, bypass, disabled"));
  auto now = ctx->now_text();
  run_write(ctx, self, rp, [id = call.path[1], body = call.body, who, now](persistence::writer& db) {
    auto a = db.admin_user_by_id(id);
    if (!a)
      return error(404, "no such user");
    if (a->user.trashed_at)
      return error(409, "the user is in the Trash and read-only");
    auto before = read_mapped(parse_object(a->user.resource));
    const std::pair<const char*, const std::string*> fields[] = {
      {"username", &before.username},     {"email", &before.email},
      {"first_name", &before.first_name}, {"last_name", &before.last_name},
      {"display_name", &before.display_name}};
    nlohmann::json changes = nlohmann::json::object();
    for (const auto& [field, old] : fields) {
      if (!body.contains(field) || str(body, field) == *old)
        continue;
      // U6: mapped attributes of a managed user belong to its directory.
      if (!a->user.directory_id.empty())
        return error(409, std::string{field} + " is managed by directory \"" + a->directory_name + "\"");
      changes[field] = {{"old", *old}, {"new", str(body, field)}};
    }
    auto status = body.contains("status") ? str(body, "status") : a->status;
    if (status != a->status)
      changes["status"] = {{"old", a->status}, {"new", status}};
    auto expected = a->user.version;
    if (changes.size() > (changes.contains("status") ? 1u : 0u)) {
      auto resource = parse_object(a->user.resource);
      apply_mapped(resource, body);
      a->user.resource = resource.dump();
      a->user.user_name = str(resource, "userName");
      if (resource.contains("displayName"))
        a->user.display_name = str(resource, "displayName");
      a->user.last_modified = now;
      a->user.version += 1;
    }
    a->status = status;
    if (changes.empty())
      return admin_reply{200, user_json(*a)};
    if (auto r = db.admin_update_user(a->user, status, expected); !r)
      return r.err().code == scim::error_code::uniqueness ? error(409, "username is already taken")
                                                          : from_error(r.err());
    if (auto r = db.append_action(now, "admin", who.id, "user.update", "user", id, changes.dump(), "ok"); !r)
      return from_error(r.err());
    return admin_reply{200, user_json(*a)};
  });
}

// DELETE /users/{id} (U8: managed users refuse) or /trash/{id} (U9: any trashed user).
void delete_user(const context_ptr& ctx, const persistence::admin_row& who, const std::string& id, bool trash,
                 promise rp, self_ptr self) {
  auto now = ctx->now_text();
  run_write(ctx, self, rp, [id, trash, who, now](persistence::writer& db) {
    auto a = db.admin_user_by_id(id);
    if (!a || (trash && !a->user.trashed_at))
      return error(404, trash ? "no such user in the Trash" : "no such user");
    if (!trash && !a->user.directory_id.empty())
      return error(409, "the user is managed by directory \"" + a->directory_name
                          + "\" and cannot be deleted through the admin API");
    if (auto r = db.purge_user(id); !r)
      return from_error(r.err());
    nlohmann::json details{{"username", a->user.user_name}};
    if (a->user.trashed_at) {
      details["trashed_at"] = *a->user.trashed_at;
      details["trash_reason"] = a->user.trash_reason;
    }
    if (!a->user.directory_id.empty())
      details["directory"] = a->user.directory_id;
    if (auto r = db.append_action(now, "admin", who.id, trash ? "user.purge" : "user.delete", "user", id,
                                  details.dump(), "ok"); !r)
      return from_error(r.err());
    return admin_reply{204, nullptr};
  });
}

} // namespace

void handle_users(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                  self_ptr self) {
  const auto& family = call.path.front();
  const auto& m = call.method;
  auto n = call.path.size();
  if (family == "billing") {
    if (n != 1)
      return reply(rp, error(404, "no such endpoint"));
    if (m != "GET")
      return reply(rp, error(405, "method not allowed"));
    // U10: users in the Trash are not billed.
    return run_read(ctx, self, rp, [](persistence::reader& db) {
      return admin_reply{200, nlohmann::json{{"billable_users", db.billable_users()}}};
    });
  }
  bool trash = family == "trash";
  if (n == 1 && m == "GET")
    return list_users(ctx, call, rp, self, trash);
  if (n == 1 && m == "POST" && !trash)
    return create_user(ctx, who, call, rp, self);
  if (n == 2 && m == "GET") {
    return run_read(ctx, self, rp, [id = call.path[1], trash](persistence::reader& db) {
      auto a = db.admin_user_by_id(id);
      if (!a || (trash && !a->user.trashed_at))
        return error(404, "no such user");
      auto j = user_json(*a);
      auto groups = nlohmann::json::array();
      for (const auto& g : db.groups_of_user(id))
        groups.push_back({{"id", g.id}, {"display_name", g.display}});
      j["groups"] = std::move(groups);
      return admin_reply{200, std::move(j)};
    });
  }
  if (n == 2 && m == "PATCH" && !trash)
    return patch_user(ctx, who, call, rp, self);
  if (n == 2 && m == "DELETE")
    return delete_user(ctx, who, call.path[1], trash, rp, self);
  if (n <= 2)
    return reply(rp, error(405, "method not allowed"));
  reply(rp, error(404, "no such endpoint"));
}

} // namespace dirsync::actors::admin
