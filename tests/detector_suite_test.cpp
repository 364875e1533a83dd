// The detector suite: small concurrency bugs, each next to its correct twin.
//
// Each buggy program must be reported with the right failure kind within kBuggyRuns random
// schedules, and the report must name the source lines of the accesses (or lock acquisitions)
// that form the bug: a report that says "race" without saying where is of little use. Each correct
// twin must stay silent over kCorrectRuns schedules, so that the detectors earn trust by not
// crying wolf. The bodies are kept tiny so that the silent runs stay cheap.
//
// Lines are recorded by the bodies as they run, as `lines[i] = __LINE__ + 1;` just above the
// access: the numbers then follow any edit of this file, and clang-format cannot separate them
// from the access they name. Reads are written out at the access (`x.load()`) rather than in a
// read helper: a report names the line that called the shared<T> accessor, which would be the
// helper's. Where a buggy program and its correct twin differ only in one synchronization, they
// are one function with a flag (or a template parameter), called from both TESTs; it records the
// lines of its own accesses, which the correct twin ignores.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/thread.hpp"
#include "weave/weave.hpp"

namespace {

using namespace std::chrono_literals;
using weave::FailureKind;

// Every buggy program must be found within this many schedules...
constexpr std::int64_t kBuggyRuns = 1000;
// ...and every correct one must stay silent over this many. Under a sanitizer these runs check
// memory and thread safety, not the statistics, at ten to fifty times the cost: a tenth of them
// (CI's dev and clang builds run them all).
constexpr std::int64_t kCorrectRuns =
    weave_test::kAddressSanitizer || weave_test::kThreadSanitizer ? 1000 : 10000;

weave::Options Runs(std::int64_t iterations) {
  weave::Options o;
  o.iterations = iterations;
  // Failing schedules are written somewhere disposable, not into the working directory.
  o.out_dir = ::testing::TempDir() + "weave-detector-suite";
  return o;
}

// How often `text` names line `line` of this file. The character after the number is checked,
// so that line 12 is not found inside a mention of line 123.
int Mentions(const std::string& text, int line) {
  const std::string needle = "detector_suite_test.cpp:" + std::to_string(line);
  int count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    const std::size_t end = at + needle.size();
    if (end == text.size() || text[end] < '0' || text[end] > '9') ++count;
  }
  return count;
}

// Checks that `r` failed with `kind` and that its report names every line of `lines` (a line
// listed twice, as when both racing accesses are the same statement run by two tasks, must be
// named twice).
void ExpectReportNames(const weave::Result& r, FailureKind kind, const std::vector<int>& lines) {
  ASSERT_FALSE(r.ok()) << "expected a " << kind << ", but every schedule passed";
  EXPECT_EQ(r.failure().kind, kind) << r;
  // A race names both accesses in its one-line message; a lock cycle names where each edge was
  // formed in the stacks of its details.
  const std::string text = kind == FailureKind::kDataRace
                               ? r.failure().message
                               : r.failure().message + "\n" + r.failure().details;
  for (int line : lines) {
    ASSERT_NE(line, 0) << "the body never reached a line it should have recorded";
    int wanted = 0;
    for (int other : lines) wanted += other == line ? 1 : 0;
    EXPECT_GE(Mentions(text, line), wanted)
        << "the report should name detector_suite_test.cpp:" << line << "\n"
        << r;
  }
}

// A buggy program: reported as `kind` within kBuggyRuns schedules, naming `lines` (which the body
// fills in as it runs, so they are read only once exploration is over).
void ExpectFound(FailureKind kind, const std::vector<int>& lines,
                 const std::function<void()>& body) {
  ExpectReportNames(weave::explore(Runs(kBuggyRuns), body), kind, lines);
}

// A correct program: silent over kCorrectRuns schedules.
void ExpectSilent(const std::function<void()>& body) {
  const weave::Result r = weave::explore(Runs(kCorrectRuns), body);
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.schedules, kCorrectRuns) << r;
}

