#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/app.hpp"

namespace dirsync::http {

/// The token of an `Authorization: Bearer <token>` header ("" if none).
std::string bearer_token(std::string_view authorization);

/// True for application/json and application/scim+json, with parameters.
bool is_json_content_type(std::string_view content_type);

/// Handles a request under /scim/v2; `segments` are the path parts after it.
void handle_scim(actors::runtime& rt, metrics::registry& metrics, const app_options& opts, request& req,
                 responder& out, std::vector<std::string> segments);

} // namespace dirsync::http
