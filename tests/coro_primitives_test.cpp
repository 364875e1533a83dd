// The awaitable (co_*) forms of the primitives: shared_mutex, condition_variable, semaphores,
// latch, barrier, channel and atomic. Each works under many schedules and in virtual time, and a
// coroutine and a fiber waiting on the same object are woken by each other.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

// --- shared_mutex ---------------------------------------------------------------------------

TEST(CoroutineSharedMutex, CoLockExcludesEveryoneAndCoLockSharedOnlyWriters) {
  std::set<int> most_readers_at_once;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(500), [&] {
    weave::shared_mutex rw{"rw"};
    int writers = 0;
    int readers = 0;
    int most_readers = 0;
    int writes = 0;
    auto writer = [&]() -> weave::task<> {
      auto guard = co_await rw.co_lock();
      EXPECT_TRUE(guard.owns_lock());
      EXPECT_EQ(++writers, 1);
      EXPECT_EQ(readers, 0);
      co_await weave::yield();
      --writers;
      ++writes;
    };
    auto reader = [&]() -> weave::task<> {
      std::shared_lock<weave::shared_mutex> guard = co_await rw.co_lock_shared();
      EXPECT_TRUE(guard.owns_lock());
      EXPECT_EQ(writers, 0);
      most_readers = std::max(most_readers, ++readers);
      co_await weave::yield();
      --readers;
    };
    auto w = weave::co_spawn("writer", writer());
    auto r1 = weave::co_spawn("reader-1", reader());
    auto r2 = weave::co_spawn("reader-2", reader());
    auto f = weave::spawn("fiber-writer", [&] {
      std::unique_lock guard(rw);
      EXPECT_EQ(++writers, 1);
      EXPECT_EQ(readers, 0);
      weave::this_task::yield();
      --writers;
      ++writes;
    });
    w.join();
    r1.join();
    r2.join();
    f.join();
    EXPECT_EQ(writes, 2);
    most_readers_at_once.insert(most_readers);
  });
  EXPECT_THAT(most_readers_at_once, ElementsAre(1, 2)) << "the two readers overlap in some runs";
}

TEST(CoroutineSharedMutex, ACoroutineAndAFiberWakeEachOther) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::shared_mutex rw{"rw"};
    std::int64_t fiber_read_at = -1;
    std::int64_t coroutine_wrote_at = -1;
    auto co = [&]() -> weave::task<> {
      {
        auto write = co_await rw.co_lock();  // first: the fiber starts after 1s
        co_await weave::sleep_for(2s);
      }  // wakes the fiber's lock_shared
      co_await weave::sleep_for(1s);
      auto write = co_await rw.co_lock();  // waits for the fiber's unlock_shared
      coroutine_wrote_at = Now();
    };
    auto h = weave::co_spawn("co", co());
    auto f = weave::spawn("fiber", [&] {
      weave::this_task::sleep_for(1s);
      std::shared_lock read(rw);
      fiber_read_at = Now();
      weave::this_task::sleep_for(5s);
    });
    h.join();
    f.join();
    EXPECT_EQ(fiber_read_at, Ns(2s));
    EXPECT_EQ(coroutine_wrote_at, Ns(7s));
  });
}

TEST(CoroutineSharedMutex, CoLockWhileHoldingItSharedIsASelfDeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(3), [] {
    weave::shared_mutex rw{"rw"};
    auto upgrade = [&]() -> weave::task<> {
      auto read = co_await rw.co_lock_shared();
      auto write = co_await rw.co_lock();
    };
    weave::co_spawn("upgrade", upgrade()).join();
  });
  EXPECT_THAT(f.message, HasSubstr("self-deadlock"));
  EXPECT_THAT(f.where.file, HasSubstr("coro_primitives_test.cpp"));
}

// --- condition_variable -----------------------------------------------------------------------

TEST(CoroutineConditionVariable, ACoroutineConsumerWithAPredicateReceivesEveryItemInOrder) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    std::deque<int> queue;
    std::vector<int> got;
    auto consumer = [&]() -> weave::task<> {
      for (int i = 0; i < 3; ++i) {
        std::unique_lock lock(m);
        co_await cv.co_wait(lock, [&] { return !queue.empty(); });
        EXPECT_TRUE(lock.owns_lock());
        EXPECT_EQ(m.owner(), weave::this_task::id());
        got.push_back(queue.front());
        queue.pop_front();
      }
    };
    auto c = weave::co_spawn("consumer", consumer());
    auto producer = weave::spawn("producer", [&] {
      for (int i = 1; i <= 3; ++i) {
        std::scoped_lock lock(m);
        queue.push_back(i);
        cv.notify_one();
      }
    });
    c.join();
    producer.join();
    EXPECT_THAT(got, ElementsAre(1, 2, 3));
  });
}

