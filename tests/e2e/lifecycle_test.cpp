// Lifecycle of the real daemon (issue 2, SPEC O1, O5, A2, section 11):
// health, metrics, graceful stop, restart on the same data, config errors.

#include <filesystem>
#include <fstream>
#include <sched.h>
#include <sstream>

#include <catch2/catch.hpp>

#include "e2e/harness.hpp"

using namespace dirsync::e2e;

TEST_CASE("O5 health, readiness and metrics endpoints", "[e2e]") {
  daemon d;
  auto c = d.connect();
  auto h = c->get("/healthz");
  CHECK(h.status == 200);
  auto r = c->get("/readyz");
  CHECK(r.status == 200);
  auto m = c->get("/metrics");
  CHECK(m.status == 200);
  CHECK(m.header("content-type").rfind("text/plain", 0) == 0);
  CHECK(m.body.find("dirsync_http_requests_total") != std::string::npos);
}

TEST_CASE("O5 SIGTERM exits 0 and a restart on the same data keeps users and groups", "[e2e]") {
  daemon d;
  auto dir = d.create_directory("okta", "restart");
  std::string user_id, group_id;
  {
    auto c = d.connect();
    c->set_token(dir.token);
    auto u = c->post("/scim/v2/Users", user_body("persist@example.com", {{"externalId", "ext-1"}}));
    REQUIRE(u.status == 201);
    user_id = u.json_body()["id"].get<std::string>();
    auto g = c->post("/scim/v2/Groups", group_body("Persisted", json::array({{{"value", user_id}}})));
    REQUIRE(g.status == 201);
    group_id = g.json_body()["id"].get<std::string>();
  }
  CHECK(d.restart() == 0);
  auto c = d.connect();
  c->set_token(dir.token);
  auto u = c->get("/scim/v2/Users/" + user_id);
  REQUIRE(u.status == 200);
  CHECK(u.json_body()["userName"] == "persist@example.com");
  CHECK(u.json_body()["externalId"] == "ext-1");
  auto g = c->get("/scim/v2/Groups/" + group_id);
  REQUIRE(g.status == 200);
  auto gj = g.json_body();
  CHECK(gj["displayName"] == "Persisted");
  REQUIRE(gj["members"].size() == 1);
  CHECK(gj["members"][0]["value"] == user_id);
  auto list = c->get("/scim/v2/Users?filter=" + url_encode("userName eq \"persist@example.com\""));
  REQUIRE(list.status == 200);
  CHECK(list.json_body()["totalResults"] == 1);
  // The token and admin key survive too.
  auto admin = c->request("GET", "/admin/v1/directories", {}, {}, d.admin_key());
  CHECK(admin.status == 200);
  CHECK(d.stop() == 0);
}

TEST_CASE("O1 invalid configuration is refused with a message naming the key", "[e2e]") {
  auto dir = std::filesystem::temp_directory_path().string();
  SECTION("out-of-range port") {
    auto r = run_dirsyncd({"serve", "--storage.path", dir + "/never.db", "--http.port", "70000"});
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != -1);
    CHECK((r.err + r.out).find("http.port") != std::string::npos);
  }
  SECTION("unknown flag") {
    auto r = run_dirsyncd({"serve", "--storage.path", dir + "/never.db", "--http.nosuchkey", "1"});
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != -1);
    CHECK((r.err + r.out).find("nosuchkey") != std::string::npos);
  }
  SECTION("wrong type") {
    auto r = run_dirsyncd({"serve", "--storage.path", dir + "/never.db", "--http.io_threads", "many"});
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code != -1);
    CHECK((r.err + r.out).find("http.io_threads") != std::string::npos);
  }
}

TEST_CASE("A2 create-owner key works on the admin API; a wrong key gets 401", "[e2e]") {
  daemon d;
  auto c = d.connect();
  auto ok = c->request("GET", "/admin/v1/directories", {}, {}, d.admin_key());
  CHECK(ok.status == 200);
  auto bad = c->request("GET", "/admin/v1/directories", {}, {}, d.admin_key() + "x");
  CHECK(bad.status == 401);
  auto none = c->request("GET", "/admin/v1/directories", {}, {}, "-");
  CHECK(none.status == 401);
  // The created directory is listed for the owner.
  auto dir = d.create_directory("generic", "listed");
  auto list = c->request("GET", "/admin/v1/directories", {}, {}, d.admin_key());
  REQUIRE(list.status == 200);
  CHECK(list.body.find(dir.id) != std::string::npos);
  // A bad directory type is a 400.
  auto wrong = c->request("POST", "/admin/v1/directories", json{{"type", "ldap"}}.dump(),
                          {{"Content-Type", "application/json"}}, d.admin_key());
  CHECK(wrong.status == 400);
}

