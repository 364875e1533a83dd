// weave::thread: real OS threads gated by the run's baton. Gating (never two at once), thread_local
// variables, std::thread's API, mixing with fibers and coroutine tasks on one primitive, detach
// and leaks, misuse, the watchdog on a thread that blocks for real, and replay.
#include "weave/thread.hpp"

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

using weave_test::kThreadSanitizer;

// OS threads of this process right now.
int OsThreadCount() {
  int n = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++n;
    }
    closedir(dir);
  }
  return n;
}

TEST(Thread, RunsItsFunctionWithDecayedCopiesOfTheArguments) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    int result = 0;
    auto owned = std::make_unique<int>(7);  // move-only arguments work, as with std::thread
    weave::thread t([&result](std::unique_ptr<int> p, int k) { result = *p * k; }, std::move(owned),
                    6);
    EXPECT_TRUE(t.joinable());
    t.join();
    EXPECT_FALSE(t.joinable());
    EXPECT_EQ(result, 42);
  });
}

TEST(Thread, RunsOnAnOsThreadOfItsOwn) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    const std::thread::id body = std::this_thread::get_id();
    std::thread::id inside;
    weave::thread t([&] { inside = std::this_thread::get_id(); });
    t.join();
    EXPECT_NE(inside, body);
  });
}

// The heart of the gating: eight real threads bump a plain int with no synchronization. A real
// std::atomic counts how many are inside the unsynchronized section at once; the baton must keep
// that at one, and no increment may be lost.
TEST(Thread, NeverRunsTwoThreadsAtOnce) {
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  EXPECT_WEAVE_OK(Runs(40), [&] {
    int counter = 0;  // deliberately not atomic
    std::vector<weave::thread> threads;
    threads.reserve(8);
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        for (int k = 0; k < 50; ++k) {
          const int now = inside.fetch_add(1) + 1;
          int seen = most_inside.load();
          while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
          }
          // Give a broken gate every chance to show: a read-modify-write spread over time.
          const int read = counter;
          std::this_thread::yield();  // the OS may run another thread here
          counter = read + 1;
          inside.fetch_sub(1);
          weave::this_thread::yield();  // a scheduling point, outside the counted section
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(counter, 8 * 50);
  });
  EXPECT_EQ(most_inside.load(), 1);
}

// The same with every kind of task at once: threads, fibers and coroutine tasks all pass the
// one baton, so the body's own OS thread never runs alongside a weave::thread either.
struct InFlight {
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  int counter = 0;
  void Bump() {
    const int now = inside.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    const int read = counter;
    std::this_thread::yield();  // the OS may run another thread here
    counter = read + 1;
    inside.fetch_sub(1);
  }
};

weave::task<void> BumpFromACoroutine(InFlight& f) {
  for (int k = 0; k < 20; ++k) {
    f.Bump();
    co_await weave::yield();
  }
}

TEST(Thread, NeverRunsTwoTasksAtOnceAcrossKinds) {
  InFlight f;
  EXPECT_WEAVE_OK(Runs(30), [&] {
    f.counter = 0;
    auto loop = [&] {
      for (int k = 0; k < 20; ++k) {
        f.Bump();
        weave::this_task::yield();
      }
    };
    std::vector<weave::thread> threads;
    threads.reserve(3);
    for (int i = 0; i < 3; ++i) threads.emplace_back(loop);
    auto fiber_a = weave::spawn("fiber-a", loop);
    auto fiber_b = weave::spawn("fiber-b", loop);
    auto co_a = weave::co_spawn("co-a", BumpFromACoroutine(f));
    auto co_b = weave::co_spawn("co-b", BumpFromACoroutine(f));
    loop();  // the body too
    for (auto& t : threads) t.join();
    fiber_a.join();
    fiber_b.join();
    co_a.join();
    co_b.join();
    EXPECT_EQ(f.counter, 8 * 20);
  });
  EXPECT_EQ(f.most.load(), 1);
}

// A thread starts tasks of the other kinds; they run on the body's thread and it joins them.
TEST(Thread, AThreadSpawnsFibersAndCoroutineTasks) {
  EXPECT_WEAVE_OK(Runs(100), [] {
    std::thread::id body_os_thread = std::this_thread::get_id();
    std::thread::id fiber_os_thread;
    int sum = 0;
    weave::thread t([&] {
      auto fiber = weave::spawn("fiber", [&] {
        fiber_os_thread = std::this_thread::get_id();
        sum += 1;
      });
      auto co = weave::co_spawn("co", []() -> weave::task<int> {
        co_await weave::yield();
        co_return 10;
      }());
      sum += co.join();
      fiber.join();
    });
    t.join();
    EXPECT_EQ(sum, 11);
    EXPECT_EQ(fiber_os_thread, body_os_thread);
  });
}

