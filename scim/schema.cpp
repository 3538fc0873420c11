#include "scim/schema.hpp"

#include <cctype>
#include <utility>

// Attribute tables of RFC 7643 §4 / §8.7.1 and the path resolver over them.
namespace dirsync::scim {

namespace {

/// Small fluent builder so the tables below read like the RFC's JSON.
class def {
public:
  def(std::string name, attr_type type, std::string desc) {
    a_.name = std::move(name);
    a_.type = type;
    a_.description = std::move(desc);
    // Binary values are case-exact by definition (RFC 7643 §2.3.6).
    a_.case_exact = (type == attr_type::binary);
  }
  def& required() { a_.required = true; return *this; }
  def& exact() { a_.case_exact = true; return *this; }
  def& multi() { a_.multi_valued = true; return *this; }
  def& mut(mutability m) { a_.mut = m; return *this; }
  def& ret(returned r) { a_.ret = r; return *this; }
  def& unique(uniqueness u) { a_.uniq = u; return *this; }
  def& canon(std::vector<std::string> v) { a_.canonical_values = std::move(v); return *this; }
  def& refs(std::vector<std::string> v) { a_.reference_types = std::move(v); return *this; }
  def& subs(std::vector<attribute> v) { a_.sub_attributes = std::move(v); return *this; }
  operator attribute() const { return a_; }

private:
  attribute a_;
};

using T = attr_type;

def str(std::string n, std::string d) { return def{std::move(n), T::string, std::move(d)}; }

/// The value/display/type/primary shape shared by emails, phoneNumbers, ….
attribute plural(std::string name, std::string desc, def value, std::vector<std::string> types) {
  return def{std::move(name), T::complex, std::move(desc)}.multi().subs({
      value,
      str("display", "A human-readable name, primarily used for display purposes. READ-ONLY."),
      str("type", "A label indicating the attribute's function.").canon(std::move(types)),
      def{"primary", T::boolean,
          "A Boolean value indicating the 'primary' or preferred attribute value for this attribute. "
          "The primary attribute value 'true' MUST appear no more than once."},
  });
}

schema make_user() {
  auto name_part = [](const char* n, const char* d) { return attribute(str(n, d)); };
  return schema{
      std::string{user_urn}, "User", "User Account",
      {
          str("userName", "Unique identifier for the User, typically used by the user to directly "
                          "authenticate to the service provider. REQUIRED.")
              .required().unique(uniqueness::server),
          def{"name", T::complex, "The components of the user's real name."}.subs({
              name_part("formatted", "The full name, including all middle names, titles, and suffixes "
                                     "as appropriate, formatted for display."),
              name_part("familyName", "The family name of the User, or last name in most Western languages."),
              name_part("givenName", "The given name of the User, or first name in most Western languages."),
              name_part("middleName", "The middle name(s) of the User."),
              name_part("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western "
                                           "languages (e.g., 'Ms.')."),
              name_part("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western "
                                           "languages (e.g., 'III')."),
          }),
          str("displayName", "The name of the User, suitable for display to end-users."),
          str("nickName", "The casual way to address the user in real life."),
          def{"profileUrl", T::reference, "A fully qualified URL pointing to a page representing the "
                                          "User's online profile."}.refs({"external"}),
          str("title", "The user's title, such as \"Vice President\"."),
          str("userType", "Used to identify the relationship between the organization and the user."),
          str("preferredLanguage", "Indicates the User's preferred written or spoken language."),
          str("locale", "Used to indicate the User's default location for purposes of localizing items."),
          str("timezone", "The User's time zone in the 'Olson' time zone database format."),
          def{"active", T::boolean, "A Boolean value indicating the User's administrative status."},
          str("password", "The User's cleartext password, used to set or compare a password.")
              .mut(mutability::write_only).ret(returned::never),
          plural("emails", "Email addresses for the user.",
                 str("value", "Email addresses for the user, canonicalized per RFC 5321."),
                 {"work", "home", "other"}),
          plural("phoneNumbers", "Phone numbers for the User.",
                 str("value", "Phone number of the User."),
                 {"work", "home", "mobile", "fax", "pager", "other"}),
          plural("ims", "Instant messaging addresses for the User.",
                 str("value", "Instant messaging address for the User."),
                 {"aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"}),
          plural("photos", "URLs of photos of the User.",
                 def{"value", T::reference, "URL of a photo of the User."}.refs({"external"}),
                 {"photo", "thumbnail"}),
          def{"addresses", T::complex, "A physical mailing address for this User."}.multi().subs({
              str("formatted", "The full mailing address, formatted for display or use with a mailing label."),
              str("streetAddress", "The full street address component."),
              str("locality", "The city or locality component."),
              str("region", "The state or region component."),
              str("postalCode", "The zip code or postal code component."),
              str("country", "The country name component (ISO 3166-1 alpha-2)."),
              str("type", "A label indicating the attribute's function.").canon({"work", "home", "other"}),
              def{"primary", T::boolean, "A Boolean value indicating the preferred mailing address."},
          }),
          def{"groups", T::complex, "A list of groups to which the user belongs, either through direct "
                                    "membership, through nested groups, or dynamically calculated."}
              .multi().mut(mutability::read_only).subs({
                  str("value", "The identifier of the User's group.").mut(mutability::read_only),
                  def{"$ref", T::reference, "The URI of the corresponding 'Group' resource."}
                      .refs({"User", "Group"}).mut(mutability::read_only),
                  str("display", "A human-readable name, primarily used for display purposes.")
                      .mut(mutability::read_only),
                  str("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.")
                      .canon({"direct", "indirect"}).mut(mutability::read_only),
              }),
          plural("entitlements", "A list of entitlements for the User.",
                 str("value", "The value of an entitlement."), {}),
          plural("roles", "A list of roles for the User.", str("value", "The value of a role."), {}),
          plural("x509Certificates", "A list of certificates issued to the User.",
                 def{"value", T::binary, "The value of an X.509 certificate."}, {}),
      }};
}

schema make_enterprise() {
  return schema{
      std::string{enterprise_urn}, "EnterpriseUser", "Enterprise User",
      {
          str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
          str("costCenter", "Identifies the name of a cost center."),
          str("organization", "Identifies the name of an organization."),
          str("division", "Identifies the name of a division."),
          str("department", "Identifies the name of a department."),
          def{"manager", T::complex, "The User's manager."}.subs({
              str("value", "The id of the SCIM resource representing the User's manager."),
              def{"$ref", T::reference, "The URI of the SCIM resource representing the User's manager."}
                  .refs({"User"}),
              str("displayName", "The displayName of the User's manager.").mut(mutability::read_only),
          }),
      }};
}

schema make_group() {
  return schema{
      std::string{group_urn}, "Group", "Group",
      {
          str("displayName", "A human-readable name for the Group. REQUIRED.").required(),
          def{"members", T::complex, "A list of members of the Group."}.multi().subs({
              str("value", "Identifier of the member of this Group.").mut(mutability::immutable),
              def{"$ref", T::reference, "The URI corresponding to a SCIM resource that is a member of "
                                        "this Group."}.refs({"User", "Group"}).mut(mutability::immutable),
              str("display", "A human-readable name for the member.").mut(mutability::immutable),
              str("type", "A label indicating the type of resource, e.g., 'User' or 'Group'.")
                  .canon({"User", "Group"}).mut(mutability::immutable),
          }),
      }};
}

std::vector<attribute> make_common() {
  auto ro = mutability::read_only;
  return {
      str("id", "A unique identifier for a SCIM resource as defined by the service provider.")
          .exact().mut(ro).ret(returned::always).unique(uniqueness::server),
      str("externalId", "A String that is an identifier for the resource as defined by the "
                        "provisioning client.").exact(),
      def{"meta", T::complex, "A complex attribute containing resource metadata."}.mut(ro).subs({
          str("resourceType", "The name of the resource type of the resource.").exact().mut(ro),
          def{"created", T::date_time, "The DateTime that the resource was added to the service provider."}
              .mut(ro),
          def{"lastModified", T::date_time, "The most recent DateTime that the details of this resource "
                                            "were updated at the service provider."}.mut(ro),
          def{"location", T::reference, "The URI of the resource being returned."}
              .exact().refs({"uri"}).mut(ro),
          str("version", "The version of the resource being returned.").exact().mut(ro),
      }),
  };
}

const attribute* find_in(const std::vector<attribute>& attrs, std::string_view name) {
  for (const auto& a : attrs)
    if (iequals(a.name, name))
      return &a;
  return nullptr;
}

/// Strips `prefix + ":"` case-insensitively; true when it was there.
bool strip_urn(std::string_view& path, std::string_view urn) {
  if (path.size() <= urn.size() || path[urn.size()] != ':' || !iequals(path.substr(0, urn.size()), urn))
    return false;
  path.remove_prefix(urn.size() + 1);
  return true;
}

} // namespace

const schema& user_schema() {
  static const schema s = make_user();
  return s;
}

const schema& enterprise_user_schema() {
  static const schema s = make_enterprise();
  return s;
}

const schema& group_schema() {
  static const schema s = make_group();
  return s;
}

const std::vector<attribute>& common_attributes() {
  static const std::vector<attribute> attrs = make_common();
  return attrs;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  // ASCII folding inline: std::tolower was a library call per byte, about
  // 3 % of a PATCH (callgrind), for the same answer on names.
  auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && fold(a[i]) != fold(b[i]))
      return false;
  return true;
}

