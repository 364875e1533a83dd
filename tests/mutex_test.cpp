// weave::mutex and weave::timed_mutex: mutual exclusion under many schedules, blocking and
// timeouts in virtual time, and misuse reported as a failure of the schedule.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

// Three tasks each add 1 three times to a tracked counter, with or without the mutex.
void IncrementFromThreeTasks(bool use_mutex) {
  weave::mutex m{"m"};
  weave::shared<int> counter{0, "counter"};
  int inside = 0;  // tasks inside the critical section
  auto work = [&] {
    for (int i = 0; i < 3; ++i) {
      std::unique_lock lock(m, std::defer_lock);
      if (use_mutex) lock.lock();
      ++inside;
      if (use_mutex) {
        EXPECT_EQ(inside, 1) << "two tasks inside the critical section";
      }
      counter = counter + 1;
      --inside;
    }
  };
  auto a = weave::spawn("a", work);
  auto b = weave::spawn("b", work);
  work();
  a.join();
  b.join();
  EXPECT_EQ(counter.load(), 9);
}

TEST(Mutex, LockedIncrementsNeverLoseAnUpdateUnderAnySchedule) {
  EXPECT_WEAVE_OK(Runs(2000), [] { IncrementFromThreeTasks(/*use_mutex=*/true); });
}

TEST(Mutex, WithoutTheLockTheSameIncrementsLoseAnUpdate) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, weave_test::WithoutRaceDetection(Runs(2000)),
                       [] { IncrementFromThreeTasks(/*use_mutex=*/false); });
}

TEST(Mutex, LockBlocksUntilTheHolderUnlocks) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::mutex m{"m"};
    auto holder = weave::spawn("holder", [&] {
      std::scoped_lock lock(m);
      weave::this_task::sleep_for(1h);
    });
    weave::this_task::sleep_for(1s);  // the holder runs until it sleeps, holding m
    EXPECT_EQ(m.owner(), holder.id());
    m.lock();
    EXPECT_EQ(Now(), Ns(1h));
    EXPECT_EQ(m.owner(), weave::this_task::id());
    m.unlock();
    EXPECT_EQ(m.owner(), weave::kNoTask);
    holder.join();
  });
}

TEST(Mutex, TryLockFailsWhileAnotherTaskHoldsItAndSucceedsOnceFree) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::mutex m{"m"};
    m.lock();
    bool got = true;
    auto t = weave::spawn("try", [&] { got = m.try_lock(); });
    t.join();
    EXPECT_FALSE(got);
    m.unlock();
    auto u = weave::spawn("try-again", [&] {
      got = m.try_lock();
      if (got) m.unlock();
    });
    u.join();
    EXPECT_TRUE(got);
  });
}

TEST(Mutex, StdScopedLockOfTwoMutexesInOppositeOrdersNeverDeadlocks) {
  EXPECT_WEAVE_OK(Runs(1000), [] {
    weave::mutex a{"a"}, b{"b"};
    int total = 0;
    auto t = weave::spawn("ba", [&] {
      std::scoped_lock lock(b, a);
      ++total;
    });
    {
      std::scoped_lock lock(a, b);
      ++total;
    }
    t.join();
    EXPECT_EQ(total, 2);
  });
}

TEST(Mutex, OppositeLockOrdersDeadlockInSomeSchedule) {
  const weave::Failure f =
      FailureOf(FailureKind::kDeadlock, weave_test::WithoutLockOrderDetection(Runs(2000)), [] {
        weave::mutex a{"a"}, b{"b"};
        auto t = weave::spawn("ba", [&] {
          std::scoped_lock lb(b);
          std::scoped_lock la(a);
        });
        {
          std::scoped_lock la(a);
          std::scoped_lock lb(b);
        }
        t.join();
      });
  EXPECT_THAT(f.details, HasSubstr("mutex 'a'"));
  EXPECT_THAT(f.details, HasSubstr("mutex 'b'"));
  EXPECT_THAT(f.details, HasSubstr("held by task"));
}

