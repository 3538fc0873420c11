#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace dirsync::actors {

/// The service's one source of time (O4): injected everywhere, never read
/// from std::chrono::system_clock inside a handler.
class clock {
public:
  /// Wall-clock time point.
  using time_point = std::chrono::system_clock::time_point;
  virtual ~clock() = default;
  /// The current time.
  virtual time_point now() const = 0;
};

/// The real clock, optionally moved forward by a test offset (only when the
/// configuration enables the test clock).
class adjustable_clock final : public clock {
public:
  /// Current time plus the offset.
  time_point now() const override;
  /// Moves time forward by `by`.
  void advance(std::chrono::milliseconds by);

private:
  std::atomic<std::int64_t> offset_ms_{0};
};

/// A clock frozen at a time point, moved only by `advance` (tests).
class manual_clock final : public clock {
public:
  /// Starts at `start`.
  explicit manual_clock(time_point start) : now_ms_(to_ms(start)) {}
  /// The frozen time.
  time_point now() const override;
  /// Moves time forward.
  void advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }

private:
  static std::int64_t to_ms(time_point t);
  std::atomic<std::int64_t> now_ms_;
};

/// RFC 3339 UTC with milliseconds: "2026-11-29T14:58:00.123Z".
std::string format_time(clock::time_point t);

/// Parses format_time's text (milliseconds optional); nullopt otherwise.
std::optional<clock::time_point> parse_time(const std::string& text);

/// RFC 3339 `at` plus `by`; `at` unchanged when it cannot be parsed.
std::string add_time(const std::string& at, std::chrono::milliseconds by);

/// Source of ids and secrets: injected so tests can be deterministic.
class id_source {
public:
  virtual ~id_source() = default;
  /// A new resource id (UUID text; random_ids makes time-ordered version 7
  /// ones).
  virtual std::string new_id() = 0;
  /// A new secret of `bytes` random bytes, URL-safe base64 without padding.
  virtual std::string new_secret(std::size_t bytes) = 0;
};

/// ids and secrets from OpenSSL's CSPRNG. Ids are time-ordered UUIDs
/// (RFC 9562 version 7: 48-bit Unix milliseconds, a 12-bit counter that keeps
/// ids made in the same millisecond increasing, 62 random bits), so rows
/// created one after another land next to each other in every index keyed
/// by id (users, groups, memberships, the audit trail's object index)
/// instead of on a random page each.
class random_ids final : public id_source {
public:
  std::string new_id() override;
  std::string new_secret(std::size_t bytes) override;

private:
  /// (milliseconds << 12) | counter of the last id; only ever grows.
  std::atomic<std::uint64_t> last_{0};
};

/// Hex SHA-256 of a secret: how tokens and keys are stored (D5, A2).
std::string sha256_hex(const std::string& secret);

/// Constant-time comparison of two strings of equal length.
bool constant_time_equals(const std::string& a, const std::string& b);

} // namespace dirsync::actors
