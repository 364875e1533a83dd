#include "weave/shrink.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "internal/crash_guard.hpp"
#include "internal/shrink.hpp"
#include "internal/strategies.hpp"
#include "internal/strings.hpp"

namespace weave {

namespace {

// One task decision of a schedule, as shrinking sees it.
struct TaskStep {
  std::size_t index = 0;    // into the schedule's decisions
  TaskId current = 0;       // the task that reached the scheduling point (the previous pick)
  bool preemption = false;  // the pick switched away from `current` while it could run on
  // What the guided strategy does by itself here: `current` if offered, else the lowest offered
  // id; kNoTask when the set was recorded by fingerprint only.
  TaskId fallback = kNoTask;
};

std::vector<TaskStep> TaskSteps(const Schedule& s) {
  std::vector<TaskStep> steps;
  TaskId previous = 0;  // the body, task 0, reaches the first scheduling point
  for (std::size_t i = 0; i < s.size(); ++i) {
    const Decision& d = s.decision(i);
    if (d.kind != Decision::Kind::kTask) continue;
    TaskStep step;
    step.index = i;
    step.current = previous;
    const auto picked = static_cast<TaskId>(d.value);
    if (Schedule::Listed(d)) {
      const std::span<const TaskId> offered = s.runnable(d);
      const bool current_offered = std::binary_search(offered.begin(), offered.end(), previous);
      step.preemption = picked != previous && current_offered;
      step.fallback = current_offered ? previous : offered.empty() ? kNoTask : offered[0];
    } else {
      step.preemption = picked != previous;  // membership unknown: count every switch
    }
    steps.push_back(step);
    previous = picked;
  }
  return steps;
}

// A maximal run of decisions made while one task runs: its task decisions all pick `task`, and
// the choices among them are that task's.
struct Segment {
  std::size_t begin = 0;  // decision indices [begin, end)
  std::size_t end = 0;
  TaskId task = kNoTask;
};

std::vector<Segment> Segments(const Schedule& s) {
  std::vector<Segment> segments;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const Decision& d = s.decision(i);
    const bool task = d.kind == Decision::Kind::kTask;
    if (segments.empty() || (task && segments.back().task != kNoTask &&
                             segments.back().task != static_cast<TaskId>(d.value))) {
      segments.push_back({i, i, kNoTask});
    }
    Segment& current = segments.back();
    current.end = i + 1;
    if (task) current.task = static_cast<TaskId>(d.value);
  }
  return segments;
}

}  // namespace

ScheduleSize MeasureSchedule(const Schedule& schedule) {
  ScheduleSize size;
  for (const TaskStep& step : TaskSteps(schedule)) {
    ++size.steps;
    if (step.preemption) ++size.preemptions;
  }
  for (std::size_t i = 0; i < schedule.size(); ++i) {
    const Decision& d = schedule.decision(i);
    if (d.kind == Decision::Kind::kChoice) size.choice_total += d.value;
  }
  return size;
}

std::string MinSchedulePath(std::string_view schedule_path) {
  std::string path(schedule_path);
  constexpr std::string_view kMin = ".min.schedule";
  constexpr std::string_view kPlain = ".schedule";
  if (path.ends_with(kMin)) return path;  // shrinking a shrunk schedule again replaces it
  if (path.ends_with(kPlain)) path.resize(path.size() - kPlain.size());
  return absl::StrCat(path, detail::AV(kMin));
}

namespace detail {

namespace {

// `text` with every run of digits replaced by '#', except a line number (digits after ':'):
// task ids, object numbers, steps and counts vary between schedules of one failure.
std::string WithoutNumbers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      out += text[i++];
      continue;
    }
    const bool line_number = i > 0 && text[i - 1] == ':';
    const std::size_t start = i;
    while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (line_number) {
      out.append(text.substr(start, i - start));
    } else {
      out += '#';
    }
  }
  return out;
}

std::string Where(const SourcePosition& where) {
  return where.known() ? absl::StrCat(where.file, ":", where.line) : std::string();
}

}  // namespace

