#include "scim/error.hpp"

namespace dirsync::scim {

int http_status(error_code code) noexcept {
  switch (code) {
    case error_code::invalid_syntax:
    case error_code::invalid_filter:
    case error_code::invalid_path:
    case error_code::invalid_value:
    case error_code::no_target:
    case error_code::too_many:
    case error_code::bad_request:
      return 400;
    case error_code::unauthorized:
    case error_code::token_expired:
      return 401;
    case error_code::forbidden:
      return 403;
    case error_code::not_found:
      return 404;
    case error_code::method_not_allowed:
      return 405;
    case error_code::uniqueness:
    case error_code::mutability:
    case error_code::conflict:
      return 409;
    case error_code::precondition_failed:
      return 412;
    case error_code::payload_too_large:
      return 413;
    case error_code::unsupported_media:
      return 415;
    case error_code::too_many_requests:
      return 429;
    case error_code::internal:
      return 500;
    case error_code::not_implemented:
      return 501;
    case error_code::unavailable:
      return 503;
  }
  return 500;
}

std::string_view scim_type(error_code code) noexcept {
  switch (code) {
    case error_code::invalid_syntax: return "invalidSyntax";
    case error_code::invalid_filter: return "invalidFilter";
    case error_code::invalid_path: return "invalidPath";
    case error_code::invalid_value: return "invalidValue";
    case error_code::no_target: return "noTarget";
    case error_code::too_many: return "tooMany";
    case error_code::uniqueness: return "uniqueness";
    case error_code::mutability: return "mutability";
    default: return {};
  }
}

std::string_view to_string(error_code code) noexcept {
  switch (code) {
    case error_code::invalid_syntax: return "invalid_syntax";
    case error_code::invalid_filter: return "invalid_filter";
    case error_code::invalid_path: return "invalid_path";
    case error_code::invalid_value: return "invalid_value";
    case error_code::no_target: return "no_target";
    case error_code::too_many: return "too_many";
    case error_code::bad_request: return "bad_request";
    case error_code::unauthorized: return "unauthorized";
    case error_code::token_expired: return "token_expired";
    case error_code::forbidden: return "forbidden";
    case error_code::not_found: return "not_found";
    case error_code::method_not_allowed: return "method_not_allowed";
    case error_code::uniqueness: return "uniqueness";
    case error_code::mutability: return "mutability";
    case error_code::conflict: return "conflict";
    case error_code::precondition_failed: return "precondition_failed";
    case error_code::payload_too_large: return "payload_too_large";
    case error_code::unsupported_media: return "unsupported_media";
    case error_code::too_many_requests: return "too_many_requests";
    case error_code::internal: return "internal";
    case error_code::not_implemented: return "not_implemented";
    case error_code::unavailable: return "unavailable";
  }
  return "internal";
}

nlohmann::json to_json(const error& err) {
  nlohmann::json j;
  j["schemas"] = {"urn:ietf:params:scim:api:messages:2.0:Error"};
  j["status"] = std::to_string(http_status(err.code));
  if (auto t = scim_type(err.code); !t.empty())
    j["scimType"] = std::string{t};
  j["detail"] = err.detail;
  return j;
}

} // namespace dirsync::scim
