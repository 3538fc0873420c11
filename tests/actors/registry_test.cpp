// Registry, directory and entity actors wired like runtime::start on CAF's test
// coordinator: auth (D6, D9), CRUD, serialized PATCHes, S9, passivation.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "ask.hpp"

#include "actors/context.hpp"
#include "actors/reader.hpp"
#include "actors/registry.hpp"
#include "actors/services.hpp"
#include "actors/writer.hpp"
#include "persistence/store.hpp"
#include "scim/schema.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace dirsync;
using namespace dirsync::actors;
using nlohmann::json;
using scim::error_code;

namespace {

using test::ask;
using test::outcome;

// Ids 00000000-0000-4000-8000-000000000001, ...2, ...: predictable in tests.
struct counting_ids final : id_source {
  std::string new_id() override {
    auto n = std::to_string(++next_);
    return "00000000-0000-4000-8000-" + std::string(12 - n.size(), '0') + n;
  }
  std::string new_secret(std::size_t) override { return "secret-" + std::to_string(++next_); }
  int next_ = 0;
};

// 2026-01-01T00:00:00Z
const clock::time_point start_time{std::chrono::seconds{1767225600}};

// The actor world of runtime::start on the test coordinator.
struct world {
  fs::path dir;
  std::unique_ptr<persistence::backend> db;
  std::unique_ptr<persistence::reader> look;
  metrics::registry metrics;
  manual_clock time{start_time};
  counting_ids ids;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  context_ptr ctx;
  registry_actor registry;

  explicit world(actor_options opts = {}) {
    static std::atomic<int> seq{0};
    dir = fs::temp_directory_path()
          / ("dirsync-registry-" + std::to_string(::getpid()) + "-" + std::to_string(seq++));
    fs::remove_all(dir);
    db = persistence::make_sqlite_backend({(dir / "dirsync.db").string(), "full"});
    REQUIRE(db->migrate() == "");
    std::string err;
    auto wdb = std::shared_ptr<persistence::writer>(db->open_writer(err));
    REQUIRE(wdb);
    look = db->open_reader(err);
    REQUIRE(look);
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sys->await_actors_before_shutdown(false);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    ctx = std::make_shared<context>();
    ctx->options = opts;
    ctx->time = &time;
    ctx->ids = &ids;
    ctx->metrics = &metrics;
    ctx->writer = sys->spawn(spawn_writer_behavior, wdb,
                             writer_config{opts.max_batch, opts.max_commit_delay, &metrics});
    for (int i = 0; i < 2; ++i) {
      auto rdb = std::shared_ptr<persistence::reader>(db->open_reader(err));
      REQUIRE(rdb);
      ctx->readers.push_back(sys->spawn(reader_behavior, rdb));
    }
    sched->run();
  }

