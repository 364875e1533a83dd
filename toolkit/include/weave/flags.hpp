// weave/flags.hpp: --weave_* flags and WEAVE_* environment variables.
//
// Every Options field has a flag (--weave_iterations=5000) and an environment variable
// (WEAVE_ITERATIONS=5000); flags win over the environment. WEAVE_TEST applies both automatically;
// programs that call explore() directly can do the same:
//
//   weave::Options o;
//   if (absl::Status s = weave::ApplyEnvironmentAndFlags(args, o); !s.ok()) { /* print, exit 2 */ }
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"

#include "weave/options.hpp"

namespace weave {

// Applies one flag by name without the "--weave_" prefix, e.g. ("iterations", "5000"). An unknown
// name or a bad value is an InvalidArgument error that names the flag and what it expects.
absl::Status ApplyFlag(std::string_view name, std::string_view value, Options& options);

// Applies WEAVE_* environment variables, then every "--weave_NAME=VALUE" in `args` (other
// arguments are ignored). The first error is returned; options may be partly updated.
absl::Status ApplyEnvironmentAndFlags(std::span<const std::string> args, Options& options);

// True when `args` asks for --weave_help.
bool WantsFlagsHelp(std::span<const std::string> args);
// The help text listing every flag with its default.
std::string FlagsHelp();

}  // namespace weave
