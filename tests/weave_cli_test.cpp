// The `weave` command (tools/): run as a child process on traces written from the hand-built
// SampleTrace(), checking what it prints, what it writes, and that every bad input or command line
// ends in one line on stderr and exit status 1 or 2, never a crash.
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"
#include "trace_fixture.hpp"
#include <sys/stat.h>
#include <sys/wait.h>

#include "weave/trace.hpp"

extern char** environ;

#ifndef WEAVE_CLI_PATH
#define WEAVE_CLI_PATH ""  // tools/ not built (WEAVE_BUILD_TOOLS=OFF): the tests skip
#endif

namespace {

using weave_test::ReadFile;
using weave_test::WriteFile;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct CliResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// The event rows of `weave show`: after the "step time ..." heading, up to the blank line before
// the footer, the rows that start with a step number (not the --columns rule, not stack frames).
std::vector<std::string> EventLines(const std::string& out) {
  std::vector<std::string> rows;
  bool in_table = false;
  for (const std::string& line : Lines(out)) {
    if (!in_table) {
      in_table = absl::StartsWith(absl::StripLeadingAsciiWhitespace(line), "step ");
      continue;
    }
    if (line.empty()) break;
    const absl::string_view stripped = absl::StripLeadingAsciiWhitespace(line);
    if (!stripped.empty() && absl::ascii_isdigit(static_cast<unsigned char>(stripped[0]))) {
      rows.push_back(line);
    }
  }
  return rows;
}

// The step number an event row starts with.
int StepOf(const std::string& row) {
  return std::atoi(std::string(absl::StripLeadingAsciiWhitespace(row)).c_str());
}

class WeaveCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(WEAVE_CLI_PATH).empty()) GTEST_SKIP() << "the weave command is not built";
    dir_ = (std::filesystem::temp_directory_path() /
            ("weave_cli_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    sample_ = Path("sample.trace");
    ASSERT_TRUE(weave::WriteTraceFile(weave_test::SampleTrace(), sample_).ok());
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Runs the weave command with `args`. The environment is this process's, without what would
  // change the child's behaviour (NO_COLOR, LD_PRELOAD), plus `env` ("NAME=value"; an empty value
  // after '=' still sets it). `stdin_path`: standard input (default /dev/null). `pty`: standard
  // output is a terminal.
  CliResult Run(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                const std::string& stdin_path = "/dev/null", bool pty = false) {
    const std::string program = WEAVE_CLI_PATH;
    std::vector<std::string> argv_storage = {program};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry = *e;
      const std::size_t eq = entry.find('=');
      if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    vars.erase("NO_COLOR");
    vars.erase("LD_PRELOAD");
    for (const std::string& entry : env) {
      const std::size_t eq = entry.find('=');
      if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    std::vector<std::string> env_storage;
    for (const auto& [name, value] : vars) env_storage.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    const std::string out_path = Path("child.stdout");
    const std::string err_path = Path("child.stderr");
    int master = -1;
    int slave = -1;
    if (pty && ::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
      ADD_FAILURE() << "openpty: " << std::strerror(errno);
      return {};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
    if (pty) {
      posix_spawn_file_actions_adddup2(&actions, slave, 1);
      posix_spawn_file_actions_addclose(&actions, master);
    } else {
      posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                       0644);
    }
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid = 0;
    const int spawned =
        ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    CliResult result;
    if (spawned != 0) {
      ADD_FAILURE() << "cannot start " << program << ": " << std::strerror(spawned);
      return result;
    }
    if (pty) {
      // Read until the child closes the terminal (EIO once no process has it open).
      ::close(slave);
      char buffer[4096];
      while (true) {
        const ssize_t n = ::read(master, buffer, sizeof buffer);
        if (n > 0) {
          result.out.append(buffer, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          break;
        }
      }
      ::close(master);
    }
    // A hung child fails the test instead of hanging it.
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        ADD_FAILURE() << "weave " << ::testing::PrintToString(args) << " did not finish";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result.signal = WTERMSIG(status);
    }
    if (!pty) result.out = ReadFile(out_path);
    result.err = ReadFile(err_path);
    return result;
  }

  // Runs `args`, which must succeed with nothing on stderr; returns stdout.
  std::string Ok(const std::vector<std::string>& args) {
    const CliResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(args) << "\nstderr: " << r.err;
    EXPECT_EQ(r.err, "") << ::testing::PrintToString(args);
    return r.out;
  }

  // Runs `args`, which must fail with exit status `code` and exactly one line "weave: ..." on
  // stderr; returns that line.
  std::string Fails(int code, const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) {
    const CliResult r = Run(args, env);
    const std::string what = ::testing::PrintToString(args);
    EXPECT_EQ(r.signal, 0) << what << " was killed by signal " << r.signal;
    EXPECT_EQ(r.exit_code, code) << what << "\nstderr: " << r.err;
    const std::vector<std::string> lines = Lines(r.err);
    EXPECT_EQ(lines.size(), 1u) << what << "\nstderr: " << r.err;
    EXPECT_EQ(r.err.back(), '\n') << what;
    EXPECT_THAT(r.err, StartsWith("weave: ")) << what;
    return lines.empty() ? "" : lines[0];
  }

  std::string dir_;
  std::string sample_;
};

// --- help ---------------------------------------------------------------------------------------

TEST_F(WeaveCliTest, HelpForTheCommandAndEverySubcommandExitsZeroAndPrintsUsage) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"help"}, {"-h"}}) {
    const std::string out = Ok(args);
    EXPECT_THAT(out, HasSubstr("usage: weave COMMAND FILE"));
    for (const char* command : {"show", "stats", "graph", "html", "json"}) {
      EXPECT_THAT(out, HasSubstr(std::string("  ") + command + " "));
    }
  }
  for (const std::string command : {"show", "stats", "graph", "html", "json"}) {
    const std::string usage = "usage: weave " + command + " FILE";
    EXPECT_THAT(Ok({command, "--help"}), HasSubstr(usage));
    EXPECT_THAT(Ok({command, "-h"}), HasSubstr(usage));
    EXPECT_THAT(Ok({"help", command}), HasSubstr(usage));
    // Help wins over the rest of the command line, right or wrong.
    EXPECT_THAT(Ok({command, "missing.trace", "--bogus", "--help"}), HasSubstr(usage));
  }
  EXPECT_THAT(Ok({"show", "--help"}), HasSubstr("--columns"));
}