  ~world() {
    // Idle entities passivate first, while ctx is still held here (see the
    // shutdown test below).
    do
      sched->run();
    while (sched->trigger_timeouts() > 0);
    if (registry)
      caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    if (ctx) {
      for (auto& r : ctx->readers)
        caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(ctx->writer, caf::exit_reason::user_shutdown);
    }
    sched->run();
    registry = nullptr;
    ctx.reset();
    sys.reset();
    look.reset();
    db.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  // Stores a directory through the writer actor (before the registry starts).
  void add_directory(const std::string& id, const std::string& token, bool paused = false,
                     std::optional<std::string> expires = std::nullopt, std::string state = "active") {
    persistence::directory_row row;
    row.id = id;
    row.type = "generic";
    row.name = "Directory " + id;
    row.state = std::move(state);
    row.paused = paused;
    row.token_hash = sha256_hex(token);
    row.token_expires_at = std::move(expires);
    row.created = format_time(time.now());
    auto ack = ask<write_ack>(*sys, ctx->writer, write_job{[row](persistence::writer& w) {
                                return w.insert_directory(row);
                              }});
    sched->run();
    REQUIRE(ack->reply);
    REQUIRE_FALSE(ack->reply->error);
  }

  void start() {
    registry = sys->spawn(registry_behavior, ctx, look->directories());
    sched->run();
  }

  std::shared_ptr<outcome<scim_reply>> send(scim_call c) {
    return ask<scim_reply>(*sys, registry, std::move(c));
  }

  scim_reply call(scim_call c) {
    auto out = send(std::move(c));
    sched->run();
    REQUIRE(out->reply);
    return test::with_parsed_body(*out->reply);
  }
};

scim_call make_call(scim_method m, scim::resource_kind kind, std::string token, std::string id = {},
                    json body = {}) {
  scim_call c;
  c.method = m;
  c.kind = kind;
  c.token = std::move(token);
  c.id = std::move(id);
  c.body = std::move(body);
  return c;
}

constexpr auto user_kind = scim::resource_kind::user;
constexpr auto group_kind = scim::resource_kind::group;

json new_user(const std::string& name) {
  return {{"schemas", json::array({std::string{scim::user_urn}})}, {"userName", name}};
}

json patch_body(const std::string& op, const std::string& path, json value) {
  return {{"schemas", json::array({std::string{scim::patch_op_urn}})},
          {"Operations", json::array({{{"op", op}, {"path", path}, {"value", std::move(value)}}})}};
}

// Creates a user and returns its id.
std::string create_user(world& w, const std::string& token, const std::string& name) {
  auto r = w.call(make_call(scim_method::create, user_kind, token, {}, new_user(name)));
  REQUIRE(r.status == 201);
  REQUIRE_FALSE(r.error);
  return r.body.at("id").get<std::string>();
}

// Starts `w` with directory dA (token tok-A) and one user, alice; her id.
std::string start_with_alice(world& w) {
  w.add_directory("dA", "tok-A");
  w.start();
  return create_user(w, "tok-A", "alice");
}

// Moves the test clock by `d`, runs what became due, and counts the live
// user actors.
std::int64_t live_users_after(world& w, caf::timespan d) {
  w.sched->advance_time(d);
  w.sched->run();
  return w.ctx->live_users.load();
}

// Rewrites a stored user through the writer at the same version, behind
// the actors' backs (as a hand edit or older code could leave a row).
void rewrite_user(world& w, const std::string& id, const std::function<void(persistence::user_row&)>& change) {
  auto row = w.look->user("dA", id);
  REQUIRE(row);
  change(*row);
  auto ack = ask<write_ack>(*w.sys, w.ctx->writer, write_job{[row = *row](persistence::writer& db) {
                              return db.update_user(row, row.version);
                            }});
  w.sched->run();
  REQUIRE(ack->reply);
  REQUIRE_FALSE(ack->reply->error);
}

// Sets a stored user's displayName behind the actors' backs (rewrite_user):
// a live actor still answers the name it cached, a reloaded one this.
void rename_behind(world& w, const std::string& id, const std::string& display) {
  rewrite_user(w, id, [&](persistence::user_row& row) {
    auto doc = json::parse(row.resource);
    doc["displayName"] = display;
    row.resource = doc.dump();
    row.display_name = display;
  });
}

// Replaces the one occurrence of `from` in `text`.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  text.replace(at, from.size(), to);
}

// Entity actors that passivate after 1 s idle.
actor_options passivating() {
  actor_options opts;
  opts.passivate_after = 1s;
  return opts;
}

} // namespace

