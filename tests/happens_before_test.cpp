// The race detector's happens-before edges, one primitive at a time. Each edge has two tests: a
// payload written by one task and read by another, ordered only by the primitive under test, is
// no race under any schedule; the same program with the ordering removed or reversed is reported
// as a data race. A last section checks that the locks tell the lock-order detector what they do.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/gtest.hpp"
#include "weave/thread.hpp"

namespace {

using namespace std::chrono_literals;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Runs;

// Schedules per test: plenty for every interleaving of these small bodies to come up.
constexpr std::int64_t kRuns = 2000;

// A tracked read whose value does not matter (the race variants).
void Read(const weave::shared<int>& variable) { static_cast<void>(variable.load()); }

// A producer task writes a payload and then calls `publish`, or (the race variants) calls
// `publish` first and writes after; the body calls `observe`, then reads the payload. Only the
// edge from `publish` to `observe` can order the write before the read.
void Handoff(bool write_before_publishing, const std::function<void()>& publish,
             const std::function<void()>& observe) {
  weave::shared<int> data{0, "data"};
  auto producer = weave::spawn("producer", [&] {
    if (write_before_publishing) data = 1;
    publish();
    if (!write_before_publishing) data = 1;
  });
  observe();
  const int seen = data.load();
  if (write_before_publishing) {
    EXPECT_EQ(seen, 1);
  }
  producer.join();
}

// --- spawn and join --------------------------------------------------------------------------

TEST(SpawnHappensBefore, TheParentsWritesBeforeTheSpawnHappenBeforeTheChild) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::shared<int> data{0, "data"};
    data = 1;
    auto child = weave::spawn("child", [&] { EXPECT_EQ(data.load(), 1); });
    child.join();
  });
}

TEST(SpawnHappensBefore, TheParentsWritesAfterTheSpawnRaceWithTheChild) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::shared<int> data{0, "data"};
    auto child = weave::spawn("child", [&] { Read(data); });
    data = 1;
    child.join();
  });
}

TEST(JoinHappensBefore, TheChildHappensBeforeTheReturnOfItsJoin) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::shared<int> data{0, "data"};
    auto child = weave::spawn("child", [&] { data = 1; });
    child.join();
    EXPECT_EQ(data.load(), 1);
  });
}

TEST(JoinHappensBefore, ReadingBeforeTheJoinRacesWithTheChild) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::shared<int> data{0, "data"};
    auto child = weave::spawn("child", [&] { data = 1; });
    Read(data);
    child.join();
  });
}

// --- mutex -----------------------------------------------------------------------------------

// A writer task writes under the mutex; the body reads under it too, or (the race) without it.
void WriteUnderTheLockThenRead(bool read_under_lock) {
  weave::mutex m{"m"};
  weave::shared<int> data{0, "data"};
  auto writer = weave::spawn("writer", [&] {
    std::scoped_lock lock(m);
    data = 1;
  });
  {
    std::unique_lock lock(m, std::defer_lock);
    if (read_under_lock) lock.lock();
    Read(data);
  }
  writer.join();
}

TEST(MutexHappensBefore, AnUnlockHappensBeforeTheNextLock) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] { WriteUnderTheLockThenRead(/*read_under_lock=*/true); });
}

TEST(MutexHappensBefore, ReadingWithoutTheLockRacesWithAWriteUnderIt) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns),
            [] { WriteUnderTheLockThenRead(/*read_under_lock=*/false); });
}

TEST(MutexHappensBefore, ASuccessfulTryLockAndTimedLockAcquireLikeLock) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::timed_mutex m{"m"};
    weave::shared<int> data{0, "data"};
    auto try_locker = weave::spawn("try-locker", [&] {
      while (!m.try_lock()) weave::this_task::yield();
      data = data + 1;
      m.unlock();
    });
    auto timed_locker = weave::spawn("timed-locker", [&] {
      while (!m.try_lock_for(1ms)) {
      }
      data = data + 1;
      m.unlock();
    });
    {
      std::scoped_lock lock(m);
      data = data + 1;
    }
    try_locker.join();
    timed_locker.join();
    EXPECT_EQ(data.load(), 3);
  });
}