// A coroutine and a fiber take turns: each waits on the same condition variable for its turn and
// notifies the other.
TEST(CoroutineConditionVariable, ACoroutineAndAFiberTakeTurnsWakingEachOther) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    int turn = 0;  // even: the coroutine's, odd: the fiber's
    std::vector<int> order;
    auto co = [&]() -> weave::task<> {
      for (int i = 0; i < 3; ++i) {
        std::unique_lock lock(m);
        while (turn % 2 != 0) co_await cv.co_wait(lock);
        order.push_back(turn++);
        cv.notify_all();
      }
    };
    auto h = weave::co_spawn("co", co());
    auto f = weave::spawn("fiber", [&] {
      for (int i = 0; i < 3; ++i) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return turn % 2 == 1; });
        order.push_back(turn++);
        cv.notify_all();
      }
    });
    h.join();
    f.join();
    EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5));
  });
}

TEST(CoroutineConditionVariable, NotifyAllWakesWaitingCoroutinesAndFibersAlike) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    bool go = false;
    int released = 0;
    auto co = [&]() -> weave::task<> {
      std::unique_lock lock(m);
      co_await cv.co_wait(lock, [&] { return go; });
      ++released;
    };
    auto c1 = weave::co_spawn("co-1", co());
    auto c2 = weave::co_spawn("co-2", co());
    auto f = weave::spawn("fiber", [&] {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return go; });
      ++released;
    });
    {
      std::scoped_lock lock(m);
      go = true;
    }
    cv.notify_all();
    c1.join();
    c2.join();
    f.join();
    EXPECT_EQ(released, 3);
  });
}

TEST(CoroutineConditionVariable, CoWaitForTimesOutAfterExactlyTheTimeoutHoldingTheLock) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    auto co = [&]() -> weave::task<> {
      co_await weave::sleep_for(1h);
      std::unique_lock lock(m);
      const std::int64_t t0 = Now();
      EXPECT_EQ(co_await cv.co_wait_for(lock, 5s), std::cv_status::timeout);
      EXPECT_EQ(Now() - t0, Ns(5s));
      EXPECT_TRUE(lock.owns_lock());
      EXPECT_EQ(m.owner(), weave::this_task::id());
    };
    weave::co_spawn("co", co()).join();
  });
}

TEST(CoroutineConditionVariable, CoWaitUntilTimesOutAtTheVirtualTimePoint) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    auto co = [&]() -> weave::task<std::cv_status> {
      std::unique_lock lock(m);
      co_return co_await cv.co_wait_until(lock, weave::clock::time_point(90min));
    };
    EXPECT_EQ(weave::co_spawn("co", co()).join(), std::cv_status::timeout);
    EXPECT_EQ(Now(), Ns(90min));
  });
}

TEST(CoroutineConditionVariable, ANotifyBeforeTheDeadlineWinsAndAPredicateWaitTimesOutFalse) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    bool ready = false;
    auto co = [&]() -> weave::task<> {
      std::unique_lock lock(m);
      EXPECT_FALSE(co_await cv.co_wait_for(lock, 1s, [&] { return ready; }));
      EXPECT_EQ(Now(), Ns(1s));
      EXPECT_TRUE(
          co_await cv.co_wait_until(lock, weave::clock::time_point(10s), [&] { return ready; }));
      EXPECT_EQ(Now(), Ns(2s));
      EXPECT_EQ(co_await cv.co_wait_for(lock, 3s), std::cv_status::no_timeout);
      EXPECT_EQ(Now(), Ns(4s));
    };
    auto h = weave::co_spawn("co", co());
    auto notifier = weave::spawn("notifier", [&] {
      weave::this_task::sleep_for(2s);
      {
        std::scoped_lock lock(m);
        ready = true;
        cv.notify_one();
      }
      weave::this_task::sleep_for(2s);
      std::scoped_lock lock(m);
      cv.notify_one();
    });
    h.join();
    notifier.join();
  });
}

