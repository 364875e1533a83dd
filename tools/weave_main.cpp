// weave: the command that reads `.trace` files (weave/trace.hpp). Dispatches to a subcommand
// (commands.hpp) and turns its outcome into one line on stderr and an exit status.
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli_support.hpp"
#include "commands.hpp"

#include "weave/trace.hpp"

#ifndef WEAVE_VERSION
#define WEAVE_VERSION "unknown"
#endif

namespace weave::cli {
namespace {

constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

constexpr const Command* kCommands[] = {&kShowCommand, &kStatsCommand, &kGraphCommand,
                                        &kHtmlCommand, &kJsonCommand,  &kMinimizeCommand};

std::string Usage() {
  std::string out =
      "weave: look at the trace of a weave schedule, or shrink a failing schedule.\n"
      "\n"
      "usage: weave COMMAND FILE [options]\n"
      "       weave help COMMAND | weave COMMAND --help\n"
      "       weave --version\n"
      "\n"
      "commands:\n";
  for (const Command* c : kCommands) {
    absl::StrAppend(&out, "  ", PadRight(c->name, 10), AV(c->summary), "\n");
  }
  out +=
      "\n"
      "FILE is a .trace file: weave writes NAME.trace beside NAME.schedule when a schedule fails,\n"
      "and a replay writes one on demand (--weave_write_trace). '-' reads standard input.\n"
      "`weave minimize` takes a .schedule file and the test binary that wrote it instead.\n"
      "\n"
      "exit status: 0 done; 1 the file cannot be read or is not a valid trace, or output cannot\n"
      "be written; 2 the command line is wrong.\n";
  return out;
}

const Command* FindCommand(std::string_view name) {
  for (const Command* c : kCommands) {
    if (c->name == name) return c;
  }
  return nullptr;
}

// Prints "weave: <message>" as one line and returns the exit status.
int Report(const absl::Status& status, std::string_view help_hint) {
  const bool usage = status.code() == absl::StatusCode::kInvalidArgument;
  std::string line = absl::StrCat("weave: ", Printable(SV(status.message())));
  if (usage) absl::StrAppend(&line, " (see '", AV(help_hint), "')");
  line += "\n";
  std::fputs(line.c_str(), stderr);
  return usage ? kExitUsage : kExitBadInput;
}

int PrintText(std::string_view text) {
  StdoutWriter out;
  out.Write(text);
  const absl::Status st = out.Finish();
  return st.ok() ? 0 : Report(st, "");
}

int Main(const std::vector<std::string>& args) {
  if (args.empty()) return Report(UsageError("missing a command"), "weave --help");
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || (first == "help" && args.size() == 1)) {
    return PrintText(Usage());
  }
  if (first == "--version" || first == "version") {
    return PrintText(
        absl::StrCat("weave ", WEAVE_VERSION, " (trace format ", Trace::kFormatVersion, ")\n"));
  }
  if (first == "help") {
    const Command* c = FindCommand(args[1]);
    if (c == nullptr || args.size() > 2) {
      return Report(UsageError(c == nullptr ? absl::StrCat("no command '", args[1], "'")
                                            : absl::StrCat("unexpected argument '", args[2], "'")),
                    "weave --help");
    }
    return PrintText(c->help);
  }
  const Command* command = FindCommand(first);
  if (command == nullptr) {
    return Report(
        UsageError(absl::StrCat(
            first.size() > 1 && first[0] == '-' ? "unknown option '" : "no command '", first, "'")),
        "weave --help");
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (WantsHelp(rest)) return PrintText(command->help);
  const absl::Status status = command->run(rest);
  if (status.ok()) return 0;
  return Report(status, absl::StrCat("weave ", AV(command->name), " --help"));
}

}  // namespace
}  // namespace weave::cli

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  // weave does not use exceptions, but an allocation can still fail on a huge trace: say so in
  // one line instead of letting std::terminate print an abort message.
  try {
    return weave::cli::Main(args);
  } catch (const std::bad_alloc&) {
    std::fputs("weave: out of memory\n", stderr);
  } catch (const std::exception& e) {
    std::fputs(("weave: internal error: " + weave::cli::Printable(e.what()) + "\n").c_str(),
               stderr);
  }
  return 1;
}
