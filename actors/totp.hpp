#pragma once

// TOTP authenticators (RFC 6238 over RFC 4226 HOTP, HMAC-SHA1, 6 digits,
// 30-second steps) for enrollment (E6) and the auth API (P1).

#include <cstdint>
#include <optional>
#include <string>

namespace dirsync::actors::totp {

/// Seconds per time step.
inline constexpr std::int64_t step_seconds = 30;

/// RFC 4648 base32 without padding (what authenticator apps expect).
std::string base32_encode(const std::string& bytes);
/// Decodes base32 (case-insensitive, padding and spaces ignored); nullopt
/// on other characters.
std::optional<std::string> base32_decode(const std::string& text);
/// The 6-digit code of `key` (raw bytes) for `counter` (RFC 4226).
std::string hotp(const std::string& key, std::uint64_t counter);
/// The time step of a Unix time.
inline std::int64_t step_of(std::int64_t unix_seconds) { return unix_seconds / step_seconds; }
/// The step within ±`window` of `step` whose code is `code`, or nullopt.
std::optional<std::int64_t> verify(const std::string& key, const std::string& code, std::int64_t step,
                                   int window = 1);
/// otpauth://totp URI for authenticator apps.
std::string otpauth_uri(const std::string& issuer, const std::string& account, const std::string& base32_secret);

} // namespace dirsync::actors::totp