TEST_F(WeaveCliTest, VersionNamesTheProgramAndTheTraceFormat) {
  EXPECT_THAT(Ok({"--version"}), ::testing::MatchesRegex("weave [0-9.]+ \\(trace format 1\\)\n"));
}

// --- show ---------------------------------------------------------------------------------------

TEST_F(WeaveCliTest, ShowListsEveryEventWithStepTimeAndTaskName) {
  const std::string out = Ok({"show", sample_, "--color=never"});
  const std::vector<std::string> rows = EventLines(out);
  ASSERT_EQ(rows.size(), 24u) << out;
  EXPECT_THAT(rows[0], ::testing::MatchesRegex(" *0 +0ns +0 main +runs"));
  EXPECT_THAT(rows[1], HasSubstr("0 main      spawns task 1 'producer'"));
  EXPECT_THAT(rows[5], HasSubstr("1 producer  sends message 0 on channel 'jobs' (#1)"));
  EXPECT_THAT(rows[7], HasSubstr("2 consumer  receives message 0 from channel 'jobs' (#1)"));
  EXPECT_THAT(rows[8], HasSubstr("choose -> 1"));
  EXPECT_THAT(rows[11],
              ::testing::MatchesRegex(" *9 +1us +timeout of task 2 'consumer' \\(sleep\\)"));
  EXPECT_THAT(rows[14], HasSubstr("2 consumer  blocks: lock mutex 'm' (#0)"));
  EXPECT_THAT(rows[17], HasSubstr("1 producer  wakes task 2 'consumer' (lock mutex 'm' (#0))"));
  EXPECT_THAT(rows[22], HasSubstr("0 main      blocks: join task 2 'consumer'"));
  EXPECT_THAT(rows[23], HasSubstr("FAILS: deadlock: task 0 'main' waits for task 2 'consumer'"));
  for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_LE(StepOf(rows[i - 1]), StepOf(rows[i]));
}

TEST_F(WeaveCliTest, ShowHasAHeaderWithTheFailureAndAFooterWithTheReplayCommand) {
  const std::vector<std::string> lines = Lines(Ok({"show", sample_}));
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0], "Sample.Deadlock: FAILED (deadlock) at step 14 in task 0 'main'");
  EXPECT_EQ(lines[1], "  deadlock: task 0 'main' waits for task 2 'consumer'");
  EXPECT_EQ(lines[2], "    task 0 'main': blocked on join task 2");
  EXPECT_THAT(lines[4], HasSubstr("14 steps"));
  EXPECT_THAT(lines[4], HasSubstr("seed 7"));
  EXPECT_EQ(lines.back(),
            "replay: ./sample_test --gtest_filter=Sample.Deadlock "
            "--weave_replay=weave-out/Sample.Deadlock.schedule");
}

