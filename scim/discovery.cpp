// Discovery resources (RFC 7643 §5, §6; RFC 7644 §4), S1.
#include "scim/discovery.hpp"

#include <string>
#include <vector>

#include "scim/resource.hpp"

namespace dirsync::scim {

namespace {

using json = nlohmann::json;

constexpr std::string_view spc_urn = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
constexpr std::string_view resource_type_urn = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

json supported(bool on) { return json{{"supported", on}}; }

} // namespace

json service_provider_config(std::string_view base_url, std::int64_t max_results, bool etag, bool sort) {
  const std::string base(base_url);
  return json{
      {"schemas", json::array({std::string(spc_urn)})},
      {"documentationUri", base + "/ServiceProviderConfig"},
      {"patch", supported(true)},
      {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
      {"filter", {{"supported", true}, {"maxResults", max_results}}},
      {"changePassword", supported(false)},
      {"sort", supported(sort)},
      {"etag", supported(etag)},
      {"authenticationSchemes",
       json::array({{{"type", "oauthbearertoken"},
                     {"name", "OAuth Bearer Token"},
                     {"description", "Authentication with the directory's bearer token "
                                     "(Authorization: Bearer <token>)"},
                     {"specUri", "https://www.rfc-editor.org/info/rfc6750"},
                     {"primary", true}}})},
      {"meta",
       {{"resourceType", "ServiceProviderConfig"}, {"location", base + "/ServiceProviderConfig"}}},
  };
}

json resource_type(resource_kind kind, std::string_view base_url) {
  const std::string base(base_url);
  const bool user = kind == resource_kind::user;
  const std::string name = user ? "User" : "Group";
  json out = {
      {"schemas", json::array({std::string(resource_type_urn)})},
      {"id", name},
      {"name", name},
      {"endpoint", user ? "/Users" : "/Groups"},
      {"description", user ? "User Account" : "Group"},
      {"schema", core_schema(kind).id},
      {"meta", {{"resourceType", "ResourceType"}, {"location", base + "/ResourceTypes/" + name}}},
  };
  json extensions = json::array();
  for (const schema* s : schemas_for(kind))
    if (s != &core_schema(kind))
      extensions.push_back({{"schema", s->id}, {"required", false}});
  if (!extensions.empty())
    out["schemaExtensions"] = std::move(extensions);
  return out;
}

json resource_types(std::string_view base_url) {
  std::vector<json> all{resource_type(resource_kind::user, base_url),
                        resource_type(resource_kind::group, base_url)};
  return list_response(std::move(all), 2, 1);
}

} // namespace dirsync::scim
