// The HTTP side of the e2e harness: a keep-alive Beast client with bounded
// operations, and SCIM body and assertion helpers.
#include "e2e/harness.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cctype>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

namespace dirsync::e2e {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

constexpr std::chrono::seconds io_timeout{15};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace

std::string response::header(const std::string& name) const {
  auto i = headers.find(lower(name));
  return i == headers.end() ? std::string{} : i->second;
}

json response::json_body() const { return json::parse(body, nullptr, false); }

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// ---------------------------------------------------------------- client

struct client::impl {
  std::uint16_t port;
  net::io_context ioc;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // Runs the started async operation to completion or the timeout.
  template <class Start>
  bool run(Start start) {
    ioc.restart();
    start();
    ioc.run_for(io_timeout);
    if (!ioc.stopped()) {
      stream->socket().close();
      ioc.restart();
      ioc.run_for(std::chrono::seconds{1});
      return false;
    }
    return true;
  }

  beast::error_code connect() {
    stream = std::make_unique<beast::tcp_stream>(ioc);
    buffer.clear();
    net::ip::tcp::endpoint ep{net::ip::make_address("127.0.0.1"), port};
    beast::error_code ec = beast::error::timeout;
    run([&] { stream->async_connect(ep, [&](beast::error_code e) { ec = e; }); });
    return ec;
  }
};

client::client(std::uint16_t port) : impl_(std::make_unique<impl>()) { impl_->port = port; }

client::~client() = default;

response client::request(const std::string& method, const std::string& target, const std::string& body,
                         const std::map<std::string, std::string>& headers, const std::string& token) {
  response out;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  if (req.method() == bhttp::verb::unknown)
    req.method_string(method);
  req.set(bhttp::field::host, "127.0.0.1");
  auto tok = token.empty() ? token_ : token;
  if (!tok.empty() && tok != "-")
    req.set(bhttp::field::authorization, "Bearer " + tok);
  if (!body.empty())
    req.set(bhttp::field::content_type, "application/scim+json");
  for (const auto& [k, v] : headers)
    req.set(k, v);
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();
  // One retry: a reused connection may have been closed by the server.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = impl_->stream != nullptr;
    if (!reused) {
      if (auto ec = impl_->connect()) {
        out.error = "connect: " + ec.message();
        impl_->stream.reset();
        return out;
      }
    }
    beast::error_code wec = beast::error::timeout;
    impl_->run([&] { bhttp::async_write(*impl_->stream, req, [&](beast::error_code e, std::size_t) { wec = e; }); });
    bhttp::response<bhttp::string_body> res;
    beast::error_code rec = beast::error::timeout;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (!wec || !reused)
      impl_->run([&] {
        bhttp::async_read(*impl_->stream, impl_->buffer, parser, [&](beast::error_code e, std::size_t) { rec = e; });
      });
    if (rec) {
      impl_->stream.reset();
      if (reused && (rec == bhttp::error::end_of_stream || rec == net::error::connection_reset
                     || rec == net::error::eof || wec))
        continue;
      out.error = "write: " + wec.message() + ", read: " + rec.message();
      return out;
    }
    res = parser.release();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res)
      out.headers[lower(std::string{f.name_string()})] = std::string{f.value()};
    out.body = res.body();
    if (!res.keep_alive())
      impl_->stream.reset();
    return out;
  }
  out.error = "connection closed twice";
  return out;
}

directory daemon::create_directory(const std::string& type, const std::string& name) {
  client c{port_};
  c.set_token(admin_key_);
  auto r = c.request("POST", "/admin/v1/directories", json{{"type", type}, {"name", name}}.dump(),
                     {{"Content-Type", "application/json"}});
  INFO(r.body);
  REQUIRE(r.status == 201);
  directory d;
  d.id = r.json_body().at("id").get<std::string>();
  auto c2 = c.request("POST", "/admin/v1/directories/" + d.id + "/complete");
  INFO(c2.body);
  REQUIRE(c2.status == 200);
  d.token = c2.json_body().at("token").get<std::string>();
  REQUIRE(!d.token.empty());
  return d;
}

json user_body(const std::string& user_name, const json& extra) {
  json j{{"schemas", {user_urn}}, {"userName", user_name}, {"active", true}};
  for (const auto& [k, v] : extra.items())
    j[k] = v;
  return j;
}

json group_body(const std::string& display_name, const json& members) {
  json j{{"schemas", {group_urn}}, {"displayName", display_name}};
  if (!members.empty())
    j["members"] = members;
  return j;
}

fixture::fixture(const std::string& type, std::vector<std::string> extra)
    : d(std::move(extra)), dir(d.create_directory(type)), c(d.connect()) {
  c->set_token(dir.token);
}

std::string create_user(client& c, const std::string& user_name, const json& extra) {
  auto r = c.post("/scim/v2/Users", user_body(user_name, extra));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json_body().at("id").get<std::string>();
}

std::string create_group(client& c, const std::string& display_name, const json& members) {
  auto r = c.post("/scim/v2/Groups", group_body(display_name, members));
  INFO(r.body);
  REQUIRE(r.status == 201);
  return r.json_body().at("id").get<std::string>();
}

std::vector<std::string> resource_ids(const json& list) {
  std::vector<std::string> ids;
  if (list.is_object() && list.contains("Resources"))
    for (const auto& r : list["Resources"])
      ids.push_back(r.value("id", std::string{}));
  return ids;
}

void check_scim_error(const response& r, int status, const std::string& scim_type) {
  INFO("status " << r.status << " body: " << r.body << " transport: " << r.error);
  CHECK(r.status == status);
  CHECK(r.header("content-type").rfind("application/scim+json", 0) == 0);
  auto j = r.json_body();
  REQUIRE(j.is_object());
  CHECK(j["schemas"] == json::array({error_urn}));
  CHECK(j["status"] == std::to_string(status));
  if (!scim_type.empty())
    CHECK(j.value("scimType", std::string{}) == scim_type);
  CHECK(j.contains("detail"));
  CHECK(j["detail"].is_string());
}

response admin_request(client& c, const std::string& key, const std::string& method, const std::string& path,
                       const json& body) {
  return c.request(method, "/admin/v1" + path, body.is_null() ? std::string{} : body.dump(),
                   {{"Content-Type", "application/json"}}, key);
}

std::int64_t epoch_seconds(const std::string& at) {
  std::tm tm{};
  REQUIRE(std::sscanf(at.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                      &tm.tm_min, &tm.tm_sec) == 6);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

json advance_clock(client& c, const daemon& d, long seconds) {
  auto r = admin_request(c, d.admin_key(), "POST", "/test-clock/advance", {{"seconds", seconds}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json_body();
}

json patch_body(const json& operations) { return json{{"schemas", {patch_urn}}, {"Operations", operations}}; }

} // namespace dirsync::e2e