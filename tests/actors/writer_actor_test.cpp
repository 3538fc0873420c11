// The group-commit writer actor under CAF's deterministic scheduler (S8):
// acks only after the commit, batches bounded by max_batch, a failing job
// does not spoil its batch, whether it ran in a savepoint or is undone by
// running its batch again.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "ask.hpp"

#include "actors/protocol.hpp"
#include "actors/writer.hpp"
#include "config/metrics.hpp"
#include "persistence/store.hpp"

namespace fs = std::filesystem;
using namespace dirsync;
using namespace dirsync::actors;

namespace {

using test::ask;
using test::outcome;

persistence::user_row user(const std::string& id, const std::string& name) {
  persistence::user_row u;
  u.id = id;
  u.directory_id = "dA";
  u.user_name = name;
  u.created = "2026-01-01T00:00:00.000Z";
  u.last_modified = u.created;
  u.resource = "{}";
  return u;
}

// A migrated database, a writer actor on the test coordinator, and a reader
// connection of the test's own to look at what is committed.
struct writer_world {
  fs::path dir;
  std::unique_ptr<persistence::backend> db;
  std::unique_ptr<persistence::reader> look;
  metrics::registry metrics;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  writer_actor writer;

  explicit writer_world(std::size_t max_batch, std::size_t commit_yields = 0) {
    static std::atomic<int> seq{0};
    dir = fs::temp_directory_path()
          / ("dirsync-wactor-" + std::to_string(::getpid()) + "-" + std::to_string(seq++));
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
    writer = sys->spawn(spawn_writer_behavior, wdb,
                        writer_config{max_batch, std::chrono::milliseconds{0}, &metrics, commit_yields});
    sched->run();
  }

