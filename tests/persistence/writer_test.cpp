// The SQLite writer: users, groups and membership rows, uniqueness, optimistic
// versions, per-operation savepoints inside a group-commit batch.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "persistence/sqlite.hpp"
#include "persistence/store.hpp"
#include "temp_db.hpp"

namespace fs = std::filesystem;
using namespace dirsync::persistence;
using dirsync::scim::error_code;

namespace {

// A migrated database in a fresh directory with one writer and one reader.
struct writer_fixture : dirsync::test::temp_db {
  writer_fixture() : temp_db("writer") {
  }

  // Runs one operation in its own batch and savepoint, committing it.
  template <class F>
  dirsync::scim::expected<dirsync::scim::unit> one(F f) {
    REQUIRE(w->begin_batch() == "");
    w->begin_op();
    auto res = f(*w);
    w->end_op(res.has_value());
    REQUIRE(w->commit_batch() == "");
    return res;
  }
};

user_row make_user(std::string id, std::string dir, std::string name) {
  user_row u;
  u.id = std::move(id);
  u.directory_id = std::move(dir);
  u.user_name = std::move(name);
  u.created = "2026-01-01T00:00:00.000Z";
  u.last_modified = u.created;
  u.resource = R"({"userName":")" + u.user_name + R"("})";
  return u;
}

group_row make_group(std::string id, std::string dir, std::string name) {
  group_row g;
  g.id = std::move(id);
  g.directory_id = std::move(dir);
  g.display_name = std::move(name);
  g.created = "2026-01-01T00:00:00.000Z";
  g.last_modified = g.created;
  g.resource = R"({"displayName":")" + g.display_name + R"("})";
  return g;
}

std::vector<std::string> member_ids(reader& r, const std::string& group_id) {
  std::vector<std::string> out;
  for (auto& m : r.members_of_group(group_id))
    out.push_back(m.id);
  return out;
}

using ids = std::vector<std::string>;

} // namespace

// D12: a push's mapped attributes are merged into what is stored, read and
// written by the update itself; a stale version writes neither.
TEST_CASE_METHOD(writer_fixture, "update_user with a merge sets the attributes from the stored ones in the same update",
                 "[persistence]") {
  auto u = make_user("u1", "dA", "alice");
  u.attributes = R"({"email":"a@example.com","title":"set by an admin"})";
  REQUIRE(one([&](writer& w) { return w.insert_user(u); }));

  std::vector<std::string> seen;
  auto merge = [&seen](const std::string& stored) {
    seen.push_back(stored);
    return "{\"merged\":" + std::to_string(seen.size()) + "}";
  };
  auto next = u;
  next.version = 2;
  next.display_name = "Alice A";
  REQUIRE(one([&](writer& w) { return w.update_user(next, 1, merge); }));
  REQUIRE(seen == std::vector<std::string>{u.attributes});
  auto got = r->user("dA", "u1");
  REQUIRE(got);
  CHECK(got->attributes == R"({"merged":1})");
  CHECK(got->display_name == std::optional<std::string>{"Alice A"});
  CHECK(got->version == 2);

  // A new userName takes the statement that also rewrites the keys.
  auto renamed = *got;
  renamed.user_name = "alice2";
  renamed.version = 3;
  REQUIRE(one([&](writer& w) { return w.update_user(renamed, 2, merge); }));
  CHECK(seen.back() == R"({"merged":1})");
  got = r->user("dA", "u1");
  REQUIRE(got);
  CHECK(got->user_name == "alice2");
  CHECK(got->attributes == R"({"merged":2})");

  auto stale = renamed;
  stale.version = 9;
  stale.display_name = "Stale";
  auto res = one([&](writer& w) { return w.update_user(stale, 7, merge); });
  REQUIRE_FALSE(res);
  CHECK(res.err().code == error_code::precondition_failed);
  got = r->user("dA", "u1");
  CHECK(got->attributes == R"({"merged":2})");
  CHECK(got->display_name == std::optional<std::string>{"Alice A"});

  // Without a merge the attributes stay as they are.
  auto plain = *got;
  plain.version = 4;
  plain.display_name = "Plain";
  REQUIRE(one([&](writer& w) { return w.update_user(plain, 3); }));
  got = r->user("dA", "u1");
  CHECK(got->attributes == R"({"merged":2})");
  CHECK(got->display_name == std::optional<std::string>{"Plain"});

  // A user that is not there: nothing is merged, nothing is written.
  auto ghost = make_user("u9", "dA", "ghost");
  auto before = seen.size();
  auto missing = one([&](writer& w) { return w.update_user(ghost, 1, merge); });
  REQUIRE_FALSE(missing);
  CHECK(missing.err().code == error_code::precondition_failed);
  CHECK(seen.size() == before);
}