// Runs `body` as two tasks, `name`-1 and `name`-2, and joins them.
void RunTwice(const std::string& name, const std::function<void()>& body) {
  auto first = weave::spawn(name + "-1", body);
  auto second = weave::spawn(name + "-2", body);
  first.join();
  second.join();
}

// Runs a task "writer" and a task "reader", in that order, and joins them.
void WriterAndReader(const std::function<void()>& writer, const std::function<void()>& reader) {
  auto w = weave::spawn("writer", writer);
  auto r = weave::spawn("reader", reader);
  w.join();
  r.join();
}

// --- 1. lost update --------------------------------------------------------------------------

// Two tasks increment a counter, under a mutex or (the bug) not.
void IncrementTwice(bool under_mutex, std::vector<int>& lines) {
  weave::mutex m{"m"};
  weave::shared<int> counter{0, "counter"};
  RunTwice("incrementer", [&] {
    std::unique_lock lock(m, std::defer_lock);
    if (under_mutex) lock.lock();
    lines[0] = lines[1] = __LINE__ + 1;
    counter = counter + 1;
  });
  if (under_mutex) {
    EXPECT_EQ(counter.load(), 2);
  }
}

TEST(DetectorSuite, LostUpdateIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] { IncrementTwice(/*under_mutex=*/false, lines); });
}

TEST(DetectorSuite, LostUpdateUnderAMutexIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { IncrementTwice(/*under_mutex=*/true, lines); });
}

// --- 2. check-then-act -----------------------------------------------------------------------
// Whichever task checks second, its check of the flag is unordered with the other's setting of
// it: that pair is always the first race.

// Two tasks initialize a value once, checking a flag under a mutex or (the bug) not.
void InitializeTwice(bool under_mutex, std::vector<int>& lines) {
  weave::mutex m{"m"};
  weave::shared<bool> initialized{false, "initialized"};
  weave::shared<int> value{0, "value"};
  RunTwice("initializer", [&] {
    std::unique_lock lock(m, std::defer_lock);
    if (under_mutex) lock.lock();
    lines[0] = __LINE__ + 1;
    if (!initialized) {
      lines[1] = __LINE__ + 1;
      initialized = true;
      value = 42;
    }
  });
  EXPECT_EQ(value.load(), 42);
}

TEST(DetectorSuite, CheckThenActIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { InitializeTwice(/*under_mutex=*/false, lines); });
}

TEST(DetectorSuite, CheckThenActUnderAMutexIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { InitializeTwice(/*under_mutex=*/true, lines); });
}

// --- 3. double-checked locking ---------------------------------------------------------------
// The unlocked first check of a plain flag races with the locked write of it.

// Two tasks get a payload made once under a mutex, checking `Flag` first without the lock.
template <class Flag>
void DoubleCheckedLocking(std::vector<int>& lines) {
  weave::mutex m{"m"};
  Flag ready{false, "ready"};
  weave::shared<int> payload{0, "payload"};
  RunTwice("getter", [&] {
    lines[0] = __LINE__ + 1;
    if (!ready.load()) {
      std::scoped_lock lock(m);
      if (!ready.load()) {
        payload = 42;
        lines[1] = __LINE__ + 1;
        ready.store(true);
      }
    }
    EXPECT_EQ(payload.load(), 42);
  });
}

TEST(DetectorSuite, DoubleCheckedLockingWithAPlainFlagIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { DoubleCheckedLocking<weave::shared<bool>>(lines); });
}

TEST(DetectorSuite, DoubleCheckedLockingWithAnAtomicFlagIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { DoubleCheckedLocking<weave::atomic<bool>>(lines); });
}

// --- 4. publication without synchronization --------------------------------------------------
// The reader's spin on a plain flag races with the writer's setting of it (before the payload
// is even read).

// The writer publishes a payload by setting `Flag`; the reader spins on it, then reads.
template <class Flag>
void PublishThroughAFlag(std::vector<int>& lines) {
  weave::shared<int> payload{0, "payload"};
  Flag flag{false, "flag"};
  WriterAndReader(
      [&] {
        payload = 42;
        lines[0] = __LINE__ + 1;
        flag.store(true);
      },
      [&] {
        lines[1] = __LINE__ + 1;
        while (!flag.load()) weave::this_task::yield();
        EXPECT_EQ(payload.load(), 42);
      });
}

