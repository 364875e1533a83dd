// weave::condition_variable: wait/notify with and without predicates, timed waits in virtual time,
// spurious wakeups as an explored choice, lost wakeups and misuse.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

TEST(ConditionVariable, AConsumerWaitingWithAPredicateReceivesEveryItemInOrder) {
  EXPECT_WEAVE_OK(Runs(2000), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    std::deque<int> queue;
    auto producer = weave::spawn("producer", [&] {
      for (int i = 1; i <= 3; ++i) {
        std::scoped_lock lock(m);
        queue.push_back(i);
        cv.notify_one();
      }
    });
    for (int expected = 1; expected <= 3; ++expected) {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return !queue.empty(); });
      EXPECT_EQ(queue.front(), expected);
      queue.pop_front();
    }
    producer.join();
  });
}

// Three tasks wait for `go`; the body sets it and wakes them with notify_all or notify_one.
void ReleaseThreeWaiters(bool notify_all) {
  weave::mutex m{"m"};
  weave::condition_variable cv{"cv"};
  bool go = false;
  int released = 0;
  auto wait_for_go = [&] {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return go; });
    ++released;
  };
  auto a = weave::spawn("a", wait_for_go);
  auto b = weave::spawn("b", wait_for_go);
  auto c = weave::spawn("c", wait_for_go);
  {
    std::scoped_lock lock(m);
    go = true;
  }
  notify_all ? cv.notify_all() : cv.notify_one();
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(released, 3);
}

TEST(ConditionVariable, NotifyAllReleasesEveryWaiter) {
  EXPECT_WEAVE_OK(Runs(2000), [] { ReleaseThreeWaiters(/*notify_all=*/true); });
}

TEST(ConditionVariable, NotifyOneWhereNotifyAllIsNeededLeavesWaitersBlocked) {
  const weave::Failure f =
      FailureOf(FailureKind::kDeadlock, Runs(2000), [] { ReleaseThreeWaiters(false); });
  EXPECT_THAT(f.details, HasSubstr("condition_variable 'cv'"));
}

TEST(ConditionVariable, NotifyOneWakesExactlyOneWaiterAndWhichOneIsExplored) {
  std::set<int> woken_first;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(300), [&] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    int woken = 0;
    int first = 0;
    auto waiter = [&](int who) {
      return [&, who] {
        std::unique_lock lock(m);
        cv.wait(lock);
        if (++woken == 1) first = who;
      };
    };
    auto a = weave::spawn("a", waiter(1));
    auto b = weave::spawn("b", waiter(2));
    weave::this_task::sleep_for(1s);  // both waiters run until they block in wait()
    cv.notify_one();
    weave::this_task::sleep_for(1s);  // the woken one runs to the end
    EXPECT_EQ(woken, 1);
    woken_first.insert(first);
    cv.notify_one();
    a.join();
    b.join();
    EXPECT_EQ(woken, 2);
  });
  EXPECT_THAT(woken_first, ElementsAre(1, 2));
}

TEST(ConditionVariable, WaitForWithoutNotifyTimesOutAfterExactlyTheTimeoutHoldingTheLock) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    weave::this_task::sleep_for(1h);
    std::unique_lock lock(m);
    const std::int64_t t0 = Now();
    EXPECT_EQ(cv.wait_for(lock, 5s), std::cv_status::timeout);
    EXPECT_EQ(Now() - t0, Ns(5s));
    EXPECT_TRUE(lock.owns_lock());
    EXPECT_EQ(m.owner(), weave::this_task::id());
  });
}

TEST(ConditionVariable, WaitForWithAPredicateReturnsFalseAtTheDeadline) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    std::unique_lock lock(m);
    EXPECT_FALSE(cv.wait_for(lock, 3s, [] { return false; }));
    EXPECT_EQ(Now(), Ns(3s));
  });
}

TEST(ConditionVariable, ANotifyBeforeTheDeadlineWins) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    bool ready = false;
    auto notifier = weave::spawn("notifier", [&] {
      weave::this_task::sleep_for(2s);
      std::scoped_lock lock(m);
      ready = true;
      cv.notify_one();
    });
    std::unique_lock lock(m);
    EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return ready; }));
    EXPECT_EQ(Now(), Ns(2s));
    lock.unlock();
    notifier.join();
  });
}

