// Fuzz target: raw HTTP/1.1 request bytes as a connection delivers them,
// parsed with the server's parser and limits (16 KiB header, 1 MiB body)
// and converted with to_request, the pure step between Beast and the
// router. Properties: nothing crashes; a parsed request converts; its path
// never contains the query; a request the parser refuses still yields a
// target hint that is a prefix-free slice of its first line.

#include <cstring>
#include <memory>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>

#include "fuzz.hpp"
#include "http/session.hpp"

using namespace dirsync;
namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = dirsync::fuzz::as_text(data, size);
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  // Bytes arrive in two reads, as on a socket (the split point comes from the
  // input); like a session, hand the parser what it has not consumed yet
  // plus the new bytes, until it is done or needs more.
  auto split = size == 0 ? 0 : data[0] % (size + 1);
  std::string pending;
  for (auto piece : {bytes.substr(0, split), bytes.substr(split)}) {
    pending.append(piece.data(), piece.size());
    while (!pending.empty() && !parser.is_done()) {
      // An exact-size copy, so that ASan sees any read past the bytes given.
      auto exact = std::make_unique<char[]>(pending.size());
      std::memcpy(exact.get(), pending.data(), pending.size());
      auto n = parser.put(boost::asio::buffer(exact.get(), pending.size()), ec);
      pending.erase(0, n);
      if (ec == bhttp::error::need_more) {
        ec = {};
        break;
      }
      if (ec || n == 0)
        break;
    }
    if (ec)
      break;
  }
  auto hint = http::detail::request_target_hint(bytes);
  FUZZ_CHECK(hint.size() <= bytes.size());
  FUZZ_CHECK(hint.find('\r') == std::string_view::npos && hint.find(' ') == std::string_view::npos);
  if (ec || !parser.is_done())
    return 0;
  auto& in = parser.get();
  const std::string body = in.body();
  const std::string expected[] = {std::string(in[bhttp::field::authorization]),
                                  std::string(in[bhttp::field::content_type]),
                                  std::string(in[bhttp::field::if_match]),
                                  std::string(in[bhttp::field::if_none_match]),
                                  std::string(in[bhttp::field::accept])};
  auto req = http::detail::to_request(in, "127.0.0.1", "0000000000000000");
  FUZZ_CHECK(req.method == std::string(in.method_string()));
  FUZZ_CHECK(req.body == body);
  // The one pass over the fields finds what a lookup per field finds (the
  // first of repeated fields).
  FUZZ_CHECK(req.authorization == expected[0]);
  FUZZ_CHECK(req.content_type == expected[1]);
  FUZZ_CHECK(req.if_match == expected[2]);
  FUZZ_CHECK(req.if_none_match == expected[3]);
  FUZZ_CHECK(req.accept == expected[4]);
  return 0;
}