TEST(Thread, ThreadLocalVariablesArePerThreadAndStartFresh) {
  static thread_local int calls = 0;
  EXPECT_WEAVE_OK(Runs(30), [] {
    std::vector<int> seen(3, -1);
    std::vector<weave::thread> threads;
    threads.reserve(3);
    for (int i = 0; i < 3; ++i) {
      threads.emplace_back([&seen, i] {
        for (int k = 0; k <= i; ++k) {
          ++calls;
          weave::this_thread::yield();
        }
        seen[static_cast<std::size_t>(i)] = calls;
      });
    }
    for (auto& t : threads) t.join();
    // Each thread counted only its own calls, from zero: fresh OS threads every run.
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
  });
}

// A thread_local's destructor runs while the thread still holds the baton, before join()
// returns, and may use weave's primitives there.
struct SendsOnExit {
  weave::channel<int>* out = nullptr;
  ~SendsOnExit() {
    if (out != nullptr) out->send(99);
  }
};

TEST(Thread, ThreadLocalDestructorsRunBeforeJoinReturnsAndMayUseWeave) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    weave::channel<int> ch(1, "exit");
    weave::thread t([&] {
      static thread_local SendsOnExit on_exit;
      on_exit.out = &ch;
    });
    t.join();
    auto v = ch.try_receive();
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, 99);
  });
}

TEST(Thread, IdsCompareHashAndPrint) {
  EXPECT_WEAVE_OK(Runs(10), [] {
    weave::thread::id inside;
    weave::thread t([&] { inside = weave::this_thread::get_id(); });
    const weave::thread::id id = t.get_id();
    t.join();
    EXPECT_EQ(inside, id);
    EXPECT_EQ(id.task(), 1);
    EXPECT_EQ(weave::this_thread::get_id(), weave::thread::id(0));
    EXPECT_EQ(t.get_id(), weave::thread::id());
    std::unordered_set<weave::thread::id> ids{id, weave::this_thread::get_id()};
    EXPECT_EQ(ids.size(), 2U);
    std::ostringstream out;
    out << id << " " << weave::thread::id();
    EXPECT_EQ(out.str(), "1 thread::id of a non-executing thread");
  });
  EXPECT_EQ(weave::this_thread::get_id(), weave::thread::id());
}

TEST(Thread, SwapMoveAndHardwareConcurrency) {
  EXPECT_EQ(weave::thread::hardware_concurrency(), weave::thread::kSimulatedHardwareConcurrency);
  EXPECT_WEAVE_OK(Runs(10), [] {
    int a = 0;
    int b = 0;
    weave::thread x([&] { a = 1; });
    weave::thread y([&] { b = 2; });
    const auto x_id = x.get_id();
    x.swap(y);
    EXPECT_EQ(y.get_id(), x_id);
    weave::thread z = std::move(x);
    EXPECT_FALSE(x.joinable());  // NOLINT(bugprone-use-after-move): moved-from is empty
    swap(z, y);
    EXPECT_EQ(z.get_id(), x_id);
    z.join();
    y.join();
    EXPECT_EQ(a + b, 3);
  });
}

TEST(Thread, SleepsInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::thread t([] { weave::this_thread::sleep_for(3h); });
    weave::this_thread::sleep_until(weave::clock::time_point(1h));
    EXPECT_EQ(Now(), Ns(1h));
    t.join();
    EXPECT_EQ(Now(), Ns(3h));
  });
}

// One mutex and one channel shared by a thread, a fiber and a coroutine task.
weave::task<void> CoroutineSide(weave::mutex& m, int& total, weave::channel<int>& ch) {
  {
    auto lock = co_await m.co_lock();
    total += 100;
  }
  co_await ch.co_send(3);
}

TEST(Thread, SharesPrimitivesWithFibersAndCoroutines) {
  std::set<std::vector<int>> orders;
  EXPECT_WEAVE_OK(Runs(300), [&] {
    weave::mutex m("m");
    weave::channel<int> ch(0, "ch");  // rendezvous
    int total = 0;
    std::vector<int> order;
    weave::thread t([&] {
      {
        std::scoped_lock lock(m);
        total += 1;
        order.push_back(1);
      }
      ch.send(1);
    });
    auto f = weave::spawn("fiber", [&] {
      {
        std::scoped_lock lock(m);
        total += 10;
        order.push_back(2);
      }
      ch.send(2);
    });
    auto c = weave::co_spawn("coroutine", CoroutineSide(m, total, ch));
    int received = 0;
    for (int i = 0; i < 3; ++i) received += ch.receive().value_or(0);
    t.join();
    f.join();
    c.join();
    EXPECT_EQ(total, 111);
    EXPECT_EQ(received, 6);
    orders.insert(order);
  });
  EXPECT_EQ(orders.size(), 2U) << "the thread and the fiber took the mutex in both orders";
}

