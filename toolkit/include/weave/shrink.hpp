// weave/shrink.hpp: shrinking a failing schedule to fewer preemptions and fewer steps.
//
// A schedule found by a random strategy is mostly noise: dozens of switches between tasks of which
// one or two make the bug. Shrinking looks for a smaller schedule that fails the same way, so that
// replaying it under a debugger shows only what matters. explore() does it automatically after a
// failure (Options::minimize, time-bounded by Options::minimize_time) and writes
// `<out>/<test>.min.schedule` beside the failing schedule; `weave minimize FILE -- TEST_BINARY`
// does it for a schedule file (the binary runs with --weave_minimize_schedule=FILE).
//
//   weave::Options o;
//   o.minimize_schedule = "weave-out/Bank.Transfer.schedule";  // or call weave::minimize()
//   weave::Result r = weave::explore(o, body);                 // writes Bank.Transfer.min.schedule
//
// Smaller means fewer preemptions, then fewer scheduling steps, then smaller choose() answers
// (compared in that order). A preemption is a switch away from a task that could have run on: a
// task decision whose pick differs from the previous pick (the task that reached the scheduling
// point) while that task is among the offered ones. Runnable sets recorded by fingerprint only
// (more than Schedule::kMaxListedSet tasks) count every switch as a preemption.
//
// The same failure: the same FailureKind and the same place. For a data race, the same pair of
// code locations (either order); for a deadlock, the same blocked tasks (by name) waiting in the
// same operations at the same source lines; for any other kind, the same source location
// (Failure::where), or when it is unknown, the same message once numbers other than line numbers
// are dropped. A shrunk schedule is kept only when a fresh run of it, alone, fails that way, and
// the result is replayed once more before it is returned: shrinking never returns a schedule that
// fails differently, or not at all.
//
// Determinism: shrinking runs the body many times (each run alone, tracing off), follows the
// schedules deterministically, and stops at a fixed point or at its time bound; with the same
// bound not reached, the same input gives the same output.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "weave/options.hpp"
#include "weave/result.hpp"
#include "weave/schedule.hpp"

namespace weave {

// How big a schedule is, in the order shrinking minimizes.
struct ScheduleSize {
  std::int64_t preemptions = 0;
  std::int64_t steps = 0;          // task decisions (scheduling steps)
  std::uint64_t choice_total = 0;  // the sum of its choose() answers
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  friend auto operator<=>(const ScheduleSize&, const ScheduleSize&) = default;
};

// Measures `schedule` (see the header comment for what a preemption is).
ScheduleSize MeasureSchedule(const Schedule& schedule);

// Where the minimized form of `schedule_path` goes: "X.schedule" -> "X.min.schedule" (another
// name gets ".min.schedule" appended).
std::string MinSchedulePath(std::string_view schedule_path);

// Shrinks `schedule`, a failing schedule of `body`: replays it (its failure is the Result's, as
// replay() reports it), shrinks it for at most Options::minimize_time, and writes the smallest
// schedule found, even when no smaller one was, to MinSchedulePath(Options::minimize_schedule)
// (or `<out>/<test>.min.schedule` when that is empty). Result::minimization says what it did. A
// schedule that does not fail is an input error; one that replays differently is reported as
// replay() reports it, and nothing is written.
Result minimize(const Options& options, const Schedule& schedule,
                const std::function<void()>& body);

}  // namespace weave
