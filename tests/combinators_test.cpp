// Combinators and structured concurrency: when_all, when_any, task_group and with_task_group.
// Every child is a weave task of its own, so these tests run under many schedules.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

constexpr std::int64_t kNever = -1;

weave::task<int> ValueAfter(std::chrono::nanoseconds d, int value) {
  co_await weave::sleep_for(d);
  co_return value;
}

weave::task<> Sleep(std::chrono::nanoseconds d) { co_await weave::sleep_for(d); }

weave::task<> FailAfter(std::chrono::nanoseconds d, std::string what) {
  co_await weave::sleep_for(d);
  throw std::runtime_error(what);
}

// Sleeps for `d`; if cancelled, notes the virtual time in *cancelled_at and lets the
// cancellation propagate, as a well-behaved child does.
weave::task<> SleepNotingCancel(std::chrono::nanoseconds d, std::int64_t* cancelled_at) {
  try {
    co_await weave::sleep_for(d);
  } catch (const weave::task_cancelled&) {
    *cancelled_at = Now();
    throw;
  }
}

weave::task<int> SleepNotingCancelInt(std::chrono::nanoseconds d, std::int64_t* cancelled_at) {
  co_await SleepNotingCancel(d, cancelled_at);
  co_return 0;
}

// Fails after `d`; if cancelled first, fails with "<what> after cancel" instead: a second error
// that must not replace the first one.
weave::task<> FailAfterOrWhenCancelled(std::chrono::nanoseconds d, std::string what) {
  bool cancelled = false;
  try {
    co_await weave::sleep_for(d);
  } catch (const weave::task_cancelled&) {
    cancelled = true;
  }
  throw std::runtime_error(cancelled ? what + " after cancel" : what);
}

weave::task<std::string> MyTaskName() {
  co_await weave::yield();
  co_return weave::this_task::name();
}

// Message of the exception `t` ends with ("" if none).
template <class T>
std::string ErrorOf(weave::task<T> t) {
  try {
    weave::sync_wait(std::move(t));
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// --- when_all -------------------------------------------------------------------------------

TEST(WhenAll, GivesEveryResultInArgumentOrder) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    auto text = []() -> weave::task<std::string> {
      co_await weave::yield();
      co_return "two";
    };
    auto nothing = []() -> weave::task<> { co_await weave::yield(); };
    auto [a, b, c] = weave::sync_wait(weave::when_all(ValueAfter(2s, 1), text(), nothing()));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, "two");
    EXPECT_EQ(c, std::monostate{});
    EXPECT_EQ(weave::sync_wait(weave::when_all()), std::tuple<>());
  });
}

TEST(WhenAll, ChildrenRunConcurrentlySoItTakesTheLongestChildNotTheSum) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    auto r =
        weave::sync_wait(weave::when_all(ValueAfter(1s, 1), ValueAfter(3s, 3), ValueAfter(2s, 2)));
    EXPECT_EQ(r, std::make_tuple(1, 3, 2));
    EXPECT_EQ(Now(), Ns(3s)) << "the children slept one after the other";
  });
}

TEST(WhenAll, EachChildIsATaskOfItsOwnNamedByItsIndex) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    auto parent = []() -> weave::task<> {
      auto [first, second] = co_await weave::when_all(MyTaskName(), MyTaskName());
      EXPECT_EQ(first, "when_all[0]");
      EXPECT_EQ(second, "when_all[1]");
      EXPECT_EQ(weave::this_task::name(), "parent");
    };
    weave::co_spawn("parent", parent()).join();
  });
}

TEST(WhenAll, TheSchedulerInterleavesTheChildren) {
  std::set<std::string> orders;
  EXPECT_WEAVE_OK(Runs(300), [&] {
    std::string log;
    auto step = [&](char first, char second) -> weave::task<> {
      log += first;
      co_await weave::yield();
      log += second;
    };
    weave::sync_wait(weave::when_all(step('a', 'A'), step('b', 'B')));
    EXPECT_EQ(log.size(), 4u);
    orders.insert(log);
  });
  // Awaited one after the other, the log would always be "aAbB".
  EXPECT_GT(orders.size(), 1u);
  EXPECT_TRUE(
      orders.count("abAB") + orders.count("abBA") + orders.count("baAB") + orders.count("baBA") > 0)
      << "no schedule interleaved the two children";
}

