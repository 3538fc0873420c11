#pragma once

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "scim/schema.hpp"

namespace dirsync::scim {

/// The ServiceProviderConfig resource (RFC 7643 §5), advertising exactly what
/// the service implements: patch, filter (with `max_results`), sort and etag
/// as given, no bulk, no changePassword, OAuth bearer token authentication.
/// `base_url` is e.g. "https://host/scim/v2" (no trailing slash).
nlohmann::json service_provider_config(std::string_view base_url, std::int64_t max_results, bool etag,
                                       bool sort);

/// The ResourceType resource (RFC 7643 §6) of one kind: User (with the
/// enterprise extension, not required) or Group, with meta.location.
nlohmann::json resource_type(resource_kind kind, std::string_view base_url);

/// The ListResponse of every resource type (User, Group), for GET /ResourceTypes.
nlohmann::json resource_types(std::string_view base_url);

} // namespace dirsync::scim