TEST(ConditionVariable, WaitUntilTimesOutAtTheVirtualTimePoint) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    std::unique_lock lock(m);
    EXPECT_EQ(cv.wait_until(lock, weave::clock::time_point(90min)), std::cv_status::timeout);
    EXPECT_EQ(Now(), Ns(90min));
  });
}

TEST(ConditionVariable, WaitWithoutHoldingTheLockIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    std::unique_lock lock(m, std::defer_lock);
    cv.wait(lock);
  });
  EXPECT_THAT(f.message, HasSubstr("'cv'"));
  EXPECT_THAT(f.message, HasSubstr("without holding its lock"));
}

// The notifier sets `ready` with or without holding the waiter's mutex. The waiter checks its
// predicate under the mutex, so only a notifier that also takes the mutex cannot slip its notify
// in between the check and the wait.
void NotifyReady(bool notifier_takes_the_lock) {
  weave::mutex m{"m"};
  weave::condition_variable cv{"cv"};
  weave::atomic<bool> ready{false, "ready"};
  auto notifier = weave::spawn("notifier", [&] {
    if (notifier_takes_the_lock) {
      std::scoped_lock lock(m);
      ready = true;
    } else {
      ready = true;
    }
    cv.notify_one();
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return ready.load(); });
  }
  notifier.join();
}

TEST(ConditionVariable, SettingTheFlagWithoutTheLockLosesTheWakeupAndDeadlocks) {
  const weave::Failure f =
      FailureOf(FailureKind::kDeadlock, Runs(2000), [] { NotifyReady(false); });
  EXPECT_THAT(f.details, HasSubstr("condition_variable 'cv'"));
}

TEST(ConditionVariable, SettingTheFlagUnderTheLockNeverLosesTheWakeup) {
  EXPECT_WEAVE_OK(Runs(2000), [] { NotifyReady(true); });
}

// Waits for `ready` with `if` (no loop) or with a predicate loop.
void WaitOnce(bool with_predicate_loop) {
  weave::mutex m{"m"};
  weave::condition_variable cv{"cv"};
  bool ready = false;
  auto notifier = weave::spawn("notifier", [&] {
    std::scoped_lock lock(m);
    ready = true;
    cv.notify_one();
  });
  {
    std::unique_lock lock(m);
    if (with_predicate_loop) {
      cv.wait(lock, [&] { return ready; });
    } else if (!ready) {
      cv.wait(lock);
    }
    EXPECT_TRUE(ready) << "wait() returned without a notify";
  }
  notifier.join();
}

weave::Options WithSpuriousWakeups(bool on) {
  weave::Options o = Runs(2000);
  o.spurious_wakeups = on;
  return o;
}

TEST(ConditionVariable, SpuriousWakeupsCatchAWaitWithoutAPredicateLoop) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, WithSpuriousWakeups(true), [] { WaitOnce(false); });
}

TEST(ConditionVariable, APredicateLoopSurvivesSpuriousWakeups) {
  EXPECT_WEAVE_OK(WithSpuriousWakeups(true), [] { WaitOnce(true); });
}

TEST(ConditionVariable, WithoutSpuriousWakeupsAWaitWithoutALoopThatIsOtherwiseCorrectPasses) {
  EXPECT_WEAVE_OK(WithSpuriousWakeups(false), [] { WaitOnce(false); });
}

TEST(ConditionVariableAny, WaitsOnAUniqueLockOfASharedMutex) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::shared_mutex rw{"rw"};
    weave::condition_variable_any cv{"cv"};
    int value = 0;
    auto writer = weave::spawn("writer", [&] {
      std::unique_lock lock(rw);
      value = 42;
      cv.notify_all();
    });
    std::unique_lock lock(rw);
    cv.wait(lock, [&] { return value == 42; });
    lock.unlock();
    writer.join();
  });
}

}  // namespace
