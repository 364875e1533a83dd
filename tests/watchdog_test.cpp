// The wall-clock watchdog: a task that runs too long without reaching a scheduling point (a real
// blocking call, a busy loop) is reported as a stall; correct code is never reported, and the
// watchdog never changes a schedule. (A weave::thread that blocks for real: thread_test.cpp.)
#include <chrono>
#include <thread>

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

weave::Options Watched(absl::Duration limit, std::int64_t iterations = 1) {
  weave::Options o;
  o.iterations = iterations;
  o.watchdog = limit;
  return o;
}

TEST(Watchdog, ACoroutineThatBlocksForRealIsReportedAsAStall) {
  const weave::Failure f = FailureOf(FailureKind::kStall, Watched(absl::Milliseconds(50)), [] {
    auto sleepy = []() -> weave::task<> {
      co_await weave::yield();
      std::this_thread::sleep_for(300ms);  // a real blocking call inside async code
      co_await weave::yield();
    };
    weave::co_spawn("sleepy", sleepy()).join();
  });
  EXPECT_THAT(f.message, HasSubstr("'sleepy'"));
  EXPECT_THAT(f.message, HasSubstr("without reaching a scheduling point"));
  EXPECT_EQ(f.task_name, "sleepy");
}

TEST(Watchdog, AFiberInABusyLoopIsReportedAsAStall) {
  const weave::Failure f = FailureOf(FailureKind::kStall, Watched(absl::Milliseconds(50)), [] {
    auto spinner = weave::spawn("spinner", [] {
      const auto until = std::chrono::steady_clock::now() + 300ms;
      while (std::chrono::steady_clock::now() < until) {
      }
      weave::this_task::yield();
    });
    spinner.join();
  });
  EXPECT_EQ(f.task_name, "spinner");
}

TEST(Watchdog, TheBodyStallingAfterItsLastSchedulingPointIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kStall, Watched(absl::Milliseconds(50)), [] {
    weave::this_task::yield();
    std::this_thread::sleep_for(300ms);
  });
  EXPECT_EQ(f.task_name, "main");
}

TEST(Watchdog, CodeThatReachesSchedulingPointsIsNeverReported) {
  // Short stretches of real work, each well under the limit, that add up to more than it: every
  // scheduling point starts the watchdog's count again.
  EXPECT_WEAVE_OK(Watched(absl::Milliseconds(200), 2), [] {
    auto worker = []() -> weave::task<> {
      for (int i = 0; i < 30; ++i) {
        std::this_thread::sleep_for(5ms);
        co_await weave::sleep_for(1s);
      }
    };
    auto a = weave::co_spawn("a", worker());
    auto b = weave::co_spawn("b", worker());
    a.join();
    b.join();
  });
}

// The watchdog never steers: with it on or off, the same seed explores the same schedules.
TEST(Watchdog, NeverChangesTheSchedules) {
  auto body = [] {
    weave::mutex m;
    int n = 0;
    auto work = [&] {
      for (int i = 0; i < 5; ++i) {
        std::scoped_lock lock(m);
        ++n;
      }
    };
    auto a = weave::spawn("a", work);
    auto b = weave::spawn("b", work);
    a.join();
    b.join();
    weave::check(n < 10 || weave::choose(7) != 3, "a rare, explored failure");
  };
  weave::Options off = Watched(absl::ZeroDuration(), 300);
  weave::Options on = Watched(absl::Hours(1), 300);
  const weave::Result without = weave::explore(off, body);
  const weave::Result with = weave::explore(on, body);
  ASSERT_FALSE(without.ok())
      << "the body must fail in some schedule for the comparison to mean much";
  EXPECT_EQ(with.schedule, without.schedule);
  EXPECT_EQ(with.failing_iteration, without.failing_iteration);
}

TEST(Watchdog, ZeroDisablesIt) {
  EXPECT_WEAVE_OK(Watched(absl::ZeroDuration()), [] {
    std::this_thread::sleep_for(100ms);
    weave::this_task::yield();
  });
}

TEST(Watchdog, ANegativeLimitIsRejected) {
  EXPECT_THROW((void)weave::explore(Watched(absl::Seconds(-1)), [] {}), std::invalid_argument);
}

TEST(Watchdog, TheFlagSetsTheLimit) {
  weave::Options o;
  ASSERT_TRUE(weave::ApplyFlag("watchdog", "250ms", o).ok());
  EXPECT_EQ(o.watchdog, absl::Milliseconds(250));
  ASSERT_TRUE(weave::ApplyFlag("watchdog", "0", o).ok());
  EXPECT_EQ(o.watchdog, absl::ZeroDuration());
  EXPECT_FALSE(weave::ApplyFlag("watchdog", "soon", o).ok());
  EXPECT_FALSE(weave::ApplyFlag("watchdog", "-1s", o).ok());
}

}  // namespace
