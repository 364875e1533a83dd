// weave/detail/source_location.hpp: std::source_location, where the toolchain has it.
//
// Internal. Clang 14 with libstdc++ 12 (Debian 12's clang) lacks __builtin_source_location, so
// <source_location> gives it nothing. weave::source_location is std::source_location where it
// exists and otherwise a stand-in with the same members, built on __builtin_FILE/LINE/FUNCTION.
// As a default argument (`where = weave::source_location::current()`) both capture the caller.
#pragma once

#include <cstdint>
#include <version>

#if defined(__cpp_lib_source_location)
#include <source_location>
namespace weave {
using source_location = std::source_location;
}  // namespace weave
#else
namespace weave {
class source_location {
 public:
  static constexpr source_location current(const char* file = __builtin_FILE(),
                                           const char* function = __builtin_FUNCTION(),
                                           std::uint_least32_t line = __builtin_LINE()) noexcept {
    source_location where;
    where.file_ = file;
    where.function_ = function;
    where.line_ = line;
    return where;
  }
  constexpr source_location() noexcept = default;
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }
  constexpr std::uint_least32_t line() const noexcept { return line_; }
  constexpr std::uint_least32_t column() const noexcept { return 0; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  std::uint_least32_t line_ = 0;
};
}  // namespace weave
#endif
