#pragma once
/// \file senders.hpp
/// The two sender implementations behind make_sender(); internal to mail/.

#include "mail/mail.hpp"

#include <memory>
#include <optional>

namespace dirsync::mail::detail {

/// Writes each message to `<s.folder>/<id_token(id)>.eml` atomically.
std::unique_ptr<sender> make_eml_writer(const config::mail_settings& s);

/// Delivers each message to `s.smtp_url` with libcurl.
std::unique_ptr<sender> make_smtp_sender(const config::mail_settings& s);

/// The result for a message render() refuses: transient when mail.from is at
/// fault (fixing the config helps), permanent when the message itself is.
std::optional<result> refuse(const message& m, const std::string& from);

} // namespace dirsync::mail::detail
