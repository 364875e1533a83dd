// weave graph, weave html, weave json: the exports of weave/trace_export.hpp, from a trace file.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli_support.hpp"
#include "commands.hpp"

#include "weave/trace.hpp"
#include "weave/trace_export.hpp"

namespace weave::cli {
namespace {

constexpr std::string_view kGraphHelp =
    R"(usage: weave graph FILE [-o OUT.dot|OUT.svg] [--format dot|svg]

Writes the task graph: tasks, objects, and the spawn, join, wake and message edges between them,
with the failure's tasks and objects highlighted. Graphviz DOT by default; SVG (rendered by
Graphviz's `dot`, which must be installed) with --format svg or an output name ending in .svg.

options:
  -o, --output FILE   write to FILE instead of standard output
  --format dot|svg    the output format (default: from the output name, else dot)
  -h, --help          this help

example: weave graph weave-out/Bank.Transfer.trace -o transfer.svg
)";

constexpr std::string_view kHtmlHelp =
    R"(usage: weave html FILE -o REPORT.html

Writes a self-contained HTML report (no network needed): the failure, a timeline per task, the
task graph, every stack and the replay command.

options:
  -o, --output FILE   the report to write (required)
  -h, --help          this help
)";

constexpr std::string_view kJsonHelp =
    R"(usage: weave json FILE [-o OUT.json]

Writes the trace as Chrome trace event JSON, for Perfetto (ui.perfetto.dev) and
chrome://tracing: one track per task, flow arrows for spawns, joins, wakes and messages.

options:
  -o, --output FILE   write to FILE instead of standard output
  -h, --help          this help
)";

const OptionSpec kOutputOption = {"output", 'o', OptionSpec::kRequired};

// Parses FILE and -o, and reads the trace.
struct Input {
  std::string file;
  std::string output;  // "" when not given
  ParsedArgs args;
};
absl::StatusOr<Input> ReadInput(const std::vector<std::string>& argv,
                                std::vector<OptionSpec> specs) {
  specs.push_back(kOutputOption);
  absl::StatusOr<ParsedArgs> args = ParseArgs(argv, specs);
  if (!args.ok()) return args.status();
  absl::StatusOr<std::string> file = SingleFile(*args);
  if (!file.ok()) return file.status();
  const std::string output = args->Last("output");
  if (args->Has("output") && output.empty()) return UsageError("option '-o' needs a file name");
  return Input{*file, output, *std::move(args)};
}

absl::Status RunGraph(const std::vector<std::string>& argv) {
  absl::StatusOr<Input> in = ReadInput(argv, {{"format", '\0', OptionSpec::kRequired}});
  if (!in.ok()) return in.status();
  std::string format = in->args.Last("format");
  if (format.empty()) format = absl::EndsWithIgnoreCase(in->output, ".svg") ? "svg" : "dot";
  if (format != "dot" && format != "svg") {
    return UsageError(absl::StrCat("option '--format' expects dot or svg, got '", format, "'"));
  }
  absl::StatusOr<Trace> trace = LoadTrace(in->file);
  if (!trace.ok()) return trace.status();
  std::string text = ToDot(*trace);
  if (format == "svg") {
    absl::StatusOr<std::string> svg = RenderDotToSvg(text);
    if (!svg.ok()) {
      // Keep the code (NotFound: no Graphviz), except that nothing here is a usage error.
      const absl::StatusCode code = svg.status().code() == absl::StatusCode::kInvalidArgument
                                        ? absl::StatusCode::kInternal
                                        : svg.status().code();
      return {code, absl::StrCat("cannot render SVG: ", svg.status().message())};
    }
    text = *std::move(svg);
  }
  return WriteOutput(in->output.empty() ? "-" : in->output, text);
}

absl::Status RunHtml(const std::vector<std::string>& argv) {
  absl::StatusOr<Input> in = ReadInput(argv, {});
  if (!in.ok()) return in.status();
  // A whole web page on a terminal helps nobody; "-o -" still writes it to standard output.
  if (in->output.empty()) return UsageError("'weave html' needs -o REPORT.html");
  absl::StatusOr<Trace> trace = LoadTrace(in->file);
  if (!trace.ok()) return trace.status();
  return WriteOutput(in->output, ToHtmlReport(*trace));
}

absl::Status RunJson(const std::vector<std::string>& argv) {
  absl::StatusOr<Input> in = ReadInput(argv, {});
  if (!in.ok()) return in.status();
  absl::StatusOr<Trace> trace = LoadTrace(in->file);
  if (!trace.ok()) return trace.status();
  return WriteOutput(in->output.empty() ? "-" : in->output, ToChromeTraceJson(*trace));
}

}  // namespace

const Command kGraphCommand = {"graph", "the task graph as Graphviz DOT, or SVG", kGraphHelp,
                               RunGraph};
const Command kHtmlCommand = {"html", "a self-contained HTML report", kHtmlHelp, RunHtml};
const Command kJsonCommand = {"json", "Chrome trace JSON, for Perfetto and chrome://tracing",
                              kJsonHelp, RunJson};

}  // namespace weave::cli
