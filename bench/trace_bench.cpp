// The tracer's costs: per scheduling step with tracing off, in a ring and in full; per stack
// capture; and the time to write (and read back) the trace of a 100,000-step run.
//
// Ratios are against the same workload run untraced in this process (x_untraced), so they hold on
// a busy machine where absolute figures drift.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "bench_support.hpp"

#include "weave/trace.hpp"
#include "weave/trace_export.hpp"

namespace {

using bench::BenchOptions;
using bench::Failed;
using bench::Window;
using bench::WindowTimer;

enum Workload : std::int64_t { kYield = 0, kPingPong = 1 };
enum Tracing : std::int64_t { kOff = 0, kRing = 1, kFull = 2, kFullStepStacks = 3 };

weave::Options TracedOptions(Tracing tracing) {
  weave::Options o = BenchOptions(weave::Strategy::RoundRobin(), 1);
  o.trace = tracing == kOff    ? weave::TraceMode::kOff
            : tracing == kRing ? weave::TraceMode::kRing
                               : weave::TraceMode::kFull;
  o.trace_step_stacks = tracing == kFullStepStacks;
  o.detect_races = false;  // the tracer's cost alone
  o.detect_lock_order = false;
  return o;
}

// One run of `steps` steps: two fibers that yield to each other (kYield: a point and a switch per
// step), or hand a token back and forth over two channels (kPingPong: every receive blocks, so
// each round trip also records blocks, wakes, messages and, in full mode, stacks). Returns the
// timed window, which excludes spawning and the end of the run.
Window RunOnce(Workload workload, Tracing tracing, std::int64_t steps, benchmark::State* state) {
  Window window;
  const auto body = [&] {
    if (workload == kYield) {
      auto other = weave::spawn("other", [&] {
        for (std::int64_t i = 0; i < steps / 2; ++i) weave::this_task::yield();
      });
      const WindowTimer timer;
      for (std::int64_t i = 0; i < steps / 2; ++i) weave::this_task::yield();
      window = timer.Stop();
      other.join();
      return;
    }
    weave::channel<int> ping{1, "ping"};
    weave::channel<int> pong{1, "pong"};
    const std::int64_t rounds = steps / 4;  // ~4 steps per round trip
    auto echo = weave::spawn("echo", [&] {
      for (std::int64_t i = 0; i < rounds; ++i) pong.send(*ping.receive());
    });
    const WindowTimer timer;
    for (std::int64_t i = 0; i < rounds; ++i) {
      ping.send(1);
      (void)pong.receive();
    }
    window = timer.Stop();
    echo.join();
  };
  const weave::Result r = weave::explore(TracedOptions(tracing), body);
  if (state != nullptr && Failed(*state, r)) return {};
  return window;
}

// The untraced workload's CPU time per step, best of 5 (the ratios' baseline).
double UntracedCpuNanosPerStep(Workload workload, std::int64_t steps) {
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i < 5; ++i) {
    best = std::min(best, RunOnce(workload, kOff, steps, nullptr).cpu_nanos);
  }
  return best / static_cast<double>(steps);
}

// Args: workload, tracing. Each iteration is one explore() of one run of 20,000 steps.
void BM_TracedStep(benchmark::State& state) {
  const auto workload = static_cast<Workload>(state.range(0));
  const auto tracing = static_cast<Tracing>(state.range(1));
  constexpr std::int64_t kSteps = 20'000;
  Window total;
  for (auto _ : state) {
    const Window w = RunOnce(workload, tracing, kSteps, &state);
    state.SetIterationTime(w.wall_nanos * 1e-9);
    total += w;
  }
  const double steps = static_cast<double>(kSteps) * static_cast<double>(state.iterations());
  const double cpu_per_step = total.cpu_nanos / steps;
  static const double untraced[2] = {UntracedCpuNanosPerStep(kYield, kSteps),
                                     UntracedCpuNanosPerStep(kPingPong, kSteps)};
  state.counters["cpu_ns_per_step"] = cpu_per_step;
  state.counters["x_untraced"] = cpu_per_step / untraced[workload];
  state.counters["allocs_per_step"] = static_cast<double>(total.allocations) / steps;
  state.SetLabel(std::string(workload == kYield ? "yield" : "ping-pong") + ", " +
                 (tracing == kOff    ? "off"
                  : tracing == kRing ? "ring"
                  : tracing == kFull ? "full"
                                     : "full+step stacks"));
}
BENCHMARK(BM_TracedStep)
    ->ArgsProduct({{kYield, kPingPong}, {kOff, kRing, kFull, kFullStepStacks}})
    ->UseManualTime();

