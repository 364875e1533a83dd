// The subcommands of the `weave` command, one file each (show.cpp, stats.cpp, exports.cpp,
// minimize.cpp);
// weave_main.cpp dispatches to them and turns their status into one line and an exit code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace weave::cli {

struct Command {
  std::string_view name;     // "show"
  std::string_view summary;  // one line, for `weave --help`
  std::string_view help;     // the whole of `weave NAME --help`
  // Runs the command on the words after its name; --help has been handled already. Writes its
  // output itself; an error is printed by the caller (see cli_support.hpp for what its code
  // means).
  absl::Status (*run)(const std::vector<std::string>& args);
};

extern const Command kShowCommand;
extern const Command kStatsCommand;
extern const Command kGraphCommand;
extern const Command kHtmlCommand;
extern const Command kJsonCommand;
extern const Command kMinimizeCommand;

}  // namespace weave::cli
