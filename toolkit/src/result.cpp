#include "weave/result.hpp"

#include <algorithm>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "internal/strings.hpp"

namespace weave {

namespace {
std::string FormatVirtualTime(std::int64_t ns) {
  return ns == 0 ? "0s" : absl::FormatDuration(absl::Nanoseconds(ns));
}

// Wall time, readable at every scale: 80us, 3.4ms, 1.25s.
std::string FormatElapsed(absl::Duration d) {
  const double us = absl::ToDoubleMicroseconds(d);
  if (us < 1000) return absl::StrFormat("%.0fus", us);
  if (us < 1e6) return absl::StrFormat("%.1fms", us / 1000);
  return absl::StrFormat("%.2fs", us / 1e6);
}

std::string Plural(std::int64_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const StackFrame& frame) {
  os << (frame.function.empty() ? "?" : frame.function);
  if (frame.where.known()) os << " at " << frame.where.file << ":" << frame.where.line;
  return os;
}

std::ostream& operator<<(std::ostream& os, const std::vector<StackFrame>& stack) {
  for (std::size_t i = 0; i < stack.size(); ++i) os << "#" << i << " " << stack[i] << "\n";
  return os;
}

std::ostream& operator<<(std::ostream& os, const Failure& f) {
  // The message is one line: a line break of the user's shows as \n.
  os << "weave: failure: " << FailureKindName(f.kind) << ": "
     << detail::EscapeControlCharacters(f.message) << "\n";
  os << "  at step " << f.step << ", virtual time " << FormatVirtualTime(f.time_ns);
  if (f.task != kNoTask) {
    os << ", in task " << f.task << " '" << detail::EscapeControlCharacters(f.task_name) << "'";
  }
  if (f.where.known()) os << ", at " << f.where.file << ":" << f.where.line;
  os << "\n";
  if (!f.details.empty()) {
    for (absl::string_view line : absl::StrSplit(f.details, '\n')) os << "  " << line << "\n";
  }
  if (!f.tasks.empty()) {
    std::size_t width = 0;
    for (const TaskSnapshot& t : f.tasks) {
      width = std::max(
          width, absl::StrCat(t.id, " '", detail::EscapeControlCharacters(t.name), "'").size());
    }
    os << "  tasks:\n";
    for (const TaskSnapshot& t : f.tasks) {
      std::string label = absl::StrCat(t.id, " '", detail::EscapeControlCharacters(t.name), "'");
      label.resize(width, ' ');
      os << "    " << label << "  " << t.state;
      // What a runnable task did last; blocked and finished tasks already say what they do.
      if (absl::StartsWith(t.state, "run")) os << "; last: " << t.last_operation;
      os << "\n";
      for (std::size_t i = 0; i < t.stack.size(); ++i) {
        os << "      #" << i << " " << t.stack[i] << "\n";
      }
    }
  }
  return os;
}

std::string Result::Summary() const {
  const std::string elapsed = FormatElapsed(wall_time);
  const std::string prefix =
      test_name.empty() ? "weave: "
                        : absl::StrCat("weave: ", detail::EscapeControlCharacters(test_name), ": ");
  if (!input_error.ok()) return absl::StrCat(prefix, "cannot run: ", input_error.message());
  if (replayed) {
    return absl::StrCat(prefix, "replayed ",
                        Plural(static_cast<std::int64_t>(schedule.size()), "recorded decision",
                               "recorded decisions"),
                        " in ", elapsed, ": ", ok() ? "no failure" : "failure reproduced");
  }
  // "strategy pct:3, seed 1, shard 2/4, 812 distinct, 34000 steps"
  const std::string shard =
      shard_count > 1 ? absl::StrCat(", shard ", shard_index, "/", shard_count) : "";
  const std::string runs =
      absl::StrCat(distinct_schedules > 0 && distinct_schedules < schedules
                       ? absl::StrCat(", ", distinct_schedules_estimated ? "~" : "",
                                      distinct_schedules, " distinct")
                       : "",
                   ", ", Plural(total_steps, "step", "steps"));
  if (ok() && exhausted && !strategy_summary.empty()) {
    // "explored all 12 schedules with at most 2 deviations from the default order (strategy dfs:2,
    // 340 steps) ..."
    return absl::StrCat(prefix, strategy_summary, " (strategy ", strategy, shard, ", ",
                        Plural(total_steps, "step", "steps"), ") in ", elapsed, ": no failure");
  }
  if (ok() && !strategy_summary.empty()) {
    // An exhaustive search that something stopped: say so, lest "no failure" read as a proof.
    return absl::StrCat(
        prefix, "explored ", Plural(schedules, "schedule", "schedules"), " (strategy ", strategy,
        ", ",
        stopped_by_time_budget ? "not exhaustive: the time budget stopped it" : strategy_summary,
        "; seed ", seed, shard, runs, ") in ", elapsed, ": no failure");
  }
  if (ok()) {
    return absl::StrCat(prefix, "explored ", Plural(schedules, "schedule", "schedules"),
                        " (strategy ", strategy, ", seed ", seed, shard, runs, ") in ", elapsed,
                        stopped_by_time_budget ? " (stopped by the time budget)" : "",
                        ": no failure");
  }
  if (!survey.empty() && failure_->kind == FailureKind::kDataRace) {
    return absl::StrCat(prefix, "explored ", Plural(schedules, "schedule", "schedules"),
                        " (strategy ", strategy, ", seed ", seed, shard, ") in ", elapsed, ": ",
                        Plural(static_cast<std::int64_t>(survey.size()), "distinct data race",
                               "distinct data races"),
                        " (survey), the first in schedule ", failing_iteration + 1);
  }
  return absl::StrCat(prefix, "schedule ", failing_iteration + 1, " of the ", schedules,
                      " explored failed (strategy ", strategy, ", seed ", seed, shard, ") after ",
                      elapsed);
}

void PrintTraceFiles(std::ostream& os, const Result& r) {
  if (!r.trace_write_error.empty()) {
    os << "weave: could not write the trace: " << r.trace_write_error << "\n";
  }
  if (r.trace_paths.empty()) return;
  const std::string& trace = r.trace_paths.front();
  os << "weave: trace written to " << trace;
  for (std::size_t i = 1; i < r.trace_paths.size(); ++i) os << ", " << r.trace_paths[i];
  os << "\nweave: look at it with: weave show " << trace << "  (or weave html " << trace
     << " -o report.html; the .trace.json opens in ui.perfetto.dev)\n";
}

namespace {
void PrintResult(std::ostream& os, const Result& r) {
  os << r.Summary() << "\n";
  if (r.ok() && !r.trace_paths.empty()) PrintTraceFiles(os, r);
  if (r.ok() || !r.input_error.ok()) return;
  os << r.failure();
  if (!r.schedule_path.empty()) {
    if (!r.replayed) os << "weave: schedule written to " << r.schedule_path << "\n";
    if (!r.replay_command.empty()) os << "weave: replay with: " << r.replay_command << "\n";
  } else if (!r.schedule_write_error.empty()) {
    os << "weave: could not write the schedule: " << r.schedule_write_error << "\n";
  }
  PrintMinimization(os, r);
  PrintTraceFiles(os, r);
  if (!r.survey.empty()) PrintSurveyTable(os, r);
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Result& r) {
  // Names and messages are the user's: nothing in them may drive the terminal.
  std::ostringstream text;
  PrintResult(text, r);
  return os << detail::EscapeControlCharacters(text.str(), "\n\t");
}

void PrintMinimization(std::ostream& os, const Result& r) {
  if (!r.minimization) return;
  const Minimization& m = *r.minimization;
  if (m.schedule_path.empty()) {
    if (!m.note.empty()) os << "weave: minimize: " << m.note << "\n";
    return;
  }
  os << "weave: minimized: " << m.preemptions_before << " -> " << m.preemptions_after
     << " preemptions, " << m.steps_before << " -> " << m.steps_after << " steps ("
     << Plural(m.runs, "run", "runs") << " in " << FormatElapsed(m.wall_time)
     << (m.stopped_by_time_bound ? ", stopped by the time bound" : "") << "): " << m.schedule_path
     << "\n";
  if (!m.replay_command.empty()) {
    os << "weave: replay the minimized schedule with: " << m.replay_command << "\n";
  }
}

void PrintSurveyTable(std::ostream& os, const Result& r) {
  os << "weave: survey: "
     << Plural(static_cast<std::int64_t>(r.survey.size()), "distinct data race",
               "distinct data races")
     << " in " << Plural(r.schedules, "schedule", "schedules") << "\n";
  // Columns sized to their widest cell, so the table stays readable whatever the names.
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"#", "runs", "variable", "accesses", "first seen", "schedule file"});
  for (std::size_t i = 0; i < r.survey.size(); ++i) {
    const SurveyedRace& race = r.survey[i];
    const std::string& message = race.failure.message;
    // "data race on VARIABLE: ..." -> VARIABLE
    std::string variable = message;
    if (absl::StartsWith(variable, "data race on ")) variable = variable.substr(13);
    variable = variable.substr(0, variable.find(": "));
    // File names without their directories: the report above has the full paths.
    auto base = [](const std::string& location) {
      const std::size_t slash = location.rfind('/');
      return slash == std::string::npos ? location : location.substr(slash + 1);
    };
    rows.push_back({absl::StrCat(i + 1), absl::StrCat(race.runs), variable,
                    absl::StrCat(base(race.earlier_location), " / ", base(race.later_location)),
                    absl::StrCat("schedule ", race.iteration + 1), race.schedule_path});
  }
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    std::string line = "  ";
    for (std::size_t c = 0; c < row.size(); ++c) {
      std::string cell = row[c];
      if (c + 1 < row.size()) cell.resize(width[c] + 2, ' ');
      absl::StrAppend(&line, cell);
    }
    os << line << "\n";
  }
}

}  // namespace weave
