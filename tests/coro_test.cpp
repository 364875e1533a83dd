// Coroutine tasks: weave::task<T>, co_spawn and task_handle, sync_wait, awaiting primitives,
// mixing with fibers, async stacks in reports, carriers, and the async mistakes weave reports.
#include "weave/coro.hpp"

#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/detail/coroutine_task.hpp"
#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

weave::task<int> Answer() { co_return 42; }

weave::task<int> AddLater(int a, int b) {
  co_await weave::sleep_for(1s);
  co_return a + b;
}

weave::task<int> Throws() {
  co_await weave::yield();
  throw std::runtime_error("boom");
}

TEST(Task, SyncWaitRunsATaskOnTheBodyAndGivesItsValue) {
  EXPECT_WEAVE_OK(Runs(5), [] { EXPECT_EQ(weave::sync_wait(Answer()), 42); });
}

TEST(Task, AwaitingANestedTaskGivesItsValueAndTakesVirtualTime) {
  EXPECT_WEAVE_OK(Runs(5), [] {
    auto outer = []() -> weave::task<int> {
      const int x = co_await AddLater(1, 2);
      const int y = co_await AddLater(x, 10);
      co_return y;
    };
    EXPECT_EQ(weave::sync_wait(outer()), 13);
    EXPECT_EQ(Now(), Ns(2s));
  });
}

TEST(Task, AnExceptionPropagatesToTheAwaiter) {
  EXPECT_WEAVE_OK(Runs(5), [] {
    auto outer = []() -> weave::task<std::string> {
      try {
        co_await Throws();
      } catch (const std::runtime_error& e) {
        co_return e.what();
      }
      co_return "no exception";
    };
    EXPECT_EQ(weave::sync_wait(outer()), "boom");
  });
}

TEST(Task, ALazyTaskDoesNothingUntilAwaited) {
  EXPECT_WEAVE_OK(Runs(3), [] {
    int runs = 0;
    auto count = [&]() -> weave::task<> {
      ++runs;
      co_return;
    };
    weave::task<> t = count();
    EXPECT_EQ(runs, 0);
    weave::sync_wait(std::move(t));
    EXPECT_EQ(runs, 1);
  });
}

// When a run stops while the body waits in a join, the joined task is unwound first and the join
// completes; a task torn down that way has no value, so the joiner is unwound too instead of
// getting an uninitialized one.
weave::task<int> SevenAfter(weave::event& e) {
  co_await e.co_wait();
  co_return 7;
}

TEST(CoSpawn, AJoinOfATaskTornDownWithItsRunGivesNoValue) {
  // Gtest failures raised while a run is torn down are not reported: count the returns instead.
  int returned = 0;
  const weave::Failure f = FailureOf(FailureKind::kAssertion, Runs(20), [&] {
    weave::event never("never");
    auto h = weave::co_spawn("stuck", SevenAfter(never));
    auto checker = weave::spawn("checker", [] { weave::check(false, "boom"); });
    (void)h.join();  // waiting here, or reaching it, when the checker fails
    ++returned;
    checker.join();
  });
  EXPECT_THAT(f.message, HasSubstr("boom"));
  EXPECT_EQ(returned, 0) << "a join of a torn-down task returned a value it never produced";
}

TEST(CoSpawn, SpawnedTasksRunConcurrentlyAndJoinGivesTheirResults) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    auto a = weave::co_spawn("a", AddLater(1, 1));
    auto b = weave::co_spawn("b", AddLater(2, 2));
    EXPECT_EQ(a.join(), 2);
    EXPECT_EQ(b.join(), 4);
    EXPECT_EQ(Now(), Ns(1s)) << "both slept concurrently";
  });
}

TEST(CoSpawn, ACoroutineAwaitsAnotherTasksHandle) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    auto parent = []() -> weave::task<int> {
      auto child = weave::co_spawn("child", AddLater(20, 22));
      co_return co_await child;
    };
    auto h = weave::co_spawn("parent", parent());
    EXPECT_EQ(h.join(), 42);
  });
}

