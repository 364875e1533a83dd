// Internal: bridging std::string_view and Debian's Abseil.
//
// Debian builds Abseil with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view is a distinct
// type and absl::StrCat & co. do not accept std::string_view. Public headers use std::string_view;
// implementation files convert with AV() where they call into absl.
#pragma once

#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace weave::detail {

inline absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view SV(absl::string_view s) { return {s.data(), s.size()}; }

// `s` with every C0 control character and DEL written as an escape (\n, \r, \t, \x1b, ...), so
// that a name the user chose can neither break a report's line nor drive the terminal (an escape
// sequence that clears the screen, say). Characters in `keep` (e.g. "\n\t" for a multi-line
// report) stay as they are. Other bytes, UTF-8 or not, are left alone.
inline std::string EscapeControlCharacters(std::string_view s, std::string_view keep = {}) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 0x20 && u != 0x7f) || keep.find(c) != std::string_view::npos) {
      out += c;
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\x";
        out += "0123456789abcdef"[u >> 4];
        out += "0123456789abcdef"[u & 0xF];
    }
  }
  return out;
}

}  // namespace weave::detail
