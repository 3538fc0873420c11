#pragma once

// Shared by the fuzz targets (issue 7). Each target defines
// LLVMFuzzerTestOneInput; it is linked either with libFuzzer (clang,
// tests/fuzz/run.sh) or with replay_main.cpp, which runs it over its seed
// corpus under CTest. A property that does not hold aborts, so both report it.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

/// Aborts with the failed condition when `cond` is false.
#define FUZZ_CHECK(cond)                                                                              \
  do {                                                                                                \
    if (!(cond)) {                                                                                    \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);            \
      std::abort();                                                                                   \
    }                                                                                                 \
  } while (0)

namespace dirsync::fuzz {

/// The fuzzer's bytes as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

} // namespace dirsync::fuzz