TEST_CASE("a user is created, read, patched and deleted through the registry", "[actors]") {
  world w;
  w.add_directory("dA", "tok-A");
  w.start();

  auto created = w.call(make_call(scim_method::create, user_kind, "tok-A", {}, new_user("alice")));
  REQUIRE_FALSE(created.error);
  CHECK(created.status == 201);
  auto id = created.body.at("id").get<std::string>();
  CHECK(id == "00000000-0000-4000-8000-000000000001");
  CHECK(created.location == w.ctx->options.base_url + "/Users/" + id);
  CHECK(created.body["meta"]["created"] == "2026-01-01T00:00:00.000Z");
  auto dup = w.call(make_call(scim_method::create, user_kind, "tok-A", {}, new_user("ALICE")));
  CHECK(dup.status == 409);

  auto got = w.call(make_call(scim_method::get, user_kind, "tok-A", id));
  REQUIRE_FALSE(got.error);
  CHECK(got.status == 200);
  CHECK(got.body["userName"] == "alice");
  auto first_etag = got.etag;
  CHECK(got.body["meta"]["version"] == first_etag);

  w.time.advance(1min);
  auto patched = w.call(make_call(scim_method::patch, user_kind, "tok-A", id,
                                  patch_body("replace", "displayName", "Alice L")));
  REQUIRE_FALSE(patched.error);
  CHECK(patched.status == 200);
  CHECK(patched.body["displayName"] == "Alice L");
  CHECK(patched.etag != first_etag);
  CHECK(patched.body["meta"]["lastModified"] == "2026-01-01T00:01:00.000Z");
  CHECK(w.look->user("dA", id)->version == 2);
  CHECK(w.ctx->live_users.load() == 1);
  // A stale If-Match is refused by the entity actor.
  auto stale = make_call(scim_method::patch, user_kind, "tok-A", id, patch_body("replace", "displayName", "x"));
  stale.if_match = first_etag;
  auto refused = w.call(stale);
  REQUIRE(refused.error);
  CHECK(refused.error->code == error_code::precondition_failed);
  CHECK(refused.status == 412);

  CHECK(w.call(make_call(scim_method::remove, user_kind, "tok-A", id)).status == 204);
  auto gone = w.call(make_call(scim_method::get, user_kind, "tok-A", id));
  REQUIRE(gone.error);
  CHECK(gone.status == 404);
  CHECK(gone.error->code == error_code::not_found);
  CHECK(w.call(make_call(scim_method::remove, user_kind, "tok-A", id)).status == 404);
}

TEST_CASE("two PATCHes queued to one group both apply", "[actors]") {
  world w;
  w.add_directory("dA", "tok-A");
  w.start();
  auto u1 = create_user(w, "tok-A", "alice");
  auto u2 = create_user(w, "tok-A", "bob");
  auto g = w.call(make_call(scim_method::create, group_kind, "tok-A", {},
                            {{"schemas", json::array({std::string{scim::group_urn}})}, {"displayName", "Staff"}}));
  REQUIRE(g.status == 201);
  auto gid = g.body.at("id").get<std::string>();

  // Both in flight before anything runs: the group actor serializes them.
  auto p1 = w.send(make_call(scim_method::patch, group_kind, "tok-A", gid,
                             patch_body("add", "members", json::array({{{"value", u1}}}))));
  auto p2 = w.send(make_call(scim_method::patch, group_kind, "tok-A", gid,
                             patch_body("add", "members", json::array({{{"value", u2}}}))));
  w.sched->run();
  REQUIRE(p1->reply);
  REQUIRE(p2->reply);
  CHECK_FALSE(p1->reply->error);
  CHECK_FALSE(p2->reply->error);
  CHECK(p1->reply->status == 204);
  CHECK(p2->reply->status == 204);
  CHECK(w.look->members_of_group(gid).size() == 2);
  CHECK(w.look->group("dA", gid)->version == 3);
  CHECK(w.ctx->live_groups.load() == 1);

  auto shown = w.call(make_call(scim_method::get, group_kind, "tok-A", gid));
  CHECK(shown.body["members"].size() == 2);
  // Deleting the group keeps its users.
  CHECK(w.call(make_call(scim_method::remove, group_kind, "tok-A", gid)).status == 204);
  CHECK(w.look->user("dA", u1));
}

