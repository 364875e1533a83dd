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
// helper: a report names the line that called the shared<T> accessor, which would be the helper's.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "weave/coro.hpp"
#include "weave/thread.hpp"
#include "weave/weave.hpp"

namespace {

using namespace std::chrono_literals;
using weave::FailureKind;

// Every buggy program must be found within this many schedules...
constexpr std::int64_t kBuggyRuns = 1000;
// ...and every correct one must stay silent over this many.
constexpr std::int64_t kCorrectRuns = 10000;

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

// --- 1. lost update --------------------------------------------------------------------------

TEST(DetectorSuite, LostUpdateIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> counter{0, "counter"};
    auto increment = [&] {
      lines[0] = lines[1] = __LINE__ + 1;
      counter = counter + 1;
    };
    auto a = weave::spawn("incrementer-1", increment);
    auto b = weave::spawn("incrementer-2", increment);
    a.join();
    b.join();
  });
}

TEST(DetectorSuite, LostUpdateUnderAMutexIsSilent) {
  ExpectSilent([] {
    weave::mutex m{"m"};
    weave::shared<int> counter{0, "counter"};
    auto increment = [&] {
      std::scoped_lock lock(m);
      counter = counter + 1;
    };
    auto a = weave::spawn("incrementer-1", increment);
    auto b = weave::spawn("incrementer-2", increment);
    a.join();
    b.join();
    EXPECT_EQ(counter.load(), 2);
  });
}

// --- 2. check-then-act -----------------------------------------------------------------------
// Whichever task checks second, its check of the flag is unordered with the other's setting of
// it: that pair is always the first race.

TEST(DetectorSuite, CheckThenActIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<bool> initialized{false, "initialized"};
    weave::shared<int> value{0, "value"};
    auto init = [&] {
      lines[0] = __LINE__ + 1;
      if (!initialized) {
        lines[1] = __LINE__ + 1;
        initialized = true;
        value = 42;
      }
    };
    auto a = weave::spawn("initializer-1", init);
    auto b = weave::spawn("initializer-2", init);
    a.join();
    b.join();
  });
}

TEST(DetectorSuite, CheckThenActUnderAMutexIsSilent) {
  ExpectSilent([] {
    weave::mutex m{"m"};
    weave::shared<bool> initialized{false, "initialized"};
    weave::shared<int> value{0, "value"};
    auto init = [&] {
      std::scoped_lock lock(m);
      if (!initialized) {
        initialized = true;
        value = 42;
      }
    };
    auto a = weave::spawn("initializer-1", init);
    auto b = weave::spawn("initializer-2", init);
    a.join();
    b.join();
    EXPECT_EQ(value.load(), 42);
  });
}

// --- 3. double-checked locking ---------------------------------------------------------------
// The unlocked first check of a plain flag races with the locked write of it.

TEST(DetectorSuite, DoubleCheckedLockingWithAPlainFlagIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::mutex m{"m"};
    weave::shared<bool> ready{false, "ready"};
    weave::shared<int> payload{0, "payload"};
    auto get = [&] {
      lines[0] = __LINE__ + 1;
      if (!ready) {
        std::scoped_lock lock(m);
        if (!ready) {
          payload = 42;
          lines[1] = __LINE__ + 1;
          ready = true;
        }
      }
      static_cast<void>(payload.load());
    };
    auto a = weave::spawn("getter-1", get);
    auto b = weave::spawn("getter-2", get);
    a.join();
    b.join();
  });
}

TEST(DetectorSuite, DoubleCheckedLockingWithAnAtomicFlagIsSilent) {
  ExpectSilent([] {
    weave::mutex m{"m"};
    weave::atomic<bool> ready{false, "ready"};
    weave::shared<int> payload{0, "payload"};
    auto get = [&] {
      if (!ready.load(std::memory_order_seq_cst)) {
        std::scoped_lock lock(m);
        if (!ready.load(std::memory_order_seq_cst)) {
          payload = 42;
          ready.store(true, std::memory_order_seq_cst);
        }
      }
      EXPECT_EQ(payload.load(), 42);
    };
    auto a = weave::spawn("getter-1", get);
    auto b = weave::spawn("getter-2", get);
    a.join();
    b.join();
  });
}

// --- 4. publication without synchronization --------------------------------------------------
// The reader's spin on a plain flag races with the writer's setting of it (before the payload
// is even read).