TEST(MutexHappensBefore, AWriteAfterTheUnlockRacesWithTheNextHolder) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::timed_mutex m{"m"};
    weave::shared<int> data{0, "data"};
    bool written = false;  // under m
    auto writer = weave::spawn("writer", [&] {
      {
        std::scoped_lock lock(m);
        written = true;
      }
      data = 1;
    });
    for (;;) {
      if (m.try_lock_for(1ms)) {
        const bool done = written;
        m.unlock();
        if (done) break;
      }
    }
    Read(data);
    writer.join();
  });
}

// --- shared_mutex ----------------------------------------------------------------------------

TEST(SharedMutexHappensBefore, ReadersUnderLockSharedAfterAnExclusiveWriteAreNoRace) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::shared_mutex rw{"rw"};
    weave::shared<int> data{0, "data"};
    auto reader = [&] {
      std::shared_lock lock(rw);
      Read(data);
    };
    auto r1 = weave::spawn("reader-1", reader);
    auto r2 = weave::spawn("reader-2", reader);
    {
      std::unique_lock lock(rw);
      data = 1;  // ordered after the readers that came first (their unlock_shared)
    }
    r1.join();
    r2.join();
  });
}

TEST(SharedMutexHappensBefore, ReadersWritingUnderLockSharedRaceWithEachOther) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::shared_mutex rw{"rw"};
    weave::shared<int> data{0, "data"};
    auto writer = [&] {
      std::shared_lock lock(rw);
      data = data + 1;
    };
    auto w1 = weave::spawn("reader-1", writer);
    auto w2 = weave::spawn("reader-2", writer);
    w1.join();
    w2.join();
  });
}

TEST(SharedMutexHappensBefore, TryLockSharedAfterTryLockIsOrdered) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::shared_mutex rw{"rw"};
    weave::shared<int> data{0, "data"};
    bool written = false;  // under rw
    auto writer = weave::spawn("writer", [&] {
      while (!rw.try_lock()) weave::this_task::yield();
      data = 1;
      written = true;
      rw.unlock();
    });
    for (;;) {
      if (rw.try_lock_shared()) {
        const bool done = written;
        if (done) {
          EXPECT_EQ(data.load(), 1);
        }
        rw.unlock_shared();
        if (done) break;
      }
      weave::this_task::yield();
    }
    writer.join();
  });
}

// --- condition_variable ----------------------------------------------------------------------

// The consumer waits (once, without a predicate: spurious wakeups are off) and reads the payload
// after releasing the mutex; the producer waits until the consumer waits, and writes after its
// own last unlock. So only the notify can order the write before the read.
void NotifyHandoff(bool write_before_notify) {
  weave::mutex m{"m"};
  weave::condition_variable cv{"cv"};
  weave::shared<int> data{0, "data"};
  bool waiting = false;  // under m
  auto consumer = weave::spawn("consumer", [&] {
    std::unique_lock lock(m);
    waiting = true;
    cv.wait(lock);
    lock.unlock();
    Read(data);
  });
  for (;;) {
    std::unique_lock lock(m);
    if (waiting) break;
    lock.unlock();
    weave::this_task::yield();
  }
  if (write_before_notify) data = 1;
  cv.notify_one();
  if (!write_before_notify) data = 1;
  consumer.join();
}

TEST(ConditionVariableHappensBefore, ANotifyHappensBeforeTheWaitItWakesReturns) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] { NotifyHandoff(/*write_before_notify=*/true); });
}

TEST(ConditionVariableHappensBefore, AWriteAfterTheNotifyRacesWithTheWokenWaiter) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns),
            [] { NotifyHandoff(/*write_before_notify=*/false); });
}

