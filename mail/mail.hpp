#pragma once
/// \file mail.hpp
/// Outgoing mail (SPEC E4, E7): one message rendered as RFC 5322 text and
/// handed to a sender, either an SMTP relay (libcurl) or a folder of .eml
/// files. Pure C++, no actors: the outbox decides when to call send() and what
/// to do with its outcome.

#include "config/settings.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace dirsync::mail {

/// One outgoing message, as the outbox holds it.
struct message {
  /// Outbox entry id, unique; names the Message-ID and the .eml file.
  std::string id;
  /// Recipient address; must pass valid_address().
  std::string to;
  /// Subject, UTF-8; control characters (CR, LF, ...) become spaces.
  std::string subject;
  /// Plain-text body, UTF-8, complete (header and link already in it).
  std::string text;
  /// When the message was composed, from the service's clock (Date header).
  std::chrono::system_clock::time_point date;
};

/// Whether `addr` is an address this service sends to (SPEC E1 "a
/// syntactically valid email"). Accepted: `local@domain`, ASCII only, at most
/// 254 characters; the local part 1..64 characters of RFC 5322 dot-atom
/// (letters, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~, with dots only
/// between other characters); the domain 1..253 characters of dot-separated
/// labels of 1..63 letters, digits and hyphens, no hyphen at either end of a
/// label, a single label allowed (`admin@localhost`). Refused: display names,
/// quoted local parts, comments, IP literals, whitespace and control
/// characters, non-ASCII (it would need SMTPUTF8), a trailing dot.
bool valid_address(std::string_view addr);

/// The id as written in the Message-ID and the .eml file name: the id itself
/// when it is 1..120 characters of letters, digits, '.', '_' and '-' with dots
/// only between other characters; otherwise '=' followed by its bytes in hex
/// (distinct from every id kept as is, and still one token).
std::string id_token(std::string_view id);

/// Why `m` cannot be rendered with sender address `from` (an invalid address,
/// an id that is empty or over 120 bytes), or nullopt when render() accepts it.
std::optional<std::string> refusal(const message& m, std::string_view from);

/// The complete message: Date (RFC 5322, UTC), From, To, Subject (RFC 2047
/// base64 words when not short printable ASCII), Message-ID
/// `<id_token(id)@domain of from>`, MIME-Version 1.0, text/plain UTF-8,
/// quoted-printable body, Auto-Submitted: auto-generated; CRLF line ends;
/// Subject and body lines at most 76 characters, every line under 998. Line
/// ends in the body (CRLF, LF or CR) become CRLF and a non-empty body
/// ends with one. Header injection is impossible: addresses must pass
/// valid_address() and the subject is neutralised and encoded. nullopt exactly
/// when refusal() has a reason.
std::optional<std::string> render(const message& m, std::string_view from);

/// How one delivery attempt ended.
enum class outcome {
  sent,      ///< Accepted by the relay, or written as an .eml file.
  transient, ///< Not delivered; worth retrying later (network, 4xx, config).
  permanent, ///< Not delivered and never will be (5xx to the envelope or data, bad message).
};

/// Outcome of one attempt plus a short reason for logs and admins; never the
/// password, never the recipient address or message text.
struct result {
  /// How the attempt ended.
  outcome status = outcome::transient;
  /// Short reason, e.g. "RCPT failed: 550 (last reply 550)".
  std::string detail;
};

/// Delivers one message per call; blocking; one sender per thread at a time.
class sender {
public:
  /// Senders are owned through this interface.
  virtual ~sender() = default;
  /// One delivery attempt. Sending the same id again after a crash replaces
  /// the .eml file; over SMTP a retry is a new transmission.
  virtual result send(const message& m) = 0;
};

/// The SMTP sender when `s.smtp_url` is set, else the .eml folder writer.
std::unique_ptr<sender> make_sender(const config::mail_settings& s);

} // namespace dirsync::mail