TEST(DetectorSuite, PublishingThroughAPlainFlagIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> payload{0, "payload"};
    weave::shared<bool> flag{false, "flag"};
    auto writer = weave::spawn("writer", [&] {
      payload = 42;
      lines[0] = __LINE__ + 1;
      flag = true;
    });
    auto reader = weave::spawn("reader", [&] {
      lines[1] = __LINE__ + 1;
      while (!flag) weave::this_task::yield();
      static_cast<void>(payload.load());
    });
    writer.join();
    reader.join();
  });
}

TEST(DetectorSuite, PublishingThroughAnAtomicFlagIsSilent) {
  ExpectSilent([] {
    weave::shared<int> payload{0, "payload"};
    weave::atomic<bool> flag{false, "flag"};
    auto writer = weave::spawn("writer", [&] {
      payload = 42;
      flag.store(true);
    });
    auto reader = weave::spawn("reader", [&] {
      while (!flag.load()) weave::this_task::yield();
      EXPECT_EQ(payload.load(), 42);
    });
    writer.join();
    reader.join();
  });
}

// --- 5. message passing over an atomic flag --------------------------------------------------

TEST(DetectorSuite, ReadingThePayloadWithoutWaitingForTheAtomicFlagIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> payload{0, "payload"};
    weave::atomic<bool> flag{false, "flag"};
    auto writer = weave::spawn("writer", [&] {
      lines[0] = __LINE__ + 1;
      payload = 42;
      flag.store(true);
    });
    auto reader = weave::spawn("reader", [&] {
      lines[1] = __LINE__ + 1;
      static_cast<void>(payload.load());
      static_cast<void>(flag.load());  // too late to order anything
    });
    writer.join();
    reader.join();
  });
}

TEST(DetectorSuite, MessagePassingOverAnAtomicFlagIsSilent) {
  ExpectSilent([] {
    weave::shared<int> payload{0, "payload"};
    weave::atomic<bool> flag{false, "flag"};
    auto writer = weave::spawn("writer", [&] {
      payload = 42;
      flag.store(true);
    });
    auto reader = weave::spawn("reader", [&] {
      if (flag.load()) {
        EXPECT_EQ(payload.load(), 42);
      }
    });
    writer.join();
    reader.join();
  });
}

// --- 6. reader/writer lock -------------------------------------------------------------------

TEST(DetectorSuite, WritingUnderASharedLockIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared_mutex rw{"rw"};
    weave::shared<int> data{0, "data"};
    auto write = [&] {
      std::shared_lock lock(rw);  // the bug: shared, so both writers hold it at once
      lines[0] = lines[1] = __LINE__ + 1;
      data = data + 1;
    };
    auto a = weave::spawn("writer-1", write);
    auto b = weave::spawn("writer-2", write);
    a.join();
    b.join();
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

TEST(DetectorSuite, WritingThePayloadAfterSendingItIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::channel<int> ch{1, "handoff"};
    weave::shared<int> payload{0, "payload"};
    auto writer = weave::spawn("writer", [&] {
      payload = 1;
      ch.send(0);
      lines[0] = __LINE__ + 1;
      payload = 2;  // the bug: the receiver may be reading it
    });
    auto reader = weave::spawn("reader", [&] {
      ch.receive();
      lines[1] = __LINE__ + 1;
      static_cast<void>(payload.load());
    });
    writer.join();
    reader.join();
  });
}

TEST(DetectorSuite, ChannelHandoffIsSilent) {
  ExpectSilent([] {
    weave::channel<int> ch{1, "handoff"};
    weave::shared<int> payload{0, "payload"};
    auto writer = weave::spawn("writer", [&] {
      payload = 1;
      ch.send(0);
    });
    auto reader = weave::spawn("reader", [&] {
      ch.receive();
      EXPECT_EQ(payload.load(), 1);
    });
    writer.join();
    reader.join();
  });
}

// --- 8. condition variable handoff -----------------------------------------------------------

TEST(DetectorSuite, WritingThePayloadOutsideTheLockAfterNotifyingIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    weave::shared<int> payload{0, "payload"};
    weave::shared<bool> ready{false, "ready"};
    auto writer = weave::spawn("writer", [&] {
      {
        std::scoped_lock lock(m);
        payload = 1;
        ready = true;
      }
      cv.notify_one();
      lines[0] = __LINE__ + 1;
      payload = 2;  // the bug: outside the lock
    });
    auto reader = weave::spawn("reader", [&] {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return ready.load(); });
      lines[1] = __LINE__ + 1;
      static_cast<void>(payload.load());
    });
    writer.join();
    reader.join();
  });
}