TEST(ConditionVariableHappensBefore, ATimedOutWaitGetsNoEdgeFromAnEarlierNotify) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    weave::shared<int> data{0, "data"};
    auto consumer = weave::spawn("consumer", [&] {
      std::unique_lock lock(m);
      cv.wait_for(lock, 1s);  // times out whenever the notify came first
      lock.unlock();
      Read(data);
    });
    data = 1;
    cv.notify_all();
    consumer.join();
  });
}

// --- semaphore -------------------------------------------------------------------------------

TEST(SemaphoreHappensBefore, AReleaseHappensBeforeTheAcquireThatFollows) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::binary_semaphore ready{0, "ready"};
    Handoff(/*write_before_publishing=*/true, [&] { ready.release(); }, [&] { ready.acquire(); });
  });
}

TEST(SemaphoreHappensBefore, AWriteAfterTheReleaseRacesWithTheAcquirer) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::binary_semaphore ready{0, "ready"};
    Handoff(/*write_before_publishing=*/false, [&] { ready.release(); }, [&] { ready.acquire(); });
  });
}

TEST(SemaphoreHappensBefore, TryAcquireAndTimedAcquireAcquireWhenTheySucceed) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::counting_semaphore<2> ready{0, "ready"};
    weave::shared<int> data{0, "data"};
    auto producer = weave::spawn("producer", [&] {
      data = 1;
      ready.release(2);
    });
    auto timed = weave::spawn("timed", [&] {
      while (!ready.try_acquire_for(1ms)) {
      }
      EXPECT_EQ(data.load(), 1);
    });
    while (!ready.try_acquire()) weave::this_task::yield();
    EXPECT_EQ(data.load(), 1);
    producer.join();
    timed.join();
  });
}

// --- latch -----------------------------------------------------------------------------------

TEST(LatchHappensBefore, EveryCountDownHappensBeforeTheWaitReturns) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::latch done{2, "done"};
    weave::shared<int> a{0, "a"};
    weave::shared<int> b{0, "b"};
    auto wa = weave::spawn("a", [&] {
      a = 1;
      done.count_down();
    });
    auto wb = weave::spawn("b", [&] {
      b = 1;
      done.count_down();
    });
    done.wait();
    EXPECT_EQ(a.load() + b.load(), 2);
    wa.join();
    wb.join();
  });
}

TEST(LatchHappensBefore, AWriteAfterTheCountDownRacesWithTheWaiter) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::latch done{1, "done"};
    Handoff(/*write_before_publishing=*/false, [&] { done.count_down(); }, [&] { done.wait(); });
  });
}

TEST(LatchHappensBefore, ArriveAndWaitAndTryWaitOrderEveryArrivalBeforeTheDeparture) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::latch meet{2, "meet"};
    weave::shared<int> a{0, "a"};
    weave::shared<int> b{0, "b"};
    auto other = weave::spawn("other", [&] {
      b = 1;
      meet.arrive_and_wait();
      EXPECT_EQ(a.load(), 1);
    });
    a = 1;
    meet.count_down();
    while (!meet.try_wait()) weave::this_task::yield();
    EXPECT_EQ(b.load(), 1);
    other.join();
  });
}

TEST(LatchHappensBefore, AWriteAfterArriveAndWaitRacesWithTheOtherParticipant) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::latch meet{2, "meet"};
    auto arrive_and_wait = [&] { meet.arrive_and_wait(); };
    Handoff(/*write_before_publishing=*/false, arrive_and_wait, arrive_and_wait);
  });
}

// --- barrier ---------------------------------------------------------------------------------

TEST(BarrierHappensBefore, EveryArrivalHappensBeforeTheCompletionAndEveryDeparture) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::shared<int> a{0, "a"};
    weave::shared<int> b{0, "b"};
    weave::shared<int> sum{0, "sum"};
    weave::barrier sync{2, [&] { sum = a + b; }};
    auto other = weave::spawn("other", [&] {
      b = 1;
      sync.arrive_and_wait();
      EXPECT_EQ(a.load() + sum.load(), 5);
    });
    a = 2;
    sync.arrive_and_wait();
    EXPECT_EQ(b.load() + sum.load(), 4);
    other.join();
  });
}

