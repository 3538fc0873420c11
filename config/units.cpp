#include "config/units.hpp"

#include <array>
#include <limits>
#include <utility>

namespace dirsync::config {

namespace {

/// Splits "<digits><rest>" and parses the digits; nullopt if there are none or they overflow.
std::optional<std::pair<std::uint64_t, std::string_view>>
split_number(std::string_view text) {
  std::uint64_t n = 0;
  std::size_t i = 0;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (n > (max - digit) / 10)
      return std::nullopt;
    n = n * 10 + digit;
  }
  if (i == 0)
    return std::nullopt;
  return std::pair{n, text.substr(i)};
}

/// n * factor, or nullopt if the result exceeds limit.
std::optional<std::uint64_t> scaled(std::uint64_t n, std::uint64_t factor,
                                    std::uint64_t limit) {
  if (n > limit / factor)
    return std::nullopt;
  return n * factor;
}

struct unit {
  std::string_view name;
  std::uint64_t factor;
};

// Largest first, so formatting picks the coarsest exact unit.
constexpr std::array<unit, 5> duration_units{{{"d", 86'400'000},
                                              {"h", 3'600'000},
                                              {"m", 60'000},
                                              {"s", 1'000},
                                              {"ms", 1}}};

constexpr std::array<unit, 4> size_units{
  {{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}}};

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto parts = split_number(text);
  if (!parts)
    return std::nullopt;
  auto [n, suffix] = *parts;
  // chrono::milliseconds is signed: keep results within its range.
  constexpr auto limit =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t factor = 0;
  if (suffix.empty()) {
    factor = 1'000;
  } else {
    for (const auto& u : duration_units)
      if (u.name == suffix)
        factor = u.factor;
  }
  if (factor == 0)
    return std::nullopt;
  auto ms = scaled(n, factor, limit);
  if (!ms)
    return std::nullopt;
  return std::chrono::milliseconds{static_cast<std::int64_t>(*ms)};
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  auto parts = split_number(text);
  if (!parts)
    return std::nullopt;
  auto [n, suffix] = *parts;
  constexpr auto limit =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (suffix.empty())
    suffix = "B";
  for (const auto& u : size_units)
    if (u.name == suffix)
      return scaled(n, u.factor, limit);
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms == 0)
    return "0ms";
  for (const auto& u : duration_units) {
    auto factor = static_cast<std::int64_t>(u.factor);
    if (ms % factor == 0)
      return std::to_string(ms / factor) + std::string{u.name};
  }
  return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t bytes) {
  if (bytes == 0)
    return "0B";
  for (const auto& u : size_units)
    if (bytes % u.factor == 0)
      return std::to_string(bytes / u.factor) + std::string{u.name};
  return std::to_string(bytes) + "B";
}

} // namespace dirsync::config