std::string FailureIdentity(const Failure& failure, const std::optional<RaceReport>& race) {
  std::string identity(AV(FailureKindName(failure.kind)));
  switch (failure.kind) {
    case FailureKind::kDataRace:
      // The unordered pair of code locations (RaceReport::key), whichever access came first.
      absl::StrAppend(
          &identity, "|",
          race ? race->key
               : absl::StrCat(Where(failure.where), "|", WithoutNumbers(failure.message)));
      return identity;
    case FailureKind::kDeadlock: {
      // Who waits where: each blocked task's state names the task, the operation, the object and
      // the source line; the set (sorted) is the deadlock, whatever the ids and steps.
      std::vector<std::string> blocked;
      for (const TaskSnapshot& t : failure.tasks) {
        if (absl::StartsWith(t.state, "blocked") || absl::StartsWith(t.state, "sleeping")) {
          blocked.push_back(WithoutNumbers(absl::StrCat("'", t.name, "' ", t.state)));
        }
      }
      std::sort(blocked.begin(), blocked.end());
      absl::StrAppend(&identity, "|", Where(failure.where), "|", absl::StrJoin(blocked, "\n"));
      return identity;
    }
    case FailureKind::kPotentialDeadlock:
      // The locks of the cycle (the message names them) and where the cycle closed.
      absl::StrAppend(&identity, "|", Where(failure.where), "|", WithoutNumbers(failure.message));
      return identity;
    default:
      absl::StrAppend(
          &identity, "|",
          failure.where.known() ? Where(failure.where) : WithoutNumbers(failure.message));
      return identity;
  }
}

namespace {

// Copies `decisions`' decisions after `header`'s header fields.
Schedule WithHeader(const Schedule& header, const Schedule& decisions) {
  Schedule out = header;
  out.Clear();
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const Decision& d = decisions.decision(i);
    if (d.kind == Decision::Kind::kChoice) {
      out.AddChoiceDecision(d.value, d.bound);
    } else if (Schedule::Listed(d)) {
      out.AddTaskDecision(static_cast<TaskId>(d.value), RunnableSet(decisions.runnable(d)));
    } else {
      out.AddSummarizedTaskDecision(static_cast<TaskId>(d.value), d.bound,
                                    decisions.fingerprint(d));
    }
  }
  return out;
}

std::vector<Decision> PlanOf(const Schedule& s) {
  std::vector<Decision> plan;
  plan.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) plan.push_back(s.decision(i));
  return plan;
}

// One run of a candidate: what it recorded and how it failed.
struct Attempt {
  Schedule recorded;
  std::optional<Failure> failure;
  std::string identity;  // FailureIdentity, when it failed
};

class Shrinker {
 public:
  Shrinker(Options options, const Schedule& failing, const std::function<void()>& body,
           const std::string& schedule_path, absl::Time deadline)
      : options_(std::move(options)),
        failing_(failing),
        body_(body),
        schedule_path_(schedule_path),
        deadline_(deadline) {
    // As a replay runs it: the schedule's header decides what changes the schedule itself.
    options_.max_steps = failing.max_steps;
    options_.spurious_wakeups = failing.spurious_wakeups;
    options_.event_loop = failing.event_loop;
    options_.fair = failing.fair;
    options_.survey = false;
    options_.trace = TraceMode::kOff;
    // detect_lock_order stays as the exploration ran: a candidate that reports an inversion
    // first fails differently and is dropped, and one run alone cannot see an inversion that
    // spans runs (the baseline then does not fail the same way, and nothing is shrunk).
  }

  // Runs the failing schedule itself; false (with `why`) when it does not fail with `kind`.
  bool Baseline(FailureKind kind, std::string& why) {
    Attempt a = RunPlan(PlanOf(failing_));
    if (!a.failure || a.failure->kind != kind) {
      why = absl::StrCat(
          "the schedule does not fail the same way when run alone (",
          a.failure ? absl::StrCat(AV(FailureKindName(a.failure->kind)), ": ", a.failure->message)
                    : std::string("no failure"),
          kind == FailureKind::kPotentialDeadlock
              ? "; a lock-order inversion formed over several runs needs all of them)"
              : ")");
      return false;
    }
    kind_ = kind;
    identity_ = std::move(a.identity);
    best_size_ = MeasureSchedule(a.recorded);
    best_ = std::move(a.recorded);
    best_failure_ = std::move(a.failure);
    baseline_ = best_;
    return true;
  }