TEST_CASE("one directory's token cannot reach another's objects (S9)", "[actors]") {
  world w;
  w.add_directory("dA", "tok-A");
  w.add_directory("dB", "tok-B");
  w.start();
  auto id = create_user(w, "tok-A", "alice");
  CHECK(w.call(make_call(scim_method::get, user_kind, "tok-B", id)).status == 404);
  auto patch = w.call(make_call(scim_method::patch, user_kind, "tok-B", id,
                                patch_body("replace", "displayName", "stolen")));
  CHECK(patch.status == 404);
  CHECK(w.call(make_call(scim_method::remove, user_kind, "tok-B", id)).status == 404);
  auto list = w.call(make_call(scim_method::list, user_kind, "tok-B"));
  CHECK(list.status == 200);
  CHECK(list.body["totalResults"] == 0);
  CHECK(w.look->user("dA", id)->version == 1);
}

TEST_CASE("pushes are refused for missing, unknown, expired tokens and paused directories", "[actors]") {
  world w;
  w.add_directory("dOk", "tok-ok", false, format_time(start_time + 1h));
  w.add_directory("dPaused", "tok-paused", true);
  w.add_directory("dExpired", "tok-expired", false, format_time(start_time - 1s));
  w.add_directory("dDraft", "tok-draft", false, std::nullopt, "draft");
  w.start();
  auto list = [&](const std::string& token) {
    return w.call(make_call(scim_method::list, user_kind, token));
  };

  auto refused = [&](const std::string& token, int status, error_code code) {
    auto r = list(token);
    REQUIRE(r.error);
    CHECK(r.status == status);
    CHECK(r.error->code == code);
  };
  CHECK(list("tok-ok").status == 200);
  refused("", 401, error_code::unauthorized);
  refused("tok-nope", 401, error_code::unauthorized);
  refused("tok-paused", 403, error_code::forbidden);
  refused("tok-expired", 401, error_code::token_expired);
  refused("tok-draft", 401, error_code::unauthorized);

  // The injected clock moves past the first token's expiry.
  w.time.advance(2h);
  refused("tok-ok", 401, error_code::token_expired);
  // Writes are refused as well, and nothing is stored.
  auto create = w.call(make_call(scim_method::create, user_kind, "tok-ok", {}, new_user("late")));
  CHECK(create.status == 401);
  CHECK(w.look->find_users("dOk", {})->total == 0);
}

TEST_CASE("a user actor loaded from a row older code wrote PATCHes its canonical form", "[actors]") {
  // A reloaded entity makes the stored resource canonical once, then
  // validates only what a PATCH touches: a PATCH that changes nothing still
  // writes nothing, and a change stores the canonical form.
  world w{passivating()};
  w.add_directory("dA", "tok-A");
  w.start();
  auto body = new_user("alice");
  body["title"] = "Engineer";
  auto created = w.call(make_call(scim_method::create, user_kind, "tok-A", {}, body));
  REQUIRE(created.status == 201);
  auto id = created.body.at("id").get<std::string>();
  REQUIRE(live_users_after(w, 2s) == 0);
  // The attribute name in another case, as a hand edit or older code could
  // have stored it.
  rewrite_user(w, id, [](persistence::user_row& row) { replace_once(row.resource, R"("title")", R"("TITLE")"); });
  auto patch = [&](const std::string& path, json value) {
    return w.call(make_call(scim_method::patch, user_kind, "tok-A", id, patch_body("replace", path, std::move(value))));
  };
  auto same = patch("title", "Engineer");
  REQUIRE_FALSE(same.error);
  CHECK(same.status == 200);
  CHECK(w.look->user("dA", id)->version == 1);

  w.time.advance(1min);
  auto changed = patch("displayName", "Alice L");
  REQUIRE_FALSE(changed.error);
  CHECK(changed.body["title"] == "Engineer");
  CHECK(changed.body["displayName"] == "Alice L");
  auto row = w.look->user("dA", id);
  CHECK(row->version == 2);
  auto stored = json::parse(row->resource);
  CHECK(stored["title"] == "Engineer");
  CHECK_FALSE(stored.contains("TITLE"));

  // A row that does not validate at all (its userName gone) is patched as
  // it was stored: a PATCH that puts the userName back keeps the rest.
  REQUIRE(live_users_after(w, 2s) == 0);
  rewrite_user(w, id, [](persistence::user_row& row) {
    replace_once(row.resource, R"("userName":"alice")", R"("nickName":"al")");
  });
  auto repaired = patch("userName", "alice");
  REQUIRE_FALSE(repaired.error);
  CHECK(repaired.body["userName"] == "alice");
  CHECK(repaired.body["nickName"] == "al");
  CHECK(repaired.body["title"] == "Engineer");
  CHECK(w.look->user("dA", id)->version == 3);
}

