// weave::clock and weave::this_task: virtual time that jumps to the next timer when every task is
// blocked (autojump), sleeps, yield, and the running task's id and name.
#include <chrono>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::ElementsAre;
using weave::FailureKind;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

static_assert(std::chrono::is_clock_v<weave::clock>);

TEST(Clock, EveryRunStartsAtZero) {
  int runs = 0;
  EXPECT_WEAVE_OK(Runs(5), [&] {
    EXPECT_EQ(Now(), 0);
    weave::this_task::sleep_for(1h);  // a clock carried over would start the next run at 1h
    ++runs;
  });
  EXPECT_EQ(runs, 5);
}

TEST(Clock, TimeStandsStillWhileTasksRun) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::this_task::sleep_for(5s);
    auto busy = weave::spawn("busy", [] {
      for (int i = 0; i < 100; ++i) weave::this_task::yield();
    });
    busy.join();
    EXPECT_EQ(Now(), Ns(5s));
  });
}

TEST(Clock, SleepingADayAdvancesTheClockByExactlyADay) {
  EXPECT_WEAVE_OK(Runs(10), [] {
    weave::this_task::sleep_for(1500ms);
    const std::int64_t t0 = Now();
    weave::this_task::sleep_for(24h);
    EXPECT_EQ(Now() - t0, Ns(24h));
  });
}

TEST(Clock, SleepUntilWakesAtExactlyTheTimePoint) {
  EXPECT_WEAVE_OK(Runs(10), [] {
    const weave::clock::time_point deadline = weave::clock::now() + 30s;
    weave::this_task::sleep_until(deadline);
    EXPECT_EQ(weave::clock::now(), deadline);
  });
}

TEST(Clock, SleepUntilAPastTimePointAndSleepForZeroDoNotWait) {
  EXPECT_WEAVE_OK(Runs(10), [] {
    weave::this_task::sleep_for(1h);
    weave::this_task::sleep_until(weave::clock::time_point(1s));
    weave::this_task::sleep_for(0s);
    weave::this_task::sleep_for(-5s);
    EXPECT_EQ(Now(), Ns(1h));
  });
}

TEST(Clock, SleepsOfDifferentTasksOverlap) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    std::int64_t a_woke = -1;
    auto a = weave::spawn("a", [&] {
      weave::this_task::sleep_for(1s);
      a_woke = Now();
    });
    auto b = weave::spawn("b", [] { weave::this_task::sleep_for(2s); });
    a.join();
    b.join();
    EXPECT_EQ(a_woke, Ns(1s));
    EXPECT_EQ(Now(), Ns(2s));  // not 3s: both slept at once
  });
}

// Tasks "a" and "b" sleep until the given instants; returns the order in which they woke.
std::string WakeOrder(weave::clock::duration a_until, weave::clock::duration b_until) {
  std::string order;
  auto a = weave::spawn("a", [&] {
    weave::this_task::sleep_until(weave::clock::time_point(a_until));
    order += 'a';
  });
  auto b = weave::spawn("b", [&] {
    weave::this_task::sleep_until(weave::clock::time_point(b_until));
    order += 'b';
  });
  a.join();
  b.join();
  return order;
}

TEST(Clock, TheEarlierTimerAlwaysFiresFirst) {
  std::set<std::string> orders;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(300), [&] { orders.insert(WakeOrder(2s, 1s)); });
  EXPECT_THAT(orders, ElementsAre("ba"));
}

TEST(Clock, TimersDueAtTheSameInstantWakeInAnOrderTheStrategyChooses) {
  std::set<std::string> orders;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(300), [&] { orders.insert(WakeOrder(1s, 1s)); });
  EXPECT_THAT(orders, ElementsAre("ab", "ba"));
}

TEST(Clock, TheClockDoesNotJumpWhileATaskCanStillRun) {
  // Busy-waiting for a sleeping task never lets its timer fire: autojump needs every task blocked.
  weave::Options o = Runs(1);
  o.max_steps = 10'000;
  EXPECT_WEAVE_FAILURE(FailureKind::kLivelock, o, [] {
    weave::atomic<bool> done{false, "done"};
    auto sleeper = weave::spawn("sleeper", [&] {
      weave::this_task::sleep_for(1s);
      done = true;
    });
    while (!done.load()) weave::this_task::yield();
    sleeper.join();
  });
}

TEST(ThisTask, YieldLetsAnotherTaskRunInBetween) {
  std::set<std::string> traces;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(300), [&] {
    std::string trace;
    auto step_twice = [&](char who) {
      return [&, who] {
        trace += who;
        weave::this_task::yield();
        trace += who;
      };
    };
    auto a = weave::spawn("a", step_twice('a'));
    auto b = weave::spawn("b", step_twice('b'));
    a.join();
    b.join();
    traces.insert(trace);
  });
  EXPECT_THAT(traces, Contains("abab"));
  EXPECT_THAT(traces, Contains("aabb"));
}

TEST(ThisTask, IdAndNameIdentifyTheRunningTask) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    EXPECT_EQ(weave::this_task::id(), 0);
    EXPECT_EQ(weave::this_task::name(), "main");
    weave::TaskId seen_id = weave::kNoTask;
    std::string seen_name;
    auto t = weave::spawn("worker", [&] {
      seen_id = weave::this_task::id();
      seen_name = weave::this_task::name();
    });
    const weave::TaskId expected = t.id();
    t.join();
    EXPECT_EQ(seen_id, expected);
    EXPECT_EQ(seen_id, 1);
    EXPECT_EQ(seen_name, "worker");
  });
}

TEST(Clock, OutsideASimulationTheClockIsRealAndTasksCannotSleep) {
  const auto before = std::chrono::steady_clock::now().time_since_epoch();
  const auto now = weave::clock::now().time_since_epoch();
  const auto after = std::chrono::steady_clock::now().time_since_epoch();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
  EXPECT_EQ(weave::this_task::id(), weave::kNoTask);
  EXPECT_EQ(weave::this_task::name(), "");
  EXPECT_THROW(weave::this_task::sleep_for(1s), std::logic_error);
  EXPECT_THROW(weave::this_task::sleep_until(weave::clock::time_point(1s)), std::logic_error);
}

TEST(Clock, SleepingForTheLongestDurationSaturatesInsteadOfOverflowing) {
  // hours::max() is far beyond what int64 nanoseconds hold: it means "forever", and a task asleep
  // forever with nothing else to run is a deadlock.
  EXPECT_WEAVE_FAILURE(FailureKind::kDeadlock, Runs(1),
                       [] { weave::this_task::sleep_for(std::chrono::hours::max()); });
}

}  // namespace
