// A crash never loses the schedule: a task that segfaults or aborts takes the process down, but
// the decisions up to the crash are written first, and replaying them crashes the same way.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include <sys/mman.h>

#include "weave/coro.hpp"
#include "weave/gtest.hpp"
#include "weave/thread.hpp"

namespace {

using ::testing::HasSubstr;

// Not per process: a threadsafe death test runs its statement in a re-executed child.
std::string OutDir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("weave_crash_test_" + name)).string();
}

weave::Options CrashOptions(const std::string& name) {
  weave::Options o;
  o.iterations = 2000;
  o.test_name = "Crash." + name;
  // Not cleared here: a threadsafe death test re-runs the test from the top in its child, which
  // would delete what an earlier death statement wrote. Each test cleans up at its end.
  o.out_dir = OutDir(name);
  // The check-then-use bodies race on purpose (the detector would stop them before the crash).
  o.detect_races = false;
  return o;
}

// An address that faults: a page with no access (as if its buffer had been unmapped). A real
// fault, which the sanitizers cannot flag as undefined behaviour before it happens.
int* UnmappedAddress() {
  static void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return static_cast<int*>(page);
}

// Crashes only in the schedules where main retires the buffer between the task's check and its
// use: an interleaving bug that kills the process.
void CheckThenUse() {
  int value = 42;
  weave::shared<int*> buffer{&value, "buffer"};
  weave::shared<bool> retired{false, "retired"};
  auto user = weave::spawn("user", [&] {
    if (!retired.load()) {
      int* volatile p = buffer.load();  // the buffer may be retired by now
      weave::check(*p == 42, "value");
    }
  });
  retired = true;
  buffer = UnmappedAddress();
  user.join();
}

// The same bug in coroutine tasks: the crash happens on a carrier fiber.
weave::task<> UseUnlessRetired(weave::shared<int*>& buffer, weave::shared<bool>& retired) {
  co_await weave::yield();
  if (!retired.load()) {
    int* volatile p = buffer.load();
    weave::check(*p == 42, "value");
  }
}

void CheckThenUseInACoroutine() {
  int value = 42;
  weave::shared<int*> buffer{&value, "buffer"};
  weave::shared<bool> retired{false, "retired"};
  auto user = weave::co_spawn("co-user", UseUnlessRetired(buffer, retired));
  retired = true;
  buffer = UnmappedAddress();
  user.join();
}

// The same bug in a weave::thread: the crash happens on another OS thread.
void CheckThenUseInAThread() {
  int value = 42;
  weave::shared<int*> buffer{&value, "buffer"};
  weave::shared<bool> retired{false, "retired"};
  weave::thread user = weave::thread::named("thread-user", [&] {
    if (!retired.load()) {
      int* volatile p = buffer.load();
      weave::check(*p == 42, "value");
    }
  });
  retired = true;
  buffer = UnmappedAddress();
  user.join();
}

void AbortInATask() {
  auto t = weave::spawn("aborter", [] {
    if (weave::choose(3) == 2) std::abort();
  });
  t.join();
}

using CrashDeathTest = ::testing::Test;

TEST_F(CrashDeathTest, ASegfaultInATaskWritesTheScheduleBeforeTheProcessDies) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const weave::Options o = CrashOptions("Segfault");
  EXPECT_DEATH(weave::explore(o, CheckThenUse),
               "weave: failure: crash: SIGSEGV.* in task 1 'user' at step [0-9]+(.|\n)*"
               "weave: schedule written to .*Crash.Segfault.schedule");
  absl::StatusOr<weave::Schedule> s =
      weave::ReadScheduleFile(o.out_dir + "/Crash.Segfault.schedule");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->failure, weave::FailureKind::kCrash);
  EXPECT_EQ(s->test_name, "Crash.Segfault");
  EXPECT_THAT(s->failure_message, HasSubstr("in task 1 'user'"));
  EXPECT_GT(s->size(), 0u);

  // Replaying the file runs the same decisions into the same crash.
  weave::Options replay = o;
  replay.replay_file = o.out_dir + "/Crash.Segfault.schedule";
  EXPECT_DEATH(weave::explore(replay, CheckThenUse),
               "weave: failure: crash: SIGSEGV.* in task 1 'user'(.|\n)*while replaying");
  std::filesystem::remove_all(o.out_dir);
}