TEST(CoSpawn, JoinRethrowsTheTasksException) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    auto h = weave::co_spawn("thrower", Throws());
    EXPECT_THROW(h.join(), std::runtime_error);
  });
}

TEST(CoSpawn, AFiberJoinsACoroutineTask) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    int got = 0;
    auto h = weave::co_spawn("co", AddLater(3, 4));
    auto f = weave::spawn("fiber", [&] { got = h.join(); });
    f.join();
    EXPECT_EQ(got, 7);
  });
}

// Two coroutines increment a counter, awaiting between read and write.
void IncrementAcrossAnAwait(bool use_lock) {
  weave::mutex m{"m"};
  int counter = 0;
  auto work = [&]() -> weave::task<> {
    for (int i = 0; i < 2; ++i) {
      std::unique_lock<weave::mutex> guard;
      if (use_lock) guard = co_await m.co_lock();
      const int seen = counter;
      co_await weave::yield();
      counter = seen + 1;
    }
  };
  auto a = weave::co_spawn("a", work());
  auto b = weave::co_spawn("b", work());
  a.join();
  b.join();
  weave::check(counter == 4, "lost update");
}

TEST(CoroutineMutex, CoLockKeepsTheCriticalSectionWholeAcrossAwaits) {
  EXPECT_WEAVE_OK(Runs(1000), [] { IncrementAcrossAnAwait(/*use_lock=*/true); });
}

TEST(CoroutineMutex, WithoutTheLockAnUpdateIsLost) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, Runs(1000),
                       [] { IncrementAcrossAnAwait(/*use_lock=*/false); });
}

TEST(CoroutineMutex, ACoroutineAndAFiberExcludeEachOtherOnOneMutex) {
  EXPECT_WEAVE_OK(Runs(1000), [] {
    weave::mutex m{"m"};
    int inside = 0;
    int entries = 0;
    auto co = [&]() -> weave::task<> {
      for (int i = 0; i < 3; ++i) {
        auto guard = co_await m.co_lock();
        EXPECT_EQ(++inside, 1);
        co_await weave::yield();
        --inside;
        ++entries;
      }
    };
    auto h = weave::co_spawn("co", co());
    auto f = weave::spawn("fiber", [&] {
      for (int i = 0; i < 3; ++i) {
        std::scoped_lock lock(m);
        EXPECT_EQ(++inside, 1);
        weave::this_task::yield();
        --inside;
        ++entries;
      }
    });
    h.join();
    f.join();
    EXPECT_EQ(entries, 6);
  });
}

TEST(CoroutineMutex, TryLockForTimesOutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    weave::timed_mutex m{"m"};
    auto holder = weave::co_spawn("holder", [](weave::timed_mutex& m) -> weave::task<> {
      auto guard = co_await m.co_try_lock_for(1s);
      co_await weave::sleep_for(10s);
    }(m));
    auto waiter = [](weave::timed_mutex& m) -> weave::task<bool> {
      co_await weave::sleep_for(1s);
      auto guard = co_await m.co_try_lock_for(2s);
      co_return guard.owns_lock();
    };
    EXPECT_FALSE(weave::sync_wait(waiter(m)));
    EXPECT_EQ(Now(), Ns(3s));
    holder.join();
  });
}

TEST(CoSpawn, ATaskCancelledBeforeAwaitingAHandleCanStillJoinIt) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    auto parent = []() -> weave::task<int> {
      auto child = weave::co_spawn("child", AddLater(1, 2));
      try {
        co_await weave::sleep_for(2s);
      } catch (const weave::task_cancelled&) {
      }
      try {
        co_await child;  // cancelled: throws before joining
      } catch (const weave::task_cancelled&) {
      }
      EXPECT_TRUE(child.joinable());
      co_return child.join();  // the handle was not consumed
    };
    auto h = weave::co_spawn("parent", parent());
    weave::this_task::sleep_for(1s);
    h.cancel();
    EXPECT_EQ(h.join(), 3);
  });
}

