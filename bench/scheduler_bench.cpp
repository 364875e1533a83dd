// weave_bench: what a scheduling step, a small run and a virtual timer cost.
//
// Build in Release; a Debug build's figures mean nothing:
//   cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build/bench --target weave_bench
//   build/bench/bench/weave_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// The benchmarks, and the figure each one is about:
//   BM_RawBoostContextRoundTrip   the floor: a raw boost::context::fiber resumed and yielding
//                                 back. Time = ns per round trip (two switches).
//   BM_RawBoostContextRoundTripThroughCall
//                                 the same, each switch made inside a function that returns to
//                                 its caller (as a scheduler's must): the realistic floor.
//   BM_FiberSchedulingStep        two fibers yielding to each other under round-robin, so every
//                                 step switches. Counters: ns_per_step (wall), cpu_ns_per_step,
//                                 x_raw_switch (a step over half a raw round trip: one switch
//                                 against one switch) and x_raw_round_trip (a step over a whole
//                                 raw round trip) and x_raw_call_round_trip (over the realistic
//                                 floor); all ratios in thread CPU time.
//   BM_SchedulingStepNoSwitch     one task yielding alone: the strategy keeps it, no switch.
//   BM_SmallBodyExecutions        2 tasks x 10 mutex-protected increments, random strategy;
//                                 items_per_second = executions (runs of the body) per second.
//   BM_StrategySmallBody          the small body under each strategy (random, pct:3, pos, cpos,
//                                 urw, surw, portfolio): ns_per_step and x_random, the step's
//                                 cost over random's, measured in the same process.
//   BM_VirtualTimers              100 tasks x 100 sleep_for of varied durations;
//                                 items_per_second = timers per second.
// Every weave benchmark also reports heap allocations (operator new calls, counted by the
// replacement below) per step, per execution or per timer.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <mutex>
#include <new>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "benchmark/benchmark.h"
#include <boost/context/fiber.hpp>

#include "weave/weave.hpp"

namespace {

using bench::Failed;
using bench::Window;
using bench::WindowTimer;
using Clock = std::chrono::steady_clock;
namespace ctx = boost::context;

weave::Options BenchOptions(weave::Strategy strategy, std::int64_t iterations) {
  return bench::BenchOptions(strategy, iterations);
}

// --- 1. The floor: raw Boost.Context ------------------------------------------------------------

// A switch made from inside a function that then returns to its caller, as every scheduler's
// switch does. After a switch the first return whose target differs between the two sides is
// mispredicted (the CPU's return-stack buffer holds the other side's call chain), which costs
// about as much as the switch itself. A tight loop of inlined resume() calls never returns, so it
// never pays this: it is the idealized floor; this is the realistic one.
[[gnu::noinline]] ctx::fiber ResumeThroughCall(ctx::fiber&& f) { return std::move(f).resume(); }

// A fiber that yields back to its resumer until told to stop. With `through_call`, both sides
// switch through ResumeThroughCall.
class PingFiber {
 public:
  explicit PingFiber(bool through_call = false)
      : through_call_(through_call), fiber_([this](ctx::fiber&& caller) {
          while (!stop_) {
            caller =
                through_call_ ? ResumeThroughCall(std::move(caller)) : std::move(caller).resume();
          }
          return std::move(caller);
        }) {
    fiber_ = std::move(fiber_).resume();  // start it: it yields straight back
  }
  ~PingFiber() {
    stop_ = true;
    fiber_ = std::move(fiber_).resume();  // it returns; fiber_ becomes empty
  }
  PingFiber(const PingFiber&) = delete;
  PingFiber& operator=(const PingFiber&) = delete;

  // One round trip: switch in, switch back out.
  void RoundTrip() {
    fiber_ = through_call_ ? ResumeThroughCall(std::move(fiber_)) : std::move(fiber_).resume();
  }

