#include <catch2/catch.hpp>

#include "scim/discovery.hpp"

using namespace dirsync::scim;
using json = nlohmann::json;

TEST_CASE("ServiceProviderConfig advertises what is implemented", "[discovery]") {
  auto c = service_provider_config("https://h/scim/v2", 200, true, true);
  CHECK(c["schemas"] == json::array({"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}));
  CHECK(c["patch"]["supported"] == true);
  CHECK(c["bulk"] == json{{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}});
  CHECK(c["filter"] == json{{"supported", true}, {"maxResults", 200}});
  CHECK(c["changePassword"]["supported"] == false);
  CHECK(c["sort"]["supported"] == true);
  CHECK(c["etag"]["supported"] == true);
  REQUIRE(c["authenticationSchemes"].size() == 1);
  const auto& auth = c["authenticationSchemes"][0];
  CHECK(auth["type"] == "oauthbearertoken");
  CHECK(auth["primary"] == true);
  CHECK(auth["name"].is_string());
  CHECK(auth["description"].is_string());
  CHECK(c["meta"]["resourceType"] == "ServiceProviderConfig");
  CHECK(c["meta"]["location"] == "https://h/scim/v2/ServiceProviderConfig");

  auto off = service_provider_config("https://h/scim/v2", 50, false, false);
  CHECK(off["sort"]["supported"] == false);
  CHECK(off["etag"]["supported"] == false);
  CHECK(off["filter"]["maxResults"] == 50);
}

TEST_CASE("ResourceTypes: User with the enterprise extension, Group", "[discovery]") {
  auto user = resource_type(resource_kind::user, "https://h/scim/v2");
  CHECK(user["schemas"] == json::array({"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}));
  CHECK(user["id"] == "User");
  CHECK(user["name"] == "User");
  CHECK(user["endpoint"] == "/Users");
  CHECK(user["schema"] == "urn:ietf:params:scim:schemas:core:2.0:User");
  CHECK(user["schemaExtensions"] ==
        json::array({{{"schema", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
                      {"required", false}}}));
  CHECK(user["meta"] == json{{"resourceType", "ResourceType"},
                             {"location", "https://h/scim/v2/ResourceTypes/User"}});

  auto group = resource_type(resource_kind::group, "https://h/scim/v2");
  CHECK(group["endpoint"] == "/Groups");
  CHECK(group["schema"] == "urn:ietf:params:scim:schemas:core:2.0:Group");
  CHECK_FALSE(group.contains("schemaExtensions"));
  CHECK(group["meta"]["location"] == "https://h/scim/v2/ResourceTypes/Group");

  auto all = resource_types("https://h/scim/v2");
  CHECK(all["schemas"] == json::array({"urn:ietf:params:scim:api:messages:2.0:ListResponse"}));
  CHECK(all["totalResults"] == 2);
  CHECK(all["itemsPerPage"] == 2);
  CHECK(all["startIndex"] == 1);
  REQUIRE(all["Resources"].size() == 2);
  CHECK(all["Resources"][0] == user);
  CHECK(all["Resources"][1] == group);
}
