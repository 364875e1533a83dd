// weave_coro_bench: what coroutine tasks cost: a scheduling step, memory per task, and a run with
// 100,000 concurrent coroutine tasks.
//
// Build in Release; a Debug build's figures mean nothing:
//   cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build/release --target weave_coro_bench
//   build/release/bench/weave_coro_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true        (one command line)
//
// The benchmarks, and the figure each one is about:
//   BM_RawCoroutineResume        the floor: coroutine_handle::resume() of a coroutine that
//                                suspends again at once. Time = ns per resume.
//   BM_CoroutineSchedulingStep   two coroutine tasks awaiting weave::yield() in turn under
//                                round-robin, so every step hands over to the other task.
//                                Counters: cpu_ns_per_step and x_raw_resume (a step over one raw
//                                resume, both in thread CPU time, measured in this process).
//   BM_CoroutineTaskMemory       N coroutine tasks spawned and suspended at once: heap bytes per
//                                task (task record, backend, coroutine frame, name), and the
//                                carriers (fiber stacks) in use while they wait.
//   BM_HundredThousandTasks      one run: 100,000 coroutine tasks each sleep (virtual time) and
//                                then send on a channel the body drains. Wall time per run, heap
//                                bytes per task, resident memory added while all of them are
//                                suspended, and the process's peak RSS growth (meaningful when
//                                it runs first: --benchmark_filter=HundredThousand).
#include <unistd.h>

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "bench_support.hpp"
#include "benchmark/benchmark.h"
#include <sys/resource.h>

#include "weave/coro.hpp"
#include "weave/detail/coroutine_task.hpp"

namespace {

using namespace std::chrono_literals;

// --- The floor: a raw coroutine resume -----------------------------------------------------------

struct Resumable {
  struct promise_type {
    Resumable get_return_object() {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> handle;
};

Resumable SuspendForever(std::uint64_t* resumes) {
  for (;;) {
    ++*resumes;
    co_await std::suspend_always{};
  }
}

// One resume through a call that is not inlined, as a scheduler's resume is.
[[gnu::noinline]] void ResumeOnce(std::coroutine_handle<> h) { h.resume(); }

double BestRawResumeCpuNanos() {
  std::uint64_t resumes = 0;
  Resumable r = SuspendForever(&resumes);
  constexpr int kResumes = 1'000'000;
  double best = 1e300;
  for (int round = 0; round < 7; ++round) {
    const double start = bench::ThreadCpuNanos();
    for (int i = 0; i < kResumes; ++i) ResumeOnce(r.handle);
    best = std::min(best, (bench::ThreadCpuNanos() - start) / kResumes);
  }
  r.handle.destroy();
  benchmark::DoNotOptimize(resumes);
  return best;
}

double RawResumeCpuNanos() {
  static const double nanos = BestRawResumeCpuNanos();
  return nanos;
}

void BM_RawCoroutineResume(benchmark::State& state) {
  std::uint64_t resumes = 0;
  Resumable r = SuspendForever(&resumes);
  for (auto _ : state) ResumeOnce(r.handle);
  r.handle.destroy();
  benchmark::DoNotOptimize(resumes);
}
BENCHMARK(BM_RawCoroutineResume);

// --- A scheduling step between two coroutine tasks --------------------------------------------

void BM_CoroutineSchedulingStep(benchmark::State& state) {
  const std::int64_t n = state.range(0);
  const weave::Options options = bench::BenchOptions(weave::Strategy::RoundRobin(), 1);
  bench::Window window;
  bench::Window total;
  const auto body = [&] {
    auto timed = [&]() -> weave::task<> {
      const bench::WindowTimer measure;
      for (std::int64_t i = 0; i < n; ++i) co_await weave::yield();
      window = measure.Stop();
    };
    auto partner = [&]() -> weave::task<> {
      for (std::int64_t i = 0; i < n; ++i) co_await weave::yield();
    };
    auto a = weave::co_spawn("timed", timed());
    auto b = weave::co_spawn("partner", partner());
    a.join();
    b.join();
  };
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, body);
    if (bench::Failed(state, r)) return;
    state.SetIterationTime(window.wall_nanos * 1e-9);
    total += window;
  }
  const double steps = 2.0 * static_cast<double>(n) * static_cast<double>(state.iterations());
  const double cpu_per_step = total.cpu_nanos / steps;
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
  state.counters["ns_per_step"] = total.wall_nanos / steps;
  state.counters["cpu_ns_per_step"] = cpu_per_step;
  state.counters["raw_resume_cpu_ns"] = RawResumeCpuNanos();
  state.counters["x_raw_resume"] = cpu_per_step / RawResumeCpuNanos();
  state.counters["allocs_per_step"] = static_cast<double>(total.allocations) / steps;
}
BENCHMARK(BM_CoroutineSchedulingStep)->Arg(10'000)->Arg(100'000)->UseManualTime();

// --- Memory per coroutine task ------------------------------------------------------------------

weave::task<> SleepThenReturn() { co_await weave::sleep_for(1s); }

void BM_CoroutineTaskMemory(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  weave::Options options = bench::BenchOptions(weave::Strategy::Random(), 1);
  double bytes_per_task = 0;
  double carriers_in_use = 0;
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, [&] {
      std::vector<weave::task_handle<void>> handles;
      handles.reserve(n);
      const std::size_t idle_before = weave::detail::IdleCarriers();
      const std::uint64_t bytes_before = bench::AllocatedBytes();
      for (std::size_t i = 0; i < n; ++i)
        handles.push_back(weave::co_spawn("t", SleepThenReturn()));
      weave::this_task::sleep_for(500ms);  // all of them are suspended in their sleep now
      bytes_per_task =
          static_cast<double>(bench::AllocatedBytes() - bytes_before) / static_cast<double>(n);
      carriers_in_use =
          static_cast<double>(idle_before) - static_cast<double>(weave::detail::IdleCarriers());
      for (auto& h : handles) h.join();
    });
    if (bench::Failed(state, r)) return;
  }
  state.counters["heap_bytes_per_task"] = bytes_per_task;
  state.counters["carriers_in_use_while_suspended"] = carriers_in_use;
}
BENCHMARK(BM_CoroutineTaskMemory)->Arg(1'000)->Arg(10'000)->Iterations(3);

