#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dirsync::metrics {

/// Label name/value pairs of one series, e.g. {{"route","scim_users"}}. The
/// names (and their order) are fixed per metric family at first registration.
using label_set = std::vector<std::pair<std::string, std::string>>;

/// Monotonic counter. Lock-free: safe to increment from any thread.
class counter {
public:
  /// Adds `by` (must be >= 0; negative values are ignored).
  void inc(double by = 1.0) noexcept;
  /// Current value.
  double value() const noexcept;

private:
  std::atomic<double> value_{0.0}; ///< The running total.
};

/// Value that may go up and down. Lock-free: safe from any thread.
class gauge {
public:
  /// Replaces the value.
  void set(double v) noexcept;
  /// Adds `by` (may be negative).
  void inc(double by = 1.0) noexcept;
  /// Subtracts `by`.
  void dec(double by = 1.0) noexcept;
  /// Current value.
  double value() const noexcept;

private:
  std::atomic<double> value_{0.0}; ///< The current value.
};

/// Distribution of observations over fixed upper bounds (Prometheus `le`,
/// inclusive), plus the implicit `+Inf` bucket. Lock-free observe().
class histogram {
public:
  /// Buckets are sorted and de-duplicated; non-finite bounds are dropped.
  explicit histogram(std::vector<double> upper_bounds);
  /// Records one observation.
  void observe(double v) noexcept;
  /// The finite upper bounds, ascending.
  const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
  /// Cumulative counts per bound, the last entry being `+Inf` (== count()).
  std::vector<std::uint64_t> cumulative_counts() const;
  /// Sum of all observations.
  double sum() const noexcept;
  /// Number of observations.
  std::uint64_t count() const noexcept;

private:
  std::vector<double> bounds_;                         ///< Finite bounds.
  std::unique_ptr<std::atomic<std::uint64_t>[]> hits_; ///< Per bucket, +Inf last.
  std::atomic<double> sum_{0.0};                       ///< Sum of observations.
  std::atomic<std::uint64_t> count_{0};                ///< Observation count.
};

/// Default latency buckets in seconds: 0.0005 … 10.
std::vector<double> default_latency_buckets();

/// Thread-safe set of metric families, rendered in the Prometheus text
/// exposition format 0.0.4. Registration/lookup takes a lock; the returned
/// references stay valid for the registry's lifetime, so hot paths should
/// cache them and then only touch atomics.
class registry {
public:
  /// Default-constructed empty registry.
  registry();
  /// Out of line because of the incomplete family type.
  ~registry();
  /// Not copyable: metric references point into it.
  registry(const registry&) = delete;
  /// Not assignable.
  registry& operator=(const registry&) = delete;

  /// Finds or creates the counter series `name{labels}`. Throws
  /// std::logic_error if `name` is already used with another type or other
  /// label names (a programming error, caught by any test that starts up).
  metrics::counter& counter(std::string_view name, std::string_view help,
                            const label_set& labels = {});

  /// Finds or creates the gauge series `name{labels}` (same rules).
  metrics::gauge& gauge(std::string_view name, std::string_view help,
                        const label_set& labels = {});

  /// Finds or creates the histogram series `name{labels}`; the buckets of the
  /// first registration of `name` apply to every series of the family.
  metrics::histogram& histogram(std::string_view name, std::string_view help,
                                const label_set& labels = {},
                                std::vector<double> buckets = default_latency_buckets());

  /// Every family, sorted by name, series sorted by label values.
  std::string render() const;

private:
  struct family; ///< One metric name: help, type, label names, its series.
  struct series; ///< One label-value combination of a family.
  /// Finds or creates the series; `type` is the family type (0 counter,
  /// 1 gauge, 2 histogram).
  series& find_or_add(std::string_view name, std::string_view help, int type,
                      const label_set& labels, std::vector<double> buckets);
  mutable std::shared_mutex mutex_;                       ///< Guards families_.
  std::map<std::string, std::unique_ptr<family>, std::less<>> families_; ///< By name.
};

/// Escapes a label value for the exposition format (\\, \", \n).
std::string escape_label_value(std::string_view v);

/// Formats a sample value: shortest round-trip form, `+Inf`, `-Inf`, `NaN`.
std::string format_value(double v);

} // namespace dirsync::metrics
