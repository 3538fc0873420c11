#pragma once

#include <functional>
#include <string>

#include "actors/runtime.hpp"
#include "actors/services.hpp"
#include "config/metrics.hpp"
#include "http/auth_limiter.hpp"
#include "http/message.hpp"

namespace dirsync::http {

/// What the request router needs besides the runtime.
struct app_options {
  std::string scim_base_url;                     ///< e.g. http://127.0.0.1:8080/scim/v2.
  std::int64_t max_page_size = 1000;             ///< Advertised filter.maxResults.
  actors::adjustable_clock* test_clock = nullptr; ///< Set only with clock.test = true (O4).
  auth_limiter* limiter = nullptr;               ///< Failed-authentication limit per address.
};

/// The request router: health, readiness, metrics, SCIM (/scim/v2) and admin
/// (/admin/v1). Parses and checks each request, hands it to the runtime and
/// renders the reply; never blocks.
handler make_app(actors::runtime& rt, metrics::registry& metrics, app_options opts);

/// Records a failed authentication of the request's client (and counts it).
void note_auth_failure(const app_options& opts, metrics::registry& metrics, const std::string& address);

/// Renders an error as an HTTP response in the SCIM Error shape.
response scim_error_response(const scim::error& e, std::string route);

} // namespace dirsync::http