TEST_CASE("an idle entity actor passivates and is reloaded on the next call", "[actors]") {
  world w{passivating()};
  auto id = start_with_alice(w);
  auto patch = [&](const std::string& name) {
    return w.call(make_call(scim_method::patch, user_kind, "tok-A", id,
                            patch_body("replace", "displayName", name)));
  };
  CHECK(patch("one").status == 200);
  CHECK(w.ctx->live_users.load() == 1);

  // Not idle long enough yet.
  CHECK(live_users_after(w, 500ms) == 1);
  CHECK(live_users_after(w, 2s) == 0);

  // The next call spawns a fresh actor that reloads the stored version.
  auto again = patch("two");
  REQUIRE_FALSE(again.error);
  CHECK(again.status == 200);
  CHECK(again.body["displayName"] == "two");
  CHECK(w.look->user("dA", id)->version == 3);
  CHECK(w.ctx->live_users.load() == 1);

  // A call already on its way when the idle timer fires is not lost.
  auto pending = w.send(make_call(scim_method::patch, user_kind, "tok-A", id,
                                  patch_body("replace", "displayName", "three")));
  w.sched->advance_time(2s);
  w.sched->run();
  REQUIRE(pending->reply);
  CHECK(pending->reply->status == 200);
  CHECK(w.look->user("dA", id)->display_name == std::optional<std::string>{"three"});

  w.sched->trigger_timeouts();
  w.sched->run();
  CHECK(w.ctx->live_users.load() == 0);
}

TEST_CASE("D12 a live user actor's push keeps an admin's attribute edit made behind its back", "[actors]") {
  world w;
  auto id = start_with_alice(w);
  auto patch = [&](const std::string& path, json value) {
    auto r = w.call(make_call(scim_method::patch, user_kind, "tok-A", id, patch_body("replace", path, value)));
    REQUIRE(r.status == 200);
  };
  auto stored = [&] { return w.look->user("dA", id)->attributes; };
  patch("name.givenName", "Ada"); // the actor now caches the user and its attributes
  CHECK(json::parse(stored())["first_name"] == "Ada");

  // A push that changes no mapped value leaves the stored text as it was.
  auto before = stored();
  patch("active", false);
  CHECK(stored() == before);

  // An admin edits an unmapped attribute through the writer, not the actor.
  auto edited = json::parse(stored());
  edited["notes"] = "set by an admin";
  auto ack = ask<write_ack>(*w.sys, w.ctx->writer, write_job{[id, text = edited.dump()](persistence::writer& db) {
                              return db.set_user_attributes(id, text);
                            }});
  w.sched->run();
  REQUIRE(ack->reply);
  REQUIRE_FALSE(ack->reply->error);

  // The next push merges into what is stored, not into the actor's copy.
  patch("name.givenName", "Augusta");
  auto after = json::parse(stored());
  CHECK(after["first_name"] == "Augusta");
  CHECK(after["notes"] == "set by an admin");
  // And the actor now caches that text: a push without changes keeps it.
  before = stored();
  patch("active", true);
  CHECK(stored() == before);
  patch("name.givenName", "Ada");
  after = json::parse(stored());
  CHECK(after["first_name"] == "Ada");
  CHECK(after["notes"] == "set by an admin");
}

