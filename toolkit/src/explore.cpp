#include "weave/explore.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "internal/crash_guard.hpp"
#include "internal/shrink.hpp"
#include "internal/simulation.hpp"
#include "internal/strategies.hpp"

#include "weave/shrink.hpp"
#include "weave/trace_export.hpp"

namespace weave {

namespace detail {
namespace {
std::vector<ExplorationObserver*>& Observers() {
  static auto* observers = new std::vector<ExplorationObserver*>();
  return *observers;
}

// Calls OnExplorationBegin/End around a scope.
class ObserverScope {
 public:
  explicit ObserverScope(const Options& options) {
    for (ExplorationObserver* o : Observers()) o->OnExplorationBegin(options);
  }
  ~ObserverScope() {
    const std::vector<ExplorationObserver*>& all = Observers();
    for (std::size_t i = all.size(); i-- > 0;) all[i]->OnExplorationEnd();
  }
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;
};

std::string ReplayCommandFor(const std::string& test_name, const std::string& path) {
  for (ExplorationObserver* o : Observers()) {
    std::string command = o->ReplayCommand(test_name, path);
    if (!command.empty()) return command;
  }
  return absl::StrCat("set weave::Options::replay_file = \"", path, "\" (or WEAVE_REPLAY=", path,
                      " where the program applies weave's flags)");
}
}  // namespace

void AddExplorationObserver(ExplorationObserver* observer) { Observers().push_back(observer); }

}  // namespace detail

namespace {

void Validate(const Options& o) {
  if (o.iterations < 1) throw std::invalid_argument("weave::Options::iterations must be >= 1");
  if (o.max_steps < 1) throw std::invalid_argument("weave::Options::max_steps must be >= 1");
  // Strategy's factories take any int; Parse checks the same ranges for flags.
  const int parameter = o.strategy.parameter();
  if (o.strategy.kind() == Strategy::Kind::kPct &&
      (parameter < 1 || parameter > Strategy::kMaxPctDepth)) {
    throw std::invalid_argument(absl::StrCat(
        "weave::Strategy::Pct: the depth must be between 1 and ", Strategy::kMaxPctDepth));
  }
  if (o.strategy.kind() == Strategy::Kind::kBoundedExhaustive &&
      (parameter < 0 || parameter > Strategy::kMaxDeviationBound)) {
    throw std::invalid_argument(
        absl::StrCat("weave::Strategy::BoundedExhaustive: the deviation bound must be between 0 "
                     "and ",
                     Strategy::kMaxDeviationBound));
  }
  if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count) {
    throw std::invalid_argument(
        "weave::Options::shard_index must be in [0, shard_count) and shard_count >= 1");
  }
  if (o.stack_size < std::size_t{16} * 1024) {
    throw std::invalid_argument("weave::Options::stack_size must be at least 16 KiB");
  }
  // Zero would pass a test after a handful of schedules without saying why.
  if (o.time_budget <= absl::ZeroDuration()) {
    throw std::invalid_argument(
        "weave::Options::time_budget must be positive (absl::InfiniteDuration() for none)");
  }
  if (o.watchdog < absl::ZeroDuration()) {
    throw std::invalid_argument("weave::Options::watchdog must not be negative (0 disables it)");
  }
  // The ring is allocated up front (40 bytes an event): 10 million events are 400 MB.
  if (o.trace_ring_events < 1 || o.trace_ring_events > 10'000'000) {
    throw std::invalid_argument("weave::Options::trace_ring_events must be between 1 and 10000000");
  }
  if (o.progress_interval < absl::ZeroDuration()) {
    throw std::invalid_argument("weave::Options::progress_interval must not be negative");
  }
  // An empty entry would match every unnamed variable and lock.
  for (const std::string& entry : o.suppressions) {
    if (entry.empty()) {
      throw std::invalid_argument("weave::Options::suppressions must not hold an empty name");
    }
  }
}

std::string NameOf(const Options& o) { return o.test_name.empty() ? "weave" : o.test_name; }

// The stem of the files written for test `o.test_name`: the name itself when it is a plain file
// name, else with every byte outside [A-Za-z0-9._+,=@-] replaced by '_' (a '/' would make
// directories, a line break or a quote trips up shells and terminals), no leading dot, and at
// most 200 bytes (file names end at 255) followed, when cut, by a hash of the whole name so that
// long names that share a beginning keep apart. The schedule file keeps the name intact.
std::string FileStemOf(const Options& o) {
  const std::string name = NameOf(o);
  std::string stem;
  stem.reserve(name.size());
  for (const char c : name) {
    const bool plain = absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                       std::string_view("._+,=@-").find(c) != std::string_view::npos;
    stem += plain ? c : '_';
  }
  if (stem.front() == '.') stem.front() = '_';
  constexpr std::size_t kMaxStem = 200;
  if (stem.size() > kMaxStem) {
    stem.resize(kMaxStem);
    // FNV-1a: the same name gives the same file in every process (absl::Hash is seeded).
    std::uint64_t hash = 0xcbf29ce484222325;
    for (const char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3;
    absl::StrAppend(&stem, "-", absl::Hex(hash, absl::kZeroPad16));
  }
  return stem;
}

std::string OutDirOf(const Options& o) { return o.out_dir.empty() ? "." : o.out_dir; }

std::string SchedulePath(const Options& o) {
  return absl::StrCat(OutDirOf(o), "/", FileStemOf(o), ".schedule");
}

// Fills the schedule's header for a failure of `kind` with `message`.
void FillScheduleHeader(const Options& options, std::int64_t iteration, const Failure& failure,
                        Schedule& s) {
  s.test_name = NameOf(options);
  s.strategy = options.strategy.ToString();
  s.seed = options.seed;
  s.iteration = iteration;
  s.max_steps = options.max_steps;
  s.spurious_wakeups = options.spurious_wakeups;
  s.event_loop = options.event_loop;
  s.fair = options.fair;
  s.failure = failure.kind;
  s.failure_message = failure.message;
}

// Fills the schedule's header and writes it; records the outcome in `result`.
void SaveFailingSchedule(const Options& options, std::int64_t iteration, Result& result) {
  FillScheduleHeader(options, iteration, result.failure(), result.schedule);
  const std::string path = SchedulePath(options);
  if (absl::Status st = WriteScheduleFile(result.schedule, path); st.ok()) {
    result.schedule_path = path;
    result.replay_command = detail::ReplayCommandFor(NameOf(options), path);
  } else {
    result.schedule_write_error = std::string(st.message());
  }
}

// The trace files' path without extension: the schedule's, without ".schedule".
std::string TraceBase(const std::string& schedule_path) {
  std::string base = schedule_path;
  constexpr std::string_view kSuffix = ".schedule";
  if (base.size() > kSuffix.size() && base.ends_with(kSuffix))
    base.resize(base.size() - kSuffix.size());
  return base;
}

// Fills the trace's header from the options and the result, writes its files and records them
// in `result`.
void WriteTrace(const Options& options, Trace& trace, const std::string& schedule_path,
                Result& result) {
  trace.test_name = NameOf(options);
  if (trace.strategy.empty()) trace.strategy = result.strategy;
  trace.seed = result.seed;
  trace.iteration = result.failing_iteration >= 0 ? result.failing_iteration : trace.iteration;
  trace.schedule_path = result.schedule_path;
  trace.replay_command = result.replay_command;
  if (absl::Status valid = trace.Validate("the recorded trace"); !valid.ok()) {
    result.trace_write_error = absl::StrCat("internal error: ", valid.message());
    return;
  }
  absl::StatusOr<std::vector<std::string>> paths = WriteTraceFiles(trace, TraceBase(schedule_path));
  if (paths.ok()) {
    result.trace_paths = std::move(*paths);
  } else {
    result.trace_write_error = std::string(paths.status().message());
  }
}

// One more run of the failing `schedule` with a full trace (deterministic: the same run again).
// False when that run did not fail the same way (the code under test is not deterministic), so
// its trace would not show the failure.
// A stall is not re-run (it would wait for the watchdog again, and leave another OS thread
// behind); a potential deadlock whose inversion spans runs is not reported by one run alone, so
// its replay then runs on past the step and is no match either.
bool RecordFullTrace(const Options& options, const Schedule& schedule,
                     const std::string& schedule_path, const std::function<void()>& body,
                     const Failure& failure, Trace& trace) {
  if (failure.kind == FailureKind::kStall) return false;
  Options o = options;
  o.trace = TraceMode::kFull;
  detail::ReplayStrategy replayer(schedule);
  detail::Simulation sim(o, replayer);
  // A crash in this run must not overwrite the failing schedule's file with this run's (empty)
  // recording: a replaying guard reports the crash and leaves the file alone.
  const Schedule unused;
  detail::CrashGuard crash_guard(o, unused, schedule_path, "", /*replaying=*/true);
  crash_guard.BeginRun(schedule.iteration, sim);
  sim.set_crash_guard(&crash_guard);
  replayer.BeginRun();
  std::optional<Failure> again = sim.Run(body);
  if (!again || again->kind != failure.kind || again->step != failure.step) return false;
  // The exploration's report, which is complete (a race's earlier stack, a lock cycle).
  sim.BuildTrace(trace, failure);
  return true;
}

// One more run of `schedule` (deterministic: the same run again) that records the stack of the
// access numbered `index`: the earlier access of a race, whose stack was not worth capturing at
// every access.
std::vector<StackFrame> CaptureAccessStack(const Options& options, const Schedule& schedule,
                                           const std::function<void()>& body, std::uint64_t index,
                                           TaskId task) {
  Options o = options;          // the options the schedule ran with
  o.detect_lock_order = false;  // not needed to reach the access, and it spans runs
  o.trace = TraceMode::kOff;
  detail::ReplayStrategy replayer(schedule);
  detail::Simulation sim(o, replayer);
  sim.set_capture_access(index);
  replayer.BeginRun();
  (void)sim.Run(body);
  return sim.CapturedStack(task);
}

// Completes a race's report with the earlier access's full stack.
void CompleteRaceReport(const Options& options, const Schedule& schedule,
                        const std::function<void()>& body, detail::RaceReport& race,
                        Failure& failure) {
  std::vector<StackFrame> stack =
      CaptureAccessStack(options, schedule, body, race.earlier.index, race.earlier.task);
  if (!stack.empty()) race.earlier_stack = std::move(stack);
  failure.details = detail::RaceDetails(race);
}

// Survey mode: files and reports for the races first seen in run `iteration`.
void RecordSurveyedRaces(const Options& options, std::int64_t iteration, const Schedule& recording,
                         const std::function<void()>& body, detail::Simulation& sim, Result& result,
                         std::vector<std::string>& keys, std::optional<Schedule>& first_schedule) {
  for (detail::RaceReport& race : sim.TakeSurveyedRaces()) {
    SurveyedRace entry;
    entry.iteration = iteration;
    Failure& f = entry.failure;
    f.kind = FailureKind::kDataRace;
    f.message = detail::RaceMessage(race);
    f.step = race.later.step;
    f.task = race.later.task;
    f.task_name = race.later_task_name;
    for (const StackFrame& frame : race.later_stack) {
      if (frame.where.known()) {
        f.where = frame.where;
        break;
      }
    }
    CompleteRaceReport(options, recording, body, race, f);
    entry.earlier_location = race.earlier_location;
    entry.later_location = race.later_location;
    Schedule schedule = recording;
    FillScheduleHeader(options, iteration, f, schedule);
    const std::string path = absl::StrCat(OutDirOf(options), "/", FileStemOf(options), ".race-",
                                          result.survey.size() + 1, ".schedule");
    if (WriteScheduleFile(schedule, path).ok()) {
      entry.schedule_path = path;
      entry.replay_command = detail::ReplayCommandFor(NameOf(options), path);
    }
    if (!first_schedule) first_schedule = std::move(schedule);
    keys.push_back(race.key);
    result.survey.push_back(std::move(entry));
  }
}

}  // namespace

Result replay(const Options& options, const Schedule& schedule, const std::function<void()>& body) {
  Validate(options);
  Result result;
  result.test_name = options.test_name;
  result.strategy = "replay";
  result.seed = schedule.seed;
  result.replayed = true;
  Options run_options = options;
  run_options.max_steps = schedule.max_steps;
  run_options.spurious_wakeups = schedule.spurious_wakeups;
  run_options.event_loop = schedule.event_loop;
  run_options.fair = schedule.fair;
  // A replay reproduces one failure: a survey's schedule file stands for the race it was written
  // for, which its replay then stops at (the first race of that run).
  run_options.survey = false;
  // A replay is where a full trace is wanted (and cheap: one run).
  if (run_options.trace != TraceMode::kOff) run_options.trace = TraceMode::kFull;

  detail::ObserverScope observers(run_options);
  const absl::Time start = absl::Now();
  Schedule rerecorded;
  detail::RecordingStrategy<detail::ReplayStrategy> recorder(rerecorded, schedule);
  const detail::ReplayStrategy& replayer = recorder.inner();
  detail::Simulation sim(run_options, recorder);
  detail::CrashGuard crash_guard(run_options, rerecorded, options.replay_file, "",
                                 /*replaying=*/true);
  crash_guard.BeginRun(schedule.iteration, sim);
  sim.set_crash_guard(&crash_guard);
  recorder.BeginRun();
  std::optional<Failure> failure = sim.Run(body);
  if (std::optional<detail::RaceReport> race = sim.TakeRace(); race && failure) {
    CompleteRaceReport(run_options, schedule, body, *race, *failure);
  }
  if (!failure && !replayer.finished()) {
    Failure f;
    f.kind = FailureKind::kNondeterminism;
    f.message = absl::StrCat("nondeterminism: the run ended after ", replayer.position(), " of ",
                             schedule.size(), " recorded decisions");
    f.step = sim.steps();
    failure = std::move(f);
  }
  result.schedules = 1;
  result.total_steps = sim.steps();
  result.wall_time = absl::Now() - start;
  result.schedule = schedule;
  if (failure) {
    result.failing_iteration = schedule.iteration;
    result.set_failure(std::move(*failure));
    result.schedule_path = options.replay_file;
    if (!options.replay_file.empty()) {
      result.replay_command = detail::ReplayCommandFor(NameOf(options), options.replay_file);
    }
  }
  if (run_options.trace != TraceMode::kOff && (failure || options.write_trace)) {
    Trace trace;
    trace.iteration = schedule.iteration;
    trace.strategy = schedule.strategy;  // the recording's, so that its trace and this are one
    sim.BuildTrace(trace, result.maybe_failure());
    if (result.schedule_path.empty() && !options.replay_file.empty()) {
      result.schedule_path = options.replay_file;
    }
    WriteTrace(options, trace,
               options.replay_file.empty() ? SchedulePath(options) : options.replay_file, result);
  }
  return result;
}

namespace {
// The options one shard explores with (Options::shard_index): its share of the iterations and its
// own seed. Unsharded, the options themselves.
Options ShardOptions(const Options& options) {
  Options o = options;
  if (options.shard_count <= 1) return o;
  if (options.strategy.kind() == Strategy::Kind::kBoundedExhaustive) {
    // Each run of the search depends on all the runs before it: shard 0 runs it whole.
    if (options.shard_index != 0) o.iterations = 0;
    return o;
  }
  o.seed = detail::DeriveSeed(options.seed,
                              0x5a4d0000u + static_cast<std::uint64_t>(options.shard_index));
  o.iterations = options.iterations / options.shard_count +
                 (options.shard_index < options.iterations % options.shard_count ? 1 : 0);
  return o;
}

// Counts the distinct schedules an exploration ran, by a 64-bit hash of their decisions (the
// runnable sets follow from the decisions). Memory stays bounded however long the exploration:
// the hashes are kept exactly up to kExactLimit (about 1 MB), then a HyperLogLog sketch (Flajolet
// et al. 2007; 2^14 one-byte registers, a standard error of about 0.8%) that saw every hash
// estimates the count. A million-schedule run used to keep a million hashes.
class DistinctSchedules {
 public:
  void Add(const Schedule& s) {
    std::uint64_t h = s.size();
    for (std::size_t i = 0; i < s.size(); ++i) {
      const Decision& d = s.decision(i);
      h = detail::MixSeed(h ^ (d.value * 2 + (d.kind == Decision::Kind::kChoice ? 1 : 0)));
    }
    // The register: the top kIndexBits bits; its value: the rank of the first 1 bit after them.
    const std::size_t index = h >> (64 - kIndexBits);
    const auto rank = static_cast<std::uint8_t>(
        std::countl_zero((h << kIndexBits) | (std::uint64_t{1} << (kIndexBits - 1))) + 1);
    registers_[index] = std::max(registers_[index], rank);
    if (exact_) {
      hashes_.insert(h);
      if (hashes_.size() > kExactLimit) {
        exact_ = false;
        absl::flat_hash_set<std::uint64_t>().swap(hashes_);  // give the memory back
      }
    }
  }
  // Exact while at most kExactLimit distinct schedules were seen, an estimate beyond.
  std::int64_t count() const {
    if (exact_) return static_cast<std::int64_t>(hashes_.size());
    constexpr auto kRegisters = static_cast<double>(1 << kIndexBits);
    double sum = 0;
    for (const std::uint8_t r : registers_) sum += std::ldexp(1.0, -r);
    const double alpha = 0.7213 / (1 + 1.079 / kRegisters);
    return static_cast<std::int64_t>(std::llround(alpha * kRegisters * kRegisters / sum));
  }
  bool exact() const { return exact_; }

