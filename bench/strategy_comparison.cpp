// weave_strategy_comparison: how many schedules each strategy needs to find each bug.
//
// Not a Google Benchmark: the figure is schedules to the first failure, not time. For every
// program below and every strategy, it explores the program once per seed (1..--seeds) with at
// most --limit schedules, and prints one table: per cell, how many seeds found the bug and the
// mean number of schedules to the first failure over those seeds ("-" when none did). The
// bounded exhaustive search (dfs:2) needs no seed: its column is one exploration, "found at K",
// "all K" (it ran every schedule within its bound and ended) or "K (limit)".
//
//   weave_strategy_comparison                      the full table (20 seeds, 10,000 schedules)
//   weave_strategy_comparison --markdown           the same, as Markdown for the README
//   weave_strategy_comparison --programs=setters --strategies=random,portfolio
//   weave_strategy_comparison --smoke              seconds: ctest's bench.strategy_smoke
//   weave_strategy_comparison --list               the programs and where each comes from
//
// The programs: (a) the buggy examples of examples/, their bodies recreated here (with
// weave::check where the example uses a gtest assertion) or their headers included; (b) buggy
// programs of tests/detector_suite_test.cpp; (c) families that scale with N tasks, where the bug
// is an ordering or atomicity bug between atomics or under locks, not a data race (the race
// detector reports a race in nearly any schedule where both accesses occur, so every strategy
// finds races at once); (d) correct twins, which no strategy may fail and on which dfs:2 should
// end with its count. Each family says below which interleaving fails and its depth (the number
// of ordering constraints between steps of different tasks that the failing schedule needs).
//
// Runs are deterministic: the same build prints the same table (wall times aside) every time.
// Exit status: 1 when a correct twin fails or a bug is reported as a failure of another kind
// than its own, 2 on bad flags; otherwise 0, whatever the figures.
#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "async_cache/async_cache.hpp"
#include "connection_pool/connection_pool.hpp"
#include "thread_pool/thread_pool.hpp"

#include "weave/coro.hpp"
#include "weave/sim_sync.hpp"
#include "weave/thread.hpp"
#include "weave/weave.hpp"

namespace {

using namespace std::chrono_literals;
using weave::FailureKind;

// Schedules per exploration at most for a program on weave::threads (Program::os_threads).
constexpr std::int64_t kOsThreadLimit = 1000;

// One program of the table.
struct Program {
  std::string name;
  std::string source;  // where its body comes from
  // How its bug must be reported; nullopt for a correct twin, which must not fail at all.
  std::optional<FailureKind> bug;
  std::function<void()> body;
  // Detectors the program turns off, as its example does to show the bug behind the report.
  bool detect_races = true;
  bool detect_lock_order = true;
  // Another kind the same bug shows as in some schedules.
  std::optional<FailureKind> also_reported_as = std::nullopt;
  // Runs on weave::threads: real OS threads that hand a baton, a millisecond or more a run (tens
  // on a loaded machine) where a fiber program's run takes microseconds. Every exploration of it,
  // dfs's too, stops at kOsThreadLimit schedules, so that a strategy that misses its bug does not
  // take the whole table's time.
  bool os_threads = false;

  bool IsReportedAs(FailureKind kind) const { return kind == bug || kind == also_reported_as; }
};

// --- (a) The examples ----------------------------------------------------------------------------

// examples/lost_wakeup/lost_wakeup_buggy.cpp (and, with kFixed, lost_wakeup_fixed.cpp's pop()).
namespace lost_wakeup {

enum class Pop { kUnlockedCheck, kFixed };

template <Pop kPop>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  void push(int item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(item);
    size_.store(items_.size());
    lock.unlock();
    not_empty_.notify_one();
  }

  int pop() {
    if constexpr (kPop == Pop::kUnlockedCheck) {
      // The bug: the check is made without the mutex, so push()'s notify can fall between the
      // check and the wait and be lost.
      if (size_.load() == 0) {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock);
      }
    }
    std::unique_lock lock(mutex_);
    if constexpr (kPop == Pop::kFixed) not_empty_.wait(lock, [&] { return !items_.empty(); });
    // The same bug's other face: a notify left over from an item already taken wakes the wait
    // above to an empty queue. The example then calls front() on an empty deque (undefined
    // behaviour); here it is a failed check.
    if (items_.empty()) {
      weave::check(false, "pop() woke to an empty queue");
      return 0;
    }
    const int item = items_.front();
    items_.pop_front();
    size_.store(items_.size());
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

 private:
  const std::size_t capacity_;
  weave::mutex mutex_{"queue.mutex"};
  weave::condition_variable not_empty_{"not_empty"};
  weave::condition_variable not_full_{"not_full"};
  std::deque<int> items_;  // guarded by mutex_
  weave::atomic<std::size_t> size_{0, "size"};
};

// BoundedQueue.ConsumerGetsEveryItem: one producer pushes 3 items through a queue of 2.
template <Pop kPop>
void ConsumerGetsEveryItem() {
  BoundedQueue<kPop> queue(2);
  constexpr int kItems = 3;
  weave::join_handle producer = weave::spawn("producer", [&] {
    for (int i = 1; i <= kItems; ++i) queue.push(i);
  });
  weave::join_handle consumer = weave::spawn("consumer", [&] {
    int sum = 0;
    for (int i = 1; i <= kItems; ++i) sum += queue.pop();
    weave::check(sum == 1 + 2 + 3, "the consumer missed an item");
  });
  producer.join();
  consumer.join();
}

}  // namespace lost_wakeup

// examples/bank_lost_update/bank_lost_update.cpp: two transfers without a lock.
namespace bank_lost_update {

class Account {
 public:
  Account(std::string_view owner, int opening_balance) : balance_(opening_balance, owner) {}
  int balance() const { return balance_; }
  void deposit(int amount) { balance_ = balance_ + amount; }
  bool withdraw(int amount) {
    const int current = balance_;
    if (current < amount) return false;
    balance_ = current - amount;
    return true;
  }

