#include "config/settings.hpp"

namespace dirsync::config {

template <>
const std::vector<std::string>& enum_names<scheduler_policy>() {
  static const std::vector<std::string> names{"sharing", "stealing"};
  return names;
}

template <>
const std::vector<std::string>& enum_names<synchronous_mode>() {
  static const std::vector<std::string> names{"full", "normal", "off"};
  return names;
}

template <>
const std::vector<std::string>& enum_names<log_level>() {
  static const std::vector<std::string> names{"trace", "debug", "info",
                                              "warn",  "error", "off"};
  return names;
}

template <>
const std::vector<std::string>& enum_names<log_format>() {
  static const std::vector<std::string> names{"text", "json"};
  return names;
}

template <>
const std::vector<std::string>& enum_names<starttls_mode>() {
  static const std::vector<std::string> names{"auto", "require", "off"};
  return names;
}

std::string_view to_string(origin o) {
  switch (o) {
    case origin::default_value:
      return "default";
    case origin::file:
      return "file";
    case origin::environment:
      return "env";
    case origin::flag:
      return "flag";
  }
  return "unknown";
}

std::string scim_base_url(const settings& s, std::uint16_t bound_port) {
  if (!s.scim.public_base_url.empty())
    return s.scim.public_base_url;
  auto scheme = s.http.tls_cert.empty() ? "http://" : "https://";
  // A literal IPv6 address needs brackets inside a URL.
  auto host = s.http.bind.find(':') == std::string::npos
                ? s.http.bind
                : "[" + s.http.bind + "]";
  auto port = bound_port != 0 ? bound_port : s.http.port;
  return scheme + host + ":" + std::to_string(port);
}

} // namespace dirsync::config
