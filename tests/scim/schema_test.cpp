#include <catch2/catch.hpp>

#include "scim/schema.hpp"

using namespace dirsync::scim;

namespace {

const attribute& top(const schema& s, std::string_view name) {
  for (const auto& a : s.attributes)
    if (a.name == name)
      return a;
  FAIL("no attribute " << name);
  throw 0;
}

} // namespace

TEST_CASE("user schema follows RFC 7643 section 4.1", "[schema]") {
  const auto& u = user_schema();
  CHECK(u.id == user_urn);
  const auto& user_name = top(u, "userName");
  CHECK(user_name.required);
  CHECK_FALSE(user_name.case_exact);
  CHECK(user_name.uniq == uniqueness::server);

  const auto& password = top(u, "password");
  CHECK(password.mut == mutability::write_only);
  CHECK(password.ret == returned::never);
  CHECK(top(u, "active").type == attr_type::boolean);
  CHECK(top(u, "name").sub_attributes.size() == 6);

  for (auto name : {"emails", "phoneNumbers", "ims", "photos", "entitlements", "roles", "x509Certificates"}) {
    const auto& a = top(u, name);
    INFO(name);
    CHECK(a.multi_valued);
    CHECK(a.type == attr_type::complex);
    for (auto sub : {"value", "display", "type", "primary"})
      CHECK(find_sub_attribute(a, sub) != nullptr);
  }
  CHECK(find_sub_attribute(top(u, "emails"), "type")->canonical_values ==
        std::vector<std::string>{"work", "home", "other"});
  CHECK(find_sub_attribute(top(u, "x509Certificates"), "value")->type == attr_type::binary);

  const auto& groups = top(u, "groups");
  CHECK(groups.mut == mutability::read_only);
  CHECK(find_sub_attribute(groups, "$REF") != nullptr);
}

TEST_CASE("enterprise and group schemas", "[schema]") {
  const auto& e = enterprise_user_schema();
  CHECK(e.id == enterprise_urn);
  const auto& manager = top(e, "manager");
  CHECK(manager.type == attr_type::complex);
  CHECK(find_sub_attribute(manager, "displayName")->mut == mutability::read_only);

  const auto& g = group_schema();
  CHECK(top(g, "displayName").required);
  const auto& members = top(g, "members");
  CHECK(members.multi_valued);
  CHECK(find_sub_attribute(members, "value")->mut == mutability::immutable);
  CHECK(schemas_for(resource_kind::user).size() == 2);
  CHECK(schemas_for(resource_kind::group).size() == 1);
}

TEST_CASE("common attributes: id, externalId, meta", "[schema]") {
  const auto& common = common_attributes();
  REQUIRE(common.size() == 3);
  CHECK(common[0].name == "id");
  CHECK(common[0].case_exact);
  CHECK(common[0].ret == returned::always);
  CHECK(common[1].case_exact);
  CHECK(find_sub_attribute(common[2], "lastModified")->type == attr_type::date_time);
}

TEST_CASE("resolve is case-insensitive and accepts URN prefixes", "[schema]") {
  auto r = resolve(resource_kind::user, "NAME.givenname");
  REQUIRE(r);
  CHECK(r->canonical == "name.givenName");
  CHECK(r->json_keys == std::vector<std::string>{"name", "givenName"});
  CHECK(r->leaf().name == "givenName");
  CHECK(r->owner == &user_schema());

  r = resolve(resource_kind::user, "urn:ietf:params:scim:schemas:core:2.0:User:userName");
  REQUIRE(r);
  CHECK(r->canonical == "userName");

  r = resolve(resource_kind::user, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value");
  REQUIRE(r);
  CHECK(r->owner == &enterprise_user_schema());
  CHECK(r->canonical == std::string{enterprise_urn} + ":manager.value");
  CHECK(r->json_keys == std::vector<std::string>{std::string{enterprise_urn}, "manager", "value"});

  r = resolve(resource_kind::user, "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:employeeNumber");
  REQUIRE(r);
  CHECK(r->leaf().name == "employeeNumber");

  r = resolve(resource_kind::user, "meta.lastModified");
  REQUIRE(r);
  CHECK(r->owner == nullptr);
  CHECK(r->leaf().type == attr_type::date_time);
  CHECK(resolve(resource_kind::group, "externalId"));
  CHECK(resolve(resource_kind::group, "urn:ietf:params:scim:schemas:core:2.0:Group:members.value"));
  CHECK(resolve(resource_kind::user, "emails.value")->attr->multi_valued);
  CHECK(resolve(resource_kind::user, "emails.$ref") == std::nullopt);
  CHECK(resolve(resource_kind::user, "groups.$ref"));
}

TEST_CASE("resolve rejects unknown names", "[schema]") {
  for (auto p : {"", "nope", "name.nope", "name.", "userName.value", "name.givenName.x", "members",
                 "urn:ietf:params:scim:schemas:core:2.0:Group:displayName",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName", "urn:x:y:userName"}) {
    INFO(p);
    CHECK_FALSE(resolve(resource_kind::user, p));
  }
  CHECK_FALSE(resolve(resource_kind::group, "employeeNumber"));
  CHECK_FALSE(resolve(resource_kind::group, "userName"));
}

TEST_CASE("schema_to_json renders the RFC 7643 section 7 resource", "[schema]") {
  auto j = schema_to_json(user_schema(), "https://h/scim/v2/");
  CHECK(j["id"] == user_urn);
  CHECK(j["name"] == "User");
  CHECK(j["meta"]["resourceType"] == "Schema");
  CHECK(j["meta"]["location"] == "https://h/scim/v2/Schemas/" + std::string{user_urn});
  const auto& attrs = j["attributes"];
  REQUIRE(attrs.is_array());
  const auto& user_name = attrs[0];
  CHECK(user_name["name"] == "userName");
  CHECK(user_name["type"] == "string");
  CHECK(user_name["multiValued"] == false);
  CHECK(user_name["required"] == true);
  CHECK(user_name["caseExact"] == false);
  CHECK(user_name["mutability"] == "readWrite");
  CHECK(user_name["returned"] == "default");
  CHECK(user_name["uniqueness"] == "server");
  CHECK_FALSE(user_name.contains("subAttributes"));
  bool saw_emails = false;
  for (const auto& a : attrs) {
    if (a["name"] == "emails") {
      saw_emails = true;
      CHECK(a["type"] == "complex");
      CHECK(a["subAttributes"].size() == 4);
      CHECK(a["subAttributes"][2]["canonicalValues"].size() == 3);
    }
    if (a["name"] == "profileUrl")
      CHECK(a["referenceTypes"] == nlohmann::json{"external"});
    if (a["name"] == "password") {
      CHECK(a["mutability"] == "writeOnly");
      CHECK(a["returned"] == "never");
    }
  }
  CHECK(saw_emails);
  auto g = schema_to_json(group_schema(), "https://h");
  CHECK(g["meta"]["location"] == "https://h/Schemas/" + std::string{group_urn});
}
