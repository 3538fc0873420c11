#include "http/app.hpp"

#include <algorithm>
#include <charconv>

#include "http/json_body.hpp"
#include "http/query.hpp"
#include "http/scim_routes.hpp"
#include "scim/resource.hpp"

namespace dirsync::http {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    auto next = path.find('/', pos);
    if (next == std::string_view::npos)
      next = path.size();
    if (next > pos)
      out.emplace_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

response json_response(int status, const nlohmann::json& body, std::string route) {
  response r;
  r.status = status;
  r.route = std::move(route);
  if (status == 204) {
    r.content_type.clear();
    return r;
  }
  r.content_type = "application/json";
  r.body = scim::dump_json(body);
  return r;
}

response admin_error(int status, const std::string& message) {
  return json_response(status, nlohmann::json{{"error", message}, {"status", status}}, "admin");
}

void handle_admin(actors::runtime& rt, metrics::registry& metrics, const app_options& opts, request& req,
                  responder& out) {
  auto segments = split_path(std::string_view{req.path}.substr(std::string_view{"/admin/v1"}.size()));
  nlohmann::json body;
  if (!req.body.empty()) {
    if (!is_json_content_type(req.content_type))
      return out.send(admin_error(415, "the body must be application/json"));
    std::string problem;
    body = parse_body(req.body, problem);
    if (!problem.empty())
      return out.send(admin_error(400, problem));
  }
  // O4: the test clock exists only when the configuration enables it.
  if (segments == std::vector<std::string>{"test-clock", "advance"}) {
    if (opts.test_clock == nullptr)
      return out.send(admin_error(404, "no such endpoint"));
    if (req.method != "POST")
      return out.send(admin_error(405, "method not allowed"));
    if (!body.is_object() || !body.contains("seconds") || !body["seconds"].is_number_integer()
        || body["seconds"].get<std::int64_t>() < 0)
      return out.send(admin_error(400, "expected {\"seconds\": non-negative integer}"));
    opts.test_clock->advance(std::chrono::seconds{body["seconds"].get<std::int64_t>()});
    // What became due runs before the answer (O3, O4).
    auto now = actors::format_time(opts.test_clock->now());
    return rt.run_due([out, now](actors::admin_reply r) {
      if (r.status == 200)
        r.body["now"] = now;
      out.send(json_response(r.status, r.body, "admin"));
    });
  }
  actors::admin_call call;
  call.method = req.method;
  call.path = std::move(segments);
  call.key = bearer_token(req.authorization);
  call.body = std::move(body);
  call.query = req.query;
  rt.admin(std::move(call), [out, &metrics, opts, addr = req.remote_address](actors::admin_reply r) {
    if (r.status == 401)
      note_auth_failure(opts, metrics, addr);
    out.send(json_response(r.status, r.body, "admin"));
  });
}

// E6: the enrollment page, GET to show it and POST (a form) to confirm.
void handle_enroll(actors::runtime& rt, const request& req, responder out) {
  std::string_view rest = std::string_view{req.path}.substr(std::string_view{"/enroll"}.size());
  auto html = [out](int status, const std::string& text) mutable {
    response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    r.body = text;
    r.route = "enroll";
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; form-action 'self'");
    out.send(std::move(r));
  };
  if (rest.empty() || rest == "/")
    return html(200, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Enrollment</title>"
                     "</head><body><h1>Enrollment</h1><p>Open the link in your enrollment email to enroll an "
                     "authenticator. No email? Ask your administrators or IT support.</p></body></html>");
  auto secret = std::string{rest.substr(1)};
  if (secret.find('/') != std::string::npos || (req.method != "GET" && req.method != "POST"))
    return html(404, "<!doctype html><title>Not found</title><p>Not found.</p>");
  actors::portal_call call;
  call.kind = req.method == "GET" ? "enroll_page" : "enroll_confirm";
  call.secret = std::move(secret);
  call.body = nlohmann::json::object();
  if (req.method == "POST")
    for (auto& [k, v] : parse_query_string(req.body))
      call.body[k] = v;
  rt.portal(std::move(call), [html](actors::admin_reply r) mutable {
    html(r.status, r.body.contains("html") ? r.body["html"].get<std::string>() : std::string{"<p>Error.</p>"});
  });
}

// P1: POST /auth/v1/preauth and /auth/v1/auth with an application key.
void handle_auth(actors::runtime& rt, metrics::registry& metrics, const app_options& opts, const request& req,
                 responder out) {
  std::string_view verb = std::string_view{req.path}.substr(std::string_view{"/auth/v1/"}.size());
  if (verb != "preauth" && verb != "auth")
    return out.send(json_response(404, nlohmann::json{{"error", "no such endpoint"}, {"status", 404}}, "auth"));
  if (req.method != "POST")
    return out.send(json_response(405, nlohmann::json{{"error", "method not allowed"}, {"status", 405}}, "auth"));
  actors::portal_call call;
  call.kind = std::string{verb};
  call.secret = bearer_token(req.authorization);
  if (call.secret.empty()) {
    note_auth_failure(opts, metrics, req.remote_address);
    return out.send(json_response(401, nlohmann::json{{"error", "an application key is required"}, {"status", 401}}, "auth"));
  }
  std::string problem;
  call.body = parse_body(req.body, problem);
  if (!problem.empty())
    return out.send(json_response(400, nlohmann::json{{"error", problem}, {"status", 400}}, "auth"));
  rt.portal(std::move(call), [out, &metrics, opts, addr = req.remote_address](actors::admin_reply r) mutable {
    if (r.status == 401)
      note_auth_failure(opts, metrics, addr);
    out.send(json_response(r.status, r.body, "auth"));
  });
}

} // namespace