 private:
  bool stop_ = false;
  bool through_call_;
  ctx::fiber fiber_;
};

void BM_RawBoostContextRoundTrip(benchmark::State& state) {
  PingFiber fiber;
  for (auto _ : state) fiber.RoundTrip();
  state.counters["ns_per_switch"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RawBoostContextRoundTrip);

void BM_RawBoostContextRoundTripThroughCall(benchmark::State& state) {
  PingFiber fiber(/*through_call=*/true);
  for (auto _ : state) fiber.RoundTrip();
  state.counters["ns_per_switch"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_RawBoostContextRoundTripThroughCall);

// The raw round trip in thread CPU time, measured once per process (best of 7 x 200k): the
// baseline of the ratios BM_FiberSchedulingStep reports, so they neither depend on which
// benchmarks the filter ran nor on the machine's load.
double BestRoundTripCpuNanos(bool through_call) {
  PingFiber fiber(through_call);
  constexpr int kTrips = 200'000;
  double best = std::numeric_limits<double>::infinity();
  for (int round = 0; round < 7; ++round) {
    const WindowTimer timer;
    for (int i = 0; i < kTrips; ++i) fiber.RoundTrip();
    best = std::min(best, timer.Stop().cpu_nanos / kTrips);
  }
  return best;
}
double RawRoundTripCpuNanos() {
  static const double nanos = BestRoundTripCpuNanos(false);
  return nanos;
}
double RawCallRoundTripCpuNanos() {
  static const double nanos = BestRoundTripCpuNanos(true);
  return nanos;
}

// --- 2. One scheduling step ---------------------------------------------------------------------
//
// Each benchmark iteration is one explore() of one round-robin run. Only the steady-state part of
// the run is timed (manual time): fiber "timer" yields N times while fiber "partner" yields back,
// so the timed window holds exactly 2N steps, each a yield that switches to the other task. The
// body (task 0) is blocked in join() by then, so it takes no turn. Spawning, stack reuse and
// explore()'s setup are not in the window (BM_SmallBodyExecutions covers them). What the run
// records is: every explore() starts a fresh schedule recording, so Arg(10000), a 20000-step run,
// also pays for growing it (fresh pages, copies), which Arg(1000) mostly does not.
void BM_FiberSchedulingStep(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const weave::Options options = BenchOptions(weave::Strategy::RoundRobin(), 1);
  Window window;
  Window total;
  const auto body = [&] {
    bool root_joining = false;
    bool go = false;
    bool done = false;
    weave::join_handle timer = weave::spawn("timer", [&] {
      while (!go) weave::this_task::yield();
      const WindowTimer measure;
      for (std::int64_t i = 0; i < n; ++i) weave::this_task::yield();
      window = measure.Stop();
      done = true;
    });
    weave::join_handle partner = weave::spawn("partner", [&] {
      while (!root_joining) weave::this_task::yield();
      // Round-robin gives task 0 its turn within these two yields: it blocks in join().
      weave::this_task::yield();
      weave::this_task::yield();
      go = true;
      while (!done) weave::this_task::yield();
    });
    root_joining = true;
    timer.join();
    partner.join();
  };
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, body);
    if (Failed(state, r)) return;
    state.SetIterationTime(window.wall_nanos * 1e-9);
    total += window;
  }
  const double steps = 2.0 * static_cast<double>(n) * static_cast<double>(state.iterations());
  const double cpu_per_step = total.cpu_nanos / steps;
  const double raw = RawRoundTripCpuNanos();
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["ns_per_step"] = total.wall_nanos / steps;
  state.counters["cpu_ns_per_step"] = cpu_per_step;
  state.counters["raw_rt_cpu_ns"] = raw;
  state.counters["x_raw_switch"] = cpu_per_step / (raw / 2);
  state.counters["x_raw_round_trip"] = cpu_per_step / raw;
  // Against the realistic floor: a raw round trip whose switches return to their callers.
  state.counters["x_raw_call_round_trip"] = cpu_per_step / RawCallRoundTripCpuNanos();
  state.counters["allocs_per_step"] = static_cast<double>(total.allocations) / steps;
}
BENCHMARK(BM_FiberSchedulingStep)->Arg(1'000)->Arg(10'000)->UseManualTime();

// The no-switch path: the body alone yields N times; round-robin keeps it (the only runnable task)
// at every step, so nothing is switched. Timed like BM_FiberSchedulingStep.
void BM_SchedulingStepNoSwitch(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const weave::Options options = BenchOptions(weave::Strategy::RoundRobin(), 1);
  Window window;
  Window total;
  const auto body = [&] {
    const WindowTimer measure;
    for (std::int64_t i = 0; i < n; ++i) weave::this_task::yield();
    window = measure.Stop();
  };
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, body);
    if (Failed(state, r)) return;
    state.SetIterationTime(window.wall_nanos * 1e-9);
    total += window;
  }
  const double steps = static_cast<double>(n) * static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["ns_per_step"] = total.wall_nanos / steps;
  state.counters["cpu_ns_per_step"] = total.cpu_nanos / steps;
  state.counters["allocs_per_step"] = static_cast<double>(total.allocations) / steps;
}
BENCHMARK(BM_SchedulingStepNoSwitch)->Arg(10'000)->UseManualTime();

// --- 3. Executions of a small body
// ----------------------------------------------------------------

// The peer's classic: 2 tasks x 10 locked increments, the body joins both.
void SmallBody() {
  weave::mutex m;
  int counter = 0;
  const auto increments = [&] {
    for (int i = 0; i < 10; ++i) {
      std::scoped_lock lock(m);
      ++counter;
    }
  };
  weave::join_handle a = weave::spawn("a", increments);
  weave::join_handle b = weave::spawn("b", increments);
  a.join();
  b.join();
  weave::check(counter == 20, "an increment was lost");
}

// Arg = runs per explore() call. The headline figure is Arg(1000): one explore() with
// iterations = 1000 per benchmark iteration, because that is how a test runs a body (one
// exploration of many schedules, reusing the simulation, the strategy and the pooled stacks), so
// it is the fair comparison with a peer's runs/s. Arg(1) runs one schedule per explore() call and
// so adds everything explore() sets up and tears down (strategy, simulation, Result, observers):
// the difference is that fixed cost. Time is wall time of whole explore() calls. The second
// argument says whether the detectors (races, lock order) are on, as they are by default.
void BM_SmallBodyExecutions(benchmark::State& state) {
  const std::int64_t runs = state.range(0);
  weave::Options options = BenchOptions(weave::Strategy::Random(), runs);
  options.detect_races = options.detect_lock_order = state.range(1) != 0;
  std::int64_t steps = 0;
  const std::uint64_t allocations = bench::Allocations();
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, SmallBody);
    if (Failed(state, r)) return;
    steps += r.total_steps;
  }
  const std::uint64_t allocated = bench::Allocations() - allocations;
  const double executions = static_cast<double>(runs) * static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(executions));
  state.counters["steps_per_exec"] = static_cast<double>(steps) / executions;
  state.counters["allocs_per_exec"] = static_cast<double>(allocated) / executions;
  state.counters["ns_per_step"] = benchmark::Counter(
      static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SmallBodyExecutions)
    ->ArgNames({"runs", "detectors"})
    ->Args({1000, 1})
    ->Args({1000, 0})
    ->Args({1, 1})
    ->Unit(benchmark::kMicrosecond);