TEST(BarrierHappensBefore, AWriteAfterArrivingRacesWithTheOtherParticipant) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::barrier sync{2};
    auto arrive_and_wait = [&] { sync.arrive_and_wait(); };
    Handoff(/*write_before_publishing=*/false, arrive_and_wait, arrive_and_wait);
  });
}

// The waiter departs from phase 0 only after the other task has written and arrived in phase 1:
// that arrival belongs to the next phase and must not order the write before the read.
TEST(BarrierHappensBefore, ALateDepartureDoesNotAcquireTheNextPhasesArrivals) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::barrier sync{2};
    weave::shared<int> data{0, "data"};
    auto other = weave::spawn("other", [&] {
      sync.arrive_and_wait();  // phase 0
      data = 1;
      sync.arrive_and_wait();  // phase 1: waits for the body's second arrival
    });
    auto token = sync.arrive();       // phase 0
    weave::this_task::sleep_for(1s);  // no edge; `other` is blocked in phase 1 by then
    sync.wait(std::move(token));
    Read(data);
    sync.arrive_and_wait();  // phase 1
    other.join();
  });
}

// --- atomic ----------------------------------------------------------------------------------

TEST(AtomicHappensBefore, AStoreHappensBeforeTheLoadThatSeesIt) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::atomic<bool> flag{false, "flag"};
    Handoff(
        /*write_before_publishing=*/true, [&] { flag.store(true); },
        [&] {
          while (!flag.load()) weave::this_task::yield();
        });
  });
}

TEST(AtomicHappensBefore, AWriteAfterTheStoreRacesWithTheLoader) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::atomic<bool> flag{false, "flag"};
    Handoff(
        /*write_before_publishing=*/false, [&] { flag.store(true); },
        [&] {
          while (!flag.load()) weave::this_task::yield();
        });
  });
}

TEST(AtomicHappensBefore, ReadModifyWritesAcquireAndRelease) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::atomic<int> stage{0, "stage"};
    weave::shared<int> first{0, "first"};
    weave::shared<int> second{0, "second"};
    auto a = weave::spawn("a", [&] {
      first = 1;
      ++stage;  // 0 -> 1, releases `first`
    });
    auto b = weave::spawn("b", [&] {
      int expected = 1;
      while (!stage.compare_exchange_strong(expected, 2)) {  // acquires a's increment
        expected = 1;
        weave::this_task::yield();
      }
      EXPECT_EQ(first.load(), 1);
      second = 1;
      stage.exchange(3);  // releases `second`
    });
    while (stage.fetch_or(0) != 3) weave::this_task::yield();
    EXPECT_EQ(first.load() + second.load(), 2);
    a.join();
    b.join();
  });
}

TEST(AtomicHappensBefore, AFailedCompareExchangePublishesNothing) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::atomic<int> flag{0, "flag"};
    weave::shared<int> data{0, "data"};
    auto writer = weave::spawn("writer", [&] {
      data = 1;
      int expected = 1;
      EXPECT_FALSE(flag.compare_exchange_strong(expected, 2));  // a load only
    });
    weave::this_task::sleep_for(1s);  // no edge; the writer has finished by then
    EXPECT_EQ(flag.load(), 0);        // acquires all the atomic carries: nothing of the writer's
    Read(data);
    writer.join();
  });
}

TEST(AtomicHappensBefore, AWaitThatReturnsAcquiresTheStoreItSaw) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::atomic<bool> flag{false, "flag"};
    Handoff(
        /*write_before_publishing=*/true,
        [&] {
          flag.store(true);
          flag.notify_one();
        },
        [&] { flag.wait(false); });
  });
}

// --- channel ---------------------------------------------------------------------------------