 private:
  weave::shared<int> balance_;
};

bool Transfer(Account& from, Account& to, int amount) {
  if (!from.withdraw(amount)) return false;
  to.deposit(amount);
  return true;
}

void ConcurrentTransfersKeepTheTotal() {
  Account alice("alice", 100);
  Account bob("bob", 50);
  Account carol("carol", 0);
  weave::join_handle rent = weave::spawn("alice->bob", [&] { Transfer(alice, bob, 30); });
  weave::join_handle loan = weave::spawn("bob->carol", [&] { Transfer(bob, carol, 20); });
  rent.join();
  loan.join();
  weave::check(alice.balance() + bob.balance() + carol.balance() == 150, "the total changed");
}

}  // namespace bank_lost_update

// examples/lock_order_deadlock/lock_order_deadlock.cpp: two transfers lock two accounts in
// opposite orders.
namespace lock_order_deadlock {

class Account {
 public:
  Account(std::string_view owner, int opening_balance)
      : mutex_(std::string(owner) + ".mutex"), balance_(opening_balance, owner) {}
  weave::mutex& mutex() { return mutex_; }
  int balance() const { return balance_; }
  void deposit(int amount) { balance_ = balance_ + amount; }
  bool withdraw(int amount) {
    const int current = balance_;
    if (current < amount) return false;
    balance_ = current - amount;
    return true;
  }

 private:
  weave::mutex mutex_;
  weave::shared<int> balance_;  // guarded by mutex_
};

bool Transfer(Account& from, Account& to, int amount) {
  std::scoped_lock from_lock(from.mutex());  // the bug: locks taken in argument order
  std::scoped_lock to_lock(to.mutex());
  if (!from.withdraw(amount)) return false;
  to.deposit(amount);
  return true;
}

void OppositeTransfersDoNotDeadlock() {
  Account alice("alice", 100);
  Account bob("bob", 50);
  weave::join_handle rent = weave::spawn("alice->bob", [&] { Transfer(alice, bob, 30); });
  weave::join_handle refund = weave::spawn("bob->alice", [&] { Transfer(bob, alice, 10); });
  rent.join();
  refund.join();
  weave::check(alice.balance() + bob.balance() == 150, "the total changed");
}

}  // namespace lock_order_deadlock

// examples/connection_pool/connection_pool_buggy.cpp (the pool is its header's).
void ConnectionPoolNeverHandsOutMoreConnectionsThanItHas() {
  using connection_pool::Release;
  connection_pool::ConnectionPool pool;
  std::vector<weave::task_handle<bool>> requests;
  requests.reserve(6);
  for (int i = 0; i < 6; ++i) {
    requests.push_back(weave::co_spawn("request-" + std::to_string(i),
                                       connection_pool::Request<Release::kAlways>(pool, i)));
  }
  for (auto& r : requests) (void)r.join();
}

// examples/async_cache/async_cache_buggy.cpp (the cache is its header's).
void AsyncCacheEachUserIsFetchedOnce() {
  using async_cache::Request;
  async_cache::ProfileBackend backend;
  async_cache::UserCache<async_cache::Locking::kNone> cache(backend);
  auto a = weave::co_spawn("request-a", Request(cache, 7, 0ms));
  auto b = weave::co_spawn("request-b", Request(cache, 7, 5ms));
  auto c = weave::co_spawn("request-c", Request(cache, 8, 0ms));
  weave::check(a.join() == "profile-7", "request-a got the wrong profile");
  weave::check(b.join() == "profile-7", "request-b got the wrong profile");
  weave::check(c.join() == "profile-8", "request-c got the wrong profile");
  weave::check(backend.calls(7) == 1, "user 7 was fetched more than once");
  weave::check(backend.calls(8) == 1, "user 8 was fetched more than once");
}

// examples/thread_pool/thread_pool_buggy.cpp (the pool is its header's): weave::threads, so a
// run costs about a millisecond where a fiber program's costs microseconds.
void ThreadPoolShutdownRunsEveryJobAndJoinsTheWorkers() {
  weave::sim_sync::atomic<int> sum{0, "sum"};
  {
    pool::ThreadPool<weave::sim_sync, pool::Shutdown::kAtomicFlagWithoutMutex> workers(2);
    for (int job = 1; job <= 3; ++job) workers.submit([&sum, job] { sum.fetch_add(job); });
  }
  weave::check(sum.load() == 1 + 2 + 3, "a job did not run");
}

// examples/retry_backoff has no bug (it passes every schedule), so it has no row.

// --- (b) The detector suite (tests/detector_suite_test.cpp) --------------------------------------
// The same bodies, without the line bookkeeping the suite uses to check its reports.

void RunTwice(const std::string& name, const std::function<void()>& body) {
  auto first = weave::spawn(name + "-1", body);
  auto second = weave::spawn(name + "-2", body);
  first.join();
  second.join();
}

void WriterAndReader(const std::function<void()>& writer, const std::function<void()>& reader) {
  auto w = weave::spawn("writer", writer);
  auto r = weave::spawn("reader", reader);
  w.join();
  r.join();
}

// LostUpdateIsARace / LostUpdateUnderAMutexIsSilent.
void IncrementTwice(bool under_mutex) {
  weave::mutex m{"m"};
  weave::shared<int> counter{0, "counter"};
  RunTwice("incrementer", [&] {
    std::unique_lock lock(m, std::defer_lock);
    if (under_mutex) lock.lock();
    counter = counter + 1;
  });
  if (under_mutex) weave::check(counter.load() == 2, "an increment was lost");
}

