// Internal: the shrinker behind Options::minimize, weave::minimize and `weave minimize`
// (weave/shrink.hpp says what it promises).
//
// It runs candidate schedules through a GuidedStrategy (strategies.hpp): a plan of decisions that
// it follows where they fit and past which it schedules without preempting. Each candidate runs
// alone in a fresh Simulation (so that a lock-order graph of earlier runs cannot make or hide a
// failure), with tracing off, under a replaying CrashGuard (a crash while shrinking leaves the
// failing schedule's file alone). A candidate is kept when it fails the same way (FailureIdentity)
// and its recording is smaller (ScheduleSize); the recording, not the plan, becomes the next
// starting point, so every kept schedule is one the program actually ran.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "internal/simulation.hpp"

#include "weave/failure.hpp"
#include "weave/options.hpp"
#include "weave/result.hpp"
#include "weave/schedule.hpp"
#include "weave/shrink.hpp"

namespace weave::detail {

// What makes two failures "the same" for shrinking (see weave/shrink.hpp): a string to compare.
// `race` is the run's race report, for a data race.
std::string FailureIdentity(const Failure& failure, const std::optional<RaceReport>& race);

struct ShrinkOutcome {
  // The smallest schedule found that fails the same way, with the input's header and the
  // failure kind and message of its own run. The input's own recording when nothing smaller
  // was found. Empty (and `skipped` set) when shrinking did not start.
  Schedule schedule;
  std::optional<Failure> failure;  // its failure
  ScheduleSize before;             // the input's size
  ScheduleSize after;              // the output's
  std::int64_t runs = 0;
  absl::Duration wall_time;
  bool stopped_by_time_bound = false;
  // Why shrinking did not start: a stall or crash (not re-run in-process), a nondeterminism
  // report, or a schedule that does not fail the same way when run alone.
  std::string skipped;
};

// Shrinks `failing` (a schedule of `body` that failed with `kind`) for at most `time_bound`.
// `options` are the exploration's (the schedule's own header decides max_steps, spurious wakeups,
// event loop and fairness, as in a replay); `schedule_path` is the failing schedule's file, named
// in a crash report.
ShrinkOutcome ShrinkSchedule(const Options& options, const Schedule& failing, FailureKind kind,
                             const std::function<void()>& body, absl::Duration time_bound,
                             const std::string& schedule_path);

// explore()'s automatic pass, after `result`'s failing schedule was written to
// result.schedule_path: shrinks it (Options::minimize_time), writes the smaller schedule as
// MinSchedulePath(result.schedule_path) and fills result.minimization (the replay command is
// the caller's). A stale .min.schedule of an earlier failure is removed when none is written.
// Never changes the failing schedule, its file or the failure.
void MinimizeFailure(const Options& options, const std::function<void()>& body, Result& result);

// Writes `outcome` as `path` and fills `m` from it (the replay command is the caller's).
void WriteMinimized(const ShrinkOutcome& outcome, const std::string& path, Minimization& m);

}  // namespace weave::detail
