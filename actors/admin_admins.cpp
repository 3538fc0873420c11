// Admins (A1, A2): Owner-only list, create with a key shown once, revoke.

#include "actors/admin_common.hpp"
#include "mail/mail.hpp"

namespace dirsync::actors::admin {

namespace {

nlohmann::json entry_json(const persistence::admin_entry& a) {
  return nlohmann::json{{"id", a.id},
                        {"name", a.name},
                        {"role", a.role},
                        {"created", a.created},
                        {"email", a.email},
                        {"revoked_at", a.revoked_at ? nlohmann::json(*a.revoked_at) : nlohmann::json()}};
}

bool known_role(const std::string& role) {
  return role == "owner" || role == "administrator" || role == "user_manager" || role == "read_only";
}

void create_admin(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                  self_ptr self) {
  admin_reply bad;
  if (!string_fields(call.body, {"name", "role", "email"}, bad))
    return reply(rp, bad);
  auto email = str(call.body, "email");
  if (!email.empty() && !mail::valid_address(email))
    return reply(rp, error(400, "email is not a valid address"));
  auto name = str(call.body, "name");
  auto role = str(call.body, "role");
  if (name.empty())
    return reply(rp, error(400, "name is required"));
  if (!known_role(role))
    return reply(rp, error(400, "role must be one of owner, administrator, user_manager, read_only"));
  // A2: 32 random bytes, stored only as a hash, shown in this answer only.
  auto key = ctx->ids->new_secret(32);
  persistence::admin_row row{ctx->ids->new_id(), name, role, sha256_hex(key), ctx->now_text(), email};
  nlohmann::json body{{"id", row.id}, {"name", row.name}, {"role", row.role}, {"created", row.created},
                      {"email", email}, {"revoked_at", nullptr}, {"key", key}};
  run_write(ctx, self, rp, [row, who, body](persistence::writer& db) {
    if (auto r = db.insert_admin(row); !r)
      return from_error(r.err());
    auto details = nlohmann::json{{"name", row.name}, {"role", row.role}}.dump();
    if (auto r = db.append_action(row.created, "admin", who.id, "admin.create", "admin", row.id, details, "ok"); !r)
      return from_error(r.err());
    return admin_reply{201, body};
  });
}

void revoke_admin(const context_ptr& ctx, const persistence::admin_row& who, const std::string& id, promise rp,
                  self_ptr self) {
  auto at = ctx->now_text();
  run_write(ctx, self, rp, [id, at, who](persistence::writer& db) {
    auto target = db.admin_by_id(id);
    if (!target || target->revoked_at)
      return error(404, "no such admin");
    if (target->role == "owner" && db.active_owners() <= 1)
      return error(409, "the last Owner cannot be revoked");
    if (auto r = db.revoke_admin(id, at); !r)
      return from_error(r.err());
    auto details = nlohmann::json{{"name", target->name}, {"role", target->role},
                                  {"revoked_at", {{"old", nullptr}, {"new", at}}}}.dump();
    if (auto r = db.append_action(at, "admin", who.id, "admin.revoke", "admin", id, details, "ok"); !r)
      return from_error(r.err());
    target->revoked_at = at;
    return admin_reply{200, entry_json(*target)};
  });
}

} // namespace

void handle_admins(const context_ptr& ctx, const persistence::admin_row& who, admin_call& call, promise rp,
                   self_ptr self) {
  // A1: managing admins is Owner-only, reading included.
  if (who.role != "owner")
    return reply(rp, error(403, "only an Owner may manage admins"));
  if (call.path.size() == 1 && call.method == "GET") {
    return run_read(ctx, self, rp, [](persistence::reader& db) {
      auto list = nlohmann::json::array();
      for (const auto& a : db.admins())
        list.push_back(entry_json(a));
      return admin_reply{200, nlohmann::json{{"admins", std::move(list)}}};
    });
  }
  if (call.path.size() == 1 && call.method == "POST")
    return create_admin(ctx, who, call, rp, self);
  if (call.path.size() == 2 && call.method == "GET") {
    return run_read(ctx, self, rp, [id = call.path[1]](persistence::reader& db) {
      for (const auto& a : db.admins())
        if (a.id == id)
          return admin_reply{200, entry_json(a)};
      return error(404, "no such admin");
    });
  }
  if (call.path.size() == 2 && call.method == "DELETE")
    return revoke_admin(ctx, who, call.path[1], rp, self);
  if (call.path.size() <= 2)
    return reply(rp, error(405, "method not allowed"));
  rp.deliver(error(404, "no such endpoint"));
}

} // namespace dirsync::actors::admin