void note_auth_failure(const app_options& opts, metrics::registry& metrics, const std::string& address) {
  metrics.counter("dirsync_auth_failures_total", "Failed authentications (SCIM token or admin key)").inc();
  if (opts.limiter)
    opts.limiter->record_failure(address, std::chrono::steady_clock::now());
}

response scim_error_response(const scim::error& e, std::string route) {
  response r;
  r.status = scim::http_status(e.code);
  r.content_type = "application/scim+json";
  r.body = scim::dump_json(scim::to_json(e));
  r.route = std::move(route);
  if (r.status == 401)
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dirsync\"");
  if (r.status == 503 || r.status == 429)
    r.headers.emplace_back("Retry-After", "1");
  return r;
}

handler make_app(actors::runtime& rt, metrics::registry& metrics, app_options opts) {
  return [&rt, &metrics, opts](request req, responder out) {
    std::string_view path = req.path;
    if (path == "/healthz")
      return out.send(json_response(200, nlohmann::json{{"status", "ok"}}, "health"));
    if (path == "/readyz") {
      bool ok = rt.ready();
      return out.send(json_response(ok ? 200 : 503,
                                    nlohmann::json{{"status", ok ? "ready" : "not ready"}}, "health"));
    }
    if (path == "/metrics") {
      response r;
      r.content_type = "text/plain; version=0.0.4";
      rt.publish_metrics();
      r.body = metrics.render();
      r.route = "metrics";
      return out.send(std::move(r));
    }
    bool scim = path == "/scim/v2" || path.rfind("/scim/v2/", 0) == 0;
    bool admin = path == "/admin/v1" || path.rfind("/admin/v1/", 0) == 0;
    bool auth = path.rfind("/auth/v1/", 0) == 0;
    if ((scim || admin || auth) && opts.limiter) {
      // A client that keeps failing to authenticate is slowed down (429).
      if (auto wait = opts.limiter->blocked(req.remote_address, std::chrono::steady_clock::now())) {
        metrics.counter("dirsync_auth_throttled_total", "Requests refused after too many failed authentications")
          .inc();
        auto detail = "too many failed authentications from this address; retry later";
        auto r = scim ? scim_error_response(scim::make_error(scim::error_code::too_many_requests, detail), "throttled")
                      : json_response(429, nlohmann::json{{"error", detail}, {"status", 429}}, "throttled");
        r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                       [](const auto& h) { return h.first == "Retry-After"; }),
                        r.headers.end());
        r.headers.emplace_back("Retry-After", std::to_string(*wait));
        return out.send(std::move(r));
      }
    }
    if (scim)
      return handle_scim(rt, metrics, opts, req, out, split_path(path.substr(std::string_view{"/scim/v2"}.size())));
    if (admin)
      return handle_admin(rt, metrics, opts, req, out);
    if (auth)
      return handle_auth(rt, metrics, opts, req, std::move(out));
    if (path == "/enroll" || path.rfind("/enroll/", 0) == 0)
      return handle_enroll(rt, req, std::move(out));
    out.send(json_response(404, nlohmann::json{{"error", "not found"}, {"status", 404}}, "other"));
  };
}

} // namespace dirsync::http