// CheckThenActIsARace.
void InitializeTwice() {
  weave::shared<bool> initialized{false, "initialized"};
  weave::shared<int> value{0, "value"};
  RunTwice("initializer", [&] {
    if (!initialized) {
      initialized = true;
      value = 42;
    }
  });
}

// DoubleCheckedLockingWithAPlainFlagIsARace.
void DoubleCheckedLockingWithAPlainFlag() {
  weave::mutex m{"m"};
  weave::shared<bool> ready{false, "ready"};
  weave::shared<int> payload{0, "payload"};
  RunTwice("getter", [&] {
    if (!ready.load()) {
      std::scoped_lock lock(m);
      if (!ready.load()) {
        payload = 42;
        ready.store(true);
      }
    }
    weave::check(payload.load() == 42, "the payload was not made");
  });
}

// PublishingThroughAPlainFlagIsARace.
void PublishThroughAPlainFlag() {
  weave::shared<int> payload{0, "payload"};
  weave::shared<bool> flag{false, "flag"};
  WriterAndReader(
      [&] {
        payload = 42;
        flag.store(true);
      },
      [&] {
        while (!flag.load()) weave::this_task::yield();
        weave::check(payload.load() == 42, "the payload was not published");
      });
}

// WritingUnderASharedLockIsARace.
void WriteUnderASharedLock() {
  weave::shared_mutex rw{"rw"};
  weave::shared<int> data{0, "data"};
  RunTwice("writer", [&] {
    std::shared_lock lock(rw);
    data = data + 1;
  });
}

// WritingThePayloadAfterSendingItIsARace / ChannelHandoffIsSilent.
void ChannelHandoff(bool write_after_sending) {
  weave::channel<int> ch{1, "handoff"};
  weave::shared<int> payload{0, "payload"};
  WriterAndReader(
      [&] {
        payload = 1;
        ch.send(0);
        if (write_after_sending) payload = 2;
      },
      [&] {
        ch.receive();
        const int seen = payload.load();
        if (!write_after_sending) weave::check(seen == 1, "the payload changed after the handoff");
      });
}

// WritingThePayloadOutsideTheLockAfterNotifyingIsARace / ConditionVariableHandoffIsSilent.
void ConditionVariableHandoff(bool write_after_notifying) {
  weave::mutex m{"m"};
  weave::condition_variable cv{"cv"};
  weave::shared<int> payload{0, "payload"};
  weave::shared<bool> ready{false, "ready"};
  WriterAndReader(
      [&] {
        {
          std::scoped_lock lock(m);
          payload = 1;
          ready = true;
        }
        cv.notify_one();
        if (write_after_notifying) payload = 2;
      },
      [&] {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return ready.load(); });
        const int seen = payload.load();
        if (!write_after_notifying) {
          weave::check(seen == 1, "the payload changed after the handoff");
        }
      });
}

// ReadingTheChildsResultBeforeJoiningIsARace.
void ReadTheChildsResultBeforeJoining() {
  weave::shared<int> data{0, "data"};
  auto writer = weave::spawn("writer", [&] { data = 1; });
  static_cast<void>(data.load());
  writer.join();
}

// TwoLocksTakenInOppositeOrders..., ThreeLocksTakenInACycle..., ...InOneOrderAreSilent,
// OppositeOrdersUnderAGateLockAreSilent: one task per pair, taking its locks in that order.
void TakeInOrder(const std::vector<std::pair<weave::mutex*, weave::mutex*>>& orders,
                 weave::mutex* gate) {
  std::vector<weave::join_handle> tasks;
  for (const auto& order : orders) {
    weave::mutex* first = order.first;
    weave::mutex* second = order.second;
    tasks.push_back(weave::spawn(first->name() + "-then-" + second->name(), [gate, first, second] {
      std::unique_lock<weave::mutex> held_gate;
      if (gate != nullptr) held_gate = std::unique_lock(*gate);
      std::scoped_lock held_first(*first);
      std::scoped_lock held_second(*second);
    }));
  }
  for (weave::join_handle& task : tasks) task.join();
}

// ReadingBeforeAcquiringTheSemaphoreIsARace.
void ReadBeforeAcquiringTheSemaphore() {
  weave::binary_semaphore published{0, "published"};
  weave::shared<int> payload{0, "payload"};
  WriterAndReader(
      [&] {
        payload = 1;
        published.release();
      },
      [&] {
        static_cast<void>(payload.load());
        published.acquire();
      });
}

// ReadingTheSlotsWithoutWaitingOnTheLatchIsARace.
void ReadTheSlotsWithoutWaitingOnTheLatch() {
  weave::latch done{2, "done"};
  std::array<weave::shared<int>, 2> slots{{{0, "slot-0"}, {0, "slot-1"}}};
  auto work = [&](int i) {
    slots[i] = i + 1;
    done.count_down();
  };
  auto w0 = weave::spawn("worker-0", [&] { work(0); });
  auto w1 = weave::spawn("worker-1", [&] { work(1); });
  int sum = 0;
  for (const weave::shared<int>& slot : slots) sum += slot.load();
  w0.join();
  w1.join();
}

// TwoCoroutineTasksIncrementingAreARace.
void TwoCoroutineTasksIncrement() {
  weave::shared<int> counter{0, "counter"};
  auto increment = [&]() -> weave::task<> {
    counter = counter + 1;
    co_return;
  };
  auto a = weave::co_spawn("incrementer-1", increment());
  auto b = weave::co_spawn("incrementer-2", increment());
  a.join();
  b.join();
}

// SleepingBeforeReadingIsARace.
void SleepBeforeReading() {
  weave::shared<int> data{0, "data"};
  WriterAndReader([&] { data = 1; },
                  [&] {
                    weave::this_task::sleep_for(1s);
                    static_cast<void>(data.load());
                  });
}