TEST(CoroutineConditionVariable, ATimedOutWaitStillRelocksAndWaitsForTheMutex) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    auto co = [&]() -> weave::task<> {
      std::unique_lock lock(m);
      EXPECT_EQ(co_await cv.co_wait_for(lock, 1s), std::cv_status::timeout);
      EXPECT_EQ(Now(), Ns(3s)) << "the fiber held the mutex from 0.5s to 3s";
      EXPECT_TRUE(lock.owns_lock());
    };
    auto h = weave::co_spawn("co", co());
    auto holder = weave::spawn("holder", [&] {
      weave::this_task::sleep_for(500ms);
      std::scoped_lock lock(m);
      weave::this_task::sleep_for(2500ms);
    });
    h.join();
    holder.join();
  });
}

TEST(CoroutineConditionVariable, CoWaitOnAConditionVariableNobodyNotifiesIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(100), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    auto waiter = [&]() -> weave::task<> {
      std::unique_lock lock(m);
      co_await cv.co_wait(lock);
    };
    weave::co_spawn("waiter", waiter()).join();
  });
  EXPECT_THAT(f.details, HasSubstr("condition_variable 'cv'"));
  EXPECT_THAT(f.details, HasSubstr("'waiter'"));
}

TEST(CoroutineConditionVariable, CoWaitWithoutHoldingTheLockIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(3), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    auto waiter = [&]() -> weave::task<> {
      std::unique_lock lock(m, std::defer_lock);
      co_await cv.co_wait(lock);
    };
    weave::co_spawn("waiter", waiter()).join();
  });
  EXPECT_THAT(f.message, HasSubstr("without holding its lock"));
  EXPECT_THAT(f.where.file, HasSubstr("coro_primitives_test.cpp"));
}

// Waits for `ready` with `if` (no loop) or with a predicate loop, as a coroutine.
void CoWaitOnce(bool with_predicate_loop) {
  weave::mutex m{"m"};
  weave::condition_variable cv{"cv"};
  bool ready = false;
  auto waiter = [&]() -> weave::task<> {
    std::unique_lock lock(m);
    if (with_predicate_loop) {
      co_await cv.co_wait(lock, [&] { return ready; });
    } else if (!ready) {
      co_await cv.co_wait(lock);
    }
    weave::check(ready, "co_wait returned without a notify");
  };
  auto h = weave::co_spawn("waiter", waiter());
  auto notifier = weave::spawn("notifier", [&] {
    std::scoped_lock lock(m);
    ready = true;
    cv.notify_one();
  });
  h.join();
  notifier.join();
}

weave::Options WithSpuriousWakeups() {
  weave::Options o = Runs(1000);
  o.spurious_wakeups = true;
  return o;
}

TEST(CoroutineConditionVariable, SpuriousWakeupsCatchACoWaitWithoutAPredicateLoop) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, WithSpuriousWakeups(), [] { CoWaitOnce(false); });
}

TEST(CoroutineConditionVariable, ACoWaitWithAPredicateSurvivesSpuriousWakeups) {
  EXPECT_WEAVE_OK(WithSpuriousWakeups(), [] { CoWaitOnce(true); });
}

TEST(CoroutineConditionVariable, ACancelledWaiterGetsTaskCancelledWithoutTheLock) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    bool cancelled = false;
    auto waiter = [&]() -> weave::task<> {
      std::unique_lock lock(m);
      try {
        co_await cv.co_wait(lock);
      } catch (const weave::task_cancelled&) {
        cancelled = true;
        EXPECT_FALSE(lock.owns_lock());
        throw;
      }
    };
    auto h = weave::co_spawn("waiter", waiter());
    weave::this_task::sleep_for(1s);  // it waits on cv now
    h.cancel();
    EXPECT_THROW(h.join(), weave::task_cancelled);
    EXPECT_TRUE(cancelled);
    EXPECT_EQ(m.owner(), weave::kNoTask);
  });
}

