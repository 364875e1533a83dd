// weave::event: a manual-reset event that fibers wait on and coroutines await.
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
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

// A producer publishes data and sets `ready`; every consumer that returns from wait() sees it.
TEST(Event, EveryWaiterSeesWhatWasWrittenBeforeTheSet) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::event ready{"ready"};
    weave::shared<int> data{0, "data"};
    int released = 0;
    auto consumer = [&] {
      ready.wait();
      EXPECT_EQ(data.load(), 42) << "released before the set";
      ++released;
    };
    auto a = weave::spawn("consumer-a", consumer);
    auto b = weave::spawn("consumer-b", consumer);
    auto producer = weave::spawn("producer", [&] {
      data = 42;
      ready.set();
    });
    consumer();
    a.join();
    b.join();
    producer.join();
    EXPECT_EQ(released, 3);
  });
}

TEST(Event, EveryWaiterWakesAtTheInstantOfTheSet) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::event go{"go"};
    std::array<std::int64_t, 3> woke_at{-1, -1, -1};
    auto waiter = [&](int i) {
      return [&, i] {
        go.wait();
        woke_at[i] = Now();
      };
    };
    auto a = weave::spawn("a", waiter(0));
    auto b = weave::spawn("b", waiter(1));
    auto c = weave::spawn("c", waiter(2));
    weave::this_task::sleep_for(1h);
    EXPECT_THAT(woke_at, Each(-1));
    go.set();
    a.join();
    b.join();
    c.join();
    EXPECT_THAT(woke_at, Each(Ns(1h)));
  });
}

TEST(Event, ASetEventStaysSetUntilReset) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::event e{"e"};
    EXPECT_FALSE(e.is_set());
    e.set();
    e.set();  // setting twice is fine: it stays set
    EXPECT_TRUE(e.is_set());
    e.wait();
    e.wait();
    EXPECT_TRUE(e.wait_for(1s));
    EXPECT_EQ(Now(), 0) << "waiting on a set event takes no time";
    e.reset();
    EXPECT_FALSE(e.is_set());
    EXPECT_FALSE(e.wait_for(1s));
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(Event, TimedWaitsTimeOutInVirtualTimeAndSucceedWhenSetInTime) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::event e{"e"};
    auto setter = weave::spawn("setter", [&] {
      weave::this_task::sleep_for(5s);
      e.set();
    });
    EXPECT_FALSE(e.wait_for(2s));
    EXPECT_EQ(Now(), Ns(2s));
    EXPECT_FALSE(e.wait_until(weave::clock::time_point(3s)));
    EXPECT_EQ(Now(), Ns(3s));
    EXPECT_TRUE(e.wait_for(1h));
    EXPECT_EQ(Now(), Ns(5s)) << "woken by the set, not by the deadline";
    EXPECT_TRUE(e.wait_until(weave::clock::time_point(1s))) << "set: a past deadline is fine";
    setter.join();
  });
}

TEST(Event, ASetReleasesTheTasksWaitingThenEvenIfAResetFollowsAtOnce) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::event pulse{"pulse"};
    int released = 0;
    auto waiter = [&] {
      pulse.wait();
      ++released;
    };
    auto a = weave::spawn("a", waiter);
    auto b = weave::spawn("b", waiter);
    weave::this_task::sleep_for(1s);  // both wait by now
    pulse.set();
    pulse.reset();
    a.join();
    b.join();
    EXPECT_EQ(released, 2);
    EXPECT_FALSE(pulse.is_set());
  });
}

TEST(Event, AResetBeforeTheWaitMakesTheWaiterBlockAgain) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::event e{"e"};
    e.set();
    e.reset();
    auto late = weave::spawn("late", [&] { EXPECT_FALSE(e.wait_for(10s)); });
    late.join();
    EXPECT_EQ(Now(), Ns(10s));
  });
}

