// Internal: reading and writing weave's files (schedules, traces, their exports).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace weave::detail {

// The whole file. NotFound "PATH: cannot open WHAT: reason" when it cannot be opened.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path, std::string_view what);
// Writes `text` to a temporary file beside `path`, flushes it and renames it into place, so a
// reader never sees half a file; creates the parent directory. Errors name the file.
absl::Status WriteFileAtomically(const std::string& path, std::string_view text);

}  // namespace weave::detail