TEST(CoroutineConditionVariable, AFailureWhileCoroutinesWaitOrRelockTearsTheRunDown) {
  const weave::Failure f = FailureOf(FailureKind::kAssertion, Runs(200), [] {
    weave::timed_mutex m{"m"};
    weave::condition_variable cv{"cv"};
    auto waiter = [&]() -> weave::task<> {
      std::unique_lock<weave::timed_mutex> lock(m);
      co_await cv.co_wait(lock);  // never notified in time: the run fails first
    };
    auto relocker = [&]() -> weave::task<> {
      std::unique_lock<weave::timed_mutex> lock(m);
      (void)co_await cv.co_wait_for(lock, 1s);  // times out, then waits for the body's lock
    };
    auto w = weave::co_spawn("waiter", waiter());
    auto r = weave::co_spawn("relocker", relocker());
    weave::this_task::sleep_for(500ms);
    std::unique_lock lock(m);
    weave::this_task::sleep_for(1s);
    weave::check(false, "stop here");
    lock.unlock();
    cv.notify_all();
    w.join();
    r.join();
  });
  EXPECT_EQ(f.message, "weave::check failed: stop here");
  EXPECT_EQ(f.time_ns, Ns(1500ms));
  bool relocking_shown = false;
  for (const weave::TaskSnapshot& t : f.tasks) {
    if (t.name == "relocker")
      relocking_shown = t.state.find("blocked in lock on timed_mutex 'm'") == 0;
  }
  EXPECT_TRUE(relocking_shown) << f;
}

// --- counting_semaphore / binary_semaphore ----------------------------------------------------

TEST(CoroutineSemaphore, AtMostTheCountOfCoroutinesAndFibersHoldAUnitAndThatManyDoInSomeRun) {
  std::set<int> most_inside;  // over every explored schedule
  EXPECT_WEAVE_OK(Runs(500), [&] {
    weave::counting_semaphore<2> slots{2, "slots"};
    int inside = 0;
    int most = 0;
    auto co = [&]() -> weave::task<> {
      co_await slots.co_acquire();
      most = std::max(most, ++inside);
      co_await weave::yield();
      --inside;
      slots.release();
    };
    auto c1 = weave::co_spawn("co-1", co());
    auto c2 = weave::co_spawn("co-2", co());
    auto f = weave::spawn("fiber", [&] {
      slots.acquire();
      most = std::max(most, ++inside);
      weave::this_task::yield();
      --inside;
      slots.release();
    });
    c1.join();
    c2.join();
    f.join();
    EXPECT_LE(most, 2);
    EXPECT_EQ(slots.count(), 2);
    most_inside.insert(most);
  });
  EXPECT_THAT(most_inside, ElementsAre(1, 2));
}

TEST(CoroutineSemaphore, ABinarySemaphorePassesATokenBetweenACoroutineAndAFiber) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::binary_semaphore to_fiber{0, "to_fiber"};
    weave::binary_semaphore to_co{0, "to_co"};
    std::vector<int> order;
    auto co = [&]() -> weave::task<> {
      for (int i = 0; i < 3; ++i) {
        order.push_back(2 * i);
        to_fiber.release();
        co_await to_co.co_acquire();
      }
    };
    auto h = weave::co_spawn("co", co());
    auto f = weave::spawn("fiber", [&] {
      for (int i = 0; i < 3; ++i) {
        to_fiber.acquire();
        order.push_back(2 * i + 1);
        to_co.release();
      }
    });
    h.join();
    f.join();
    EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4, 5));
  });
}

TEST(CoroutineSemaphore, CoTryAcquireForTimesOutInVirtualTimeAndAReleaseBeforeItWins) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::counting_semaphore<> s{0, "s"};
    auto co = [&]() -> weave::task<> {
      EXPECT_FALSE(co_await s.co_try_acquire_for(3s));
      EXPECT_EQ(Now(), Ns(3s));
      EXPECT_TRUE(co_await s.co_try_acquire_for(10s));
      EXPECT_EQ(Now(), Ns(5s));
      EXPECT_FALSE(co_await s.co_try_acquire_until(weave::clock::time_point(1min)));
      EXPECT_EQ(Now(), Ns(1min));
    };
    auto h = weave::co_spawn("co", co());
    auto f = weave::spawn("releaser", [&] {
      weave::this_task::sleep_for(5s);
      s.release();
    });
    h.join();
    f.join();
    EXPECT_EQ(s.count(), 0);
  });
}

TEST(CoroutineSemaphore, ACoroutineThatIsNeverReleasedIsReportedAsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(20), [] {
    weave::binary_semaphore s{0, "s"};
    auto co = [&]() -> weave::task<> { co_await s.co_acquire(); };
    weave::co_spawn("co", co()).join();
  });
  EXPECT_THAT(f.details, HasSubstr("semaphore 's'"));
}

// --- latch ------------------------------------------------------------------------------------