TEST_CASE("a busy entity keeps one idle timer and passivates a full idle period after its last call",
          "[actors]") {
  world w{passivating()};
  auto id = start_with_alice(w);
  auto timers = [&] { return w.sched->clock().schedule().size(); };
  auto before = timers(); // the directory's own timers, if any
  // 50 calls 100 ms apart: one pending idle timer throughout, not one per call.
  for (int i = 0; i < 50; ++i) {
    REQUIRE(w.call(make_call(scim_method::patch, user_kind, "tok-A", id,
                             patch_body("replace", "displayName", "n" + std::to_string(i))))
              .status == 200);
    CHECK(timers() <= before + 1);
    CHECK(live_users_after(w, 100ms) == 1); // never idle for 1 s
  }
  // The last call was 100 ms ago: 850 ms more is still under the idle limit.
  CHECK(live_users_after(w, 850ms) == 1);
  CHECK(live_users_after(w, 100ms) == 0);
  CHECK(timers() == before);
}

// Shutdown stops the directories and their entities at once, without
// waiting for idle timers. An entity is then the last holder of ctx: its
// attach_functor decrements ctx->live_users after CAF 0.17's on_exit()
// destroyed the state (the functor keeps its own reference; the sanitizer
// run of this test checks it).
TEST_CASE("shutdown stops a live entity at once and the last one out releases the context", "[actors]") {
  world w{passivating()};
  auto id = start_with_alice(w);
  CHECK(w.call(make_call(scim_method::patch, user_kind, "tok-A", id,
                         patch_body("replace", "displayName", "one")))
          .status == 200);
  CHECK(w.ctx->live_users.load() == 1);
  std::weak_ptr<context> weak = w.ctx;
  caf::anon_send_exit(w.registry, caf::exit_reason::user_shutdown);
  w.registry = nullptr;
  w.ctx.reset(); // only the directory and the entity hold it now
  w.sched->run(); // no time passes: no idle timer is waited for
  CHECK(weak.expired());
}

// Past actors.max_live, the directory asks its least recently called actor
// to stop. Which actors are live is probed through their cache: each user's
// stored displayName is changed behind the actors' backs at the same
// version. A live actor's next PATCH still answers (and writes) the name it
// cached; an actor started afresh loads the changed row.
TEST_CASE("past actors.max_live a directory stops its least recently called entity actor", "[actors]") {
  actor_options opts;
  opts.max_live = 2;
  world w{opts};
  w.add_directory("dA", "tok-A");
  w.start();
  std::map<std::string, std::string> ids;
  for (const auto* name : {"a", "b", "c"})
    ids[name] = create_user(w, "tok-A", name);
  auto patch = [&](const std::string& name, const std::string& title) {
    auto r = w.call(make_call(scim_method::patch, user_kind, "tok-A", ids[name],
                              patch_body("replace", "title", title)));
    REQUIRE(r.status == 200);
    return r.body.value("displayName", "");
  };
  int edits = 0;
  // Changes the stored displayName to a new value and returns it.
  auto edit_behind = [&](const std::string& name) {
    auto value = name + " (edit " + std::to_string(++edits) + ")";
    rename_behind(w, ids[name], value);
    return value;
  };
  auto live = [&] {
    w.sched->run();
    return w.ctx->live_users.load();
  };

  patch("a", "1");
  patch("b", "1");
  CHECK(live() == 2);
  patch("c", "1"); // a, called longest ago, is asked to stop
  CHECK(live() == 2);

  auto a1 = edit_behind("a");
  CHECK(patch("a", "2") == a1); // started afresh: the edit shows; b, now the oldest, stops
  CHECK(live() == 2);
  auto b1 = edit_behind("b");
  CHECK(patch("b", "2") == b1); // started afresh; c stops
  edit_behind("a");
  CHECK(patch("a", "3") == a1); // a stayed live: it answers from its cache
  CHECK(live() == 2);
  // By last call, not by start: b started after a, but a was called since,
  // so starting c stops b.
  auto c1 = edit_behind("c");
  CHECK(patch("c", "2") == c1); // c had stopped
  CHECK(live() == 2);
  edit_behind("a");
  CHECK(patch("a", "4") == a1); // still live
  auto b2 = edit_behind("b");
  CHECK(patch("b", "3") == b2); // had stopped
  CHECK(live() == 2);

  // Calls on their way to an actor asked to stop are all answered: b gets a
  // call, then c and a, then b again, before anything runs.
  std::vector<std::shared_ptr<outcome<scim_reply>>> pending;
  for (const auto* name : {"b", "c", "a", "b"})
    pending.push_back(w.send(make_call(scim_method::patch, user_kind, "tok-A", ids[name],
                                       patch_body("replace", "nickName", std::string{"n-"} + name))));
  w.sched->run();
  for (auto& p : pending) {
    REQUIRE(p->reply);
    CHECK(p->reply->status == 200);
  }
  for (const auto* name : {"a", "b", "c"})
    CHECK(json::parse(w.look->user("dA", ids[name])->resource).value("nickName", "") == std::string{"n-"} + name);
  CHECK(live() <= 3);

  // 0 is no bound: all stay until their idle timer.
  actor_options unbounded;
  unbounded.max_live = 0;
  world u{unbounded};
  u.add_directory("dA", "tok-A");
  u.start();
  for (int i = 0; i < 5; ++i) {
    auto id = create_user(u, "tok-A", "u" + std::to_string(i));
    REQUIRE(u.call(make_call(scim_method::patch, user_kind, "tok-A", id, patch_body("replace", "title", "t")))
              .status == 200);
  }
  u.sched->run();
  CHECK(u.ctx->live_users.load() == 5);
}