TEST(ChannelHappensBefore, ASendHappensBeforeTheReceiveOfItsValue) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::channel<int> ch{1, "ch"};
    Handoff(
        /*write_before_publishing=*/true, [&] { ch.send(1); }, [&] { EXPECT_EQ(ch.receive(), 1); });
  });
}

TEST(ChannelHappensBefore, AWriteAfterTheSendRacesWithTheReceiver) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::channel<int> ch{1, "ch"};
    Handoff(
        /*write_before_publishing=*/false, [&] { ch.send(1); },
        [&] { EXPECT_EQ(ch.receive(), 1); });
  });
}

TEST(ChannelHappensBefore, TrySendAndTryReceiveOrderLikeSendAndReceive) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::channel<int> ch{1, "ch"};
    Handoff(
        /*write_before_publishing=*/true,
        [&] {
          while (!ch.try_send(1)) weave::this_task::yield();
        },
        [&] {
          while (!ch.try_receive()) weave::this_task::yield();
        });
  });
}

// The body's own value is received first (FIFO); the writer's send, which the body never
// receives, must not order the writer's write before the body's read.
TEST(ChannelHappensBefore, AReceiveIsOrderedOnlyAfterTheSendOfItsOwnValue) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::channel<int> ch{weave::channel<int>::kUnbounded, "ch"};
    weave::shared<int> data{0, "data"};
    ch.send(0);
    auto writer = weave::spawn("writer", [&] {
      data = 1;
      ch.send(1);
    });
    weave::this_task::sleep_for(1s);  // no edge; the writer has sent by then
    EXPECT_EQ(ch.receive(), 0);
    Read(data);
    writer.join();
  });
}

// Capacity 0: the receive happens before the send returns (Go's rule), so what the receiver did
// before receiving is ordered before what the sender does after sending.
void RendezvousReceiverWritesFirst(std::size_t capacity, bool write_before_receive) {
  weave::channel<int> ch{capacity, "ch"};
  weave::shared<int> data{0, "data"};
  auto receiver = weave::spawn("receiver", [&] {
    if (write_before_receive) data = 1;
    ch.receive();
    if (!write_before_receive) data = 1;
  });
  ch.send(1);
  Read(data);
  receiver.join();
}

TEST(ChannelHappensBefore, ARendezvousReceiveHappensBeforeTheSendReturns) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    RendezvousReceiverWritesFirst(/*capacity=*/0, /*write_before_receive=*/true);
  });
}

TEST(ChannelHappensBefore, AWriteAfterTheRendezvousReceiveRacesWithTheSender) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns),
            [] { RendezvousReceiverWritesFirst(/*capacity=*/0, /*write_before_receive=*/false); });
}

TEST(ChannelHappensBefore, OnABufferedChannelTheReceiveDoesNotHappenBeforeTheSendReturns) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns),
            [] { RendezvousReceiverWritesFirst(/*capacity=*/1, /*write_before_receive=*/true); });
}

// A rendezvous send that times out takes its value back, and its clock with it: the receiver of
// the next value is not ordered after the withdrawn send.
TEST(ChannelHappensBefore, AWithdrawnRendezvousSendOrdersNothing) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::channel<int> ch{0, "ch"};
    weave::shared<int> data{0, "data"};
    auto withdrawn = weave::spawn("withdrawn", [&] {
      data = 1;
      EXPECT_FALSE(ch.send_for(1, 1s));  // nobody receives before 1s
    });
    auto late = weave::spawn("late", [&] {
      weave::this_task::sleep_for(2s);
      ch.send(2);
    });
    weave::this_task::sleep_for(1500ms);
    EXPECT_EQ(ch.receive(), 2);
    Read(data);
    withdrawn.join();
    late.join();
  });
}

TEST(ChannelHappensBefore, CloseHappensBeforeAReceiveThatFindsTheChannelClosed) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::channel<int> ch{weave::channel<int>::kUnbounded, "ch"};
    Handoff(
        /*write_before_publishing=*/true, [&] { ch.close(); },
        [&] {
          EXPECT_EQ(ch.receive(), std::nullopt);
          EXPECT_EQ(ch.try_receive(), std::nullopt);
        });
  });
}