 private:
  static constexpr int kIndexBits = 14;
  static constexpr std::size_t kExactLimit = std::size_t{1} << 16;
  std::vector<std::uint8_t> registers_ = std::vector<std::uint8_t>(std::size_t{1} << kIndexBits);
  absl::flat_hash_set<std::uint64_t> hashes_;
  bool exact_ = true;
};

// The progress line of a long exploration (Options::progress_interval), on stderr. On a terminal
// it is one line redrawn in place, at most once a second, and erased before the summary; elsewhere
// (a CI log) a new line every interval.
class ProgressLine {
 public:
  ProgressLine(const Options& o, absl::Time start)
      : options_(o),
        start_(start),
        terminal_(isatty(STDERR_FILENO) == 1),
        interval_(terminal_ ? std::min(o.progress_interval, absl::Seconds(1))
                            : o.progress_interval),
        next_(start + (terminal_ ? absl::Seconds(1) : o.progress_interval)) {}
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // `distinct` is counted only when a line is due (an estimate reads every register).
  void Update(absl::Time now, std::int64_t schedules, const DistinctSchedules& distinct_schedules,
              std::int64_t failures) {
    if (options_.progress_interval <= absl::ZeroDuration() || now < next_) return;
    const std::int64_t distinct = std::min(distinct_schedules.count(), schedules);
    next_ = now + interval_;
    const double seconds = absl::ToDoubleSeconds(now - start_);
    std::string line = absl::StrCat(
        "weave: ", options_.test_name.empty() ? "weave" : options_.test_name, ": ", schedules, "/",
        options_.iterations, " schedules (", distinct, " distinct), ",
        static_cast<std::int64_t>(seconds > 0 ? static_cast<double>(schedules) / seconds : 0),
        "/s, ", failures, failures == 1 ? " failure, " : " failures, ",
        absl::FormatDuration(absl::Trunc(now - start_, absl::Milliseconds(1))));
    if (terminal_) {
      std::cerr << "\r" << line << "\x1b[K" << std::flush;
      drawn_ = true;
    } else {
      std::cerr << line << std::endl;
    }
  }
  // Removes the terminal's line, if one is drawn.
  void Erase() {
    if (!drawn_) return;
    std::cerr << "\r\x1b[K" << std::flush;
    drawn_ = false;
  }
  ~ProgressLine() { Erase(); }