TEST_F(WeaveCliTest, ShowTaskKeepsTheTasksEventsAndTheEventsNamingIt) {
  const std::string out = Ok({"show", sample_, "--task", "producer"});
  const std::vector<std::string> rows = EventLines(out);
  // Its own 7 events, main's spawn of it (step 1) and main's join of it (step 13).
  ASSERT_EQ(rows.size(), 9u) << out;
  std::vector<int> steps;
  for (const std::string& row : rows) steps.push_back(StepOf(row));
  EXPECT_THAT(steps, ElementsAre(1, 3, 3, 4, 11, 11, 11, 12, 13));
  EXPECT_THAT(rows[0], HasSubstr("spawns task 1 'producer'"));
  EXPECT_THAT(rows[8], HasSubstr("joins task 1 'producer'"));
  EXPECT_THAT(out, Not(HasSubstr("2 consumer")));
  EXPECT_THAT(out, HasSubstr("shown: 9 of 24 events"));
}

TEST_F(WeaveCliTest, ShowTaskTakesAnIdOrANameAndRepeats) {
  EXPECT_EQ(EventLines(Ok({"show", sample_, "--task", "1"})),
            EventLines(Ok({"show", sample_, "--task=producer"})));
  // main's 7 events, consumer's 9, its timeout, and producer's wake of it.
  const std::vector<std::string> rows =
      EventLines(Ok({"show", sample_, "--task", "0", "--task", "consumer"}));
  EXPECT_EQ(rows.size(), 7u + 9u + 1u + 1u);
  int producer_rows = 0;
  for (const std::string& row : rows) {
    if (absl::StrContains(row, "1 producer")) {
      ++producer_rows;
      EXPECT_THAT(row, HasSubstr("wakes task 2 'consumer'"));
    }
  }
  EXPECT_EQ(producer_rows, 1);
}

TEST_F(WeaveCliTest, ShowFromAndToKeepAnInclusiveStepRange) {
  const std::vector<std::string> rows = EventLines(Ok({"show", sample_, "--from", "9", "--to=11"}));
  // Steps 9 (timeout, run), 10 (lock, block), 11 (run, unlock, wake).
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(StepOf(rows.front()), 9);
  EXPECT_EQ(StepOf(rows.back()), 11);
  EXPECT_EQ(EventLines(Ok({"show", sample_, "--from", "14"})).size(), 1u);
  EXPECT_EQ(EventLines(Ok({"show", sample_, "--to", "0"})).size(), 1u);
  EXPECT_EQ(EventLines(Ok({"show", sample_, "--from", "100"})).size(), 0u);
  EXPECT_EQ(EventLines(Ok({"show", sample_, "--from", "3", "--to", "4", "--task", "main"})).size(),
            0u);
}

TEST_F(WeaveCliTest, ShowColumnsPutsEachTaskInItsOwnColumn) {
  const std::string out = Ok({"show", sample_, "--columns"});
  const std::vector<std::string> lines = Lines(out);
  const auto header = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return absl::StartsWith(absl::StripLeadingAsciiWhitespace(l), "step ");
  });
  ASSERT_NE(header, lines.end()) << out;
  const std::size_t main_at = header->find("| 0 main");
  const std::size_t producer_at = header->find("| 1 producer");
  const std::size_t consumer_at = header->find("| 2 consumer");
  ASSERT_NE(main_at, std::string::npos) << *header;
  ASSERT_NE(producer_at, std::string::npos) << *header;
  ASSERT_NE(consumer_at, std::string::npos) << *header;
  EXPECT_LT(main_at, producer_at);
  EXPECT_LT(producer_at, consumer_at);
  // Every column has the same width.
  EXPECT_EQ(producer_at - main_at, consumer_at - producer_at);
  const std::vector<std::string> rows = EventLines(out);
  ASSERT_EQ(rows.size(), 24u) << out;
  EXPECT_EQ(rows[5].substr(producer_at, 18), "| sends #0 on jobs");
  EXPECT_EQ(rows[7].substr(consumer_at), "| receives #0 from jobs");
  EXPECT_EQ(rows[1].substr(main_at, 17), "| spawns producer");
  // The timeout, made by no task, is in the column of the task whose deadline passed.
  EXPECT_EQ(rows[11].substr(consumer_at), "| timeout (sleep)");
  EXPECT_EQ(rows[23].substr(main_at, 17), "| FAILS: deadlock");
}

