// Config file validation: types, ranges, enums, unknown keys, syntax, I/O.
#include "fixture.hpp"

#include <unistd.h>

using namespace dirsync::config;
using namespace dirsync::config::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

TEST_CASE_METHOD(fixture, "no config file gives the documented defaults", "[config]") {
  auto l = ok();
  const auto& s = l.values;
  CHECK(s.http.bind == "127.0.0.1");
  CHECK(s.http.port == 8080);
  CHECK(s.http.io_threads == 1);
  CHECK(s.http.max_body_bytes == 1024u * 1024u);
  CHECK(s.http.max_header_bytes == 16u * 1024u);
  CHECK(s.http.read_timeout == 30s);
  CHECK(s.http.idle_timeout == 60s);
  CHECK(s.http.max_in_flight == 1024);
  CHECK(s.http.tls_cert.empty());
  CHECK(s.http.tls_key.empty());
  CHECK(s.http.request_timeout == 30s);
  CHECK(s.actors.scheduler_threads == 2);
  CHECK(s.actors.policy == scheduler_policy::sharing);
  CHECK(s.actors.passivate_after == 10s);
  CHECK(s.actors.max_live == 20000);
  CHECK(s.actors.mailbox_high_water == 10000);
  CHECK(s.actors.max_throughput == 100);
  CHECK(s.storage.path == "data/dirsync.db");
  CHECK(s.storage.synchronous == synchronous_mode::full);
  CHECK(s.storage.coalesce_wal_writes);
  CHECK(s.storage.max_batch == 256);
  CHECK(s.storage.max_commit_delay == 0ms);
  CHECK(s.storage.commit_yields == 2);
  CHECK(s.storage.read_connections == 2);
  CHECK(s.storage.read_mmap == 256);
  CHECK(s.storage.busy_timeout == 5s);
  CHECK(s.scim.public_base_url.empty());
  CHECK(s.scim.max_page_size == 1000);
  CHECK(s.scim.token_lifetime == std::chrono::hours{24 * 90});
  CHECK(s.mail.smtp_url.empty());
  CHECK(s.mail.from == "dirsync@localhost");
  CHECK(s.mail.folder == "data/mail");
  CHECK(s.mail.max_attempts == 8);
  CHECK(s.mail.retry_base == 30s);
  CHECK(s.mail.tls == starttls_mode::automatic);
  CHECK(s.mail.tls_ca_file.empty());
  CHECK(s.mail.connect_timeout == 10s);
  CHECK(s.mail.timeout == 60s);
  CHECK(s.timers.granularity == 1s);
  CHECK_FALSE(s.clock.test);
  CHECK(s.log.level == log_level::info);
  CHECK(s.log.format == log_format::text);
  CHECK(s.log.flush_interval == 1s);
  CHECK(s.actors.sched_batch);
  CHECK(s.actors.writer_thread);
  for (const auto& [key, from] : l.origins)
    CHECK(from == origin::default_value);
}

