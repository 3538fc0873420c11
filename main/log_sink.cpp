#include "main/log_sink.hpp"

#include <cerrno>

#include <unistd.h>

namespace dirsync::cli {

void buffered_fd_sink::write_out() {
  std::size_t done = 0;
  while (done < buffer_.size()) {
    auto n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // a closed or full log pipe must not stop the service
    done += static_cast<std::size_t>(n);
  }
  buffer_.clear();
}

} // namespace dirsync::cli