TEST(WhenAll, AFailingChildCancelsTheOthersAndItsErrorPropagates) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at = kNever;
    const std::string error =
        ErrorOf(weave::when_all(SleepNotingCancelInt(1h, &cancelled_at), FailAfter(1s, "boom")));
    EXPECT_EQ(error, "boom");
    EXPECT_EQ(cancelled_at, Ns(1s)) << "the sleeper was not cancelled when its sibling failed";
    EXPECT_EQ(Now(), Ns(1s)) << "when_all waited for the hour-long sleeper";
  });
}

TEST(WhenAll, TheFirstErrorInCompletionOrderWinsNotTheFirstArgument) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    EXPECT_EQ(ErrorOf(weave::when_all(FailAfterOrWhenCancelled(2s, "late"),
                                      FailAfterOrWhenCancelled(1s, "early"))),
              "early");
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(WhenAll, ItWaitsForEveryChildEvenAfterAFailure) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::shared<int> cleanup_steps{0, "cleanup_steps"};
    // On cancellation it cleans up in three steps, each a scheduling point (not an await, so
    // not interrupted again): when_all must not return before they are done.
    auto slow = [&]() -> weave::task<int> {
      try {
        co_await weave::sleep_for(1h);
      } catch (const weave::task_cancelled&) {
        for (int i = 0; i < 3; ++i) cleanup_steps = cleanup_steps + 1;
        throw;
      }
      co_return 1;
    };
    EXPECT_EQ(ErrorOf(weave::when_all(slow(), FailAfter(0s, "boom"))), "boom");
    EXPECT_EQ(cleanup_steps.load(), 3);
  });
}

TEST(WhenAll, CancellationIsCheckedAtEveryAwait) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    int spins = 0;
    bool stopped = false;
    auto spinner = [&]() -> weave::task<> {
      try {
        for (;;) {
          co_await weave::yield();
          ++spins;
        }
      } catch (const weave::task_cancelled&) {
        stopped = true;
        throw;
      }
    };
    auto quitter = []() -> weave::task<> {
      for (int i = 0; i < 3; ++i) co_await weave::yield();
      throw std::runtime_error("quit");
    };
    EXPECT_EQ(ErrorOf(weave::when_all(spinner(), quitter())), "quit");
    EXPECT_TRUE(stopped);
    const int spins_at_end = spins;
    weave::this_task::sleep_for(1s);
    EXPECT_EQ(spins, spins_at_end) << "the spinner went on after when_all returned";
  });
}

TEST(WhenAll, TheVectorFormGivesTheResultsInOrder) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    std::vector<weave::task<int>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(ValueAfter(std::chrono::seconds(4 - i), i * 10));
    const std::vector<int> got = weave::sync_wait(weave::when_all(std::move(tasks)));
    EXPECT_EQ(got, (std::vector<int>{0, 10, 20, 30}));
    EXPECT_EQ(Now(), Ns(4s));
  });
}

TEST(WhenAll, TheVectorFormOfVoidTasksWaitsForAllOfThem) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    int done = 0;
    auto work = [&](std::chrono::nanoseconds d) -> weave::task<> {
      co_await weave::sleep_for(d);
      ++done;
    };
    std::vector<weave::task<>> tasks;
    tasks.push_back(work(1s));
    tasks.push_back(work(2s));
    tasks.push_back(work(1s));
    weave::sync_wait(weave::when_all(std::move(tasks)));
    EXPECT_EQ(done, 3);
    EXPECT_EQ(Now(), Ns(2s));
    // Nothing to wait for: done at once.
    EXPECT_TRUE(weave::sync_wait(weave::when_all(std::vector<weave::task<int>>{})).empty());
  });
}

