// weave_detector_bench: what the race detector adds to a tracked access, against the same access
// with the detector off and against a plain int, all measured in the same binary.
//
// Build in Release; a Debug build's figures mean nothing:
//   cmake --preset release -B build/release -DWEAVE_BUILD_BENCH=ON
//   cmake --build build/release --target weave_detector_bench
//   build/release/bench/weave_detector_bench --benchmark_repetitions=3
//     (add --benchmark_report_aggregates_only=true for mean, median and spread only)
//
// Each benchmark iteration is one explore() of one round-robin run whose body makes N tracked
// accesses (N = 100,000, so a run's setup is negligible next to them); only the loop is timed
// (manual time), spawning and explore()'s setup are not. The _off variants run with
// Options::detect_races = false: a scheduling point and the access, no check. The _on variants
// also run the _off loop in every iteration (untimed) and report the difference.
//   BM_PlainInt              the floor: a non-atomic int read or written N times, outside weave.
//   BM_Shared                one task (the body) reads or writes a weave::shared<int> N times:
//                            the only runnable task, so the scheduler keeps it (no switch), and
//                            every access after the first falls on the epoch fast path (same
//                            task, same epoch).
//   BM_SharedConcurrentReaders
//                            4 tasks read one shared<int> N/4 times each, round-robin: every
//                            access switches task, and the variable is read-shared (one epoch
//                            per reader, in a vector scanned at each read).
//   BM_RawAccess             weave::read / weave::write on a plain int, then the access: as
//                            BM_Shared, plus the address lookup of raw memory.
//   BM_MutexOnly             lock + unlock of a weave::mutex N times: the happens-before cost of
//                            one acquire (clock join) and one release (join into the mutex's
//                            clock, new epoch) per iteration.
//   BM_MutexThenWrite        lock, write a shared<int>, unlock, N times: each write is in a new
//                            epoch, so it leaves the fast path and checks the previous write.
// Counters (per access; for the mutex benchmarks per loop iteration):
//   ns_per_access            wall time (the benchmark's Time column is per run of N accesses)
//   cpu_ns_per_access        thread CPU time (fibers run on the benchmark's thread)
//   allocs_per_access        heap allocations (operator new calls)
//   off_ns_per_access, off_cpu_ns_per_access
//                            (_on only) the same loop with the detector off, same iterations
//   detector_cost_ns, detector_cost_cpu_ns
//                            (_on only) on - off, in wall and in thread CPU time: on a loaded
//                            machine the CPU figure is the one to trust
//   x_off                    (_on only) cpu_ns_per_access / off_cpu_ns_per_access
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "benchmark/benchmark.h"

#include "weave/weave.hpp"

namespace {

using bench::Failed;
using bench::Window;
using bench::WindowTimer;

constexpr std::int64_t kAccesses = 100'000;
constexpr int kReaders = 4;
// Keeps the whole run (3 repetitions of every benchmark) near 15 s; it also bounds the ctest
// smoke run, since a benchmark's own MinTime wins over --benchmark_min_time.
constexpr double kMinTime = 0.15;

enum class Access { kRead, kWrite };

weave::Options DetectorOptions(bool detect) {
  weave::Options o = bench::BenchOptions(weave::Strategy::RoundRobin(), 1);
  o.detect_races = detect;
  return o;
}

void Report(benchmark::State& state, const Window& total, double accesses) {
  state.SetItemsProcessed(static_cast<std::int64_t>(accesses));
  state.counters["ns_per_access"] = total.wall_nanos / accesses;
  state.counters["cpu_ns_per_access"] = total.cpu_nanos / accesses;
  state.counters["allocs_per_access"] = static_cast<double>(total.allocations) / accesses;
}

// Runs one explore() per benchmark iteration, its body being `body(window)`, which runs the
// measured loop of `accesses` accesses and sets `window` to its time. With `detect`, every
// iteration also runs the body with the detector off (not part of the benchmark's time) for
// detector_cost_ns.
template <class Body>
void MeasureRuns(benchmark::State& state, bool detect, std::int64_t accesses, const Body& body) {
  Window window;
  Window total;
  Window off_total;
  const auto run = [&](bool detect_races, Window& sum) {
    const weave::Result r = weave::explore(DetectorOptions(detect_races), [&] { body(window); });
    if (Failed(state, r)) return false;
    sum += window;
    return true;
  };
  for (auto _ : state) {
    if (!run(detect, total)) return;
    state.SetIterationTime(window.wall_nanos * 1e-9);
    if (detect && !run(false, off_total)) return;
  }
  const double n = static_cast<double>(accesses) * static_cast<double>(state.iterations());
  Report(state, total, n);
  if (detect) {
    const double on = total.wall_nanos / n;
    const double off = off_total.wall_nanos / n;
    const double on_cpu = total.cpu_nanos / n;
    const double off_cpu = off_total.cpu_nanos / n;
    state.counters["off_ns_per_access"] = off;
    state.counters["off_cpu_ns_per_access"] = off_cpu;
    state.counters["detector_cost_ns"] = on - off;
    state.counters["detector_cost_cpu_ns"] = on_cpu - off_cpu;
    state.counters["x_off"] = on_cpu / off_cpu;
  }
}

// --- 1. The floor: a plain int
// --------------------------------------------------------------------

void BM_PlainInt(benchmark::State& state, Access access) {
  int x = 0;
  Window total;
  for (auto _ : state) {
    const WindowTimer measure;
    if (access == Access::kRead) {
      for (std::int64_t i = 0; i < kAccesses; ++i) {
        benchmark::ClobberMemory();  // x may have changed: load it again
        int v = x;
        benchmark::DoNotOptimize(v);
      }
    } else {
      for (std::int64_t i = 0; i < kAccesses; ++i) {
        x = static_cast<int>(i);
        benchmark::ClobberMemory();  // the store must happen, once per iteration
      }
    }
    const Window w = measure.Stop();
    state.SetIterationTime(w.wall_nanos * 1e-9);
    total += w;
  }
  benchmark::DoNotOptimize(x);
  Report(state, total, static_cast<double>(kAccesses) * static_cast<double>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_PlainInt, read, Access::kRead)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_PlainInt, write, Access::kWrite)->UseManualTime()->MinTime(kMinTime);

// --- 2, 3. weave::shared<int>, one task: the epoch fast path
// ----------------------------------------

void BM_Shared(benchmark::State& state, Access access, bool detect) {
  MeasureRuns(state, detect, kAccesses, [access](Window& window) {
    weave::shared<int> x{0, "x"};
    int sum = 0;
    const WindowTimer measure;
    if (access == Access::kRead) {
      for (std::int64_t i = 0; i < kAccesses; ++i) sum += x.load();
    } else {
      for (std::int64_t i = 0; i < kAccesses; ++i) x.store(static_cast<int>(i));
    }
    window = measure.Stop();
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK_CAPTURE(BM_Shared, read_off, Access::kRead, false)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_Shared, read_on, Access::kRead, true)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_Shared, write_off, Access::kWrite, false)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_Shared, write_on, Access::kWrite, true)->UseManualTime()->MinTime(kMinTime);

// --- 4. Concurrent readers: read-shared
// ------------------------------------------------------------

// The window opens at the first read of the first reader to run and closes after the last read of
// the last one to finish; the body is blocked in join() meanwhile, so every step in it is a read.
void BM_SharedConcurrentReaders(benchmark::State& state, bool detect) {
  constexpr std::int64_t kPerReader = kAccesses / kReaders;
  MeasureRuns(state, detect, kPerReader * kReaders, [](Window& window) {
    weave::shared<int> x{0, "x"};
    std::optional<WindowTimer> measure;
    int running = kReaders;
    int sum = 0;
    std::vector<weave::join_handle> readers;
    readers.reserve(kReaders);
    for (int t = 0; t < kReaders; ++t) {
      readers.push_back(weave::spawn("reader", [&] {
        if (!measure) measure.emplace();
        for (std::int64_t i = 0; i < kPerReader; ++i) sum += x.load();
        if (--running == 0) window = measure->Stop();
      }));
    }
    for (weave::join_handle& h : readers) h.join();
    benchmark::DoNotOptimize(sum);
  });
}
BENCHMARK_CAPTURE(BM_SharedConcurrentReaders, off, false)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_SharedConcurrentReaders, on, true)->UseManualTime()->MinTime(kMinTime);

