// The real runtime (threaded scheduler): calls from a non-actor thread end in
// exactly one callback, and stop() returns promptly even with live entities.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <sched.h>
#include <unistd.h>

#include "ask.hpp"

#include "actors/runtime.hpp"
#include "actors/services.hpp"
#include "persistence/store.hpp"
#include "scim/schema.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace dirsync;
using namespace dirsync::actors;
using nlohmann::json;

namespace {

struct fixed_ids final : id_source {
  std::string new_id() override { return "10000000-0000-4000-8000-00000000000" + std::to_string(++n); }
  std::string new_secret(std::size_t) override { return "secret"; }
  int n = 0;
};

// A database holding one active directory whose token is "tok-R".
struct runtime_db {
  fs::path dir;
  std::string path;

  runtime_db() {
    static std::atomic<int> seq{0};
    dir = fs::temp_directory_path()
          / ("dirsync-runtime-" + std::to_string(::getpid()) + "-" + std::to_string(seq++));
    fs::remove_all(dir);
    path = (dir / "dirsync.db").string();
    auto db = persistence::make_sqlite_backend({path, "full"});
    REQUIRE(db->migrate() == "");
    std::string err;
    auto w = db->open_writer(err);
    REQUIRE(w);
    persistence::directory_row row;
    row.id = "dR";
    row.type = "okta";
    row.name = "Runtime";
    row.state = "active";
    row.token_hash = sha256_hex("tok-R");
    row.created = "2026-01-01T00:00:00.000Z";
    REQUIRE(w->begin_batch() == "");
    REQUIRE(w->insert_directory(row));
    REQUIRE(w->commit_batch() == "");
  }
  ~runtime_db() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Submits a call and waits (on this non-actor thread) for its callback.
scim_reply call(runtime& rt, scim_call c) {
  auto done = std::make_shared<std::promise<scim_reply>>();
  auto answer = done->get_future();
  rt.scim(std::move(c), [done](scim_reply r) { done->set_value(std::move(r)); });
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  return test::with_parsed_body(answer.get());
}

scim_call make(scim_method m, std::string id = {}, json body = {}) {
  scim_call c;
  c.method = m;
  c.token = "tok-R";
  c.id = std::move(id);
  c.body = std::move(body);
  return c;
}

runtime_options options(std::chrono::milliseconds passivate_after) {
  runtime_options o;
  o.actors.passivate_after = passivate_after;
  o.read_connections = 2;
  o.scheduler_threads = 2;
  return o;
}

json rename(const std::string& name) {
  return {{"schemas", json::array({std::string{scim::patch_op_urn}})},
          {"Operations", json::array({{{"op", "replace"}, {"path", "displayName"}, {"value", name}}})}};
}

} // namespace

TEST_CASE("the runtime answers SCIM calls through callbacks", "[actors]") {
  runtime_db db;
  manual_clock time{std::chrono::system_clock::time_point{std::chrono::seconds{1767225600}}};
  fixed_ids ids;
  metrics::registry metrics;
  runtime rt{options(300ms), persistence::make_sqlite_backend({db.path, "full"}), time, ids, metrics};

  auto early = call(rt, make(scim_method::list));
  CHECK(early.status == 503);

  REQUIRE(rt.start() == "");
  CHECK(rt.ready());
  auto created = call(rt, make(scim_method::create, {},
                               {{"schemas", json::array({std::string{scim::user_urn}})}, {"userName", "rita"}}));
  REQUIRE_FALSE(created.error);
  CHECK(created.status == 201);
  auto id = created.body.at("id").get<std::string>();
  auto patched = call(rt, make(scim_method::patch, id, rename("Rita R")));
  CHECK(patched.status == 200);
  CHECK(patched.body["displayName"] == "Rita R");
  auto wrong = make(scim_method::get, id);
  wrong.token = "nope";
  CHECK(call(rt, wrong).status == 401);
  CHECK(rt.pending() == 0);
  CHECK(metrics.histogram("dirsync_writer_batch_size", "").count() >= 2);
  rt.stop();
  CHECK_FALSE(rt.ready());
  CHECK(call(rt, make(scim_method::list)).status == 503);
}

// Entity and directory actors hold each other's handles and the entity's
// pending idle timer would keep it alive: the registry stops them on exit.
TEST_CASE("runtime::stop does not wait for idle entity actors", "[actors]") {
  runtime_db db;
  manual_clock time{std::chrono::system_clock::time_point{std::chrono::seconds{1767225600}}};
  fixed_ids ids;
  metrics::registry metrics;
  runtime rt{options(4s), persistence::make_sqlite_backend({db.path, "full"}), time, ids, metrics};
  REQUIRE(rt.start() == "");
  auto created = call(rt, make(scim_method::create, {},
                               {{"schemas", json::array({std::string{scim::user_urn}})}, {"userName", "sam"}}));
  REQUIRE(created.status == 201);
  auto id = created.body.at("id").get<std::string>();
  REQUIRE(call(rt, make(scim_method::patch, id, rename("Sam S"))).status == 200);

  auto started = std::chrono::steady_clock::now();
  rt.stop();
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 2000);
}

// actors.scheduler_threads = 0: one worker per CPU the process may run on,
// so a server pinned to one core (taskset) does not switch between workers.
TEST_CASE("scheduler_threads 0 starts one worker per CPU of the affinity mask", "[actors]") {
  cpu_set_t original;
  CPU_ZERO(&original);
  REQUIRE(sched_getaffinity(0, sizeof original, &original) == 0);
  CHECK(usable_cpus() == static_cast<std::size_t>(CPU_COUNT(&original)));

  int first = 0;
  while (!CPU_ISSET(first, &original))
    ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  CHECK(usable_cpus() == 1);
  // Starts a runtime with that setting; answers the workers it started,
  // after a create went through them.
  auto workers_for = [](std::size_t setting) {
    runtime_db db;
    manual_clock time{std::chrono::system_clock::time_point{std::chrono::seconds{1767225600}}};
    fixed_ids ids;
    metrics::registry metrics;
    auto o = options(300ms);
    o.scheduler_threads = setting;
    runtime rt{o, persistence::make_sqlite_backend({db.path, "full"}), time, ids, metrics};
    REQUIRE(rt.start() == "");
    auto created = call(rt, make(scim_method::create, {},
                                 {{"schemas", json::array({std::string{scim::user_urn}})}, {"userName", "una"}}));
    CHECK(created.status == 201);
    rt.stop();
    return rt.scheduler_threads();
  };
  CHECK(workers_for(0) == 1);
  REQUIRE(sched_setaffinity(0, sizeof original, &original) == 0);
  CHECK(workers_for(3) == 3);
}
