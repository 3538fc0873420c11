#include "http/message.hpp"

#include <atomic>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace dirsync::http {

namespace {

bool is_scim_path(std::string_view path) { return path.rfind("/scim/", 0) == 0; }

} // namespace

std::optional<std::string_view> request::query_value(std::string_view key) const {
  for (const auto& [k, v] : query)
    if (k == key)
      return std::string_view(v);
  return std::nullopt;
}

response make_error_response(std::string_view path, scim::error_code code, std::string detail) {
  response r;
  r.status = scim::http_status(code);
  if (is_scim_path(path)) {
    r.content_type = "application/scim+json";
    r.body = scim::to_json(scim::make_error(code, std::move(detail))).dump();
  } else {
    r.body = nlohmann::json{{"error", std::move(detail)}, {"status", r.status}}.dump();
  }
  return r;
}

response make_error_response(std::string_view path, int status, std::string detail) {
  response r;
  r.status = status;
  if (is_scim_path(path)) {
    // No error_code for this status: build the SCIM Error shape by hand.
    r.content_type = "application/scim+json";
    r.body = nlohmann::json{{"schemas", {"urn:ietf:params:scim:api:messages:2.0:Error"}},
                            {"status", std::to_string(status)},
                            {"detail", std::move(detail)}}
                 .dump();
  } else {
    r.body = nlohmann::json{{"error", std::move(detail)}, {"status", status}}.dump();
  }
  return r;
}

struct responder::state {
  deliver_fn deliver;
  std::string request_id;
  std::string path;
  std::atomic<bool> sent{false};

  state(deliver_fn d, std::string id, std::string p)
      : deliver(std::move(d)), request_id(std::move(id)), path(std::move(p)) {}
  state(const state&) = delete;
  state& operator=(const state&) = delete;

  // Last copy gone unanswered: an actor died or dropped the request.
  ~state() {
    if (sent.exchange(true))
      return;
    spdlog::error("http request dropped without a response, request_id={}", request_id);
    try {
      deliver(make_error_response(path, scim::error_code::internal,
                                  "The request could not be completed."));
    } catch (const std::exception& e) {
      spdlog::error("http failed to deliver the dropped-request error: {}", e.what());
    }
  }
};

responder::responder(deliver_fn deliver, std::string request_id, std::string path)
    : state_(std::make_shared<state>(std::move(deliver), std::move(request_id), std::move(path))) {}

void responder::send(response r) const {
  if (!state_ || state_->sent.exchange(true))
    return;
  state_->deliver(std::move(r));
}

bool responder::sent() const { return !state_ || state_->sent.load(); }

} // namespace dirsync::http
