// Shared by weave's benchmark programs: allocation counting, CPU-time windows, options.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <sstream>

#include "benchmark/benchmark.h"

#include "weave/weave.hpp"

namespace bench {

// Heap allocations (operator new calls) and bytes requested on this thread so far. Counted by the
// replacement operator new in bench_support.cpp, linked into every benchmark program.
std::uint64_t Allocations();
std::uint64_t AllocatedBytes();

// CPU time of this thread: fibers and coroutines switch on one OS thread, so it charges only our
// own work, not the other processes of a busy machine (unlike wall time).
double ThreadCpuNanos();

// Wall and CPU time, and allocations, of one measured window.
struct Window {
  double wall_nanos = 0;
  double cpu_nanos = 0;
  std::uint64_t allocations = 0;

  Window& operator+=(const Window& w) {
    wall_nanos += w.wall_nanos;
    cpu_nanos += w.cpu_nanos;
    allocations += w.allocations;
    return *this;
  }
};

class WindowTimer {
 public:
  WindowTimer()
      : allocations_(Allocations()),
        cpu_(ThreadCpuNanos()),
        wall_(std::chrono::steady_clock::now()) {}
  Window Stop() const {
    Window w;
    w.wall_nanos =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - wall_).count();
    w.cpu_nanos = ThreadCpuNanos() - cpu_;
    w.allocations = Allocations() - allocations_;
    return w;
  }

 private:
  std::uint64_t allocations_;
  double cpu_;
  std::chrono::steady_clock::time_point wall_;
};

// Options shared by the weave benchmarks: `iterations` runs per explore(), no progress lines, no
// step budget or watchdog in the way.
inline weave::Options BenchOptions(weave::Strategy strategy, std::int64_t iterations) {
  weave::Options o;
  o.strategy = strategy;
  o.iterations = iterations;
  o.max_steps = std::numeric_limits<std::int64_t>::max() / 2;
  o.progress_interval = absl::ZeroDuration();
  o.test_name = "weave_bench";
  return o;
}

// Marks the benchmark failed with the report when a run failed.
inline bool Failed(benchmark::State& state, const weave::Result& r) {
  if (r.ok()) return false;
  std::ostringstream out;
  out << r;
  state.SkipWithError(out.str().c_str());
  return true;
}

}  // namespace bench
