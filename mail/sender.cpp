// Picks the sender for the configuration.
#include "mail/senders.hpp"

namespace dirsync::mail {

std::unique_ptr<sender> make_sender(const config::mail_settings& s) {
  if (s.smtp_url.empty())
    return detail::make_eml_writer(s);
  return detail::make_smtp_sender(s);
}

std::optional<result> detail::refuse(const message& m, const std::string& from) {
  auto why = refusal(m, from);
  if (!why)
    return std::nullopt;
  return result{valid_address(from) ? outcome::permanent : outcome::transient, *why};
}

} // namespace dirsync::mail