TEST(CoSpawn, ATaskCancelledWhileAwaitingAHandleCanStillJoinIt) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    auto parent = []() -> weave::task<std::string> {
      auto child = weave::co_spawn("child", []() -> weave::task<int> {
        co_await weave::sleep_for(3s);
        throw std::runtime_error("child failed");
      }());
      try {
        co_await child;  // cancelled while waiting here
      } catch (const weave::task_cancelled&) {
      }
      try {
        child.join();
      } catch (const std::runtime_error& e) {
        co_return e.what();  // the child's exception was retrieved, not lost
      }
      co_return "no exception";
    };
    auto h = weave::co_spawn("parent", parent());
    weave::this_task::sleep_for(1s);
    h.cancel();
    EXPECT_EQ(h.join(), "child failed");
  });
}

weave::task<> LockBoth(weave::mutex& first, weave::mutex& second) {
  auto a = co_await first.co_lock();
  co_await weave::yield();
  auto b = co_await second.co_lock();
}

TEST(AsyncStacks, ADeadlockBetweenTwoCoroutinesPrintsBothAsyncStacks) {
  const weave::Failure f =
      FailureOf(FailureKind::kDeadlock, weave_test::WithoutLockOrderDetection(Runs(500)), [] {
        weave::mutex x{"x"};
        weave::mutex y{"y"};
        auto a = weave::co_spawn("a", LockBoth(x, y));
        auto b = weave::co_spawn("b", LockBoth(y, x));
        a.join();
        b.join();
      });
  std::ostringstream report;
  report << f;
  const std::string text = report.str();
  EXPECT_THAT(text, HasSubstr("LockBoth at "));
  EXPECT_THAT(text, HasSubstr("coro_test.cpp:"));
  int stacks = 0;
  for (const weave::TaskSnapshot& t : f.tasks) {
    if (t.name != "a" && t.name != "b") continue;
    ASSERT_FALSE(t.stack.empty()) << text;
    EXPECT_EQ(t.stack[0].function, "LockBoth") << text;
    EXPECT_THAT(t.stack[0].where.file, HasSubstr("coro_test.cpp"));
    ++stacks;
  }
  EXPECT_EQ(stacks, 2) << text;
}

weave::task<std::string> InnermostStack() {
  co_await weave::yield();
  std::ostringstream out;
  out << weave::this_task::stack();
  co_return out.str();
}

weave::task<std::string> OuterStack() { co_return co_await InnermostStack(); }

TEST(AsyncStacks, ACoroutineTaskPrintsItsOwnLogicalStack) {
  EXPECT_WEAVE_OK(Runs(5), [] {
    const std::string stack = weave::co_spawn("printer", OuterStack()).join();
    EXPECT_THAT(stack, ::testing::MatchesRegex("#0 InnermostStack at .*coro_test.cpp:[0-9]+\n"
                                               "#1 OuterStack at .*coro_test.cpp:[0-9]+\n"))
        << stack;
    EXPECT_TRUE(weave::this_task::stack().empty()) << "the body has no coroutine stack";
  });
}

TEST(Carriers, SuspendedCoroutineTasksHoldNoStack) {
  EXPECT_WEAVE_OK(Runs(3), [] {
    const std::size_t idle_before = weave::detail::IdleCarriers();
    std::vector<weave::task_handle<int>> handles;
    for (int i = 0; i < 1000; ++i) {
      handles.push_back(weave::co_spawn("sleeper", AddLater(i, 1)));
    }
    weave::this_task::sleep_for(500ms);  // every sleeper is suspended now
    EXPECT_LE(weave::detail::IdleCarriers(), idle_before + 2);
    int sum = 0;
    for (auto& h : handles) sum += h.join();
    EXPECT_EQ(sum, 999 * 1000 / 2 + 1000);
  });
}