TEST(WhenAll, AFailingChildInTheVectorFormCancelsTheRest) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    std::int64_t cancelled_at[2] = {kNever, kNever};
    std::vector<weave::task<>> tasks;
    tasks.push_back(SleepNotingCancel(1h, &cancelled_at[0]));
    tasks.push_back(FailAfter(2s, "boom"));
    tasks.push_back(SleepNotingCancel(1h, &cancelled_at[1]));
    EXPECT_EQ(ErrorOf(weave::when_all(std::move(tasks))), "boom");
    EXPECT_EQ(cancelled_at[0], Ns(2s));
    EXPECT_EQ(cancelled_at[1], Ns(2s));
  });
}

// --- when_any -------------------------------------------------------------------------------

TEST(WhenAny, TheFastestChildWinsAndTheOthersAreCancelled) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at = kNever;
    auto r = weave::sync_wait(weave::when_any(SleepNotingCancel(1h, &cancelled_at),
                                              ValueAfter(1s, 7), ValueAfter(2s, 8)));
    EXPECT_EQ(r.index, 1u);
    ASSERT_EQ(r.value.index(), 1u);
    EXPECT_EQ(std::get<1>(r.value), 7);
    EXPECT_EQ(cancelled_at, Ns(1s));
    EXPECT_EQ(Now(), Ns(1s)) << "when_any waited for the losers to finish on their own";
  });
}

TEST(WhenAny, AWinnerThatThrowsIsRethrown) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at = kNever;
    EXPECT_EQ(ErrorOf(weave::when_any(SleepNotingCancel(1h, &cancelled_at), FailAfter(1s, "boom"))),
              "boom");
    EXPECT_EQ(cancelled_at, Ns(1s));
  });
}

TEST(WhenAny, ALoserFailingAfterTheRaceIsDecidedDoesNotChangeTheOutcome) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    auto r =
        weave::sync_wait(weave::when_any(FailAfterOrWhenCancelled(1h, "loser"), ValueAfter(1s, 5)));
    EXPECT_EQ(r.index, 1u);
    EXPECT_EQ(std::get<1>(r.value), 5);
  });
}

TEST(WhenAny, WhichChildWinsATieIsExploredAcrossSchedules) {
  std::set<std::size_t> winners;
  EXPECT_WEAVE_OK(Runs(300), [&] {
    auto racer = [](int id) -> weave::task<int> {
      co_await weave::yield();
      co_return id;
    };
    auto r = weave::sync_wait(weave::when_any(racer(0), racer(1)));
    EXPECT_EQ(static_cast<std::size_t>(std::visit([](int v) { return v; }, r.value)), r.index);
    winners.insert(r.index);
  });
  EXPECT_EQ(winners, (std::set<std::size_t>{0, 1}));
}

TEST(WhenAny, TheVectorFormGivesTheWinnersIndexAndValue) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    std::vector<weave::task<int>> tasks;
    tasks.push_back(ValueAfter(3s, 30));
    tasks.push_back(ValueAfter(1s, 10));
    tasks.push_back(ValueAfter(2s, 20));
    const auto [index, value] = weave::sync_wait(weave::when_any(std::move(tasks)));
    EXPECT_EQ(index, 1u);
    EXPECT_EQ(value, 10);
    EXPECT_EQ(Now(), Ns(1s));

    std::int64_t cancelled_at = kNever;
    std::vector<weave::task<>> voids;
    voids.push_back(SleepNotingCancel(1h, &cancelled_at));
    voids.push_back(Sleep(1s));
    EXPECT_EQ(weave::sync_wait(weave::when_any(std::move(voids))), 1u);
    EXPECT_EQ(cancelled_at, Ns(2s));
  });
}

TEST(WhenAny, AnEmptyVectorIsRejected) {
  EXPECT_WEAVE_OK(Runs(3), [] {
    EXPECT_THROW(weave::sync_wait(weave::when_any(std::vector<weave::task<int>>{})),
                 std::invalid_argument);
  });
}

