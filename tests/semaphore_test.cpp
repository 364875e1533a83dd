// weave::counting_semaphore and weave::binary_semaphore: counting, blocking at zero, timed
// acquires in virtual time, and releases past max() reported as misuse.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
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

TEST(Semaphore, AcquireTakesOneUnitAndTryAcquireFailsAtZero) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::counting_semaphore<3> s{2, "s"};
    EXPECT_EQ(s.max(), 3);
    s.acquire();
    EXPECT_TRUE(s.try_acquire());
    EXPECT_EQ(s.count(), 0);
    EXPECT_FALSE(s.try_acquire());
    s.release(3);
    EXPECT_EQ(s.count(), 3);
    EXPECT_TRUE(s.try_acquire());
    EXPECT_EQ(s.count(), 2);
  });
}

TEST(Semaphore, AcquireBlocksAtZeroUntilAnotherTaskReleases) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::binary_semaphore s{0, "s"};
    std::int64_t acquired_at = -1;
    auto t = weave::spawn("acquirer", [&] {
      s.acquire();
      acquired_at = Now();
    });
    weave::this_task::sleep_for(1h);
    EXPECT_EQ(acquired_at, -1);
    s.release();
    t.join();
    EXPECT_EQ(acquired_at, Ns(1h));
  });
}

TEST(Semaphore, AtMostTheInitialCountOfTasksHoldAUnitAtOnceAndThatManyDoInSomeSchedule) {
  int most_inside = 0;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(1000), [&] {
    weave::counting_semaphore<> slots{2, "slots"};
    int inside = 0;
    auto use_slot = [&] {
      slots.acquire();
      ++inside;
      EXPECT_LE(inside, 2);
      most_inside = std::max(most_inside, inside);
      weave::this_task::yield();
      --inside;
      slots.release();
    };
    auto a = weave::spawn("a", use_slot);
    auto b = weave::spawn("b", use_slot);
    auto c = weave::spawn("c", use_slot);
    use_slot();
    a.join();
    b.join();
    c.join();
    EXPECT_EQ(slots.count(), 2);
  });
  EXPECT_EQ(most_inside, 2);
}

TEST(Semaphore, ReleaseOfNLetsExactlyNBlockedTasksThrough) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::counting_semaphore<> s{0, "s"};
    int through = 0;
    auto pass = [&] {
      s.acquire();
      ++through;
    };
    auto a = weave::spawn("a", pass);
    auto b = weave::spawn("b", pass);
    auto c = weave::spawn("c", pass);
    weave::this_task::sleep_for(1s);  // all three block in acquire()
    s.release(2);
    weave::this_task::sleep_for(1s);  // the two that got a unit finish
    EXPECT_EQ(through, 2);
    EXPECT_EQ(s.count(), 0);
    s.release();
    a.join();
    b.join();
    c.join();
    EXPECT_EQ(through, 3);
  });
}

TEST(Semaphore, TryAcquireForTimesOutAfterExactlyTheTimeoutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::binary_semaphore s{0, "s"};
    weave::this_task::sleep_for(1h);
    const std::int64_t t0 = Now();
    EXPECT_FALSE(s.try_acquire_for(250ms));
    EXPECT_EQ(Now() - t0, Ns(250ms));
  });
}

TEST(Semaphore, AReleaseBeforeTheDeadlineWins) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::binary_semaphore s{0, "s"};
    auto releaser = weave::spawn("releaser", [&] {
      weave::this_task::sleep_for(2s);
      s.release();
    });
    EXPECT_TRUE(s.try_acquire_for(5s));
    EXPECT_EQ(Now(), Ns(2s));
    releaser.join();
  });
}

TEST(Semaphore, TryAcquireUntilGivesUpAtTheVirtualTimePoint) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::binary_semaphore s{0, "s"};
    EXPECT_FALSE(s.try_acquire_until(weave::clock::time_point(42s)));
    EXPECT_EQ(Now(), Ns(42s));
  });
}

TEST(Semaphore, ReleasePastMaxIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::binary_semaphore s{1, "s"};
    s.release();
  });
  EXPECT_THAT(f.message, HasSubstr("'s'"));
  EXPECT_THAT(f.message, HasSubstr("exceeds max() = 1"));
}

TEST(Semaphore, ANegativeReleaseIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::counting_semaphore<> s{1, "s"};
    s.release(-1);
  });
  EXPECT_THAT(f.message, HasSubstr("'s'"));
  EXPECT_THAT(f.message, HasSubstr("negative"));
}

TEST(Semaphore, AnInitialCountOutsideZeroToMaxIsRejected) {
  EXPECT_THROW(weave::binary_semaphore(2), std::invalid_argument);
  EXPECT_THROW(weave::counting_semaphore<>(-1), std::invalid_argument);
}

TEST(Semaphore, AWaiterThatIsNeverReleasedIsReportedAsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(1), [] {
    weave::binary_semaphore s{0, "s"};
    s.acquire();
  });
  EXPECT_THAT(f.details, HasSubstr("semaphore 's'"));
}

// A guard's destructor releases during the teardown that follows a failed check: quietly.
TEST(Semaphore, AFailedCheckWhileHoldingAUnitIsReportedNotACrash) {
  struct Guard {
    weave::binary_semaphore& s;
    ~Guard() { s.release(); }
  };
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, Runs(1), [] {
    weave::binary_semaphore s{1, "s"};
    s.acquire();
    Guard guard{s};
    weave::check(false, "broken while holding a unit");
  });
}

}  // namespace
