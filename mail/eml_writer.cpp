// The default sender: each message becomes <folder>/<id>.eml, written so that
// a reader (or a crash) never sees a partial file and a retry replaces it.
#include "mail/senders.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

namespace dirsync::mail::detail {

namespace {

namespace fs = std::filesystem;

/// Closes a POSIX file descriptor on scope exit.
class fd_guard {
public:
  explicit fd_guard(int fd) : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now, reporting the error close() may carry (NFS, quotas).
  bool close() {
    auto fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

private:
  int fd_;
};

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

result io_error(const std::string& what, const fs::path& path) {
  return {outcome::transient, what + " " + path.string() + ": " + std::strerror(errno)};
}

class eml_writer final : public sender {
public:
  eml_writer(std::string folder, std::string from)
      : folder_(std::move(folder)), from_(std::move(from)) {}

  result send(const message& m) override {
    if (auto refused = refuse(m, from_))
      return *refused;
    auto text = *render(m, from_);
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec)
      return {outcome::transient,
              "cannot create mail folder " + folder_.string() + ": " + ec.message()};
    auto token = id_token(m.id);
    auto target = folder_ / (token + ".eml");
    // Hidden and not ending in .eml: never mistaken for a message; the same
    // name on a retry, so crashes leave at most one stale temporary per id.
    auto temporary = folder_ / ("." + token + ".eml.tmp");
    if (auto failed = write_durably(temporary, text)) {
      ::unlink(temporary.c_str());
      return *failed;
    }
    if (::rename(temporary.c_str(), target.c_str()) != 0) {
      auto failed = io_error("cannot rename to", target);
      ::unlink(temporary.c_str());
      return failed;
    }
    // The rename itself is durable only once the folder is synced.
    fd_guard dir{::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir.get() < 0 || ::fsync(dir.get()) != 0)
      return io_error("cannot sync mail folder", folder_);
    return {outcome::sent, "written to " + target.string()};
  }

private:
  /// Writes and fsyncs `path`; the failure, if any.
  static std::optional<result> write_durably(const fs::path& path, const std::string& text) {
    // 0600: the body holds a single-use enrollment link.
    fd_guard fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (fd.get() < 0)
      return io_error("cannot create", path);
    if (!write_all(fd.get(), text))
      return io_error("cannot write", path);
    if (::fsync(fd.get()) != 0)
      return io_error("cannot sync", path);
    if (!fd.close())
      return io_error("cannot close", path);
    return std::nullopt;
  }

  fs::path folder_;
  std::string from_;
};

} // namespace

std::unique_ptr<sender> make_eml_writer(const config::mail_settings& s) {
  return std::make_unique<eml_writer>(s.folder, s.from);
}

} // namespace dirsync::mail::detail
