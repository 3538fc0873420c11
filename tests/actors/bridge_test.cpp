// The bridge between the HTTP edge and the actors, on CAF's test coordinator:
// every call ends in exactly one callback (the reply, 500 on an actor error,
// 503 past http.request_timeout), and the pending count returns to zero.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/bridge.hpp"

using namespace std::chrono_literals;
using namespace dirsync;
using namespace dirsync::actors;

namespace {

// How the stand-in registry treats a SCIM call.
enum class mode { answer, hold, fail };

struct registry_stub {
  mode how = mode::answer;
  std::vector<caf::typed_response_promise<scim_reply>> held;
  int calls = 0;
};

registry_actor::behavior_type stub_registry(registry_actor::pointer self, std::shared_ptr<registry_stub> stub) {
  return {
    [self, stub](scim_call& call) -> caf::result<scim_reply> {
      ++stub->calls;
      switch (stub->how) {
        case mode::answer: {
          scim_reply r;
          r.status = 200;
          r.body = nlohmann::json{{"id", call.id}};
          return r;
        }
        case mode::hold: {
          auto rp = self->make_response_promise<scim_reply>();
          stub->held.push_back(rp);
          return rp;
        }
        case mode::fail:
          break;
      }
      return caf::make_error(caf::sec::runtime_error);
    },
    [](admin_call&) -> admin_reply { return admin_reply{200, nlohmann::json::object()}; },
    [](ready_atom) { return true; },
    [](portal_call&) -> admin_reply { return admin_reply{200, nlohmann::json::object()}; },
    // The stub's own trigger: answer the held calls now (a promise must be
    // delivered from its actor's context).
    [stub](reload_atom, std::string&, std::string&) {
      for (auto& rp : stub->held) {
        scim_reply late;
        late.status = 200;
        rp.deliver(late);
      }
      stub->held.clear();
    },
  };
}

struct bridge_world {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<registry_stub> stub = std::make_shared<registry_stub>();
  std::atomic<std::size_t> pending{0};
  registry_actor registry;
  caf::actor bridge;
  std::vector<scim_reply> replies;

  explicit bridge_world(std::chrono::milliseconds timeout) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sys->await_actors_before_shutdown(false);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    registry = sys->spawn(stub_registry, stub);
    bridge = sys->spawn(bridge_behavior, registry, timer_actor{}, mailer_actor{}, timeout, &pending);
    sched->run();
  }

  ~bridge_world() {
    // Held promises point back at the bridge: drop them, then stop both.
    stub->held.clear();
    caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    sched->run();
  }

  // What runtime::scim does: count the call, hand it to the bridge.
  void call(const std::string& id) {
    ++pending;
    scim_call c;
    c.method = scim_method::get;
    c.id = id;
    scim_done done = [this](scim_reply r) { replies.push_back(std::move(r)); };
    caf::anon_send(bridge, std::move(c), std::move(done));
    sched->run();
  }
};

} // namespace

TEST_CASE("bridge: an answered call gets its reply once and nothing more after the timeout", "[bridge]") {
  bridge_world w(1000ms);
  w.call("a");
  REQUIRE(w.replies.size() == 1);
  CHECK(w.replies[0].status == 200);
  CHECK(w.replies[0].body["id"] == "a");
  CHECK(w.pending == 0);
  w.sched->advance_time(5s);
  w.sched->run();
  CHECK(w.replies.size() == 1);
}

TEST_CASE("bridge: a call the actors do not answer gets 503 once its timeout passed", "[bridge]") {
  bridge_world w(800ms);
  w.stub->how = mode::hold;
  w.call("slow");
  CHECK(w.replies.empty());
  CHECK(w.pending == 1);
  // 800 ms timeout, sweeps every 100 ms: nothing before the deadline.
  w.sched->advance_time(700ms);
  w.sched->run();
  CHECK(w.replies.empty());
  w.sched->advance_time(200ms);
  w.sched->run();
  REQUIRE(w.replies.size() == 1);
  REQUIRE(w.replies[0].error);
  CHECK(w.replies[0].error->code == scim::error_code::unavailable);
  CHECK(w.pending == 0);
  // The late answer is dropped: still exactly one callback.
  REQUIRE(w.stub->held.size() == 1);
  caf::anon_send(w.registry, reload_atom::value, std::string(), std::string());
  w.sched->run();
  CHECK(w.stub->held.empty());
  CHECK(w.replies.size() == 1);
}

TEST_CASE("bridge: calls sent at different times expire each at its own deadline", "[bridge]") {
  bridge_world w(800ms);
  w.stub->how = mode::hold;
  w.call("first");
  w.sched->advance_time(500ms);
  w.sched->run();
  w.call("second");
  w.sched->advance_time(400ms); // first is past 800 ms, second at 400 ms
  w.sched->run();
  CHECK(w.replies.size() == 1);
  CHECK(w.pending == 1);
  w.sched->advance_time(500ms);
  w.sched->run();
  CHECK(w.replies.size() == 2);
  CHECK(w.pending == 0);
  // Nothing waits: no sweep stays scheduled.
  CHECK(w.sched->advance_time(10s) == 0);
}

TEST_CASE("bridge: an actor error becomes a 500 SCIM error", "[bridge]") {
  bridge_world w(1000ms);
  w.stub->how = mode::fail;
  w.call("x");
  REQUIRE(w.replies.size() == 1);
  REQUIRE(w.replies[0].error);
  CHECK(w.replies[0].error->code == scim::error_code::internal);
  CHECK(w.pending == 0);
}
