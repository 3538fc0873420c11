#include "http/auth_limiter.hpp"

namespace dirsync::http {

namespace {

// Past this many tracked addresses, expired windows are swept on each
// failure, so a scan from many addresses cannot grow memory without bound.
constexpr std::size_t sweep_threshold = 10'000;

} // namespace

auth_limiter::auth_limiter(int limit, std::chrono::milliseconds window) : limit_(limit), window_(window) {
}

std::optional<std::int64_t> auth_limiter::blocked(const std::string& address, time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto i = by_address_.find(address);
  if (i == by_address_.end())
    return std::nullopt;
  auto ends = i->second.window_start + window_;
  if (now >= ends) {
    by_address_.erase(i);
    return std::nullopt;
  }
  if (i->second.failures < limit_)
    return std::nullopt;
  auto left = std::chrono::duration_cast<std::chrono::seconds>(ends - now).count();
  return left < 1 ? 1 : left;
}

void auth_limiter::record_failure(const std::string& address, time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (by_address_.size() >= sweep_threshold)
    prune(now);
  auto& e = by_address_[address];
  if (e.failures == 0 || now >= e.window_start + window_) {
    e.window_start = now;
    e.failures = 0;
  }
  ++e.failures;
}

std::size_t auth_limiter::tracked() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return by_address_.size();
}

void auth_limiter::prune(time_point now) {
  for (auto i = by_address_.begin(); i != by_address_.end();)
    i = now >= i->second.window_start + window_ ? by_address_.erase(i) : std::next(i);
  last_prune_ = now;
}

} // namespace dirsync::http