TEST(Thread, ManyThreadsBlockAndWakeEachOther) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::condition_variable cv;
    weave::mutex m;
    int turn = 0;
    std::vector<weave::thread> threads;
    threads.reserve(6);
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&, i] {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return turn == i; });
        ++turn;
        cv.notify_all();
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(turn, 6);
  });
}

TEST(Thread, AnExceptionThatEscapesIsReportedWithTheThreadsName) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(5), [] {
    weave::thread t = weave::thread::named("parser", [] { throw std::runtime_error("bad input"); });
    t.join();
  });
  EXPECT_THAT(f.message, HasSubstr("escaped task 1 'parser': bad input"));
}

TEST(Thread, ADetachedThreadMayFinishOnItsOwn) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    weave::latch done(1);
    weave::thread([&] { done.count_down(); }).detach();
    done.wait();
  });
}

TEST(Thread, ADetachedThreadThatOutlivesTheBodyIsALeak) {
  EXPECT_WEAVE_OK(Runs(1), [] { weave::thread([] {}).join(); });  // warm up (watchdog thread)
  const int threads_before = OsThreadCount();
  // A schedule in which the straggler already waits when the body returns fails first with the
  // event destroyed under a waiter (misuse); random's first schedule ends the body before that.
  weave::Options o = Runs(5);
  o.strategy = weave::Strategy::Random();
  const weave::Failure f = FailureOf(FailureKind::kLeakedTask, o, [] {
    weave::event never;
    weave::latch waiting(1);
    weave::thread::named("straggler", [&] {
      waiting.count_down();
      never.wait();  // abandoned here, mid-run, when the body returns
    }).detach();
    waiting.wait();
  });
  EXPECT_THAT(f.details, HasSubstr("'straggler'"));
  // The abandoned OS thread left: nothing accumulates.
  EXPECT_EQ(OsThreadCount(), threads_before);
}

TEST(Thread, DestroyingAJoinableThreadIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(5), [] {
    weave::thread t([] {});
    // no join, no detach: std::thread would call std::terminate
  });
  EXPECT_THAT(f.message, HasSubstr("destroyed while joinable"));
}

TEST(Thread, AssigningOverAJoinableThreadIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(5), [] {
    weave::thread t([] {});
    t = weave::thread([] {});  // std::thread would call std::terminate
    t.join();
  });
  EXPECT_THAT(f.message, HasSubstr("assigned to while joinable"));
}

TEST(Thread, DetachingAThreadThatIsNotJoinableIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(5), [] {
    weave::thread t([] {});
    t.detach();
    t.detach();
  });
  EXPECT_THAT(f.message, HasSubstr("detach() on a weave::thread that is not joinable"));
}

TEST(Thread, AThreadJoiningItselfIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(5), [] {
    weave::thread t;
    weave::latch started(1);
    t = weave::thread::named("selfish", [&] {
      started.wait();
      t.join();
    });
    started.count_down();
    weave::this_thread::sleep_for(1s);  // t joins itself meanwhile
    if (t.joinable()) t.detach();
  });
  EXPECT_THAT(f.message, HasSubstr("joins itself"));
}

// Unwinding past a joinable thread is the exception's failure, not a second report of misuse.
TEST(Thread, AThrowingBodyWithAJoinableThreadReportsTheException) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(5), [] {
    weave::thread t([] {});
    throw std::runtime_error("the body gave up");
  });
  EXPECT_THAT(f.message, HasSubstr("the body gave up"));
}

TEST(Thread, JoiningTwiceIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(5), [] {
    weave::thread t([] {});
    t.join();
    t.join();
  });
  EXPECT_THAT(f.message, HasSubstr("not joinable"));
}

// RAII joins (a thread pool's destructor) are common. When the run stops while the body waits in
// such a join, the joined threads are unwound first and the join completes: no exception is
// thrown out of the destructor, and the failure is reported as it is.
struct JoinsOnDestruction {
  weave::thread worker;
  ~JoinsOnDestruction() { worker.join(); }
};