 private:
  const Options& options_;
  const absl::Time start_;
  const bool terminal_;
  const absl::Duration interval_;
  absl::Time next_;
  bool drawn_ = false;
};

// The recording buffers of this thread's last exploration, kept so that a program exploring many
// small bodies (a test suite) reuses them instead of allocating, and page-faulting, new ones.
class CachedRecording {
 public:
  CachedRecording() : schedule_(std::exchange(Cache(), Schedule{})) {}
  ~CachedRecording() {
    schedule_.Clear();
    Cache() = std::move(schedule_);
  }
  CachedRecording(const CachedRecording&) = delete;
  CachedRecording& operator=(const CachedRecording&) = delete;
  Schedule& get() { return schedule_; }

 private:
  static Schedule& Cache() {
    static thread_local Schedule cache;
    return cache;
  }
  Schedule schedule_;
};
}  // namespace

Result minimize(const Options& options, const Schedule& schedule,
                const std::function<void()>& body) {
  Validate(options);
  const std::string source =
      options.minimize_schedule.empty() ? SchedulePath(options) : options.minimize_schedule;
  // The failure as a replay reports it; its trace files, if any, stay as they are.
  Options replay_options = options;
  replay_options.replay_file = source;
  replay_options.trace = TraceMode::kOff;
  Result result = replay(replay_options, schedule, body);
  if (result.ok()) {
    result.input_error = absl::FailedPreconditionError(
        absl::StrCat(source, ": the schedule runs without failing: nothing to minimize"));
    return result;
  }
  if (!result.input_error.ok()) return result;
  Minimization& m = result.minimization.emplace();
  detail::ObserverScope observers(options);
  const detail::ShrinkOutcome outcome = detail::ShrinkSchedule(
      options, schedule, result.failure().kind, body, options.minimize_time, source);
  if (!outcome.skipped.empty()) {
    m.note = absl::StrCat("skipped: ", outcome.skipped);
    return result;
  }
  const std::string path = MinSchedulePath(source);
  detail::WriteMinimized(outcome, path, m);
  if (!m.schedule_path.empty()) m.replay_command = detail::ReplayCommandFor(NameOf(options), path);
  return result;
}

namespace {
// Reads the schedule file `path` for a replay or a minimization: it must be one of this test.
absl::StatusOr<Schedule> ReadScheduleOf(const Options& options, const std::string& path) {
  absl::StatusOr<Schedule> schedule = ReadScheduleFile(path);
  if (schedule.ok() && !options.test_name.empty() && schedule->test_name != options.test_name) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":2: expected a schedule of test '",
                                                   options.test_name, "', got one of '",
                                                   schedule->test_name, "'"));
  }
  return schedule;
}
}  // namespace