TEST_F(WeaveCliTest, ShowColumnsCutsLongNamesToTheColumnWidth) {
  weave::Trace trace = weave_test::SampleTrace();
  trace.tasks[1].name = std::string(100, 'p');
  ASSERT_TRUE(weave::WriteTraceFile(trace, Path("long.trace")).ok());
  const std::string out = Ok({"show", Path("long.trace"), "--columns"});
  EXPECT_THAT(out, HasSubstr("| 1 " + std::string(18, 'p') + "... | 2 consumer"));
  EXPECT_THAT(out, Not(HasSubstr(std::string(30, 'p'))));
}

TEST_F(WeaveCliTest, ShowColorAlwaysEmitsAnsiEscapesAndNeverEmitsNone) {
  for (const std::string flag : {"--color=always", "--color", "--colour=always"}) {
    const std::string out = Ok({"show", sample_, flag});
    EXPECT_THAT(out, HasSubstr("\x1b[")) << flag;
    EXPECT_THAT(out, HasSubstr("\x1b[0m")) << flag;
  }
  // Each task has its own colour, in the line view and in the columns.
  const std::string lines = Ok({"show", sample_, "--color=always"});
  const std::string columns = Ok({"show", sample_, "--color=always", "--columns"});
  for (const std::string& out : {lines, columns}) {
    EXPECT_THAT(out, HasSubstr("\x1b[36m"));
    EXPECT_THAT(out, HasSubstr("\x1b[33m"));
    EXPECT_THAT(out, HasSubstr("\x1b[35m"));
  }
  EXPECT_THAT(Ok({"show", sample_, "--color=never"}), Not(HasSubstr("\x1b")));
  EXPECT_THAT(Ok({"show", sample_, "--color=never", "--columns"}), Not(HasSubstr("\x1b")));
  // Not a terminal: no colour unless asked for; asked for, NO_COLOR does not overrule it.
  EXPECT_THAT(Ok({"show", sample_}), Not(HasSubstr("\x1b")));
  const CliResult asked = Run({"show", sample_, "--color=always"}, {"NO_COLOR=1"});
  EXPECT_THAT(asked.out, HasSubstr("\x1b["));
}

TEST_F(WeaveCliTest, ShowColoursATerminalUnlessNoColorIsSet) {
  int master = -1;
  int slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
    GTEST_SKIP() << "no pseudo-terminals here: " << std::strerror(errno);
  }
  ::close(master);
  ::close(slave);
  const CliResult tty = Run({"show", sample_}, {}, "/dev/null", /*pty=*/true);
  EXPECT_EQ(tty.exit_code, 0) << tty.err;
  EXPECT_THAT(tty.out, HasSubstr("\x1b[36m"));
  const CliResult no_color = Run({"show", sample_}, {"NO_COLOR=1"}, "/dev/null", /*pty=*/true);
  EXPECT_EQ(no_color.exit_code, 0) << no_color.err;
  EXPECT_THAT(no_color.out, HasSubstr("Sample.Deadlock"));
  EXPECT_THAT(no_color.out, Not(HasSubstr("\x1b")));
  // An empty NO_COLOR does not count (no-color.org).
  const CliResult empty = Run({"show", sample_}, {"NO_COLOR="}, "/dev/null", /*pty=*/true);
  EXPECT_THAT(empty.out, HasSubstr("\x1b[36m"));
  const CliResult never = Run({"show", sample_, "--color=never"}, {}, "/dev/null", /*pty=*/true);
  EXPECT_THAT(never.out, Not(HasSubstr("\x1b")));
}

TEST_F(WeaveCliTest, ShowStacksPrintsUserFramesAndAllFramesAddsInternalOnes) {
  const std::string plain = Ok({"show", sample_});
  EXPECT_THAT(plain, Not(HasSubstr("produce(Queue&)")));
  EXPECT_THAT(plain, HasSubstr("3 events have stacks: --stacks shows them"));

  const std::string stacks = Ok({"show", sample_, "--stacks"});
  EXPECT_THAT(stacks, HasSubstr("at consume()  src/consumer.cpp:7"));
  EXPECT_THAT(stacks, HasSubstr("at produce(Queue&)  src/producer.cpp:42"));
  EXPECT_THAT(stacks, HasSubstr("at run()  src/main.cpp:10"));
  EXPECT_THAT(stacks, Not(HasSubstr("weave::detail::Block")));
  EXPECT_THAT(stacks, HasSubstr("(1 internal frame hidden: --all-frames shows it)"));
  // The stack follows its event: consumer's blocked lock at step 10 (stack 1).
  const std::vector<std::string> lines = Lines(stacks);
  const auto block = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return absl::EndsWith(l, "blocks: lock mutex 'm' (#0)");
  });
  ASSERT_NE(block, lines.end()) << stacks;
  ASSERT_NE(block + 1, lines.end());
  EXPECT_THAT(block[1], ::testing::MatchesRegex(" +at consume\\(\\)  src/consumer.cpp:7"));

  const std::string all = Ok({"show", sample_, "--all-frames"});
  EXPECT_THAT(all, HasSubstr("at weave::detail::Block(...)  [internal]"));
  EXPECT_THAT(all, Not(HasSubstr("hidden")));
  EXPECT_THAT(Ok({"show", sample_, "--columns", "--stacks"}), HasSubstr("at consume()"));
}