// --- (c) Families that scale with N ------------------------------------------------------------
// The checker is spawned first, the workers after it. "Private work" is `warmup` steps on an
// atomic that only its task touches: each is a scheduling point that conflicts with no other
// task's step. The private atomics are made by the body before any task starts, so each keeps its
// object id from one run to the next (strategies that learn which objects are shared key them by
// id). No start latch holds the tasks back until all are spawned: it would add a wait and a
// wake-up per task, which makes the exhaustive search of even the N=3 twins several times longer,
// and the slow variants are as hard for a random walk without it.

// How many private steps the workers of the "slow" variants take before their update. A random
// walk advances every runnable task at about the same pace, so it runs the checker's few steps
// long before any worker is through its warm-up: for the checker to come after worker i's first
// store, worker i must win kWarmup + 1 coin flips in a row against it, at most about N / 2^31 per
// schedule over N workers (a seed of 10,000 schedules all but never finds it). The bug is no
// deeper for that: only the ordering constraints count towards depth, not how far apart the
// constrained steps lie.
constexpr int kWarmup = 30;

// The families' start line (--start-latch): when `used`, every task waits at it until the body
// has spawned them all and opens it, so that no task gets a head start.
class StartLine {
 public:
  explicit StartLine(bool used) : used_(used) {}
  void Wait() {
    if (used_) latch_.wait();
  }
  void Open() {
    if (used_) latch_.count_down();
  }

 private:
  bool used_;
  weave::latch latch_{1, "start"};
};

// `steps` steps on `own`, which no other task touches.
void PrivateWork(weave::atomic<int>& own, int steps) {
  for (int i = 0; i < steps; ++i) own.fetch_add(1);
}

// setters/checker: N setter tasks each publish the pair (a, b) = (i, i) as two atomic stores; one
// checker reads a, then b, and checks that they belong together (equal). With `locked` (the
// correct twin) each setter stores both, and the checker reads both, under one mutex.
//
// Fails when the checker reads a after setter i stored it and reads b before setter i stores it
// (and no other setter stored b in between with the value i): depth 2, the orders
// "setter i's a.store before the checker's a.load" and "the checker's b.load before setter i's
// b.store". Plain (warmup 0): the window is one step of one of N setters, found at once by any
// strategy. Slow (warmup kWarmup): the checker, spawned first, must also wait until a setter is
// through its warm-up: hopeless for a random walk (see kWarmup). PCT needs the checker to rank
// just below setter i (about 1 in N+1) and one of its change points on the one step between
// setter i's stores (about 2 in k, k ~ N (kWarmup + 4) steps per run): its mean grows with N, to
// hundreds of schedules at N = 20 and 50. POS reorders the checker's load whenever a setter stores
// to a, whatever the private work, and the uniform walk gives the checker's two steps a uniform
// place among all steps: both stay near ten.
void SettersAndChecker(int setters, int warmup, bool locked, bool start_latch) {
  StartLine start(start_latch);
  weave::atomic<int> a{0, "a"};
  weave::atomic<int> b{0, "b"};
  weave::mutex pair_mutex{"pair.mutex"};
  std::deque<weave::atomic<int>> own;  // one per setter; a deque never moves its elements
  for (int i = 0; i < setters; ++i) own.emplace_back(0, "own");
  std::vector<weave::join_handle> tasks;
  tasks.push_back(weave::spawn("checker", [&] {
    start.Wait();
    std::unique_lock lock(pair_mutex, std::defer_lock);
    if (locked) lock.lock();
    const int seen_a = a.load();
    const int seen_b = b.load();
    weave::check(seen_a == seen_b, "the checker saw a half-published pair");
  }));
  for (int i = 1; i <= setters; ++i) {
    tasks.push_back(weave::spawn("setter", [&, i] {
      start.Wait();
      PrivateWork(own[i - 1], warmup);
      std::unique_lock lock(pair_mutex, std::defer_lock);
      if (locked) lock.lock();
      a.store(i);
      b.store(i);
    }));
  }
  start.Open();
  for (weave::join_handle& task : tasks) task.join();
}

// two-lock writers/reader: N writers each update x and then y to their own value, x under lock
// x.mutex and y under lock y.mutex, released in between; one reader takes both locks (x's, then
// y's) and checks x == y. With `hold_both` (the correct twin) each writer holds x.mutex while it
// takes y.mutex and updates both (the reader's order: no inversion).
//
// Fails when the reader takes x.mutex after writer i released it and y.mutex before writer i
// takes it (with no writer that wrote both in between): depth 2, like setters/checker, with the
// reader's two lock acquisitions in place of its two loads. Plain: found at once. Slow (writers
// warm up for kWarmup private steps first): the reader must be held back until a writer is
// through its warm-up, which a random walk all but never does; PCT as for setters/checker. Here
// the writers block each other on the locks, which a uniform walk (weighing tasks by steps left)
// does not foresee: at small N it needs thousands of schedules.
void TwoLockWritersAndReader(int writers, int warmup, bool hold_both, bool start_latch) {
  StartLine start(start_latch);
  weave::mutex x_mutex{"x.mutex"};
  weave::mutex y_mutex{"y.mutex"};
  weave::shared<int> x{0, "x"};  // guarded by x_mutex
  weave::shared<int> y{0, "y"};  // guarded by y_mutex
  std::deque<weave::atomic<int>> own;
  for (int i = 0; i < writers; ++i) own.emplace_back(0, "own");
  std::vector<weave::join_handle> tasks;
  tasks.push_back(weave::spawn("reader", [&] {
    start.Wait();
    std::scoped_lock x_lock(x_mutex);
    std::scoped_lock y_lock(y_mutex);
    weave::check(x.load() == y.load(), "the reader saw x and y from different writers");
  }));
  for (int i = 1; i <= writers; ++i) {
    tasks.push_back(weave::spawn("writer", [&, i] {
      start.Wait();
      PrivateWork(own[i - 1], warmup);
      if (hold_both) {
        std::scoped_lock x_lock(x_mutex);
        std::scoped_lock y_lock(y_mutex);
        x = i;
        y = i;
      } else {
        {
          std::scoped_lock x_lock(x_mutex);
          x = i;
        }
        std::scoped_lock y_lock(y_mutex);
        y = i;
      }
    }));
  }
  start.Open();
  for (weave::join_handle& task : tasks) task.join();
}

