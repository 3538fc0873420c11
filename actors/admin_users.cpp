// Users in the admin view (U1, U4, U6-U8), billing (U10) and the Trash (U9).

#include <algorithm>

#include "actors/admin_common.hpp"

namespace dirsync::actors::admin {

namespace {

constexpr int trash_days = 7; // U9: trashed_at + 7 days

namespace mapping = scim::mapping;

// The admin-editable attributes of a user besides status: the destinations of
// the mapping (D3) and the required four, in the admin attributes' layout.
const std::vector<std::string>& text_fields() {
  static const std::vector<std::string> list = [] {
    std::vector<std::string> l{"email", "first_name", "last_name", "display_name", "notes"};
    for (int i = 1; i <= mapping::alias_count; ++i)
      l.push_back("username_alias_" + std::to_string(i));
    return l;
  }();
  return list;
}

nlohmann::json parse_object(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

nlohmann::json opt(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

// U6: the fields a push of the owning directory writes.
nlohmann::json read_only_fields(const persistence::admin_user& a) {
  auto out = nlohmann::json::array();
  if (a.user.directory_id.empty())
    return out;
  out.push_back("username");
  for (const auto& f : text_fields())
    if (mapping::is_mapped(a.directory_mappings, f))
      out.push_back(f);
  if (mapping::is_mapped(a.directory_mappings, "phones"))
    out.push_back("phones");
  for (const auto& r : a.directory_mappings)
    if (auto name = mapping::custom_name(r.destination))
      out.push_back("custom_attributes." + *name);
  out.push_back("group_memberships");
  return out;
}

nlohmann::json user_json(const persistence::admin_user& a) {
  const auto& u = a.user;
  auto attrs = parse_object(u.attributes);
  auto [effective, reason] = effective_status(a);
  nlohmann::json j{{"id", u.id}, {"username", u.user_name}};
  for (const auto& f : text_fields())
    j[f] = str(attrs, f.c_str());
  j["phones"] = attrs.contains("phones") && attrs["phones"].is_array() ? attrs["phones"] : nlohmann::json::array();
  j["custom_attributes"] =
    attrs.contains("custom") && attrs["custom"].is_object() ? attrs["custom"] : nlohmann::json::object();
  j["status"] = a.status;
  j["effective_status"] = effective;
  j["effective_status_reason"] = reason;
  j["managed_by"] = managed_by(u.directory_id, a.directory_name, a.directory_type);
  j["read_only_fields"] = read_only_fields(a);
  j["trashed_at"] = opt(u.trashed_at);
  j["trash_reason"] = u.trash_reason.empty() ? nlohmann::json() : nlohmann::json(u.trash_reason);
  j["deletion_date"] = u.trashed_at ? nlohmann::json(add_days(*u.trashed_at, trash_days)) : nlohmann::json();
  j["created"] = u.created;
  j["last_modified"] = u.last_modified;
  return j;
}

bool known_status(const std::string& s) {
  return s == "active" || s == "bypass" || s == "disabled";
}

// Checks an admin create/edit body; the problem, or "" when valid.
std::string body_problem(const nlohmann::json& body) {
  if (!body.is_object())
    return "the body must be a JSON object";
  const auto& texts = text_fields();
  for (const auto& [key, value] : body.items()) {
    bool text = key == "username" || key == "status"
                || std::find(texts.begin(), texts.end(), key) != texts.end();
    if (text) {
      if (!value.is_string())
        return key + " must be a string";
      continue;
    }
    if (key == "phones") {
      if (!value.is_array())
        return "phones must be an array of {\"number\", \"type\"}";
      for (const auto& p : value)
        if (!p.is_object() || !p.contains("number") || !p["number"].is_string() || p["number"].get<std::string>().empty()
            || (p.contains("type") && !p["type"].is_string()) || p.size() > (p.contains("type") ? 2u : 1u))
          return "phones must be an array of {\"number\", \"type\"}";
      continue;
    }
    if (key == "custom_attributes") {
      if (!value.is_object())
        return "custom_attributes must be an object of strings (null clears one)";
      for (const auto& [name, v] : value.items())
        if (!v.is_string() && !v.is_null())
          return "custom_attributes must be an object of strings (null clears one)";
      continue;
    }
    return "unknown field \"" + key + "\"";
  }
  if (body.contains("status") && !known_status(str(body, "status")))
    return "status must be one of active, bypass, disabled";
  return {};
}

// One field an admin edit changes: its name, the destination it maps from
// and the old and new values (null = empty).
struct field_change {
  std::string field;
  std::string destination;
  nlohmann::json before;
  nlohmann::json after;
};

nlohmann::json value_or_null(const nlohmann::json& j, const std::string& key) {
  auto i = j.find(key);
  if (i == j.end() || (i->is_string() && i->get<std::string>().empty()) || (i->is_array() && i->empty()))
    return nullptr;
  return *i;
}

// The admin attribute changes of `body` against `attrs` (custom attribute
// names already resolved to their stored spelling).
std::vector<field_change> attribute_changes(const nlohmann::json& body, const nlohmann::json& attrs) {
  std::vector<field_change> out;
  for (const auto& f : text_fields()) {
    if (!body.contains(f))
      continue;
    auto after = value_or_null(body, f);
    auto before = value_or_null(attrs, f);
    if (after != before)
      out.push_back({f, f, before, after});
  }
  if (body.contains("phones")) {
    auto after = value_or_null(body, "phones");
    auto before = value_or_null(attrs, "phones");
    if (after != before)
      out.push_back({"phones", "phones", before, after});
  }
  if (body.contains("custom_attributes")) {
    auto custom = attrs.contains("custom") ? attrs["custom"] : nlohmann::json::object();
    for (const auto& [name, v] : body["custom_attributes"].items()) {
      auto after = v.is_string() && !v.get<std::string>().empty() ? v : nlohmann::json();
      auto before = value_or_null(custom, name);
      if (after != before)
        out.push_back({"custom_attributes." + name, std::string{mapping::custom_prefix} + name, before, after});
    }
  }
  return out;
}

void apply_changes(nlohmann::json& attrs, const std::vector<field_change>& changes) {
  for (const auto& c : changes) {
    if (auto name = mapping::custom_name(c.destination)) {
      auto& custom = attrs["custom"];
      if (!custom.is_object())
        custom = nlohmann::json::object();
      if (c.after.is_null())
        custom.erase(*name);
      else
        custom[*name] = c.after;
      if (custom.empty())
        attrs.erase("custom");
    } else if (c.after.is_null()) {
      attrs.erase(c.destination);
    } else {
      attrs[c.destination] = c.after;
    }
  }
}

// Custom attribute names in `body` take their stored spelling; the unknown
// one, if any, is returned.
std::optional<std::string> resolve_custom(persistence::writer& db, nlohmann::json& body) {
  if (!body.contains("custom_attributes"))
    return std::nullopt;
  nlohmann::json resolved = nlohmann::json::object();
  for (const auto& [name, v] : body["custom_attributes"].items()) {
    auto row = db.custom_attribute(name);
    if (!row)
      return name;
    resolved[row->name] = v;
  }
  body["custom_attributes"] = std::move(resolved);
  return std::nullopt;
}

void list_users(const context_ptr& ctx, admin_call& call, promise rp, self_ptr self, bool trash) {
  std::int64_t limit = 0, cursor = 0;
  if (!read_page(call, rp, limit, cursor))
    return;
  persistence::user_query q{query_value(call, "q").value_or(""), trash, cursor, limit + 1};
  run_read(ctx, self, rp, [q, limit, trash](persistence::reader& db) {
    return page_reply(trash ? "trash" : "users", db.admin_users(q), limit, [](const auto& a) { return user_json(a); });
  });
}

void create_user(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                 self_ptr self) {
  if (auto problem = body_problem(call.body); !problem.empty())
    return reply(rp, error(400, problem));
  if (str(call.body, "username").empty())
    return reply(rp, error(400, "username is required"));
  persistence::admin_user a;
  a.status = call.body.contains("status") ? str(call.body, "status") : "active";
  auto& u = a.user;
  u.id = ctx->ids->new_id();
  u.user_name = str(call.body, "username");
  u.created = u.last_modified = ctx->now_text();
  u.resource = nlohmann::json{{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}},
                              {"userName", u.user_name},
                              {"active", true}}
                 .dump();
  run_write(ctx, self, rp, [a, who, body = call.body](persistence::writer& db) mutable {
    if (auto unknown = resolve_custom(db, body))
      return error(400, "no custom attribute \"" + *unknown + "\"; create it first");
    auto attrs = nlohmann::json::object();
    apply_changes(attrs, attribute_changes(body, attrs));
    a.user.attributes = attrs.dump();
    // U1: the unique index is case-insensitive across the organisation.
    if (auto r = db.insert_user(a.user); !r)
      return r.err().code == scim::error_code::uniqueness ? error(409, "username is already taken")
                                                          : from_error(r.err());
    if (a.status != "active")
      if (auto r = db.admin_update_user(a.user, a.status, a.user.version); !r)
        return from_error(r.err());
    if (auto r = db.append_action(a.user.created, "admin", who.id, "user.create", "user", a.user.id,
                                  body.dump(), "ok"); !r)
      return from_error(r.err());
    return admin_reply{201, user_json(a)};
  });
}

void patch_user(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                self_ptr self) {
  if (auto problem = body_problem(call.body); !problem.empty())
    return reply(rp, error(400, problem));
  auto now = ctx->now_text();
  run_write(ctx, self, rp, [id = call.path[1], body = call.body, who, now](persistence::writer& db) mutable {
    auto a = db.admin_user_by_id(id);
    if (!a)
      return error(404, "no such user");
    if (a->user.trashed_at)
      return error(409, "the user is in the Trash and read-only");
    if (auto unknown = resolve_custom(db, body))
      return error(400, "no custom attribute \"" + *unknown + "\"; create it first");
    bool managed = !a->user.directory_id.empty();
    auto attrs = parse_object(a->user.attributes);
    auto changes = attribute_changes(body, attrs);
    auto username = body.contains("username") ? str(body, "username") : a->user.user_name;
    bool rename = username != a->user.user_name;
    if (rename && username.empty())
      return error(400, "username cannot be empty");
    // U6: what the owning directory's mapping writes belongs to it.
    auto refuse = [&](const std::string& field) {
      return error(409, field + " is managed by directory \"" + a->directory_name + "\"");
    };
    if (managed && rename)
      return refuse("username");
    for (const auto& c : changes)
      if (managed && mapping::is_mapped(a->directory_mappings, c.destination))
        return refuse(c.field);
    nlohmann::json details = nlohmann::json::object();
    for (const auto& c : changes)
      details[c.field] = {{"old", c.before}, {"new", c.after}};
    auto status = body.contains("status") ? str(body, "status") : a->status;
    if (status != a->status)
      details["status"] = {{"old", a->status}, {"new", status}};
    if (rename)
      details["username"] = {{"old", a->user.user_name}, {"new", username}};
    if (details.empty())
      return admin_reply{200, user_json(*a)};
    auto expected = a->user.version;
    apply_changes(attrs, changes);
    a->user.attributes = attrs.dump();
    if (rename) {
      // Only an unmanaged user gets here: its stored resource follows.
      auto resource = parse_object(a->user.resource);
      resource["userName"] = username;
      a->user.resource = resource.dump();
      a->user.user_name = username;
      a->user.last_modified = now;
      a->user.version += 1;
    }
    a->status = status;
    if (auto r = db.admin_update_user(a->user, status, expected); !r)
      return r.err().code == scim::error_code::uniqueness ? error(409, "username is already taken")
                                                          : from_error(r.err());
    if (auto r = db.append_action(now, "admin", who.id, "user.update", "user", id, details.dump(), "ok"); !r)
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
