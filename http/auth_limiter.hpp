#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace dirsync::http {

/// Counts failed authentications per client address in fixed windows; an
/// address past the limit is refused (429) until its window ends. Thread-safe.
class auth_limiter {
public:
  /// Steady time, injected so tests need not wait.
  using time_point = std::chrono::steady_clock::time_point;

  /// At most `limit` failures per `window` for one address.
  auth_limiter(int limit, std::chrono::milliseconds window);

  /// Seconds to wait before retrying when `address` is blocked at `now`.
  std::optional<std::int64_t> blocked(const std::string& address, time_point now);
  /// Records one failed authentication of `address`.
  void record_failure(const std::string& address, time_point now);
  /// Addresses tracked (bounded: old windows are dropped).
  std::size_t tracked() const;

private:
  struct entry {
    time_point window_start;
    int failures = 0;
  };
  void prune(time_point now);
  int limit_;
  std::chrono::milliseconds window_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, entry> by_address_;
  time_point last_prune_{};
};

} // namespace dirsync::http