TEST(ChannelHappensBefore, AWriteAfterCloseRacesWithTheReceiverThatFindsItClosed) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::channel<int> ch{weave::channel<int>::kUnbounded, "ch"};
    Handoff(
        /*write_before_publishing=*/false, [&] { ch.close(); },
        [&] { EXPECT_EQ(ch.receive(), std::nullopt); });
  });
}

// --- event -----------------------------------------------------------------------------------

TEST(EventHappensBefore, SetHappensBeforeAWaitThatReturnsBecauseItIsSet) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::event ready{"ready"};
    weave::shared<int> data{0, "data"};
    auto setter = weave::spawn("setter", [&] {
      data = 1;
      ready.set();
    });
    auto timed = weave::spawn("timed", [&] {
      while (!ready.wait_for(1ms)) {
      }
      EXPECT_EQ(data.load(), 1);
    });
    ready.wait();
    EXPECT_EQ(data.load(), 1);
    setter.join();
    timed.join();
  });
}

TEST(EventHappensBefore, AWriteAfterSetRacesWithTheWaiter) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::event ready{"ready"};
    Handoff(
        /*write_before_publishing=*/false, [&] { ready.set(); },
        [&] {
          while (!ready.is_set()) weave::this_task::yield();
        });
  });
}

// --- promise and future ----------------------------------------------------------------------

TEST(FutureHappensBefore, SetValueHappensBeforeGetReturns) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::promise<int> p{"answer"};
    weave::future<int> f = p.get_future();
    weave::shared<int> data{0, "data"};
    auto producer = weave::spawn("producer", [&] {
      data = 1;
      p.set_value(42);
    });
    while (f.wait_for(1ms) != std::future_status::ready) {
    }
    EXPECT_EQ(data.load(), 1);
    EXPECT_EQ(f.get(), 42);
    producer.join();
  });
}

TEST(FutureHappensBefore, AWriteAfterSetValueRacesWithGet) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::promise<void> p{"done"};
    weave::future<void> f = p.get_future();
    Handoff(/*write_before_publishing=*/false, [&] { p.set_value(); }, [&] { f.get(); });
  });
}

// --- sleep -----------------------------------------------------------------------------------

TEST(SleepHappensBefore, SleepingOrdersNothing) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::shared<int> data{0, "data"};
    auto writer = weave::spawn("writer", [&] { data = 1; });
    weave::this_task::sleep_for(1s);  // the writer has long finished, in virtual time
    Read(data);
    writer.join();
  });
}

// --- weave::thread and coroutine tasks -------------------------------------------------------

TEST(ThreadHappensBefore, AThreadsStartJoinAndMutexOrderItsAccesses) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::mutex m{"m"};
    weave::shared<int> data{0, "data"};
    data = 1;  // before the thread starts
    weave::thread t([&] {
      std::scoped_lock lock(m);
      data = data + 2;
    });
    {
      std::scoped_lock lock(m);
      data = data + 2;
    }
    t.join();
    EXPECT_EQ(data.load(), 5);
  });
}

TEST(ThreadHappensBefore, AThreadsUnlockedWriteRacesWithTheBody) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::mutex m{"m"};
    weave::shared<int> data{0, "data"};
    weave::thread t([&] { data = 1; });
    {
      std::scoped_lock lock(m);
      Read(data);
    }
    t.join();
  });
}