// Every program of the table, the families at each size of `sizes` (and with a start latch when
// `start_latch`).
std::vector<Program> AllPrograms(const std::vector<int>& sizes, bool start_latch) {
  using K = FailureKind;
  const std::string suite = "tests/detector_suite_test.cpp: ";
  std::vector<Program> programs = {
      {"lost_wakeup_buggy", "examples/lost_wakeup/lost_wakeup_buggy.cpp", K::kDeadlock,
       lost_wakeup::ConsumerGetsEveryItem<lost_wakeup::Pop::kUnlockedCheck>, true, true,
       /*also_reported_as=*/K::kAssertion},
      {"bank_lost_update", "examples/bank_lost_update", K::kDataRace,
       bank_lost_update::ConcurrentTransfersKeepTheTotal},
      {"bank_lost_update (no race det.)", "examples/bank_lost_update, races off", K::kAssertion,
       bank_lost_update::ConcurrentTransfersKeepTheTotal, /*detect_races=*/false},
      {"lock_order_deadlock", "examples/lock_order_deadlock", K::kPotentialDeadlock,
       lock_order_deadlock::OppositeTransfersDoNotDeadlock},
      {"lock_order_deadlock (no l-o det.)", "examples/lock_order_deadlock, lock order off",
       K::kDeadlock, lock_order_deadlock::OppositeTransfersDoNotDeadlock, true,
       /*detect_lock_order=*/false},
      {"connection_pool_buggy", "examples/connection_pool", K::kAssertion,
       ConnectionPoolNeverHandsOutMoreConnectionsThanItHas},
      {"async_cache_buggy", "examples/async_cache", K::kAssertion, AsyncCacheEachUserIsFetchedOnce},
      {"thread_pool_buggy (limit 1000)", "examples/thread_pool", K::kDeadlock,
       ThreadPoolShutdownRunsEveryJobAndJoinsTheWorkers, true, true, std::nullopt,
       /*os_threads=*/true},
      {"suite: LostUpdate", suite + "LostUpdateIsARace", K::kDataRace,
       [] { IncrementTwice(false); }},
      {"suite: CheckThenAct", suite + "CheckThenActIsARace", K::kDataRace, InitializeTwice},
      {"suite: DoubleCheckedLocking", suite + "DoubleCheckedLockingWithAPlainFlagIsARace",
       K::kDataRace, DoubleCheckedLockingWithAPlainFlag},
      {"suite: PublishThroughPlainFlag", suite + "PublishingThroughAPlainFlagIsARace", K::kDataRace,
       PublishThroughAPlainFlag},
      {"suite: WriteUnderSharedLock", suite + "WritingUnderASharedLockIsARace", K::kDataRace,
       WriteUnderASharedLock},
      {"suite: WriteAfterSending", suite + "WritingThePayloadAfterSendingItIsARace", K::kDataRace,
       [] { ChannelHandoff(true); }},
      {"suite: WriteAfterNotifying", suite + "WritingThePayloadOutsideTheLockAfterNotifyingIsARace",
       K::kDataRace, [] { ConditionVariableHandoff(true); }},
      {"suite: ReadBeforeJoining", suite + "ReadingTheChildsResultBeforeJoiningIsARace",
       K::kDataRace, ReadTheChildsResultBeforeJoining},
      {"suite: TwoLocksOppositeOrders",
       suite + "TwoLocksTakenInOppositeOrdersAreAPotentialDeadlock", K::kPotentialDeadlock,
       [] {
         weave::mutex a{"a"};
         weave::mutex b{"b"};
         TakeInOrder({{&a, &b}, {&b, &a}}, nullptr);
       }},
      {"suite: ThreeLocksInACycle", suite + "ThreeLocksTakenInACycleAreAPotentialDeadlock",
       K::kPotentialDeadlock,
       [] {
         weave::mutex a{"a"};
         weave::mutex b{"b"};
         weave::mutex c{"c"};
         TakeInOrder({{&a, &b}, {&b, &c}, {&c, &a}}, nullptr);
       }},
      {"suite: ReadBeforeSemaphore", suite + "ReadingBeforeAcquiringTheSemaphoreIsARace",
       K::kDataRace, ReadBeforeAcquiringTheSemaphore},
      {"suite: ReadSlotsWithoutLatch", suite + "ReadingTheSlotsWithoutWaitingOnTheLatchIsARace",
       K::kDataRace, ReadTheSlotsWithoutWaitingOnTheLatch},
      {"suite: CoroutineIncrements", suite + "TwoCoroutineTasksIncrementingAreARace", K::kDataRace,
       TwoCoroutineTasksIncrement},
      {"suite: SleepBeforeReading", suite + "SleepingBeforeReadingIsARace", K::kDataRace,
       SleepBeforeReading},
  };
  struct Family {
    std::string name;
    std::string source;
    std::function<void(int n, int warmup, bool fixed, bool start_latch)> body;
  };
  const Family families[] = {
      {"setters/checker", "bench/strategy_comparison.cpp: SettersAndChecker", SettersAndChecker},
      {"two-lock", "bench/strategy_comparison.cpp: TwoLockWritersAndReader",
       TwoLockWritersAndReader}};
  for (const Family& family : families) {
    for (const int warmup : {0, kWarmup}) {
      const std::string variant = family.name + (warmup == 0 ? "" : " slow");
      for (const int n : sizes) {
        programs.push_back({absl::StrFormat("%s N=%d", variant, n), family.source,
                            FailureKind::kAssertion, [body = family.body, n, warmup, start_latch] {
                              body(n, warmup, false, start_latch);
                            }});
      }
    }
  }
  // (d) Correct twins: the same code with the fix.
  for (const Family& family : families) {
    for (const int warmup : {0, kWarmup}) {
      programs.push_back(
          {absl::StrFormat("twin: %s%s N=3", family.name, warmup == 0 ? "" : " slow"),
           family.source + ", fixed", std::nullopt,
           [body = family.body, warmup, start_latch] { body(3, warmup, true, start_latch); }});
    }
  }
  programs.push_back({"twin: lost_wakeup_fixed", "examples/lost_wakeup/lost_wakeup_fixed.cpp",
                      std::nullopt, lost_wakeup::ConsumerGetsEveryItem<lost_wakeup::Pop::kFixed>});
  programs.push_back({"twin: LostUpdateUnderAMutex", suite + "LostUpdateUnderAMutexIsSilent",
                      std::nullopt, [] { IncrementTwice(true); }});
  programs.push_back({"twin: ChannelHandoff", suite + "ChannelHandoffIsSilent", std::nullopt,
                      [] { ChannelHandoff(false); }});
  programs.push_back({"twin: ConditionVariableHandoff", suite + "ConditionVariableHandoffIsSilent",
                      std::nullopt, [] { ConditionVariableHandoff(false); }});
  programs.push_back(
      {"twin: TwoLocksInOneOrder", suite + "TwoLocksTakenInOneOrderAreSilent", std::nullopt, [] {
         weave::mutex a{"a"};
         weave::mutex b{"b"};
         TakeInOrder({{&a, &b}, {&a, &b}}, nullptr);
       }});
  programs.push_back({"twin: OppositeOrdersUnderAGate",
                      suite + "OppositeOrdersUnderAGateLockAreSilent", std::nullopt, [] {
                        weave::mutex gate{"gate"};
                        weave::mutex a{"a"};
                        weave::mutex b{"b"};
                        TakeInOrder({{&a, &b}, {&b, &a}}, &gate);
                      }});
  return programs;
}