const attribute* find_sub_attribute(const attribute& parent, std::string_view name) {
  return find_in(parent.sub_attributes, name);
}

const std::vector<const schema*>& schemas_for(resource_kind kind) {
  static const std::vector<const schema*> group{&group_schema()};
  static const std::vector<const schema*> user{&user_schema(), &enterprise_user_schema()};
  return kind == resource_kind::group ? group : user;
}

std::optional<resolved_attr> resolve(resource_kind kind, std::string_view path) {
  const schema& core = kind == resource_kind::user ? user_schema() : group_schema();
  const schema* ext = kind == resource_kind::user ? &enterprise_user_schema() : nullptr;
  // Which schemas the name may come from: an explicit URN pins one; without a
  // URN the core schema and common attributes win, then the extension
  // (lenient: no extension attribute shares a name with a core one).
  bool allow_core = true;
  bool allow_ext = ext != nullptr;
  if (ext && strip_urn(path, ext->id)) {
    allow_core = false;
  } else if (strip_urn(path, core.id)) {
    allow_ext = false;
  }
  auto dot = path.find('.');
  std::string_view head = path.substr(0, dot);
  std::string_view tail = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (head.empty() || (dot != std::string_view::npos && tail.empty()))
    return std::nullopt;

  resolved_attr r;
  if (allow_core) {
    if ((r.attr = find_in(core.attributes, head)))
      r.owner = &core;
    else
      r.attr = find_in(common_attributes(), head);
  }
  if (!r.attr && allow_ext && (r.attr = find_in(ext->attributes, head)))
    r.owner = ext;
  if (!r.attr)
    return std::nullopt;
  if (!tail.empty() && !(r.sub = find_sub_attribute(*r.attr, tail)))
    return std::nullopt;

  if (r.owner == ext && ext) {
    r.canonical = ext->id + ":";
    r.json_keys.push_back(ext->id);
  }
  r.canonical += r.attr->name;
  r.json_keys.push_back(r.attr->name);
  if (r.sub) {
    r.canonical += "." + r.sub->name;
    r.json_keys.push_back(r.sub->name);
  }
  return r;
}