// --- 5. weave::read / weave::write on raw memory
// --------------------------------------------------

void BM_RawAccess(benchmark::State& state, Access access, bool detect) {
  MeasureRuns(state, detect, kAccesses, [access](Window& window) {
    int x = 0;
    const WindowTimer measure;
    if (access == Access::kRead) {
      for (std::int64_t i = 0; i < kAccesses; ++i) {
        weave::read(&x, "x");
        int v = x;
        benchmark::DoNotOptimize(v);
      }
    } else {
      for (std::int64_t i = 0; i < kAccesses; ++i) {
        weave::write(&x, "x");
        x = static_cast<int>(i);
        benchmark::ClobberMemory();
      }
    }
    window = measure.Stop();
  });
}
BENCHMARK_CAPTURE(BM_RawAccess, read_off, Access::kRead, false)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_RawAccess, read_on, Access::kRead, true)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_RawAccess, write_off, Access::kWrite, false)
    ->UseManualTime()
    ->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_RawAccess, write_on, Access::kWrite, true)->UseManualTime()->MinTime(kMinTime);

// --- 6. Release + acquire between accesses
// ----------------------------------------------------------

// One task, so lock() never blocks: each iteration is a scheduling point plus one acquire (the
// mutex's clock joined into the task's) and one release (the task's clock joined into the
// mutex's, then a new epoch).
void BM_MutexOnly(benchmark::State& state, bool detect) {
  MeasureRuns(state, detect, kAccesses, [](Window& window) {
    weave::mutex m{"m"};
    const WindowTimer measure;
    for (std::int64_t i = 0; i < kAccesses; ++i) {
      m.lock();
      m.unlock();
    }
    window = measure.Stop();
  });
}
BENCHMARK_CAPTURE(BM_MutexOnly, off, false)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_MutexOnly, on, true)->UseManualTime()->MinTime(kMinTime);

// The same with a write in the critical section: the unlock starts a new epoch, so every write
// misses the fast path and checks (then replaces) the previous one.
void BM_MutexThenWrite(benchmark::State& state, bool detect) {
  MeasureRuns(state, detect, kAccesses, [](Window& window) {
    weave::mutex m{"m"};
    weave::shared<int> x{0, "x"};
    const WindowTimer measure;
    for (std::int64_t i = 0; i < kAccesses; ++i) {
      m.lock();
      x.store(static_cast<int>(i));
      m.unlock();
    }
    window = measure.Stop();
  });
}
BENCHMARK_CAPTURE(BM_MutexThenWrite, off, false)->UseManualTime()->MinTime(kMinTime);
BENCHMARK_CAPTURE(BM_MutexThenWrite, on, true)->UseManualTime()->MinTime(kMinTime);

}  // namespace