TEST_CASE_METHOD(fixture, "a full config file sets every section", "[config]") {
  auto path = write("full.toml", R"(
[http]
bind = "0.0.0.0"
port = 9000
io_threads = 4
max_body_bytes = "2MiB"
max_header_bytes = 8192
read_timeout = "10s"
idle_timeout = 120
max_in_flight = 50
tls_cert = "cert.pem"
tls_key = "key.pem"
request_timeout = "500ms"
auth_failure_limit = 5
auth_failure_window = "10m"
[actors]
scheduler_threads = 3
scheduler_policy = "stealing"
passivate_after = "5m"
max_live = 1000
mailbox_high_water = 500
max_throughput = 10
sched_batch = false
writer_thread = false
[storage]
path = "/var/lib/dirsync/db"
synchronous = "normal"
coalesce_wal_writes = false
max_batch = 64
max_commit_delay = "5ms"
commit_yields = 0
read_connections = 4
read_cache = 4096
read_mmap = 0
busy_timeout = "1s"
[scim]
public_base_url = "https://sync.example.com"
max_page_size = 100
token_lifetime = "30d"
[mail]
smtp_url = "smtps://mail.example.com:465"
smtp_user = "dirsync"
smtp_password_file = "/run/secrets/smtp"
tls = "require"
tls_ca_file = "/etc/ssl/relay-ca.pem"
connect_timeout = "5s"
timeout = "2m"
from = "noreply@example.com"
folder = "/tmp/mail"
max_attempts = 3
retry_base = "1m"
[timers]
granularity = "100ms"
[clock]
test = true
start_offset = "2d"
[log]
level = "debug"
format = "json"
flush_interval = "5s"
)");
  auto l = ok(path);
  const auto& s = l.values;
  CHECK(l.config_file == path);
  CHECK(s.http.bind == "0.0.0.0");
  CHECK(s.http.port == 9000);
  CHECK(s.http.max_body_bytes == 2u * 1024u * 1024u);
  CHECK(s.http.max_header_bytes == 8192u);
  CHECK(s.http.read_timeout == 10s);
  CHECK(s.http.idle_timeout == 120s);
  CHECK(s.http.request_timeout == 500ms);
  CHECK(s.http.auth_failure_limit == 5);
  CHECK(s.http.auth_failure_window == 10min);
  CHECK(s.actors.policy == scheduler_policy::stealing);
  CHECK(s.actors.passivate_after == 5min);
  CHECK(s.actors.max_live == 1000);
  CHECK(s.storage.synchronous == synchronous_mode::normal);
  CHECK_FALSE(s.storage.coalesce_wal_writes);
  CHECK(s.storage.max_commit_delay == 5ms);
  CHECK(s.storage.commit_yields == 0);
  CHECK(s.storage.read_cache == 4096);
  CHECK(s.storage.read_mmap == 0);
  CHECK(s.scim.public_base_url == "https://sync.example.com");
  CHECK(s.scim.token_lifetime == std::chrono::hours{24 * 30});
  CHECK(s.mail.smtp_password_file == "/run/secrets/smtp");
  CHECK(s.mail.tls == starttls_mode::required);
  CHECK(s.mail.tls_ca_file == "/etc/ssl/relay-ca.pem");
  CHECK(s.mail.connect_timeout == 5s);
  CHECK(s.mail.timeout == 2min);
  CHECK(s.timers.granularity == 100ms);
  CHECK(s.clock.test);
  CHECK(s.clock.start_offset == std::chrono::hours{48});
  CHECK(s.log.level == log_level::debug);
  CHECK(s.log.format == log_format::json);
  CHECK_FALSE(s.actors.sched_batch);
  CHECK_FALSE(s.actors.writer_thread);
  CHECK(s.log.flush_interval == 5s);
  for (const auto& [key, from] : l.origins) {
    INFO(key);
    CHECK(from == origin::file);
  }
}

TEST_CASE_METHOD(fixture, "wrong TOML types are refused", "[config]") {
  CHECK_THAT(one_problem("[http]\nport = \"abc\"\n"),
             Contains("http.port: expected an integer, got a string"));
  CHECK_THAT(one_problem("[http]\nport = 80.5\n"),
             Contains("http.port: expected an integer, got a float"));
  CHECK_THAT(one_problem("[http]\nbind = 5\n"),
             Contains("http.bind: expected a string, got an integer"));
  CHECK_THAT(one_problem("[storage]\npath = true\n"),
             Contains("storage.path: expected a string, got a boolean"));
  CHECK_THAT(one_problem("[clock]\ntest = \"yes\"\n"),
             Contains("clock.test: expected a boolean, got a string"));
  CHECK_THAT(one_problem("[clock]\ntest = 1\n"),
             Contains("clock.test: expected a boolean, got an integer"));
  CHECK_THAT(one_problem("[clock]\nstart_offset = \"1d\"\n"),
             Contains("clock.start_offset needs clock.test = true"));
  CHECK_THAT(one_problem("[http]\nread_timeout = [1, 2]\n"),
             Contains("http.read_timeout: expected a duration"));
  CHECK_THAT(one_problem("[http]\nmax_body_bytes = 1.5\n"),
             Contains("http.max_body_bytes: expected a size"));
  CHECK_THAT(one_problem("[log]\nlevel = 3\n"),
             Contains("log.level: expected a string, got an integer"));
  CHECK_THAT(one_problem("[http.port]\nx = 1\n"),
             Contains("http.port: expected an integer, got a table"));
  CHECK_THAT(one_problem("http = 5\n"),
             Contains("http: expected a table ([http]), got an integer"));
}