// --- Running the table ---------------------------------------------------------------------------

struct Settings {
  int seeds = 20;
  // A seeded cell of a buggy program stops after this many seeds found nothing (0: never).
  int give_up_after = 5;
  std::int64_t limit = 10000;
  // The exhaustive search's limit. It needs no seeds, so by default it gets the runs of a whole
  // seeded column (seeds x limit): enough to end on the plain families' N=3 twins.
  std::optional<std::int64_t> dfs_limit;
  std::int64_t DfsLimit() const { return dfs_limit.value_or(seeds * limit); }
  std::vector<int> sizes = {3, 5, 10, 20, 50};
  std::vector<std::string> program_filters;  // substrings; empty: every program
  std::vector<std::string> strategies = {"random", "pct:3", "pos",       "cpos",
                                         "urw",    "surw",  "portfolio", "dfs:2"};
  bool start_latch = false;
  bool markdown = false;
  bool list = false;  // print the programs and their sources instead of exploring
};

// One program under one strategy.
struct Cell {
  int explorations = 0;  // seeds run (1 for dfs)
  int found = 0;         // explorations that failed the way the program's bug fails
  std::int64_t schedules_to_failure = 0;  // summed over those
  int other_failures = 0;   // explorations that failed some other way (any failure of a twin)
  std::string first_other;  // the first such failure, for the notes
  // dfs: the one exploration's end.
  std::int64_t schedules = 0;
  bool ran_out = false;  // explored fewer than the limit: the strategy said "no more runs"
};

bool IsExhaustive(const weave::Strategy& strategy) {
  return strategy.kind() == weave::Strategy::Kind::kBoundedExhaustive;
}

