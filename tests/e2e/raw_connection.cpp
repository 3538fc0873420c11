// The raw-socket side of the e2e harness: bytes in, one parsed response out,
// for the malformed and slow requests of the bad-input suite.
#include "e2e/harness.hpp"

#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

namespace dirsync::e2e {

namespace bhttp = boost::beast::http;

namespace {

using clock_type = std::chrono::steady_clock;

int ms_left(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

} // namespace

raw_connection::raw_connection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
}

raw_connection::~raw_connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

bool raw_connection::send(const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

response raw_connection::read_response(std::chrono::milliseconds timeout) {
  response out;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.eager(true);
  auto deadline = clock_type::now() + timeout;
  while (!parser.is_done()) {
    if (!buffered_.empty()) {
      boost::beast::error_code ec;
      auto used = parser.put(boost::asio::buffer(buffered_), ec);
      buffered_.erase(0, used);
      if (ec && ec != bhttp::error::need_more) {
        out.error = "parse: " + ec.message();
        return out;
      }
      if (parser.is_done() || (!ec && used > 0))
        continue;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) {
      out.error = "timeout";
      return out;
    }
    char buf[65536];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      boost::beast::error_code ec;
      parser.put_eof(ec);
      if (!ec && parser.is_done())
        break;
      out.error = n == 0 ? "closed by the server" : "recv failed";
      return out;
    }
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name{f.name_string()};
    for (auto& ch : name)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.headers[name] = std::string{f.value()};
  }
  out.body = res.body();
  return out;
}

bool raw_connection::closed_by_peer(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0)
      return false;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0)
      return true; // EOF or reset
    buffered_.append(buf, static_cast<std::size_t>(n));
  }
}

} // namespace dirsync::e2e
