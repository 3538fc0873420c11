#include "actors/entity.hpp"

#include <caf/all.hpp>

#include "actors/lifecycle.hpp"
#include "actors/views.hpp"
#include "scim/json_text.hpp"
#include "scim/patch.hpp"
#include "scim/resource.hpp"

namespace dirsync::actors {

namespace {

using scim::error_code;
using scim::resource_kind;
using self_ptr = entity_actor::stateful_pointer<entity_state>;

scim_reply internal_failure() {
  return scim_reply::failure(error_code::internal, "internal error");
}

scim_reply no_content() {
  scim_reply r;
  r.status = 204;
  return r;
}

// A PATCH request applied to a stored resource (its JSON text).
scim::expected<scim::patch_result> patched(resource_kind kind, const nlohmann::json& stored,
                                           bool stored_canonical, const nlohmann::json& body) {
  auto ops = scim::parse_patch(body);
  if (!ops)
    return ops.err();
  return scim::apply_patch(kind, stored, *ops, stored_canonical);
}

// The admin-view values a push writes, by the mapping its directory attached.
nlohmann::json pushed_values(const scim_call& call, const nlohmann::json& resource) {
  static const std::vector<scim::mapping::rule> none;
  return scim::mapping::pushed_values(call.mapping ? *call.mapping : none, resource);
}

// The admin-view attributes a user write stored (D12).
struct stored_attributes {
  std::string text;
  bool merged_here = false; ///< The entity's own merge, not one redone on newer text.
};

// A version mismatch in storage means another actor (a takeover, a restore
// by POST) changed the resource: drop the cache so the next call reloads.
scim_reply stale_or(self_ptr self, const scim::error& e) {
  if (e.code != error_code::precondition_failed)
    return scim_reply::failure(e);
  self->state.loaded = false;
  return scim_reply::failure(error_code::unavailable, "the resource changed concurrently, retry");
}

// Runs a deleting job; once committed the actor answers 404 from then on.
void remove(self_ptr self, write_job job, caf::typed_response_promise<scim_reply> rp) {
  self->request(self->state.ctx->writer, caf::infinite, std::move(job))
    .await(
      [self, rp](write_ack& ack) mutable {
        if (ack.error) {
          rp.deliver(stale_or(self, *ack.error));
          return;
        }
        self->state.gone = true;
        self->state.user.reset();
        self->state.group.reset();
        rp.deliver(no_content());
      },
      [rp](caf::error&) mutable { rp.deliver(internal_failure()); });
}

// Loads the resource into the cache; `then` runs with the mailbox still
// suspended, so no other call sees a half-loaded actor.
template <class Then>
void load(self_ptr self, Then then) {
  auto& st = self->state;
  auto user_slot = std::make_shared<std::optional<persistence::user_row>>();
  auto group_slot = std::make_shared<std::optional<persistence::group_row>>();
  auto job = read_job{[dir = st.directory_id, id = st.id, kind = st.kind, user_slot,
                       group_slot](persistence::reader& db) {
    if (kind == resource_kind::user)
      *user_slot = db.user(dir, id);
    else
      *group_slot = db.group(dir, id);
    return scim_reply{};
  }};
  self->request(st.ctx->reader(), caf::infinite, std::move(job))
    .await(
      [self, user_slot, group_slot, then](scim_reply&) mutable {
        auto& st = self->state;
        st.loaded = true;
        st.user = std::move(*user_slot);
        st.group = std::move(*group_slot);
        st.doc_version = -1;
        st.gone = !st.user && !st.group;
        then();
      },
      [self, then](caf::error&) mutable { then(); });
}

} // namespace

void entity_state::handle(self_ptr self, scim_call& call, caf::typed_response_promise<scim_reply> rp) {
  if (!loaded) {
    rp.deliver(scim_reply::failure(error_code::unavailable, "storage is unavailable, retry later"));
    return;
  }
  if (gone) {
    rp.deliver(scim_reply::failure(error_code::not_found,
                                   std::string{kind == resource_kind::user ? "User " : "Group "} + id
                                     + " not found"));
    return;
  }
  auto version = kind == resource_kind::user ? user->version : group->version;
  if (!if_match_admits(call.if_match, version)) {
    rp.deliver(scim_reply::failure(error_code::precondition_failed,
                                   "If-Match does not match the current version"));
    return;
  }
  if (kind == resource_kind::user)
    handle_user(self, call, std::move(rp));
  else
    handle_group(self, call, std::move(rp));
}

const nlohmann::json& entity_state::parsed() {
  bool is_user = kind == resource_kind::user;
  auto version = is_user ? user->version : group->version;
  if (doc_version != version) {
    doc = scim::parse_json(is_user ? user->resource : group->resource);
    doc_version = version;
    doc_canonical = false;
  }
  return doc;
}

const nlohmann::json& entity_state::canonical() {
  // Otherwise a first PATCH after loading validates the stored and the
  // patched resource in full (validate_stored twice, 19k instructions
  // each), and a PATCH on a user not touched for a while, the usual one
  // from an IdP, costs almost twice one on a live user (callgrind).
  parsed();
  if (!doc_canonical) {
    // The parsed copy moves in; a row that does not validate (none that
    // dirsync wrote) is parsed again and left as it is.
    if (auto valid = scim::validate_stored(kind, std::move(doc))) {
      doc = std::move(valid.value());
      doc_canonical = true;
    } else {
      doc_version = -1; // `doc` was moved from
      parsed();
    }
  }
  return doc;
}

const nlohmann::json& entity_state::parsed_attributes() {
  if (attrs_text != user->attributes) {
    attrs = scim::parse_json(user->attributes);
    attrs_text = user->attributes;
  }
  return attrs;
}

void entity_state::write_user(self_ptr self, persistence::user_row row, nlohmann::json stored, nlohmann::json pushed,
                              bool enroll_on_push, scim::projection proj, caf::typed_response_promise<scim_reply> rp) {
  auto expected_version = user->version;
  auto now = row.last_modified;
  // U9: deactivation sends the user to the Trash, reactivation restores it.
  std::string action = "user.update";
  if (!row.active) {
    row.trashed_at = user->trashed_at ? user->trashed_at : std::optional<std::string>{now};
    row.trash_reason = user->trash_reason.empty() ? "deactivated" : user->trash_reason;
    if (!user->trashed_at)
      action = "user.deactivate";
  } else if (user->trashed_at) {
    action = "user.restore";
  }
  auto details = changed_fields(parsed(), stored);
  std::optional<lifecycle::environment> enroll;
  if (enroll_on_push)
    enroll = lifecycle::environment{now, ctx->time->now(), ctx->options.public_url, ctx->ids};
  // The reply's groups are read inside the write, so the answer is what
  // committed and needs no second read.
  auto groups = std::make_shared<std::vector<persistence::member_row>>();
  bool wants_groups = scim::wants_members(resource_kind::user, proj);
  // The job and the reply share the row: no copy of its resource text each.
  auto shared = std::make_shared<const persistence::user_row>(std::move(row));
  // D12: the mapped attributes follow the push, merged here into the cached
  // ones. The writer reads the stored text inside its batch: when an admin
  // changed it meanwhile, it merges into that instead, so the admin's edits
  // of the unmapped attributes are kept. A push that changes no mapped value
  // leaves the text as it is.
  const auto& current = parsed_attributes();
  auto expected_attrs = user->attributes;
  std::optional<nlohmann::json> merged_doc;
  if (scim::mapping::merge_changes(current, pushed))
    merged_doc = scim::mapping::merge(current, pushed);
  auto merged_attrs = merged_doc ? scim::dump_canonical(*merged_doc) : expected_attrs;
  // The keys as cached at expected_version: the writer need not read them.
  persistence::writer::user_snapshot seen{user->user_name, user->external_id, std::move(expected_attrs),
                                          std::move(merged_attrs)};
  auto stored_attrs = std::make_shared<stored_attributes>();
  auto job = write_job{[shared, expected_version, action, details = std::move(details), pushed = std::move(pushed),
                        seen = std::move(seen), stored_attrs, enroll, groups, wants_groups](persistence::writer& db) {
    const auto& row = *shared;
    // Stored as merged here unless the writer finds other stored text.
    *stored_attrs = stored_attributes{seen.merged, true};
    auto merge = [&](const std::string& stored) {
      auto& out = *stored_attrs;
      out.merged_here = stored == seen.attributes;
      out.text = out.merged_here ? seen.merged
                                 : scim::dump_canonical(scim::mapping::merge(
                                     scim::parse_json(stored), pushed));
      return out.text;
    };
    if (auto r = db.update_user(row, expected_version, merge, &seen); !r)
      return r;
    if (wants_groups)
      *groups = db.groups_of_user(row.id);
    if (auto r = db.append_action(row.last_modified, "directory", row.directory_id, action, "user", row.id,
                                  scim::dump_canonical(details), "ok");
        !r)
      return r;
    // E1: an update may make the user eligible for enrollment.
    if (enroll)
      if (auto r = lifecycle::maybe_enroll(db, *enroll, row.id, "directory", row.directory_id); !r)
        return scim::expected<scim::unit>{r.err()};
    return scim::expected<scim::unit>{scim::unit{}};
  }, true};
  self->request(ctx->writer, caf::infinite, std::move(job))
    .await(
      [self, shared, stored = std::move(stored), stored_attrs, merged_doc = std::move(merged_doc), proj, rp,
       groups](write_ack& ack) mutable {
        auto& st = self->state;
        if (ack.error) {
          rp.deliver(stale_or(self, *ack.error));
          return;
        }
        st.user = *shared;
        st.user->attributes = std::move(stored_attrs->text);
        // Stored as merged above: its parsed form is at hand, no parse next time.
        if (stored_attrs->merged_here && merged_doc) {
          st.attrs = std::move(*merged_doc);
          st.attrs_text = st.user->attributes;
        }
        st.doc = std::move(stored);
        st.doc_version = shared->version;
        st.doc_canonical = true; // normalize_resource's or apply_patch's output
        rp.deliver(user_reply(*st.user, st.doc, *groups, proj, 200, st.ctx->options.base_url));
      },
      [rp](caf::error&) mutable { rp.deliver(internal_failure()); });
}

void entity_state::handle_user(self_ptr self, scim_call& call, caf::typed_response_promise<scim_reply> rp) {
  auto proj = scim::parse_projection(kind, call.attributes, call.excluded_attributes);
  if (!proj) {
    rp.deliver(scim_reply::failure(proj.err()));
    return;
  }
  auto now = ctx->now_text();
  switch (call.method) {
    case scim_method::remove: {
      // U9: a SCIM DELETE trashes the user; it is purged after 7 days unless
      // the directory provisions it again.
      auto row = *user;
      row.trashed_at = row.trashed_at ? row.trashed_at : std::optional<std::string>{now};
      row.trash_reason = "deleted";
      row.last_modified = now;
      row.version = user->version + 1;
      auto job = write_job{[row, expected = user->version](persistence::writer& db) {
        if (auto r = db.update_user(row, expected); !r)
          return r;
        return db.append_action(row.last_modified, "directory", row.directory_id, "user.trash", "user",
                                row.id, nlohmann::json{{"reason", "deleted"}}.dump(), "ok");
      }, true};
      remove(self, std::move(job), std::move(rp));
      return;
    }
    case scim_method::replace: {
      auto norm = scim::normalize_resource(kind, std::move(call.body)); // the body is not read again
      if (!norm) {
        rp.deliver(scim_reply::failure(norm.err()));
        return;
      }
      auto row = make_user_row(norm->resource, id, directory_id, user->created, now, user->version + 1);
      auto pushed = pushed_values(call, norm->resource);
      write_user(self, std::move(row), std::move(norm->resource), std::move(pushed), call.enroll, *proj,
                 std::move(rp));
      return;
    }
    case scim_method::patch: {
      const auto& doc = canonical();
      auto result = patched(kind, doc, doc_canonical, call.body);
      if (!result) {
        rp.deliver(scim_reply::failure(result.err()));
        return;
      }
      if (!result->changed) {
        auto row = *user;
        auto base = ctx->options.base_url;
        rp.delegate(ctx->reader(), read_job{[row, p = *proj, base](persistence::reader& db) {
                      return user_reply(db, row, p, 200, base);
                    }});
        return;
      }
      auto row = make_user_row(result->resource, id, directory_id, user->created, now, user->version + 1);
      auto pushed = pushed_values(call, result->resource);
      write_user(self, std::move(row), std::move(result->resource), std::move(pushed), call.enroll, *proj,
                 std::move(rp));
      return;
    }
    default:
      rp.deliver(scim_reply::failure(error_code::method_not_allowed, "unsupported operation"));
  }
}

void entity_state::handle_group(self_ptr self, scim_call& call, caf::typed_response_promise<scim_reply> rp) {
  auto proj = scim::parse_projection(kind, call.attributes, call.excluded_attributes);
  if (!proj) {
    rp.deliver(scim_reply::failure(proj.err()));
    return;
  }
  auto now = ctx->now_text();
  persistence::group_row row;
  nlohmann::json after; // row.resource, parsed
  persistence::membership_change members;
  bool want_body = false;
  switch (call.method) {
    case scim_method::remove: {
      auto job = write_job{[dir = directory_id, id = id, now](persistence::writer& db) {
        if (auto r = db.delete_group(dir, id); !r)
          return r;
        return db.append_action(now, "directory", dir, "group.delete", "group", id, "{}", "ok");
      }, true};
      remove(self, std::move(job), std::move(rp));
      return;
    }
    case scim_method::replace: {
      auto norm = scim::normalize_resource(kind, std::move(call.body)); // the body is not read again
      if (!norm) {
        rp.deliver(scim_reply::failure(norm.err()));
        return;
      }
      row = make_group_row(norm->resource, id, directory_id, group->created, now, group->version + 1);
      after = std::move(norm->resource);
      members.replace_all = true;
      if (norm->members)
        for (auto& m : *norm->members)
          members.add.push_back(m.value);
      want_body = true;
      break;
    }
    case scim_method::patch: {
      const auto& doc = canonical();
      auto result = patched(kind, doc, doc_canonical, call.body);
      if (!result) {
        rp.deliver(scim_reply::failure(result.err()));
        return;
      }
      want_body = !call.attributes.empty() || !call.excluded_attributes.empty();
      if (!result->changed) {
        if (!want_body) {
          rp.deliver(no_content());
          return;
        }
        auto cached = *group;
        auto base = ctx->options.base_url;
        rp.delegate(ctx->reader(), read_job{[cached, p = *proj, base](persistence::reader& db) {
                      return group_reply(db, cached, p, 200, base);
                    }});
        return;
      }
      row = make_group_row(result->resource, id, directory_id, group->created, now, group->version + 1);
      after = std::move(result->resource);
      members.add = std::move(result->members.add);
      members.remove = std::move(result->members.remove);
      members.replace_all = result->members.replace_all;
      break;
    }
    default:
      rp.deliver(scim_reply::failure(error_code::method_not_allowed, "unsupported operation"));
      return;
  }
  auto expected_version = group->version;
  auto details = changed_fields(parsed(), after);
  if (!members.add.empty())
    details["members_added"] = members.add;
  if (!members.remove.empty())
    details["members_removed"] = members.remove;
  if (members.replace_all)
    details["members_replaced"] = true;
  auto job = write_job{[row, members, expected_version, details](persistence::writer& db) {
    if (auto r = db.update_group(row, expected_version); !r)
      return r;
    if (auto r = db.change_members(row.directory_id, row.id, members); !r)
      return r;
    return db.append_action(row.last_modified, "directory", row.directory_id, "group.update", "group",
                            row.id, scim::dump_canonical(details), "ok");
  }, true};
  self->request(ctx->writer, caf::infinite, std::move(job))
    .await(
      [self, row, rp, want_body, p = *proj](write_ack& ack) mutable {
        auto& st = self->state;
        if (ack.error) {
          rp.deliver(stale_or(self, *ack.error));
          return;
        }
        st.group = row;
        if (!want_body) {
          rp.deliver(no_content());
          return;
        }
        auto base = st.ctx->options.base_url;
        rp.delegate(st.ctx->reader(), read_job{[row, p, base](persistence::reader& db) {
                      return group_reply(db, row, p, 200, base);
                    }});
      },
      [rp](caf::error&) mutable { rp.deliver(internal_failure()); });
}

entity_actor::behavior_type entity_behavior(self_ptr self, context_ptr ctx, directory_actor directory,
                                            std::string directory_id, std::string id,
                                            scim::resource_kind kind) {
  auto& st = self->state;
  st.ctx = std::move(ctx);
  st.directory = std::move(directory);
  st.directory_id = std::move(directory_id);
  st.id = std::move(id);
  st.kind = kind;
  auto& live = kind == resource_kind::user ? st.ctx->live_users : st.ctx->live_groups;
  ++live;
  // The functor may run after the state is gone: it keeps its own context.
  self->attach_functor([ctx = st.ctx, kind] {
    --(kind == resource_kind::user ? ctx->live_users : ctx->live_groups);
  });
  return {
    [self](scim_call& call) -> caf::result<scim_reply> {
      auto& st = self->state;
      ++st.handled;
      st.last_call = self->clock().now();
      // One idle timer at a time, not one per call: each delayed message
      // wakes CAF's clock thread and stays queued there for the whole idle
      // period (at 10,000 PATCHes/s and 60 s, 600,000 of them), and each
      // later comes back as a message of its own. The timer checks on
      // firing whether a call came meanwhile and then waits the rest.
      if (!st.idle_armed) {
        st.idle_armed = true;
        self->delayed_send(self, st.ctx->options.passivate_after, idle_atom::value);
      }
      auto rp = self->make_response_promise<scim_reply>();
      if (!st.loaded)
        load(self, [self, call, rp]() mutable { self->state.handle(self, call, rp); });
      else
        st.handle(self, call, rp);
      return rp;
    },
    [self](idle_atom) {
      auto& st = self->state;
      auto idle_for = self->clock().now() - st.last_call;
      auto limit = std::chrono::duration_cast<caf::actor_clock::duration_type>(st.ctx->options.passivate_after);
      if (idle_for < limit) {
        self->delayed_send(self, limit - idle_for, idle_atom::value);
        return;
      }
      // The directory stops this actor only if it has handled every call
      // routed to it; a call already on its way arms the timer again.
      st.idle_armed = false;
      self->send(st.directory, passivate_atom::value, st.id, st.handled);
    },
    [self](evict_atom) {
      // Asked by the directory past actors.max_live: the same handshake as
      // the idle timer's, without waiting for the idle period.
      auto& st = self->state;
      self->send(st.directory, passivate_atom::value, st.id, st.handled);
    },
    [self](reload_atom) {
      auto& st = self->state;
      st.loaded = false;
      st.gone = false;
      st.user.reset();
      st.group.reset();
    },
    [self](stop_atom) { self->quit(); },
  };
}

} // namespace dirsync::actors
