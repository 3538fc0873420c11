#include "actors/directory.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/entity.hpp"
#include "actors/lifecycle.hpp"
#include "actors/views.hpp"
#include "scim/resource.hpp"

namespace dirsync::actors {

namespace {

using scim::error_code;
using scim::resource_kind;
using self_ptr = directory_actor::stateful_pointer<directory_state>;

} // namespace

scim::expected<scim::unit> provision_user(persistence::writer& db, const std::string& directory_id,
                                          bool enrollment_emails, persistence::user_row row,
                                          const nlohmann::json& pushed, const lifecycle::environment& env,
                                          create_outcome& out) {
  // The writer may run this again on the same data (a replayable job).
  out = create_outcome{};
  const auto& now = env.now;
  // E1: a user the directory creates, adopts or restores may need enrolling.
  auto enroll = [&]() -> scim::expected<scim::unit> {
    if (!enrollment_emails || out.conflict)
      return scim::unit{};
    if (auto r = lifecycle::maybe_enroll(db, env, out.row.id, "directory", directory_id); !r)
      return r.err();
    return scim::unit{};
  };
  auto audit = [&](const std::string& action, const std::string& object_id, const nlohmann::json& details,
                   const std::string& result) {
    return db.append_action(now, "directory", directory_id, action, "user", object_id,
                            scim::dump_canonical(details), result);
  };
  // Most pushes create a new user: the insert is tried first, and its
  // userName uniqueness check (U1) is the search for an existing user.
  row.attributes = scim::dump_canonical(scim::mapping::merge(nlohmann::json::object(), pushed));
  if (!row.active) {
    row.trashed_at = now;
    row.trash_reason = "deactivated";
  }
  auto inserted = db.insert_user(row);
  if (inserted) {
    out.row = std::move(row);
    if (auto r = audit("user.create", out.row.id, {{"userName", out.row.user_name}}, "ok"); !r)
      return r;
    return enroll();
  }
  if (inserted.err().code != error_code::uniqueness)
    return inserted;
  auto existing = db.user_by_name(row.user_name);
  if (!existing)
    return inserted;
  std::string action;
  if (existing->directory_id.empty()) {
    action = "user.adopt"; // U2: an unmanaged user joins the directory
  } else if (existing->directory_id == directory_id) {
    if (!existing->trashed_at)
      return scim::make_error(error_code::uniqueness, "userName is already taken");
    action = "user.restore"; // U9: re-provisioned within the Trash period
  } else {
    auto owner = db.directory(existing->directory_id);
    if (owner && owner->state == "active" && !owner->paused) {
      // U3: refused, recorded against the pushing directory; the audit row
      // is kept although the push fails.
      std::string detail = "Cannot sync a user belonging to another directory sync unless that sync is paused";
      out.conflict = scim::make_error(error_code::uniqueness, detail + " (owned by \"" + owner->name + "\")");
      return audit("user.conflict", existing->id,
                   {{"userName", row.user_name}, {"owner_directory", owner->id}}, "refused");
    }
    action = "user.takeover"; // U3: the owner is paused, ownership moves
  }
  row.id = existing->id;
  row.created = existing->created;
  row.version = existing->version + 1;
  row.trashed_at.reset();
  row.trash_reason.clear();
  if (!row.active) {
    row.trashed_at = now;
    row.trash_reason = "deactivated";
  }
  if (auto r = db.reassign_user(row); !r)
    return r;
  // U2: adoption overwrites the mapped attributes; the others are kept.
  row.attributes = scim::mapping::merge(nlohmann::json::parse(existing->attributes, nullptr, false), pushed).dump();
  if (auto r = db.set_user_attributes(row.id, row.attributes); !r)
    return r;
  out.groups = db.groups_of_user(row.id);
  nlohmann::json details{{"userName", row.user_name}};
  if (!existing->directory_id.empty() && existing->directory_id != directory_id)
    details["from_directory"] = existing->directory_id;
  out.row = std::move(row);
  if (auto r = audit(action, out.row.id, details, "ok"); !r)
    return r;
  return enroll();
}

std::optional<scim::error> directory_state::vet() const {
  if (row.state != "active")
    return scim::make_error(error_code::unauthorized, "the directory's setup is not complete");
  if (row.token_expires_at && *row.token_expires_at <= ctx->now_text())
    return scim::make_error(error_code::token_expired,
                            "the bearer token has expired; regenerate it in the admin panel");
  if (row.paused)
    return scim::make_error(error_code::forbidden, "sync is paused");
  return std::nullopt;
}

void directory_state::note_push(self_ptr self) {
  auto now = ctx->time->now();
  auto now_text = format_time(now);
  auto due = last_push_stored.empty()
             || format_time(now - std::chrono::minutes{1}) >= last_push_stored;
  if (!due)
    return;
  last_push_stored = now_text;
  row.last_push_at = now_text;
  // Best effort: a lost timestamp is not a lost write of the IdP's.
  self->request(ctx->writer, caf::infinite, write_job{[id = row.id, now_text](persistence::writer& db) {
                  return db.touch_directory(id, now_text);
                }, true})
    .then([](write_ack&) {}, [](caf::error&) {});
}

directory_state::entry& directory_state::entity(self_ptr self, resource_kind kind, const std::string& id) {
  auto& map = kind == resource_kind::user ? users : groups;
  auto i = map.find(id);
  if (i != map.end()) {
    // Called again: the most recent now. One asked to stop stays marked: its
    // answer will show this call (sent > handled) and it will not stop.
    recent.splice(recent.begin(), i->second.evicting ? stopping : recent, i->second.place);
    i->second.evicting = false;
    return i->second;
  }
  auto handle = self->spawn(entity_behavior, ctx, caf::actor_cast<directory_actor>(self), row.id, id, kind);
  // A crashed entity is forgotten; the next call spawns a fresh one that
  // reloads from storage.
  self->monitor(handle);
  recent.emplace_front(kind, id);
  auto& fresh = map.emplace(id, entry{std::move(handle), 0, recent.begin()}).first->second;
  // Past the bound, the least recently called actors are asked to stop
  // (per directory: these are this directory's actors, the fresh one
  // included before it has run). One asked answers passivate_atom once it
  // has handled the calls sent before, and stops only if no call came after,
  // as on its idle timer. Until then it waits in `stopping`, out of the
  // count, so each start asks one more, not the same one again.
  auto limit = ctx->options.max_live;
  while (limit > 0 && recent.size() > 1 && static_cast<std::int64_t>(recent.size()) > limit) {
    auto& [victim_kind, victim_id] = recent.back();
    auto& victim = (victim_kind == resource_kind::user ? users : groups).at(victim_id);
    victim.evicting = true;
    stopping.splice(stopping.end(), recent, victim.place);
    self->send(victim.handle, evict_atom::value);
  }
  return fresh;
}

void directory_state::forget(std::unordered_map<std::string, entry>& map,
                             std::unordered_map<std::string, entry>::iterator i) {
  (i->second.evicting ? stopping : recent).erase(i->second.place);
  map.erase(i);
}

caf::result<scim_reply> directory_state::create(self_ptr self, scim_call& call) {
  auto proj = scim::parse_projection(call.kind, call.attributes, call.excluded_attributes);
  if (!proj)
    return scim_reply::failure(proj.err());
  auto norm = scim::normalize_resource(call.kind, std::move(call.body)); // the body is not read again
  if (!norm)
    return scim_reply::failure(norm.err());
  auto now = ctx->now_text();
  auto id = ctx->ids->new_id();
  auto rp = self->make_response_promise<scim_reply>();
  auto base = ctx->options.base_url;
  auto on_error = [rp](caf::error&) mutable {
    rp.deliver(scim_reply::failure(error_code::internal, "internal error"));
  };
  if (call.kind == resource_kind::user) {
    auto row = make_user_row(norm->resource, id, this->row.id, now, now, 1);
    auto outcome = std::make_shared<create_outcome>();
    lifecycle::environment env{now, ctx->time->now(), ctx->options.public_url, ctx->ids};
    // D12: the directory's current mapping decides the admin-view attributes;
    // computed here from the parsed body, not again in the writer.
    auto pushed = scim::mapping::pushed_values(this->row.mappings, norm->resource);
    auto job = write_job{[row = std::move(row), pushed = std::move(pushed), outcome, dir = this->row.id,
                          enroll = this->row.enrollment_emails, env](persistence::writer& db) {
      return provision_user(db, dir, enroll, row, pushed, env, *outcome);
    }, true};
    self->request(ctx->writer, caf::infinite, std::move(job))
      .then(
        [self, rp, outcome, stored = std::move(norm->resource), p = *proj, base](write_ack& ack) mutable {
          if (ack.error) {
            rp.deliver(scim_reply::failure(*ack.error));
            return;
          }
          if (outcome->conflict) {
            rp.deliver(scim_reply::failure(*outcome->conflict));
            return;
          }
          // An adopted, restored or taken-over user keeps its id: a live
          // actor for it holds an older state and must reload it first.
          const auto& row = outcome->row;
          auto& users = self->state.users;
          if (auto i = users.find(row.id); i != users.end())
            self->send(i->second.handle, reload_atom::value);
          // Rendered from what the transaction wrote and read: no second read.
          rp.deliver(user_reply(row, std::move(stored), outcome->groups, p, 201, base));
        },
        on_error);
  } else {
    auto row = make_group_row(norm->resource, id, this->row.id, now, now, 1);
    std::vector<std::string> members;
    if (norm->members)
      for (auto& m : *norm->members)
        members.push_back(m.value);
    self->request(ctx->writer, caf::infinite, write_job{[row, members](persistence::writer& db) {
                    if (auto r = db.insert_group(row, members); !r)
                      return r;
                    return db.append_action(row.created, "directory", row.directory_id, "group.create",
                                            "group", row.id,
                                            nlohmann::json{{"displayName", row.display_name},
                                                           {"members_added", members}}.dump(),
                                            "ok");
                  }, true})
      .then(
        [self, rp, row, p = *proj, base](write_ack& ack) mutable {
          if (ack.error) {
            rp.deliver(scim_reply::failure(*ack.error));
            return;
          }
          rp.delegate(self->state.ctx->reader(), read_job{[row, p, base](persistence::reader& db) {
                        return group_reply(db, row, p, 201, base);
                      }});
        },
        on_error);
  }
  return rp;
}

directory_actor::behavior_type directory_behavior(self_ptr self, context_ptr ctx,
                                                  persistence::directory_row row) {
  self->state.ctx = std::move(ctx);
  self->state.row = std::move(row);
  self->state.last_push_stored = self->state.row.last_push_at.value_or("");
  self->state.mapping = std::make_shared<const std::vector<scim::mapping::rule>>(self->state.row.mappings);
  self->set_down_handler([self](caf::down_msg& msg) {
    if (msg.reason)
      spdlog::warn("directory {}: an entity actor failed ({}); it restarts on its next call",
                   self->state.row.id, caf::to_string(msg.reason));
    for (auto* map : {&self->state.users, &self->state.groups})
      for (auto i = map->begin(); i != map->end(); ++i)
        if (i->second.handle.address() == msg.source) {
          self->state.forget(*map, i);
          return;
        }
  });
  return {
    [self](scim_call& call) -> caf::result<scim_reply> {
      auto& st = self->state;
      if (auto refusal = st.vet())
        return scim_reply::failure(*refusal);
      auto base = st.ctx->options.base_url;
      auto dir = st.row.id;
      switch (call.method) {
        case scim_method::get:
          return self->delegate(st.ctx->reader(),
                                read_job{[call = std::move(call), dir, base](persistence::reader& db) {
                                  return get_resource(db, dir, call, base);
                                }});
        case scim_method::list: {
          auto max = st.ctx->options.max_page_size;
          return self->delegate(st.ctx->reader(),
                                read_job{[call = std::move(call), dir, base, max](persistence::reader& db) {
                                  return list_resources(db, dir, call, base, max);
                                }});
        }
        case scim_method::create:
          st.note_push(self);
          return st.create(self, call);
        default: {
          st.note_push(self);
          call.mapping = st.mapping;
          call.enroll = st.row.enrollment_emails;
          auto& e = st.entity(self, call.kind, call.id);
          ++e.sent;
          return self->delegate(e.handle, std::move(call));
        }
      }
    },
    [self](passivate_atom, std::string& id, std::uint64_t handled) {
      // Only an actor that has handled everything routed to it may stop, so
      // no call is lost and no second actor for the same id can overlap. A
      // request from an actor already stopped (its idle timer's and its
      // eviction's can both be on their way) is not about the current one.
      auto from = caf::actor_cast<caf::actor_addr>(self->current_sender());
      for (auto* map : {&self->state.users, &self->state.groups}) {
        auto i = map->find(id);
        if (i == map->end() || i->second.handle.address() != from)
          continue;
        if (i->second.sent == handled) {
          self->send(i->second.handle, stop_atom::value);
          self->demonitor(i->second.handle.address());
          self->state.forget(*map, i);
        }
      }
    },
    [self](persistence::directory_row& row) {
      self->state.row = std::move(row);
      self->state.mapping = std::make_shared<const std::vector<scim::mapping::rule>>(self->state.row.mappings);
    },
    [self](reload_atom, std::string& user_id) {
      // A timer changed the user underneath (e.g. the Trash purge).
      if (auto i = self->state.users.find(user_id); i != self->state.users.end())
        self->send(i->second.handle, reload_atom::value);
    },
    [self](stop_atom) {
      for (auto* map : {&self->state.users, &self->state.groups})
        for (auto& [id, e] : *map)
          self->send(e.handle, stop_atom::value);
      self->quit();
    },
  };
}

} // namespace dirsync::actors
