#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace dirsync::scim {

/// Every failure the service reports to a client; mapped to an HTTP status and
/// a SCIM `scimType` in exactly one place (http_status / scim_type below).
enum class error_code {
  invalid_syntax,      ///< 400 invalidSyntax: unparsable or malformed request.
  invalid_filter,      ///< 400 invalidFilter: bad filter expression.
  invalid_path,        ///< 400 invalidPath: bad PATCH or attribute path.
  invalid_value,       ///< 400 invalidValue: a value of the wrong type/shape.
  no_target,           ///< 400 noTarget: a PATCH path that matched nothing.
  too_many,            ///< 400 tooMany: the query would return too many results.
  bad_request,         ///< 400 without scimType (e.g. a refused setting).
  unauthorized,        ///< 401: missing or wrong credentials.
  token_expired,       ///< 401: the bearer token has expired (D6).
  forbidden,           ///< 403: authenticated but not allowed (paused, role).
  not_found,           ///< 404: unknown resource or path.
  method_not_allowed,  ///< 405: the endpoint does not support the method.
  uniqueness,          ///< 409 uniqueness: a unique attribute is taken.
  mutability,          ///< 409 mutability: an immutable/read-only attribute.
  conflict,            ///< 409 without scimType.
  precondition_failed, ///< 412: If-Match did not match.
  payload_too_large,   ///< 413: the body exceeds the configured limit.
  unsupported_media,   ///< 415: a content type that is not JSON.
  too_many_requests,   ///< 429: rate limited.
  internal,            ///< 500: a failure of the service itself (logged).
  not_implemented,     ///< 501: an endpoint that is not implemented.
  unavailable,         ///< 503: overloaded or shutting down; retry later.
};

/// A failure reported to a client. `detail` is meant for a person and must
/// never contain secrets or personal data that the caller did not send.
struct error {
  error_code code = error_code::internal; ///< What went wrong.
  std::string detail;                     ///< Human-readable explanation.

  /// Equality, for tests.
  friend bool operator==(const error& a, const error& b) {
    return a.code == b.code && a.detail == b.detail;
  }
};

/// Shorthand for building an error value.
inline error make_error(error_code code, std::string detail) {
  return error{code, std::move(detail)};
}

/// The HTTP status for an error code.
int http_status(error_code code) noexcept;

/// The RFC 7644 §3.12 scimType for an error code, or empty if none applies.
std::string_view scim_type(error_code code) noexcept;

/// Renders the SCIM Error resource (`schemas`, `status` as string, `scimType`
/// where defined, `detail`).
nlohmann::json to_json(const error& err);

/// Short name of the code, for logs and metrics.
std::string_view to_string(error_code code) noexcept;

} // namespace dirsync::scim
