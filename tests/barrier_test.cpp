// weave::barrier: phases, the completion function once per phase, arrive/wait tokens and
// arrive_and_drop.
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
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

constexpr int kTasks = 3;
constexpr int kPhases = 3;

TEST(Barrier, NoTaskStartsAPhaseBeforeEveryTaskFinishedThePreviousOne) {
  EXPECT_WEAVE_OK(Runs(1000), [] {
    weave::barrier<> sync{kTasks, {}, "sync"};
    std::array<int, kTasks> finished_phases{};
    auto run = [&](int me) {
      return [&, me] {
        for (int phase = 1; phase <= kPhases; ++phase) {
          finished_phases[me] = phase;
          sync.arrive_and_wait();
          for (int other : finished_phases) EXPECT_GE(other, phase);
        }
      };
    };
    auto a = weave::spawn("a", run(0));
    auto b = weave::spawn("b", run(1));
    run(2)();
    a.join();
    b.join();
  });
}

TEST(Barrier, TheCompletionRunsOncePerPhaseAfterEveryArrivalAndBeforeAnyRelease) {
  EXPECT_WEAVE_OK(Runs(1000), [] {
    int arrivals = 0;
    int completions = 0;
    weave::barrier sync{kTasks,
                        [&] {
                          EXPECT_EQ(arrivals, kTasks * (completions + 1));
                          ++completions;
                        },
                        "sync"};
    auto run = [&] {
      for (int phase = 1; phase <= kPhases; ++phase) {
        ++arrivals;
        sync.arrive_and_wait();
        EXPECT_EQ(completions, phase);
      }
    };
    auto a = weave::spawn("a", run);
    auto b = weave::spawn("b", run);
    run();
    a.join();
    b.join();
    EXPECT_EQ(completions, kPhases);
  });
}

// Three tasks start; one leaves after the first phase, with arrive_and_drop or by just returning.
void OneTaskLeavesAfterPhaseOne(bool drops) {
  int completions = 0;
  weave::barrier sync{3, [&] { ++completions; }, "sync"};
  auto stay = [&] {
    for (int phase = 1; phase <= kPhases; ++phase) sync.arrive_and_wait();
  };
  auto quitter = weave::spawn("quitter", [&] {
    if (drops) {
      sync.arrive_and_drop();
    } else {
      sync.arrive_and_wait();
    }
  });
  auto a = weave::spawn("a", stay);
  stay();
  quitter.join();
  a.join();
  EXPECT_EQ(completions, kPhases);
}

TEST(Barrier, ArriveAndDropLowersTheCountForLaterPhases) {
  EXPECT_WEAVE_OK(Runs(1000), [] { OneTaskLeavesAfterPhaseOne(/*drops=*/true); });
}

TEST(Barrier, ATaskThatLeavesWithoutDroppingDeadlocksTheOthers) {
  const weave::Failure f =
      FailureOf(FailureKind::kDeadlock, Runs(100), [] { OneTaskLeavesAfterPhaseOne(false); });
  EXPECT_THAT(f.details, HasSubstr("barrier 'sync'"));
}

TEST(Barrier, WaitOnATokenBlocksUntilItsPhaseCompletes) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::barrier<> sync{2, {}, "sync"};
    auto late = weave::spawn("late", [&] {
      weave::this_task::sleep_for(1h);
      sync.arrive_and_wait();
    });
    auto token = sync.arrive();
    EXPECT_EQ(Now(), 0);  // arrive() does not wait
    sync.wait(std::move(token));
    EXPECT_EQ(Now(), Ns(1h));
    late.join();
  });
}

TEST(Barrier, ArrivingMoreThanTheMissingCountIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::barrier<> sync{2, {}, "sync"};
    (void)sync.arrive(3);
  });
  EXPECT_THAT(f.message, HasSubstr("'sync'"));
}

TEST(Barrier, ANegativeExpectedCountIsRejected) {
  EXPECT_THROW(weave::barrier<>(-1), std::invalid_argument);
}

}  // namespace