TEST(Event, WaitingOnAnEventNobodySetsIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(100), [] {
    weave::event ready{"ready"};
    auto waiter = weave::spawn("waiter", [&] { ready.wait(); });
    ready.wait();
    waiter.join();
  });
  EXPECT_THAT(f.details, HasSubstr("event 'ready'"));
}

TEST(Event, DestroyingAnEventWhileATaskWaitsOnItIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(50), [] {
    auto e = std::make_unique<weave::event>("doomed");
    auto waiter = weave::spawn("waiter", [&] { e->wait(); });
    weave::this_task::sleep_for(1s);
    e.reset();
    waiter.join();
  });
  EXPECT_THAT(f.message, HasSubstr("event 'doomed'"));
  EXPECT_THAT(f.message, HasSubstr("while tasks wait on it"));
}

TEST(Event, OutsideASimulationItIsAPlainFlag) {
  weave::event e;
  EXPECT_FALSE(e.is_set());
  EXPECT_THROW(e.wait(), std::logic_error);
  e.set();
  EXPECT_TRUE(e.is_set());
  e.wait();
  EXPECT_TRUE(e.wait_for(1s));
  e.reset();
  EXPECT_FALSE(e.is_set());
}

// --- the awaitable forms ---

weave::task<> AwaitAndCount(weave::event& e, int& released) {
  co_await e.co_wait();
  ++released;
}

TEST(CoroutineEvent, ACoroutineAndAFiberAreReleasedByOneSet) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::event go{"go"};
    int released = 0;
    auto co = weave::co_spawn("coroutine", AwaitAndCount(go, released));
    auto fiber = weave::spawn("fiber", [&] {
      go.wait();
      ++released;
    });
    weave::this_task::sleep_for(1s);
    EXPECT_EQ(released, 0);
    go.set();
    co.join();
    fiber.join();
    EXPECT_EQ(released, 2);
    EXPECT_EQ(Now(), Ns(1s));
  });
}

weave::task<> Consume(weave::event& ready, weave::shared<int>& data) {
  co_await ready.co_wait();
  EXPECT_EQ(data.load(), 7) << "released before the set";
}

TEST(CoroutineEvent, CoWaitReleasesOnlyAfterTheSetUnderEverySchedule) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::event ready{"ready"};
    weave::shared<int> data{0, "data"};
    auto a = weave::co_spawn("a", Consume(ready, data));
    auto b = weave::co_spawn("b", Consume(ready, data));
    auto producer = weave::spawn("producer", [&] {
      data = 7;
      ready.set();
    });
    a.join();
    b.join();
    producer.join();
  });
}

weave::task<bool> WaitFor(weave::event& e, std::chrono::seconds d) {
  co_return co_await e.co_wait_for(d);
}

TEST(CoroutineEvent, CoWaitForAndCoWaitUntilTimeOutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::event e{"e"};
    auto setter = weave::spawn("setter", [&] {
      weave::this_task::sleep_for(5s);
      e.set();
    });
    EXPECT_FALSE(weave::sync_wait(WaitFor(e, 2s)));
    EXPECT_EQ(Now(), Ns(2s));
    auto until = [](weave::event& ev) -> weave::task<bool> {
      co_return co_await ev.co_wait_until(weave::clock::time_point(3s));
    };
    EXPECT_FALSE(weave::co_spawn("until", until(e)).join());
    EXPECT_EQ(Now(), Ns(3s));
    auto waiter = weave::co_spawn("waiter", WaitFor(e, 1h));
    EXPECT_TRUE(waiter.join());
    EXPECT_EQ(Now(), Ns(5s));
    setter.join();
  });
}

TEST(CoroutineEvent, AwaitingAnEventNobodySetsIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(50), [] {
    weave::event never{"never"};
    int released = 0;
    auto co = weave::co_spawn("stuck", AwaitAndCount(never, released));
    co.join();
  });
  EXPECT_THAT(f.details, HasSubstr("event 'never'"));
}

}  // namespace
