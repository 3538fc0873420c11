#pragma once
// Shared helpers for the mail tests: a temporary folder, the SMTP sink process
// (tests/mail/smtp_sink.py) held by PID, and MIME decoding for assertions.

#include "mail/mail.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dirsync::mail::test {

namespace fs = std::filesystem;

/// A fresh folder per test, removed afterwards.
struct temp_dir {
  fs::path path;
  temp_dir() {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("dirsync-mail-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

inline std::string read_text(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

inline void write_text(const fs::path& p, const std::string& text) {
  std::ofstream{p, std::ios::binary} << text;
}

/// The SMTP sink running as a child process; killed (by PID) and reaped when
/// this object goes away. The child also dies with the test process.
class smtp_sink {
public:
  /// Starts `smtp_sink.py <outdir> <args...>` and waits for its port.
  smtp_sink(fs::path outdir, std::vector<std::string> args) : outdir_(std::move(outdir)) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    // -I -S: no user site or environment, a faster start; the sink needs only the stdlib.
    std::vector<std::string> words{MAIL_TEST_PYTHON, "-I", "-S", MAIL_SINK_SCRIPT,
                                   outdir_.string()};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& w : words)
      argv.push_back(w.data());
    argv.push_back(nullptr);
    auto parent = ::getpid();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(127);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    port_ = read_port(out[0]);
    ::close(out[0]);
    if (port_ == 0)
      stop();
    REQUIRE(port_ != 0);
  }

  ~smtp_sink() { stop(); }
  smtp_sink(const smtp_sink&) = delete;
  smtp_sink& operator=(const smtp_sink&) = delete;

  /// Kills and reaps the sink; idempotent.
  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  /// The port it listens on.
  std::uint16_t port() const { return port_; }
  /// "smtp://127.0.0.1:<port>" (or another scheme).
  std::string url(const std::string& scheme = "smtp") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

private:
  /// Reads the first stdout line (the port) within 10 s; 0 on failure.
  static std::uint16_t read_port(int fd) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      pollfd p{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return 0;
      char buf[64];
      auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0)
        return 0;
      line.append(buf, static_cast<std::size_t>(n));
    }
    return static_cast<std::uint16_t>(std::stoi(line));
  }

  fs::path outdir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

/// One message the sink accepted.
struct received {
  /// The DATA content, dot-unstuffed.
  std::string data;
  /// mail_from, rcpt_to, auth_user, auth_mechanism, tls.
  nlohmann::json envelope;
};

/// Messages the sink wrote to `outdir`, in arrival order.
inline std::vector<received> messages(const fs::path& outdir) {
  std::vector<received> out;
  for (int n = 1; fs::exists(outdir / (std::to_string(n) + ".eml")); ++n)
    out.push_back({read_text(outdir / (std::to_string(n) + ".eml")),
                   nlohmann::json::parse(read_text(outdir / (std::to_string(n) + ".json")))});
  return out;
}

/// Command verbs the sink received, in order.
inline std::vector<std::string> commands(const fs::path& outdir) {
  std::vector<std::string> out;
  std::ifstream in{outdir / "commands.log"};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

/// Mail settings for tests: short timeouts, the given URL.
inline config::mail_settings settings_for(const std::string& url) {
  config::mail_settings s;
  s.smtp_url = url;
  s.from = "dirsync@sync.example.com";
  s.connect_timeout = std::chrono::seconds{2};
  s.timeout = std::chrono::seconds{5};
  return s;
}

/// A message with the given id and a text that exercises SMTP transparency.
inline message sample(const std::string& id) {
  message m;
  m.id = id;
  m.to = "alice@example.com";
  m.subject = "Enroll your authenticator – Inscription clé";
  m.text = "This is an automated message from Example's access service.\n"
           ".a line that starts with a dot\n"
           ".\n"
           "..two dots\n"
           "Open https://sync.example.com/enroll/abc?x=1&y=2 within 30 days.\n";
  m.date = std::chrono::system_clock::time_point{std::chrono::seconds{1709211909}};
  return m;
}

/// `text` with every line end (CRLF, LF, CR) as CRLF and a final one, as
/// render() encodes a body.
inline std::string crlf_normalised(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n') {
      if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
        ++i;
      out += "\r\n";
    } else {
      out += text[i];
    }
  }
  if (!out.empty() && out.back() != '\n')
    out += "\r\n";
  return out;
}

/// Standard base64 decoding (padding optional, no whitespace).
inline std::string unbase64(const std::string& in) {
  static const std::string digits =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=')
      break;
    auto v = digits.find(c);
    REQUIRE(v != std::string::npos);
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

/// Quoted-printable decoding (RFC 2045): soft breaks removed, =XX decoded.
inline std::string unquote_printable(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
    } else if (in.compare(i, 3, "=\r\n") == 0) {
      i += 2;
    } else {
      REQUIRE(i + 2 < in.size());
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

/// Splits a message into its unfolded header fields and its body.
struct parsed {
  /// "Name: value" per field, continuation lines joined (CRLF removed).
  std::vector<std::string> fields;
  /// Everything after the blank line.
  std::string body;

  explicit parsed(const std::string& text) {
    auto end = text.find("\r\n\r\n");
    REQUIRE(end != std::string::npos);
    body = text.substr(end + 4);
    std::size_t pos = 0;
    while (pos < end + 2) {
      auto eol = text.find("\r\n", pos);
      auto line = text.substr(pos, eol - pos);
      if (!line.empty() && (line[0] == ' ' || line[0] == '\t'))
        fields.back() += line;
      else
        fields.push_back(line);
      pos = eol + 2;
    }
  }

  /// The value of the first field `name`, or "" if absent.
  std::string field(const std::string& name) const {
    for (const auto& f : fields)
      if (f.compare(0, name.size() + 2, name + ": ") == 0)
        return f.substr(name.size() + 2);
    return {};
  }
};

/// Decodes "=?UTF-8?B?...?=" words separated by whitespace; plain text as is.
inline std::string decode_words(const std::string& value) {
  if (value.compare(0, 10, "=?UTF-8?B?") != 0)
    return value;
  std::string out;
  std::size_t pos = 0;
  while ((pos = value.find("=?UTF-8?B?", pos)) != std::string::npos) {
    auto end = value.find("?=", pos + 10);
    REQUIRE(end != std::string::npos);
    out += unbase64(value.substr(pos + 10, end - pos - 10));
    pos = end + 2;
  }
  return out;
}

} // namespace dirsync::mail::test
