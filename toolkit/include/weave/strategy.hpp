// weave/strategy.hpp: how a schedule is chosen.
//
// A strategy decides, at every scheduling point, which runnable task runs next, and answers the
// data choices of weave::choose(n). weave explores a body by asking a strategy for one schedule
// after another. `Strategy` is the value users pass around (a name plus parameters, parsed from
// `--weave_strategy`); `SchedulingStrategy` is the seam that implementations fill in.
//
//   weave::Options o;
//   o.strategy = weave::Strategy::Random();                  // or *weave::Strategy::Parse("rr")
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
  enum class Kind : std::uint8_t { kRandom, kRoundRobin };

  // Uniformly random choice at every scheduling point, from a seed (Options::seed).
  static Strategy Random() { return Strategy(Kind::kRandom); }
  // Deterministic rotation: each scheduling point hands over to the next runnable task by id.
  // Makes exactly one schedule.
  static Strategy RoundRobin() { return Strategy(Kind::kRoundRobin); }

  // Parses "random" or "rr" (alias "round-robin"). Errors name the accepted forms.
  static absl::StatusOr<Strategy> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  std::string ToString() const;
  friend bool operator==(const Strategy&, const Strategy&) = default;

 private:
  explicit Strategy(Kind kind) : kind_(kind) {}
  Kind kind_;
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
//  - Determinism: given the same sequence of calls, a strategy returns the same answers in any
//    process. Never consult addresses, real time or OS thread ids.
class SchedulingStrategy {
 public:
  static constexpr std::uint64_t kNoChoice = ~std::uint64_t{0};

  virtual ~SchedulingStrategy() = default;
  virtual bool BeginRun() = 0;
  virtual TaskId PickTask(const RunnableSet& runnable, TaskId current) = 0;
  virtual std::uint64_t PickChoice(std::uint64_t n) = 0;
  // Why the last PickTask/PickChoice returned kNoTask/kNoChoice. Empty otherwise.
  virtual std::string Divergence() const { return {}; }
};

// Builds the strategy that `spec` names, seeded with `seed`.
std::unique_ptr<SchedulingStrategy> MakeStrategy(const Strategy& spec, std::uint64_t seed);

}  // namespace weave