// An actor can have two stop requests on their way: its idle timer's and
// the one max_live's eviction asks for. The first stops it; the second,
// arriving after a call has started a new actor for the same id, must not
// stop that one (it comes from the old actor, whatever its count says).
TEST_CASE("a stop request from an entity actor that already stopped leaves its successor live", "[actors]") {
  actor_options opts = passivating();
  opts.max_live = 1;
  world w{opts};
  w.add_directory("dA", "tok-A");
  w.start();
  auto a = create_user(w, "tok-A", "a");
  auto b = create_user(w, "tok-A", "b");
  auto patch = [&](const std::string& id, const std::string& title) {
    return w.send(make_call(scim_method::patch, user_kind, "tok-A", id, patch_body("replace", "title", title)));
  };
  auto first = patch(a, "1");
  w.sched->run();
  REQUIRE(first->reply);
  REQUIRE(w.ctx->live_users.load() == 1); // a's actor, one call handled

  // A call for b reaches the directory; before it runs, a's idle timer
  // fires and a's actor asks to stop. The directory then starts b's actor
  // (asking a's to stop: max_live 1) and, answering the idle request,
  // stops a's actor, whose mailbox now holds the eviction and the stop.
  auto to_b = patch(b, "1");
  REQUIRE(w.sched->try_run_once()); // the asking helper
  REQUIRE(w.sched->try_run_once()); // the registry forwards the call
  REQUIRE(w.sched->jobs.size() == 1); // the directory, not yet run
  w.sched->advance_time(1s);
  REQUIRE(w.sched->jobs.size() == 2);
  REQUIRE(w.sched->try_run_once_lifo()); // a's actor: idle, asks to stop
  REQUIRE(w.sched->try_run_once());      // the directory: call for b, then a's request

  // A call for a starts a new actor for a before the old one has answered
  // the eviction with its second request.
  auto second = patch(a, "2");
  for (int hop = 0; hop < 3; ++hop) // helper, registry, directory
    REQUIRE(w.sched->try_run_once_lifo());
  w.sched->run();
  REQUIRE(to_b->reply);
  REQUIRE(second->reply);
  CHECK(second->reply->status == 200);
  // The new actor for a stays live (b's was asked to stop when it started).
  CHECK(w.ctx->live_users.load() == 1);
  auto edited = std::string{"a (edited)"};
  rename_behind(w, a, edited);
  auto third = patch(a, "3");
  w.sched->run();
  REQUIRE(third->reply);
  CHECK(test::with_parsed_body(*third->reply).body.value("displayName", "") != edited); // answered from its cache
}