TEST_CASE_METHOD(fixture, "bad duration and size text is refused", "[config]") {
  CHECK_THAT(one_problem("[http]\nread_timeout = \"5x\"\n"),
             Contains("http.read_timeout: '5x' is not a duration"));
  CHECK_THAT(one_problem("[http]\nread_timeout = \"1.5s\"\n"),
             Contains("'1.5s' is not a duration"));
  CHECK_THAT(one_problem("[http]\nmax_body_bytes = \"1MB\"\n"),
             Contains("http.max_body_bytes: '1MB' is not a size"));
  CHECK_THAT(one_problem("[http]\nmax_body_bytes = \"lots\"\n"), Contains("KiB"));
  CHECK_THAT(one_problem("[http]\nread_timeout = -5\n"),
             Contains("http.read_timeout: -5s is out of range 100ms..1h"));
}

TEST_CASE_METHOD(fixture, "every range is enforced", "[config]") {
  CHECK_THAT(one_problem("[http]\nport = 70000\n"),
             Equals("config file " + (dir / "one.toml").string() +
                    ": http.port: 70000 is out of range 0..65535"));
  CHECK_THAT(one_problem("[http]\nport = -1\n"), Contains("-1 is out of range"));
  CHECK_THAT(one_problem("[http]\nio_threads = 0\n"),
             Contains("http.io_threads: 0 is out of range 1..64"));
  CHECK_THAT(one_problem("[http]\nio_threads = 65\n"), Contains("65 is out of range"));
  CHECK_THAT(one_problem("[http]\nmax_body_bytes = \"512B\"\n"),
             Contains("http.max_body_bytes: 512B is out of range 1KiB..256MiB"));
  CHECK_THAT(one_problem("[http]\nmax_body_bytes = \"257MiB\"\n"),
             Contains("257MiB is out of range 1KiB..256MiB"));
  CHECK_THAT(one_problem("[http]\nmax_header_bytes = \"2MiB\"\n"),
             Contains("http.max_header_bytes: 2MiB is out of range"));
  CHECK_THAT(one_problem("[http]\nmax_in_flight = 0\n"),
             Contains("http.max_in_flight: 0 is out of range 1..1000000"));
  CHECK_THAT(one_problem("[http]\nrequest_timeout = \"1h\"\n"),
             Contains("http.request_timeout: 1h is out of range"));
  CHECK_THAT(one_problem("[http]\nidle_timeout = \"0s\"\n"),
             Contains("http.idle_timeout: 0ms is out of range"));
  CHECK_THAT(one_problem("[actors]\nscheduler_threads = 257\n"),
             Contains("actors.scheduler_threads: 257 is out of range 0..256"));
  CHECK_THAT(one_problem("[actors]\nmailbox_high_water = 0\n"),
             Contains("actors.mailbox_high_water: 0 is out of range"));
  CHECK_THAT(one_problem("[actors]\nmax_throughput = 0\n"),
             Contains("actors.max_throughput: 0 is out of range"));
  CHECK_THAT(one_problem("[actors]\npassivate_after = \"0s\"\n"),
             Contains("actors.passivate_after: 0ms is out of range"));
  CHECK_THAT(one_problem("[storage]\nmax_batch = 0\n"),
             Contains("storage.max_batch: 0 is out of range 1..100000"));
  CHECK_THAT(one_problem("[storage]\nmax_batch = 100001\n"),
             Contains("100001 is out of range 1..100000"));
  CHECK_THAT(one_problem("[storage]\nmax_commit_delay = \"2s\"\n"),
             Contains("storage.max_commit_delay: 2s is out of range 0ms..1s"));
  CHECK_THAT(one_problem("[storage]\nread_connections = 65\n"),
             Contains("storage.read_connections: 65 is out of range 1..64"));
  CHECK_THAT(one_problem("[storage]\nbusy_timeout = \"1h\"\n"),
             Contains("storage.busy_timeout: 1h is out of range"));
  CHECK_THAT(one_problem("[scim]\nmax_page_size = 100001\n"),
             Contains("scim.max_page_size: 100001 is out of range 1..100000"));
  CHECK_THAT(one_problem("[scim]\nmax_page_size = 50\n"),
             Contains("scim.max_page_size: 50 is too small: Okta requests pages of "
                      "count=100"));
  CHECK_THAT(one_problem("[scim]\ntoken_lifetime = \"30s\"\n"),
             Contains("scim.token_lifetime: 30s is out of range 1m..3650d"));
  CHECK_THAT(one_problem("[scim]\ntoken_lifetime = \"3651d\"\n"),
             Contains("3651d is out of range"));
  CHECK_THAT(one_problem("[mail]\nmax_attempts = 0\n"),
             Contains("mail.max_attempts: 0 is out of range"));
  CHECK_THAT(one_problem("[mail]\nretry_base = \"10ms\"\n"),
             Contains("mail.retry_base: 10ms is out of range"));
  CHECK_THAT(one_problem("[mail]\ntimeout = \"500ms\"\n"),
             Contains("mail.timeout: 500ms is out of range"));
  CHECK_THAT(one_problem("[mail]\nconnect_timeout = \"1h\"\n"),
             Contains("mail.connect_timeout: 1h is out of range"));
  CHECK_THAT(one_problem("[mail]\ntls = \"yes\"\n"),
             Contains("mail.tls: 'yes' is not one of auto, require, off"));
  CHECK_THAT(one_problem("[timers]\ngranularity = \"50ms\"\n"),
             Contains("timers.granularity: 50ms is out of range 100ms..1h"));
  CHECK_THAT(one_problem("[timers]\ngranularity = \"2h\"\n"),
             Contains("2h is out of range 100ms..1h"));
}

