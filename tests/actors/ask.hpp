#pragma once

// Asking an actor from a test under the deterministic scheduler: a helper
// actor sends the request and stores the answer; nothing happens until the
// test runs the scheduler (a blocking receive would hang there).

#include <memory>
#include <optional>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/protocol.hpp"

namespace dirsync::test {

/// A SCIM reply whose body came as text (reads answer the stored text) gets
/// it parsed into `body`, so tests look at one shape.
inline actors::scim_reply with_parsed_body(actors::scim_reply r) {
  if (!r.text.empty()) {
    r.body = nlohmann::json::parse(r.text, nullptr, false);
    REQUIRE_FALSE(r.body.is_discarded());
  }
  return r;
}

/// One request's outcome: the answer, or a CAF-level failure.
template <class Reply>
struct outcome {
  std::optional<Reply> reply;      ///< The answer, once it arrived.
  std::optional<caf::error> error; ///< A CAF-level failure.
};

/// Spawns the helper that sends `msg` to `to`. The values travel as spawn
/// arguments, not lambda captures: CAF 0.17's init_fun_factory dereferences a
/// null tuple for argument-less function actors (UBSan reports it).
template <class Reply, class Handle, class Msg>
std::shared_ptr<outcome<Reply>> ask(caf::actor_system& sys, const Handle& to, Msg msg) {
  auto out = std::make_shared<outcome<Reply>>();
  sys.spawn(
    [](caf::event_based_actor* self, Handle target, Msg m, std::shared_ptr<outcome<Reply>> into) {
      self->request(target, caf::infinite, std::move(m))
        .then([into](Reply& r) { into->reply = std::move(r); },
              [into](caf::error& e) { into->error = e; });
    },
    to, std::move(msg), out);
  return out;
}

} // namespace dirsync::test