namespace {

std::string_view type_name(attr_type t) {
  switch (t) {
    case attr_type::string: return "string";
    case attr_type::boolean: return "boolean";
    case attr_type::decimal: return "decimal";
    case attr_type::integer: return "integer";
    case attr_type::date_time: return "dateTime";
    case attr_type::reference: return "reference";
    case attr_type::complex: return "complex";
    case attr_type::binary: return "binary";
  }
  return "string";
}

std::string_view mutability_name(mutability m) {
  switch (m) {
    case mutability::read_only: return "readOnly";
    case mutability::read_write: return "readWrite";
    case mutability::immutable: return "immutable";
    case mutability::write_only: return "writeOnly";
  }
  return "readWrite";
}

std::string_view returned_name(returned r) {
  switch (r) {
    case returned::always: return "always";
    case returned::never: return "never";
    case returned::by_default: return "default";
    case returned::request: return "request";
  }
  return "default";
}

std::string_view uniqueness_name(uniqueness u) {
  switch (u) {
    case uniqueness::none: return "none";
    case uniqueness::server: return "server";
    case uniqueness::global: return "global";
  }
  return "none";
}

nlohmann::json attribute_to_json(const attribute& a) {
  nlohmann::json j = {
      {"name", a.name},
      {"type", type_name(a.type)},
      {"multiValued", a.multi_valued},
      {"description", a.description},
      {"required", a.required},
      {"caseExact", a.case_exact},
      {"mutability", mutability_name(a.mut)},
      {"returned", returned_name(a.ret)},
      {"uniqueness", uniqueness_name(a.uniq)},
  };
  if (!a.canonical_values.empty())
    j["canonicalValues"] = a.canonical_values;
  if (a.type == attr_type::reference)
    j["referenceTypes"] = a.reference_types;
  if (a.type == attr_type::complex) {
    j["subAttributes"] = nlohmann::json::array();
    for (const auto& s : a.sub_attributes)
      j["subAttributes"].push_back(attribute_to_json(s));
  }
  return j;
}

} // namespace

nlohmann::json schema_to_json(const schema& s, std::string_view base_url) {
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& a : s.attributes)
    attrs.push_back(attribute_to_json(a));
  std::string base{base_url};
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return {
      {"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
      {"id", s.id},
      {"name", s.name},
      {"description", s.description},
      {"attributes", std::move(attrs)},
      {"meta", {{"resourceType", "Schema"}, {"location", base + "/Schemas/" + s.id}}},
  };
}

} // namespace dirsync::scim