TEST(DetectorSuite, ConditionVariableHandoffIsSilent) {
  ExpectSilent([] {
    weave::mutex m{"m"};
    weave::condition_variable cv{"cv"};
    weave::shared<int> payload{0, "payload"};
    weave::shared<bool> ready{false, "ready"};
    auto writer = weave::spawn("writer", [&] {
      {
        std::scoped_lock lock(m);
        payload = 1;
        ready = true;
      }
      cv.notify_one();
    });
    auto reader = weave::spawn("reader", [&] {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return ready.load(); });
      EXPECT_EQ(payload.load(), 1);
    });
    writer.join();
    reader.join();
  });
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

// --- 10. lock-order inversion, two locks -----------------------------------------------------
// The report names, for each edge of the cycle, where the second lock was asked for.

TEST(DetectorSuite, TwoLocksTakenInOppositeOrdersAreAPotentialDeadlock) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kPotentialDeadlock, lines, [&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    auto t1 = weave::spawn("a-then-b", [&] {
      std::scoped_lock la(a);
      lines[0] = __LINE__ + 1;
      std::scoped_lock lb(b);
    });
    auto t2 = weave::spawn("b-then-a", [&] {
      std::scoped_lock lb(b);
      lines[1] = __LINE__ + 1;
      std::scoped_lock la(a);
    });
    t1.join();
    t2.join();
  });
}

TEST(DetectorSuite, TwoLocksTakenInOneOrderAreSilent) {
  ExpectSilent([] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    auto a_then_b = [&] {
      std::scoped_lock la(a);
      std::scoped_lock lb(b);
    };
    auto t1 = weave::spawn("a-then-b-1", a_then_b);
    auto t2 = weave::spawn("a-then-b-2", a_then_b);
    t1.join();
    t2.join();
  });
}

// --- 11. lock-order inversion, three locks ---------------------------------------------------

TEST(DetectorSuite, ThreeLocksTakenInACycleAreAPotentialDeadlock) {
  std::vector<int> lines(3);
  ExpectFound(FailureKind::kPotentialDeadlock, lines, [&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    weave::mutex c{"c"};
    auto t1 = weave::spawn("a-then-b", [&] {
      std::scoped_lock first(a);
      lines[0] = __LINE__ + 1;
      std::scoped_lock second(b);
    });
    auto t2 = weave::spawn("b-then-c", [&] {
      std::scoped_lock first(b);
      lines[1] = __LINE__ + 1;
      std::scoped_lock second(c);
    });
    auto t3 = weave::spawn("c-then-a", [&] {
      std::scoped_lock first(c);
      lines[2] = __LINE__ + 1;
      std::scoped_lock second(a);
    });
    t1.join();
    t2.join();
    t3.join();
  });
}

TEST(DetectorSuite, ThreeLocksTakenInOneGlobalOrderAreSilent) {
  ExpectSilent([] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    weave::mutex c{"c"};
    auto t1 = weave::spawn("a-then-b", [&] {
      std::scoped_lock first(a);
      std::scoped_lock second(b);
    });
    auto t2 = weave::spawn("b-then-c", [&] {
      std::scoped_lock first(b);
      std::scoped_lock second(c);
    });
    auto t3 = weave::spawn("a-then-c", [&] {
      std::scoped_lock first(a);
      std::scoped_lock second(c);
    });
    t1.join();
    t2.join();
    t3.join();
  });
}

// --- 12. a gate lock -------------------------------------------------------------------------
// Opposite orders under a common gate lock cannot deadlock: only one task is ever inside.

TEST(DetectorSuite, OppositeOrdersWithoutAGateLockAreAPotentialDeadlock) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kPotentialDeadlock, lines, [&] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    auto t1 = weave::spawn("a-then-b", [&] {
      std::scoped_lock la(a);
      lines[0] = __LINE__ + 1;
      std::scoped_lock lb(b);
    });
    auto t2 = weave::spawn("b-then-a", [&] {
      std::scoped_lock lb(b);
      lines[1] = __LINE__ + 1;
      std::scoped_lock la(a);
    });
    t1.join();
    t2.join();
  });
}

TEST(DetectorSuite, OppositeOrdersUnderAGateLockAreSilent) {
  ExpectSilent([] {
    weave::mutex gate{"gate"};
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    auto t1 = weave::spawn("a-then-b", [&] {
      std::scoped_lock lg(gate);
      std::scoped_lock la(a);
      std::scoped_lock lb(b);
    });
    auto t2 = weave::spawn("b-then-a", [&] {
      std::scoped_lock lg(gate);
      std::scoped_lock lb(b);
      std::scoped_lock la(a);
    });
    t1.join();
    t2.join();
  });
}

