// The dirsyncd process side of the e2e harness: spawning with posix_spawn,
// reading the port line, SIGTERM / SIGKILL and reaping, create-owner.
#include "e2e/harness.hpp"

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

#include <catch2/catch.hpp>

extern char** environ;

namespace dirsync::e2e {

using clock_type = std::chrono::steady_clock;

namespace {

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

// ---------------------------------------------------------------- daemon

daemon::daemon(std::vector<std::string> extra) : extra_(std::move(extra)) {
  std::string templ = (std::filesystem::temp_directory_path() / "dirsync-e2e-XXXXXX").string();
  REQUIRE(mkdtemp(templ.data()) != nullptr);
  dir_ = templ;
  auto r = run_dirsyncd({"create-owner", "--name", "e2e-owner", "--email", "owner@example.test", "--storage.path", db_path()});
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

int daemon::kill_hard() {
  if (pid_ <= 0)
    return -1;
  kill(pid_, SIGKILL);
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

} // namespace dirsync::e2e