TEST(CoroutineLatch, CoroutinesAndFibersAreReleasedOnlyByTheLastArrival) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::latch done{3, "done"};
    int arrived = 0;
    int released = 0;
    auto arriver = [&]() -> weave::task<> {
      ++arrived;
      co_await done.co_arrive_and_wait();
      EXPECT_EQ(arrived, 3);
      ++released;
    };
    auto watcher = [&]() -> weave::task<> {
      co_await done.co_wait();
      EXPECT_EQ(arrived, 3);
      ++released;
    };
    auto c1 = weave::co_spawn("arriver", arriver());
    auto c2 = weave::co_spawn("watcher", watcher());
    auto f = weave::spawn("fiber", [&] {
      ++arrived;
      done.arrive_and_wait();
      EXPECT_EQ(arrived, 3);
      ++released;
    });
    weave::this_task::sleep_for(1s);
    EXPECT_EQ(released, 0);
    ++arrived;
    done.count_down();
    c1.join();
    c2.join();
    f.join();
    EXPECT_EQ(released, 3);
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(CoroutineLatch, CoArriveAndWaitCountsDownByItsArgument) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::latch l{3, "l"};
    auto co = [&]() -> weave::task<> { co_await l.co_arrive_and_wait(2); };
    auto h = weave::co_spawn("co", co());
    weave::this_task::sleep_for(1s);
    EXPECT_FALSE(l.try_wait());
    l.count_down();
    h.join();
    EXPECT_TRUE(l.try_wait());
  });
}

TEST(CoroutineLatch, AMissingCountDownLeavesACoroutineDeadlocked) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(50), [] {
    weave::latch l{2, "l"};
    auto co = [&]() -> weave::task<> { co_await l.co_arrive_and_wait(); };
    weave::co_spawn("co", co()).join();
  });
  EXPECT_THAT(f.details, HasSubstr("latch 'l'"));
}

// --- barrier ----------------------------------------------------------------------------------

TEST(CoroutineBarrier, NoCoroutineOrFiberStartsAPhaseBeforeAllFinishedThePreviousOne) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    int completions = 0;
    std::vector<int> seen;  // the completions count each task saw at the start of each phase
    weave::barrier sync{3, [&]() noexcept { ++completions; }, "sync"};
    auto co = [&]() -> weave::task<> {
      for (int phase = 0; phase < 3; ++phase) {
        EXPECT_EQ(completions, phase);
        co_await weave::yield();
        co_await sync.co_arrive_and_wait();
        seen.push_back(completions);
      }
    };
    auto c1 = weave::co_spawn("co-1", co());
    auto c2 = weave::co_spawn("co-2", co());
    auto f = weave::spawn("fiber", [&] {
      for (int phase = 0; phase < 3; ++phase) {
        EXPECT_EQ(completions, phase);
        weave::this_task::yield();
        sync.arrive_and_wait();
        seen.push_back(completions);
      }
    });
    c1.join();
    c2.join();
    f.join();
    EXPECT_EQ(completions, 3);
    std::sort(seen.begin(), seen.end());
    EXPECT_THAT(seen, ElementsAre(1, 1, 1, 2, 2, 2, 3, 3, 3));
  });
}

TEST(CoroutineBarrier, CoWaitOnATokenWaitsForItsPhase) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::barrier sync{2, weave::detail::NoCompletion(), "sync"};
    auto co = [&]() -> weave::task<> {
      auto token = sync.arrive();
      co_await sync.co_wait(std::move(token));
      EXPECT_EQ(Now(), Ns(2s));
    };
    auto h = weave::co_spawn("co", co());
    weave::this_task::sleep_for(2s);
    sync.arrive_and_drop();
    h.join();
  });
}

TEST(CoroutineBarrier, ACoroutineThatLeavesWithoutArrivingDeadlocksTheOthers) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(50), [] {
    weave::barrier sync{3, weave::detail::NoCompletion(), "sync"};
    auto co = [&]() -> weave::task<> { co_await sync.co_arrive_and_wait(); };
    auto h = weave::co_spawn("co", co());
    sync.arrive_and_wait();
    h.join();
  });
  EXPECT_THAT(f.details, HasSubstr("barrier 'sync'"));
}

// --- channel ----------------------------------------------------------------------------------