TEST(AsyncMistakes, ASpawnedTaskNeverJoinedIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kLeakedTask, Runs(20), [] {
    auto forgotten = weave::co_spawn("forgotten", Answer());
    (void)forgotten;
    weave::this_task::sleep_for(1s);
  });
  EXPECT_THAT(f.message, HasSubstr("'forgotten' was never joined nor awaited"));
  EXPECT_THAT(f.where.file, HasSubstr("coro_test.cpp"));
}

TEST(AsyncMistakes, ACoroutineTaskStillWaitingWhenTheBodyReturnsIsReportedAndFreed) {
  // The task waits inside a nested weave::task; the body returns without joining. The leak is
  // reported, and both coroutine frames are freed without running their destructors (they may
  // refer to the body's locals, which are gone). Under ASan this also checks that no frame leaks
  // and nothing touches freed memory. (Heap memory owned by the frames' locals does leak, as it
  // does for an abandoned fiber's stack.)
  weave::event never{"never"};  // outlives the runs: only the task is left behind
  const weave::Failure f = FailureOf(FailureKind::kLeakedTask, Runs(20), [&never] {
    auto inner = [](weave::event& e) -> weave::task<> {
      char in_frame[1000] = {};
      co_await e.co_wait();
      (void)in_frame;
    };
    auto outer = [inner](weave::event& e) -> weave::task<> { co_await inner(e); };
    weave::co_spawn("stuck", outer(never)).detach();
    weave::this_task::sleep_for(1s);
  });
  EXPECT_THAT(f.message, HasSubstr("still alive"));
  EXPECT_THAT(f.details, HasSubstr("'stuck'"));
}

TEST(AsyncMistakes, AJoinedOrDetachedTaskIsNotReported) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    auto joined = weave::co_spawn("joined", Answer());
    auto detached = weave::co_spawn("detached", Answer());
    detached.detach();
    EXPECT_EQ(joined.join(), 42);
    weave::this_task::sleep_for(1s);
  });
}

TEST(AsyncMistakes, AnExceptionNobodyRetrievedIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(20), [] {
    auto h = weave::co_spawn("thrower", Throws());
    weave::this_task::sleep_for(1s);
    h.detach();  // too late to mean "on purpose": the exception was already stored
  });
  EXPECT_THAT(f.message, HasSubstr("runtime_error"));
}

TEST(AsyncMistakes, AnUnretrievedExceptionInAForgottenTaskIsReportedBeforeTheLeak) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(20), [] {
    auto forgotten = weave::co_spawn("thrower", Throws());
    (void)forgotten;
    weave::this_task::sleep_for(1s);
  });
  EXPECT_THAT(f.message, HasSubstr("nobody retrieved"));
  EXPECT_THAT(f.details, HasSubstr("boom"));
}

TEST(AsyncMistakes, AwaitingAHandleTwiceIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(5), [] {
    auto twice = []() -> weave::task<> {
      auto h = weave::co_spawn("child", Answer());
      (void)co_await h;
      (void)co_await h;  // the handle is empty now
    };
    weave::co_spawn("parent", twice()).join();
  });
  EXPECT_THAT(f.message, HasSubstr("empty handle"));
}

TEST(AsyncMistakes, AForeignAwaitableIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(3), [] {
    auto stuck = []() -> weave::task<> { co_await std::suspend_always{}; };
    auto h = weave::co_spawn("stuck", stuck());
    h.join();
  });
  EXPECT_THAT(f.message, HasSubstr("not a weave awaitable"));
  EXPECT_THAT(f.where.file, HasSubstr("coro_test.cpp"));
}

TEST(AsyncMistakes, SyncWaitFromACoroutineTaskIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(3), [] {
    auto nested = []() -> weave::task<> {
      weave::sync_wait(Answer());
      co_return;
    };
    weave::co_spawn("nested", nested()).join();
  });
  EXPECT_THAT(f.message, HasSubstr("co_await the task instead"));
}

}  // namespace