TEST_F(WeaveCliTest, ShowSaysHowManyEventsARingTraceDropped) {
  weave::Trace trace = weave_test::SampleTrace();
  trace.mode = weave::TraceMode::kRing;
  trace.dropped_events = 120;
  ASSERT_TRUE(weave::WriteTraceFile(trace, Path("ring.trace")).ok());
  EXPECT_THAT(Ok({"show", Path("ring.trace")}),
              HasSubstr("(first 120 events were dropped: ring mode)"));
  EXPECT_THAT(Ok({"show", sample_}), Not(HasSubstr("dropped")));
}

TEST_F(WeaveCliTest, ShowEscapesControlCharactersInNames) {
  weave::Trace trace = weave_test::SampleTrace(/*awkward_names=*/true);
  trace.tasks[2].name = "evil\x1b[2J\r\x9bname";
  ASSERT_TRUE(weave::WriteTraceFile(trace, Path("awkward.trace")).ok());
  for (const std::string view : {"--columns", "--stacks"}) {
    const std::string out = Ok({"show", Path("awkward.trace"), view, "--color=never"});
    EXPECT_THAT(out, Not(HasSubstr("\x1b"))) << view;
    EXPECT_THAT(out, Not(HasSubstr("\r"))) << view;
    EXPECT_THAT(out, Not(HasSubstr("\t"))) << view;
    EXPECT_EQ(EventLines(out).size(), 24u) << view << "\n" << out;
  }
  const std::string out = Ok({"show", Path("awkward.trace")});
  EXPECT_THAT(out, HasSubstr("prod\"ucer <b>&amp;\\n\\x"));
  EXPECT_THAT(out, HasSubstr("evil\\x1b[2J\\r\\x9bname"));
  EXPECT_THAT(out, HasSubstr("channel 'jobs\\t\"x\"' (#1)"));
}