  // Shrinks to a fixed point of every move, or until the deadline.
  void Run() {
    bool improved = true;
    while (improved && !timed_out_) {
      improved = false;
      improved |= Truncate();
      improved |= RemovePreemptions();
      improved |= SwapSegments();
      improved |= LowerChoices();
      // A livelock runs max_steps steps whatever the schedule: only its preemptions and choices
      // can shrink, and each run is long.
      if (kind_ == FailureKind::kLivelock) continue;
      improved |= TakeFallbacks();
      improved |= DeleteBlocks();
    }
  }

  // Replays the result exactly (a ReplayStrategy, which checks every step) and falls back to the
  // baseline if it does not fail the same way: the promise is checked, not assumed.
  void Verify() {
    if (best_size_ == MeasureSchedule(baseline_)) return;
    ReplayStrategy replayer(best_);
    Simulation sim(options_, replayer);
    CrashGuard guard(options_, best_, schedule_path_, "", /*replaying=*/true);
    guard.BeginRun(failing_.iteration, sim);
    sim.set_crash_guard(&guard);
    replayer.BeginRun();
    std::optional<Failure> failure = sim.Run(body_);
    std::optional<RaceReport> race = sim.TakeRace();
    ++runs_;
    if (failure && FailureIdentity(*failure, race) == identity_) {
      best_failure_ = std::move(failure);
      return;
    }
    best_ = baseline_;
    best_size_ = MeasureSchedule(best_);
  }

  const Schedule& best() const { return best_; }
  const std::optional<Failure>& best_failure() const { return best_failure_; }
  ScheduleSize best_size() const { return best_size_; }
  std::int64_t runs() const { return runs_; }
  bool timed_out() const { return timed_out_; }

 private:
  Attempt RunPlan(const std::vector<Decision>& plan) {
    Attempt a;
    RecordingStrategy<GuidedStrategy> strategy(a.recorded, plan);
    Simulation sim(options_, strategy);
    // A crash here must not overwrite the failing schedule's file with this candidate.
    CrashGuard guard(options_, a.recorded, schedule_path_, "", /*replaying=*/true);
    guard.BeginRun(failing_.iteration, sim);
    sim.set_crash_guard(&guard);
    strategy.BeginRun();
    a.failure = sim.Run(body_);
    std::optional<RaceReport> race = sim.TakeRace();
    if (a.failure) a.identity = FailureIdentity(*a.failure, race);
    ++runs_;
    return a;
  }

  // Runs `plan`; keeps its recording when it fails the same way and is smaller.
  bool Try(const std::vector<Decision>& plan) {
    if (timed_out_ || absl::Now() >= deadline_) {
      timed_out_ = true;
      return false;
    }
    Attempt a = RunPlan(plan);
    if (!a.failure || a.identity != identity_) return false;
    const ScheduleSize size = MeasureSchedule(a.recorded);
    if (size >= best_size_) return false;
    best_ = std::move(a.recorded);
    best_size_ = size;
    best_failure_ = std::move(a.failure);
    return true;
  }

  // Cuts the schedule after its last preemption: the guided strategy finishes the run without
  // preempting (and takes the lowest task where the recording took another).
  bool Truncate() {
    std::size_t keep = 0;
    for (const TaskStep& step : TaskSteps(best_)) {
      if (step.preemption) keep = step.index + 1;
    }
    if (keep >= best_.size()) return false;
    std::vector<Decision> plan = PlanOf(best_);
    plan.resize(keep);
    return Try(plan);
  }

  // Each preemption in turn: let the preempted task run on until it blocks or finishes and then
  // follow the rest of the schedule; or let it run one more step and follow the rest where it
  // fits; or stop following the schedule there.
  bool RemovePreemptions() {
    bool any = false;
    for (std::size_t k = 0; !timed_out_;) {
      std::vector<TaskStep> preemptions;
      for (const TaskStep& step : TaskSteps(best_)) {
        if (step.preemption) preemptions.push_back(step);
      }
      if (k >= preemptions.size()) break;
      const TaskStep& p = preemptions[k];
      std::vector<Decision> plan = PlanOf(best_);
      Decision run_on;
      run_on.value = GuidedStrategy::kRunOn;
      plan.insert(plan.begin() + static_cast<std::ptrdiff_t>(p.index), run_on);
      if (Try(plan)) {
        any = true;
        continue;  // the k-th preemption of the new schedule is the next candidate
      }
      plan.erase(plan.begin() + static_cast<std::ptrdiff_t>(p.index));
      plan[p.index].value = static_cast<std::uint64_t>(p.current);
      if (Try(plan)) {
        any = true;
        continue;  // the k-th preemption of the new schedule is the next candidate
      }
      plan.resize(p.index + 1);
      if (Try(plan)) {
        any = true;
        continue;
      }
      ++k;
    }
    return any;
  }

