// Delivery to an SMTP relay with libcurl: one fresh easy handle per message.
#include "mail/senders.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <strings.h>

namespace dirsync::mail::detail {

namespace {

struct easy_deleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct list_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

/// Feeds the rendered message to curl, which dot-stuffs it.
std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* rest = static_cast<std::string_view*>(user);
  auto n = std::min(size * count, rest->size());
  std::memcpy(buffer, rest->data(), n);
  rest->remove_prefix(n);
  return n;
}

/// Notes whether the envelope began (MAIL FROM went out). Sees every command
/// (AUTH included) but keeps nothing of it.
int watch_commands(CURL*, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type == CURLINFO_HEADER_OUT && size >= 10 && ::strncasecmp(data, "MAIL FROM:", 10) == 0)
    *static_cast<bool*>(user) = true;
  return 0;
}

/// The password file's content without trailing line ends.
std::optional<std::string> read_password(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::string secret{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  if (in.bad())
    return std::nullopt;
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
    secret.pop_back();
  return secret;
}

/// SMTP replies that mean "fix the configuration", not "this message is bad":
/// 530 authentication required, 534 mechanism too weak, 538 encryption required.
bool config_reply(long reply) {
  return reply == 530 || reply == 534 || reply == 538;
}

/// Permanent only when the relay refused this message with a 5xx once the
/// envelope began; failures to connect, TLS, login, timeouts and 4xx replies are
/// worth retrying (they are about the relay or the configuration).
outcome classify(CURLcode code, long reply, bool envelope_began) {
  if (code == CURLE_OK)
    return outcome::sent;
  if (envelope_began && reply >= 500 && reply <= 599 && !config_reply(reply) &&
      code != CURLE_LOGIN_DENIED && code != CURLE_USE_SSL_FAILED)
    return outcome::permanent;
  return outcome::transient;
}

class smtp_sender final : public sender {
public:
  explicit smtp_sender(config::mail_settings s) : s_(std::move(s)) {}

  result send(const message& m) override {
    if (auto refused = refuse(m, s_.from))
      return *refused;
    auto text = *render(m, s_.from);
    std::optional<std::string> password;
    if (!s_.smtp_user.empty()) {
      password = read_password(s_.smtp_password_file);
      if (!password)
        return {outcome::transient,
                "cannot read mail.smtp_password_file " + s_.smtp_password_file};
    }
    std::unique_ptr<CURL, easy_deleter> curl{curl_easy_init()};
    if (!curl)
      return {outcome::transient, "curl_easy_init failed"};
    auto* h = curl.get();
    char error[CURL_ERROR_SIZE] = "";
    std::string_view rest{text};
    bool envelope_began = false;
    auto from = "<" + s_.from + ">";
    std::unique_ptr<curl_slist, list_deleter> rcpt{
      curl_slist_append(nullptr, ("<" + m.to + ">").c_str())};

    curl_easy_setopt(h, CURLOPT_URL, s_.smtp_url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(s_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(s_.timeout.count()));
    curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl());
    curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!s_.tls_ca_file.empty())
      curl_easy_setopt(h, CURLOPT_CAINFO, s_.tls_ca_file.c_str());
    if (password) {
      curl_easy_setopt(h, CURLOPT_USERNAME, s_.smtp_user.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, password->c_str());
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &rest);
    // Verbose output goes to watch_commands only (never to stderr or logs).
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, watch_commands);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &envelope_began);

    auto code = curl_easy_perform(h);
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    return {classify(code, reply, envelope_began), describe(code, reply, error)};
  }

private:
  long use_ssl() const {
    switch (s_.tls) {
      case config::starttls_mode::off:
        return CURLUSESSL_NONE;
      case config::starttls_mode::required:
        return CURLUSESSL_ALL;
      case config::starttls_mode::automatic:
        // Opportunistic, except that a password never crosses in clear.
        return s_.smtp_user.empty() ? CURLUSESSL_TRY : CURLUSESSL_ALL;
    }
    return CURLUSESSL_ALL;
  }

  /// curl's own words, which name hosts, ports and reply codes, never the
  /// password, addresses or content.
  static std::string describe(CURLcode code, long reply, const char* error) {
    std::string out = code == CURLE_OK ? "accepted" : curl_easy_strerror(code);
    if (code != CURLE_OK && *error != '\0')
      out += std::string{": "} + error;
    if (reply != 0)
      out += " (last reply " + std::to_string(reply) + ")";
    return out;
  }

  config::mail_settings s_;
};

} // namespace

std::unique_ptr<sender> make_smtp_sender(const config::mail_settings& s) {
  // Thread-safe once; never undone (other libraries may share libcurl).
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  (void)init;
  return std::make_unique<smtp_sender>(s);
}

} // namespace dirsync::mail::detail
