// weave_thread_bench: what a scheduling step between two weave::threads costs, against handing a
// baton between two plain OS threads in the same binary.
//
// Build in Release; a Debug build's figures mean nothing:
//   cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build/release --target weave_thread_bench
//   build/release/bench/weave_thread_bench --benchmark_repetitions=5
//     (add --benchmark_report_aggregates_only=true for medians only)
//
// Two OS threads take turns, so CPU time of one thread says little: every figure here is wall
// time per hand-over (a noisy machine shows in the repetitions' spread).
//   BM_AtomicWaitBaton         the baseline the issue names: two std::threads pass a turn with
//                              std::atomic::wait + notify_one. ns per hand-over.
//   BM_FutexBaton              the same with a bare futex (FUTEX_WAIT / FUTEX_WAKE, no spin).
//   BM_ThreadSchedulingStep    two weave::threads yielding to each other under round-robin: every
//                              step hands the baton to the other OS thread. Counters:
//                              ns_per_step, the baselines measured just before each run
//                              (atomic_wait_baton_ns, futex_baton_ns), and x_atomic_wait_baton
//                              and x_futex_baton: a step over one hand-over of each baseline.
//   BM_FiberThreadStep         a fiber and a weave::thread yielding to each other: every step
//                              crosses between the body's thread and the weave::thread.
//   BM_ThreadSmallBodyExecutions  2 weave::threads x 10 mutex-protected increments, random
//                              strategy, OS threads created per run: executions per second.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

#include "bench_support.hpp"
#include "benchmark/benchmark.h"
#include <linux/futex.h>
#include <sys/syscall.h>

#include "weave/thread.hpp"
#include "weave/weave.hpp"

namespace {

using bench::Failed;
using Clock = std::chrono::steady_clock;

double NanosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

// --- 1. Baselines: a baton between two OS threads ------------------------------------------------

// Ping-pong of `hand_overs` turns between the calling thread and a partner; returns wall ns per
// hand-over. `Wait(word, value)` blocks while word == value; `Wake(word)` wakes the waiter.
template <class Wait, class Wake>
double BatonNanos(std::int64_t hand_overs, Wait wait, Wake wake) {
  std::atomic<std::uint32_t> turn{0};  // even: ours, odd: the partner's
  const auto rounds = static_cast<std::uint32_t>(hand_overs / 2);
  std::atomic<bool> partner_running{false};
  std::thread partner([&] {
    partner_running.store(true, std::memory_order_release);
    for (std::uint32_t i = 0; i < rounds; ++i) {
      std::uint32_t t;
      while ((t = turn.load(std::memory_order_acquire)) % 2 == 0) wait(turn, t);
      turn.store(t + 1, std::memory_order_release);
      wake(turn);
    }
  });
  // The clock starts once the partner runs: its start-up is not a hand-over.
  while (!partner_running.load(std::memory_order_acquire)) std::this_thread::yield();
  const auto start = Clock::now();
  for (std::uint32_t i = 0; i < rounds; ++i) {
    const std::uint32_t mine = 2 * i;
    turn.store(mine + 1, std::memory_order_release);
    wake(turn);
    std::uint32_t t;
    while ((t = turn.load(std::memory_order_acquire)) != mine + 2) wait(turn, t);
  }
  const double nanos = NanosSince(start);
  partner.join();
  return nanos / static_cast<double>(2 * rounds);
}

void AtomicWait(std::atomic<std::uint32_t>& word, std::uint32_t value) {
  word.wait(value, std::memory_order_acquire);
}
void AtomicWake(std::atomic<std::uint32_t>& word) { word.notify_one(); }

void FutexWait(std::atomic<std::uint32_t>& word, std::uint32_t value) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr,
          nullptr, 0);
}
void FutexWake(std::atomic<std::uint32_t>& word) {
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
}

double AtomicWaitBatonNanos(std::int64_t n) { return BatonNanos(n, AtomicWait, AtomicWake); }
double FutexBatonNanos(std::int64_t n) { return BatonNanos(n, FutexWait, FutexWake); }

