// weave/strategy.hpp: how a schedule is chosen.
//
// A strategy decides, at every scheduling point, which runnable task runs next, and answers the
// data choices of weave::choose(n). weave explores a body by asking a strategy for one schedule
// after another. `Strategy` is the value users pass around (a name plus parameters, parsed from
// `--weave_strategy`); `SchedulingStrategy` is the seam that implementations fill in, one file
// each under toolkit/src/strategies/. README.md's "Choosing a strategy" compares them.
//
//   weave::Options o;
//   o.strategy = weave::Strategy::Pct(3);                    // or *weave::Strategy::Parse("pct:3")
//   weave::Result r = weave::explore(o, body);
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/statusor.h"

#include "weave/failure.hpp"

namespace weave {

// Names a strategy and its parameters. Cheap to copy; printable with ToString(), which Parse()
// reads back.
class Strategy {
 public:
  enum class Kind : std::uint8_t {
    kRandom,
    kRoundRobin,
    kPct,
    kPos,
    kConflictPos,
    kUniformRandomWalk,
    kSelectiveUniformRandomWalk,
    kBoundedExhaustive,
    kPortfolio,
  };

  // Uniformly random choice at every scheduling point, from a seed (Options::seed).
  static Strategy Random() { return {Kind::kRandom, 0}; }
  // Deterministic rotation: each scheduling point hands over to the next runnable task by id.
  // Makes exactly one schedule.
  static Strategy RoundRobin() { return {Kind::kRoundRobin, 0}; }
  // PCT, probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): random distinct task
  // priorities, the highest-priority runnable task runs, and at depth-1 random steps the running
  // task drops to the lowest priority. Finds a bug of depth d among n tasks and k steps with
  // probability at least 1/(n k^(d-1)) per schedule. `depth` in [1, 10]; "pct" means pct:3.
  static Strategy Pct(int depth = 3) { return {Kind::kPct, depth}; }
  // POS, partial order sampling (Yuan et al., CAV 2018): every pending step has a random
  // priority; the highest runs, and the steps that conflict with it (same object, one a write)
  // draw new priorities. Orders conflicting steps about evenly, however many tasks run.
  static Strategy Pos() { return {Kind::kPos, 0}; }
  // POS with conflict-driven priorities (weave's variant): a task draws a new priority only when
  // its step races with another task's pending step, or while it has not started; a task's steps
  // on objects nobody else is about to touch keep its priority. A task held back then stays held
  // back through the others' private work, which plain POS redraws at every step.
  static Strategy ConflictPos() { return {Kind::kConflictPos, 0}; }
  // Uniform random walk over interleavings: the next task is drawn with probability
  // proportional to its estimated remaining steps (learned from earlier schedules), so that
  // every interleaving is about equally likely, not only every next step.
  static Strategy UniformRandomWalk() { return {Kind::kUniformRandomWalk, 0}; }
  // The selective variant: the same weighting counted over the steps that matter (accesses to
  // shared objects and synchronization); other steps run as soon as they can.
  static Strategy SelectiveUniformRandomWalk() { return {Kind::kSelectiveUniformRandomWalk, 0}; }
  // Bounded exhaustive search: every schedule with at most `bound` deviations from the default
  // order, fewest first, skipping interleavings equivalent to one already run (sleep sets). The
  // default order lets the task that reached a scheduling point run on, or, when it blocked,
  // finished or sits out, the lowest runnable id; any other pick is one deviation (a preemption
  // or an out-of-order pick alike). dfs:0 is the one default schedule, and dfs:B runs a number of
  // schedules polynomial in the length of a run (of degree B). Every value of weave::choose(n) is
  // tried at no cost. Ends when all are run. `bound` in [0, 100]; "dfs" means dfs:2.
  static Strategy BoundedExhaustive(int bound = 2) { return {Kind::kBoundedExhaustive, bound}; }
  // The parameters' ranges, checked by Parse() and by explore() (the factories take any int).
  static constexpr int kMaxPctDepth = 10;
  static constexpr int kMaxDeviationBound = 100;
  // The default: a portfolio that takes turns, one schedule each, between the selective uniform
  // walk, conflict-driven POS and PCT with depth 3 (chosen by bench/strategy_comparison.cpp).
  static Strategy Portfolio() { return {Kind::kPortfolio, 0}; }

  // Parses "random", "rr" (alias "round-robin"), "pct", "pct:D", "pos", "cpos", "urw", "surw",
  // "dfs", "dfs:B" and "portfolio" (alias "default"). Errors name the accepted forms.
  static absl::StatusOr<Strategy> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  // PCT's depth, or the bounded search's deviation bound; 0 for the others.
  int parameter() const { return parameter_; }
  std::string ToString() const;
  friend bool operator==(const Strategy&, const Strategy&) = default;