// --- 100,000 concurrent coroutine tasks -------------------------------------------------------

long PeakRssKiB() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// Resident memory now, in KiB (/proc/self/statm).
long RssKiB() {
  long pages_total = 0;
  long pages_resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return pages_resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

// Sleeps (1 to 1000ms spread over the tasks, or 1s for all of them), then sends its number.
weave::task<> SleepThenSend(weave::channel<int>& out, int i, bool spread) {
  co_await weave::sleep_for(std::chrono::milliseconds(spread ? 1 + i % 1000 : 1000));
  co_await out.co_send(i);
}

// range(0): tasks; range(1): 1 when their wake-up times are spread, 0 when all wake together.
void BM_HundredThousandTasks(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const bool spread = state.range(1) != 0;
  weave::Options options = bench::BenchOptions(weave::Strategy::Random(), 1);
  const long peak_before = PeakRssKiB();
  double bytes_per_task = 0;
  double rss_growth_kib = 0;
  std::int64_t steps = 0;
  for (auto _ : state) {
    const weave::Result r = weave::explore(options, [&] {
      const long rss_before_run = RssKiB();
      weave::channel<int> results(weave::channel<int>::kUnbounded, "results");
      std::vector<weave::task_handle<void>> handles;
      handles.reserve(static_cast<std::size_t>(n));
      const std::uint64_t bytes_before = bench::AllocatedBytes();
      for (int i = 0; i < n; ++i) {
        handles.push_back(weave::co_spawn("t", SleepThenSend(results, i, spread)));
      }
      bytes_per_task =
          static_cast<double>(bench::AllocatedBytes() - bytes_before) / static_cast<double>(n);
      weave::this_task::sleep_for(std::chrono::microseconds(500));  // every task is asleep now
      rss_growth_kib = static_cast<double>(RssKiB() - rss_before_run);
      std::int64_t sum = 0;
      for (int i = 0; i < n; ++i) sum += *results.receive();
      for (auto& h : handles) h.join();
      if (sum != static_cast<std::int64_t>(n) * (n - 1) / 2) throw std::logic_error("lost a value");
    });
    if (bench::Failed(state, r)) return;
    steps = r.total_steps;
  }
  state.counters["tasks"] = n;
  state.counters["heap_bytes_per_task"] = bytes_per_task;
  // Resident memory added while all n tasks were alive and suspended (the first run of a process
  // also grows the pooled task records; later runs reuse them).
  state.counters["rss_growth_MiB_all_suspended"] = rss_growth_kib / 1024.0;
  state.counters["peak_rss_growth_MiB"] = static_cast<double>(PeakRssKiB() - peak_before) / 1024.0;
  state.counters["steps"] = static_cast<double>(steps);
}
BENCHMARK(BM_HundredThousandTasks)
    ->Args({1'000, 1})
    ->Args({1'000, 0})
    ->Args({100'000, 1})
    ->Args({100'000, 0})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