TEST(DetectorSuite, PublishingThroughAPlainFlagIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { PublishThroughAFlag<weave::shared<bool>>(lines); });
}

TEST(DetectorSuite, PublishingThroughAnAtomicFlagIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { PublishThroughAFlag<weave::atomic<bool>>(lines); });
}

// --- 5. message passing over an atomic flag --------------------------------------------------

TEST(DetectorSuite, ReadingThePayloadWithoutWaitingForTheAtomicFlagIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> payload{0, "payload"};
    weave::atomic<bool> flag{false, "flag"};
    WriterAndReader(
        [&] {
          lines[0] = __LINE__ + 1;
          payload = 42;
          flag.store(true);
        },
        [&] {
          lines[1] = __LINE__ + 1;
          static_cast<void>(payload.load());
          static_cast<void>(flag.load());  // too late to order anything
        });
  });
}

TEST(DetectorSuite, MessagePassingOverAnAtomicFlagIsSilent) {
  ExpectSilent([] {
    weave::shared<int> payload{0, "payload"};
    weave::atomic<bool> flag{false, "flag"};
    WriterAndReader(
        [&] {
          payload = 42;
          flag.store(true);
        },
        [&] {
          if (flag.load()) {
            EXPECT_EQ(payload.load(), 42);
          }
        });
  });
}

// --- 6. reader/writer lock -------------------------------------------------------------------

TEST(DetectorSuite, WritingUnderASharedLockIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared_mutex rw{"rw"};
    weave::shared<int> data{0, "data"};
    RunTwice("writer", [&] {
      std::shared_lock lock(rw);  // the bug: shared, so both writers hold it at once
      lines[0] = lines[1] = __LINE__ + 1;
      data = data + 1;
    });
  });
}

TEST(DetectorSuite, WritersUnderAnExclusiveLockAndReadersUnderASharedLockAreSilent) {
  ExpectSilent([] {
    weave::shared_mutex rw{"rw"};
    weave::shared<int> data{0, "data"};
    auto write = [&] {
      std::unique_lock lock(rw);
      data = data + 1;
    };
    auto a = weave::spawn("writer-1", write);
    auto b = weave::spawn("writer-2", write);
    auto reader = weave::spawn("reader", [&] {
      std::shared_lock lock(rw);
      static_cast<void>(data.load());
    });
    a.join();
    b.join();
    reader.join();
  });
}

// --- 7. channel handoff ----------------------------------------------------------------------

// The writer hands a payload over a channel to the reader, then (the bug) writes it again.
void ChannelHandoff(bool write_after_sending, std::vector<int>& lines) {
  weave::channel<int> ch{1, "handoff"};
  weave::shared<int> payload{0, "payload"};
  WriterAndReader(
      [&] {
        payload = 1;
        ch.send(0);
        lines[0] = __LINE__ + 1;
        if (write_after_sending) payload = 2;  // the receiver may be reading it
      },
      [&] {
        ch.receive();
        lines[1] = __LINE__ + 1;
        const int seen = payload.load();
        if (!write_after_sending) {
          EXPECT_EQ(seen, 1);
        }
      });
}

TEST(DetectorSuite, WritingThePayloadAfterSendingItIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { ChannelHandoff(/*write_after_sending=*/true, lines); });
}

TEST(DetectorSuite, ChannelHandoffIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { ChannelHandoff(/*write_after_sending=*/false, lines); });
}

// --- 8. condition variable handoff -----------------------------------------------------------

// The writer hands a payload to the reader under a mutex and a condition variable, then (the
// bug) writes it again outside the lock.
void ConditionVariableHandoff(bool write_after_notifying, std::vector<int>& lines) {
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
        lines[0] = __LINE__ + 1;
        if (write_after_notifying) payload = 2;  // outside the lock
      },
      [&] {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return ready.load(); });
        lines[1] = __LINE__ + 1;
        const int seen = payload.load();
        if (!write_after_notifying) {
          EXPECT_EQ(seen, 1);
        }
      });
}

