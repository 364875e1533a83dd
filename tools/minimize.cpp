// weave minimize: shrinks a failing schedule file. The test body lives in the user's test binary,
// so the command runs that binary on the schedule's test with --weave_minimize_schedule=FILE
// (weave/shrink.hpp), which shrinks it in-process and writes FILE's .min.schedule; the binary's
// output (the failure, and the before/after line) passes through.
#include <spawn.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli_support.hpp"
#include "commands.hpp"
#include <sys/wait.h>

#include "weave/schedule.hpp"
#include "weave/shrink.hpp"

extern char** environ;

namespace weave::cli {
namespace {

constexpr std::string_view kMinimizeHelp =
    R"(usage: weave minimize SCHEDULE [options] -- TEST_BINARY [ARGS...]

Shrinks a failing schedule to fewer preemptions and fewer steps while the same failure (same kind,
same place) still occurs, and writes it beside SCHEDULE with the extension .min.schedule (X.schedule
becomes X.min.schedule). The test body is in TEST_BINARY, a GoogleTest program whose WEAVE_TEST
wrote SCHEDULE: it runs as

  TEST_BINARY [ARGS...] --gtest_filter=TEST --weave_minimize_schedule=SCHEDULE

where TEST is the schedule's test name; its output (the failure and the before/after line) is
shown as it runs. Failing tests shrink their schedule automatically (--weave_minimize); this
command is for schedules written without that pass, or to give it more time.

options:
  --time DURATION   how long shrinking may take, e.g. 30s or 2m (default 10s)
  -h, --help        this help

example: weave minimize weave-out/Bank.Transfer.schedule -- build/tests/bank_test
)";

absl::Status Minimize(const std::vector<std::string>& argv) {
  const auto separator = std::find(argv.begin(), argv.end(), "--");
  if (separator == argv.end() || separator + 1 == argv.end()) {
    return UsageError("missing '-- TEST_BINARY': the test binary that wrote the schedule");
  }
  const std::vector<std::string> own(argv.begin(), separator);
  const std::vector<std::string> command(separator + 1, argv.end());
  absl::StatusOr<ParsedArgs> args = ParseArgs(own, {{"time", '\0', OptionSpec::kRequired}});
  if (!args.ok()) return args.status();
  if (args->positionals.empty()) return UsageError("missing the SCHEDULE file");
  if (args->positionals.size() > 1) {
    return UsageError(absl::StrCat("unexpected argument '", Printable(args->positionals[1]), "'"));
  }
  const std::string path = args->positionals[0];
  const std::string time = args->Last("time");
  if (absl::Duration d;
      args->Has("time") && (!absl::ParseDuration(time, &d) || d <= absl::ZeroDuration())) {
    return UsageError(absl::StrCat("option '--time' expects a duration such as 30s, got '",
                                   Printable(time), "'"));
  }
  absl::StatusOr<Schedule> schedule = ReadScheduleFile(path);
  if (!schedule.ok()) {
    // A bad file is bad input (exit 1), not a usage error, whatever code the reader chose.
    return absl::DataLossError(schedule.status().message());
  }

  // Whether the binary wrote the .min.schedule is what says it worked. An earlier one is removed
  // first (a file time is too coarse to tell a new file from one written in the same tick); when
  // the input is a .min.schedule itself, it is the output too, and only its time can tell.
  const std::string min_path = MinSchedulePath(path);
  std::error_code error;
  const bool rewrites_input = std::filesystem::equivalent(min_path, path, error);
  const std::filesystem::file_time_type old_time =
      rewrites_input ? std::filesystem::last_write_time(path, error)
                     : std::filesystem::file_time_type();
  if (!rewrites_input) std::filesystem::remove(min_path, error);

  std::vector<std::string> child = command;
  child.push_back(absl::StrCat("--gtest_filter=", schedule->test_name));
  child.push_back(absl::StrCat("--weave_minimize_schedule=", path));
  if (args->Has("time")) child.push_back(absl::StrCat("--weave_minimize_time=", time));
  std::vector<char*> child_argv;
  child_argv.reserve(child.size() + 1);
  for (std::string& a : child) child_argv.push_back(a.data());
  child_argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = 0;
  if (const int e =
          ::posix_spawnp(&pid, child[0].c_str(), nullptr, nullptr, child_argv.data(), environ);
      e != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot run ", Printable(child[0]), ": ", std::strerror(e)));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string how = WIFEXITED(status) ? absl::StrCat("exit status ", WEXITSTATUS(status))
                          : WIFSIGNALED(status)
                              ? absl::StrCat("killed by signal ", WTERMSIG(status))
                              : std::string("ended");

  // The binary reports the failure (its test fails, so it exits 1 when all went well): whether
  // it wrote a new .min.schedule is what says it worked.
  const bool written =
      std::filesystem::exists(min_path, error) &&
      (!rewrites_input || std::filesystem::last_write_time(min_path, error) != old_time);
  if (!written) {
    return absl::FailedPreconditionError(
        absl::StrCat(Printable(child[0]), " wrote no ", Printable(min_path), " (", how,
                     "): is the test ", Printable(schedule->test_name),
                     " in it, and does the schedule still fail? its output is above"));
  }
  absl::StatusOr<Schedule> minimized = ReadScheduleFile(min_path);
  if (!minimized.ok()) return absl::DataLossError(minimized.status().message());
  const ScheduleSize before = MeasureSchedule(*schedule);
  const ScheduleSize after = MeasureSchedule(*minimized);
  StdoutWriter out;
  out.Write(absl::StrCat("weave: minimized schedule written to ", Printable(min_path), " (",
                         after.preemptions,
                         after.preemptions == 1 ? " preemption, " : " preemptions, ", after.steps,
                         after.steps == 1 ? " step" : " steps", "; the input had ",
                         before.preemptions, " and ", before.steps, ")\n"));
  return out.Finish();
}

}  // namespace

const Command kMinimizeCommand = {"minimize", "shrink a failing schedule (runs its test binary)",
                                  kMinimizeHelp, Minimize};

}  // namespace weave::cli
