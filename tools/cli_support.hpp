// What every subcommand of the `weave` command shares: its command line, reading a trace,
// writing output, and text for a terminal.
//
// Errors are absl::Status values that main() prints as ONE line, "weave: <message>". The code
// chooses the exit status: InvalidArgument is a usage error (exit 2, with a pointer to the
// subcommand's --help); anything else is bad input or a failed write (exit 1). So a trace that
// does not parse is reported as DataLoss, never as InvalidArgument.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#include "weave/trace.hpp"

namespace weave::cli {

// Debian builds Abseil with its own string_view: absl::StrCat does not take std::string_view.
inline absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view SV(absl::string_view s) { return {s.data(), s.size()}; }

// A usage error: exit status 2, "see 'weave COMMAND --help'" appended by main().
absl::Status UsageError(std::string_view message);

// One option a subcommand accepts.
struct OptionSpec {
  enum Value : std::uint8_t {
    kNone,      // a switch: --columns
    kRequired,  // --from 3, --from=3, -o out, -oout
    kAttached,  // only as --color=WHEN; a bare --color means `implied`
  };
  constexpr OptionSpec(std::string_view name, char short_name = '\0', Value value = kNone,
                       std::string_view implied = "")
      : name(name), short_name(short_name), value(value), implied(implied) {}

  std::string_view name;  // long name without dashes: "from" for --from
  char short_name;        // 'o' for -o, or '\0'
  Value value;
  std::string_view implied;  // kAttached: the value of the bare option
};

// A parsed command line: positionals and options (by long name, in command-line order).
class ParsedArgs {
 public:
  std::vector<std::string> positionals;
  std::vector<std::pair<std::string, std::string>> options;

  bool Has(std::string_view name) const;
  // The last value given for `name`, or `fallback`.
  std::string Last(std::string_view name, const std::string& fallback = "") const;
  std::vector<std::string> All(std::string_view name) const;
};

// Parses `args` (the words after the subcommand). "--" ends the options; "-" is a positional.
// --help is not handled here: see WantsHelp.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<OptionSpec>& specs);
// Whether the words before any "--" ask for help (--help or -h): help wins over every error.
bool WantsHelp(const std::vector<std::string>& args);
// The one positional FILE of a subcommand, or a usage error (missing or extra arguments).
absl::StatusOr<std::string> SingleFile(const ParsedArgs& args);
// A step number given to `option` (0 or more).
absl::StatusOr<std::int64_t> ParseStep(std::string_view option, std::string_view text);

// Reads and parses a `.trace` file ("-": standard input). Errors name the file, and the line
// for a bad or truncated file (DataLoss, NotFound, ...; never InvalidArgument).
absl::StatusOr<Trace> LoadTrace(const std::string& path);

// Buffered standard output that remembers a write error (reported once, by Finish).
class StdoutWriter {
 public:
  StdoutWriter() = default;
  StdoutWriter(const StdoutWriter&) = delete;
  StdoutWriter& operator=(const StdoutWriter&) = delete;

  void Write(std::string_view text);
  // Flushes; the first write error, if any.
  absl::Status Finish();

 private:
  void Flush();

  std::string buffer_;
  int error_ = 0;  // errno of the first failed write, or 0
};

// Writes `text` to `path` ("-": standard output). A regular file is written beside its final
// name and renamed into place, so a reader never sees half of it and a failed write leaves the
// old file alone; a device or pipe (/dev/null, a FIFO) is written directly. Errors read
// "cannot write PATH: reason".
absl::Status WriteOutput(const std::string& path, std::string_view text);

// `text` safe for a terminal or a one-line message: control characters (newlines, escapes, C1
// controls) and bytes that are not UTF-8 become C-style escapes such as "\n" or "\x1b".
std::string Printable(std::string_view text);
// Columns `text` takes on a terminal (code points; `text` is Printable()).
std::size_t DisplayWidth(std::string_view text);
// `text` cut to `width` columns, ending in "..." when cut.
std::string Truncate(std::string_view text, std::size_t width);
// `text` padded with spaces to `width` columns (never cut).
std::string PadRight(std::string_view text, std::size_t width);
std::string PadLeft(std::string_view text, std::size_t width);

// Virtual time for people: "0ns", "750ns", "1us", "1.5ms", "2s" (exact: as many decimals as
// needed).
std::string FormatDuration(std::int64_t ns);

// A JSON string literal (quotes included); invalid UTF-8 becomes U+FFFD.
std::string JsonString(std::string_view text);

// a - b and a + b, clamped to the int64 range: trace times are checked to ascend, not to be
// small, and a differences of extreme times must not overflow.
std::int64_t SaturatingSub(std::int64_t a, std::int64_t b);
std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b);

}  // namespace weave::cli