// `body` segfaults in task 1, named `task`: the schedule is written before the process dies, and
// replaying it crashes the same way. `name` names the test's files.
void ExpectSegfaultSavedAndReplayed(const std::string& name, void (*body)(),
                                    const std::string& task) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const weave::Options o = CrashOptions(name);
  const std::string file = o.out_dir + "/Crash." + name + ".schedule";
  EXPECT_DEATH(weave::explore(o, body),
               "weave: failure: crash: SIGSEGV.* in task 1 '" + task +
                   "' at step [0-9]+(.|\n)*weave: schedule written to .*Crash." + name +
                   ".schedule");
  absl::StatusOr<weave::Schedule> s = weave::ReadScheduleFile(file);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->failure, weave::FailureKind::kCrash);
  weave::Options replay = o;
  replay.replay_file = file;
  EXPECT_DEATH(weave::explore(replay, body),
               "weave: failure: crash: SIGSEGV.* in task 1 '" + task + "'(.|\n)*while replaying");
  std::filesystem::remove_all(o.out_dir);
}

TEST_F(CrashDeathTest, ASegfaultInACoroutineTaskWritesTheScheduleAndReplaysIntoTheSameCrash) {
  ExpectSegfaultSavedAndReplayed("CoroutineSegfault", CheckThenUseInACoroutine, "co-user");
}

// The crash happens on another OS thread: the crash guard is adopted by every carrier.
TEST_F(CrashDeathTest, ASegfaultInAThreadWritesTheScheduleAndReplaysIntoTheSameCrash) {
  ExpectSegfaultSavedAndReplayed("ThreadSegfault", CheckThenUseInAThread, "thread-user");
}

TEST_F(CrashDeathTest, AnAbortIsACrashToo) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const weave::Options o = CrashOptions("Abort");
  EXPECT_DEATH(weave::explore(o, AbortInATask),
               "weave: failure: crash: SIGABRT.* in task 1 'aborter'");
  absl::StatusOr<weave::Schedule> s = weave::ReadScheduleFile(o.out_dir + "/Crash.Abort.schedule");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->failure, weave::FailureKind::kCrash);
  // The last decision is the choice that led to the abort.
  ASSERT_GT(s->size(), 0u);
  const weave::Decision& last = s->decision(s->size() - 1);
  EXPECT_EQ(last.kind, weave::Decision::Kind::kChoice);
  EXPECT_EQ(last.value, 2u);
  std::filesystem::remove_all(o.out_dir);
}

// A body that fails in its first run and segfaults in every later one: the run weave adds to
// record the failure's full trace crashes. The failing schedule's file must survive that.
int g_runs = 0;
void FailThenCrash() {
  if (g_runs++ == 0) {
    weave::check(false, "the first run fails");
    return;
  }
  int* volatile p = UnmappedAddress();
  weave::check(*p == 1, "never reached");
}

TEST_F(CrashDeathTest, ACrashWhileRecordingTheFailuresTraceKeepsItsSchedule) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const weave::Options o = CrashOptions("WhileTracing");
  g_runs = 0;
  EXPECT_DEATH(weave::explore(o, FailThenCrash),
               "weave: failure: crash: SIGSEGV(.|\n)*while replaying");
  absl::StatusOr<weave::Schedule> s =
      weave::ReadScheduleFile(o.out_dir + "/Crash.WhileTracing.schedule");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->failure, weave::FailureKind::kAssertion) << "the crash overwrote the schedule";
  EXPECT_EQ(s->failure_message, "weave::check failed: the first run fails");
  std::filesystem::remove_all(o.out_dir);
}

TEST(Crash, CodeThatDoesNotCrashLeavesNoFileBehind) {
  const weave::Options o = CrashOptions("None");
  std::filesystem::remove_all(o.out_dir);
  EXPECT_WEAVE_OK(o, [] {
    auto t = weave::spawn("fine", [] {});
    t.join();
  });
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/Crash.None.schedule"));
}

}  // namespace