// D12 with the caller's copy of the user: one statement while the stored
// attributes are the ones the caller saw; the merge of what is stored when
// an admin changed them.
TEST_CASE_METHOD(writer_fixture, "update_user with the caller's copy merges only when the stored attributes moved",
                 "[persistence]") {
  auto u = make_user("u1", "dA", "alice");
  u.external_id = "ext-1";
  u.attributes = R"({"first_name":"Ada"})";
  REQUIRE(one([&](writer& w) { return w.insert_user(u); }));
  std::vector<std::string> merged_from;
  auto merge = [&](const std::string& stored) {
    merged_from.push_back(stored);
    return R"({"from":"merge"})";
  };
  writer::user_snapshot seen{u.user_name, u.external_id, u.attributes, R"({"first_name":"Augusta"})"};

  // The copy is current: its merged text is written, no merge runs.
  auto next = u;
  next.version = 2;
  next.display_name = "Augusta";
  REQUIRE(one([&](writer& w) { return w.update_user(next, 1, merge, &seen); }));
  CHECK(merged_from.empty());
  auto got = r->user("dA", "u1");
  REQUIRE(got);
  CHECK(got->attributes == seen.merged);
  CHECK(got->display_name == std::optional<std::string>{"Augusta"});
  CHECK(got->version == 2);

  // An admin changed the attributes: the merge runs on what is stored.
  REQUIRE(one([&](writer& w) { return w.set_user_attributes("u1", R"({"notes":"admin"})"); }));
  seen.attributes = seen.merged; // what the caller last wrote
  auto third = next;
  third.version = 3;
  REQUIRE(one([&](writer& w) { return w.update_user(third, 2, merge, &seen); }));
  CHECK(merged_from == std::vector<std::string>{R"({"notes":"admin"})"});
  got = r->user("dA", "u1");
  CHECK(got->attributes == R"({"from":"merge"})");
  CHECK(got->version == 3);

  // A rename through the copy rewrites the keys.
  seen.attributes = got->attributes;
  auto renamed = third;
  renamed.user_name = "alice2";
  renamed.external_id = "ext-2";
  renamed.version = 4;
  REQUIRE(one([&](writer& w) { return w.update_user(renamed, 3, merge, &seen); }));
  got = r->user("dA", "u1");
  CHECK(got->user_name == "alice2");
  CHECK(got->external_id == std::optional<std::string>{"ext-2"});
  CHECK(got->attributes == seen.merged);
  CHECK(r->find_users("dA", {})->total == 1);

  // A stale copy writes nothing.
  seen.user_name = "alice2";
  seen.external_id = "ext-2";
  seen.attributes = got->attributes;
  auto stale = renamed;
  stale.version = 9;
  stale.display_name = "Stale";
  auto res = one([&](writer& w) { return w.update_user(stale, 7, merge, &seen); });
  REQUIRE_FALSE(res);
  CHECK(res.err().code == error_code::precondition_failed);
  got = r->user("dA", "u1");
  CHECK(got->display_name == std::optional<std::string>{"Augusta"});
  CHECK(got->version == 4);
}