TEST_CASE_METHOD(fixture, "range bounds themselves are accepted", "[config]") {
  auto l = ok(write("edges.toml", "[http]\nport = 0\nmax_body_bytes = \"1KiB\"\n"
                                  "[storage]\nmax_commit_delay = \"1s\"\n"
                                  "[scim]\nmax_page_size = 100\n"
                                  "token_lifetime = \"3650d\"\n"));
  CHECK(l.values.http.port == 0);
  CHECK(l.values.http.max_body_bytes == 1024u);
  CHECK(l.values.storage.max_commit_delay == 1s);
  CHECK(l.values.scim.max_page_size == 100);
}

TEST_CASE_METHOD(fixture, "enum values must be one of the documented names", "[config]") {
  CHECK_THAT(one_problem("[actors]\nscheduler_policy = \"fifo\"\n"),
             Contains("actors.scheduler_policy: 'fifo' is not one of sharing, stealing"));
  CHECK_THAT(one_problem("[storage]\nsynchronous = \"FULL\"\n"),
             Contains("storage.synchronous: 'FULL' is not one of full, normal, off"));
  CHECK_THAT(one_problem("[log]\nlevel = \"verbose\"\n"),
             Contains("log.level: 'verbose' is not one of trace, debug, info, warn, "
                      "error, off"));
  CHECK_THAT(one_problem("[log]\nformat = \"xml\"\n"),
             Contains("log.format: 'xml' is not one of text, json"));
  for (auto level : {"trace", "debug", "info", "warn", "error", "off"}) {
    auto l = ok(write("level.toml", std::string{"[log]\nlevel = \""} + level + "\"\n"));
    CHECK(to_string(l.values.log.level) == level);
  }
  auto l = ok(write("sync.toml", "[storage]\nsynchronous = \"off\"\n"));
  CHECK(l.values.storage.synchronous == synchronous_mode::off);
}

