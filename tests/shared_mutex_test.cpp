// weave::shared_mutex: readers share, writers exclude everyone, and misuse is reported.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>

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

TEST(SharedMutex, TwoReadersHoldItAtTheSameTime) {
  // Each reader waits, while holding the lock shared, for the other to hold it too: this
  // finishes only if both hold it at once, in every schedule.
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::shared_mutex rw{"rw"};
    weave::latch both_inside{2, "both_inside"};
    auto read = [&] {
      std::shared_lock lock(rw);
      both_inside.arrive_and_wait();
    };
    auto a = weave::spawn("reader-a", read);
    auto b = weave::spawn("reader-b", read);
    a.join();
    b.join();
  });
}

TEST(SharedMutex, SomeScheduleOverlapsTwoReadersThatDoNotWaitForEachOther) {
  int most_readers_inside = 0;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(500), [&] {
    weave::shared_mutex rw{"rw"};
    int inside = 0;
    auto read = [&] {
      std::shared_lock lock(rw);
      ++inside;
      most_readers_inside = std::max(most_readers_inside, inside);
      weave::this_task::yield();
      --inside;
    };
    auto a = weave::spawn("reader-a", read);
    auto b = weave::spawn("reader-b", read);
    a.join();
    b.join();
  });
  EXPECT_EQ(most_readers_inside, 2);
}

TEST(SharedMutex, AWriterExcludesReadersAndOtherWriters) {
  EXPECT_WEAVE_OK(Runs(2000), [] {
    weave::shared_mutex rw{"rw"};
    weave::shared<int> value{0, "value"};
    int readers = 0;
    int writers = 0;
    auto write = [&] {
      std::unique_lock lock(rw);
      ++writers;
      EXPECT_EQ(writers, 1);
      EXPECT_EQ(readers, 0);
      value = value + 1;
      --writers;
    };
    auto read = [&] {
      std::shared_lock lock(rw);
      ++readers;
      EXPECT_EQ(writers, 0);
      const int seen = value;
      EXPECT_TRUE(seen >= 0 && seen <= 2) << seen;
      --readers;
    };
    auto w1 = weave::spawn("writer-1", write);
    auto w2 = weave::spawn("writer-2", write);
    auto r1 = weave::spawn("reader-1", read);
    read();
    w1.join();
    w2.join();
    r1.join();
    EXPECT_EQ(value.load(), 2);
  });
}

TEST(SharedMutex, AWriterWaitsUntilTheLastReaderLeaves) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::shared_mutex rw{"rw"};
    auto reader = [&](std::chrono::hours hold) {
      return [&rw, hold] {
        std::shared_lock lock(rw);
        weave::this_task::sleep_for(hold);
      };
    };
    auto a = weave::spawn("reader-1h", reader(1h));
    auto b = weave::spawn("reader-2h", reader(2h));
    weave::this_task::sleep_for(1s);  // both readers hold it by now
    rw.lock();
    EXPECT_EQ(Now(), Ns(2h));
    rw.unlock();
    a.join();
    b.join();
  });
}

TEST(SharedMutex, TryLockFailsWhileHeldSharedButTryLockSharedSucceeds) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    weave::shared_mutex rw{"rw"};
    rw.lock_shared();
    auto t = weave::spawn("other", [&] {
      EXPECT_FALSE(rw.try_lock());
      EXPECT_TRUE(rw.try_lock_shared());
      rw.unlock_shared();
    });
    t.join();
    rw.unlock_shared();
    EXPECT_TRUE(rw.try_lock());
    rw.unlock();
  });
}

TEST(SharedMutex, BothTryLocksFailWhileHeldExclusively) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    weave::shared_mutex rw{"rw"};
    rw.lock();
    auto t = weave::spawn("other", [&] {
      EXPECT_FALSE(rw.try_lock());
      EXPECT_FALSE(rw.try_lock_shared());
    });
    t.join();
    rw.unlock();
  });
}

TEST(SharedMutex, UnlockSharedWithoutHoldingItIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::shared_mutex rw{"rw"};
    rw.unlock_shared();
  });
  EXPECT_THAT(f.message, HasSubstr("'rw'"));
  EXPECT_THAT(f.message, HasSubstr("does not hold shared"));
}

TEST(SharedMutex, UnlockSharedOfAnotherTasksReadLockIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(50), [] {
    weave::shared_mutex rw{"rw"};
    rw.lock_shared();
    auto t = weave::spawn("stranger", [&] { rw.unlock_shared(); });
    t.join();
    rw.unlock_shared();
  });
  EXPECT_THAT(f.message, HasSubstr("'rw'"));
  EXPECT_EQ(f.task_name, "stranger");
}

TEST(SharedMutex, ExclusiveUnlockByAReaderIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::shared_mutex rw{"rw"};
    rw.lock_shared();
    rw.unlock();
  });
  EXPECT_THAT(f.message, HasSubstr("'rw'"));
  EXPECT_THAT(f.message, HasSubstr("does not hold exclusively"));
}

TEST(SharedMutex, UpgradingAReadLockInPlaceIsASelfDeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(1), [] {
    weave::shared_mutex rw{"rw"};
    std::shared_lock read(rw);
    std::unique_lock write(rw);
  });
  EXPECT_THAT(f.message, HasSubstr("self-deadlock"));
  EXPECT_THAT(f.message, HasSubstr("'rw'"));
}

TEST(SharedMutex, ReadLockingWhileHoldingItExclusivelyIsASelfDeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(1), [] {
    weave::shared_mutex rw{"rw"};
    std::unique_lock write(rw);
    std::shared_lock read(rw);
  });
  EXPECT_THAT(f.message, HasSubstr("'rw'"));
}

TEST(SharedMutex, AFailedCheckInsideALockedScopeIsReportedNotACrash) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, Runs(1), [] {
    weave::shared_mutex rw{"rw"};
    std::unique_lock write(rw);
    weave::check(false, "broken while writing");
  });
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, Runs(1), [] {
    weave::shared_mutex rw{"rw"};
    std::shared_lock read(rw);
    weave::check(false, "broken while reading");
  });
}

TEST(SharedMutex, DestroyingItWhileHeldSharedIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::shared_mutex rw{"rw"};
    rw.lock_shared();
  });
  EXPECT_THAT(f.message, HasSubstr("'rw'"));
  EXPECT_THAT(f.message, HasSubstr("destroyed while held shared"));
}

}  // namespace