TEST(CoroutineChannel, ACoroutineProducerAndAFiberConsumerPassEveryValueInOrder) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::channel<int> ch{1, "ch"};
    auto producer = [&]() -> weave::task<> {
      for (int i = 0; i < 4; ++i) EXPECT_TRUE(co_await ch.co_send(i));
      ch.close();
      EXPECT_FALSE(co_await ch.co_send(99));
    };
    auto h = weave::co_spawn("producer", producer());
    std::vector<int> got;
    auto f = weave::spawn("consumer", [&] {
      while (std::optional<int> v = ch.receive()) got.push_back(*v);
    });
    h.join();
    f.join();
    EXPECT_THAT(got, ElementsAre(0, 1, 2, 3));
  });
}

TEST(CoroutineChannel, AFiberProducerAndACoroutineConsumerPassEveryValueInOrder) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::channel<int> ch{2, "ch"};
    std::vector<int> got;
    auto consumer = [&]() -> weave::task<> {
      while (std::optional<int> v = co_await ch.co_receive()) got.push_back(*v);
      EXPECT_EQ(co_await ch.co_receive(), std::nullopt);
    };
    auto h = weave::co_spawn("consumer", consumer());
    auto f = weave::spawn("producer", [&] {
      for (int i = 0; i < 5; ++i) EXPECT_TRUE(ch.send(i));
      ch.close();
    });
    h.join();
    f.join();
    EXPECT_THAT(got, ElementsAre(0, 1, 2, 3, 4));
  });
}

TEST(CoroutineChannel, ARendezvousCoSendReturnsOnlyOnceAFiberTookTheValue) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{0, "ch"};
    std::int64_t sent_at = -1;
    auto sender = [&]() -> weave::task<> {
      EXPECT_TRUE(co_await ch.co_send(7));
      sent_at = Now();
    };
    auto h = weave::co_spawn("sender", sender());
    weave::this_task::sleep_for(1h);
    EXPECT_EQ(sent_at, -1);
    EXPECT_THAT(ch.receive(), Optional(7));
    h.join();
    EXPECT_EQ(sent_at, Ns(1h));
  });
}

TEST(CoroutineChannel, ARendezvousSendOfAFiberWaitsForACoroutineReceiver) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{0, "ch"};
    std::int64_t sent_at = -1;
    auto f = weave::spawn("sender", [&] {
      EXPECT_TRUE(ch.send(8));
      sent_at = Now();
    });
    auto receiver = [&]() -> weave::task<std::optional<int>> {
      co_await weave::sleep_for(2s);
      co_return co_await ch.co_receive();
    };
    EXPECT_THAT(weave::co_spawn("receiver", receiver()).join(), Optional(8));
    f.join();
    EXPECT_EQ(sent_at, Ns(2s));
  });
}

TEST(CoroutineChannel, CoReceiveForAndUntilTimeOutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{1, "ch"};
    auto receiver = [&]() -> weave::task<> {
      EXPECT_EQ(co_await ch.co_receive_for(3s), std::nullopt);
      EXPECT_EQ(Now(), Ns(3s));
      EXPECT_THAT(co_await ch.co_receive_for(10s), Optional(5));
      EXPECT_EQ(Now(), Ns(4s));
      EXPECT_EQ(co_await ch.co_receive_until(weave::clock::time_point(1min)), std::nullopt);
      EXPECT_EQ(Now(), Ns(1min));
      EXPECT_FALSE(ch.closed());
    };
    auto h = weave::co_spawn("receiver", receiver());
    auto f = weave::spawn("sender", [&] {
      weave::this_task::sleep_for(4s);
      ch.send(5);
    });
    h.join();
    f.join();
  });
}

TEST(CoroutineChannel, CoSendForTimesOutOnAFullChannel) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{1, "ch"};
    auto sender = [&]() -> weave::task<> {
      EXPECT_TRUE(co_await ch.co_send_for(1, 1s));
      EXPECT_FALSE(co_await ch.co_send_for(2, 2s));
      EXPECT_EQ(Now(), Ns(2s));
      EXPECT_TRUE(co_await ch.co_send_until(3, weave::clock::time_point(1min)));
      EXPECT_EQ(Now(), Ns(5s));
    };
    auto h = weave::co_spawn("sender", sender());
    weave::this_task::sleep_for(5s);
    EXPECT_THAT(ch.receive(), Optional(1));
    h.join();
    EXPECT_THAT(ch.receive(), Optional(3));
    EXPECT_EQ(ch.size(), 0u);
  });
}

