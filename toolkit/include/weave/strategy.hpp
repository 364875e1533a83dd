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
  virtual TaskId PickTask(std::span<const TaskId> runnable, TaskId current) = 0;
  virtual std::uint64_t PickChoice(std::uint64_t n) = 0;
  // Why the last PickTask/PickChoice returned kNoTask/kNoChoice. Empty otherwise.
  virtual std::string Divergence() const { return {}; }
};

// Builds the strategy that `spec` names, seeded with `seed`.
std::unique_ptr<SchedulingStrategy> MakeStrategy(const Strategy& spec, std::uint64_t seed);

}  // namespace weave
