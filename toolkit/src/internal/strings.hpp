// Internal: bridging std::string_view and Debian's Abseil.
//
// Debian builds Abseil with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view is a distinct
// type and absl::StrCat & co. do not accept std::string_view. Public headers use std::string_view;
// implementation files convert with AV() where they call into absl.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace weave::detail {

inline absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view SV(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace weave::detail