// --- 13. semaphore handoff -------------------------------------------------------------------

TEST(DetectorSuite, ReadingBeforeAcquiringTheSemaphoreIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::binary_semaphore published{0, "published"};
    weave::shared<int> payload{0, "payload"};
    auto writer = weave::spawn("writer", [&] {
      lines[0] = __LINE__ + 1;
      payload = 1;
      published.release();
    });
    auto reader = weave::spawn("reader", [&] {
      lines[1] = __LINE__ + 1;
      static_cast<void>(payload.load());  // the bug: before the acquire
      published.acquire();
    });
    writer.join();
    reader.join();
  });
}

TEST(DetectorSuite, SemaphoreHandoffIsSilent) {
  ExpectSilent([] {
    weave::binary_semaphore published{0, "published"};
    weave::shared<int> payload{0, "payload"};
    auto writer = weave::spawn("writer", [&] {
      payload = 1;
      published.release();
    });
    auto reader = weave::spawn("reader", [&] {
      published.acquire();
      EXPECT_EQ(payload.load(), 1);
    });
    writer.join();
    reader.join();
  });
}

// --- 14. latch -------------------------------------------------------------------------------

TEST(DetectorSuite, ReadingTheSlotsWithoutWaitingOnTheLatchIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::latch done{2, "done"};
    std::array<weave::shared<int>, 2> slots{{{0, "slot-0"}, {0, "slot-1"}}};
    auto work = [&](int i) {
      lines[0] = __LINE__ + 1;
      slots[i] = i + 1;
      done.count_down();
    };
    auto w0 = weave::spawn("worker-0", [&] { work(0); });
    auto w1 = weave::spawn("worker-1", [&] { work(1); });
    for (const weave::shared<int>& slot : slots) {
      lines[1] = __LINE__ + 1;
      static_cast<void>(slot.load());  // the bug: no done.wait() first
    }
    w0.join();
    w1.join();
  });
}

TEST(DetectorSuite, ReadingTheSlotsAfterWaitingOnTheLatchIsSilent) {
  ExpectSilent([] {
    weave::latch done{2, "done"};
    std::array<weave::shared<int>, 2> slots{{{0, "slot-0"}, {0, "slot-1"}}};
    auto work = [&](int i) {
      slots[i] = i + 1;
      done.count_down();
    };
    auto w0 = weave::spawn("worker-0", [&] { work(0); });
    auto w1 = weave::spawn("worker-1", [&] { work(1); });
    done.wait();
    EXPECT_EQ(slots[0].load() + slots[1].load(), 3);
    w0.join();
    w1.join();
  });
}

// --- 15. promise/future handoff --------------------------------------------------------------

TEST(DetectorSuite, ReadingBeforeTheFutureIsReadyIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::promise<void> published{"published"};
    weave::future<void> ready = published.get_future();
    weave::shared<int> payload{0, "payload"};
    auto writer = weave::spawn("writer", [&] {
      lines[0] = __LINE__ + 1;
      payload = 1;
      published.set_value();
    });
    auto reader = weave::spawn("reader", [&] {
      lines[1] = __LINE__ + 1;
      static_cast<void>(payload.load());  // the bug: before ready.get()
      ready.get();
    });
    writer.join();
    reader.join();
  });
}

TEST(DetectorSuite, PromiseFutureHandoffIsSilent) {
  ExpectSilent([] {
    weave::promise<void> published{"published"};
    weave::future<void> ready = published.get_future();
    weave::shared<int> payload{0, "payload"};
    auto writer = weave::spawn("writer", [&] {
      payload = 1;
      published.set_value();
    });
    auto reader = weave::spawn("reader", [&] {
      ready.get();
      EXPECT_EQ(payload.load(), 1);
    });
    writer.join();
    reader.join();
  });
}

// --- 16. annotated plain memory on OS threads ------------------------------------------------

TEST(DetectorSuite, AnnotatedIncrementsOnTwoThreadsAreARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    int x = 0;
    auto increment = [&] {
      lines[0] = lines[1] = __LINE__ + 1;
      weave::write(&x, "x");
      ++x;
    };
    weave::thread a = weave::thread::named("incrementer-1", increment);
    weave::thread b = weave::thread::named("incrementer-2", increment);
    a.join();
    b.join();
  });
}