  // Swaps each pair of adjacent segments (a segment: the decisions, choices included, made
  // while one task runs). "A1 B A2" becomes "A1 A2 B": one task's steps run back to back, which
  // removes the preemptions around B when the bug does not need them.
  bool SwapSegments() {
    bool any = false;
    std::vector<Segment> segments = Segments(best_);
    for (std::size_t k = 0; k + 1 < segments.size() && !timed_out_;) {
      const std::vector<Decision> all = PlanOf(best_);
      const Segment& a = segments[k];
      const Segment& b = segments[k + 1];
      std::vector<Decision> plan(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(a.begin));
      plan.insert(plan.end(), all.begin() + static_cast<std::ptrdiff_t>(b.begin),
                  all.begin() + static_cast<std::ptrdiff_t>(b.end));
      plan.insert(plan.end(), all.begin() + static_cast<std::ptrdiff_t>(a.begin),
                  all.begin() + static_cast<std::ptrdiff_t>(a.end));
      plan.insert(plan.end(), all.begin() + static_cast<std::ptrdiff_t>(b.end), all.end());
      if (Try(plan)) {
        any = true;
        segments = Segments(best_);
        if (k > 0) --k;  // the segment before may now merge with the moved one
      } else {
        ++k;
      }
    }
    return any;
  }

  // Where a task blocked or finished and the recording picked some other than the lowest task:
  // take the guided strategy's own pick, when that makes the run shorter.
  bool TakeFallbacks() {
    bool any = false;
    std::vector<TaskStep> steps = TaskSteps(best_);
    for (std::size_t s = 0; s < steps.size() && !timed_out_; ++s) {
      const TaskStep step = steps[s];
      const auto picked = static_cast<TaskId>(best_.decision(step.index).value);
      if (step.preemption || step.fallback == kNoTask || picked == step.fallback) continue;
      std::vector<Decision> plan = PlanOf(best_);
      plan[step.index].value = static_cast<std::uint64_t>(step.fallback);
      if (Try(plan)) {
        any = true;
        steps = TaskSteps(best_);
      }
    }
    return any;
  }

  // Each choose() answer to 0, or else one lower.
  bool LowerChoices() {
    bool any = false;
    for (std::size_t i = 0; i < best_.size() && !timed_out_; ++i) {
      const Decision& d = best_.decision(i);
      if (d.kind != Decision::Kind::kChoice || d.value == 0) continue;
      const std::uint64_t value = d.value;
      std::vector<Decision> plan = PlanOf(best_);
      plan[i].value = 0;
      if (Try(plan)) {
        any = true;
        continue;
      }
      if (value > 1) {
        plan[i].value = value - 1;
        any |= Try(plan);
      }
    }
    return any;
  }

  // Delta debugging over the decisions: drop blocks of halving size (the rest shifts up and is
  // followed where it fits). Finds the steps a spinning or waiting task wasted.
  bool DeleteBlocks() {
    bool any = false;
    for (std::size_t chunk = best_.size() / 2; chunk >= 1 && !timed_out_; chunk /= 2) {
      for (std::size_t start = 0; start < best_.size() && !timed_out_;) {
        std::vector<Decision> plan = PlanOf(best_);
        const std::size_t end = std::min(start + chunk, plan.size());
        plan.erase(plan.begin() + static_cast<std::ptrdiff_t>(start),
                   plan.begin() + static_cast<std::ptrdiff_t>(end));
        if (Try(plan)) {
          any = true;  // the next block now starts at `start`
        } else {
          start += chunk;
        }
      }
    }
    return any;
  }

  Options options_;
  const Schedule& failing_;
  const std::function<void()>& body_;
  const std::string& schedule_path_;
  const absl::Time deadline_;
  FailureKind kind_ = FailureKind::kAssertion;
  std::string identity_;
  Schedule baseline_;  // the failing schedule as it ran alone
  Schedule best_;
  ScheduleSize best_size_;
  std::optional<Failure> best_failure_;
  std::int64_t runs_ = 0;
  bool timed_out_ = false;
};

}  // namespace

