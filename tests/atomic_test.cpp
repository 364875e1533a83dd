// weave::atomic<T>: std::atomic's operations, each a scheduling point, and C++20 wait/notify.
#include <chrono>
#include <cstdint>
#include <functional>

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

TEST(Atomic, LoadStoreAndExchangeBehaveAsStdAtomic) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::atomic<int> a{5, "a"};
    EXPECT_EQ(a.load(), 5);
    a.store(7);
    EXPECT_EQ(static_cast<int>(a), 7);
    EXPECT_EQ(a = 9, 9);
    EXPECT_EQ(a.exchange(11), 9);
    EXPECT_EQ(a.load(), 11);
    EXPECT_TRUE(a.is_lock_free());
  });
}

TEST(Atomic, CompareExchangeSwapsOnlyOnAMatchAndOtherwiseReportsTheCurrentValue) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::atomic<int> a{1, "a"};
    int expected = 2;
    EXPECT_FALSE(a.compare_exchange_strong(expected, 3));
    EXPECT_EQ(expected, 1);
    EXPECT_EQ(a.load(), 1);
    EXPECT_TRUE(a.compare_exchange_strong(expected, 3));
    EXPECT_EQ(a.load(), 3);
    expected = 3;
    EXPECT_TRUE(a.compare_exchange_weak(expected, 4));  // never fails spuriously here
    EXPECT_EQ(a.load(), 4);
  });
}

TEST(Atomic, CompareExchangeOnATypeWithoutEqualityComparesTheBytes) {
  struct Point {
    int x, y;
  };
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::atomic<Point> p{Point{1, 2}, "p"};
    Point expected{1, 3};
    EXPECT_FALSE(p.compare_exchange_strong(expected, Point{5, 5}));
    EXPECT_EQ(expected.y, 2);
    EXPECT_TRUE(p.compare_exchange_strong(expected, Point{5, 6}));
    EXPECT_EQ(p.load().y, 6);
  });
}

TEST(Atomic, FetchOperationsReturnThePreviousValue) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::atomic<unsigned> a{0b1100u, "a"};
    EXPECT_EQ(a.fetch_add(1), 0b1100u);
    EXPECT_EQ(a.fetch_sub(1), 0b1101u);
    EXPECT_EQ(a.fetch_and(0b0100u), 0b1100u);
    EXPECT_EQ(a.fetch_or(0b0011u), 0b0100u);
    EXPECT_EQ(a.fetch_xor(0b0110u), 0b0111u);
    EXPECT_EQ(a.load(), 0b0001u);
    EXPECT_EQ(++a, 2u);
    EXPECT_EQ(a++, 2u);
    EXPECT_EQ(--a, 2u);
    EXPECT_EQ(a--, 2u);
    EXPECT_EQ(a += 10, 11u);
    EXPECT_EQ(a -= 1, 10u);
  });
}

TEST(Atomic, PointerFetchAddMovesByElements) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    int items[4] = {10, 20, 30, 40};
    weave::atomic<int*> cursor{items, "cursor"};
    EXPECT_EQ(cursor.fetch_add(2), items);
    EXPECT_EQ(*cursor.load(), 30);
    EXPECT_EQ(cursor.fetch_sub(1), items + 2);
    EXPECT_EQ(*cursor.load(), 20);
  });
}

// Three tasks each add 1 three times, atomically or as a separate load and store.
void IncrementFromThreeTasks(bool atomic_increment) {
  weave::atomic<int> n{0, "n"};
  auto work = [&] {
    for (int i = 0; i < 3; ++i) {
      if (atomic_increment) {
        n.fetch_add(1);
      } else {
        n.store(n.load() + 1);
      }
    }
  };
  auto a = weave::spawn("a", work);
  auto b = weave::spawn("b", work);
  work();
  a.join();
  b.join();
  EXPECT_EQ(n.load(), 9);
}

TEST(Atomic, ConcurrentFetchAddNeverLosesAnIncrement) {
  EXPECT_WEAVE_OK(Runs(2000), [] { IncrementFromThreeTasks(true); });
}

TEST(Atomic, ALoadThenStoreIncrementLosesAnUpdateInSomeSchedule) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, Runs(2000), [] { IncrementFromThreeTasks(false); });
}

TEST(Atomic, ACompareExchangeLoopIncrementNeverLosesAnUpdate) {
  EXPECT_WEAVE_OK(Runs(2000), [] {
    weave::atomic<int> n{0, "n"};
    auto work = [&] {
      for (int i = 0; i < 3; ++i) {
        int seen = n.load();
        while (!n.compare_exchange_weak(seen, seen + 1)) {
        }
      }
    };
    auto a = weave::spawn("a", work);
    auto b = weave::spawn("b", work);
    work();
    a.join();
    b.join();
    EXPECT_EQ(n.load(), 9);
  });
}

TEST(Atomic, WaitBlocksUntilTheValueChangesAndIsNotified) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::atomic<int> flag{0, "flag"};
    std::int64_t woke_at = -1;
    auto waiter = weave::spawn("waiter", [&] {
      flag.wait(0);
      woke_at = Now();
      EXPECT_EQ(flag.load(), 1);
    });
    weave::this_task::sleep_for(1h);
    flag.store(1);
    flag.notify_one();
    waiter.join();
    EXPECT_EQ(woke_at, Ns(1h));
  });
}

TEST(Atomic, WaitReturnsAtOnceWhenTheValueAlreadyDiffers) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::atomic<int> flag{1, "flag"};
    flag.wait(0);
    EXPECT_EQ(Now(), 0);
  });
}

TEST(Atomic, NotifyAllWakesEveryWaiter) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::atomic<bool> go{false, "go"};
    int woken = 0;
    auto wait_for_go = [&] {
      go.wait(false);
      ++woken;
    };
    auto a = weave::spawn("a", wait_for_go);
    auto b = weave::spawn("b", wait_for_go);
    go = true;
    go.notify_all();
    a.join();
    b.join();
    EXPECT_EQ(woken, 2);
  });
}

// The waiter blocks in wait(0) first; the body then stores 1 with or without a notify.
void StoreAfterTheWaiterBlocked(bool notify) {
  weave::atomic<int> flag{0, "flag"};
  auto waiter = weave::spawn("waiter", [&] { flag.wait(0); });
  weave::this_task::sleep_for(1s);
  flag.store(1);
  if (notify) flag.notify_one();
  waiter.join();
}

TEST(Atomic, AStoreWithoutNotifyLeavesTheWaiterBlocked) {
  const weave::Failure f =
      FailureOf(FailureKind::kDeadlock, Runs(1), [] { StoreAfterTheWaiterBlocked(false); });
  EXPECT_THAT(f.details, HasSubstr("atomic 'flag'"));
}

TEST(Atomic, AStoreWithNotifyWakesTheWaiter) {
  EXPECT_WEAVE_OK(Runs(100), [] { StoreAfterTheWaiterBlocked(true); });
}

TEST(Atomic, OperationsAreSchedulingPointsSoTasksInterleaveBetweenThem) {
  bool saw_interleaving = false;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(500), [&] {
    weave::atomic<int> a{0, "a"};
    auto t = weave::spawn("writer", [&] { a.store(1); });
    const int first = a.load();
    const int second = a.load();
    if (first != second) saw_interleaving = true;
    t.join();
  });
  EXPECT_TRUE(saw_interleaving);
}

}  // namespace