std::string FileNameOf(std::string_view name) {
  std::string out;
  for (const char c : name) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

Cell Explore(const Program& program, const weave::Strategy& strategy, const Settings& settings,
             const std::string& out_dir) {
  Cell cell;
  const int seeds = IsExhaustive(strategy) ? 1 : settings.seeds;
  for (int seed = 1; seed <= seeds; ++seed) {
    // A strategy that found nothing in this many seeds would most likely find nothing in the rest
    // either: skip them (the cell then shows its smaller denominator). Count-based, so the table
    // stays deterministic.
    if (program.bug && settings.give_up_after > 0 && cell.found == 0 &&
        cell.explorations >= settings.give_up_after) {
      break;
    }
    weave::Options o;
    const std::int64_t limit =
        program.os_threads ? std::min(settings.limit, kOsThreadLimit)
                           : (IsExhaustive(strategy) ? settings.DfsLimit() : settings.limit);
    o.iterations = limit;
    o.seed = static_cast<std::uint64_t>(seed);
    o.strategy = strategy;
    o.trace = weave::TraceMode::kOff;
    o.out_dir = out_dir;
    o.test_name = FileNameOf(program.name);
    o.progress_interval = absl::ZeroDuration();
    o.minimize = false;  // shrinking the failing schedule costs runs and says nothing here
    o.detect_races = program.detect_races;
    o.detect_lock_order = program.detect_lock_order;
    const weave::Result r = weave::explore(o, program.body);
    ++cell.explorations;
    cell.schedules = r.schedules;
    cell.ran_out = r.ok() && r.schedules < limit && !r.stopped_by_time_budget;
    if (r.ok()) continue;
    if (program.bug && program.IsReportedAs(r.failure().kind)) {
      ++cell.found;
      cell.schedules_to_failure += r.schedules;
    } else {
      if (cell.other_failures++ == 0) {
        cell.first_other =
            absl::StrFormat("seed %d, schedule %d: %s: %s", seed, r.schedules,
                            weave::FailureKindName(r.failure().kind), r.failure().message);
      }
    }
  }
  return cell;
}

std::string ShortKind(const std::optional<FailureKind>& kind) {
  if (!kind) return "none";
  switch (*kind) {
    case FailureKind::kAssertion:
      return "assert";
    case FailureKind::kDataRace:
      return "race";
    case FailureKind::kDeadlock:
      return "deadlock";
    case FailureKind::kPotentialDeadlock:
      return "lock-order";
    default:
      return std::string(weave::FailureKindName(*kind));
  }
}

// "found/seeds, mean" for a seeded strategy; for dfs, how its one exploration ended. A "!" marks
// failures of another kind than the program's bug (any failure of a twin).
std::string CellText(const Program& program, const weave::Strategy& strategy, const Cell& cell) {
  const std::string mark = cell.other_failures > 0 ? "!" : "";
  if (IsExhaustive(strategy)) {
    if (cell.found > 0) return absl::StrFormat("found at %d", cell.schedules_to_failure);
    if (cell.other_failures > 0) return absl::StrFormat("failed at %d!", cell.schedules);
    if (cell.schedules == 0) return "no runs";
    if (cell.ran_out) {
      return program.bug ? absl::StrFormat("all %d, missed", cell.schedules)
                         : absl::StrFormat("all %d", cell.schedules);
    }
    return absl::StrFormat("%d (limit)", cell.schedules);
  }
  if (!program.bug) {
    return cell.other_failures > 0
               ? absl::StrFormat("%d/%d failed!", cell.other_failures, cell.explorations)
               : "ok";
  }
  if (cell.found == 0) return absl::StrFormat("0/%d, -%s", cell.explorations, mark);
  return absl::StrFormat("%d/%d, %.1f%s", cell.found, cell.explorations,
                         static_cast<double>(cell.schedules_to_failure) / cell.found, mark);
}

bool Selected(const Program& program, const Settings& settings) {
  if (settings.program_filters.empty()) return true;
  return std::any_of(
      settings.program_filters.begin(), settings.program_filters.end(),
      [&](const std::string& f) { return program.name.find(f) != std::string::npos; });
}

void PrintTable(std::ostream& os, const Settings& settings,
                const std::vector<std::string>& strategy_names,
                const std::vector<const Program*>& programs,
                const std::vector<std::vector<std::string>>& cells) {
  std::vector<std::string> header = {"program", "bug"};
  header.insert(header.end(), strategy_names.begin(), strategy_names.end());
  std::vector<std::vector<std::string>> rows;
  for (std::size_t p = 0; p < programs.size(); ++p) {
    std::string bug = ShortKind(programs[p]->bug);
    if (programs[p]->also_reported_as)
      bug.append("/").append(ShortKind(programs[p]->also_reported_as));
    std::vector<std::string> row = {programs[p]->name, bug};
    row.insert(row.end(), cells[p].begin(), cells[p].end());
    rows.push_back(std::move(row));
  }
  if (settings.markdown) {
    os << "| " << absl::StrJoin(header, " | ") << " |\n|";
    for (std::size_t c = 0; c < header.size(); ++c) os << (c < 2 ? "---|" : "---:|");
    os << "\n";
    for (const auto& row : rows) os << "| " << absl::StrJoin(row, " | ") << " |\n";
    return;
  }
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = header[c].size();
    for (const auto& row : rows) widths[c] = std::max(widths[c], row[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string pad(widths[c] - row[c].size(), ' ');
      os << (c == 0 ? "" : "  ") << (c < 2 ? row[c] + pad : pad + row[c]);
    }
    os << "\n";
  };
  print_row(header);
  std::size_t total = 0;
  for (std::size_t w : widths) total += w + 2;
  os << std::string(total - 2, '-') << "\n";
  for (const auto& row : rows) print_row(row);
}

constexpr std::string_view kUsage = R"usage(usage: weave_strategy_comparison [flags]

Explores each program under each strategy, once per seed, and prints one table: per cell the
seeds that found the bug out of those run, and the mean schedules to the first failure over them
("-" when none did). dfs needs no seed: "found at K", "all K" (it ran every schedule within its
bound and ended), "K (limit)", or "no runs". Twins are correct programs: "ok" when no seed failed.
A "!" marks failures of another kind than the program's bug, listed under the table.

  --seeds=N          seeds 1..N per strategy (default 20)
  --limit=N          schedules per exploration at most (default 10000)
  --give-up-after=K  stop a cell of a buggy program after K seeds found nothing: it shows
                     "0/K, -" (default 5; 0 runs every seed)
  --dfs-limit=N      schedules of the one dfs exploration at most (default seeds x limit)
  --sizes=A,B,...    N of the scalable families (default 3,5,10,20,50)
  --programs=S,...   only programs whose name contains one of these substrings
  --strategies=S,... strategies by weave::Strategy::Parse name
                     (default random,pct:3,pos,urw,surw,portfolio,dfs:2)
  --start-latch      the families' tasks wait on a latch that the body opens once all are
                     spawned, so that none gets a head start
  --markdown         print the table as Markdown
  --list             print the selected programs and where each comes from, and exit
  --smoke            2 seeds, 300 schedules (dfs 600), N = 3 and 5: ctest's
                     bench.strategy_smoke. Later flags override it.
  --help             this text
)usage";

