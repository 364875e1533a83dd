// Sync policies: weave::std_sync names the standard types and runs outside any simulation,
// weave::sim_sync names weave's models, and one class template written against the policy runs on
// real threads with the first and is explored by weave with the second, unchanged.
#include "weave/sync_policy.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"
#include "weave/sim_sync.hpp"
#include "weave/thread.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave::sim_sync;
using weave::std_sync;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

// --- What each policy names --------------------------------------------------------------------

static_assert(std::is_same_v<std_sync::mutex, std::mutex>);
static_assert(std::is_same_v<std_sync::timed_mutex, std::timed_mutex>);
static_assert(std::is_same_v<std_sync::shared_mutex, std::shared_mutex>);
static_assert(std::is_same_v<std_sync::condition_variable, std::condition_variable>);
static_assert(std::is_same_v<std_sync::condition_variable_any, std::condition_variable_any>);
static_assert(std::is_same_v<std_sync::thread, std::thread>);
static_assert(std::is_same_v<std_sync::atomic<long>, std::atomic<long>>);
static_assert(std::is_same_v<std_sync::clock, std::chrono::steady_clock>);
static_assert(std::is_same_v<std_sync::counting_semaphore<3>, std::counting_semaphore<3>>);
static_assert(std::is_same_v<std_sync::counting_semaphore<>, std::counting_semaphore<>>);
static_assert(std::is_same_v<std_sync::binary_semaphore, std::binary_semaphore>);
static_assert(std::is_same_v<std_sync::latch, std::latch>);
static_assert(std::is_same_v<std_sync::barrier<>, std::barrier<>>);

static_assert(std::is_same_v<sim_sync::mutex, weave::mutex>);
static_assert(std::is_same_v<sim_sync::timed_mutex, weave::timed_mutex>);
static_assert(std::is_same_v<sim_sync::shared_mutex, weave::shared_mutex>);
static_assert(std::is_same_v<sim_sync::condition_variable, weave::condition_variable>);
static_assert(std::is_same_v<sim_sync::condition_variable_any, weave::condition_variable_any>);
static_assert(std::is_same_v<sim_sync::thread, weave::thread>);
static_assert(std::is_same_v<sim_sync::atomic<long>, weave::atomic<long>>);
static_assert(std::is_same_v<sim_sync::clock, weave::clock>);
static_assert(std::is_same_v<sim_sync::counting_semaphore<3>, weave::counting_semaphore<3>>);
static_assert(std::is_same_v<sim_sync::counting_semaphore<>, weave::counting_semaphore<>>);
static_assert(std::is_same_v<sim_sync::binary_semaphore, weave::binary_semaphore>);
static_assert(std::is_same_v<sim_sync::latch, weave::latch>);
static_assert(std::is_same_v<sim_sync::barrier<>, weave::barrier<>>);

// A barrier's completion function type goes through, in both.
struct CountPhases {
  int* phases;
  void operator()() const noexcept { ++*phases; }
};
static_assert(std::is_same_v<std_sync::barrier<CountPhases>, std::barrier<CountPhases>>);
static_assert(std::is_same_v<sim_sync::barrier<CountPhases>, weave::barrier<CountPhases>>);

// The concept rejects a policy that lacks a member or whose members are not what they claim.
struct LacksBarrier {
  using mutex = std::mutex;
  using timed_mutex = std::timed_mutex;
  using shared_mutex = std::shared_mutex;
  using condition_variable = std::condition_variable;
  using condition_variable_any = std::condition_variable_any;
  using thread = std::thread;
  template <class T>
  using atomic = std::atomic<T>;
  using clock = std::chrono::steady_clock;
  template <std::ptrdiff_t N>
  using counting_semaphore = std::counting_semaphore<N>;
  using binary_semaphore = std::binary_semaphore;
  using latch = std::latch;
  using this_thread = std_sync::this_thread;
};
struct MutexIsNotLockable : std_sync {
  using mutex = int;
};
struct SleepsOnAnotherClock : sim_sync {
  using clock = std::chrono::system_clock;  // this_thread::sleep_until takes weave::clock only
};
static_assert(!weave::sync_policy<LacksBarrier>);
static_assert(!weave::sync_policy<MutexIsNotLockable>);
static_assert(!weave::sync_policy<SleepsOnAnotherClock>);
static_assert(!weave::sync_policy<int>);

// --- The code under test: written once against the policy ---------------------------------------

// Who a finished computation wakes.
enum class Wake { kAllWaiters, kOneWaiter };