Result explore(const Options& options, const std::function<void()>& body) {
  Validate(options);
  const std::string& input =
      options.minimize_schedule.empty() ? options.replay_file : options.minimize_schedule;
  if (!input.empty()) {
    // Both asked for: one would be silently ignored.
    absl::StatusOr<Schedule> schedule =
        !options.minimize_schedule.empty() && !options.replay_file.empty()
            ? absl::InvalidArgumentError(
                  "--weave_replay and --weave_minimize_schedule (Options::replay_file and "
                  "minimize_schedule) both name a schedule file: give one")
            : ReadScheduleOf(options, input);
    if (!schedule.ok()) {
      Result result;
      result.test_name = options.test_name;
      result.replayed = true;
      result.input_error = schedule.status();
      return result;
    }
    if (!options.minimize_schedule.empty()) return minimize(options, *schedule, body);
    return replay(options, *schedule, body);
  }

  Result result;
  result.test_name = options.test_name;
  result.strategy = options.strategy.ToString();
  result.seed = options.seed;
  result.shard_index = options.shard_index;
  result.shard_count = options.shard_count;
  const Options o = ShardOptions(options);
  detail::ObserverScope observers(o);
  const absl::Time start = absl::Now();
  ProgressLine progress(o, start);
  DistinctSchedules distinct;
  CachedRecording cached;
  Schedule& recording = cached.get();
  std::unique_ptr<SchedulingStrategy> recorder =
      detail::MakeRecordingStrategy(o.strategy, o.seed, recording);
  detail::Simulation sim(o, *recorder);
  const std::string path = SchedulePath(o);
  detail::CrashGuard crash_guard(o, recording, path, detail::ReplayCommandFor(NameOf(o), path),
                                 /*replaying=*/false);
  std::vector<std::string> survey_keys;  // by survey entry
  std::optional<Schedule> first_race;    // the schedule of the first surveyed race
  for (std::int64_t i = 0; i < o.iterations; ++i) {
    if (!recorder->BeginRun()) break;
    crash_guard.BeginRun(i, sim);
    sim.set_crash_guard(&crash_guard);
    std::optional<Failure> failure = sim.Run(body);
    ++result.schedules;
    result.total_steps += sim.steps();
    distinct.Add(recording);
    if (o.survey) {
      RecordSurveyedRaces(o, i, recording, body, sim, result, survey_keys, first_race);
    }
    if (failure) {
      progress.Erase();
      if (std::optional<detail::RaceReport> race = sim.TakeRace()) {
        CompleteRaceReport(o, recording, body, *race, *failure);
      }
      result.failing_iteration = i;
      result.set_failure(std::move(*failure));
      result.schedule = std::move(recording);
      SaveFailingSchedule(o, i, result);
      if (o.trace != TraceMode::kOff) {
        Trace trace;
        if (o.trace == TraceMode::kFull ||
            !RecordFullTrace(o, result.schedule, path, body, result.failure(), trace)) {
          sim.BuildTrace(trace, result.maybe_failure());
        }
        WriteTrace(o, trace, path, result);
      }
      detail::MinimizeFailure(o, body, result);
      if (result.minimization && !result.minimization->schedule_path.empty()) {
        result.minimization->replay_command =
            detail::ReplayCommandFor(NameOf(o), result.minimization->schedule_path);
      }
      break;
    }
    // A clock read per run (~20 ns) against runs of microseconds: the budget and the progress
    // line are exact even when runs are slow.
    const absl::Time now = absl::Now();
    if (now - start >= o.time_budget) {
      result.stopped_by_time_budget = true;
      break;
    }
    progress.Update(now, result.schedules, distinct,
                    static_cast<std::int64_t>(result.survey.size()));
  }
  progress.Erase();
  // An estimate can land a little above the runs it counts.
  result.distinct_schedules = std::min(distinct.count(), result.schedules);
  result.distinct_schedules_estimated = !distinct.exact();
  for (std::size_t k = 0; k < result.survey.size(); ++k) {
    result.survey[k].runs = sim.RaceRuns(survey_keys[k]);
  }
  if (!result.survey.empty() && result.ok()) {
    // The survey's first race is the exploration's failure.
    const SurveyedRace& first = result.survey.front();
    result.failing_iteration = first.iteration;
    result.set_failure(first.failure);
    result.schedule = std::move(*first_race);
    result.schedule_path = first.schedule_path;
    result.replay_command = first.replay_command;
  }
  // Nothing failed (a survey's races have their own schedule files, not this run's trace).
  if (o.write_trace && o.trace != TraceMode::kOff && result.ok() && result.schedules > 0) {
    Trace trace;  // the last schedule run
    trace.iteration = result.schedules - 1;
    sim.BuildTrace(trace, std::nullopt);
    WriteTrace(o, trace, path, result);
  }
  result.exhausted = recorder->Exhausted();
  result.strategy_summary = recorder->Summary();
  if (o.iterations == 0) {
    result.strategy_summary =
        o.strategy.kind() == Strategy::Kind::kBoundedExhaustive
            ? "an exhaustive search is not split: shard 0 runs it"
            : absl::StrCat("this shard has none of the ", options.iterations, " iterations");
  }
  result.wall_time = absl::Now() - start;
  return result;
}

}  // namespace weave