// Parses the flags into `settings`; false (after printing why) on a bad one.
bool ParseFlags(int argc, char** argv, Settings& settings, bool& help) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    // A std::string: Debian's Abseil takes its own string_view, not std's.
    const std::string value(eq == std::string_view::npos ? "" : arg.substr(eq + 1));
    auto list = [&] {
      return std::vector<std::string>(absl::StrSplit(value, ',', absl::SkipEmpty()));
    };
    bool ok = true;
    if (name == "--help" || name == "-h") {
      help = true;
    } else if (name == "--smoke") {
      settings.seeds = 2;
      settings.limit = 300;
      settings.sizes = {3, 5};
    } else if (name == "--list") {
      settings.list = true;
    } else if (name == "--markdown") {
      settings.markdown = true;
    } else if (name == "--seeds") {
      ok = absl::SimpleAtoi(value, &settings.seeds) && settings.seeds >= 1;
    } else if (name == "--dfs-limit") {
      std::int64_t n = 0;
      ok = absl::SimpleAtoi(value, &n) && n >= 1;
      settings.dfs_limit = n;
    } else if (name == "--give-up-after") {
      ok = absl::SimpleAtoi(value, &settings.give_up_after) && settings.give_up_after >= 0;
    } else if (name == "--start-latch") {
      settings.start_latch = true;
    } else if (name == "--limit") {
      ok = absl::SimpleAtoi(value, &settings.limit) && settings.limit >= 1;
    } else if (name == "--sizes") {
      settings.sizes.clear();
      for (const std::string& s : list()) {
        int n = 0;
        ok = ok && absl::SimpleAtoi(s, &n) && n >= 1;
        settings.sizes.push_back(n);
      }
    } else if (name == "--programs") {
      settings.program_filters = list();
    } else if (name == "--strategies") {
      settings.strategies = list();
      ok = !settings.strategies.empty();
    } else {
      std::cerr << "weave_strategy_comparison: unknown flag '" << arg << "'\n" << kUsage;
      return false;
    }
    if (!ok) {
      std::cerr << "weave_strategy_comparison: bad value in '" << arg << "'\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  bool help = false;
  if (!ParseFlags(argc, argv, settings, help)) return 2;
  if (help) {
    std::cout << kUsage;
    return 0;
  }
  std::vector<weave::Strategy> strategies;
  for (const std::string& name : settings.strategies) {
    absl::StatusOr<weave::Strategy> strategy = weave::Strategy::Parse(name);
    if (!strategy.ok()) {
      std::cerr << "weave_strategy_comparison: " << strategy.status().message() << "\n";
      return 2;
    }
    strategies.push_back(*strategy);
  }
  const std::vector<Program> all = AllPrograms(settings.sizes, settings.start_latch);
  std::vector<const Program*> programs;
  for (const Program& program : all) {
    if (Selected(program, settings)) programs.push_back(&program);
  }
  if (programs.empty()) {
    std::cerr << "weave_strategy_comparison: no program matches --programs\n";
    return 2;
  }
  if (settings.list) {
    for (const Program* program : programs) {
      std::cout << program->name << ": " << program->source << "\n";
    }
    return 0;
  }

  // Failing schedules are written here, and the directory removed at the end.
  std::string out_template =
      (std::filesystem::temp_directory_path() / "weave-strategy-comparison-XXXXXX").string();
  if (mkdtemp(out_template.data()) == nullptr) {
    std::perror("weave_strategy_comparison: mkdtemp");
    return 2;
  }
  const std::string out_dir = out_template;

  std::vector<std::string> strategy_names;
  strategy_names.reserve(strategies.size());
  for (const weave::Strategy& s : strategies) strategy_names.push_back(s.ToString());
  std::vector<absl::Duration> wall_by_strategy(strategies.size());
  std::vector<std::vector<std::string>> cells(programs.size());
  std::vector<std::string> notes;
  int wrong = 0;  // twins that failed, bugs reported as another kind
  const absl::Time start = absl::Now();
  for (std::size_t p = 0; p < programs.size(); ++p) {
    const Program& program = *programs[p];
    std::cerr << absl::StrFormat("[%d/%d] %s:", p + 1, programs.size(), program.name) << std::flush;
    for (std::size_t s = 0; s < strategies.size(); ++s) {
      const absl::Time cell_start = absl::Now();
      const Cell cell = Explore(program, strategies[s], settings, out_dir);
      const absl::Duration wall = absl::Now() - cell_start;
      wall_by_strategy[s] += wall;
      cells[p].push_back(CellText(program, strategies[s], cell));
      if (cell.other_failures > 0) {
        ++wrong;
        notes.push_back(absl::StrFormat(
            "%s under %s: %d exploration(s) failed unexpectedly, first: %s", program.name,
            strategy_names[s], cell.other_failures, cell.first_other));
      }
      std::cerr << " " << strategy_names[s] << " "
                << absl::FormatDuration(absl::Trunc(wall, absl::Milliseconds(10))) << std::flush;
    }
    std::cerr << "\n";
  }
  const absl::Duration total = absl::Now() - start;
  std::error_code ignored;
  std::filesystem::remove_all(out_dir, ignored);

  const bool with_dfs = std::any_of(strategies.begin(), strategies.end(), IsExhaustive);
  std::cout << absl::StrFormat(
      "Schedules to the first failure: seeds 1..%d per strategy, at most %d schedules each. Cell: "
      "seeds that found the bug / seeds run, mean schedules to the first failure over them (a "
      "cell stops after %d seeds that found nothing).%s%s\n\n",
      settings.seeds, settings.limit, settings.give_up_after,
      with_dfs
          ? absl::StrFormat(" dfs: one exploration of at most %d schedules.", settings.DfsLimit())
          : "",
      settings.start_latch ? " Families start on a latch." : "");
  PrintTable(std::cout, settings, strategy_names, programs, cells);
  std::cout << "\nwall time:";
  for (std::size_t s = 0; s < strategies.size(); ++s) {
    std::cout << " " << strategy_names[s] << " "
              << absl::FormatDuration(absl::Trunc(wall_by_strategy[s], absl::Milliseconds(10)))
              << (s + 1 < strategies.size() ? "," : "");
  }
  std::cout << "; total " << absl::FormatDuration(absl::Trunc(total, absl::Milliseconds(10)))
            << "\n";
  for (const std::string& note : notes) std::cout << "! " << note << "\n";
  return wrong > 0 ? 1 : 0;
}
