// Fuzz target: the TOML configuration loader (SPEC O1). The input is a
// config file. Properties: load() never throws or crashes, whatever the
// bytes; a file it accepts round-trips: print-config's output (render_effective)
// is itself a config file that loads to the same effective values.

#include <fstream>
#include <string>

#include <unistd.h>

#include "config/loader.hpp"
#include "fuzz.hpp"

namespace {

using namespace dirsync;

const std::string& scratch() {
  static const std::string path = [] {
    std::string p = "/tmp/dirsync-fuzz-config-" + std::to_string(::getpid()) + ".toml";
    std::atexit([] { std::remove(scratch().c_str()); });
    return p;
  }();
  return path;
}

void write(const std::string& text) {
  std::ofstream out(scratch(), std::ios::binary | std::ios::trunc);
  out << text;
}

std::variant<config::loaded, std::vector<std::string>> load_text(const std::string& text) {
  write(text);
  try {
    return config::load(scratch(), {}, [](const std::string&) { return std::optional<std::string>{}; }, {});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "config::load threw: %s\n", e.what());
    FUZZ_CHECK(!"config::load must not throw");
  }
  return std::vector<std::string>{};
}

/// render_effective without the origins: the values alone.
std::string values_only(config::loaded l) {
  for (auto& [key, from] : l.origins)
    from = config::origin::default_value;
  l.config_file.clear();
  return config::render_effective(l);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto first = load_text(std::string(dirsync::fuzz::as_text(data, size)));
  auto* ok = std::get_if<config::loaded>(&first);
  if (!ok)
    return 0;
  auto printed = config::render_effective(*ok);
  auto second = load_text(printed);
  auto* again = std::get_if<config::loaded>(&second);
  if (!again) {
    for (const auto& p : std::get<std::vector<std::string>>(second))
      std::fprintf(stderr, "reload: %s\n", p.c_str());
    std::fprintf(stderr, "printed:\n%s\n", printed.c_str());
  }
  FUZZ_CHECK(again != nullptr);
  FUZZ_CHECK(values_only(*again) == values_only(*ok));
  return 0;
}