// --- task_group -----------------------------------------------------------------------------

TEST(TaskGroup, WaitReturnsOnlyAfterEveryChildHasEnded) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    int done = 0;
    auto work = [&](std::chrono::nanoseconds d) -> weave::task<> {
      co_await weave::sleep_for(d);
      ++done;
    };
    auto scope = [&]() -> weave::task<> {
      weave::task_group group("workers");
      group.spawn("w1", work(1s));
      group.spawn("w3", work(3s));
      group.spawn("w2", work(2s));
      co_await group.wait();
      EXPECT_EQ(done, 3);
      EXPECT_EQ(Now(), Ns(3s));
    };
    weave::co_spawn("scope", scope()).join();
  });
}

TEST(TaskGroup, AChildCanSpawnMoreChildrenIntoItsGroup) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    bool grandchild_done = false;
    weave::task_group group("tree");
    auto grandchild = [&]() -> weave::task<> {
      co_await weave::sleep_for(5s);
      grandchild_done = true;
    };
    auto child = [&]() -> weave::task<> {
      co_await weave::sleep_for(1s);
      group.spawn("grandchild", grandchild());
    };
    group.spawn("child", child());
    weave::sync_wait(group.wait());
    EXPECT_TRUE(grandchild_done);
    EXPECT_EQ(Now(), Ns(6s));
  });
}

TEST(TaskGroup, AFailingChildCancelsTheOthersAtOnceNotWhenTheGroupIsWaitedFor) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at = kNever;
    weave::task_group group("g");
    group.spawn("sleeper", SleepNotingCancel(1h, &cancelled_at));
    group.spawn("failer", FailAfter(1s, "boom"));
    weave::this_task::sleep_for(10s);  // the body gets to join() late
    EXPECT_EQ(cancelled_at, Ns(1s));
    try {
      group.join();
      ADD_FAILURE() << "join() did not rethrow the child's error";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "boom");
    }
    EXPECT_EQ(Now(), Ns(10s));
  });
}

TEST(TaskGroup, TheFirstErrorPropagatesAndLaterOnesAreDropped) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    auto scope = []() -> weave::task<> {
      weave::task_group group;
      group.spawn("late", FailAfterOrWhenCancelled(3s, "late"));
      group.spawn("early", FailAfterOrWhenCancelled(2s, "early"));
      group.spawn("middle", FailAfterOrWhenCancelled(2500ms, "middle"));
      co_await group.wait();
    };
    EXPECT_EQ(ErrorOf(scope()), "early");
    EXPECT_EQ(Now(), Ns(2s));
  });
}

TEST(TaskGroup, CancelStopsEveryChildAndWaitThenReturnsNormally) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at[2] = {kNever, kNever};
    weave::task_group group("g");
    group.spawn("a", SleepNotingCancel(1h, &cancelled_at[0]));
    group.spawn("b", SleepNotingCancel(2h, &cancelled_at[1]));
    weave::this_task::sleep_for(1s);
    group.cancel();
    EXPECT_TRUE(group.cancelled());
    EXPECT_NO_THROW(group.join());
    EXPECT_EQ(cancelled_at[0], Ns(1s));
    EXPECT_EQ(cancelled_at[1], Ns(1s));
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(TaskGroup, AChildSpawnedIntoACancelledGroupIsCancelledAsItStarts) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    std::int64_t cancelled_at = kNever;
    weave::task_group group("g");
    group.cancel();
    group.spawn("late", SleepNotingCancel(1h, &cancelled_at));
    group.join();
    EXPECT_EQ(cancelled_at, 0);
    EXPECT_EQ(Now(), 0);
  });
}