TEST_CASE_METHOD(writer_fixture, "writer inserts, updates and deletes users", "[persistence]") {
  auto u = make_user("u1", "dA", "alice");
  u.external_id = "ext-1";
  u.display_name = "Alice A";
  REQUIRE(one([&](writer& w) { return w.insert_user(u); }));
  auto got = r->user("dA", "u1");
  REQUIRE(got);
  CHECK(got->user_name == "alice");
  CHECK(got->external_id == std::optional<std::string>{"ext-1"});
  CHECK(got->display_name == std::optional<std::string>{"Alice A"});
  CHECK(got->active);
  CHECK(got->version == 1);

  auto changed = *got;
  changed.user_name = "alice2";
  changed.active = false;
  changed.display_name.reset();
  changed.version = 2;
  changed.last_modified = "2026-01-02T00:00:00.000Z";
  REQUIRE(one([&](writer& w) { return w.update_user(changed, 1); }));
  got = r->user("dA", "u1");
  REQUIRE(got);
  CHECK(got->user_name == "alice2");
  CHECK_FALSE(got->active);
  CHECK_FALSE(got->display_name);
  CHECK(got->version == 2);
  CHECK(got->created == "2026-01-01T00:00:00.000Z");

  REQUIRE(one([&](writer& w) { return w.delete_user("dA", "u1"); }));
  CHECK_FALSE(r->user("dA", "u1"));
  auto again = one([&](writer& w) { return w.delete_user("dA", "u1"); });
  REQUIRE_FALSE(again);
  CHECK(again.err().code == error_code::not_found);
}

TEST_CASE_METHOD(writer_fixture, "userName is unique case-insensitively across directories", "[persistence]") {
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("u1", "dA", "Alice@Example.com")); }));
  auto same_dir = one([&](writer& w) { return w.insert_user(make_user("u2", "dA", "alice@example.com")); });
  REQUIRE_FALSE(same_dir);
  CHECK(same_dir.err().code == error_code::uniqueness);
  auto other_dir = one([&](writer& w) { return w.insert_user(make_user("u3", "dB", "ALICE@EXAMPLE.COM")); });
  REQUIRE_FALSE(other_dir);
  CHECK(other_dir.err().code == error_code::uniqueness);
  CHECK_FALSE(r->user("dB", "u3"));

  // Renaming onto a taken name is refused too.
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("u4", "dB", "bob")); }));
  auto bob = make_user("u4", "dB", "ALICE@example.com");
  bob.version = 2;
  auto rename = one([&](writer& w) { return w.update_user(bob, 1); });
  REQUIRE_FALSE(rename);
  CHECK(rename.err().code == error_code::uniqueness);
  CHECK(r->user("dB", "u4")->user_name == "bob");
}

TEST_CASE_METHOD(writer_fixture, "updates check the expected version", "[persistence]") {
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("u1", "dA", "alice")); }));
  auto u = make_user("u1", "dA", "alice-new");
  u.version = 2;
  auto stale = one([&](writer& w) { return w.update_user(u, 7); });
  REQUIRE_FALSE(stale);
  CHECK(stale.err().code == error_code::precondition_failed);
  CHECK(r->user("dA", "u1")->user_name == "alice");

  // Another directory cannot update it either (S9).
  auto foreign = make_user("u1", "dB", "alice-new");
  foreign.version = 2;
  CHECK_FALSE(one([&](writer& w) { return w.update_user(foreign, 1); }));

  REQUIRE(one([&](writer& w) { return w.update_user(u, 1); }));
  auto twice = one([&](writer& w) { return w.update_user(u, 1); });
  REQUIRE_FALSE(twice);
  CHECK(twice.err().code == error_code::precondition_failed);

  auto g = make_group("g1", "dA", "Admins");
  REQUIRE(one([&](writer& w) { return w.insert_group(g, {}); }));
  g.display_name = "Admins 2";
  g.version = 2;
  auto gstale = one([&](writer& w) { return w.update_group(g, 5); });
  REQUIRE_FALSE(gstale);
  CHECK(gstale.err().code == error_code::precondition_failed);
  REQUIRE(one([&](writer& w) { return w.update_group(g, 1); }));
  CHECK(r->group("dA", "g1")->display_name == "Admins 2");
  CHECK(r->group("dA", "g1")->version == 2);
}