TEST(DetectorSuite, AnnotatedIncrementsOnTwoThreadsUnderAMutexAreSilent) {
  ExpectSilent([] {
    weave::mutex m{"m"};
    int x = 0;
    auto increment = [&] {
      std::scoped_lock lock(m);
      weave::write(&x, "x");
      ++x;
    };
    weave::thread a = weave::thread::named("incrementer-1", increment);
    weave::thread b = weave::thread::named("incrementer-2", increment);
    a.join();
    b.join();
    weave::read(&x, "x");
    EXPECT_EQ(x, 2);
  });
}

// --- 17. coroutine tasks ---------------------------------------------------------------------

TEST(DetectorSuite, TwoCoroutineTasksIncrementingAreARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> counter{0, "counter"};
    auto increment = [&]() -> weave::task<> {
      lines[0] = lines[1] = __LINE__ + 1;
      counter = counter + 1;
      co_return;
    };
    auto a = weave::co_spawn("incrementer-1", increment());
    auto b = weave::co_spawn("incrementer-2", increment());
    a.join();
    b.join();
  });
}

TEST(DetectorSuite, TwoCoroutineTasksIncrementingUnderAMutexAreSilent) {
  ExpectSilent([] {
    weave::mutex m{"m"};
    weave::shared<int> counter{0, "counter"};
    auto increment = [&]() -> weave::task<> {
      auto lock = co_await m.co_lock();
      counter = counter + 1;
    };
    auto a = weave::co_spawn("incrementer-1", increment());
    auto b = weave::co_spawn("incrementer-2", increment());
    a.join();
    b.join();
    EXPECT_EQ(counter.load(), 2);
  });
}

// --- 18. sleeping is not synchronization -----------------------------------------------------

TEST(DetectorSuite, SleepingBeforeReadingIsARace) {
  std::vector<int> lines(2);
  ExpectFound(FailureKind::kDataRace, lines, [&] {
    weave::shared<int> data{0, "data"};
    auto writer = weave::spawn("writer", [&] {
      lines[0] = __LINE__ + 1;
      data = 1;
    });
    auto reader = weave::spawn("reader", [&] {
      weave::this_task::sleep_for(1s);  // the writer is surely done by now: not to the detector
      lines[1] = __LINE__ + 1;
      static_cast<void>(data.load());
    });
    writer.join();
    reader.join();
  });
}

TEST(DetectorSuite, WaitingOnAnEventBeforeReadingIsSilent) {
  ExpectSilent([] {
    weave::event written{"written"};
    weave::shared<int> data{0, "data"};
    auto writer = weave::spawn("writer", [&] {
      data = 1;
      written.set();
    });
    auto reader = weave::spawn("reader", [&] {
      written.wait();
      EXPECT_EQ(data.load(), 1);
    });
    writer.join();
    reader.join();
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
    auto writer = weave::spawn("writer", [&] {
      lines[0] = __LINE__ + 1;
      x = 1;
      lines[1] = __LINE__ + 1;
      y = 1;
    });
    auto reader = weave::spawn("reader", [&] {
      lines[2] = __LINE__ + 1;
      static_cast<void>(x.load());
      lines[3] = __LINE__ + 1;
      static_cast<void>(y.load());
    });
    writer.join();
    reader.join();
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
    auto a = weave::spawn("incrementer-1", [&] { RacyIncrement(counter); });
    auto b = weave::spawn("incrementer-2", [&] { RacyIncrement(counter); });
    a.join();
    b.join();
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
    auto increment = [&] { counter = counter + 1; };
    auto a = weave::spawn("incrementer-1", increment);
    auto b = weave::spawn("incrementer-2", increment);
    a.join();
    b.join();
  });
  EXPECT_TRUE(r.ok()) << r;
}

TEST(DetectorSuite, TurningLockOrderDetectionOffLeavesOnlyRealDeadlocks) {
  weave::Options o = Runs(kBuggyRuns);
  o.detect_lock_order = false;
  const weave::Result r = weave::explore(o, [] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    auto t1 = weave::spawn("a-then-b", [&] {
      std::scoped_lock la(a);
      std::scoped_lock lb(b);
    });
    auto t2 = weave::spawn("b-then-a", [&] {
      std::scoped_lock lb(b);
      std::scoped_lock la(a);
    });
    t1.join();
    t2.join();
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
    auto writer = weave::spawn("writer", [&] { data = 1; });
    auto reader = weave::spawn("reader", [&] { static_cast<void>(data.load()); });
    writer.join();
    reader.join();
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