TEST(Thread, AJoinInADestructorSurvivesTheRunBeingStopped) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(5), [] {
    weave::event never("never");
    JoinsOnDestruction pool{weave::thread::named("worker", [&] { never.wait(); })};
  });
  EXPECT_THAT(f.message, HasSubstr("every task is blocked"));
}

TEST(Thread, StartingOutsideASimulationThrows) {
  EXPECT_THROW(weave::thread([] {}), std::logic_error);
}

TEST(Thread, OsThreadsDoNotAccumulateOverManyRuns) {
  EXPECT_WEAVE_OK(Runs(5), [] { weave::thread([] {}).join(); });  // warm up (watchdog thread)
  const int before = OsThreadCount();
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::thread a([] { weave::this_thread::yield(); });
    weave::thread b([] {});
    a.join();
    b.join();
  });
  EXPECT_EQ(OsThreadCount(), before);
}

// A thread that blocks for real holds the baton forever. The watchdog interrupts it, the run ends
// with a stall naming the thread and showing where it was blocked, and explore returns.
TEST(Thread, TheWatchdogEndsARunWhoseThreadBlocksForReal) {
  if (kThreadSanitizer) {
    GTEST_SKIP() << "ThreadSanitizer runs an asynchronous signal's handler only when the thread "
                    "passes through a function it intercepts; a thread blocked in a raw futex "
                    "(std::future::wait) never does, so the watchdog's interrupt never arrives";
  }
  auto release = std::make_shared<std::promise<void>>();
  std::shared_future<void> released = release->get_future().share();
  std::atomic<bool> came_back{false};
  weave::Options o = Runs(1);
  o.watchdog = absl::Milliseconds(200);
  const auto started = std::chrono::steady_clock::now();
  const weave::Failure f = FailureOf(FailureKind::kStall, o, [&] {
    weave::thread stuck = weave::thread::named("stuck", [&came_back, released] {
      released.wait();  // a real std::future: weave cannot see it
      came_back = true;
    });
    stuck.join();  // the body waits: the stuck thread gets the baton
  });
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
  EXPECT_THAT(f.message, HasSubstr("task 1 'stuck'"));
  EXPECT_THAT(f.details, HasSubstr("its OS thread is left blocked"));
  std::ostringstream report;
  report << f;
  // Its native stack shows the real blocking call (in libstdc++, so never inlined away).
  EXPECT_THAT(report.str(), HasSubstr("std::__atomic_futex_unsigned_base::_M_futex_wait_until"))
      << report.str();
  // Let it go: it returns into a world without a simulation and leaves quietly.
  release->set_value();
  for (int i = 0; i < 2000 && !came_back; ++i) std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(came_back);
  // The next exploration is unaffected.
  EXPECT_WEAVE_OK(Runs(20), [] { weave::thread([] {}).join(); });
}

// The silent half: a weave::thread doing short stretches of real work, each well under the limit,
// that add up to more than it, is never interrupted.
TEST(Thread, TheWatchdogLeavesAThreadThatReachesSchedulingPointsAlone) {
  weave::Options o = Runs(2);
  o.watchdog = absl::Milliseconds(200);
  EXPECT_WEAVE_OK(o, [] {
    auto worker = [] {
      for (int i = 0; i < 30; ++i) {
        std::this_thread::sleep_for(5ms);
        weave::this_thread::yield();
      }
    };
    weave::thread a(worker);
    weave::thread b(worker);
    a.join();
    b.join();
  });
}

// weave's SIGURG handler hands signals that are not its own to the handler installed before it.
std::atomic<int> g_own_sigurg_calls{0};
TEST(Thread, ASigurgThatIsNotWeavesReachesTheProgramsOwnHandler) {
  // This process may have started a weave::thread already (weave's handler installed first, with
  // ours unseen) or not: install ours, then make weave install its own on top of it if it has not.
  struct sigaction ours {};
  ours.sa_handler = [](int) { g_own_sigurg_calls.fetch_add(1); };
  sigemptyset(&ours.sa_mask);
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGURG, &ours, &before), 0);
  EXPECT_WEAVE_OK(Runs(1), [] { weave::thread([] {}).join(); });
  struct sigaction now {};
  ASSERT_EQ(sigaction(SIGURG, nullptr, &now), 0);
  const bool weave_installed_over_ours = now.sa_handler != ours.sa_handler;
  ASSERT_EQ(raise(SIGURG), 0);
  if (weave_installed_over_ours) {
    EXPECT_EQ(g_own_sigurg_calls.load(), 1) << "weave swallowed a SIGURG that was not its own";
  } else {
    EXPECT_EQ(g_own_sigurg_calls.load(), 1);
    GTEST_LOG_(INFO) << "weave's handler was installed before this test's; only ours ran";
  }
  sigaction(SIGURG, &before, nullptr);
}