// Updates leave userName and externalId out of the statement when they are
// unchanged (fewer index pages written); a change of either, even of case
// only, must still reach the row and its index.
TEST_CASE_METHOD(writer_fixture, "updates keep or change userName and externalId exactly", "[persistence]") {
  auto u = make_user("u1", "dA", "alice");
  REQUIRE(one([&](writer& w) { return w.insert_user(u); }));
  auto step = [&](auto change) {
    auto cur = *r->user("dA", "u1");
    auto next = cur;
    change(next);
    next.version = cur.version + 1;
    return one([&](writer& w) { return w.update_user(next, cur.version); });
  };
  // Same keys: other columns change, the keys stay and the index still finds it.
  REQUIRE(step([](user_row& x) { x.display_name = "Alice A"; x.active = false; }));
  auto got = r->user("dA", "u1");
  CHECK(got->user_name == "alice");
  CHECK_FALSE(got->external_id);
  CHECK(got->display_name == std::optional<std::string>{"Alice A"});
  CHECK_FALSE(got->active);
  CHECK(got->version == 2);
  CHECK(one([&](writer& w) -> dirsync::scim::expected<dirsync::scim::unit> {
    auto by = w.user_by_name("ALICE");
    if (!by || by->id != "u1")
      return dirsync::scim::make_error(error_code::not_found, "index lost the user");
    return dirsync::scim::unit{};
  }));
  // externalId appears, then changes, then goes; userName keeps.
  REQUIRE(step([](user_row& x) { x.external_id = "e1"; }));
  CHECK(r->user("dA", "u1")->external_id == std::optional<std::string>{"e1"});
  REQUIRE(step([](user_row& x) { x.external_id = "e2"; }));
  CHECK(r->user("dA", "u1")->external_id == std::optional<std::string>{"e2"});
  REQUIRE(step([](user_row& x) { x.external_id.reset(); }));
  CHECK_FALSE(r->user("dA", "u1")->external_id);
  // A change of case only is a change.
  REQUIRE(step([](user_row& x) { x.user_name = "Alice"; }));
  CHECK(r->user("dA", "u1")->user_name == "Alice");
  CHECK(r->user("dA", "u1")->version == 6);
  // A stale version is refused on the short statement too.
  auto cur = *r->user("dA", "u1");
  cur.version = 9;
  auto stale = one([&](writer& w) { return w.update_user(cur, 3); });
  REQUIRE_FALSE(stale);
  CHECK(stale.err().code == error_code::precondition_failed);
}

// A missing user means the caller's copy is stale: the entity actor reloads.
TEST_CASE_METHOD(writer_fixture, "updating a missing user reports a stale copy", "[persistence]") {
  auto u = make_user("nobody", "dA", "ghost");
  auto res = one([&](writer& w) { return w.update_user(u, 1); });
  REQUIRE_FALSE(res);
  CHECK(res.err().code == error_code::precondition_failed);
}

TEST_CASE_METHOD(writer_fixture, "groups keep members as rows; changes are idempotent", "[persistence]") {
  for (auto id : {"u1", "u2", "u3"})
    REQUIRE(one([&](writer& w) { return w.insert_user(make_user(id, "dA", std::string{"user-"} + id)); }));
  REQUIRE(one([&](writer& w) { return w.insert_group(make_group("g1", "dA", "Staff"), {"u1", "u2"}); }));
  CHECK(member_ids(*r, "g1") == ids{"u1", "u2"});
  auto members = r->members_of_group("g1");
  REQUIRE(members.size() == 2);
  CHECK(members[0] == member_row{"u1", "user-u1"});

  // Adding an existing member and removing an absent one change nothing.
  REQUIRE(one([&](writer& w) { return w.change_members("dA", "g1", {{"u1"}, {"u3"}, false}); }));
  CHECK(member_ids(*r, "g1") == ids{"u1", "u2"});

  REQUIRE(one([&](writer& w) { return w.change_members("dA", "g1", {{"u3"}, {"u1"}, false}); }));
  CHECK(member_ids(*r, "g1") == ids{"u2", "u3"});

  REQUIRE(one([&](writer& w) { return w.change_members("dA", "g1", {{"u1"}, {}, true}); }));
  CHECK(member_ids(*r, "g1") == ids{"u1"});

  REQUIRE(one([&](writer& w) { return w.change_members("dA", "g1", {{}, {}, true}); }));
  CHECK(member_ids(*r, "g1").empty());

  // displayName is unique per directory, case-insensitively.
  auto dup = one([&](writer& w) { return w.insert_group(make_group("g2", "dA", "STAFF"), {}); });
  REQUIRE_FALSE(dup);
  CHECK(dup.err().code == error_code::uniqueness);
  CHECK(one([&](writer& w) { return w.insert_group(make_group("g3", "dB", "staff"), {}); }));
}