TEST(DetectorSuite, WritingThePayloadOutsideTheLockAfterNotifyingIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { ConditionVariableHandoff(/*write_after_notifying=*/true, lines); });
}

TEST(DetectorSuite, ConditionVariableHandoffIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { ConditionVariableHandoff(/*write_after_notifying=*/false, lines); });
}

// --- 9. join ---------------------------------------------------------------------------------

TEST(DetectorSuite, ReadingTheChildsResultBeforeJoiningIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> data{0, "data"};
    auto writer = weave::spawn("writer", [&] {
      lines[0] = __LINE__ + 1;
      data = 1;
    });
    lines[1] = __LINE__ + 1;
    static_cast<void>(data.load());
    writer.join();
  });
}

TEST(DetectorSuite, ReadingTheChildsResultAfterJoiningIsSilent) {
  ExpectSilent([] {
    weave::shared<int> data{0, "data"};
    auto writer = weave::spawn("writer", [&] { data = 1; });
    writer.join();
    EXPECT_EQ(data.load(), 1);
  });
}

// --- 10-12. lock-order inversion -------------------------------------------------------------
// The report names, for each edge of the cycle, where the second lock was asked for: the line
// recorded by TakeInOrder, once per task.

// Spawns one task per pair of `orders`, which takes the pair's locks in that order (holding
// `gate` around both, when there is one), and joins them all. lines[i] is where task i asks for
// its second lock.
void TakeInOrder(const std::vector<std::pair<weave::mutex*, weave::mutex*>>& orders,
                 weave::mutex* gate, std::vector<int>& lines) {
  std::vector<weave::join_handle> tasks;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    // Not a structured binding: clang 14 cannot capture those in a lambda.
    weave::mutex* first = orders[i].first;
    weave::mutex* second = orders[i].second;
    const std::string name = first->name() + "-then-" + second->name();
    tasks.push_back(weave::spawn(name, [&lines, gate, first, second, i] {
      std::unique_lock<weave::mutex> held_gate;
      if (gate != nullptr) held_gate = std::unique_lock(*gate);
      std::scoped_lock held_first(*first);
      lines[i] = __LINE__ + 1;
      std::scoped_lock held_second(*second);
    }));
  }
  for (weave::join_handle& task : tasks) task.join();
}

TEST(DetectorSuite, TwoLocksTakenInOppositeOrdersAreAPotentialDeadlock) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kPotentialDeadlock, lines, [&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    TakeInOrder({{&a, &b}, {&b, &a}}, /*gate=*/nullptr, lines);
  });
}

TEST(DetectorSuite, TwoLocksTakenInOneOrderAreSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    TakeInOrder({{&a, &b}, {&a, &b}}, /*gate=*/nullptr, lines);
  });
}

TEST(DetectorSuite, ThreeLocksTakenInACycleAreAPotentialDeadlock) {
  std::vector<int> lines(3);
  ExpectFound(FailureKind::kPotentialDeadlock, lines, [&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    weave::mutex c{"c"};
    TakeInOrder({{&a, &b}, {&b, &c}, {&c, &a}}, /*gate=*/nullptr, lines);
  });
}

TEST(DetectorSuite, ThreeLocksTakenInOneGlobalOrderAreSilent) {
  std::vector<int> lines(3);
  ExpectSilent([&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    weave::mutex c{"c"};
    TakeInOrder({{&a, &b}, {&b, &c}, {&a, &c}}, /*gate=*/nullptr, lines);
  });
}

// Opposite orders under a common gate lock cannot deadlock: only one task is ever inside.

TEST(DetectorSuite, OppositeOrdersWithoutAGateLockAreAPotentialDeadlock) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kPotentialDeadlock, lines, [&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    TakeInOrder({{&a, &b}, {&b, &a}}, /*gate=*/nullptr, lines);
  });
}