TEST(TaskGroup, CancellingTheWaitingTaskCancelsTheChildrenAndStillWaitsForThem) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::shared<int> cleanup_steps[2] = {{0, "cleanup1"}, {0, "cleanup2"}};
    int steps_seen_by_waiter = -1;
    auto child = [&](weave::shared<int>& steps) -> weave::task<> {
      try {
        co_await weave::sleep_for(1h);
      } catch (const weave::task_cancelled&) {
        // Cleanup in three scheduling points: other tasks run in between.
        for (int i = 0; i < 3; ++i) steps = steps + 1;
        throw;
      }
    };
    auto waiter = [&]() -> weave::task<> {
      weave::task_group group("g");
      group.spawn("child1", child(cleanup_steps[0]));
      group.spawn("child2", child(cleanup_steps[1]));
      try {
        co_await group.wait();
      } catch (const weave::task_cancelled&) {
        steps_seen_by_waiter = cleanup_steps[0].load() + cleanup_steps[1].load();
        throw;
      }
    };
    auto h = weave::co_spawn("waiter", waiter());
    weave::this_task::sleep_for(1s);
    h.cancel();
    EXPECT_THROW(h.join(), weave::task_cancelled);
    EXPECT_EQ(steps_seen_by_waiter, 6) << "wait() ended before its children did";
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(TaskGroup, AChildLoopingOnYieldStopsWhenTheGroupIsCancelled) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    int spins = 0;
    auto spinner = [&]() -> weave::task<> {
      for (;;) {
        co_await weave::yield();
        ++spins;
      }
    };
    weave::task_group group("g");
    group.spawn("spinner", spinner());
    for (int i = 0; i < 5; ++i) weave::this_task::yield();
    group.cancel();
    group.join();
    const int spins_at_end = spins;
    weave::this_task::sleep_for(1s);
    EXPECT_EQ(spins, spins_at_end);
  });
}

TEST(TaskGroup, CancellationReachesCombinatorsInsideAChild) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at[2] = {kNever, kNever};
    auto nested = [&]() -> weave::task<> {
      co_await weave::when_all(SleepNotingCancel(1h, &cancelled_at[0]),
                               SleepNotingCancel(2h, &cancelled_at[1]));
    };
    weave::task_group group("outer");
    group.spawn("nested", nested());
    group.spawn("failer", FailAfter(1s, "boom"));
    EXPECT_THROW(group.join(), std::runtime_error);
    EXPECT_EQ(cancelled_at[0], Ns(1s));
    EXPECT_EQ(cancelled_at[1], Ns(1s));
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(TaskGroup, FibersAndTheBodyJoinAGroupOfCoroutines) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    int done = 0;
    auto work = [&](std::chrono::nanoseconds d) -> weave::task<> {
      co_await weave::sleep_for(d);
      ++done;
    };
    weave::task_group first("first");
    first.spawn("a", work(1s));
    first.spawn("b", work(2s));
    weave::task_group second("second");
    second.spawn("c", work(3s));
    auto fiber = weave::spawn("fiber", [&] { second.join(); });
    first.join();
    EXPECT_GE(done, 2);
    fiber.join();
    EXPECT_EQ(done, 3);
    EXPECT_EQ(Now(), Ns(3s));
  });
}

TEST(TaskGroup, AGroupDestroyedWithoutWaitingIsReportedAsLeaked) {
  const weave::Failure f = FailureOf(FailureKind::kLeakedTask, Runs(50), [] {
    weave::task_group group("leaky");
    group.spawn("child", Sleep(1s));
  });
  EXPECT_THAT(f.message, HasSubstr("task_group 'leaky'"));
  EXPECT_THAT(f.message, HasSubstr("before its children were waited for"));
  EXPECT_THAT(f.details, HasSubstr("'child'"));
  EXPECT_THAT(f.where.file, HasSubstr("combinators_test.cpp"));
}

TEST(TaskGroup, AGroupInACoroutineThatForgetsToWaitIsReportedEvenIfTheChildrenEnded) {
  const weave::Failure f = FailureOf(FailureKind::kLeakedTask, Runs(50), [] {
    auto forgetful = []() -> weave::task<> {
      weave::task_group group("forgotten");
      group.spawn("quick", Sleep(0s));
      co_await weave::sleep_for(1s);  // the child has ended by now
    };
    weave::co_spawn("forgetful", forgetful()).join();
  });
  EXPECT_THAT(f.message, HasSubstr("task_group 'forgotten'"));
  EXPECT_THAT(f.details, HasSubstr("'quick' (finished)"));
}

