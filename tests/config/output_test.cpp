// The option table and what is generated from it: print-config, README table, base URL.
#include "fixture.hpp"

#include <set>
#include <sstream>

using namespace dirsync::config;
using namespace dirsync::config::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("the option table is consistent", "[config]") {
  std::set<std::string> names, envs;
  const settings defaults;
  for (const auto& o : options()) {
    INFO(o.name());
    CHECK(names.insert(o.name()).second);
    CHECK(envs.insert(o.env_name()).second);
    CHECK_FALSE(o.doc.empty());
    auto v = o.get(defaults);
    // The value alternative matches the kind.
    switch (o.kind) {
      case kind::boolean:
        CHECK(std::holds_alternative<bool>(v));
        break;
      case kind::integer:
      case kind::size:
      case kind::duration:
        CHECK(std::holds_alternative<std::int64_t>(v));
        CHECK(o.min <= o.max);
        break;
      default:
        CHECK(std::holds_alternative<std::string>(v));
    }
    // Every default is itself valid, and set(get()) round-trips.
    CHECK_FALSE(validate(o, v).has_value());
    settings copy;
    o.set(copy, v);
    CHECK(o.get(copy) == v);
    // Text forms parse back to the same value.
    value parsed;
    CHECK_FALSE(parse_text(o, format_value(o, v), parsed).has_value());
    CHECK(parsed == v);
  }
  CHECK(names.size() == 51);
  CHECK(sections() == std::vector<std::string>{"http", "actors", "storage", "scim",
                                               "mail", "timers", "clock", "log"});
  for (const auto& r : rules())
    for (const auto& key : r.keys)
      CHECK(find_option(key) != nullptr);
  CHECK(find_option("http.port")->env_name() == "DIRSYNC_HTTP_PORT");
  CHECK(find_option("http.max_body_bytes")->env_name() == "DIRSYNC_HTTP_MAX_BODY_BYTES");
  CHECK(find_option("http.port")->flag_name() == "--http.port");
  CHECK(find_option("http.nope") == nullptr);
}

TEST_CASE_METHOD(fixture, "render_effective lists every key with its origin", "[config]") {
  auto file = write("r.toml", "[http]\nport = 9000\n[storage]\nsynchronous = \"normal\"\n");
  env["DIRSYNC_HTTP_MAX_BODY_BYTES"] = "2MiB";
  env["DIRSYNC_MAIL_SMTP_PASSWORD_FILE"] = "/run/secrets/smtp";
  env["DIRSYNC_MAIL_SMTP_USER"] = "u";
  env["DIRSYNC_MAIL_SMTP_URL"] = "smtp://h";
  auto l = ok(file, {{"log.level", "debug"}});
  auto text = render_effective(l);
  std::istringstream lines{text};
  std::string line;
  std::size_t count = 0;
  while (std::getline(lines, line)) {
    const auto& o = options().at(count++);
    INFO(line);
    CHECK_THAT(line, StartsWith(o.name() + " = "));
    CHECK_THAT(line, Contains("   # "));
  }
  CHECK(count == options().size());
  CHECK_THAT(text, Contains("http.port = 9000"));
  CHECK_THAT(text, Contains("# file " + file));
  CHECK_THAT(text, Contains("storage.synchronous = \"normal\""));
  CHECK_THAT(text, Contains("http.max_body_bytes = \"2MiB\""));
  CHECK_THAT(text, Contains("# env DIRSYNC_HTTP_MAX_BODY_BYTES"));
  CHECK_THAT(text, Contains("log.level = \"debug\""));
  CHECK_THAT(text, Contains("# flag --log.level"));
  CHECK_THAT(text, Contains("http.bind = \"127.0.0.1\""));
  CHECK_THAT(text, Contains("clock.test = false"));
  CHECK_THAT(text, Contains("scim.token_lifetime = \"90d\""));
  CHECK_THAT(text, Contains("mail.smtp_password_file = \"/run/secrets/smtp\""));
  CHECK_THAT(text, Contains("# default"));
}

TEST_CASE_METHOD(fixture, "render_effective output is itself a valid config file", "[config]") {
  auto l1 = ok({}, {{"http.port", "9000"},
                    {"http.read_timeout", "250ms"},
                    {"storage.path", "/tmp/a\"b\\c.db"},
                    {"actors.scheduler_policy", "stealing"},
                    {"clock.test", "true"}});
  auto again = write("again.toml", render_effective(l1));
  auto l2 = ok(again);
  for (const auto& o : options()) {
    INFO(o.name());
    CHECK(o.get(l2.values) == o.get(l1.values));
    CHECK(l2.origins.at(o.name()) == origin::file);
  }
}

TEST_CASE("markdown_table lists every key", "[config]") {
  auto md = markdown_table();
  CHECK_THAT(md, StartsWith("| Key | Environment variable | Default | Description |\n"
                            "|---|---|---|---|\n"));
  for (const auto& o : options()) {
    INFO(o.name());
    CHECK_THAT(md, Contains("| `" + o.name() + "` | `" + o.env_name() + "` | "));
  }
  CHECK_THAT(md, Contains("| `http.port` | `DIRSYNC_HTTP_PORT` | `8080` |"));
  CHECK_THAT(md, Contains("| `http.max_body_bytes` | `DIRSYNC_HTTP_MAX_BODY_BYTES` | "
                          "`1MiB` |"));
  CHECK_THAT(md, Contains("| `http.tls_cert` | `DIRSYNC_HTTP_TLS_CERT` | (empty) |"));
  CHECK_THAT(md, Contains("One of: sharing \\| stealing."));
  CHECK_THAT(md, Contains("sharing with 2 workers 2,900-3,200 req/s"));
  auto rows = std::count(md.begin(), md.end(), '\n');
  CHECK(rows == static_cast<long>(options().size()) + 2);
}

TEST_CASE("scim_base_url uses the public URL or derives one", "[config]") {
  settings s;
  CHECK(scim_base_url(s) == "http://127.0.0.1:8080");
  s.http.port = 0;
  CHECK(scim_base_url(s, 41234) == "http://127.0.0.1:41234");
  s.http.bind = "::1";
  s.http.port = 8443;
  s.http.tls_cert = "c.pem";
  s.http.tls_key = "k.pem";
  CHECK(scim_base_url(s) == "https://[::1]:8443");
  s.scim.public_base_url = "https://sync.example.com";
  CHECK(scim_base_url(s) == "https://sync.example.com");
}

TEST_CASE("enum and origin names", "[config]") {
  CHECK(to_string(scheduler_policy::stealing) == "stealing");
  CHECK(to_string(synchronous_mode::normal) == "normal");
  CHECK(to_string(log_level::warn) == "warn");
  CHECK(to_string(log_format::json) == "json");
  CHECK(to_string(origin::default_value) == "default");
  CHECK(to_string(origin::environment) == "env");
}