// One baseline benchmark: wall time per hand-over of `measure`.
void RunBaton(benchmark::State& state, double (*measure)(std::int64_t)) {
  double total = 0;
  for (auto _ : state) {
    const double per = measure(state.range(0));
    state.SetIterationTime(per * static_cast<double>(state.range(0)) * 1e-9);
    total += per;
  }
  state.counters["ns_per_hand_over"] = total / static_cast<double>(state.iterations());
}
void BM_AtomicWaitBaton(benchmark::State& state) { RunBaton(state, AtomicWaitBatonNanos); }
void BM_FutexBaton(benchmark::State& state) { RunBaton(state, FutexBatonNanos); }
BENCHMARK(BM_AtomicWaitBaton)->Arg(20'000)->UseManualTime();
BENCHMARK(BM_FutexBaton)->Arg(20'000)->UseManualTime();

// --- 2. weave steps that cross OS threads --------------------------------------------------------

// One round-robin run: task "timer" yields n times while its partner yields back, so the timed
// window holds 2n steps, each handing the baton to the other task (the body waits in join()).
// `Make` starts a task of the kind under test.
template <class MakeTimer, class MakePartner>
double CrossingStepNanos(std::int64_t n, MakeTimer make_timer, MakePartner make_partner,
                         weave::Result* result) {
  weave::Options options = bench::BenchOptions(weave::Strategy::RoundRobin(), 1);
  double nanos = 0;
  *result = weave::explore(options, [&] {
    bool root_joining = false;
    bool go = false;
    bool done = false;
    auto timer = make_timer([&] {
      // NOLINTNEXTLINE(bugprone-infinite-loop): yield runs the task that sets it
      while (!go) weave::this_task::yield();
      const auto start = Clock::now();
      for (std::int64_t i = 0; i < n; ++i) weave::this_task::yield();
      nanos = NanosSince(start);
      done = true;
    });
    auto partner = make_partner([&] {
      // NOLINTNEXTLINE(bugprone-infinite-loop): yield runs the task that sets it
      while (!root_joining) weave::this_task::yield();
      weave::this_task::yield();  // round-robin gives the body its turn: it blocks in join()
      weave::this_task::yield();
      go = true;
      // NOLINTNEXTLINE(bugprone-infinite-loop): yield runs the task that sets it
      while (!done) weave::this_task::yield();
    });
    root_joining = true;
    timer.join();
    partner.join();
  });
  return nanos / static_cast<double>(2 * n);
}

auto MakeThread = [](auto fn) { return weave::thread(std::move(fn)); };
auto MakeFiber = [](auto fn) { return weave::spawn("fiber", std::move(fn)); };

// One crossing-step benchmark: ns per step, and its ratios to the baselines. Each iteration
// measures the baselines right before its run, so a ratio compares runs under the same load.
template <class MakeTimer, class MakePartner>
void RunCrossingSteps(benchmark::State& state, MakeTimer make_timer, MakePartner make_partner) {
  double total = 0;
  double atomic_wait = 0;
  double futex = 0;
  for (auto _ : state) {
    atomic_wait += AtomicWaitBatonNanos(4'000);  // outside the manual time: not reported
    futex += FutexBatonNanos(4'000);
    weave::Result r;
    const double per = CrossingStepNanos(state.range(0), make_timer, make_partner, &r);
    if (Failed(state, r)) return;
    state.SetIterationTime(per * 2 * static_cast<double>(state.range(0)) * 1e-9);
    total += per;
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["ns_per_step"] = total / n;
  state.counters["atomic_wait_baton_ns"] = atomic_wait / n;
  state.counters["futex_baton_ns"] = futex / n;
  state.counters["x_atomic_wait_baton"] = total / atomic_wait;
  state.counters["x_futex_baton"] = total / futex;
}
void BM_ThreadSchedulingStep(benchmark::State& state) {
  RunCrossingSteps(state, MakeThread, MakeThread);
}
void BM_FiberThreadStep(benchmark::State& state) { RunCrossingSteps(state, MakeFiber, MakeThread); }
BENCHMARK(BM_ThreadSchedulingStep)->Arg(10'000)->UseManualTime();
BENCHMARK(BM_FiberThreadStep)->Arg(10'000)->UseManualTime();

// --- 3. Whole runs ------------------------------------------------------------------------------

void BM_ThreadSmallBodyExecutions(benchmark::State& state) {
  const std::int64_t runs = 200;
  const weave::Options options = bench::BenchOptions(weave::Strategy::Random(), runs);
  const auto body = [] {
    weave::mutex m;
    int n = 0;
    auto work = [&] {
      for (int i = 0; i < 10; ++i) {
        std::scoped_lock lock(m);
        ++n;
      }
    };
    weave::thread a(work);
    weave::thread b(work);
    a.join();
    b.join();
    weave::check(n == 20, "every increment counted");
  };
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, body);
    if (Failed(state, r)) return;
  }
  state.SetItemsProcessed(state.iterations() * runs);
}
BENCHMARK(BM_ThreadSmallBodyExecutions)->Unit(benchmark::kMillisecond);

}  // namespace
