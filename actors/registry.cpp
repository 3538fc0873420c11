#include "actors/registry.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/admin_api.hpp"
#include "actors/directory.hpp"

namespace dirsync::actors {

namespace {

using self_ptr = registry_actor::stateful_pointer<registry_state>;

admin_reply admin_error(int status, std::string message) {
  return admin_reply{status, nlohmann::json{{"error", std::move(message)}, {"status", status}}};
}

bool may_write(const std::string& role) {
  return role == "owner" || role == "administrator" || role == "user_manager";
}

std::string default_name(const std::string& type) {
  if (type == "okta")
    return "New Okta SCIM Integration";
  if (type == "entra")
    return "New Entra ID SCIM Integration";
  return "New SCIM Integration";
}

} // namespace

nlohmann::json directory_json(const persistence::directory_row& row, const std::string& now) {
  std::string status;
  if (row.state != "active")
    status = "draft";
  else if (row.token_expires_at && *row.token_expires_at <= now)
    status = "token_expired";
  else if (row.paused)
    status = "paused";
  else if (!row.last_push_at)
    status = "never_pushed";
  else
    status = "connected";
  nlohmann::json j{{"id", row.id},       {"type", row.type},     {"name", row.name},
                   {"state", row.state}, {"status", status},     {"paused", row.paused},
                   {"enrollment_emails", row.enrollment_emails},
                   {"created", row.created}};
  j["token_expires_at"] = row.token_expires_at ? nlohmann::json(*row.token_expires_at) : nlohmann::json();
  j["last_push_at"] = row.last_push_at ? nlohmann::json(*row.last_push_at) : nlohmann::json();
  return j;
}

void registry_state::upsert(self_ptr self, persistence::directory_row row) {
  for (auto i = by_token.begin(); i != by_token.end();)
    i = i->second == row.id ? by_token.erase(i) : std::next(i);
  if (!row.token_hash.empty())
    by_token[row.token_hash] = row.id;
  auto i = by_id.find(row.id);
  if (i == by_id.end()) {
    auto handle = self->spawn(directory_behavior, ctx, row);
    self->monitor(handle);
    auto id = row.id;
    by_id.emplace(std::move(id), known{std::move(row), std::move(handle)});
    return;
  }
  i->second.row = row;
  self->send(i->second.handle, std::move(row));
}

void registry_state::list_directories(self_ptr self, std::string only, admin_promise rp) {
  auto out = std::make_shared<nlohmann::json>(nlohmann::json::array());
  auto now = ctx->now_text();
  self->request(ctx->reader(), caf::infinite, read_job{[out, only, now](persistence::reader& db) {
                  for (auto& row : db.directories()) {
                    if (!only.empty() && row.id != only)
                      continue;
                    auto j = directory_json(row, now);
                    auto [users, groups] = db.managed_counts(row.id);
                    j["managed_users"] = users;
                    j["managed_groups"] = groups;
                    out->push_back(std::move(j));
                  }
                  return scim_reply{};
                }})
    .then(
      [rp, out, only](scim_reply&) mutable {
        if (only.empty())
          rp.deliver(admin_reply{200, nlohmann::json{{"directories", *out}}});
        else if (out->empty())
          rp.deliver(admin_error(404, "no such directory"));
        else
          rp.deliver(admin_reply{200, out->at(0)});
      },
      [rp](caf::error&) mutable { rp.deliver(admin_error(503, "storage is unavailable")); });
}

void registry_state::unmanage_group(self_ptr self, const persistence::admin_row& who,
                                    const persistence::directory_row& row, const std::string& group_id,
                                    admin_promise rp) {
  auto at = ctx->now_text();
  auto trashed = std::make_shared<std::int64_t>(0);
  auto job = write_job{[dir = row.id, name = row.name, group_id, at, who, trashed](persistence::writer& db)
                         -> scim::expected<scim::unit> {
    auto n = db.unmanage_group(dir, group_id, name, at);
    if (!n)
      return n.err();
    *trashed = *n;
    return db.append_action(at, "admin", who.id, "group.unmanage", "group", group_id,
                            nlohmann::json{{"directory", dir}, {"trashed_users", *n}}.dump(), "ok");
  }};
  self->request(ctx->writer, caf::infinite, std::move(job))
    .then(
      [rp, trashed, group_id](write_ack& ack) mutable {
        if (ack.error) {
          rp.deliver(admin_error(scim::http_status(ack.error->code), ack.error->detail));
          return;
        }
        rp.deliver(admin_reply{200, nlohmann::json{{"id", group_id}, {"trashed_users", *trashed}}});
      },
      [rp](caf::error&) mutable { rp.deliver(admin_error(500, "internal error")); });
}

void registry_state::delete_directory(self_ptr self, const persistence::admin_row& who,
                                      persistence::directory_row row, admin_promise rp) {
  auto at = ctx->now_text();
  auto job = write_job{[row, at, who](persistence::writer& db) {
    if (auto r = db.retire_directory(row.id, row.name); !r)
      return r;
    return db.append_action(at, "admin", who.id, "directory.delete", "directory", row.id,
                            nlohmann::json{{"name", row.name}}.dump(), "ok");
  }};
  self->request(ctx->writer, caf::infinite, std::move(job))
    .then(
      [self, rp, id = row.id](write_ack& ack) mutable {
        if (ack.error) {
          rp.deliver(admin_error(scim::http_status(ack.error->code), ack.error->detail));
          return;
        }
        // D10: the token dies with the directory; its objects stay, unmanaged.
        auto& st = self->state;
        for (auto i = st.by_token.begin(); i != st.by_token.end();)
          i = i->second == id ? st.by_token.erase(i) : std::next(i);
        if (auto i = st.by_id.find(id); i != st.by_id.end()) {
          self->demonitor(i->second.handle.address());
          self->send(i->second.handle, stop_atom::value);
          st.by_id.erase(i);
        }
        rp.deliver(admin_reply{204, nullptr});
      },
      [rp](caf::error&) mutable { rp.deliver(admin_error(500, "internal error")); });
}

void registry_state::commit(self_ptr self, const persistence::admin_row& who,
                            persistence::directory_row row, bool insert, std::string action,
                            admin_reply answer, admin_promise rp) {
  auto at = ctx->now_text();
  nlohmann::json details{{"name", row.name}, {"state", row.state}, {"paused", row.paused},
                         {"enrollment_emails", row.enrollment_emails}};
  auto job = write_job{[row, insert, at, who, action, details](persistence::writer& db) {
    auto r = insert ? db.insert_directory(row) : db.update_directory(row);
    if (!r)
      return r;
    return db.append_action(at, "admin", who.id, action, "directory", row.id, details.dump(), "ok");
  }};
  self->request(ctx->writer, caf::infinite, std::move(job))
    .then(
      [self, rp, row, answer](write_ack& ack) mutable {
        if (ack.error) {
          rp.deliver(admin_error(scim::http_status(ack.error->code), ack.error->detail));
          return;
        }
        // Mappings change only through their own jobs (admin_mappings.cpp):
        // keep the newest committed ones.
        if (auto i = self->state.by_id.find(row.id); i != self->state.by_id.end())
          row.mappings = i->second.row.mappings;
        self->state.upsert(self, row);
        rp.deliver(answer);
      },
      [rp](caf::error&) mutable { rp.deliver(admin_error(500, "internal error")); });
}

void registry_state::create_directory(self_ptr self, const persistence::admin_row& who,
                                      admin_call& call, admin_promise rp) {
  if (!call.body.is_object())
    { rp.deliver(admin_error(400, "the body must be a JSON object")); return; }
  auto type = call.body.value("type", std::string{});
  if (type != "okta" && type != "entra" && type != "generic")
    { rp.deliver(admin_error(400, "type must be one of okta, entra, generic")); return; }
  persistence::directory_row row;
  row.id = ctx->ids->new_id();
  row.type = type;
  auto name = call.body.find("name");
  if (name != call.body.end() && !name->is_null() && !name->is_string())
    { rp.deliver(admin_error(400, "name must be a string")); return; }
  row.name = name != call.body.end() && name->is_string() && !name->get<std::string>().empty()
               ? name->get<std::string>()
               : default_name(type);
  row.created = ctx->now_text();
  auto body = directory_json(row, row.created);
  { commit(self, who, row, true, "directory.create", admin_reply{201, body}, rp); return; }
}

void registry_state::change_directory(self_ptr self, const persistence::admin_row& who,
                                      admin_call& call, admin_promise rp) {
  auto i = by_id.find(call.path[1]);
  if (i == by_id.end())
    { rp.deliver(admin_error(404, "no such directory")); return; }
  auto row = i->second.row;
  auto now = ctx->now_text();
  if (call.path.size() == 2 && call.method == "GET") {
    list_directories(self, row.id, rp);
    return;
  }
  if (call.path.size() >= 3 && call.path[2] == "mappings") {
    mappings(self, who, row.id, call, rp);
    return;
  }
  if (call.path.size() == 2 && call.method == "DELETE") {
    if (!may_write(who.role)) {
      rp.deliver(admin_error(403, "the role " + who.role + " may not delete directories"));
      return;
    }
    delete_directory(self, who, row, rp);
    return;
  }
  if (!may_write(who.role))
    { rp.deliver(admin_error(403, "the role " + who.role + " may not change directories")); return; }
  if (call.path.size() == 2 && call.method == "PATCH") {
    // D2 rename, D4 the enrollment-email option.
    const auto& b = call.body;
    bool ok = b.is_object() && !b.empty();
    if (ok)
      for (const auto& [k, v] : b.items())
        ok = ok && ((k == "name" && v.is_string()) || (k == "enrollment_emails" && v.is_boolean()));
    if (!ok)
      { rp.deliver(admin_error(400, "expected {\"name\": string, \"enrollment_emails\": boolean}")); return; }
    if (b.contains("name"))
      row.name = b["name"].get<std::string>();
    if (b.contains("enrollment_emails"))
      row.enrollment_emails = b["enrollment_emails"].get<bool>();
    { commit(self, who, row, false, b.contains("name") ? "directory.rename" : "directory.update",
             admin_reply{200, directory_json(row, now)}, rp); return; }
  }
  if (call.path.size() == 4 && call.path[2] == "groups" && call.method == "DELETE") {
    unmanage_group(self, who, row, call.path[3], rp);
    return;
  }
  if (call.path.size() != 3 || call.method != "POST")
    { rp.deliver(admin_error(404, "no such endpoint")); return; }
  const auto& verb = call.path[2];
  if (verb == "complete" || verb == "token") {
    if (verb == "complete" && row.state == "active")
      { rp.deliver(admin_error(409, "setup is already complete; regenerate the token instead")); return; }
    if (verb == "token" && row.state != "active")
      { rp.deliver(admin_error(409, "complete the setup first")); return; }
    auto token = ctx->ids->new_secret(32);
    row.state = "active";
    row.token_hash = sha256_hex(token);
    row.token_expires_at = format_time(ctx->time->now() + ctx->options.token_lifetime);
    nlohmann::json body{{"id", row.id},
                        {"base_url", ctx->options.base_url},
                        {"token", token},
                        {"token_expires_at", *row.token_expires_at}};
    { commit(self, who, row, false, verb == "complete" ? "directory.complete" : "directory.token",
                  admin_reply{200, body}, rp); return; }
  }
  if (verb == "pause" || verb == "resume") {
    row.paused = verb == "pause";
    { commit(self, who, row, false, "directory." + verb, admin_reply{200, directory_json(row, now)}, rp); return; }
  }
  { rp.deliver(admin_error(404, "no such endpoint")); return; }
}

void registry_state::admin(self_ptr self, const persistence::admin_row& who, admin_call& call,
                           admin_promise rp) {
  if (call.path.empty()) {
    rp.deliver(admin_error(404, "no such endpoint"));
    return;
  }
  if (call.path[0] != "directories") {
    // Admins, users, groups, Trash, audit: actors/admin_api.cpp.
    handle_admin_api(ctx, who, call, rp, self);
    return;
  }
  if (call.path.size() == 1) {
    if (call.method == "GET") {
      list_directories(self, "", rp);
      return;
    }
    if (call.method == "POST") {
      if (!may_write(who.role))
        { rp.deliver(admin_error(403, "the role " + who.role + " may not create directories")); return; }
      { create_directory(self, who, call, rp); return; }
    }
    { rp.deliver(admin_error(405, "method not allowed")); return; }
  }
  { change_directory(self, who, call, rp); return; }
}

registry_actor::behavior_type registry_behavior(self_ptr self, context_ptr ctx,
                                                std::vector<persistence::directory_row> directories) {
  self->state.ctx = std::move(ctx);
  // Shutdown: directories stop their user and group actors, so no idle
  // timer keeps the actor system waiting.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [id, k] : self->state.by_id) {
      self->demonitor(k.handle.address());
      self->send(k.handle, stop_atom::value);
    }
    self->quit(msg.reason);
  });
  // A failed directory actor is replaced at once by a fresh one.
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    for (auto i = st.by_id.begin(); i != st.by_id.end(); ++i) {
      if (i->second.handle.address() != msg.source)
        continue;
      auto row = i->second.row;
      spdlog::warn("directory {} actor stopped ({}); restarting it", row.id, caf::to_string(msg.reason));
      st.by_id.erase(i);
      st.upsert(self, row);
      return;
    }
  });
  for (auto& row : directories)
    self->state.upsert(self, std::move(row));
  return {
    [self](scim_call& call) -> caf::result<scim_reply> {
      auto& st = self->state;
      if (call.token.empty())
        return scim_reply::failure(scim::error_code::unauthorized, "a bearer token is required");
      // Lookup by hash: the secret itself is never compared or kept.
      auto i = st.by_token.find(sha256_hex(call.token));
      if (i == st.by_token.end())
        return scim_reply::failure(scim::error_code::unauthorized, "the bearer token is not valid");
      return self->delegate(st.by_id[i->second].handle, std::move(call));
    },
    [self](admin_call& call) -> caf::result<admin_reply> {
      if (call.key.empty())
        return admin_error(401, "an admin API key is required");
      auto rp = self->make_response_promise<admin_reply>();
      auto who = std::make_shared<std::optional<persistence::admin_row>>();
      auto hash = sha256_hex(call.key);
      self->request(self->state.ctx->reader(), caf::infinite,
                    read_job{[who, hash](persistence::reader& db) {
                      *who = db.admin_by_key_hash(hash);
                      return scim_reply{};
                    }})
        .then(
          [self, rp, who, call](scim_reply&) mutable {
            if (!*who) {
              rp.deliver(admin_error(401, "the admin API key is not valid"));
              return;
            }
            self->state.admin(self, **who, call, rp);
          },
          [rp](caf::error&) mutable { rp.deliver(admin_error(503, "storage is unavailable")); });
      return rp;
    },
    [self](ready_atom) { return !self->state.ctx->readers.empty(); },
    [self](portal_call& call) -> caf::result<admin_reply> {
      auto rp = self->make_response_promise<admin_reply>();
      handle_portal(self->state.ctx, call, rp, self);
      return rp;
    },
    [self](reload_atom, std::string& directory_id, std::string& user_id) {
      if (auto i = self->state.by_id.find(directory_id); i != self->state.by_id.end())
        self->send(i->second.handle, reload_atom::value, std::move(user_id));
    },
  };
}

}// namespace dirsync::actors
