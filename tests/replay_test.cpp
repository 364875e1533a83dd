// Determinism is the product: the same seed gives the same schedule, in this process and in
// others (different address-space layout and environment), and replaying a schedule reproduces
// the same failure every time, byte for byte.
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "test_support.hpp"
#include <sys/wait.h>

#include "weave/gtest.hpp"

extern char** environ;

namespace {

using weave_test::ReadFile;

using ::testing::HasSubstr;

std::string FreshDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("weave_replay_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

int g_children = 0;  // numbers the children's output directories

struct ChildResult {
  int exit_code = -1;
  std::string output;
};

struct RunningChild {
  pid_t pid = -1;
  std::string out_path;
};

// Starts the helper program (built beside this test) with `args`, plus `extra_env` entries, under
// `launcher` (a command that runs it, e.g. setarch; empty: none).
RunningChild StartChild(const std::vector<std::string>& args,
                        const std::vector<std::string>& extra_env = {},
                        const std::vector<std::string>& launcher = {}) {
  const std::string program =
      (std::filesystem::path(::testing::internal::GetArgvs()[0]).parent_path() /
       "weave_determinism_child")
          .string();
  RunningChild child;
  child.out_path = FreshDir("child_out_" + std::to_string(++g_children)) + "/stdout";
  std::vector<std::string> argv_storage = launcher;
  argv_storage.push_back(program);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, child.out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (posix_spawn(&child.pid, argv_storage[0].c_str(), &actions, nullptr, argv.data(),
                  envp.data()) != 0) {
    ADD_FAILURE() << "cannot start " << argv_storage[0];
    child.pid = -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  return child;
}

ChildResult WaitForChild(const RunningChild& child) {
  ChildResult result;
  if (child.pid < 0) return result;
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.output = ReadFile(child.out_path);
  return result;
}

ChildResult RunChild(const std::vector<std::string>& args,
                     const std::vector<std::string>& extra_env = {}) {
  return WaitForChild(StartChild(args, extra_env));
}

TEST(Determinism, SameSeedGivesByteIdenticalSchedulesAcrossProcesses) {
  const std::string a = FreshDir("a");
  const std::string b = FreshDir("b");
  const ChildResult first = RunChild({"explore", "7", a});
  // A larger environment shifts the initial stack: addresses differ, schedules must not.
  const ChildResult second =
      RunChild({"explore", "7", b}, {"WEAVE_TEST_PADDING=" + std::string(20000, 'x')});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string schedule_a = ReadFile(a + "/Child.Pipeline.schedule");
  const std::string schedule_b = ReadFile(b + "/Child.Pipeline.schedule");
  ASSERT_FALSE(schedule_a.empty());
  EXPECT_EQ(schedule_a, schedule_b);
  EXPECT_EQ(first.output, second.output);
}

// The trace an exploration writes for its failure, and the one a replay of that schedule writes
// in another process (with a shifted stack), are the same file byte for byte: stacks are written
// symbolized, tasks and objects by id, nothing depends on addresses or wall time.
void ExpectTraceIsByteIdenticalOnReplay(const std::string& explore_mode,
                                        const std::string& replay_mode, const std::string& name) {
  const std::string dir = FreshDir("trace-" + explore_mode);
  ASSERT_EQ(RunChild({explore_mode, "3", dir}).exit_code, 0);
  const std::string base = dir + "/" + name;
  std::vector<std::string> explored;
  for (const char* suffix : {".trace", ".trace.json", ".dot", ".html"}) {
    explored.push_back(ReadFile(base + suffix));
    ASSERT_FALSE(explored.back().empty()) << base << suffix;
  }
  EXPECT_NE(explored[0].find("\nmode full\n"), std::string::npos);
  EXPECT_NE(explored[0].find("\nfailure "), std::string::npos);
  for (int round = 0; round < 2; ++round) {
    const ChildResult replayed = RunChild({replay_mode, base + ".schedule"},
                                          {"WEAVE_TEST_PADDING=" + std::string(9000 * round, 'y')});
    ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
    int i = 0;
    for (const char* suffix : {".trace", ".trace.json", ".dot", ".html"}) {
      // Not EXPECT_EQ: a difference would print two whole traces.
      EXPECT_TRUE(ReadFile(base + suffix) == explored[static_cast<std::size_t>(i++)])
          << suffix << " differs in replay " << round;
    }
  }
}

TEST(Determinism, FiberTraceIsByteIdenticalWhenReplayedInAnotherProcess) {
  ExpectTraceIsByteIdenticalOnReplay("explore", "replay", "Child.Pipeline");
}

TEST(Determinism, CoroutineTraceIsByteIdenticalWhenReplayedInAnotherProcess) {
  ExpectTraceIsByteIdenticalOnReplay("explore-async", "replay-async", "Child.AsyncPipeline");
}

TEST(Determinism, ThreadTraceIsByteIdenticalWhenReplayedInAnotherProcess) {
  ExpectTraceIsByteIdenticalOnReplay("explore-thread", "replay-thread", "Child.ThreadPipeline");
}

TEST(Determinism, DifferentSeedsExploreDifferentSchedules) {
  const std::string a = FreshDir("s1");
  const std::string b = FreshDir("s2");
  ASSERT_EQ(RunChild({"explore", "1", a}).exit_code, 0);
  ASSERT_EQ(RunChild({"explore", "2", b}).exit_code, 0);
  EXPECT_NE(ReadFile(a + "/Child.Pipeline.schedule"), ReadFile(b + "/Child.Pipeline.schedule"));
}

TEST(Determinism, ReplayInAnotherProcessReproducesTheFailureByteForByte) {
  const std::string dir = FreshDir("replay");
  const ChildResult found = RunChild({"explore", "11", dir});
  ASSERT_EQ(found.exit_code, 0) << found.output;
  const ChildResult replayed = RunChild({"replay", dir + "/Child.Pipeline.schedule"});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
  EXPECT_EQ(found.output, replayed.output);
  EXPECT_THAT(found.output,
              HasSubstr("weave: failure: data-race: data race on shared 'processed'"));
}

TEST(Determinism, CoroutinesGiveByteIdenticalSchedulesAndReportsAcrossProcesses) {
  const std::string a = FreshDir("async_a");
  const std::string b = FreshDir("async_b");
  const ChildResult first = RunChild({"explore-async", "5", a});
  const ChildResult second =
      RunChild({"explore-async", "5", b}, {"WEAVE_TEST_PADDING=" + std::string(20000, 'x')});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string schedule_a = ReadFile(a + "/Child.AsyncPipeline.schedule");
  ASSERT_FALSE(schedule_a.empty());
  EXPECT_EQ(schedule_a, ReadFile(b + "/Child.AsyncPipeline.schedule"));
  EXPECT_EQ(first.output, second.output);
  // The replay in a third process reproduces the report, async stacks included.
  const ChildResult replayed = RunChild({"replay-async", a + "/Child.AsyncPipeline.schedule"});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
  EXPECT_EQ(first.output, replayed.output);
  EXPECT_THAT(first.output, HasSubstr("every job is counted once"));
}

TEST(Determinism, ThreadsGiveByteIdenticalSchedulesAndReportsAcrossProcesses) {
  const std::string a = FreshDir("thread_a");
  const std::string b = FreshDir("thread_b");
  const ChildResult first = RunChild({"explore-thread", "3", a});
  const ChildResult second =
      RunChild({"explore-thread", "3", b}, {"WEAVE_TEST_PADDING=" + std::string(20000, 'x')});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string schedule_a = ReadFile(a + "/Child.ThreadPipeline.schedule");
  ASSERT_FALSE(schedule_a.empty());
  EXPECT_EQ(schedule_a, ReadFile(b + "/Child.ThreadPipeline.schedule"));
  EXPECT_EQ(first.output, second.output);
  const ChildResult replayed = RunChild({"replay-thread", a + "/Child.ThreadPipeline.schedule"});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.output;
  EXPECT_EQ(first.output, replayed.output);
  EXPECT_THAT(first.output, HasSubstr("data race on shared 'processed'"));
  EXPECT_THAT(first.output, HasSubstr("'worker-1'"));
}

// Determinism at scale: 10,000 seeds of a body with fibers, a coroutine, a weave::thread, timers
// and channels in an optimized build (about a minute; scripts/test --preset release), 1,000 in a
// debug build and 300 under the sanitizers (each seed costs some 13 ms in a debug build, most of
// it writing and exporting two full traces, which would put minutes on every CI preset). The
// child runs each
// seed's schedule, replays its schedule file and compares the two traces byte for byte, counting
// divergences. Two children run at once, one with address-space randomization turned off (setarch
// -R) and a 100 KB larger environment, the other as usual: neither diverges, and the digests of
// all their schedules and traces agree.
TEST(Determinism, ManySeedsReplayByteForByteInTwoDifferentProcesses) {
#ifdef NDEBUG
  constexpr int kOptimizedSeeds = 10000;
#else
  constexpr int kOptimizedSeeds = 1000;
#endif
  const int seeds =
      weave_test::kAddressSanitizer || weave_test::kThreadSanitizer ? 300 : kOptimizedSeeds;
  const std::string a = FreshDir("stress_a");
  const std::string b = FreshDir("stress_b");
  const std::vector<std::string> args_a = {"stress", "1", std::to_string(seeds), a};
  const std::vector<std::string> args_b = {"stress", "1", std::to_string(seeds), b};
  std::vector<std::string> no_aslr;
  if (std::filesystem::exists("/usr/bin/setarch")) no_aslr = {"/usr/bin/setarch", "-R"};
  const RunningChild usual = StartChild(args_a);
  const RunningChild other =
      StartChild(args_b, {"WEAVE_TEST_PADDING=" + std::string(100000, 'z')}, no_aslr);
  const ChildResult first = WaitForChild(usual);
  const ChildResult second = WaitForChild(other);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(second.exit_code, 0) << second.output;
  const std::string summary = "seeds " + std::to_string(seeds) + " divergences 0 steps ";
  EXPECT_THAT(first.output, testing::StartsWith(summary));
  EXPECT_EQ(first.output, second.output);
}

// The body of an in-process replay test: a lost update between three tasks.
void LostUpdate() {
  weave::shared<int> n{0, "n"};
  auto a = weave::spawn("a", [&] { n = n + 1; });
  auto b = weave::spawn("b", [&] { n = n + 1; });
  n = n + 1;
  a.join();
  b.join();
  weave::check(n.load() == 3, "three increments");
}

std::string Report(const weave::Result& r) {
  std::ostringstream s;
  if (!r.ok()) s << r.failure();
  return s.str();
}

TEST(Replay, ReproducesTheSameFailure100TimesOutOf100) {
  weave::Options o;
  o.test_name = "Replay.LostUpdate";
  o.out_dir = FreshDir("hundred");
  const weave::Result found = weave::explore(o, LostUpdate);
  ASSERT_FALSE(found.ok());
  ASSERT_FALSE(found.schedule_path.empty()) << found.schedule_write_error;
  const std::string expected = Report(found);
  weave::Options replay = o;
  replay.replay_file = found.schedule_path;
  int same = 0;
  for (int i = 0; i < 100; ++i) {
    const weave::Result r = weave::explore(replay, LostUpdate);
    if (Report(r) == expected && r.schedule == found.schedule) ++same;
  }
  EXPECT_EQ(same, 100);
}

TEST(Replay, SameSeedInOneProcessGivesTheSameSchedule) {
  weave::Options o;
  o.out_dir = FreshDir("same_seed");
  o.seed = 99;
  const weave::Result first = weave::explore(o, LostUpdate);
  const weave::Result second = weave::explore(o, LostUpdate);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.failing_iteration, second.failing_iteration);
  EXPECT_TRUE(first.schedule == second.schedule);
}

TEST(Replay, ABodyThatDependsOnOutsideStateIsReportedAsNondeterminism) {
  weave::Options o;
  o.out_dir = FreshDir("nondeterminism");
  o.trace = weave::TraceMode::kOff;  // the trace's extra run would shift the outside state
  o.minimize = false;                // and so would shrinking's
  static int runs = 0;
  auto body = [] {
    weave::shared<int> n{0, "n"};
    // Outside weave's control: the number of tasks depends on how often the body ran before.
    const int tasks = 1 + (runs++ % 2);
    std::vector<weave::join_handle> handles;
    for (int i = 0; i < tasks; ++i) handles.push_back(weave::spawn("t", [&] { n = n + 1; }));
    for (auto& h : handles) h.join();
    weave::check(n.load() == 100, "always fails, so a schedule is recorded");
  };
  runs = 0;
  const weave::Result found = weave::explore(o, body);
  ASSERT_FALSE(found.ok());
  weave::Options replay = o;
  replay.replay_file = found.schedule_path;
  const weave::Result r = weave::explore(replay, body);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, weave::FailureKind::kNondeterminism) << r;
  EXPECT_THAT(r.failure().message, HasSubstr("nondeterminism at step "));
  EXPECT_THAT(r.failure().message, HasSubstr("recorded runnable {"));
  EXPECT_THAT(r.failure().message, HasSubstr("now {"));
}

TEST(Replay, ReplayingAPassingRunThatEndsEarlyIsNondeterminism) {
  weave::Schedule s;
  s.test_name = "weave";
  s.max_steps = 100;
  const weave::TaskId only_main[] = {0};
  for (int i = 0; i < 5; ++i) s.AddTaskDecision(0, only_main);
  weave::Options o;
  const weave::Result r = weave::replay(o, s, [] { weave::this_task::yield(); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, weave::FailureKind::kNondeterminism);
  EXPECT_THAT(r.failure().message, HasSubstr("the run ended after 1 of 5 recorded decisions"));
}

}  // namespace