TEST(CoroutineHappensBefore, CoSendAndCoLockOrderCoroutineTasks) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::channel<int> ch{0, "ch"};
    weave::mutex m{"m"};
    weave::shared<int> data{0, "data"};
    weave::shared<int> locked{0, "locked"};
    auto producer = [&]() -> weave::task<> {
      data = 1;
      co_await ch.co_send(1);
      auto guard = co_await m.co_lock();
      locked = locked + 1;
    };
    auto consumer = [&]() -> weave::task<> {
      co_await ch.co_receive();
      EXPECT_EQ(data.load(), 1);
      auto guard = co_await m.co_lock();
      locked = locked + 1;
    };
    auto p = weave::co_spawn("producer", producer());
    auto c = weave::co_spawn("consumer", consumer());
    p.join();
    c.join();
    EXPECT_EQ(locked.load(), 2);
  });
}

TEST(CoroutineHappensBefore, AWriteAfterCoSendRacesWithTheReceiver) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::channel<int> ch{1, "ch"};
    weave::shared<int> data{0, "data"};
    auto producer = [&]() -> weave::task<> {
      co_await ch.co_send(1);
      data = 1;
    };
    auto consumer = [&]() -> weave::task<> {
      co_await ch.co_receive();
      Read(data);
    };
    auto p = weave::co_spawn("producer", producer());
    auto c = weave::co_spawn("consumer", consumer());
    p.join();
    c.join();
  });
}

// --- lock order ------------------------------------------------------------------------------
// The tasks run one after the other (joined), so the program never deadlocks: only the order in
// which the locks were taken can tell.

TEST(LockOrderHooks, LocksTakenInOppositeOrdersAreAPotentialDeadlock) {
  FailureOf(FailureKind::kPotentialDeadlock, Runs(kRuns), [] {
    weave::mutex a{"a"};
    weave::shared_mutex b{"b"};
    weave::spawn("a-then-b", [&] {
      std::scoped_lock la(a);
      std::shared_lock lb(b);
    }).join();
    std::unique_lock lb(b);
    std::scoped_lock la(a);
  });
}

TEST(LockOrderHooks, ATryLockInTheOppositeOrderNeverWaitsSoOrdersNothing) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::mutex a{"a"};
    weave::timed_mutex b{"b"};
    weave::spawn("a-then-b", [&] {
      std::scoped_lock la(a);
      std::scoped_lock lb(b);
    }).join();
    std::scoped_lock lb(b);
    EXPECT_TRUE(a.try_lock());
    a.unlock();
  });
}

TEST(LockOrderHooks, AConditionVariableWaitHoldsItsMutexAgainAfterTheRelock) {
  FailureOf(FailureKind::kPotentialDeadlock, Runs(kRuns), [] {
    weave::mutex m{"m"};
    weave::mutex n{"n"};
    weave::condition_variable cv{"cv"};
    bool waiting = false;  // under m
    auto waiter = weave::spawn("waiter", [&] {
      std::unique_lock lock(m);
      waiting = true;
      cv.wait(lock);
      std::scoped_lock inner(n);  // m (relocked by the wait), then n
    });
    for (;;) {
      std::unique_lock lock(m);
      if (waiting) break;
      lock.unlock();
      weave::this_task::yield();
    }
    cv.notify_one();
    waiter.join();
    std::scoped_lock outer(n);
    std::scoped_lock inner(m);  // n, then m
  });
}

TEST(LockOrderHooks, ALockHeldSharedIsNoGate) {
  // Both tasks hold g, but shared: they can be inside together and deadlock on a and b.
  FailureOf(FailureKind::kPotentialDeadlock, Runs(kRuns), [] {
    weave::shared_mutex g{"g"};
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    weave::spawn("a-then-b", [&] {
      std::shared_lock lg(g);
      std::scoped_lock la(a);
      std::scoped_lock lb(b);
    }).join();
    std::shared_lock lg(g);
    std::scoped_lock lb(b);
    std::scoped_lock la(a);
  });
}

TEST(LockOrderHooks, ALockHeldExclusivelyAroundBothOrdersIsAGate) {
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::shared_mutex g{"g"};
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    weave::spawn("a-then-b", [&] {
      std::unique_lock lg(g);
      std::scoped_lock la(a);
      std::scoped_lock lb(b);
    }).join();
    std::unique_lock lg(g);
    std::scoped_lock lb(b);
    std::scoped_lock la(a);
  });
}

