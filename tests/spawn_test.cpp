// weave::spawn and weave::join_handle: tasks, join, detach, ids, and what goes wrong with them
// (joining twice or an empty handle, exceptions, leaked tasks).
#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <stdexcept>
#include <utility>

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

TEST(Spawn, JoinWaitsForTheTaskToFinish) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    bool done = false;
    auto t = weave::spawn("worker", [&] {
      weave::this_task::sleep_for(1h);
      done = true;
    });
    t.join();
    EXPECT_TRUE(done);
    EXPECT_EQ(Now(), Ns(1h));
  });
}

TEST(Spawn, TasksAreNumberedInCreationOrderAfterTheBody) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::TaskId grandchild = weave::kNoTask;
    auto a = weave::spawn("a", [&] {
      auto g = weave::spawn("grandchild", [&] { grandchild = weave::this_task::id(); });
      g.join();
    });
    a.join();
    auto b = weave::spawn("b", [] {});
    EXPECT_EQ(a.id(), 1);
    EXPECT_EQ(grandchild, 2);
    EXPECT_EQ(b.id(), 3);
    b.join();
  });
}

TEST(Spawn, SpawnIsASchedulingPointSoTheNewTaskMayRunFirst) {
  std::set<bool> ran_before_spawn_returned;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(300), [&] {
    bool ran = false;
    auto t = weave::spawn("t", [&] { ran = true; });
    ran_before_spawn_returned.insert(ran);
    t.join();
  });
  EXPECT_THAT(ran_before_spawn_returned, ElementsAre(false, true));
}

TEST(JoinHandle, JoinableUntilJoinedOrDetached) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    weave::join_handle empty;
    EXPECT_FALSE(empty.joinable());
    EXPECT_EQ(empty.id(), weave::kNoTask);
    auto t = weave::spawn("t", [] {});
    EXPECT_TRUE(t.joinable());
    t.join();
    EXPECT_FALSE(t.joinable());
    auto d = weave::spawn("d", [] {});
    d.detach();
    EXPECT_FALSE(d.joinable());
    EXPECT_EQ(d.id(), weave::kNoTask);
    weave::this_task::sleep_for(1s);  // let "d" finish before the body returns
  });
}

TEST(JoinHandle, AMovedHandleJoinsFromAnotherTask) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    bool done = false;
    auto worker = weave::spawn("worker", [&] { done = true; });
    auto joiner = weave::spawn("joiner", [&, h = std::move(worker)]() mutable {
      h.join();
      EXPECT_TRUE(done);
    });
    EXPECT_FALSE(worker.joinable());
    joiner.join();
  });
}

TEST(JoinHandle, ADetachedTaskThatFinishesBeforeTheBodyReturnsIsFine) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    bool done = false;
    weave::spawn("detached", [&] {
      weave::this_task::sleep_for(1s);
      done = true;
    }).detach();
    weave::this_task::sleep_for(2s);
    EXPECT_TRUE(done);
  });
}

TEST(JoinHandle, JoiningTwiceIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    auto t = weave::spawn("worker", [] {});
    t.join();
    t.join();
  });
  EXPECT_THAT(f.message, HasSubstr("twice"));
}

TEST(JoinHandle, JoiningAnEmptyHandleIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::join_handle empty;
    empty.join();
  });
  EXPECT_THAT(f.message, HasSubstr("empty join_handle"));
}

TEST(JoinHandle, JoiningAMovedFromHandleIsReportedAsMisuse) {
  EXPECT_WEAVE_FAILURE(FailureKind::kMisuse, Runs(1), [] {
    auto t = weave::spawn("worker", [] {});
    weave::join_handle moved = std::move(t);
    moved.join();
    t.join();
  });
}

TEST(JoinHandle, ATaskJoiningItselfIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(50), [] {
    weave::join_handle self;
    weave::latch handle_ready{1, "handle_ready"};
    auto t = weave::spawn("narcissus", [&] {
      handle_ready.wait();
      self.join();
    });
    self = std::move(t);
    handle_ready.count_down();
    weave::this_task::sleep_for(1s);
  });
  EXPECT_THAT(f.message, HasSubstr("joins itself"));
}

TEST(Spawn, AnExceptionEscapingATaskIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(50), [] {
    auto t = weave::spawn("thrower", [] { throw std::runtime_error("boom"); });
    t.join();
  });
  EXPECT_THAT(f.message, HasSubstr("std::runtime_error"));
  EXPECT_THAT(f.message, HasSubstr("'thrower'"));
  EXPECT_THAT(f.message, HasSubstr("boom"));
}

TEST(Spawn, AnExceptionEscapingTheBodyIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(1),
                                     [] { throw std::out_of_range("index 7"); });
  EXPECT_THAT(f.message, HasSubstr("'main'"));
  EXPECT_THAT(f.message, HasSubstr("index 7"));
}

TEST(Spawn, ATaskStillAliveWhenTheBodyReturnsIsReportedAsLeaked) {
  const weave::Failure f = FailureOf(FailureKind::kLeakedTask, Runs(50), [] {
    weave::spawn("sleeper", [] { weave::this_task::sleep_for(1h); }).detach();
  });
  EXPECT_THAT(f.details, HasSubstr("'sleeper'"));
}

TEST(Spawn, AnUnjoinedHandleDoesNotKeepTheTaskFromLeaking) {
  EXPECT_WEAVE_FAILURE(FailureKind::kLeakedTask, Runs(50), [] {
    auto t = weave::spawn("forgotten", [] { weave::this_task::sleep_for(1h); });
    (void)t;
  });
}

TEST(Spawn, AnEmptyFunctionIsRejected) {
  EXPECT_WEAVE_OK(
      Runs(1), [] { EXPECT_THROW((void)weave::spawn("nothing", nullptr), std::invalid_argument); });
}

TEST(Spawn, OutsideASimulationSpawnThrows) {
  EXPECT_THROW((void)weave::spawn("t", [] {}), std::logic_error);
}

}  // namespace
