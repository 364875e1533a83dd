// weave/result.hpp: the outcome of an exploration.
//
// `explore()` returns a Result: whether every schedule passed, how many ran, and for the first
// failing schedule the failure, the schedule file it was written to and the command that replays
// it. Printing a Result prints all of that.
//
//   weave::Result r = weave::explore(options, body);
//   EXPECT_TRUE(r.ok()) << r;
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "weave/failure.hpp"
#include "weave/schedule.hpp"

namespace weave {

// One distinct data race found in survey mode (Options::survey).
struct SurveyedRace {
  Failure failure;              // the full report, as a stopping race would give it
  std::int64_t iteration = -1;  // the schedule in which it was first seen
  std::int64_t runs = 0;        // how many schedules showed it
  std::string schedule_path;    // that schedule, written as <name>.race-<n>.schedule
  std::string replay_command;
  std::string earlier_location;  // "file:line" of each access (or the function, without
  std::string later_location;    //  debug info), for the summary table
};

// What shrinking a failing schedule did (Options::minimize, weave::minimize; weave/shrink.hpp).
struct Minimization {
  std::int64_t preemptions_before = 0;
  std::int64_t steps_before = 0;
  std::int64_t preemptions_after = 0;
  std::int64_t steps_after = 0;
  std::int64_t runs = 0;  // runs of the body it made
  absl::Duration wall_time;
  bool stopped_by_time_bound = false;  // Options::minimize_time ended it before a fixed point
  std::string schedule_path;           // the .min.schedule written ("" when none was)
  std::string replay_command;          // a shell command that replays it
  // When none was written: why (already minimal, a failure kind that is not shrunk, a schedule
  // that does not fail the same way when run alone), or the write error.
  std::string note;
};

class Result {
 public:
  // True when no schedule failed and the inputs (replay file, options) were valid.
  bool ok() const { return !failure_.has_value() && input_error.ok(); }
  const Failure& failure() const { return *failure_; }
  const std::optional<Failure>& maybe_failure() const { return failure_; }

  // Set when exploration could not start: e.g. the replay file is missing or malformed
  // ("FILE:LINE: expected ...") or was recorded for another test.
  absl::Status input_error;
  std::string test_name;
  std::string strategy;
  std::uint64_t seed = 0;
  std::int64_t schedules = 0;  // runs completed (including the failing one)
  // Of those, how many made different decisions (by a hash of their decisions): exact up to
  // 65,536, beyond that an estimate within about 2% (distinct_schedules_estimated), so that the
  // count's memory stays fixed however many schedules run.
  std::int64_t distinct_schedules = 0;
  bool distinct_schedules_estimated = false;
  // Options::shard_index and shard_count of the exploration.
  std::int64_t shard_index = 0;
  std::int64_t shard_count = 1;
  std::int64_t total_steps = 0;         // scheduling steps over all runs
  bool replayed = false;                // this was a replay of one recorded schedule
  bool stopped_by_time_budget = false;  // the time budget ended exploration early
  absl::Duration wall_time;
  // The strategy ran every schedule it covers (a bounded exhaustive search, dfs:B, that ended by
  // itself): "no failure" is then a proof within its bound. See SchedulingStrategy::Exhausted.
  bool exhausted = false;
  // The strategy's own account (SchedulingStrategy::Summary), e.g. "explored all 12 schedules
  // with at most 2 deviations from the default order" or "not exhaustive: ..."; empty for the
  // sampling strategies.
  std::string strategy_summary;
  // Set when a schedule failed:
  std::int64_t failing_iteration = -1;
  Schedule schedule;                 // the failing run's decisions
  std::string schedule_path;         // where it was written ("" if writing failed)
  std::string schedule_write_error;  // why writing failed, if it did
  std::string replay_command;        // a shell command that replays it
  // The trace files written for it (Options::trace): NAME.trace first, then its exports; and
  // why writing them failed, if it did. Also set when Options::write_trace asked for them.
  std::vector<std::string> trace_paths;
  std::string trace_write_error;

  // Set when a failing schedule was shrunk or shrinking was attempted (Options::minimize).
  std::optional<Minimization> minimization;

  // Survey mode: every distinct race, in the order found. The first one is also failure().
  std::vector<SurveyedRace> survey;

  void set_failure(Failure f) {
    failure_ = std::move(f);
  }  // NOLINT(performance-unnecessary-value-param)

  // One line: "explored 1000 schedules ... : no failure" or "... : deadlock: ...".
  std::string Summary() const;

 private:
  std::optional<Failure> failure_;
};

// Prints the summary and, on failure, the full report, the schedule path and the replay command.
std::ostream& operator<<(std::ostream& os, const Result& result);
// Prints where the trace files were written and how to look at them (operator<< includes it).
void PrintTraceFiles(std::ostream& os, const Result& result);
// Prints what shrinking did: before and after, the .min.schedule and its replay command, or why
// none was written (operator<< includes it).
void PrintMinimization(std::ostream& os, const Result& result);
// Prints the survey table of `result` (one line per distinct race); operator<< includes it.
void PrintSurveyTable(std::ostream& os, const Result& result);

}  // namespace weave