TEST(LockOrderHooks, TakingALockAlreadyHeldAgainOrdersNothing) {
  // Holding s (shared) and a, a task takes s shared again: no "a -> s" order, so another task's
  // "s -> a" closes no cycle.
  EXPECT_WEAVE_OK(Runs(kRuns), [] {
    weave::shared_mutex s{"s"};
    weave::mutex a{"a"};
    weave::spawn("s-a-s", [&] {
      std::shared_lock first(s);
      std::scoped_lock la(a);
      std::shared_lock again(s);
    }).join();
    std::unique_lock ls(s);
    std::scoped_lock la(a);
  });
}

TEST(LockOrderHooks, ManyLocksInOneGlobalOrderStayCheap) {
  // 40 locks, every pair taken in ascending order: 780 edges and no cycle. Looking for cycles
  // must not enumerate the paths of such a graph (that took seconds, and read as a stall).
  constexpr int kLocks = 40;
  EXPECT_WEAVE_OK(Runs(3), [] {
    std::vector<std::unique_ptr<weave::mutex>> locks;
    for (int i = 0; i < kLocks; ++i) locks.push_back(std::make_unique<weave::mutex>());
    for (int i = 0; i < kLocks; ++i) {
      for (int j = i + 1; j < kLocks; ++j) {
        std::scoped_lock first(*locks[static_cast<std::size_t>(i)]);
        std::scoped_lock second(*locks[static_cast<std::size_t>(j)]);
      }
    }
  });
}

// Accounts built before the exploration (a fixture's): their mutexes are declared at one place
// and created outside every run, yet each is a lock of its own in the graph.
struct Account {
  weave::mutex m;
  int balance = 0;
};

TEST(LockOrderHooks, LocksCreatedOutsideTheRunAreStillToldApart) {
  Account alice;
  Account bob;
  FailureOf(FailureKind::kPotentialDeadlock, Runs(kRuns), [&] {
    auto transfer = [](Account& from, Account& to) {
      std::scoped_lock first(from.m);
      std::scoped_lock second(to.m);
    };
    weave::spawn("alice->bob", [&] { transfer(alice, bob); }).join();
    transfer(bob, alice);
  });
}

TEST(ConditionVariableHappensBefore, ANotifyThatWakesNobodyOrdersNothing) {
  FailureOf(FailureKind::kDataRace, Runs(kRuns), [] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    weave::shared<int> data{0, "data"};
    bool ready = false;  // under m
    auto early = weave::spawn("early", [&] {
      data = 1;         // not under m
      cv.notify_all();  // in the schedules where nobody waits yet, this orders nothing
    });
    auto waiter = weave::spawn("waiter", [&] {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return ready; });
      EXPECT_GE(data.load(), 0);
    });
    {
      std::scoped_lock lock(m);
      ready = true;
    }
    cv.notify_all();
    waiter.join();
    early.join();
  });
}

TEST(ChannelHappensBefore, AnItemLeftFromAnEarlierRunOrdersNothing) {
  // The channel outlives each run and keeps one item across it: the receive of that item must not
  // take the clock of this run's send.
  weave::channel<int> ch{8, "ch"};
  EXPECT_WEAVE_OK(Runs(200), [&] {
    weave::shared<int> data{0, "data"};
    if (ch.size() == 0) {  // the first run leaves one item behind
      ASSERT_TRUE(ch.try_send(0));
    }
    auto sender = weave::spawn("sender", [&] {
      data = 1;
      ch.send(1);
    });
    sender.join();
    ASSERT_TRUE(ch.receive().has_value());  // the old item: ordered by the join anyway
    EXPECT_EQ(data.load(), 1);
    ASSERT_TRUE(ch.receive().has_value());
    ASSERT_TRUE(ch.try_send(0));  // leave one for the next run
  });
}

}  // namespace
