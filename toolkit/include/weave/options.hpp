// weave/options.hpp: everything that configures an exploration.
//
// One struct; each field documents its default and the flag / environment variable that sets it
// (flags are parsed by weave/flags.hpp; WEAVE_TEST applies them automatically).
//
//   weave::Options o;
//   o.iterations = 5000;
//   weave::Result r = weave::explore(o, [] { /* body */ });
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

#include "weave/strategy.hpp"
#include "weave/trace.hpp"

namespace weave {

struct Options {
  // How many schedules to explore at most. --weave_iterations / WEAVE_ITERATIONS. Default 1000.
  std::int64_t iterations = 1000;
  // Seed of the random strategies; run i of an exploration uses a seed derived from (seed, i).
  // --weave_seed / WEAVE_SEED. Default 1.
  std::uint64_t seed = 1;
  // Which strategy picks the schedules. --weave_strategy / WEAVE_STRATEGY ("portfolio",
  // "random", "pct:3", "pos", "cpos", "urw", "surw", "dfs:2", "rr"; see weave/strategy.hpp).
  // Default: the portfolio.
  Strategy strategy = Strategy::Portfolio();
  // When non-empty, replay this schedule file once instead of exploring.
  // --weave_replay / WEAVE_REPLAY.
  std::string replay_file;
  // Where failing schedules are written. --weave_out / WEAVE_OUT. Default "weave-out".
  std::string out_dir = "weave-out";
  // Sharding: this process explores shard `shard_index` of `shard_count` (0-based): its share of
  // the iterations (iterations / shard_count, the first iterations % shard_count shards one
  // more), with a seed derived from (seed, shard_index), so that the shards sample different
  // schedules and together run `iterations`. A bounded exhaustive search (dfs) is not split: shard
  // 0 runs it whole and the other shards run nothing. --weave_shard / WEAVE_SHARD ("I/N"); under
  // weave/gtest.hpp, GoogleTest's GTEST_SHARD_INDEX / GTEST_TOTAL_SHARDS set it (see README).
  // Default: 0 of 1.
  std::int64_t shard_index = 0;
  std::int64_t shard_count = 1;
  // Stop exploring (without failing) once this much wall time has passed; only bounds how many
  // schedules are tried, never what a schedule does. --weave_time_budget / WEAVE_TIME_BUDGET
  // (e.g. "30s"). Default: no budget.
  absl::Duration time_budget = absl::InfiniteDuration();
  // Scheduling steps allowed per run before it is reported as a livelock or runaway task.
  // --weave_max_steps / WEAVE_MAX_STEPS. Default 100000.
  std::int64_t max_steps = 100000;
  // Stack size of each fiber task in bytes (a guard page is added below it).
  // --weave_stack_size / WEAVE_STACK_SIZE (accepts K and M suffixes). Default 256 KiB.
  std::size_t stack_size = std::size_t{256} * 1024;
  // Let condition_variable waits return spuriously (explored as a choice).
  // --weave_spurious_wakeups / WEAVE_SPURIOUS_WAKEUPS. Default false.
  bool spurious_wakeups = false;
  // Coroutine tasks run as on a single-threaded event loop (an io_context): the code between two
  // co_awaits is never interleaved with other tasks, so its shared<T> accesses, atomics and
  // unlocks are not scheduling points for it. Every co_await still is. Off by default: coroutine
  // tasks interleave like tasks of a multi-threaded executor. Fibers and the body are unaffected.
  // --weave_event_loop / WEAVE_EVENT_LOOP. Default false.
  bool event_loop = false;
  // Fair scheduling: a task that yields (weave::this_task::yield(), or a sleep for no time) twice
  // without another task running in between sits out until every other runnable task has run, so
  // spin loops around yield() terminate under every strategy (PCT's and POS's priorities would
  // otherwise starve the task they wait for), and max_steps catches only real livelocks. A first
  // yield is a plain scheduling point: the task may still run straight on. Recorded in schedules.
  // --weave_fair / WEAVE_FAIR. Default true.
  bool fair = true;
  // Wall time a task may run without reaching a scheduling point before the run is reported as a
  // stall (a real blocking call such as std::this_thread::sleep_for or a socket read, or a busy
  // loop: weave cannot interleave anything meanwhile). It warns on stderr as soon as it notices
  // and reports a stall at the task's next scheduling point; a weave::thread that holds the baton
  // is interrupted instead (SIGURG): the run ends at once and its OS thread is left behind. It
  // never changes the schedule of a run that does not stall. --weave_watchdog / WEAVE_WATCHDOG
  // (e.g. "5s"; 0 disables). Default 2s.
  absl::Duration watchdog = absl::Seconds(2);
  // Print a progress line every this often during long explorations (0 disables): schedules
  // run, distinct schedules, schedules per second, failures. On a terminal the line is redrawn
  // in place (at most every second) and erased at the end. --weave_progress / WEAVE_PROGRESS.
  // Default 10s.
  absl::Duration progress_interval = absl::Seconds(10);
  // Report data races: two accesses to a weave::shared<T> (or to memory annotated with
  // weave::read / weave::write), at least one a write, that no synchronization orders
  // (happens-before, vector clocks). A race fails the schedule in which it first occurs.
  // --weave_detect_races / WEAVE_DETECT_RACES. Default true.
  bool detect_races = true;
  // Report lock-order inversions (potential deadlocks): locks taken in orders that form a cycle,
  // over every run of the exploration, unless a common gate lock is held around them.
  // --weave_detect_lock_order / WEAVE_DETECT_LOCK_ORDER. Default true.
  bool detect_lock_order = true;
  // Races and lock-order inversions not to report. An entry matches a variable or lock by its
  // name, or a function by its qualified name or a trailing part of it ("Cache::get" matches
  // "app::Cache::get(int)"): for a race, a function on the later access's stack or the function
  // that made the earlier access; for an inversion, a function on any acquisition's stack.
  // --weave_suppress / WEAVE_SUPPRESS: a comma-separated list. Default empty.
  std::vector<std::string> suppressions;
  // Survey mode: a data race does not stop the schedule or the exploration; every distinct race
  // (by its pair of code locations) is reported once, with its own schedule file, and the result
  // lists them in a table. Other failures still stop as usual.
  // --weave_survey / WEAVE_SURVEY. Default false.
  bool survey = false;
  // What the event log of each run keeps (weave/trace.hpp): kRing, the last trace_ring_events
  // events (cheap: exploration's default); kFull, every event plus a stack at every blocking point
  // and failure; kOff, nothing. When a schedule fails, it is replayed once with a full trace, and
  // NAME.trace, NAME.trace.json (Perfetto), NAME.dot and NAME.html are written beside its schedule
  // file (the exploration's ring is written instead if that replay does not fail the same way).
  // Replays always trace in full unless this is kOff. --weave_trace / WEAVE_TRACE
  // ("off", "ring", "full"). Default kRing.
  TraceMode trace = TraceMode::kRing;
  // Ring mode: how many events the ring keeps. --weave_trace_ring / WEAVE_TRACE_RING.
  // Default 10000.
  std::int64_t trace_ring_events = 10000;
  // Full mode: also capture a stack at every scheduling point, not only where tasks block and
  // fail (costly: ~1 µs per step). --weave_trace_step_stacks / WEAVE_TRACE_STEP_STACKS.
  // Default false.
  bool trace_step_stacks = false;
  // Write the trace files even when no schedule fails: a replay writes them beside its schedule
  // file, an exploration writes the trace of its last schedule where a failing one would go.
  // --weave_write_trace / WEAVE_WRITE_TRACE. Default false.
  bool write_trace = false;
  // The name used for files and replay commands, "Suite.Name" under WEAVE_TEST. When empty,
  // explore() uses "weave".
  std::string test_name;
  // Shrinking (weave/shrink.hpp): after a schedule fails and is written, look for a smaller one
  // (fewer preemptions, then fewer steps) that fails the same way, and write it as
  // `<out>/<test>.min.schedule` with its own replay command; the failing schedule, its file and
  // the report are left as they are. Costs up to minimize_time of extra runs per failing test.
  // --weave_minimize / WEAVE_MINIMIZE. Default true.
  bool minimize = true;
  // Wall time shrinking may take (0 turns the automatic pass off). A run that is under way when
  // it ends is finished first. --weave_minimize_time / WEAVE_MINIMIZE_TIME (e.g. "30s"). Default
  // 10s.
  absl::Duration minimize_time = absl::Seconds(10);
  // When non-empty, shrink this failing schedule file instead of exploring, and write it as
  // FILE's name with ".min.schedule" (what `weave minimize` runs a test binary with).
  // --weave_minimize_schedule / WEAVE_MINIMIZE_SCHEDULE.
  std::string minimize_schedule;
};

}  // namespace weave
