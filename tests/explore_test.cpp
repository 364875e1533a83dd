// Exploration: iterations, stopping at the first failure, and every failure kind the core reports
// (each with a correct twin that stays silent).
#include <set>
#include <stdexcept>

#include "gmock/gmock.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using ::testing::HasSubstr;
using weave::FailureKind;

weave::Options Quick(int iterations = 200) {
  weave::Options o;
  o.iterations = iterations;
  o.out_dir = ::testing::TempDir() + "weave_explore_test";
  return o;
}

TEST(Explore, RunsTheBodyOncePerIterationWhenNothingFails) {
  int runs = 0;
  const weave::Result r = weave::explore(Quick(321), [&] { ++runs; });
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(runs, 321);
  EXPECT_EQ(r.schedules, 321);
  EXPECT_THAT(r.Summary(), HasSubstr("explored 321 schedules"));
}

TEST(Explore, StopsAtTheFirstFailingSchedule) {
  int runs = 0;
  weave::Options o = Quick(1000);
  o.trace = weave::TraceMode::kOff;  // no extra run to record the failing schedule's trace
  o.minimize = false;                // nor to shrink it
  const weave::Result r = weave::explore(o, [&] {
    ++runs;
    weave::check(runs < 5, "fifth run fails");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(runs, 5);
  EXPECT_EQ(r.failing_iteration, 4);
  EXPECT_EQ(r.failure().kind, FailureKind::kAssertion);
  EXPECT_TRUE(r.trace_paths.empty());
}

TEST(Explore, TracingRunsTheFailingScheduleOnceMoreToRecordItInFull) {
  int runs = 0;
  weave::Options o = Quick(1000);
  o.out_dir = ::testing::TempDir() + "weave_explore_trace";
  o.minimize = false;  // shrinking would run it again
  const weave::Result r = weave::explore(o, [&] {
    ++runs;
    weave::check(runs != 5, "fifth run fails");  // the sixth, its replay, passes: not the same
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(runs, 6);
  // The replay did not fail the same way, so the trace is the exploration's ring.
  ASSERT_EQ(r.trace_paths.size(), 4u) << r.trace_write_error;
  absl::StatusOr<weave::Trace> trace = weave::ReadTraceFile(r.trace_paths[0]);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->mode, weave::TraceMode::kRing);
  ASSERT_TRUE(trace->failure.has_value());
  EXPECT_EQ(trace->failure->message, "weave::check failed: fifth run fails");
  EXPECT_EQ(trace->iteration, 4);
}

TEST(Explore, RoundRobinMakesExactlyOneSchedule) {
  weave::Options o = Quick(1000);
  o.strategy = weave::Strategy::RoundRobin();
  int runs = 0;
  const weave::Result r = weave::explore(o, [&] { ++runs; });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(runs, 1);
}

TEST(Explore, RoundRobinAlternatesTasksAtEveryYield) {
  weave::Options o = Quick(1);
  o.strategy = weave::Strategy::RoundRobin();
  std::string order;
  const weave::Result r = weave::explore(o, [&] {
    weave::latch go{1, "go"};  // both start together, after main has spawned them
    auto a = weave::spawn("a", [&] {
      go.wait();
      for (int i = 0; i < 3; ++i) {
        order += 'a';
        weave::this_task::yield();
      }
    });
    auto b = weave::spawn("b", [&] {
      go.wait();
      for (int i = 0; i < 3; ++i) {
        order += 'b';
        weave::this_task::yield();
      }
    });
    go.count_down();
    a.join();
    b.join();
  });
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(order, "ababab");
}

TEST(Explore, ChooseExploresEveryValue) {
  std::set<std::uint64_t> seen;
  const weave::Result r = weave::explore(Quick(200), [&] { seen.insert(weave::choose(5)); });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(seen, (std::set<std::uint64_t>{0, 1, 2, 3, 4}));
}

TEST(Explore, ChooseZeroIsMisuse) {
  EXPECT_WEAVE_FAILURE(FailureKind::kMisuse, Quick(1), [] { weave::choose(0); });
}

TEST(Explore, InvalidOptionsThrow) {
  weave::Options o;
  o.iterations = 0;
  EXPECT_THROW(weave::explore(o, [] {}), std::invalid_argument);
  o = {};
  o.max_steps = 0;
  EXPECT_THROW(weave::explore(o, [] {}), std::invalid_argument);
  o = {};
  o.stack_size = 100;
  EXPECT_THROW(weave::explore(o, [] {}), std::invalid_argument);
  o = {};
  o.time_budget = absl::ZeroDuration();
  EXPECT_THROW(weave::explore(o, [] {}), std::invalid_argument);
  o = {};
  o.progress_interval = absl::Seconds(-1);
  EXPECT_THROW(weave::explore(o, [] {}), std::invalid_argument);
  o = {};
  o.suppressions = {"cache", ""};
  EXPECT_THROW(weave::explore(o, [] {}), std::invalid_argument);
}

TEST(Explore, NestingIsRefused) {
  const weave::Result r = weave::explore(Quick(1), [] {
    weave::explore(Quick(1), [] {});  // throws std::logic_error inside the body
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kUncaughtException);
  EXPECT_THAT(r.failure().message, HasSubstr("nesting"));
}

TEST(Explore, TimeBudgetStopsEarlyWithoutFailing) {
  weave::Options o = Quick(100'000'000);
  o.time_budget = absl::Milliseconds(50);
  const weave::Result r = weave::explore(o, [] { weave::this_task::yield(); });
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.stopped_by_time_budget);
  EXPECT_LT(r.schedules, 100'000'000);
  EXPECT_THAT(r.Summary(), HasSubstr("stopped by the time budget"));
}

TEST(Explore, FailingScheduleIsWrittenWithTheTestName) {
  weave::Options o = Quick(10);
  o.test_name = "Suite.Written";
  const weave::Result r = weave::explore(o, [] { weave::check(false, "always"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.schedule_path, o.out_dir + "/Suite.Written.schedule");
  absl::StatusOr<weave::Schedule> s = weave::ReadScheduleFile(r.schedule_path);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->test_name, "Suite.Written");
  EXPECT_EQ(s->failure, FailureKind::kAssertion);
}

TEST(Explore, UnwritableOutputDirectoryIsReportedNotFatal) {
  weave::Options o = Quick(10);
  o.out_dir = "/proc/weave-cannot-write-here";
  const weave::Result r = weave::explore(o, [] { weave::check(false, "always"); });
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.schedule_path.empty());
  EXPECT_FALSE(r.schedule_write_error.empty());
  std::ostringstream printed;
  printed << r;
  EXPECT_THAT(printed.str(), HasSubstr("could not write the schedule"));
}

// --- failure kinds ---------------------------------------------------------------------------

TEST(FailureKinds, ACheckNamesItsMessageAndLocation) {
  const weave::Result r = weave::explore(Quick(1), [] { weave::check(1 + 1 == 3, "arithmetic"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().message, "weave::check failed: arithmetic");
  EXPECT_THAT(r.failure().where.file, HasSubstr("explore_test.cpp"));
  EXPECT_GT(r.failure().where.line, 0);
}

TEST(FailureKinds, GtestAssertionsInsideATaskFailTheSchedule) {
  const weave::Result r = weave::explore(Quick(50), [] {
    auto t = weave::spawn("asserter", [] { EXPECT_EQ(1, 2) << "inside a task"; });
    t.join();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kAssertion);
  EXPECT_EQ(r.failure().task_name, "asserter");
  EXPECT_THAT(r.failure().message, HasSubstr("inside a task"));
}

TEST(FailureKinds, AnExceptionEscapingATaskIsReportedWithItsTypeAndText) {
  const weave::Result r = weave::explore(Quick(5), [] {
    auto t = weave::spawn("thrower", [] { throw std::runtime_error("disk full"); });
    t.join();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kUncaughtException);
  EXPECT_THAT(r.failure().message, HasSubstr("std::runtime_error"));
  EXPECT_THAT(r.failure().message, HasSubstr("'thrower'"));
  EXPECT_THAT(r.failure().message, HasSubstr("disk full"));
}

TEST(FailureKinds, AnExceptionEscapingTheBodyIsReported) {
  const weave::Result r = weave::explore(Quick(5), [] { throw 42; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kUncaughtException);
  EXPECT_THAT(r.failure().message, HasSubstr("type int"));
  EXPECT_THAT(r.failure().message, HasSubstr("'main'"));
}

TEST(FailureKinds, AnExceptionCaughtInsideTheTaskIsNotAFailure) {
  EXPECT_WEAVE_OK(Quick(20), [] {
    auto t = weave::spawn("careful", [] {
      try {
        throw std::runtime_error("handled");
      } catch (const std::exception&) {
      }
    });
    t.join();
  });
}

TEST(FailureKinds, ExceedingTheStepBudgetIsALivelockNamingTheRunningTasks) {
  weave::Options o = Quick(5);
  o.max_steps = 500;
  const weave::Result r = weave::explore(o, [] {
    weave::atomic<bool> stop{false, "stop"};
    auto spinner = weave::spawn("spinner", [&] {
      while (!stop.load()) weave::this_task::yield();  // nobody ever sets stop
    });
    spinner.join();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kLivelock);
  EXPECT_THAT(r.failure().message, HasSubstr("exceeded 500 scheduling steps"));
  EXPECT_THAT(r.failure().details, HasSubstr("'spinner'"));
}

TEST(FailureKinds, ASpinLoopThatEndsStaysWithinTheBudget) {
  weave::Options o = Quick(200);
  o.max_steps = 10'000;
  EXPECT_WEAVE_OK(o, [] {
    weave::atomic<bool> stop{false, "stop"};
    auto spinner = weave::spawn("spinner", [&] {
      while (!stop.load()) weave::this_task::yield();
    });
    stop.store(true);
    spinner.join();
  });
}

TEST(FailureKinds, TasksAliveWhenTheBodyReturnsAreLeaks) {
  const weave::Result r = weave::explore(Quick(20), [] {
    // The leaked task blocks forever on a channel that nobody sends to.
    auto ch = std::make_shared<weave::channel<int>>(1, "never");
    weave::spawn("forgotten", [ch] { ch->receive(); }).detach();
    weave::this_task::yield();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kLeakedTask);
  EXPECT_THAT(r.failure().details, HasSubstr("'forgotten'"));
}

TEST(FailureKinds, DetachedTasksThatFinishAreNotLeaks) {
  EXPECT_WEAVE_OK(Quick(100), [] {
    weave::latch done{1, "done"};
    weave::spawn("detached", [&] { done.count_down(); }).detach();
    done.wait();
    weave::this_task::yield();
  });
}

TEST(FailureKinds, EveryKindHasAStableName) {
  for (FailureKind k :
       {FailureKind::kAssertion, FailureKind::kUncaughtException, FailureKind::kDeadlock,
        FailureKind::kLivelock, FailureKind::kLeakedTask, FailureKind::kMisuse,
        FailureKind::kNondeterminism, FailureKind::kDataRace, FailureKind::kPotentialDeadlock,
        FailureKind::kCrash, FailureKind::kStall}) {
    const std::string_view name = weave::FailureKindName(k);
    EXPECT_NE(name, "unknown");
    EXPECT_EQ(weave::ParseFailureKind(name), k);
  }
  EXPECT_EQ(weave::ParseFailureKind("exploded"), std::nullopt);
}

TEST(FailureKinds, TheReportListsEveryTaskWithWhatItWasDoing) {
  // The real deadlock (the lock-order detector would report the inversion first).
  const weave::Result r = weave::explore(weave_test::WithoutLockOrderDetection(Quick(50)), [] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    auto t1 = weave::spawn("ab", [&] {
      std::scoped_lock l1(a);
      std::scoped_lock l2(b);
    });
    auto t2 = weave::spawn("ba", [&] {
      b.lock();
      a.lock();
      a.unlock();
      b.unlock();
    });
    t1.join();
    t2.join();
  });
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.failure().kind, FailureKind::kDeadlock);
  EXPECT_THAT(r.failure().details, HasSubstr("wait-for graph"));
  EXPECT_THAT(r.failure().details, HasSubstr("held by task"));
  ASSERT_EQ(r.failure().tasks.size(), 3u);
  EXPECT_EQ(r.failure().tasks[0].name, "main");
  EXPECT_THAT(r.failure().tasks[0].state, HasSubstr("blocked joining task"));
  EXPECT_THAT(r.failure().tasks[1].state, HasSubstr("blocked in lock on mutex"));
  // The cycle, and each blocked task's native stack, captured where it blocked: its own lambda
  // in this file (the frames inside weave are hidden).
  EXPECT_THAT(r.failure().message, HasSubstr("wait-for cycle"));
  EXPECT_THAT(r.failure().details, testing::ContainsRegex("cycle: task [12] '(ab|ba)' -> lock"));
  for (std::size_t i = 1; i < 3; ++i) {
    const std::vector<weave::StackFrame>& stack = r.failure().tasks[i].stack;
    ASSERT_FALSE(stack.empty()) << "task " << i << " has no stack";
    // The lambda, by its mangled name's demangling, or, where an optimized build inlined it,
    // by DWARF's name for it.
    EXPECT_THAT(stack[0].function,
                testing::AnyOf(HasSubstr("TheReportListsEveryTaskWithWhatItWasDoing"),
                               HasSubstr("operator()")));
    EXPECT_THAT(stack[0].where.file, HasSubstr("explore_test.cpp"));
    EXPECT_GT(stack[0].where.line, 0);
    for (const weave::StackFrame& frame : stack) {
      EXPECT_THAT(frame.function, testing::Not(HasSubstr("weave::detail::")));
    }
  }
  EXPECT_FALSE(r.failure().tasks[0].stack.empty()) << "the body's stack";
}

}  // namespace

// --- teardown: which tasks are unwound (destructors run) and which are abandoned --------------

namespace teardown {

int g_destroyed = 0;  // Witness destructors that ran
struct Witness {
  ~Witness() { ++g_destroyed; }
};

weave::Options Once() {
  weave::Options o;
  o.iterations = 1;
  o.strategy = weave::Strategy::RoundRobin();
  o.out_dir = ::testing::TempDir() + "weave_explore_test";
  o.minimize = false;  // the tests count destructors: no runs after the failing one
  return o;
}

TEST(Teardown, AFailureWhileTheBodyRunsUnwindsTheOtherTasks) {
  g_destroyed = 0;
  weave::Options o = Once();
  o.trace = weave::TraceMode::kOff;  // one run, not a second one for the trace
  const weave::Result r = weave::explore(o, [] {
    weave::channel<int> never{1, "never"};
    auto t = weave::spawn("blocked", [&] {
      Witness w;
      never.receive();
    });
    weave::this_task::yield();  // let it block
    weave::check(false, "fail while the task is blocked");
    weave::this_task::yield();
    t.join();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(g_destroyed, 1) << "the blocked task's destructors must run, while its channel exists";
}

TEST(Teardown, TasksLeakedPastTheBodysEndAreAbandonedNotUnwound) {
  g_destroyed = 0;
  const weave::Result r = weave::explore(Once(), [] {
    auto ch = std::make_shared<weave::channel<int>>(1, "never");
    weave::spawn("leaked", [ch] {
      Witness w;
      ch->receive();
    }).detach();
    weave::this_task::yield();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, weave::FailureKind::kLeakedTask);
  EXPECT_EQ(g_destroyed, 0) << "unwinding after the body returned could touch its dead locals";
}

TEST(Teardown, TasksAliveWhenAnExceptionLeavesTheBodyAreAbandonedNotUnwound) {
  g_destroyed = 0;
  const weave::Result r = weave::explore(Once(), [] {
    auto ch = std::make_shared<weave::channel<int>>(1, "never");
    weave::spawn("left behind", [ch] {
      Witness w;
      ch->receive();
    }).detach();
    weave::this_task::yield();
    throw std::runtime_error("body gives up");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, weave::FailureKind::kUncaughtException);
  EXPECT_EQ(g_destroyed, 0);
}

}  // namespace teardown