TEST(DetectorSuite, OppositeOrdersUnderAGateLockAreSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] {
    weave::mutex gate{"gate"};
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    TakeInOrder({{&a, &b}, {&b, &a}}, &gate, lines);
  });
}

// --- 13, 15. semaphore and promise/future handoff --------------------------------------------

// The writer writes a payload, then calls `publish`; the reader calls `wait`, then reads the
// payload, unless (the bug) it reads the payload first.
void Handoff(bool read_before_waiting, const std::function<void()>& publish,
             const std::function<void()>& wait, std::vector<int>& lines) {
  weave::shared<int> payload{0, "payload"};
  WriterAndReader(
      [&] {
        lines[0] = __LINE__ + 1;
        payload = 1;
        publish();
      },
      [&] {
        if (read_before_waiting) {
          lines[1] = __LINE__ + 1;
          static_cast<void>(payload.load());
        }
        wait();
        if (!read_before_waiting) {
          EXPECT_EQ(payload.load(), 1);
        }
      });
}

TEST(DetectorSuite, ReadingBeforeAcquiringTheSemaphoreIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::binary_semaphore published{0, "published"};
    Handoff(
        /*read_before_waiting=*/true, [&] { published.release(); }, [&] { published.acquire(); },
        lines);
  });
}

TEST(DetectorSuite, SemaphoreHandoffIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] {
    weave::binary_semaphore published{0, "published"};
    Handoff(
        /*read_before_waiting=*/false, [&] { published.release(); }, [&] { published.acquire(); },
        lines);
  });
}

TEST(DetectorSuite, ReadingBeforeTheFutureIsReadyIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::promise<void> published{"published"};
    weave::future<void> ready = published.get_future();
    Handoff(
        /*read_before_waiting=*/true, [&] { published.set_value(); }, [&] { ready.get(); }, lines);
  });
}

TEST(DetectorSuite, PromiseFutureHandoffIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] {
    weave::promise<void> published{"published"};
    weave::future<void> ready = published.get_future();
    Handoff(
        /*read_before_waiting=*/false, [&] { published.set_value(); }, [&] { ready.get(); }, lines);
  });
}

// --- 14. latch -------------------------------------------------------------------------------

// Two workers fill a slot each and count the latch down; the body reads the slots after waiting
// on the latch, or (the bug) without waiting.
void FillSlots(bool wait_on_the_latch, std::vector<int>& lines) {
  weave::latch done{2, "done"};
  std::array<weave::shared<int>, 2> slots{{{0, "slot-0"}, {0, "slot-1"}}};
  auto work = [&](int i) {
    lines[0] = __LINE__ + 1;
    slots[i] = i + 1;
    done.count_down();
  };
  auto w0 = weave::spawn("worker-0", [&] { work(0); });
  auto w1 = weave::spawn("worker-1", [&] { work(1); });
  if (wait_on_the_latch) done.wait();
  int sum = 0;
  for (const weave::shared<int>& slot : slots) {
    lines[1] = __LINE__ + 1;
    sum += slot.load();
  }
  if (wait_on_the_latch) {
    EXPECT_EQ(sum, 3);
  }
  w0.join();
  w1.join();
}

TEST(DetectorSuite, ReadingTheSlotsWithoutWaitingOnTheLatchIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { FillSlots(/*wait_on_the_latch=*/false, lines); });
}

TEST(DetectorSuite, ReadingTheSlotsAfterWaitingOnTheLatchIsSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { FillSlots(/*wait_on_the_latch=*/true, lines); });
}

// --- 16. annotated plain memory on OS threads ------------------------------------------------

// Two threads increment a plain int, announced to weave, under a mutex or (the bug) not.
void AnnotatedIncrementsOnTwoThreads(bool under_mutex, std::vector<int>& lines) {
  weave::mutex m{"m"};
  int x = 0;
  auto increment = [&] {
    std::unique_lock lock(m, std::defer_lock);
    if (under_mutex) lock.lock();
    lines[0] = lines[1] = __LINE__ + 1;
    weave::write(&x, "x");
    ++x;
  };
  weave::thread a = weave::thread::named("incrementer-1", increment);
  weave::thread b = weave::thread::named("incrementer-2", increment);
  a.join();
  b.join();
  if (under_mutex) {
    weave::read(&x, "x");
    EXPECT_EQ(x, 2);
  }
}