// A check-then-act bug between threads, found and replayed: the same failure every time.
void ThreadRace() {
  weave::atomic<int> stock{1};
  weave::shared<int> sold{0, "sold"};
  auto buyer = [&] {
    if (stock.load() > 0) {
      stock.fetch_sub(1);
      sold = sold + 1;
    }
  };
  weave::thread a = weave::thread::named("buyer-a", buyer);
  weave::thread b = weave::thread::named("buyer-b", buyer);
  a.join();
  b.join();
  weave::check(stock.load() >= 0, "never oversold");
}

std::string Report(const weave::Result& r) {
  std::ostringstream s;
  if (!r.ok()) s << r.failure();
  return s.str();
}

TEST(Thread, AFailingThreadScheduleReplays100TimesOutOf100) {
  weave::Options o;
  o.test_name = "Thread.Race";
  o.detect_races = false;  // the oversell itself, not the race the detector reports first
  o.out_dir =
      (std::filesystem::temp_directory_path() / ("weave_thread_test_" + std::to_string(::getpid())))
          .string();
  const weave::Result found = weave::explore(o, ThreadRace);
  ASSERT_FALSE(found.ok());
  ASSERT_FALSE(found.schedule_path.empty()) << found.schedule_write_error;
  EXPECT_THAT(Report(found), HasSubstr("never oversold"));
  weave::Options replay = o;
  replay.replay_file = found.schedule_path;
  int same = 0;
  for (int i = 0; i < 100; ++i) {
    const weave::Result r = weave::explore(replay, ThreadRace);
    if (Report(r) == Report(found) && r.schedule == found.schedule) ++same;
  }
  EXPECT_EQ(same, 100);
  std::filesystem::remove_all(o.out_dir);
}

WEAVE_TEST(ThreadGTest, WorksInsideWeaveTest) {
  weave::mutex m;
  int n = 0;
  weave::thread a([&] {
    std::scoped_lock lock(m);
    ++n;
  });
  weave::thread b([&] {
    std::scoped_lock lock(m);
    ++n;
  });
  a.join();
  b.join();
  EXPECT_EQ(n, 2);
}

// Two threads taking two mutexes in opposite orders.
void OppositeOrders() {
  weave::mutex a{"a"};
  weave::mutex b{"b"};
  weave::thread ab = weave::thread::named("ab", [&] {
    std::scoped_lock first(a);
    std::scoped_lock second(b);
  });
  weave::thread ba = weave::thread::named("ba", [&] {
    std::scoped_lock first(b);
    std::scoped_lock second(a);
  });
  ab.join();
  ba.join();
}

TEST(ThreadDeadlock, EachBlockedThreadShowsItsNativeStackAndTheCycle) {
  const weave::Failure f = FailureOf(
      FailureKind::kDeadlock, weave_test::WithoutLockOrderDetection(Runs(500)), OppositeOrders);
  EXPECT_THAT(f.details, testing::ContainsRegex("cycle: task [12] '(ab|ba)' -> lock mutex"));
  ASSERT_EQ(f.tasks.size(), 3u);
  for (std::size_t i = 1; i < 3; ++i) {
    // Captured on the thread itself, where it blocked: the lambda in this file.
    ASSERT_FALSE(f.tasks[i].stack.empty()) << f.tasks[i].name;
    // The lambda: "OppositeOrders()::{lambda()#1}::operator()() const", or in an optimized
    // build, where it is inlined, DWARF's own name for it, "operator()".
    EXPECT_THAT(f.tasks[i].stack[0].function,
                testing::AnyOf(HasSubstr("OppositeOrders"), HasSubstr("operator()")));
    EXPECT_THAT(f.tasks[i].stack[0].where.file, HasSubstr("thread_test.cpp"));
  }
}

TEST(ThreadDeadlock, TheLockOrderDetectorReportsTheInversionBeforeAnyDeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kPotentialDeadlock, Runs(500), OppositeOrders);
  EXPECT_THAT(f.message, testing::ContainsRegex("mutex '(a|b)' -> mutex '(b|a)' -> mutex '(a|b)'"));
  EXPECT_THAT(f.message, testing::ContainsRegex("tasks [12] '(ab|ba)' and [12] '(ab|ba)'"));
  EXPECT_THAT(f.details, HasSubstr("thread_test.cpp"));
}

}  // namespace