// What choosing costs: the small body explored 1000 schedules at a time under each strategy.
// x_random is the CPU time per step over random's, measured once in this process (best of 8
// rounds), so the ratio does not depend on the machine's load or on the filter.
constexpr const char* kStrategyNames[] = {"random", "pct:3", "pos",      "cpos",
                                          "urw",    "surw",  "portfolio"};

double CpuNanosPerStep(const weave::Strategy& strategy) {
  const weave::Options options = BenchOptions(strategy, 1000);
  double best = std::numeric_limits<double>::infinity();
  for (int round = 0; round < 8; ++round) {  // the first rounds warm the caches and the pools
    const WindowTimer timer;
    const weave::Result r = weave::explore(options, SmallBody);
    const Window window = timer.Stop();
    if (!r.ok() || r.total_steps == 0) return 0;
    best = std::min(best, window.cpu_nanos / static_cast<double>(r.total_steps));
  }
  return best;
}

void BM_StrategySmallBody(benchmark::State& state) {
  const char* name = kStrategyNames[state.range(0)];
  const weave::Strategy strategy = *weave::Strategy::Parse(name);
  state.SetLabel(name);
  static const double random_cpu_per_step = CpuNanosPerStep(weave::Strategy::Random());
  const weave::Options options = BenchOptions(strategy, 1000);
  std::int64_t steps = 0;
  Window total;
  for (auto _ : state) {
    const WindowTimer timer;
    const weave::Result r = weave::explore(options, SmallBody);
    total += timer.Stop();
    if (Failed(state, r)) return;
    steps += r.total_steps;
  }
  const double cpu_per_step = total.cpu_nanos / static_cast<double>(steps);
  state.SetItemsProcessed(steps);
  state.counters["cpu_ns_per_step"] = cpu_per_step;
  state.counters["x_random"] = random_cpu_per_step > 0 ? cpu_per_step / random_cpu_per_step : 0;
}
BENCHMARK(BM_StrategySmallBody)->DenseRange(0, 6)->Unit(benchmark::kMillisecond);

// --- 4. Virtual timers
// ----------------------------------------------------------------------------

// Args = (tasks, sleeps per task). One explore() of one random-strategy run per benchmark
// iteration; each task sleeps for varied durations (1..1000 us of virtual time), so the timer
// heap holds up to `tasks` entries and the clock jumps at almost every step. Time is wall time of
// the whole explore(), spawning and joining included.
void BM_VirtualTimers(benchmark::State& state) {
  const auto tasks = static_cast<int>(state.range(0));
  const auto sleeps = static_cast<int>(state.range(1));
  const weave::Options options = BenchOptions(weave::Strategy::Random(), 1);
  const auto body = [&] {
    std::vector<weave::join_handle> handles;
    handles.reserve(static_cast<std::size_t>(tasks));
    for (int t = 0; t < tasks; ++t) {
      handles.push_back(weave::spawn("sleeper", [t, sleeps] {
        for (int j = 0; j < sleeps; ++j) {
          weave::this_task::sleep_for(
              std::chrono::microseconds(1 + (t * 7919 + j * 104'729) % 1000));
        }
      }));
    }
    for (weave::join_handle& h : handles) h.join();
  };
  std::int64_t steps = 0;
  const std::uint64_t allocations = bench::Allocations();
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, body);
    if (Failed(state, r)) return;
    steps += r.total_steps;
  }
  const std::uint64_t allocated = bench::Allocations() - allocations;
  const double timers =
      static_cast<double>(tasks) * sleeps * static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(timers));
  state.counters["steps_per_timer"] = static_cast<double>(steps) / timers;
  state.counters["allocs_per_timer"] = static_cast<double>(allocated) / timers;
}
BENCHMARK(BM_VirtualTimers)->Args({100, 100})->Unit(benchmark::kMillisecond);

}  // namespace