TEST(TimedMutex, TryLockForTimesOutAfterExactlyTheTimeoutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::timed_mutex m{"m"};
    m.lock();
    auto t = weave::spawn("waiter", [&] {
      const std::int64_t t0 = Now();
      EXPECT_FALSE(m.try_lock_for(5s));
      EXPECT_EQ(Now() - t0, Ns(5s));
    });
    t.join();
    m.unlock();
  });
}

TEST(TimedMutex, AnUnlockBeforeTheDeadlineWins) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::timed_mutex m{"m"};
    m.lock();
    auto t = weave::spawn("waiter", [&] {
      EXPECT_TRUE(m.try_lock_for(5s));
      EXPECT_EQ(Now(), Ns(2s));
      m.unlock();
    });
    weave::this_task::sleep_for(2s);
    m.unlock();
    t.join();
  });
}

TEST(TimedMutex, TryLockForOnAFreeMutexTakesNoTime) {
  EXPECT_WEAVE_OK(Runs(10), [] {
    weave::timed_mutex m{"m"};
    EXPECT_TRUE(m.try_lock_for(5s));
    EXPECT_EQ(Now(), 0);
    m.unlock();
  });
}

TEST(TimedMutex, TryLockUntilGivesUpAtTheVirtualTimePoint) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::timed_mutex m{"m"};
    auto t = weave::spawn("holder", [&] {
      std::scoped_lock lock(m);
      weave::this_task::sleep_for(1h);
    });
    weave::this_task::sleep_for(1s);
    EXPECT_FALSE(m.try_lock_until(weave::clock::time_point(3s)));
    EXPECT_EQ(Now(), Ns(3s));
    t.join();
  });
}

TEST(Mutex, UnlockOfAnUnlockedMutexIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::mutex m{"m"};
    m.unlock();
  });
  EXPECT_THAT(f.message, HasSubstr("'m'"));
  EXPECT_THAT(f.message, HasSubstr("not locked"));
}

TEST(Mutex, UnlockByNonOwnerIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(50), [] {
    weave::mutex m{"m"};
    m.lock();
    auto t = weave::spawn("thief", [&] { m.unlock(); });
    t.join();
    m.unlock();
  });
  EXPECT_THAT(f.message, HasSubstr("'m'"));
  EXPECT_THAT(f.message, HasSubstr("'thief'"));
  EXPECT_EQ(f.task_name, "thief");
}

TEST(Mutex, DestroyingALockedMutexIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::mutex m{"m"};
    m.lock();
  });
  EXPECT_THAT(f.message, HasSubstr("'m'"));
  EXPECT_THAT(f.message, HasSubstr("destroyed while locked"));
}

TEST(Mutex, LockingItAgainFromTheHoldingTaskIsASelfDeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(1), [] {
    weave::mutex m{"m"};
    std::scoped_lock first(m);
    std::scoped_lock second(m);
  });
  EXPECT_THAT(f.message, HasSubstr("self-deadlock"));
  EXPECT_THAT(f.message, HasSubstr("'m'"));
}

// A failed check is reported when the task reaches its next scheduling point; the guard's
// (noexcept) destructor must release the mutex without being that point.
TEST(Mutex, AFailedCheckInsideALockedScopeIsReportedNotACrash) {
  const weave::Failure f = FailureOf(FailureKind::kAssertion, Runs(1), [] {
    weave::mutex m{"m"};
    std::scoped_lock lock(m);
    weave::check(false, "invariant broken while holding m");
  });
  EXPECT_THAT(f.message, HasSubstr("invariant broken while holding m"));
}

TEST(Mutex, OutsideASimulationItLocksButRefusesToBlock) {
  weave::mutex m{"m"};
  m.lock();
  EXPECT_FALSE(m.try_lock());
  EXPECT_THROW(m.lock(), std::logic_error);
  m.unlock();
  EXPECT_THROW(m.unlock(), std::logic_error);
  EXPECT_TRUE(m.try_lock());
  m.unlock();
}

}  // namespace
