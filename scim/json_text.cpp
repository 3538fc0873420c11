#include "scim/json_text.hpp"

#include <cstdint>
#include <string>

#include <simdjson.h>

namespace dirsync::scim {

namespace {

nlohmann::json to_json(simdjson::dom::element e) {
  using kind = simdjson::dom::element_type;
  switch (e.type()) {
    case kind::ARRAY: {
      nlohmann::json out(nlohmann::json::value_t::array);
      auto& items = out.get_ref<nlohmann::json::array_t&>();
      simdjson::dom::array in = e.get_array().value_unsafe();
      items.reserve(in.size());
      for (simdjson::dom::element item : in)
        items.push_back(to_json(item));
      return out;
    }
    case kind::OBJECT: {
      nlohmann::json out(nlohmann::json::value_t::object);
      auto& fields = out.get_ref<nlohmann::json::object_t&>();
      simdjson::dom::object in = e.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair field : in)
        fields.insert_or_assign(std::string(field.key), to_json(field.value));
      return out;
    }
    case kind::STRING:
      return nlohmann::json(std::string(e.get_string().value_unsafe()));
    case kind::INT64: {
      std::int64_t n = e.get_int64().value_unsafe();
      if (n >= 0)
        return nlohmann::json(static_cast<std::uint64_t>(n));
      return nlohmann::json(n);
    }
    case kind::UINT64:
      return nlohmann::json(e.get_uint64().value_unsafe());
    case kind::DOUBLE:
      return nlohmann::json(e.get_double().value_unsafe());
    case kind::BOOL:
      return nlohmann::json(e.get_bool().value_unsafe());
    case kind::NULL_VALUE:
      break;
  }
  return nlohmann::json(nullptr);
}

simdjson::dom::parser bounded_parser() {
  simdjson::dom::parser parser;
  // A failed allocation leaves the default depth, and run() then declines.
  auto allocated = parser.allocate(4096, fast_json_depth);
  static_cast<void>(allocated);
  return parser;
}

bool run(simdjson::dom::parser& parser, std::string_view text, nlohmann::json& out) {
  if (parser.max_depth() != fast_json_depth)
    return false;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS)
    return false;
  out = to_json(root);
  return true;
}

// Texts up to this size reuse one parser per thread (its buffers grow to the
// largest such text, about 15 bytes per byte of text); a larger one gets a
// parser of its own, freed with it.
constexpr std::size_t reused_parser_bytes = 64 * 1024;

} // namespace

bool parse_json_fast(std::string_view text, nlohmann::json& out) {
  if (text.size() > reused_parser_bytes) {
    auto parser = bounded_parser();
    return run(parser, text, out);
  }
  thread_local simdjson::dom::parser parser = bounded_parser();
  return run(parser, text, out);
}

nlohmann::json parse_json(std::string_view text) {
  nlohmann::json out;
  if (parse_json_fast(text, out))
    return out;
  return nlohmann::json::parse(text, nullptr, false);
}

} // namespace dirsync::scim
