#pragma once

#include <memory>

#include "actors/context.hpp"
#include "config/settings.hpp"
#include "mail/mail.hpp"

namespace dirsync::actors {

/// State of the mailer (E7), a detached actor because a send blocks. Each
/// email is claimed (state `sending`, committed) before it is handed to the
/// sender and recorded (`sent`, retry with backoff, or `dead`) after.
/// An email found in `sending` at start was interrupted by a crash: with the
/// .eml folder it is written again (the same file is replaced); over SMTP it
/// becomes `unknown`, visible to admins and never resent automatically, so
/// no outbox entry is sent twice.
struct mailer_state {
  context_ptr ctx;                       ///< Shared handles.
  config::mail_settings settings;        ///< mail.* keys.
  std::unique_ptr<mail::sender> sender;  ///< SMTP or the .eml folder.
  bool recovered = false;                ///< Interrupted sends handled.
  static inline const char* name = "dirsync.mailer"; ///< Actor name.
};

/// Behaviour of the mailer.
mailer_actor::behavior_type mailer_behavior(mailer_actor::stateful_pointer<mailer_state> self, context_ptr ctx,
                                            config::mail_settings settings);

} // namespace dirsync::actors