  ~writer_world() {
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sched->run();
    writer = nullptr;
    sys.reset();
    look.reset();
    db.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  metrics::histogram& batch_sizes() {
    return metrics.histogram("dirsync_writer_batch_size", "Jobs per group commit");
  }

  double replays() {
    return metrics.counter("dirsync_writer_replays_total", "").value();
  }

  // The audit rows committed for `object`.
  std::size_t actions_on(const std::string& object) {
    persistence::action_query q;
    q.object = object;
    return look->actions(q).size();
  }

  // Runs single steps until `done` holds (or nothing is left to run).
  template <class Pred>
  void step_until(Pred done) {
    while (!done())
      REQUIRE(sched->try_run_once());
  }
};

using ack_ptr = std::shared_ptr<outcome<write_ack>>;

std::size_t acked(const std::vector<ack_ptr>& acks) {
  std::size_t n = 0;
  for (auto& a : acks)
    n += a->reply.has_value() ? 1 : 0;
  return n;
}

} // namespace

TEST_CASE("acks arrive only after the batch holding the jobs committed", "[actors]") {
  writer_world w{256};
  constexpr int jobs = 4;
  auto ran = std::make_shared<int>(0);
  std::vector<ack_ptr> acks;
  for (int i = 0; i < jobs; ++i) {
    auto id = "u" + std::to_string(i);
    acks.push_back(ask<write_ack>(*w.sys, w.writer, write_job{[id, ran](persistence::writer& db) {
                                    ++*ran;
                                    return db.insert_user(user(id, id));
                                  }}));
  }
  // Every job ran inside the open batch, and none is answered or visible yet.
  w.step_until([&] { return *ran == jobs; });
  CHECK(acked(acks) == 0);
  auto page = w.look->find_users("dA", {});
  REQUIRE(page);
  CHECK(page->total == 0);
  CHECK(w.batch_sizes().count() == 0);

  w.sched->run();
  CHECK(acked(acks) == jobs);
  for (auto& a : acks)
    CHECK_FALSE(a->reply->error);
  page = w.look->find_users("dA", {});
  REQUIRE(page);
  CHECK(page->total == jobs);
  // One group commit for the whole burst.
  CHECK(w.batch_sizes().count() == 1);
  CHECK(w.batch_sizes().sum() == Approx(jobs));
}

TEST_CASE("max_batch bounds the jobs of one commit", "[actors]") {
  writer_world w{2};
  constexpr int jobs = 5;
  // What each job saw committed (by another connection) when it ran.
  auto seen = std::make_shared<std::vector<std::int64_t>>();
  auto* look = w.look.get();
  std::vector<ack_ptr> acks;
  for (int i = 0; i < jobs; ++i) {
    auto id = "u" + std::to_string(i);
    acks.push_back(ask<write_ack>(*w.sys, w.writer, write_job{[id, seen, look](persistence::writer& db) {
                                    auto page = look->find_users("dA", {});
                                    seen->push_back(page ? page->total : -1);
                                    return db.insert_user(user(id, id));
                                  }}));
  }
  w.sched->run();
  CHECK(acked(acks) == jobs);
  // Batches {u0,u1}, {u2,u3}, {u4}: each commit is visible to the next batch.
  CHECK(*seen == std::vector<std::int64_t>{0, 0, 2, 2, 4});
  CHECK(w.batch_sizes().count() == 3);
  CHECK(w.batch_sizes().sum() == Approx(jobs));
  auto page = w.look->find_users("dA", {});
  REQUIRE(page);
  CHECK(page->total == jobs);
}

TEST_CASE("a failing job gets its error while the rest of its batch commits", "[actors]") {
  writer_world w{256};
  auto first = ask<write_ack>(*w.sys, w.writer, write_job{[](persistence::writer& db) {
                                return db.insert_user(user("u1", "alice"));
                              }});
  auto clash = ask<write_ack>(*w.sys, w.writer, write_job{[](persistence::writer& db) {
                                // Half-written then failing: the savepoint undoes the first insert.
                                if (auto r = db.insert_user(user("u9", "zoe")); !r)
                                  return r;
                                return db.insert_user(user("u2", "ALICE"));
                              }});
  auto last = ask<write_ack>(*w.sys, w.writer, write_job{[](persistence::writer& db) {
                               return db.insert_user(user("u3", "bob"));
                             }});
  w.sched->run();
  REQUIRE(first->reply);
  REQUIRE(clash->reply);
  REQUIRE(last->reply);
  CHECK_FALSE(first->reply->error);
  REQUIRE(clash->reply->error);
  CHECK(clash->reply->error->code == scim::error_code::uniqueness);
  CHECK_FALSE(last->reply->error);
  CHECK(w.batch_sizes().count() == 1);
  CHECK(w.batch_sizes().sum() == Approx(3));
  CHECK(w.look->user("dA", "u1"));
  CHECK(w.look->user("dA", "u3"));
  CHECK_FALSE(w.look->user("dA", "u2"));
  CHECK_FALSE(w.look->user("dA", "u9"));
}

TEST_CASE("a later burst opens a new batch", "[actors]") {
  writer_world w{256};
  auto a = ask<write_ack>(*w.sys, w.writer, write_job{[](persistence::writer& db) {
                            return db.insert_user(user("u1", "alice"));
                          }});
  w.sched->run();
  REQUIRE(a->reply);
  auto b = ask<write_ack>(*w.sys, w.writer, write_job{[](persistence::writer& db) {
                            return db.insert_user(user("u2", "bob"));
                          }});
  w.sched->run();
  REQUIRE(b->reply);
  CHECK_FALSE(b->reply->error);
  CHECK(w.batch_sizes().count() == 2);
  CHECK(w.look->user("dA", "u2"));
}

TEST_CASE("a writer told to stop commits its open batch and answers every job of it first", "[actors]") {
  writer_world w{256};
  auto ran = std::make_shared<bool>(false);
  auto ack = ask<write_ack>(*w.sys, w.writer, write_job{[ran](persistence::writer& db) {
                              *ran = true;
                              return db.insert_user(user("s1", "s1"));
                            }});
  // The asking actor runs and queues its job; the stop request lands behind
  // it, so the job opens a batch whose flush is queued behind the stop.
  REQUIRE(w.sched->try_run_once());
  caf::anon_send_exit(w.writer, caf::exit_reason::user_shutdown);
  w.sched->run();
  REQUIRE(*ran);
  // Answered and committed: an actor awaiting the answer (the mailer, the
  // timers) would otherwise wait forever and hold the process at exit.
  CHECK_FALSE(ack->error);
  REQUIRE(ack->reply);
  CHECK_FALSE(ack->reply->error);
  auto page = w.look->find_users("dA", {});
  REQUIRE(page);
  CHECK(page->total == 1);
}

namespace {

// A replayable job inserting `id` with its audit row; counts its runs.
write_job counted_insert(const std::string& id, const std::string& name, std::shared_ptr<int> runs) {
  return write_job{[id, name, runs](persistence::writer& db) {
                     ++*runs;
                     if (auto r = db.insert_user(user(id, name)); !r)
                       return r;
                     return db.append_action("2026-01-01T00:00:00.000Z", "directory", "dA", "user.create",
                                             "user", id, "{}", "ok");
                   },
                   true};
}

// A replayable job that inserts `id` (and its audit row), then fails on a
// userName clash: a failure after rows changed.
write_job half_written(const std::string& id, const std::string& clash) {
  return write_job{[id, clash](persistence::writer& db) {
                     if (auto r = db.insert_user(user(id, id)); !r)
                       return r;
                     if (auto r = db.append_action("2026-01-01T00:00:00.000Z", "directory", "dA",
                                                   "user.create", "user", id, "{}", "ok");
                         !r)
                       return r;
                     return db.insert_user(user(id + "-2", clash));
                   },
                   true};
}

// Asks the writer for each job in order and runs the scheduler; each job's
// error code, or nullopt for a success.
using outcomes = std::vector<std::optional<scim::error_code>>;
outcomes run_all(writer_world& w, std::vector<write_job> jobs) {
  std::vector<ack_ptr> acks;
  for (auto& job : jobs)
    acks.push_back(ask<write_ack>(*w.sys, w.writer, std::move(job)));
  w.sched->run();
  outcomes out;
  for (auto& a : acks) {
    REQUIRE(a->reply);
    out.push_back(a->reply->error ? std::optional{a->reply->error->code} : std::nullopt);
  }
  return out;
}

constexpr std::optional<scim::error_code> ok;
constexpr std::optional<scim::error_code> clash{scim::error_code::uniqueness};

} // namespace

TEST_CASE("a replayable job failing after it changed rows is undone by running its batch again", "[actors]") {
  writer_world w{256};
  auto runs_a = std::make_shared<int>(0);
  auto runs_c = std::make_shared<int>(0);
  CHECK(run_all(w, {counted_insert("u1", "alice", runs_a), half_written("u9", "ALICE"),
                    counted_insert("u3", "bob", runs_c)})
        == outcomes{ok, clash, ok});
  // The batch was rolled back and its first job ran again; the job after
  // the failure ran once, in a savepoint.
  CHECK(w.replays() == 1);
  CHECK(*runs_a == 2);
  CHECK(*runs_c == 1);
  // One commit of three jobs, holding what the kept jobs did, once.
  CHECK(w.batch_sizes().count() == 1);
  CHECK(w.batch_sizes().sum() == Approx(3));
  CHECK(w.look->user("dA", "u1"));
  CHECK(w.look->user("dA", "u3"));
  CHECK_FALSE(w.look->user("dA", "u9"));
  CHECK_FALSE(w.look->user("dA", "u9-2"));
  CHECK(w.actions_on("u1") == 1);
  CHECK(w.actions_on("u3") == 1);
  CHECK(w.actions_on("u9") == 0);
}

TEST_CASE("a replayable job failing before it changed anything needs no replay", "[actors]") {
  writer_world w{256};
  auto runs_a = std::make_shared<int>(0);
  auto runs_b = std::make_shared<int>(0);
  // b's audit row is kept in memory until its insert fails: dropped with it.
  auto b = write_job{[runs_b](persistence::writer& db) {
                       ++*runs_b;
                       if (auto r = db.append_action("2026-01-01T00:00:00.000Z", "directory", "dA", "user.create",
                                                     "user", "u2", "{}", "ok");
                           !r)
                         return r;
                       return db.insert_user(user("u2", "Alice"));
                     },
                     true};
  CHECK(run_all(w, {counted_insert("u1", "alice", runs_a), std::move(b), half_written("u3", "bob")})
        == outcomes{ok, clash, ok});
  CHECK(w.replays() == 0);
  CHECK(*runs_a == 1);
  CHECK(*runs_b == 1);
  CHECK(w.look->user("dA", "u1"));
  CHECK_FALSE(w.look->user("dA", "u2"));
  CHECK(w.look->user("dA", "u3"));
  CHECK(w.look->user("dA", "u3-2"));
  CHECK(w.actions_on("u1") == 1);
  CHECK(w.actions_on("u2") == 0);
  CHECK(w.actions_on("u3") == 1);
}

TEST_CASE("after a job that cannot be replayed, its batch runs every job in a savepoint", "[actors]") {
  writer_world w{256};
  auto runs_a = std::make_shared<int>(0);
  auto a = write_job{[runs_a](persistence::writer& db) {
    ++*runs_a;
    return db.insert_user(user("u1", "alice"));
  }};
  CHECK(run_all(w, {std::move(a), half_written("u9", "ALICE"), half_written("u4", "dave")})
        == outcomes{ok, clash, ok});
  // The savepoint undid the failed job; the first one never ran twice.
  CHECK(w.replays() == 0);
  CHECK(*runs_a == 1);
  CHECK(w.look->user("dA", "u1"));
  CHECK_FALSE(w.look->user("dA", "u9"));
  CHECK(w.look->user("dA", "u4"));
  CHECK(w.actions_on("u9") == 0);
  CHECK(w.actions_on("u4") == 1);
}

TEST_CASE("a batch replayed once runs its later jobs in savepoints and is not replayed again", "[actors]") {
  writer_world w{256};
  auto runs_a = std::make_shared<int>(0);
  CHECK(run_all(w, {counted_insert("u1", "alice", runs_a), half_written("u8", "ALICE"),
                    half_written("u9", "Alice")})
        == outcomes{ok, clash, clash});
  CHECK(w.replays() == 1);
  CHECK(*runs_a == 2);
  CHECK(w.look->user("dA", "u1"));
  CHECK_FALSE(w.look->user("dA", "u8"));
  CHECK_FALSE(w.look->user("dA", "u9"));
  // The next batch starts without savepoints again.
  CHECK(run_all(w, {half_written("u7", "alice")}) == outcomes{clash});
  CHECK(w.replays() == 2);
}

TEST_CASE("with commit_yields, a write queued behind the flush joins its batch", "[actors]") {
  for (std::size_t yields : {0, 1}) {
    CAPTURE(yields);
    writer_world w{256, yields};
    auto ran = std::make_shared<int>(0);
    auto a = ask<write_ack>(*w.sys, w.writer, counted_insert("u1", "alice", ran));
    // The writer runs the first job and queues its flush...
    w.step_until([&] { return *ran == 1; });
    // ...then a second write arrives behind that flush.
    auto b = ask<write_ack>(*w.sys, w.writer, counted_insert("u2", "bob", ran));
    REQUIRE(w.sched->try_run_once_lifo());
    w.sched->run();
    REQUIRE(a->reply);
    REQUIRE(b->reply);
    CHECK_FALSE(a->reply->error);
    CHECK_FALSE(b->reply->error);
    CHECK(w.look->user("dA", "u2"));
    // Without a yield the flush commits the first job alone.
    CHECK(w.batch_sizes().count() == (yields == 0 ? 2 : 1));
    CHECK(w.batch_sizes().sum() == Approx(2));
  }
}