// One stack capture (libunwind) and its interning: full mode with a stack at every step minus
// full mode without, on the yield workload (which otherwise captures none).
void BM_StackCapture(benchmark::State& state) {
  constexpr std::int64_t kSteps = 20'000;
  Window with;
  Window without;
  for (auto _ : state) {
    const Window a = RunOnce(kYield, kFullStepStacks, kSteps, &state);
    const Window b = RunOnce(kYield, kFull, kSteps, &state);
    state.SetIterationTime(a.wall_nanos * 1e-9);
    with += a;
    without += b;
  }
  const double steps = static_cast<double>(kSteps) * static_cast<double>(state.iterations());
  const double per_capture = (with.cpu_nanos - without.cpu_nanos) / steps;
  state.counters["cpu_ns_per_stack"] = per_capture;
  state.counters["x_untraced_step"] = per_capture / UntracedCpuNanosPerStep(kYield, kSteps);
}
BENCHMARK(BM_StackCapture)->UseManualTime()->Iterations(5);

// The trace of a 100,000-step ping-pong run (full mode), recorded once per process.
const weave::Trace& HundredThousandStepTrace() {
  static const weave::Trace* trace = [] {
    const std::string dir = (std::filesystem::temp_directory_path() / "weave_trace_bench").string();
    weave::Options o = TracedOptions(kFull);
    o.write_trace = true;
    o.out_dir = dir;
    o.test_name = "TraceBench";
    const auto body = [] {
      weave::channel<int> ping{1, "ping"};
      weave::channel<int> pong{1, "pong"};
      auto echo = weave::spawn("echo", [&] {
        for (int i = 0; i < 25'000; ++i) pong.send(*ping.receive());
      });
      for (int i = 0; i < 25'000; ++i) {
        ping.send(1);
        (void)pong.receive();
      }
      echo.join();
    };
    const weave::Result r = weave::explore(o, body);
    absl::StatusOr<weave::Trace> t = r.trace_paths.empty()
                                         ? absl::NotFoundError(r.trace_write_error)
                                         : weave::ReadTraceFile(r.trace_paths.front());
    if (!t.ok()) {
      std::fprintf(stderr, "trace_bench: no trace: %s\n",
                   std::string(t.status().message()).c_str());
      std::abort();
    }
    return new weave::Trace(std::move(*t));
  }();
  return *trace;
}

// The run itself, untraced: the baseline of the writing figures.
double UntracedRunCpuNanos() {
  static const double nanos = [] {
    double best = std::numeric_limits<double>::infinity();
    for (int i = 0; i < 3; ++i) {
      best = std::min(best, RunOnce(kPingPong, kOff, 100'000, nullptr).cpu_nanos);
    }
    return best;
  }();
  return nanos;
}

// Arg: 0 all four files (WriteTraceFiles), 1 .trace text, 2 Chrome JSON, 3 DOT, 4 HTML, 5 parse.
void BM_Write100kStepTrace(benchmark::State& state) {
  const weave::Trace& trace = HundredThousandStepTrace();
  const std::string base =
      (std::filesystem::temp_directory_path() / "weave_trace_bench" / "written").string();
  const std::string text = weave::FormatTrace(trace);
  std::size_t bytes = 0;
  Window total;
  for (auto _ : state) {
    const WindowTimer timer;
    switch (state.range(0)) {
      case 0: {
        absl::StatusOr<std::vector<std::string>> paths = weave::WriteTraceFiles(trace, base);
        if (!paths.ok()) {
          state.SkipWithError(std::string(paths.status().message()).c_str());
          return;
        }
        bytes = 0;
        for (const std::string& p : *paths) bytes += std::filesystem::file_size(p);
        break;
      }
      case 1:
        bytes = weave::FormatTrace(trace).size();
        break;
      case 2:
        bytes = weave::ToChromeTraceJson(trace).size();
        break;
      case 3:
        bytes = weave::ToDot(trace).size();
        break;
      case 4:
        bytes = weave::ToHtmlReport(trace).size();
        break;
      default: {
        absl::StatusOr<weave::Trace> parsed = weave::ParseTrace(text, "bench.trace");
        if (!parsed.ok()) {
          state.SkipWithError(std::string(parsed.status().message()).c_str());
          return;
        }
        bytes = text.size();
      }
    }
    total += timer.Stop();
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["ms"] = total.wall_nanos / iterations * 1e-6;
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["events"] = static_cast<double>(trace.events.size());
  state.counters["x_run"] = total.cpu_nanos / iterations / UntracedRunCpuNanos();
  static const char* const kLabels[] = {"all four files", ".trace", ".trace.json",
                                        ".dot",           ".html",  "parse .trace"};
  state.SetLabel(kLabels[state.range(0)]);
}
BENCHMARK(BM_Write100kStepTrace)->DenseRange(0, 5)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
