// Environment and flag sources, precedence, cross-key rules, all-problems reporting.
#include "fixture.hpp"

#include <CLI/CLI.hpp>

using namespace dirsync::config;
using namespace dirsync::config::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

TEST_CASE_METHOD(fixture, "precedence is default < file < env < flag", "[config]") {
  auto file = write("p.toml", "[http]\nport = 9000\nbind = \"0.0.0.0\"\nio_threads = 3\n");
  env["DIRSYNC_HTTP_PORT"] = "9001";
  env["DIRSYNC_HTTP_BIND"] = "10.0.0.1";
  auto l = ok(file, {{"http.port", "9002"}});
  CHECK(l.values.http.port == 9002);
  CHECK(l.origins.at("http.port") == origin::flag);
  CHECK(l.values.http.bind == "10.0.0.1");
  CHECK(l.origins.at("http.bind") == origin::environment);
  CHECK(l.values.http.io_threads == 3);
  CHECK(l.origins.at("http.io_threads") == origin::file);
  CHECK(l.values.http.max_in_flight == 1024);
  CHECK(l.origins.at("http.max_in_flight") == origin::default_value);
  CHECK(l.origins.size() == options().size());
}

TEST_CASE_METHOD(fixture, "environment variables set typed values", "[config]") {
  env["DIRSYNC_HTTP_MAX_BODY_BYTES"] = "64KiB";
  env["DIRSYNC_HTTP_READ_TIMEOUT"] = "15";
  env["DIRSYNC_STORAGE_MAX_COMMIT_DELAY"] = "250ms";
  env["DIRSYNC_ACTORS_SCHEDULER_POLICY"] = "stealing";
  env["DIRSYNC_CLOCK_TEST"] = "true";
  env["DIRSYNC_HTTP_TLS_CERT"] = ""; // empty text is a valid empty path
  env["PATH"] = "/usr/bin";          // not ours: ignored
  env["DIRSYNCD_PATH"] = "x";        // different prefix: ignored
  auto l = ok();
  CHECK(l.values.http.max_body_bytes == 64u * 1024u);
  CHECK(l.values.http.read_timeout == 15s);
  CHECK(l.values.storage.max_commit_delay == 250ms);
  CHECK(l.values.actors.policy == scheduler_policy::stealing);
  CHECK(l.values.clock.test);
  CHECK(l.origins.at("clock.test") == origin::environment);
}

TEST_CASE_METHOD(fixture, "bad environment values name the variable", "[config]") {
  env["DIRSYNC_HTTP_PORT"] = "abc";
  env["DIRSYNC_HTTP_IO_THREADS"] = "2x";
  env["DIRSYNC_HTTP_MAX_IN_FLIGHT"] = "";
  env["DIRSYNC_HTTP_IDLE_TIMEOUT"] = "5 min";
  env["DIRSYNC_HTTP_MAX_BODY_BYTES"] = "1MB";
  env["DIRSYNC_CLOCK_TEST"] = "yes";
  env["DIRSYNC_LOG_LEVEL"] = "loud";
  env["DIRSYNC_STORAGE_READ_CONNECTIONS"] = "99";
  auto problems = fails();
  for (const auto& p : problems)
    UNSCOPED_INFO(p);
  CHECK(problems.size() == 8);
  CHECK(mentions(problems, "DIRSYNC_HTTP_PORT: 'abc' is not an integer"));
  CHECK(mentions(problems, "DIRSYNC_HTTP_IO_THREADS: '2x' is not an integer"));
  CHECK(mentions(problems, "DIRSYNC_HTTP_MAX_IN_FLIGHT: '' is not an integer"));
  CHECK(mentions(problems, "DIRSYNC_HTTP_IDLE_TIMEOUT: '5 min' is not a duration"));
  CHECK(mentions(problems, "DIRSYNC_HTTP_MAX_BODY_BYTES: '1MB' is not a size"));
  CHECK(mentions(problems, "DIRSYNC_CLOCK_TEST: 'yes' is not a boolean"));
  CHECK(mentions(problems, "DIRSYNC_LOG_LEVEL: 'loud' is not one of"));
  CHECK(mentions(problems, "DIRSYNC_STORAGE_READ_CONNECTIONS: 99 is out of range 1..64"));
}

TEST_CASE_METHOD(fixture, "unknown DIRSYNC_ variables are reported", "[config]") {
  env["DIRSYNC_HTTP_PROT"] = "1";
  env["DIRSYNC_NONSENSE"] = "1";
  auto problems = fails();
  REQUIRE(problems.size() == 2);
  CHECK(mentions(problems, "DIRSYNC_HTTP_PROT: unknown setting (did you mean DIRSYNC_HTTP_PORT?)"));
  CHECK(mentions(problems, "DIRSYNC_NONSENSE: unknown setting"));
}

TEST_CASE_METHOD(fixture, "bad and unknown flags are reported", "[config]") {
  auto problems = fails({}, {{"http.port", "99999"},
                             {"http.prot", "1"},
                             {"scim.token_lifetime", "30"},
                             {"scim.public_base_url", "https://a.example/"}});
  REQUIRE(problems.size() == 4);
  CHECK(mentions(problems, "--http.port: 99999 is out of range 0..65535"));
  CHECK(mentions(problems, "--http.prot: unknown setting"));
  CHECK(mentions(problems, "--scim.token_lifetime: 30s is out of range 1m..3650d"));
  CHECK(mentions(problems, "--scim.public_base_url: 'https://a.example/' must not end"));
}