// A get-or-compute cache: the first get() of a key computes its value (outside the lock, so other
// keys proceed); concurrent get()s of the same key wait for that computation instead of repeating
// it. kWake == kOneWaiter is the bug: several get()s can wait for one key, and a computation that
// wakes only one of them strands the rest (and on a condition variable shared by every key, the
// one it wakes may even be waiting for another key).
template <weave::sync_policy Sync, Wake kWake = Wake::kAllWaiters>
class Cache {
 public:
  template <class Compute>
  int get(int key, Compute compute) {
    std::unique_lock<typename Sync::mutex> lock(mutex_);
    for (;;) {
      if (auto it = values_.find(key); it != values_.end()) return it->second;
      if (!computing_.contains(key)) break;
      computed_.wait(lock);  // someone else computes it; we look again when a computation ends
    }
    computing_.insert(key);
    lock.unlock();
    const int value = compute(key);
    lock.lock();
    values_.emplace(key, value);
    computing_.erase(key);
    if constexpr (kWake == Wake::kAllWaiters) {
      computed_.notify_all();
    } else {
      computed_.notify_one();  // BUG when several get()s wait
    }
    return value;
  }

 private:
  typename Sync::mutex mutex_;
  typename Sync::condition_variable computed_;  // a computation ended
  std::map<int, int> values_;                   // guarded by mutex_
  std::set<int> computing_;                     // guarded by mutex_: keys being computed
};

// A slow backend that counts how often each key is computed.
template <class Sync, std::size_t kKeys>
class Backend {
 public:
  explicit Backend(typename Sync::clock::duration latency) : latency_(latency) {}
  int compute(int key) {
    calls_[static_cast<std::size_t>(key)].fetch_add(1);
    Sync::this_thread::sleep_for(latency_);  // the slow part: others run meanwhile
    return key * key + 1;
  }
  int calls(int key) const { return calls_[static_cast<std::size_t>(key)].load(); }

 private:
  typename Sync::clock::duration latency_;
  std::array<typename Sync::template atomic<int>, kKeys> calls_{};
};

// `threads` threads each get every key `rounds` times (starting at different keys); checks that
// every get returned the right value and that every key was computed exactly once. Written once,
// run with both policies.
template <class Sync, Wake kWake = Wake::kAllWaiters, std::size_t kKeys = 4>
void ConcurrentGetsComputeEachKeyOnce(int threads, int rounds,
                                      typename Sync::clock::duration latency) {
  Cache<Sync, kWake> cache;
  Backend<Sync, kKeys> backend(latency);
  typename Sync::template atomic<int> wrong_values{0};
  std::vector<typename Sync::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < rounds * static_cast<int>(kKeys); ++i) {
        const int key = (t + i) % static_cast<int>(kKeys);
        const int value = cache.get(key, [&](int k) { return backend.compute(k); });
        if (value != key * key + 1) wrong_values.fetch_add(1);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(wrong_values.load(), 0);
  for (int key = 0; key < static_cast<int>(kKeys); ++key) {
    EXPECT_EQ(backend.calls(key), 1) << "key " << key;
  }
}

// --- (a) sim_sync: inside weave, over many schedules --------------------------------------------

TEST(SyncPolicy, SimSyncCacheComputesEachKeyOnceInEverySchedule) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    ConcurrentGetsComputeEachKeyOnce<sim_sync, Wake::kAllWaiters, 2>(/*threads=*/3, /*rounds=*/1,
                                                                     10ms);
  });
}

// The same with spurious wakeups explored: the cache waits in a loop that looks again.
TEST(SyncPolicy, SimSyncCacheSurvivesSpuriousWakeups) {
  weave::Options options = Runs(300);
  options.spurious_wakeups = true;
  EXPECT_WEAVE_OK(options, [] {
    ConcurrentGetsComputeEachKeyOnce<sim_sync, Wake::kAllWaiters, 2>(/*threads=*/3, /*rounds=*/1,
                                                                     10ms);
  });
}

// The buggy cache strands a waiter: weave reports the deadlock, naming the thread that waits on
// the condition variable and the body that waits to join it.
TEST(SyncPolicy, SimSyncFindsTheStrandedWaiterOfNotifyOne) {
  const weave::Failure failure = FailureOf(FailureKind::kDeadlock, Runs(300), [] {
    ConcurrentGetsComputeEachKeyOnce<sim_sync, Wake::kOneWaiter, 1>(/*threads=*/3, /*rounds=*/1,
                                                                    10ms);
  });
  EXPECT_THAT(failure.details, HasSubstr("wait condition_variable #"));
  EXPECT_THAT(failure.details, HasSubstr("join of task"));
}

// Virtual time: a sim_sync cache whose backend takes an hour per key finishes at once in wall time
// and exactly one hour per computation round in virtual time.
TEST(SyncPolicy, SimSyncClockAndSleepAreVirtual) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    const sim_sync::clock::time_point start = sim_sync::clock::now();
    Cache<sim_sync> cache;
    Backend<sim_sync, 1> backend(1h);
    sim_sync::thread a([&] { cache.get(0, [&](int k) { return backend.compute(k); }); });
    cache.get(0, [&](int k) { return backend.compute(k); });
    a.join();
    EXPECT_EQ(sim_sync::clock::now() - start, 1h);  // one computation; the other get waited
    EXPECT_EQ(backend.calls(0), 1);
  });
}