TEST_CASE_METHOD(writer_fixture, "a member from another directory is refused without half-writes", "[persistence]") {
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("a1", "dA", "a1")); }));
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("a2", "dA", "a2")); }));
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("b1", "dB", "b1")); }));
  REQUIRE(one([&](writer& w) { return w.insert_group(make_group("g1", "dA", "Existing"), {"a1"}); }));

  REQUIRE(w->begin_batch() == "");
  // Op 1: fine.
  w->begin_op();
  auto ok1 = w->insert_group(make_group("g2", "dA", "Fine"), {"a1"});
  CHECK(ok1);
  w->end_op(true);
  // Op 2: the group row goes in first, then the foreign member fails.
  w->begin_op();
  auto bad = w->insert_group(make_group("g3", "dA", "Broken"), {"a2", "b1"});
  REQUIRE_FALSE(bad);
  CHECK(bad.err().code == error_code::invalid_value);
  w->end_op(false);
  // Op 3: a membership change that adds a2 before failing on b1.
  w->begin_op();
  auto bad2 = w->change_members("dA", "g1", {{"a2", "b1"}, {"a1"}, false});
  REQUIRE_FALSE(bad2);
  CHECK(bad2.err().code == error_code::invalid_value);
  w->end_op(false);
  // Op 4: an unknown user is refused the same way.
  w->begin_op();
  auto unknown = w->change_members("dA", "g1", {{"nobody"}, {}, false});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.err().code == error_code::invalid_value);
  w->end_op(false);
  // Op 5: fine.
  w->begin_op();
  CHECK(w->insert_user(make_user("a3", "dA", "a3")));
  w->end_op(true);
  REQUIRE(w->commit_batch() == "");

  CHECK(r->group("dA", "g2"));
  CHECK(member_ids(*r, "g2") == ids{"a1"});
  CHECK_FALSE(r->group("dA", "g3"));
  CHECK(member_ids(*r, "g3").empty());
  CHECK(member_ids(*r, "g1") == ids{"a1"});
  CHECK(r->user("dA", "a3"));
  CHECK(r->groups_of_user("b1").empty());
}

TEST_CASE_METHOD(writer_fixture, "rollback_batch discards every operation of the batch", "[persistence]") {
  REQUIRE(w->begin_batch() == "");
  w->begin_op();
  REQUIRE(w->insert_user(make_user("u1", "dA", "alice")));
  w->end_op(true);
  w->begin_op();
  REQUIRE(w->insert_group(make_group("g1", "dA", "G"), {"u1"}));
  // Rolled back with a savepoint still open.
  w->rollback_batch();
  CHECK_FALSE(r->user("dA", "u1"));
  CHECK_FALSE(r->group("dA", "g1"));
  CHECK(w->commit_batch() == "no open transaction");

  // The writer is usable afterwards and the name is free again.
  CHECK(one([&](writer& wr) { return wr.insert_user(make_user("u2", "dA", "alice")); }));
  CHECK(r->user("dA", "u2"));
}

TEST_CASE_METHOD(writer_fixture, "deleting a group keeps its users", "[persistence]") {
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("u1", "dA", "alice")); }));
  REQUIRE(one([&](writer& w) { return w.insert_group(make_group("g1", "dA", "G1"), {"u1"}); }));
  REQUIRE(one([&](writer& w) { return w.insert_group(make_group("g2", "dA", "G2"), {"u1"}); }));
  CHECK(r->groups_of_user("u1").size() == 2);

  auto foreign = one([&](writer& w) { return w.delete_group("dB", "g1"); });
  REQUIRE_FALSE(foreign);
  CHECK(foreign.err().code == error_code::not_found);

  REQUIRE(one([&](writer& w) { return w.delete_group("dA", "g1"); }));
  CHECK_FALSE(r->group("dA", "g1"));
  CHECK(r->user("dA", "u1"));
  auto groups = r->groups_of_user("u1");
  REQUIRE(groups.size() == 1);
  CHECK(groups[0] == member_row{"g2", "G2"});
}

