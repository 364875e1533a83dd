// One libFuzzer target per reader, built from this file with WEAVE_FUZZ_CHECK naming the check
// of tests/fuzz/parser_properties.hpp (see tests/fuzz/CMakeLists.txt). A broken property aborts,
// so libFuzzer saves the input as a crash like any other.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "parser_properties.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string problem =
      weave_fuzz::WEAVE_FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "weave fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