 private:
  Strategy(Kind kind, int parameter) : kind_(kind), parameter_(parameter) {}
  Kind kind_;
  int parameter_;
};

// A task's share of a RunnableSet's fingerprint (a 64-bit mix of its id).
constexpr std::uint64_t TaskFingerprint(TaskId id) {
  std::uint64_t x =
      static_cast<std::uint64_t>(static_cast<std::uint32_t>(id)) + 0x9E3779B97F4A7C15u;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9u;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBu;
  return x ^ (x >> 31);
}

// The tasks a strategy may pick from: ids in ascending order, and a fingerprint of the set (the
// sum of TaskFingerprint over its ids, mod 2^64) that the simulation keeps up to date in O(1) per
// change. Recordings and replays of runs with many runnable tasks compare fingerprints instead of
// whole sets, so recording a step and checking it on replay stay O(1) when 100,000 tasks are
// runnable (making a task runnable or blocked is a sorted insert or erase: O(n) moves).
class RunnableSet {
 public:
  RunnableSet(std::span<const TaskId> ids, std::uint64_t fingerprint)
      : ids_(ids), fingerprint_(fingerprint) {}
  // From ids alone (computes the fingerprint: O(n); for tests and tools).
  template <class Range>
  requires std::is_convertible_v<const Range&, std::span<const TaskId>> RunnableSet(
      const Range& ids)  // NOLINT(google-explicit-constructor): a view, like span
      : ids_(ids), fingerprint_(FingerprintOf(ids_)) {}

  static std::uint64_t FingerprintOf(std::span<const TaskId> ids) {
    std::uint64_t sum = 0;
    for (TaskId id : ids) sum += TaskFingerprint(id);
    return sum;
  }

  std::span<const TaskId> ids() const { return ids_; }
  std::uint64_t fingerprint() const { return fingerprint_; }
  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  TaskId operator[](std::size_t i) const { return ids_[i]; }
  auto begin() const { return ids_.begin(); }
  auto end() const { return ids_.end(); }

 private:
  std::span<const TaskId> ids_;
  std::uint64_t fingerprint_;
};

// What a runnable task's next step touches, as far as weave can tell: the operation it announced at
// the scheduling point where it waits. Two steps conflict (their order can matter) when either is
// kUnknown, or both touch the same object and one of them is kWrite.
enum class StepAccess : std::uint8_t {
  kNone,     // no shared object weave tracks: yield, sleep, a task's first step, spawn
  kRead,     // reads `object` (a shared<T> read, an event or future read)
  kWrite,    // writes or synchronizes on `object`: writes, atomics, locks, channels, waits
  kUnknown,  // effects weave cannot bound (raw-memory accesses, joins): conflicts with any step
};
struct NextStep {
  StepAccess access = StepAccess::kUnknown;
  std::int32_t object = -1;  // per-run object id (the trace's), -1 when none
  // An explicit yield (weave::yield): the task asks to let others run first.
  bool yields = false;
  // The task has not run yet: its first step touches nothing shared, but what it does after is
  // unknown.
  bool starts = false;
};
constexpr bool Conflict(const NextStep& a, const NextStep& b) {
  if (a.access == StepAccess::kUnknown || b.access == StepAccess::kUnknown) return true;
  if (a.access == StepAccess::kNone || b.access == StepAccess::kNone) return false;
  return a.object == b.object && (a.access == StepAccess::kWrite || b.access == StepAccess::kWrite);
}

// What the simulation tells a strategy beyond the runnable set (SchedulingStrategy::Attach).
class SchedulingView {
 public:
  // The next step of runnable task `task`.
  virtual NextStep NextStepOf(TaskId task) const = 0;

 protected:
  ~SchedulingView() = default;
};

// The seam every strategy implements (one implementation per file in toolkit/src/strategies/).
//
// Contract:
//  - BeginRun() is called before each run; returning false means "no more runs" and ends the
//    exploration (a strategy that is exhaustive or replays exactly one schedule says so here).
//  - PickTask() is called at every scheduling point with the runnable tasks, non-empty and sorted
//    by ascending id, and the id of the task that reached the point (which may be blocked and so
//    absent from `runnable`). It returns one of `runnable`, or kNoTask to stop the run: then
//    Divergence() explains why (only replay does this).
//  - PickChoice() answers weave::choose(n) with a value in [0, n), n >= 1; kNoChoice stops the run.
//  - Attach() hands over the view of the simulation that runs the strategy (null when it goes);
//    strategies that weigh conflicts ask it for the runnable tasks' next steps in PickTask.
//  - Exhausted() after BeginRun() returned false: whether the strategy ran every schedule it
//    covers (a bounded exhaustive search), so that "no failure" is a proof within its bound.
//  - Determinism: given the same sequence of calls, a strategy returns the same answers in any
//    process. Never consult addresses, real time or OS thread ids.
class SchedulingStrategy {
 public:
  static constexpr std::uint64_t kNoChoice = ~std::uint64_t{0};

  virtual ~SchedulingStrategy() = default;
  virtual void Attach(const SchedulingView* /*view*/) {}
  virtual bool BeginRun() = 0;
  virtual TaskId PickTask(const RunnableSet& runnable, TaskId current) = 0;
  virtual std::uint64_t PickChoice(std::uint64_t n) = 0;
  // Why the last PickTask/PickChoice returned kNoTask/kNoChoice. Empty otherwise.
  virtual std::string Divergence() const { return {}; }
  virtual bool Exhausted() const { return false; }
  // A line for the exploration's summary ("explored all 12 schedules with at most 2 deviations
  // from the default order"), or empty.
  virtual std::string Summary() const { return {}; }
};

// Builds the strategy that `spec` names, seeded with `seed`.
std::unique_ptr<SchedulingStrategy> MakeStrategy(const Strategy& spec, std::uint64_t seed);

}  // namespace weave