TEST(TaskGroup, AGroupThatWasWaitedForIsNotReported) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    auto scope = []() -> weave::task<> {
      weave::task_group group("fine");
      group.spawn("a", Sleep(1s));
      group.spawn("b", Sleep(0s));
      co_await group.wait();
    };
    weave::co_spawn("scope", scope()).join();
    weave::task_group empty("empty");  // never used: nothing to report
  });
}

TEST(TaskGroup, AWaiterBlockedOnAStuckChildShowsInTheDeadlockReport) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(20), [] {
    weave::mutex m{"m"};
    auto stuck = [&]() -> weave::task<> { auto guard = co_await m.co_lock(); };
    std::unique_lock<weave::mutex> held(m);
    weave::task_group group("g");
    group.spawn("stuck", stuck());
    group.join();
  });
  EXPECT_THAT(f.details, HasSubstr("join of task"));
  EXPECT_THAT(f.details, HasSubstr("stuck"));
}

// --- with_task_group ------------------------------------------------------------------------

TEST(WithTaskGroup, TheScopeEndsAfterItsChildrenAndGivesTheBodysValue) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    int done = 0;
    auto work = [&](std::chrono::nanoseconds d) -> weave::task<> {
      co_await weave::sleep_for(d);
      ++done;
    };
    const int v =
        weave::sync_wait(weave::with_task_group([&](weave::task_group& g) -> weave::task<int> {
          g.spawn("a", work(1s));
          g.spawn("b", work(2s));
          co_return 42;
        }));
    EXPECT_EQ(v, 42);
    EXPECT_EQ(done, 2);
    EXPECT_EQ(Now(), Ns(2s));
  });
}

TEST(WithTaskGroup, AFailingBodyCancelsTheChildrenAndItsErrorPropagates) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at = kNever;
    const std::string error =
        ErrorOf(weave::with_task_group([&](weave::task_group& g) -> weave::task<> {
          g.spawn("sleeper", SleepNotingCancel(1h, &cancelled_at));
          co_await weave::sleep_for(1s);
          throw std::runtime_error("body failed");
        }));
    EXPECT_EQ(error, "body failed");
    EXPECT_EQ(cancelled_at, Ns(1s));
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(WithTaskGroup, AChildsEarlierErrorWinsOverTheBodysLaterOne) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    const std::string error =
        ErrorOf(weave::with_task_group([&](weave::task_group& g) -> weave::task<> {
          g.spawn("failer", FailAfter(1s, "child failed"));
          co_await weave::sleep_for(2s);  // not cancelled: the body is the scope's own code
          throw std::runtime_error("body failed");
        }));
    EXPECT_EQ(error, "child failed");
    EXPECT_EQ(Now(), Ns(2s));
  });
}

TEST(WithTaskGroup, ACancelledScopeCancelsItsChildrenBeforeItEnds) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    std::int64_t cancelled_at = kNever;
    bool body_went_on = false;
    auto scoped = [&]() -> weave::task<> {
      co_await weave::with_task_group([&](weave::task_group& g) -> weave::task<> {
        g.spawn("sleeper", SleepNotingCancel(1h, &cancelled_at));
        co_await weave::sleep_for(2h);  // cancelled here, before the scope waits
        body_went_on = true;
      });
    };
    auto h = weave::co_spawn("scoped", scoped());
    weave::this_task::sleep_for(1s);
    h.cancel();
    EXPECT_THROW(h.join(), weave::task_cancelled);
    EXPECT_FALSE(body_went_on);
    EXPECT_EQ(cancelled_at, Ns(1s));
    EXPECT_EQ(Now(), Ns(1s));
  });
}

}  // namespace