TEST_CASE_METHOD(writer_fixture, "deleting a user removes its memberships", "[persistence]") {
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("u1", "dA", "alice")); }));
  REQUIRE(one([&](writer& w) { return w.insert_user(make_user("u2", "dA", "bob")); }));
  REQUIRE(one([&](writer& w) { return w.insert_group(make_group("g1", "dA", "G1"), {"u1", "u2"}); }));

  auto foreign = one([&](writer& w) { return w.delete_user("dB", "u1"); });
  REQUIRE_FALSE(foreign);
  CHECK(foreign.err().code == error_code::not_found);

  REQUIRE(one([&](writer& w) { return w.delete_user("dA", "u1"); }));
  CHECK(member_ids(*r, "g1") == ids{"u2"});
  CHECK(r->groups_of_user("u1").empty());
  CHECK(r->group("dA", "g1"));
}

TEST_CASE_METHOD(writer_fixture, "directories and admins round-trip", "[persistence]") {
  directory_row d;
  d.id = "dA";
  d.type = "okta";
  d.name = "Okta";
  d.state = "active";
  d.token_hash = "abc123";
  d.token_expires_at = "2027-01-01T00:00:00.000Z";
  d.created = "2026-01-01T00:00:00.000Z";
  REQUIRE(one([&](writer& w) { return w.insert_directory(d); }));
  auto got = r->directory_by_token_hash("abc123");
  REQUIRE(got);
  CHECK(got->id == "dA");
  CHECK(got->token_expires_at == d.token_expires_at);
  CHECK_FALSE(got->paused);

  d.paused = true;
  d.token_hash = "def456";
  REQUIRE(one([&](writer& w) { return w.update_directory(d); }));
  CHECK_FALSE(r->directory_by_token_hash("abc123"));
  CHECK(r->directory("dA")->paused);
  CHECK(r->directories().size() == 1);

  directory_row missing = d;
  missing.id = "nope";
  missing.token_hash.clear();
  auto res = one([&](writer& w) { return w.update_directory(missing); });
  REQUIRE_FALSE(res);
  CHECK(res.err().code == error_code::not_found);

  REQUIRE(one([&](writer& w) { return w.insert_admin({"a1", "Ann", "owner", "keyhash", "2026", ""}); }));
  CHECK(r->admin_by_key_hash("keyhash")->role == "owner");
  CHECK_FALSE(r->admin_by_key_hash("other"));
  CHECK(one([&](writer& w) {
    return w.append_action("2026", "admin", "a1", "directory.create", "directory", "dA", "{}", "ok");
  }));
}

TEST_CASE_METHOD(writer_fixture, "a failed operation with a savepoint journal of megabytes rolls back alone",
                 "[persistence]") {
  // Op 1 writes 1,500 users of 4 KB (about 6 MB of pages); op 2 rewrites
  // them all, so its savepoint journal holds all those pages. Op 2 then
  // fails: its changes go, op 1's and op 3's stay.
  const std::string big(4000, 'x');
  auto row = [&](int i, const std::string& display) {
    auto u = make_user("s" + std::to_string(i), "dA", "spill" + std::to_string(i));
    u.display_name = display;
    u.resource = R"({"userName":")" + u.user_name + R"(","title":")" + big + R"("})";
    return u;
  };
  REQUIRE(w->begin_batch() == "");
  w->begin_op();
  for (int i = 0; i < 1500; ++i)
    REQUIRE(w->insert_user(row(i, "first")));
  w->end_op(true);
  w->begin_op();
  for (int i = 0; i < 1500; ++i) {
    auto u = row(i, "second");
    u.version = 2;
    auto ok = w->update_user(u, 1);
    INFO((ok ? std::string{} : ok.err().detail));
    REQUIRE(ok);
  }
  w->end_op(false);
  w->begin_op();
  REQUIRE(w->insert_user(make_user("after", "dA", "after")));
  w->end_op(true);
  REQUIRE(w->commit_batch() == "");

  CHECK(r->managed_counts("dA").first == 1501);
  for (int i : {0, 749, 1499}) {
    auto u = r->user("dA", "s" + std::to_string(i));
    REQUIRE(u);
    CHECK(u->display_name == std::optional<std::string>{"first"});
    CHECK(u->version == 1);
  }
  CHECK(r->user("dA", "after"));
}