TEST_CASE_METHOD(fixture, "URL and address values are checked", "[config]") {
  CHECK_THAT(one_problem("[scim]\npublic_base_url = \"https://x.example.com/\"\n"),
             Contains("scim.public_base_url: 'https://x.example.com/' must not end "
                      "with '/'"));
  CHECK_THAT(one_problem("[scim]\npublic_base_url = \"ftp://x.example.com\"\n"),
             Contains("must start with http:// or https://"));
  CHECK_THAT(one_problem("[scim]\npublic_base_url = \"x.example.com\"\n"),
             Contains("must start with http://"));
  CHECK_THAT(one_problem("[scim]\npublic_base_url = \"https://\"\n"),
             Contains("is not an absolute URL with a host"));
  CHECK_THAT(one_problem("[mail]\nsmtp_url = \"http://mail.example.com\"\n"),
             Contains("mail.smtp_url: 'http://mail.example.com' must start with "
                      "smtp:// or smtps://"));
  CHECK_THAT(one_problem("[mail]\nsmtp_url = \"smtp://u:secret@mail.example.com\"\n"),
             Contains("mail.smtp_url: must not contain a user or password"));
  CHECK_THAT(one_problem("[mail]\nfrom = \"not an address\"\n"),
             Contains("mail.from: 'not an address' is not an address"));
  CHECK_THAT(one_problem("[mail]\nfrom = \"@example.com\"\n"),
             Contains("is not an address"));
  CHECK_THAT(one_problem("[http]\nbind = \"\"\n"), Contains("http.bind: must not be empty"));
  CHECK_THAT(one_problem("[storage]\npath = \"\"\n"),
             Contains("storage.path: must not be empty"));
  auto l = ok(write("urls.toml", "[scim]\npublic_base_url = \"http://10.0.0.1:8080/dirsync\"\n"
                                 "[mail]\nsmtp_url = \"smtp://localhost:25\"\n"));
  CHECK(l.values.scim.public_base_url == "http://10.0.0.1:8080/dirsync");
}

TEST_CASE_METHOD(fixture, "unknown sections and keys in the file are refused", "[config]") {
  CHECK_THAT(one_problem("[http]\nprot = 1\n"),
             Equals("config file " + (dir / "one.toml").string() +
                    ": unknown key 'http.prot' (did you mean http.port?)"));
  CHECK_THAT(one_problem("[htp]\nport = 1\n"),
             Contains("unknown section 'htp' (did you mean http?)"));
  CHECK_THAT(one_problem("port = 1\n"),
             Contains("unknown key 'port' (did you mean http.port?)"));
  CHECK_THAT(one_problem("[http.tls]\ncert = \"x\"\n"), Contains("unknown key 'http.tls'"));
  CHECK_THAT(one_problem("[metrics]\nenabled = true\n"),
             Contains("unknown section 'metrics'"));
}

TEST_CASE_METHOD(fixture, "a TOML syntax error names line and column", "[config]") {
  auto problem = one_problem("[http]\nport = 80\nbind = \"unterminated\n");
  CHECK_THAT(problem, Contains("one.toml: TOML syntax error at line 3, column"));
  CHECK_THAT(one_problem("[http]\nport = 1\nport = 2\n"), Contains("TOML syntax error at line 3"));
}

TEST_CASE_METHOD(fixture, "a missing or unreadable config file is an error", "[config]") {
  auto missing = (dir / "absent.toml").string();
  auto problems = fails(missing);
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Equals("config file " + missing + ": cannot be read: does not exist"));

  problems = fails(dir.string());
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Contains("is a directory"));

  if (::geteuid() != 0) { // root reads anything
    auto locked = write("locked.toml", "[http]\nport = 1\n");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    problems = fails(locked);
    REQUIRE(problems.size() == 1);
    CHECK_THAT(problems[0], Contains("cannot be read: Permission denied"));
  }
}

TEST_CASE_METHOD(fixture, "an empty config file is valid", "[config]") {
  auto l = ok(write("empty.toml", "# nothing\n"));
  CHECK(l.values.http.port == 8080);
}