ShrinkOutcome ShrinkSchedule(const Options& options, const Schedule& failing, FailureKind kind,
                             const std::function<void()>& body, absl::Duration time_bound,
                             const std::string& schedule_path) {
  ShrinkOutcome outcome;
  outcome.before = MeasureSchedule(failing);
  switch (kind) {
    case FailureKind::kStall:
      outcome.skipped = "a stall is not shrunk (every run would wait for the watchdog)";
      return outcome;
    case FailureKind::kCrash:
      outcome.skipped = "a crash is not shrunk in-process (it would end the process)";
      return outcome;
    case FailureKind::kNondeterminism:
      outcome.skipped = "a nondeterminism report is not a failure of the program";
      return outcome;
    default:
      break;
  }
  const absl::Time start = absl::Now();
  Shrinker shrinker(options, failing, body, schedule_path, start + time_bound);
  if (!shrinker.Baseline(kind, outcome.skipped)) {
    outcome.runs = shrinker.runs();
    outcome.wall_time = absl::Now() - start;
    return outcome;
  }
  shrinker.Run();
  shrinker.Verify();
  outcome.schedule = WithHeader(failing, shrinker.best());
  outcome.failure = shrinker.best_failure();
  outcome.schedule.failure = outcome.failure->kind;
  outcome.schedule.failure_message = outcome.failure->message;
  outcome.after = shrinker.best_size();
  outcome.runs = shrinker.runs();
  outcome.stopped_by_time_bound = shrinker.timed_out();
  outcome.wall_time = absl::Now() - start;
  return outcome;
}

namespace {
void FillSizes(const ShrinkOutcome& outcome, Minimization& m) {
  m.preemptions_before = outcome.before.preemptions;
  m.steps_before = outcome.before.steps;
  m.preemptions_after = outcome.skipped.empty() ? outcome.after.preemptions : m.preemptions_before;
  m.steps_after = outcome.skipped.empty() ? outcome.after.steps : m.steps_before;
  m.runs = outcome.runs;
  m.wall_time = outcome.wall_time;
  m.stopped_by_time_bound = outcome.stopped_by_time_bound;
}
}  // namespace

void WriteMinimized(const ShrinkOutcome& outcome, const std::string& path, Minimization& m) {
  FillSizes(outcome, m);
  if (absl::Status st = WriteScheduleFile(outcome.schedule, path); st.ok()) {
    m.schedule_path = path;
  } else {
    m.note = absl::StrCat("could not write the minimized schedule: ", st.message());
  }
}

void MinimizeFailure(const Options& options, const std::function<void()>& body, Result& result) {
  if (result.schedule_path.empty()) return;  // not written: nothing to put a .min.schedule beside
  const std::string path = MinSchedulePath(result.schedule_path);
  // A .min.schedule left by an earlier failure would pass for this one's.
  auto remove_stale = [&path] {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  };
  if (!options.minimize || options.minimize_time <= absl::ZeroDuration() ||
      !result.survey.empty()) {
    remove_stale();
    return;
  }
  const ShrinkOutcome outcome = ShrinkSchedule(options, result.schedule, result.failure().kind,
                                               body, options.minimize_time, result.schedule_path);
  Minimization& m = result.minimization.emplace();
  FillSizes(outcome, m);
  if (!outcome.skipped.empty()) {
    m.note = absl::StrCat("skipped: ", outcome.skipped);
    remove_stale();
    return;
  }
  if (outcome.after >= outcome.before) {
    m.note = absl::StrCat("already minimal: ", m.preemptions_after,
                          m.preemptions_after == 1 ? " preemption, " : " preemptions, ",
                          m.steps_after, m.steps_after == 1 ? " step" : " steps", " (", m.runs,
                          m.runs == 1 ? " run" : " runs", " tried",
                          m.stopped_by_time_bound ? ", stopped by the time bound" : "", ")");
    remove_stale();
    return;
  }
  WriteMinimized(outcome, path, m);
  if (m.schedule_path.empty()) remove_stale();
}

}  // namespace detail
}  // namespace weave
