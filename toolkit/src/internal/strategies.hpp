// Internal: the strategy implementations, one file each under src/strategies/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "internal/random.hpp"

#include "weave/schedule.hpp"
#include "weave/strategy.hpp"

namespace weave::detail {

// Uniformly random pick at every scheduling point. Run i is seeded with MixSeed(seed ^ i), so any
// run can be regenerated from (seed, i) alone.
class RandomStrategy final : public SchedulingStrategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : seed_(seed) {}
  bool BeginRun() override;
  // Inline: the recorder calls it directly at every step.
  TaskId PickTask(const RunnableSet& runnable, TaskId /*current*/) override {
    if (runnable.size() == 1) return runnable[0];
    return runnable[random_.Below(runnable.size())];
  }
  std::uint64_t PickChoice(std::uint64_t n) override;

 private:
  std::uint64_t seed_;
  std::uint64_t run_ = 0;
  Random random_;
};

// Round-robin: at each scheduling point the next runnable task after the current one (by id,
// wrapping) runs. Data choices answer 0. Makes exactly one run: it is deterministic.
class RoundRobinStrategy final : public SchedulingStrategy {
 public:
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override;
  std::uint64_t PickChoice(std::uint64_t n) override;

 private:
  bool started_ = false;
};

// Replays a recorded schedule and checks, at every step, that the program offers the same
// runnable set (and the same choose(n)) as the recording. One run.
class ReplayStrategy final : public SchedulingStrategy {
 public:
  explicit ReplayStrategy(const Schedule& schedule) : schedule_(schedule) {}
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override;
  std::uint64_t PickChoice(std::uint64_t n) override;
  std::string Divergence() const override { return divergence_; }
  // Decisions consumed so far, and whether every recorded decision was consumed.
  std::size_t position() const { return position_; }
  bool finished() const { return position_ == schedule_.size(); }

 private:
  const Schedule& schedule_;
  std::size_t position_ = 0;
  bool started_ = false;
  std::string divergence_;
};

// Wraps a strategy and records every decision it makes into a Schedule (cleared at each run).
// A template over the concrete (final) strategy, so the inner calls are direct, not virtual: the
// recorder sits on every scheduling step.
template <class Inner>
class RecordingStrategy final : public SchedulingStrategy {
 public:
  template <class... Args>
  explicit RecordingStrategy(Schedule& out, Args&&... args)
      : inner_(std::forward<Args>(args)...), out_(out) {}
  bool BeginRun() override {
    out_.Clear();
    return inner_.BeginRun();
  }
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override {
    const TaskId picked = inner_.PickTask(runnable, current);
    if (picked != kNoTask) out_.AddTaskDecision(picked, runnable);
    return picked;
  }
  std::uint64_t PickChoice(std::uint64_t n) override {
    const std::uint64_t v = inner_.PickChoice(n);
    if (v != kNoChoice) out_.AddChoiceDecision(v, n);
    return v;
  }
  std::string Divergence() const override { return inner_.Divergence(); }
  Inner& inner() { return inner_; }

 private:
  Inner inner_;
  Schedule& out_;
};

// The strategy `spec` names, seeded with `seed`, recording into `out`.
std::unique_ptr<SchedulingStrategy> MakeRecordingStrategy(const Strategy& spec, std::uint64_t seed,
                                                          Schedule& out);

}  // namespace weave::detail