TEST(SyncPolicy, SimSyncThisThreadIsWeaves) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    sim_sync::thread::id inside;
    sim_sync::thread t([&] {
      inside = sim_sync::this_thread::get_id();
      sim_sync::this_thread::yield();
      sim_sync::this_thread::sleep_for(5ms);
      sim_sync::this_thread::sleep_until(sim_sync::clock::time_point(7ms));
    });
    const sim_sync::thread::id id = t.get_id();
    t.join();
    EXPECT_EQ(inside, id);
    EXPECT_NE(inside, sim_sync::this_thread::get_id());
    EXPECT_EQ(sim_sync::this_thread::get_id(), weave::thread::id(0));  // the body is task 0
    EXPECT_EQ(Now(), Ns(7ms));
  });
}

// --- (b) std_sync: real threads, no simulation --------------------------------------------------

TEST(SyncPolicy, StdSyncCacheComputesEachKeyOnceOnRealThreads) {
  for (int repeat = 0; repeat < 20; ++repeat) {
    ConcurrentGetsComputeEachKeyOnce<std_sync, Wake::kAllWaiters, 16>(/*threads=*/8,
                                                                      /*rounds=*/20, 100us);
  }
}

TEST(SyncPolicy, StdSyncThisThreadAndClockAreStds) {
  const std_sync::clock::time_point start = std_sync::clock::now();
  std_sync::this_thread::sleep_for(2ms);
  EXPECT_GE(std_sync::clock::now() - start, 2ms);
  std_sync::this_thread::sleep_until(std_sync::clock::now() + 1ms);
  std_sync::this_thread::yield();
  EXPECT_EQ(std_sync::this_thread::get_id(), std::this_thread::get_id());
  std_sync::thread::id inside;
  std_sync::thread t([&] { inside = std_sync::this_thread::get_id(); });
  const std_sync::thread::id id = t.get_id();
  t.join();
  EXPECT_EQ(inside, id);
}

// --- The waiting primitives, once for both -------------------------------------------------------

// Two workers meet at a barrier twice (its completion counts the phases), take turns through a
// binary semaphore to add to a sum, then signal through a counting semaphore and a latch. Returns
// the sum: 42 when every primitive did its job.
template <class Sync>
int PhasesLatchAndSemaphore() {
  int phases = 0;
  typename Sync::template barrier<CountPhases> meet(2, CountPhases{&phases});
  typename Sync::latch done(2);
  typename Sync::binary_semaphore turn(1);
  typename Sync::template counting_semaphore<2> slots(0);
  int sum = 0;  // guarded by turn
  auto work = [&](int k) {
    meet.arrive_and_wait();
    turn.acquire();
    sum += k;
    turn.release();
    meet.arrive_and_wait();
    slots.release();
    done.count_down();
  };
  typename Sync::thread a(work, 10);
  typename Sync::thread b(work, 32);
  done.wait();
  slots.acquire();
  slots.acquire();
  a.join();
  b.join();
  EXPECT_EQ(phases, 2);
  return sum;
}

TEST(SyncPolicy, BarrierLatchAndSemaphoresWorkTheSameWithBothPolicies) {
  EXPECT_EQ(PhasesLatchAndSemaphore<std_sync>(), 42);
  EXPECT_WEAVE_OK(Runs(200), [] { EXPECT_EQ(PhasesLatchAndSemaphore<sim_sync>(), 42); });
}

// Timed and shared mutexes through the policy: the same code, std's real time and weave's virtual
// time. Under sim_sync the timeout is exactly the 50ms asked for.
template <class Sync>
void TimedAndSharedMutexes() {
  typename Sync::timed_mutex m;
  typename Sync::shared_mutex rw;
  typename Sync::template atomic<bool> holding{false};
  typename Sync::template atomic<bool> release{false};
  typename Sync::thread holder([&] {
    std::scoped_lock lock(m);
    std::shared_lock read(rw);
    holding.store(true);
    while (!release.load()) Sync::this_thread::sleep_for(1ms);
  });
  while (!holding.load()) Sync::this_thread::sleep_for(1ms);
  const typename Sync::clock::time_point before = Sync::clock::now();
  EXPECT_FALSE(m.try_lock_for(50ms));
  EXPECT_GE(Sync::clock::now() - before, 50ms);
  EXPECT_FALSE(rw.try_lock());  // held shared
  EXPECT_TRUE(rw.try_lock_shared());
  rw.unlock_shared();
  release.store(true);
  holder.join();
  EXPECT_TRUE(m.try_lock_until(Sync::clock::now() + 1ms));
  m.unlock();
}

TEST(SyncPolicy, TimedAndSharedMutexesWorkTheSameWithBothPolicies) {
  TimedAndSharedMutexes<std_sync>();
  EXPECT_WEAVE_OK(Runs(100), [] { TimedAndSharedMutexes<sim_sync>(); });
}

// sim_sync's types are weave's: outside a simulation they refuse to run, and say so.
TEST(SyncPolicy, SimSyncThreadOutsideASimulationThrows) {
  EXPECT_THROW(sim_sync::thread([] {}), std::logic_error);
}

}  // namespace