TEST_CASE_METHOD(fixture, "every problem from every source is reported at once", "[config]") {
  auto file = write("many.toml", "[http]\nport = 70000\nprot = 1\n[log]\nlevel = \"loud\"\n"
                                 "[scim]\nmax_page_size = 10\n");
  env["DIRSYNC_HTTP_IO_THREADS"] = "abc";
  env["DIRSYNC_TYPO"] = "1";
  auto problems = fails(file, {{"storage.max_batch", "0"}, {"http.tls_key", "k.pem"}});
  for (const auto& p : problems)
    UNSCOPED_INFO(p);
  CHECK(problems.size() == 8);
  CHECK(mentions(problems, "many.toml: http.port: 70000 is out of range"));
  CHECK(mentions(problems, "many.toml: unknown key 'http.prot'"));
  CHECK(mentions(problems, "many.toml: log.level: 'loud'"));
  CHECK(mentions(problems, "many.toml: scim.max_page_size: 10 is too small"));
  CHECK(mentions(problems, "DIRSYNC_HTTP_IO_THREADS: 'abc' is not an integer"));
  CHECK(mentions(problems, "DIRSYNC_TYPO: unknown setting"));
  CHECK(mentions(problems, "--storage.max_batch: 0 is out of range"));
  CHECK(mentions(problems, "http.tls_cert and http.tls_key must be set together"));
}

TEST_CASE_METHOD(fixture, "TLS certificate and key go together", "[config]") {
  auto problems = fails(write("tls.toml", "[http]\ntls_cert = \"c.pem\"\n"));
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0],
             Equals("http.tls_cert and http.tls_key must be set together (native TLS); "
                    "only http.tls_cert is set (http.tls_cert from config file " +
                    (dir / "tls.toml").string() + ")"));
  env["DIRSYNC_HTTP_TLS_KEY"] = "k.pem";
  problems = fails();
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Contains("only http.tls_key is set (http.tls_key from "
                                   "DIRSYNC_HTTP_TLS_KEY)"));
  auto l = ok({}, {{"http.tls_cert", "c.pem"}});
  CHECK(l.values.http.tls_cert == "c.pem");
  CHECK(l.values.http.tls_key == "k.pem");
}

TEST_CASE_METHOD(fixture, "SMTP login needs user, password file and URL", "[config]") {
  auto problems = fails({}, {{"mail.smtp_user", "u"}, {"mail.smtp_url", "smtp://h"}});
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Contains("mail.smtp_user and mail.smtp_password_file must be "
                                   "set together"));
  problems = fails({}, {{"mail.smtp_user", "u"}, {"mail.smtp_password_file", "/p"}});
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Contains("mail.smtp_user is set but mail.smtp_url is empty"));
  ok({}, {{"mail.smtp_user", "u"},
          {"mail.smtp_password_file", "/p"},
          {"mail.smtp_url", "smtps://mail.example.com"}});
}

TEST_CASE_METHOD(fixture, "mail.tls off contradicts an smtps:// URL", "[config]") {
  auto problems = fails({}, {{"mail.tls", "off"}, {"mail.smtp_url", "smtps://h"}});
  REQUIRE(problems.size() == 1);
  CHECK_THAT(problems[0], Contains("mail.tls is off but mail.smtp_url is smtps://"));
  ok({}, {{"mail.tls", "off"}, {"mail.smtp_url", "smtp://h"}});
  ok({}, {{"mail.tls", "require"}, {"mail.smtp_url", "smtps://h"}});
}

TEST_CASE_METHOD(fixture, "add_flags registers every key for CLI11", "[config]") {
  CLI::App app{"dirsyncd"};
  auto* serve = app.add_subcommand("serve", "run the service");
  std::string config_file;
  flag_values flags;
  add_flags(*serve, config_file, flags);
  auto file = write("cli.toml", "[http]\nport = 1\n");
  std::vector<std::string> args{"dirsyncd", "serve",        "--config",
                                file,       "--http.port",  "9000",
                                "--storage.path=/tmp/x.db", "--log.level", "debug"};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  REQUIRE_NOTHROW(app.parse(static_cast<int>(argv.size()), argv.data()));
  CHECK(config_file == file);
  CHECK(flags == flag_values{{"http.port", "9000"},
                             {"storage.path", "/tmp/x.db"},
                             {"log.level", "debug"}});
  auto l = ok(config_file, flags);
  CHECK(l.values.http.port == 9000);
  CHECK(l.origins.at("http.port") == origin::flag);
  CHECK(l.values.storage.path == "/tmp/x.db");
  CHECK(l.values.log.level == log_level::debug);

  auto help = serve->help();
  for (const auto& o : options()) {
    INFO(o.name());
    CHECK_THAT(help, Contains(o.flag_name()));
    CHECK_THAT(help, Contains(o.env_name()));
  }
  CHECK_THAT(help, Contains("--http.port INT=8080"));
  CHECK_THAT(help, Contains("--http.max_body_bytes SIZE=1MiB"));
  CHECK_THAT(help, Contains("0 picks a free port"));
}

TEST_CASE_METHOD(fixture, "flags not given do not appear in flag_values", "[config]") {
  CLI::App app{"dirsyncd"};
  std::string config_file;
  flag_values flags;
  add_flags(app, config_file, flags);
  std::vector<std::string> args{"dirsyncd"};
  std::vector<char*> argv{args[0].data()};
  app.parse(1, argv.data());
  CHECK(flags.empty());
  CHECK(config_file.empty());
  CHECK_THROWS_AS(app.parse(std::string{"--http.nope 1"}), CLI::ExtrasError);
}
