#include <catch2/catch.hpp>

#include "scim/resource.hpp"

using namespace dirsync::scim;
using json = nlohmann::json;

namespace {

json parse(const char* text) {
  auto j = json::parse(text, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

json full_user() {
  return render(resource_kind::user, parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "userName": "bjensen", "displayName": "Babs", "active": true,
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "emails": [{"value": "bj@work", "type": "work", "primary": true}, {"value": "bj@home", "type": "home"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "employeeNumber": "7"}
  })"), resource_meta{"u-1", "c", "m", 3, "https://h/scim/v2"}, nullptr);
}

projection proj(resource_kind kind, std::string_view a, std::string_view e) {
  auto p = parse_projection(kind, a, e);
  REQUIRE(p);
  return p.value();
}

} // namespace

TEST_CASE("projection: attributes=userName keeps id and schemas", "[resource]") {
  auto out = apply_projection(resource_kind::user, full_user(), proj(resource_kind::user, "userName", ""));
  CHECK(out == parse(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"id":"u-1","userName":"bjensen"})"));
}

TEST_CASE("projection: sub-attributes, URN-qualified names, case-insensitive", "[resource]") {
  auto p = proj(resource_kind::user,
                " emails.value,NAME.givenName , urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "");
  auto out = apply_projection(resource_kind::user, full_user(), p);
  CHECK(out["emails"] == parse(R"([{"value":"bj@work"},{"value":"bj@home"}])"));
  CHECK(out["name"] == parse(R"({"givenName":"Barbara"})"));
  CHECK(out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] == parse(R"({"department":"Sales"})"));
  CHECK_FALSE(out.contains("meta"));
  CHECK_FALSE(out.contains("active"));
  CHECK(out["id"] == "u-1");
}

TEST_CASE("projection: excludedAttributes", "[resource]") {
  auto out = apply_projection(resource_kind::user, full_user(),
                              proj(resource_kind::user, "", "emails,name.familyName,id,meta"));
  CHECK_FALSE(out.contains("emails"));
  CHECK_FALSE(out.contains("meta"));
  CHECK(out["id"] == "u-1"); // returned=always cannot be excluded
  CHECK(out["name"] == parse(R"({"givenName":"Barbara"})"));
  CHECK(out["userName"] == "bjensen");

  // Entra reads groups with excludedAttributes=members.
  std::vector<member_ref> members{{"u-1", "", ""}};
  auto group = render(resource_kind::group, parse(R"({"displayName":"Eng"})"),
                      resource_meta{"g-1", "c", "m", 1, "https://h/scim/v2"}, &members);
  auto p = proj(resource_kind::group, "", "members");
  CHECK_FALSE(wants_members(resource_kind::group, p));
  auto g = apply_projection(resource_kind::group, group, p);
  CHECK_FALSE(g.contains("members"));
  CHECK(g["displayName"] == "Eng");
  CHECK(g["id"] == "g-1");
}

TEST_CASE("projection: wants_members and unknown names", "[resource]") {
  CHECK(wants_members(resource_kind::group, proj(resource_kind::group, "", "")));
  CHECK(wants_members(resource_kind::group, proj(resource_kind::group, "members", "")));
  CHECK(wants_members(resource_kind::group, proj(resource_kind::group, "members.value", "")));
  CHECK_FALSE(wants_members(resource_kind::group, proj(resource_kind::group, "displayName", "")));
  CHECK(wants_members(resource_kind::group, proj(resource_kind::group, "", "members.display")));
  CHECK(wants_members(resource_kind::user, proj(resource_kind::user, "", "")));
  CHECK_FALSE(wants_members(resource_kind::user, proj(resource_kind::user, "", "groups")));
  CHECK_FALSE(wants_members(resource_kind::user, proj(resource_kind::user, "userName", "")));

  // Unknown attributes are ignored; malformed names are refused.
  CHECK(proj(resource_kind::user, "favouriteColour,userName", "").attributes.size() == 1);
  auto bad = parse_projection(resource_kind::user, "emails[type eq \"work\"]", "");
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == error_code::invalid_value);
}

TEST_CASE("projection: password never returned, no projection is identity", "[resource]") {
  json full = full_user();
  full["password"] = "leak";
  auto out = apply_projection(resource_kind::user, full, projection{});
  CHECK_FALSE(out.contains("password"));
  out["password"] = "leak";
  CHECK(out == full);
  CHECK_FALSE(apply_projection(resource_kind::user, full, proj(resource_kind::user, "password", "")).contains("password"));
}

TEST_CASE("list_response shape", "[resource]") {
  auto l = list_response({json{{"id", "a"}}, json{{"id", "b"}}}, 10, 3);
  CHECK(l == parse(R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
    "totalResults":10,"itemsPerPage":2,"startIndex":3,"Resources":[{"id":"a"},{"id":"b"}]})"));
  auto empty = list_response({}, 0, 1);
  CHECK(empty["Resources"] == json::array());
  CHECK(empty["itemsPerPage"] == 0);
}

// Reads answer the stored text with id, meta and the related references
// spliced in (no parse, no re-serialization). The text must mean exactly
// what the parsing path renders under the default projection, for every
// stored form normalize_resource can produce, and the splice must be taken
// for the resources IdPs actually push.
TEST_CASE("render_text equals the parsed rendering and splices canonical stored text", "[resource]") {
  const resource_meta meta{"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "2026-01-01T00:00:00.000Z",
                           "2026-01-02T03:04:05.678Z", 12, "https://dirsync.example.com/scim/v2"};
  struct sample {
    resource_kind kind;
    const char* body;
    bool spliced; // canonical text: the splice applies
  };
  const sample samples[] = {
    {resource_kind::user, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com"})",
     true},
    // Okta's create, with a password (dropped) and the enterprise extension.
    {resource_kind::user, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
       "userName":"isabella@example.com","name":{"givenName":"Isabella","familyName":"Ruiz"},
       "emails":[{"primary":true,"value":"isabella@example.com","type":"work"}],"displayName":"Isabella Ruiz",
       "locale":"en-US","externalId":"00u1","groups":[],"password":"x!","active":true,
       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D","manager":{"value":"m1"}}})",
     true},
    // Entra's shape: unicode, escapes, a deactivated user.
    {resource_kind::user, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zoë@example.com",
       "displayName":"Zoë \"Z\" Ölund\\\n","active":false,"title":"</script>",
       "addresses":[{"type":"work","streetAddress":"1 Main St","country":"SE"}],
       "phoneNumbers":[{"type":"mobile","value":"+46 70"}]})",
     true},
    // Values that look like keys or empties: the text is parsed instead.
    {resource_kind::user, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b@example.com",
       "displayName":"\"id\": {} []"})",
     false},
    {resource_kind::user, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"c@example.com",
       "name":{},"emails":[]})",
     true},
    {resource_kind::group, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales",
       "externalId":"g-1","members":[{"value":"u1"}]})",
     true},
  };
  const std::vector<member_ref> related[] = {
    {},
    {{"g-1", "Sales", "direct"}, {"g-2", "", "direct"}, {"g-3", "Ops \"EU\" \\ \n\t\x01 \xc3\xb6 </", ""}},
  };
  for (const auto& s : samples) {
    auto n = normalize_resource(s.kind, parse(s.body));
    REQUIRE(n);
    const std::string stored = n->resource.dump(); // what the writer stores
    for (const auto& rel : related) {
      INFO(s.body << " with " << rel.size() << " related");
      auto text = render_text(s.kind, stored, meta, &rel);
      auto got = json::parse(text, nullptr, false);
      REQUIRE_FALSE(got.is_discarded());
      auto want = apply_projection(s.kind, render(s.kind, n->resource, meta, &rel), projection{});
      CHECK(got == want);
      CHECK((text.compare(0, stored.size() - 1, stored, 0, stored.size() - 1) == 0) == s.spliced);
      // The values themselves, escaped and read back.
      const bool user = s.kind == resource_kind::user;
      CHECK(got["id"] == meta.id);
      CHECK(got["meta"] == json{{"resourceType", user ? "User" : "Group"}, {"created", meta.created},
                                {"lastModified", meta.last_modified},
                                {"location", meta.base_url + (user ? "/Users/" : "/Groups/") + meta.id},
                                {"version", "W/\"12\""}});
      const char* key = user ? "groups" : "members";
      REQUIRE(got.value(key, json::array()).size() == rel.size());
      for (std::size_t i = 0; i < rel.size(); ++i) {
        const auto& e = got[key][i];
        CHECK(e["value"] == rel[i].value);
        CHECK(e.value("display", "") == rel[i].display);
        CHECK(e.value("type", "") == rel[i].type);
        CHECK(e["$ref"] == meta.base_url + (user ? "/Groups/" : "/Users/") + rel[i].value);
      }
    }
  }
  // Stored text that is not canonical (an older writer, a hand edit) is
  // rendered by parsing: a password or a stale meta never leaks.
  auto odd = std::string(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"d",)"
                         R"("password":"secret","meta":{"version":"W/\"1\""},"id":"old"})");
  auto got = json::parse(render_text(resource_kind::user, odd, meta, nullptr));
  CHECK_FALSE(got.contains("password"));
  CHECK(got["id"] == meta.id);
  CHECK(got["meta"]["version"] == make_etag(12));
  auto spaced = std::string(R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"e",)"
                            R"("password" : "secret"})");
  CHECK_FALSE(json::parse(render_text(resource_kind::user, spaced, meta, nullptr)).contains("password"));
}