// L1: audit rows are stored with their operation: a failed operation's rows
// go with its changes, a kept one's are committed with the batch, in the
// order the operations ran, and nothing is visible before the COMMIT.
TEST_CASE_METHOD(writer_fixture, "audit rows commit with their operations, in order, and go with a failed one",
                 "[persistence]") {
  auto append = [](writer& w, int n, const std::string& action) {
    return w.append_action("2026-01-01T00:00:00.000Z", "directory", "dA", action, "user", "u" + std::to_string(n),
                           "{\"n\":" + std::to_string(n) + "}", "ok");
  };
  auto all = [&] {
    action_query q;
    q.limit = 1000;
    auto rows = r->actions(q);
    std::reverse(rows.begin(), rows.end()); // oldest first
    return rows;
  };
  REQUIRE(w->begin_batch() == "");
  int n = 0;
  std::vector<std::string> kept;
  // 150 operations: 1 to 3 rows each; every fifth fails after its rows.
  for (int op = 0; op < 150; ++op) {
    w->begin_op();
    std::vector<std::string> mine;
    for (int k = 0; k <= op % 3; ++k) {
      REQUIRE(append(*w, ++n, "op." + std::to_string(op)));
      mine.push_back("u" + std::to_string(n));
    }
    bool keep = op % 5 != 4;
    w->end_op(keep);
    if (keep)
      kept.insert(kept.end(), mine.begin(), mine.end());
  }
  CHECK(all().empty());
  REQUIRE(w->commit_batch() == "");
  auto rows = all();
  REQUIRE(rows.size() == kept.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].object_id == kept[i]);
    if (i > 0)
      CHECK(rows[i].seq == rows[i - 1].seq + 1);
  }
  CHECK(rows.front().details == R"({"n":1})");
  CHECK(rows.front().action == "op.0");

  // A rolled-back batch stores none of its rows; a row outside any batch is
  // stored at once.
  REQUIRE(w->begin_batch() == "");
  w->begin_op();
  REQUIRE(append(*w, ++n, "dropped"));
  w->end_op(true);
  w->rollback_batch();
  REQUIRE(append(*w, ++n, "alone"));
  rows = all();
  REQUIRE(rows.size() == kept.size() + 1);
  CHECK(rows.back().action == "alone");
  CHECK(rows.back().seq == rows[rows.size() - 2].seq + 1);

  // COMMIT with an operation still open commits its changes, and its rows.
  REQUIRE(w->begin_batch() == "");
  w->begin_op();
  REQUIRE(w->insert_user(make_user("open", "dA", "open")));
  REQUIRE(append(*w, ++n, "still.open"));
  REQUIRE(w->commit_batch() == "");
  w->end_op(true);
  CHECK(r->user("dA", "open"));
  CHECK(all().back().action == "still.open");
}

TEST_CASE_METHOD(writer_fixture, "a batch whose audit rows cannot be stored commits nothing", "[persistence]") {
  // A trigger of the test's own fails the 70th audit row: in the middle of
  // the batch's 64-row INSERT, after rows of it went in.
  {
    dirsync::persistence::connection c{(dir / "dirsync.db").string(), false};
    REQUIRE(c.ok());
    REQUIRE(c.exec("CREATE TRIGGER refuse BEFORE INSERT ON admin_actions WHEN NEW.object_id = 'u70' "
                   "BEGIN SELECT RAISE(FAIL, 'refused'); END")
            == SQLITE_OK);
  }
  REQUIRE(w->begin_batch() == "");
  for (int n = 1; n <= 90; ++n) {
    w->begin_op();
    auto id = "u" + std::to_string(n);
    REQUIRE(w->insert_user(make_user(id, "dA", id)));
    REQUIRE(w->append_action("2026-01-01T00:00:00.000Z", "directory", "dA", "user.create", "user", id, "{}", "ok"));
    w->end_op(true);
  }
  auto err = w->commit_batch();
  CHECK_THAT(err, Catch::Contains("audit"));
  // None of the 90 users, and no audit row: no job may be acknowledged
  // without its audit row (L1).
  CHECK_FALSE(r->user("dA", "u1"));
  CHECK_FALSE(r->user("dA", "u90"));
  action_query q;
  q.limit = 1000;
  CHECK(r->actions(q).empty());
  // The writer goes on: the next batch commits.
  REQUIRE(w->begin_batch() == "");
  REQUIRE(w->insert_user(make_user("v1", "dA", "v1")));
  REQUIRE(w->commit_batch() == "");
  CHECK(r->user("dA", "v1"));
}
