#include "e2e/harness.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

extern char** environ;

namespace dirsync::e2e {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::chrono::seconds io_timeout{15};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

int wait_ms_left(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Spawns dirsyncd with stdout (and stderr, if err_fd >= 0) redirected.
pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
  std::vector<std::string> all{DIRSYNCD_PATH};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
  if (err_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// Waits for `pid` until `deadline`; SIGKILLs it past it. Returns the exit code or -1.
int reap(pid_t pid, clock_type::time_point deadline) {
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (r < 0 && errno != EINTR)
      return -1;
    if (clock_type::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    timespec ts{0, 10'000'000}; // polling the child's exit
    nanosleep(&ts, nullptr);
  }
}

} // namespace

std::string response::header(const std::string& name) const {
  auto i = headers.find(lower(name));
  return i == headers.end() ? std::string{} : i->second;
}

json response::json_body() const { return json::parse(body, nullptr, false); }

process_result run_dirsyncd(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  process_result result;
  int out[2], err[2];
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(err) == 0);
  pid_t pid = spawn(args, out[1], err[1]);
  close(out[1]);
  close(err[1]);
  REQUIRE(pid > 0);
  auto deadline = clock_type::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && clock_type::now() < deadline) {
    if (poll(fds, 2, wait_ms_left(deadline)) <= 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      auto n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      close(f.fd);
  result.exit_code = reap(pid, deadline);
  return result;
}

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

// ---------------------------------------------------------------- daemon

daemon::daemon(std::vector<std::string> extra) : extra_(std::move(extra)) {
  std::string templ = (std::filesystem::temp_directory_path() / "dirsync-e2e-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  dir_ = templ;
  auto r = run_dirsyncd({"create-owner", "--name", "e2e-owner", "--storage.path", db_path()});
  INFO("create-owner stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto text = r.out;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  admin_key_ = text.substr(text.find_last_of('\n') + 1);
  REQUIRE(!admin_key_.empty());
  start();
}

daemon::~daemon() {
  if (pid_ > 0)
    stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> daemon::serve_args() const {
  std::vector<std::string> args{"serve",        "--storage.path", db_path(), "--http.port", "0",
                                "--http.bind",  "127.0.0.1",      "--mail.folder", dir_ + "/mail"};
  args.insert(args.end(), extra_.begin(), extra_.end());
  return args;
}

void daemon::start() {
  REQUIRE(pid_ <= 0);
  int out[2];
  REQUIRE(pipe(out) == 0);
  int err_fd = open((dir_ + "/stderr.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  pid_ = spawn(serve_args(), out[1], err_fd);
  close(out[1]);
  if (err_fd >= 0)
    close(err_fd);
  out_fd_ = out[0];
  REQUIRE(pid_ > 0);
  auto deadline = clock_type::now() + std::chrono::seconds{10};
  std::string text;
  const std::string marker = "listening on 127.0.0.1:";
  while (clock_type::now() < deadline) {
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, wait_ms_left(deadline)) <= 0)
      continue;
    char buf[512];
    auto n = read(out_fd_, buf, sizeof buf);
    if (n <= 0)
      break;
    text.append(buf, static_cast<std::size_t>(n));
    auto at = text.find(marker);
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::stoi(text.substr(at + marker.size())));
      return;
    }
  }
  INFO("serve stdout: " << text);
  FAIL("dirsyncd serve did not print its port within 10 s");
}

int daemon::stop() {
  if (pid_ <= 0)
    return -1;
  kill(pid_, SIGTERM);
  int code = reap(pid_, clock_type::now() + std::chrono::seconds{10});
  pid_ = -1;
  if (out_fd_ >= 0)
    close(out_fd_);
  out_fd_ = -1;
  port_ = 0;
  return code;
}

int daemon::restart() {
  int code = stop();
  start();
  return code;
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

json patch_body(const json& operations) { return json{{"schemas", {patch_urn}}, {"Operations", operations}}; }

} // namespace dirsync::e2e