TEST_CASE("render_text escapes every byte JSON must escape, wherever it falls in a value", "[resource]") {
  // The escaper scans eight bytes at a time: each byte that needs escaping,
  // and a few that do not, at every position across two words and a tail.
  const resource_meta meta{"id-1", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z", 1,
                           "https://dirsync.example.com/scim/v2"};
  const std::string stored = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"G"})";
  std::vector<char> bytes{'"', '\\', '\x7f', ' ', '!', '#', '[', ']', '\xc3'};
  for (int c = 0; c < 0x20; ++c)
    bytes.push_back(static_cast<char>(c));
  for (char b : bytes) {
    for (std::size_t at = 0; at < 19; ++at) {
      std::string value(19, 'x');
      value[at] = b;
      if (b == '\xc3') // keep it valid UTF-8: a two-byte sequence
        value.insert(at + 1, 1, '\xb6');
      std::vector<member_ref> members{{value, value, "User"}};
      auto text = render_text(resource_kind::group, stored, meta, &members);
      auto got = json::parse(text, nullptr, false);
      INFO("byte " << static_cast<int>(static_cast<unsigned char>(b)) << " at " << at);
      REQUIRE_FALSE(got.is_discarded());
      CHECK(got["members"][0]["value"] == value);
      CHECK(got["members"][0]["display"] == value);
      CHECK(text.find(json(value).dump()) != std::string::npos); // the same escapes as dump()
    }
  }
}

