// Fuzz target: resource normalisation (POST/PUT bodies, SPEC S1, U4, U5).
// The input is a request body, normalised as a User and as a Group.
// Properties: nothing crashes or throws; an accepted body's stored form is
// a fixed point of validate_stored, never holds a password, serialises, and
// renders with id and meta; the rendering from the stored text (reads)
// means the same as the parsed one; group members are unique by value.

#include <set>

#include "fuzz.hpp"
#include "scim/resource.hpp"

namespace {

using namespace dirsync;
using json = nlohmann::json;

void normalise(scim::resource_kind kind, const json& body) {
  auto n = scim::normalize_resource(kind, body);
  if (!n)
    return;
  const json& res = n->resource;
  auto again = scim::validate_stored(kind, res);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == res);
  FUZZ_CHECK(!res.contains("password") && !res.contains("id") && !res.contains("meta"));
  std::string text;
  try {
    text = res.dump();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dump threw: %s\n", e.what());
    FUZZ_CHECK(!"the stored form must serialise");
  }
  FUZZ_CHECK(json::parse(text, nullptr, false) == res);
  FUZZ_CHECK(scim::dump_canonical(res) == text); // what the writer stores, byte for byte
  std::vector<scim::member_ref> members;
  if (n->members) {
    FUZZ_CHECK(kind == scim::resource_kind::group);
    std::set<std::string> seen;
    for (const auto& m : *n->members)
      FUZZ_CHECK(seen.insert(m.value).second);
    members = *n->members;
  }
  scim::resource_meta meta{"id-1", "2024-01-01T00:00:00.000Z", "2024-01-02T00:00:00.000Z", 3,
                           "https://dirsync.example.com/scim/v2"};
  auto full = scim::render(kind, res, meta, &members);
  FUZZ_CHECK(full["id"] == "id-1" && full["meta"]["version"] == scim::make_etag(3));
  FUZZ_CHECK(!full.contains("password"));
  auto spliced = json::parse(scim::render_text(kind, text, meta, &members), nullptr, false);
  FUZZ_CHECK(spliced == scim::apply_projection(kind, full, scim::projection{}));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto body = json::parse(dirsync::fuzz::as_text(data, size), nullptr, false);
  if (body.is_discarded())
    return 0;
  normalise(scim::resource_kind::user, body);
  normalise(scim::resource_kind::group, body);
  return 0;
}
