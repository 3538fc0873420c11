#pragma once
/// \file units.hpp
/// Text forms of durations ("250ms", "30s", "5m", "2h", "7d") and sizes
/// ("512B", "64KiB", "1MiB", "2GiB") used by config files, env and flags.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dirsync::config {

/// Parses "<digits><unit>" with unit ms, s, m, h or d; bare digits are seconds.
/// Returns nullopt for anything else (signs, spaces, fractions, unknown units, overflow).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Parses "<digits><unit>" with unit B, KiB, MiB or GiB; bare digits are bytes.
/// Returns nullopt for anything else (including decimal units such as "MB").
std::optional<std::uint64_t> parse_size(std::string_view text);

/// Formats a duration in the largest unit that represents it exactly, e.g. "90d", "250ms", "0ms".
std::string format_duration(std::chrono::milliseconds d);

/// Formats a size in the largest binary unit that represents it exactly, e.g. "1MiB", "1000B".
std::string format_size(std::uint64_t bytes);

/// A short hint listing the accepted duration syntax, for error messages.
inline constexpr std::string_view duration_syntax =
  "expected whole seconds or a number with unit ms, s, m, h or d, e.g. 250ms, 30s, 5m, 7d";

/// A short hint listing the accepted size syntax, for error messages.
inline constexpr std::string_view size_syntax =
  "expected whole bytes or a number with unit B, KiB, MiB or GiB, e.g. 64KiB, 1MiB";

} // namespace dirsync::config