TEST_CASE("S8 an acknowledged write survives SIGKILL", "[e2e]") {
  daemon d;
  auto dir = d.create_directory("okta", "durable");
  std::vector<std::string> ids;
  std::string group_id;
  {
    auto c = d.connect();
    c->set_token(dir.token);
    for (int i = 0; i < 20; ++i)
      ids.push_back(create_user(*c, "durable" + std::to_string(i) + "@example.com"));
    group_id = create_group(*c, "Durable", json::array({{{"value", ids[0]}}}));
    auto r = c->patch("/scim/v2/Groups/" + group_id,
                      patch_body(json::array({{{"op", "add"}, {"path", "members"}, {"value", json::array({{{"value", ids[1]}}})}}})));
    REQUIRE(r.status == 204);
    auto p = c->patch("/scim/v2/Users/" + ids[2], patch_body(json::array({{{"op", "replace"}, {"value", {{"active", false}}}}})));
    REQUIRE(p.status == 200);
    REQUIRE(c->del("/scim/v2/Users/" + ids[3]).status == 204);
  }
  d.kill_hard();
  d.start();
  auto c = d.connect();
  c->set_token(dir.token);
  auto list = c->get("/scim/v2/Users?count=100");
  REQUIRE(list.status == 200);
  CHECK(list.json_body()["totalResults"] == 19);
  auto g = c->get("/scim/v2/Groups/" + group_id);
  REQUIRE(g.status == 200);
  CHECK(g.json_body()["members"].size() == 2);
  CHECK(c->get("/scim/v2/Users/" + ids[2]).json_body()["active"] == false);
  CHECK(c->get("/scim/v2/Users/" + ids[3]).status == 404);
}

TEST_CASE("O5 metrics count requests by route and status", "[e2e]") {
  daemon d;
  auto dir = d.create_directory("okta");
  auto c = d.connect();
  c->set_token(dir.token);
  REQUIRE(c->get("/scim/v2/Users").status == 200);
  REQUIRE(c->get("/scim/v2/Users/nope").status == 404);
  auto m = c->get("/metrics");
  REQUIRE(m.status == 200);
  auto has_line = [&](const std::string& status) {
    std::istringstream in(m.body);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("dirsync_http_requests_total{", 0) == 0 && line.find("route=\"scim_users\"") != std::string::npos
          && line.find("status=\"" + status + "\"") != std::string::npos)
        return line.substr(line.rfind(' ') + 1) == "1";
    return false;
  };
  CHECK(has_line("200"));
  CHECK(has_line("404"));
  CHECK(m.body.find("# TYPE dirsync_http_requests_total counter") != std::string::npos);
}

namespace {
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
} // namespace

TEST_CASE("O5 the access log is buffered for log.flush_interval and written out on SIGTERM", "[e2e]") {
  auto log_of = [](const daemon& d) { return read_file(d.data_dir() + "/stderr.log"); };
  // GET /healthz; returns the request id the access log line carries.
  auto probe = [](const daemon& d) {
    auto h = d.connect()->get("/healthz");
    REQUIRE(h.status == 200);
    auto id = h.header("x-request-id");
    REQUIRE(!id.empty());
    return "request_id=" + id;
  };
  SECTION("flush_interval 0s writes each line before the answer leaves") {
    daemon d({"--log.flush_interval", "0s"});
    auto line = probe(d);
    CHECK(log_of(d).find(line) != std::string::npos);
  }
  SECTION("a long interval holds the line in memory until the stop writes it") {
    daemon d({"--log.flush_interval", "1m"});
    auto line = probe(d);
    CHECK(log_of(d).find(line) == std::string::npos);
    auto code = d.stop();
    auto log = log_of(d);
    INFO(log);
    CHECK(code == 0);
    CHECK(log.find("GET health 200") != std::string::npos);
    CHECK(log.find(line) != std::string::npos);
    CHECK(log.find("stopped") != std::string::npos);
  }
}

namespace {
// The Linux scheduling policy of every thread of `pid` (field 41 of
// /proc/PID/task/TID/stat: 0 normal, 3 batch).
std::vector<int> thread_policies(pid_t pid) {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    auto stat = read_file(task.path().string() + "/stat");
    auto close = stat.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 41 && fields >> field; ++i)
      if (i == 41)
        out.push_back(std::stoi(field));
  }
  return out;
}
} // namespace

TEST_CASE("O5 every thread runs under SCHED_BATCH unless actors.sched_batch is false", "[e2e]") {
  SECTION("default") {
    daemon d;
    auto policies = thread_policies(d.pid());
    REQUIRE(policies.size() >= 4); // main, I/O, CAF workers, clock, mailer
    for (int p : policies)
      CHECK(p == SCHED_BATCH);
  }
  SECTION("sched_batch false") {
    daemon d({"--actors.sched_batch", "false"});
    auto policies = thread_policies(d.pid());
    REQUIRE(policies.size() >= 4);
    for (int p : policies)
      CHECK(p == SCHED_OTHER);
  }
}