TEST_F(WeaveCliTest, ShowReadsStandardInput) {
  const CliResult r = Run({"show", "-"}, {}, sample_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(EventLines(r.out).size(), 24u);
}

// --- stats --------------------------------------------------------------------------------------

// By hand, from SampleTrace's events:
//   main      events at steps 0 1 2 12 13 13 14: 6 steps, 7 events; runs at 0 and 12; blocks on
//             the join at 13 and never runs again: 1 step (to step 14), 0ns.
//   producer  steps 3 3 4 11 11 11 12: 4 steps, 7 events, 2 runs; wakes consumer at 11.
//   consumer  steps 5 5 6 7 8 9 10 10 12: 7 steps, 9 events, 3 runs; blocks in sleep at 8
//             (0ns) until its run at 9 (1000ns): 1 step, 1us; blocks on m at 10 until its run at
//             12: 2 steps, 0ns. Woken once (11), timed out once (9).
//   m         lock by producer (3), lock by consumer (10: the point and the block are one
//             attempt), unlock (11): 3 operations, 1 block of 2 steps, 2 tasks.
//   jobs      send (4), receive (5): 2 operations, 2 tasks. shared #2: 1 write.
TEST_F(WeaveCliTest, StatsCountsStepsRunsBlockingAndWakesPerTask) {
  const std::string json = Ok({"stats", sample_, "--json"});
  EXPECT_THAT(json, HasSubstr(R"({"id": 0, "name": "main", "kind": "body", "steps": 6, )"
                              R"("events": 7, "runs": 2, "blocks": 1, "blocked_steps": 1, )"
                              R"("blocked_ns": 0, "wakes_given": 0, "wakes_received": 0, )"
                              R"("timeouts": 0})"));
  EXPECT_THAT(json, HasSubstr(R"({"id": 1, "name": "producer", "kind": "fiber", "steps": 4, )"
                              R"("events": 7, "runs": 2, "blocks": 0, "blocked_steps": 0, )"
                              R"("blocked_ns": 0, "wakes_given": 1, "wakes_received": 0, )"
                              R"("timeouts": 0})"));
  EXPECT_THAT(json, HasSubstr(R"({"id": 2, "name": "consumer", "kind": "coroutine", "steps": 7, )"
                              R"("events": 9, "runs": 3, "blocks": 2, "blocked_steps": 3, )"
                              R"("blocked_ns": 1000, "wakes_given": 0, "wakes_received": 1, )"
                              R"("timeouts": 1})"));
}

TEST_F(WeaveCliTest, StatsCountsOperationsAndContentionPerObjectAndTotals) {
  const std::string json = Ok({"stats", sample_, "--json"});
  EXPECT_THAT(json, HasSubstr(R"({"id": 0, "name": "m", "kind": "mutex", "operations": 3, )"
                              R"("blocks": 1, "blocked_steps": 2, "blocked_ns": 0, "tasks": 2})"));
  EXPECT_THAT(json, HasSubstr(R"({"id": 1, "name": "jobs", "kind": "channel", "operations": 2, )"
                              R"("blocks": 0, "blocked_steps": 0, "blocked_ns": 0, "tasks": 2})"));
  EXPECT_THAT(json, HasSubstr(R"({"id": 2, "name": "", "kind": "shared", "operations": 1, )"
                              R"("blocks": 0, "blocked_steps": 0, "blocked_ns": 0, "tasks": 1})"));
  EXPECT_THAT(json, HasSubstr(R"("totals": {"runs": 7, "blocks": 3, "blocked_steps": 4, )"
                              R"("blocked_ns": 1000, "wakes": 1, "timeouts": 1, "spawns": 2, )"
                              R"("joins": 1, "messages_sent": 1, "messages_received": 1})"));
  EXPECT_THAT(json, HasSubstr(R"("steps": 14,)"));
  EXPECT_THAT(json, HasSubstr(R"("events": 24,)"));
}

TEST_F(WeaveCliTest, StatsPrintsAlignedTables) {
  const std::vector<std::string> lines = Lines(Ok({"stats", sample_}));
  const auto line_starting = [&](const std::string& prefix) {
    for (const std::string& l : lines) {
      if (absl::StartsWith(l, prefix)) return l;
    }
    ADD_FAILURE() << "no line starts with '" << prefix << "'";
    return std::string();
  };
  const std::string heading = line_starting("task ");
  const std::string consumer = line_starting("2 consumer ");
  EXPECT_THAT(consumer,
              ::testing::MatchesRegex("2 consumer +coroutine +7 +9 +3 +2 +3 +1us +0 +1 +1"));
  // Numbers are right-aligned under their headings.
  EXPECT_EQ(consumer.size(), heading.size());
  EXPECT_EQ(line_starting("0 main ").size(), heading.size());
  EXPECT_EQ(heading.find("blocked time") + std::string("blocked time").size(),
            consumer.find("1us") + 3);
  EXPECT_THAT(line_starting("0 m "), ::testing::MatchesRegex("0 m +mutex +3 +1 +2 +0ns +2"));
  EXPECT_THAT(line_starting("  blocked steps"), ::testing::MatchesRegex("  blocked steps +4"));
}

TEST_F(WeaveCliTest, StatsJsonEscapesNames) {
  ASSERT_TRUE(weave::WriteTraceFile(weave_test::SampleTrace(true), Path("awkward.trace")).ok());
  const std::string json = Ok({"stats", Path("awkward.trace"), "--json"});
  EXPECT_THAT(json, HasSubstr(R"("name": "prod\"ucer <b>&amp;\n\\x")"));
  EXPECT_THAT(json, HasSubstr(R"("name": "jobs\t\"x\"")"));
  EXPECT_THAT(json, Not(HasSubstr("\t")));
}

// --- graph, html, json --------------------------------------------------------------------------

bool DotIsInstalled() {
  const char* path = std::getenv("PATH");
  for (const auto dir : absl::StrSplit(path == nullptr ? "" : path, ':')) {
    const std::string candidate = std::string(dir) + "/dot";
    if (::access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

TEST_F(WeaveCliTest, GraphWritesDotToStandardOutputOrAFile) {
  const std::string dot = Ok({"graph", sample_});
  EXPECT_THAT(dot, StartsWith("digraph"));
  EXPECT_EQ(Ok({"graph", sample_, "-o", Path("g.dot")}), "");
  EXPECT_EQ(ReadFile(Path("g.dot")), dot);
  EXPECT_EQ(Ok({"graph", sample_, "--output=" + Path("g2.gv"), "--format", "dot"}), "");
  EXPECT_EQ(ReadFile(Path("g2.gv")), dot);
}

TEST_F(WeaveCliTest, GraphWritesSvgThroughGraphvizOrSaysItIsMissing) {
  if (DotIsInstalled()) {
    EXPECT_EQ(Ok({"graph", sample_, "-o", Path("g.svg")}), "");
    EXPECT_THAT(ReadFile(Path("g.svg")), HasSubstr("<svg"));
    EXPECT_THAT(Ok({"graph", sample_, "--format", "svg"}), HasSubstr("<svg"));
  } else {
    EXPECT_THAT(Fails(1, {"graph", sample_, "-o", Path("g.svg")}), HasSubstr("dot"));
  }
}

TEST_F(WeaveCliTest, GraphWithoutGraphvizFailsWithOneClearLine) {
  std::filesystem::create_directories(Path("empty-bin"));
  const std::string line =
      Fails(1, {"graph", sample_, "-o", Path("g.svg")}, {"PATH=" + Path("empty-bin")});
  EXPECT_THAT(line, StartsWith("weave: cannot render SVG: "));
  EXPECT_THAT(line, HasSubstr("Graphviz"));
  EXPECT_FALSE(std::filesystem::exists(Path("g.svg")));
}

TEST_F(WeaveCliTest, HtmlWritesAWholeWebPage) {
  EXPECT_EQ(Ok({"html", sample_, "-o", Path("report.html")}), "");
  EXPECT_THAT(ReadFile(Path("report.html")), StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(Ok({"html", sample_, "-o", "-"}), StartsWith("<!DOCTYPE html>"));
}

TEST_F(WeaveCliTest, JsonWritesTheChromeTrace) {
  const std::string json = Ok({"json", sample_});
  EXPECT_THAT(json, StartsWith("{"));
  EXPECT_EQ(Ok({"json", sample_, "-o" + Path("t.json")}), "");
  EXPECT_EQ(ReadFile(Path("t.json")), json);
}

TEST_F(WeaveCliTest, WriteErrorsNameTheFileAndLeaveNothingBehind) {
  EXPECT_THAT(Fails(1, {"html", sample_, "-o", Path("no/such/dir/r.html")}),
              StartsWith("weave: cannot write " + Path("no/such/dir/r.html") + ": "));
  std::filesystem::create_directories(Path("out"));
  EXPECT_THAT(Fails(1, {"graph", sample_, "-o", Path("out")}),
              StartsWith("weave: cannot write " + Path("out") + ": "));
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr(".tmp."))) << "left behind";
  }
  // A device is written in place, not replaced by a file.
  EXPECT_EQ(Ok({"html", sample_, "-o", "/dev/null"}), "");
  struct stat st {};
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

// --- bad input ----------------------------------------------------------------------------------

TEST_F(WeaveCliTest, UnreadableOrInvalidTracesFailWithOneLineAndStatusOne) {
  WriteFile(Path("empty.trace"), "");
  WriteFile(Path("garbage.trace"), "hello\nworld\n");
  WriteFile(Path("binary.trace"), std::string("\x7f"
                                              "ELF\x02\x01\x00\x00\r\x1b[2J\xff\xfe",
                                              14));
  std::string text = ReadFile(sample_);
  WriteFile(Path("v2.trace"), "weave-trace 2" + text.substr(text.find('\n')));
  std::string huge = text;
  huge.replace(huge.find("\nevents 24\n"), 11, "\nevents 99999999\n");
  WriteFile(Path("huge.trace"), huge);
  std::string huge_tasks = text;
  huge_tasks.replace(huge_tasks.find("\ntasks 3\n"), 9, "\ntasks 2000000000000\n");
  WriteFile(Path("huge-tasks.trace"), huge_tasks);
  std::string bad_task = text;
  bad_task.replace(bad_task.find("\n13 2000 0 join join -1 1 -1\n"), 29,
                   "\n13 2000 9 join join -1 1 -1\n");
  WriteFile(Path("bad-task.trace"), bad_task);
  std::filesystem::create_directories(Path("a-directory"));

  for (const std::string command : {"show", "stats", "graph", "json"}) {
    EXPECT_THAT(Fails(1, {command, Path("missing.trace")}),
                HasSubstr("missing.trace: No such file or directory"));
    EXPECT_THAT(Fails(1, {command, Path("empty.trace")}),
                HasSubstr("empty.trace:1: expected the header 'weave-trace 1', got end of file"));
    EXPECT_THAT(Fails(1, {command, Path("garbage.trace")}),
                HasSubstr("garbage.trace:1: expected 'weave-trace <version>'"));
    const std::string binary = Fails(1, {command, Path("binary.trace")});
    EXPECT_THAT(binary, HasSubstr("binary.trace:1: expected"));
    EXPECT_THAT(binary, Not(HasSubstr("\x1b")));
    EXPECT_THAT(binary, Not(HasSubstr("\r")));
    EXPECT_THAT(Fails(1, {command, Path("v2.trace")}),
                HasSubstr("v2.trace:1: expected format version 1"));
    EXPECT_THAT(Fails(1, {command, Path("huge.trace")}), HasSubstr("(event 24 of 99999999)"));
    EXPECT_THAT(Fails(1, {command, Path("huge-tasks.trace")}), HasSubstr("huge-tasks.trace:15:"));
    EXPECT_THAT(Fails(1, {command, Path("bad-task.trace")}),
                HasSubstr("bad-task.trace:53: event 21 names an unknown task 9"));
    EXPECT_THAT(Fails(1, {command, Path("a-directory")}), HasSubstr("it is a directory"));
  }
  EXPECT_THAT(Fails(1, {"show", "/dev/zero"}), HasSubstr("it is a device"));
  EXPECT_THAT(Fails(1, {"html", Path("missing.trace"), "-o", Path("r.html")}),
              HasSubstr("No such file"));
  EXPECT_FALSE(std::filesystem::exists(Path("r.html")));
}

TEST_F(WeaveCliTest, ATraceTruncatedAtAnyLineFailsWithOneLineSayingWhere) {
  const std::vector<std::string> lines = Lines(ReadFile(sample_));
  ASSERT_GT(lines.size(), 50u);
  for (std::size_t keep = 0; keep < lines.size(); ++keep) {
    std::string text;
    for (std::size_t i = 0; i < keep; ++i) text += lines[i] + "\n";
    WriteFile(Path("cut.trace"), text);
    // Every line is cheap enough; the subcommands share the reader, so they take turns.
    const std::string command = std::vector<std::string>{"show", "stats", "graph"}[keep % 3];
    const std::string line = Fails(1, {command, Path("cut.trace")});
    EXPECT_THAT(line, HasSubstr("cut.trace:" + std::to_string(keep + 1) + ": expected"))
        << "cut after " << keep << " lines";
    EXPECT_THAT(line, HasSubstr("truncated?")) << "cut after " << keep << " lines";
  }
  // Cut inside a line, every 7th byte: a clean error (or, rarely, a different valid trace).
  const std::string text = ReadFile(sample_);
  for (std::size_t size = 0; size + 1 < text.size(); size += 7) {
    WriteFile(Path("cut.trace"), text.substr(0, size));
    const CliResult r = Run({"stats", Path("cut.trace")});
    EXPECT_EQ(r.signal, 0) << "cut at byte " << size;
    EXPECT_EQ(r.exit_code, 1) << "cut at byte " << size << ": " << r.err;
    EXPECT_EQ(Lines(r.err).size(), 1u) << "cut at byte " << size << ": " << r.err;
  }
}

TEST_F(WeaveCliTest, CommandLineMistakesFailWithOneLineAndStatusTwo) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "missing a command (see 'weave --help')"},
      {{"frobnicate", sample_}, "no command 'frobnicate'"},
      {{"--frobnicate"}, "unknown option '--frobnicate'"},
      {{"help", "frobnicate"}, "no command 'frobnicate'"},
      {{"show"}, "missing the trace FILE (see 'weave show --help')"},
      {{"show", sample_, sample_}, "unexpected argument"},
      {{"show", sample_, "--frobnicate"},
       "unknown option '--frobnicate' (see 'weave show --help')"},
      {{"show", sample_, "-x"}, "unknown option '-x'"},
      {{"show", sample_, "--from"}, "option '--from' needs a value"},
      {{"show", sample_, "--from", "x"}, "option '--from' expects a step number, got 'x'"},
      {{"show", sample_, "--from=-3"}, "expects a step number, got '-3'"},
      {{"show", sample_, "--to", "99999999999999999999999"}, "expects a step number"},
      {{"show", sample_, "--from", "5", "--to", "2"}, "--from 5 is after --to 2"},
      {{"show", sample_, "--task", "nobody"}, "no task named 'nobody'"},
      {{"show", sample_, "--task", "3"}, "no task 3"},
      {{"show", sample_, "--color=sometimes"}, "expects auto, always or never"},
      {{"show", sample_, "--columns=yes"}, "option '--columns' takes no value"},
      {{"stats", sample_, "--format", "json"}, "unknown option '--format'"},
      {{"graph", sample_, "--format", "png"}, "expects dot or svg, got 'png'"},
      {{"graph", sample_, "-o"}, "option '-o' needs a value"},
      {{"html", sample_}, "'weave html' needs -o REPORT.html (see 'weave html --help')"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_THAT(Fails(2, args), HasSubstr(message)) << ::testing::PrintToString(args);
  }
  // A usage error is reported before the file is read.
  EXPECT_THAT(Fails(2, {"show", Path("missing.trace"), "--from", "x"}), HasSubstr("--from"));
}

}  // namespace