TEST_CASE("list_response_text equals the parsed ListResponse", "[resource]") {
  std::vector<std::string> texts{R"({"id":"a","userName":"x"})", R"({"id":"b","userName":"y"})"};
  auto got = json::parse(list_response_text(texts, 7, 3));
  CHECK(got == list_response({json::parse(texts[0]), json::parse(texts[1])}, 7, 3));
  auto empty = json::parse(list_response_text({}, 0, 1));
  CHECK(empty == list_response({}, 0, 1));
}

TEST_CASE("dump_canonical writes a stored resource byte for byte as dump() does", "[resource]") {
  // The stored text of every create, PUT and PATCH: Okta's and Entra's
  // bodies, unicode, every escape, numbers, empties and nesting.
  const char* bodies[] = {
    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isabella@example.com",
        "name":{"givenName":"Isabella","familyName":"Ünal-O'Brien"},"emails":[{"primary":true,
        "value":"isabella@example.com","type":"work"}],"displayName":"Isabella \"Bella\" Ünal",
        "locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"active":true})",
    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"Test_User_1@contoso.com",
        "active":false,"title":"tab\there, line\nbreak, bell\u0007, back\\slash, nul-free \u001f",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"701984",
        "department":"日本語 ✓ 😀","manager":{"value":"26118915-6090-4610-87e4-49d8ca9f808d"}},
        "phoneNumbers":[{"value":"+1 555 0100","type":"work"},{"value":"","type":"mobile"}],
        "x509Certificates":[],"nickName":null,"count":42,"ratio":0.25,"big":-12345678901234,
        "nested":[[],[{}],{"a":[1,2.5,true,false,null]}]})",
    R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Engineering \b\f\r"})",
  };
  for (const char* body : bodies) {
    auto parsed = json::parse(body);
    INFO(body);
    CHECK(dump_canonical(parsed) == parsed.dump());
    auto n = normalize_resource(parsed.contains("userName") ? resource_kind::user : resource_kind::group, parsed);
    REQUIRE(n);
    CHECK(dump_canonical(n->resource) == n->resource.dump());
  }
  CHECK(dump_canonical(json::object()) == "{}");
  CHECK(dump_canonical(json::array()) == "[]");
}