TEST(CoroutineChannel, ATimedRendezvousSendThatNobodyTakesIsTakenBack) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{0, "ch"};
    auto sender = [&]() -> weave::task<> {
      EXPECT_FALSE(co_await ch.co_send_for(1, 2s));
      EXPECT_EQ(Now(), Ns(2s));
      EXPECT_EQ(ch.size(), 0u) << "taken back";
      co_await weave::sleep_for(2s);
      EXPECT_TRUE(co_await ch.co_send_for(2, 2s));
      EXPECT_EQ(Now(), Ns(5s));
    };
    auto h = weave::co_spawn("sender", sender());
    std::int64_t other_sent_at = -1;
    auto other = weave::spawn("other-sender", [&] {
      weave::this_task::sleep_for(1s);
      EXPECT_TRUE(ch.send_for(3, 10s));  // room from 2s, when the coroutine's value is taken back
      other_sent_at = Now();
    });
    weave::this_task::sleep_for(3s);
    EXPECT_THAT(ch.receive(), Optional(3));
    weave::this_task::sleep_for(2s);
    EXPECT_THAT(ch.receive(), Optional(2));
    h.join();
    other.join();
    EXPECT_EQ(other_sent_at, Ns(3s));
  });
}

TEST(CoroutineChannel, MoveOnlyValuesGoThroughTheAwaitables) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::channel<std::unique_ptr<int>> ch{1, "ch"};
    auto producer = [&]() -> weave::task<> {
      EXPECT_TRUE(co_await ch.co_send(std::make_unique<int>(41)));
      EXPECT_TRUE(co_await ch.co_send(std::make_unique<int>(42)));
      ch.close();
    };
    auto consumer = [&]() -> weave::task<int> {
      int sum = 0;
      while (std::optional<std::unique_ptr<int>> v = co_await ch.co_receive()) sum += **v;
      co_return sum;
    };
    auto p = weave::co_spawn("producer", producer());
    auto c = weave::co_spawn("consumer", consumer());
    p.join();
    EXPECT_EQ(c.join(), 83);
  });
}

TEST(CoroutineChannel, ACancelledRendezvousSendTakesItsValueBack) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    weave::channel<int> ch{0, "ch"};
    auto sender = [&]() -> weave::task<> { co_await ch.co_send(1); };
    auto h = weave::co_spawn("sender", sender());
    weave::this_task::sleep_for(1s);
    EXPECT_EQ(ch.size(), 1u);  // buffered, waiting to be taken
    h.cancel();
    EXPECT_THROW(h.join(), weave::task_cancelled);
    EXPECT_EQ(ch.size(), 0u);
    EXPECT_FALSE(ch.try_receive().has_value());
  });
}

TEST(CoroutineChannel, ACoroutineReceivingFromAChannelNobodyClosesIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(100), [] {
    weave::channel<int> ch{1, "ch"};
    auto consumer = [&]() -> weave::task<> {
      while (co_await ch.co_receive()) {
      }
    };
    auto h = weave::co_spawn("consumer", consumer());
    ch.send(1);  // forgets close()
    h.join();
  });
  EXPECT_THAT(f.details, HasSubstr("channel 'ch'"));
}

// --- atomic -----------------------------------------------------------------------------------

TEST(CoroutineAtomic, CoWaitAndWaitAreWokenByEachOthersNotify) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::atomic<int> state{0, "state"};
    auto co = [&]() -> weave::task<> {
      co_await state.co_wait(0);  // until the fiber stores 1
      EXPECT_EQ(state.load(), 1);
      state.store(2);
      state.notify_all();
    };
    auto h = weave::co_spawn("co", co());
    auto f = weave::spawn("fiber", [&] {
      state.store(1);
      state.notify_one();
      state.wait(1);  // until the coroutine stores 2
      EXPECT_EQ(state.load(), 2);
    });
    h.join();
    f.join();
  });
}

TEST(CoroutineAtomic, ACoWaitNobodyNotifiesIsADeadlock) {
  EXPECT_WEAVE_FAILURE(FailureKind::kDeadlock, Runs(50), [] {
    weave::atomic<bool> flag{false, "flag"};
    auto co = [&]() -> weave::task<> { co_await flag.co_wait(false); };
    auto h = weave::co_spawn("co", co());
    weave::this_task::sleep_for(1s);  // it waits now
    flag.store(true);                 // forgets notify
    h.join();
  });
}

}  // namespace
