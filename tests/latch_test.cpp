// weave::latch: a single-use countdown that releases every waiter at zero.
#include <array>
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
using ::testing::Each;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

// Three workers each finish their part and count down; two waiters check that all parts are done.
// With `expected` above 3 nobody counts the latch to zero.
void WorkersAndWaiters(std::ptrdiff_t expected) {
  weave::latch done{expected, "done"};
  std::array<weave::shared<bool>, 3> part{};
  auto worker = [&](int i) {
    return [&, i] {
      part[i] = true;
      done.count_down();
    };
  };
  auto waiter = [&] {
    done.wait();
    for (const auto& p : part) EXPECT_TRUE(p.load()) << "released before every part was done";
  };
  auto w0 = weave::spawn("worker-0", worker(0));
  auto w1 = weave::spawn("worker-1", worker(1));
  auto w2 = weave::spawn("worker-2", worker(2));
  auto v = weave::spawn("waiter", waiter);
  waiter();
  for (auto* h : {&w0, &w1, &w2, &v}) h->join();
}

TEST(Latch, NoWaiterIsReleasedBeforeTheLastCountDown) {
  EXPECT_WEAVE_OK(Runs(2000), [] { WorkersAndWaiters(3); });
}

TEST(Latch, AMissingCountDownLeavesTheWaitersDeadlocked) {
  const weave::Failure f =
      FailureOf(FailureKind::kDeadlock, Runs(100), [] { WorkersAndWaiters(4); });
  EXPECT_THAT(f.details, HasSubstr("latch 'done'"));
}

TEST(Latch, EveryWaiterWakesAtTheInstantTheCountReachesZero) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::latch gate{2, "gate"};
    std::array<std::int64_t, 3> woke_at{-1, -1, -1};
    auto waiter = [&](int i) {
      return [&, i] {
        gate.wait();
        woke_at[i] = Now();
      };
    };
    auto a = weave::spawn("a", waiter(0));
    auto b = weave::spawn("b", waiter(1));
    auto c = weave::spawn("c", waiter(2));
    weave::this_task::sleep_for(1h);
    gate.count_down();
    weave::this_task::sleep_for(1h);
    EXPECT_THAT(woke_at, Each(-1));
    gate.count_down();
    a.join();
    b.join();
    c.join();
    EXPECT_THAT(woke_at, Each(Ns(2h)));
  });
}

TEST(Latch, TryWaitTurnsTrueOnlyAtZeroAndCountDownTakesAnAmount) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::latch l{5, "l"};
    EXPECT_FALSE(l.try_wait());
    l.count_down(4);
    EXPECT_FALSE(l.try_wait());
    l.count_down();
    EXPECT_TRUE(l.try_wait());
  });
}

TEST(Latch, WaitingOnAnOpenLatchReturnsAtOnce) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::latch open{0, "open"};
    open.wait();
    EXPECT_EQ(Now(), 0);
  });
}

TEST(Latch, ArriveAndWaitMeetsEveryParticipant) {
  EXPECT_WEAVE_OK(Runs(1000), [] {
    weave::latch meet{3, "meet"};
    int arrived = 0;
    auto arrive = [&] {
      ++arrived;
      meet.arrive_and_wait();
      EXPECT_EQ(arrived, 3);
    };
    auto a = weave::spawn("a", arrive);
    auto b = weave::spawn("b", arrive);
    arrive();
    a.join();
    b.join();
  });
}

TEST(Latch, CountDownBelowZeroIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::latch l{1, "l"};
    l.count_down(2);
  });
  EXPECT_THAT(f.message, HasSubstr("'l'"));
  EXPECT_THAT(f.message, HasSubstr("below zero"));
}

TEST(Latch, CountDownOfAnOpenLatchIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(100), [] {
    weave::latch l{1, "l"};
    auto t = weave::spawn("late", [&] { l.count_down(); });
    l.count_down();
    t.join();
  });
  EXPECT_THAT(f.message, HasSubstr("'l'"));
}

TEST(Latch, ANegativeCountIsRejected) { EXPECT_THROW(weave::latch(-1), std::invalid_argument); }

}  // namespace