TEST(DetectorSuite, AnnotatedIncrementsOnTwoThreadsAreARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { AnnotatedIncrementsOnTwoThreads(/*under_mutex=*/false, lines); });
}

TEST(DetectorSuite, AnnotatedIncrementsOnTwoThreadsUnderAMutexAreSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { AnnotatedIncrementsOnTwoThreads(/*under_mutex=*/true, lines); });
}

// --- 17. coroutine tasks ---------------------------------------------------------------------

// Two coroutine tasks increment a counter, under a mutex or (the bug) not.
void TwoCoroutineTasksIncrement(bool under_mutex, std::vector<int>& lines) {
  weave::mutex m{"m"};
  weave::shared<int> counter{0, "counter"};
  auto increment = [&]() -> weave::task<> {
    std::unique_lock<weave::mutex> lock;
    if (under_mutex) lock = co_await m.co_lock();
    lines[0] = lines[1] = __LINE__ + 1;
    counter = counter + 1;
  };
  auto a = weave::co_spawn("incrementer-1", increment());
  auto b = weave::co_spawn("incrementer-2", increment());
  a.join();
  b.join();
  if (under_mutex) {
    EXPECT_EQ(counter.load(), 2);
  }
}

TEST(DetectorSuite, TwoCoroutineTasksIncrementingAreARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines,
              [&] { TwoCoroutineTasksIncrement(/*under_mutex=*/false, lines); });
}

TEST(DetectorSuite, TwoCoroutineTasksIncrementingUnderAMutexAreSilent) {
  std::vector<int> lines(2);
  ExpectSilent([&] { TwoCoroutineTasksIncrement(/*under_mutex=*/true, lines); });
}

// --- 18. sleeping is not synchronization -----------------------------------------------------

TEST(DetectorSuite, SleepingBeforeReadingIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> data{0, "data"};
    WriterAndReader(
        [&] {
          lines[0] = __LINE__ + 1;
          data = 1;
        },
        [&] {
          weave::this_task::sleep_for(1s);  // the writer is surely done by now: not to the detector
          lines[1] = __LINE__ + 1;
          static_cast<void>(data.load());
        });
  });
}

TEST(DetectorSuite, WaitingOnAnEventBeforeReadingIsSilent) {
  ExpectSilent([] {
    weave::event written{"written"};
    weave::shared<int> data{0, "data"};
    WriterAndReader(
        [&] {
          data = 1;
          written.set();
        },
        [&] {
          written.wait();
          EXPECT_EQ(data.load(), 1);
        });
  });
}

// --- detector options ------------------------------------------------------------------------

TEST(DetectorSuite, SurveyModeReportsEachDistinctRaceOnceAndExploresEverySchedule) {
  std::vector<int> lines(4);
  weave::Options o = Runs(kBuggyRuns);
  o.survey = true;
  const weave::Result r = weave::explore(o, [&] {
    weave::shared<int> x{0, "x"};
    weave::shared<int> y{0, "y"};
    WriterAndReader(
        [&] {
          lines[0] = __LINE__ + 1;
          x = 1;
          lines[1] = __LINE__ + 1;
          y = 1;
        },
        [&] {
          lines[2] = __LINE__ + 1;
          static_cast<void>(x.load());
          lines[3] = __LINE__ + 1;
          static_cast<void>(y.load());
        });
  });
  ASSERT_FALSE(r.ok()) << r;
  EXPECT_EQ(r.failure().kind, FailureKind::kDataRace) << r;
  EXPECT_EQ(r.schedules, kBuggyRuns) << "a surveyed race must not stop the exploration\n" << r;
  ASSERT_EQ(r.survey.size(), 2U) << r;
  bool found_x = false;
  bool found_y = false;
  for (const weave::SurveyedRace& race : r.survey) {
    EXPECT_EQ(race.failure.kind, FailureKind::kDataRace);
    EXPECT_GE(race.runs, 1);
    EXPECT_FALSE(race.schedule_path.empty());
    const std::string& text = race.failure.message;
    if (Mentions(text, lines[0]) == 1 && Mentions(text, lines[2]) == 1) found_x = true;
    if (Mentions(text, lines[1]) == 1 && Mentions(text, lines[3]) == 1) found_y = true;
  }
  EXPECT_TRUE(found_x) << "the race on x is missing\n" << r;
  EXPECT_TRUE(found_y) << "the race on y is missing\n" << r;
}

TEST(DetectorSuite, ASuppressionByVariableNameSilencesItsRace) {
  auto body = [] {
    weave::shared<int> data{0, "data"};
    auto writer = weave::spawn("writer", [&] { data = 1; });
    static_cast<void>(data.load());
    writer.join();
  };
  weave::Options o = Runs(kBuggyRuns);
  const weave::Result reported = weave::explore(o, body);
  ASSERT_FALSE(reported.ok()) << "the program must race for the suppression to mean anything";
  o.suppressions = {"data"};
  const weave::Result r = weave::explore(o, body);
  EXPECT_TRUE(r.ok()) << r;
}

// A named function for the suppression below to name; never inlined, so that it is on the stack
// of the access in every build.
[[gnu::noinline]] void RacyIncrement(weave::shared<int>& counter) { counter = counter + 1; }

TEST(DetectorSuite, ASuppressionByFunctionNameSilencesItsRace) {
  auto body = [] {
    weave::shared<int> counter{0, "counter"};
    RunTwice("incrementer", [&] { RacyIncrement(counter); });
  };
  weave::Options o = Runs(kBuggyRuns);
  const weave::Result reported = weave::explore(o, body);
  ASSERT_FALSE(reported.ok()) << "the program must race for the suppression to mean anything";
  EXPECT_NE(reported.failure().details.find("RacyIncrement"), std::string::npos) << reported;
  o.suppressions = {"RacyIncrement"};
  const weave::Result r = weave::explore(o, body);
  EXPECT_TRUE(r.ok()) << r;
}

TEST(DetectorSuite, TurningRaceDetectionOffSilencesARace) {
  weave::Options o = Runs(kBuggyRuns);
  o.detect_races = false;
  const weave::Result r = weave::explore(o, [] {
    weave::shared<int> counter{0, "counter"};
    RunTwice("incrementer", [&] { counter = counter + 1; });
  });
  EXPECT_TRUE(r.ok()) << r;
}

TEST(DetectorSuite, TurningLockOrderDetectionOffLeavesOnlyRealDeadlocks) {
  weave::Options o = Runs(kBuggyRuns);
  o.detect_lock_order = false;
  std::vector<int> lines(2);
  const weave::Result r = weave::explore(o, [&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    TakeInOrder({{&a, &b}, {&b, &a}}, /*gate=*/nullptr, lines);
  });
  // Some schedules really deadlock (each task holding its first lock); those may still fail.
  if (!r.ok()) {
    EXPECT_NE(r.failure().kind, FailureKind::kPotentialDeadlock) << r;
    EXPECT_EQ(r.failure().kind, FailureKind::kDeadlock) << r;
  }
}

TEST(DetectorSuite, TheSameSeedReportsTheSameRaceByteForByte) {
  auto body = [] {
    weave::shared<int> data{0, "data"};
    WriterAndReader([&] { data = 1; }, [&] { static_cast<void>(data.load()); });
  };
  weave::Options o = Runs(kBuggyRuns);
  o.seed = 12345;
  const weave::Result first = weave::explore(o, body);
  const weave::Result second = weave::explore(o, body);
  ASSERT_FALSE(first.ok());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(first.failing_iteration, second.failing_iteration);
  EXPECT_EQ(first.failure().message, second.failure().message);
  EXPECT_EQ(first.failure().details, second.failure().details);
}

}  // namespace
