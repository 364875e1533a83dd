// Internal: the strategy implementations, one file each under src/strategies/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "internal/random.hpp"

#include "weave/schedule.hpp"
#include "weave/strategy.hpp"

namespace weave::detail {

// Uniformly random pick at every scheduling point. Run i is seeded with
// MixSeed(seed) ^ MixSeed(i + 0x51ed), so any run can be regenerated from (seed, i) alone.
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

// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010). Every task gets a random
// priority when first seen (a uniformly random rank among the tasks present); the runnable task
// with the highest priority runs. depth-1 change points are drawn uniformly over [1, k], k being
// the longest run seen so far (a guess of 64 steps before the first run ends); at change point i
// the task that reached it drops to priority i, below every initial priority. A bug of depth d
// among n tasks is then found with probability >= 1/(n k^(d-1)) per run.
class PctStrategy final : public SchedulingStrategy {
 public:
  PctStrategy(std::uint64_t seed, int depth) : seed_(seed), depth_(depth) {}
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override;
  std::uint64_t PickChoice(std::uint64_t n) override;
  // The run length the change points are drawn over.
  std::int64_t estimated_steps() const { return longest_run_ > 0 ? longest_run_ : kFirstEstimate; }

 private:
  static constexpr std::int64_t kFirstEstimate = 64;
  std::uint64_t& PriorityOf(TaskId id);
  std::uint64_t seed_;
  int depth_;
  std::uint64_t run_ = 0;
  Random random_;
  std::int64_t steps_ = 0;        // picks in this run
  std::int64_t longest_run_ = 0;  // steps of the longest run so far; 0 before one has ended
  std::vector<std::uint64_t> priorities_;    // by task id; 0: not yet drawn
  std::vector<std::int64_t> change_points_;  // step of change point i+1 (unsorted)
};

// POS, partial order sampling (Yuan, Yang, Gu, CAV 2018). Every task's pending step carries a
// random priority; the highest runs. Then the steps of other runnable tasks that conflict with it
// (SchedulingView: same object, one a write) draw new priorities, as does the picked task's next
// step. Two conflicting steps are ordered either way with probability about 1/2 whatever else
// runs, which is what random walks lack when many tasks run.
class PosStrategy final : public SchedulingStrategy {
 public:
  explicit PosStrategy(std::uint64_t seed, bool conflict_driven = false)
      : seed_(seed), conflict_driven_(conflict_driven) {}
  void Attach(const SchedulingView* view) override { view_ = view; }
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override;
  std::uint64_t PickChoice(std::uint64_t n) override;

 private:
  std::uint64_t& PriorityOf(TaskId id);
  std::uint64_t seed_;
  bool conflict_driven_;
  std::uint64_t run_ = 0;
  Random random_;
  const SchedulingView* view_ = nullptr;
  std::vector<std::uint64_t> priorities_;  // by task id; 0: not yet drawn
};

// Uniform random walk over interleavings (the URW/SURW line, Zhao et al., ASPLOS 2025): the next
// task is drawn with probability proportional to the steps it has left, estimated from earlier
// runs (the most a task with that id took), so that each interleaving of the tasks' steps is
// about equally likely. A plain random walk instead favours interleavings that switch early and
// often, and all but never runs one task's steps late in a long run.
//
// Selective: the weights count only the steps that matter: those on objects that more than one
// task has been seen about to touch in this run (object ids are given in order of first use, so
// they name different objects in different runs), and steps of unknown effect. A task whose next
// step does not matter runs it at once: its place among the others changes nothing another task
// has touched.
class UniformRandomWalkStrategy final : public SchedulingStrategy {
 public:
  UniformRandomWalkStrategy(std::uint64_t seed, bool selective)
      : seed_(seed), selective_(selective) {}
  void Attach(const SchedulingView* view) override { view_ = view; }
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override;
  std::uint64_t PickChoice(std::uint64_t n) override;

 private:
  void NoteUser(const NextStep& step, TaskId task);
  bool Matters(const NextStep& step) const;
  std::uint64_t seed_;
  bool selective_;
  std::uint64_t run_ = 0;
  Random random_;
  const SchedulingView* view_ = nullptr;
  std::vector<std::int64_t> taken_;     // by task id: counted steps taken in this run
  std::vector<std::int64_t> expected_;  // by task id: the most counted steps seen in a run
  // Selective, this run: by object id, the first task seen about to touch it, or kSharedObject
  // once a second one is.
  static constexpr TaskId kSharedObject = -2;
  std::vector<TaskId> object_users_;
  std::vector<TaskId> candidates_;      // PickTask's scratch
  std::vector<NextStep> steps_;         // PickTask's scratch, by position in the runnable set
  std::vector<std::uint64_t> weights_;  // PickTask's scratch, by candidate
};

// Bounded exhaustive search (iterative bounding of the deviations from a default order, with
// sleep sets): see bounded_exhaustive_strategy.cpp.
class BoundedExhaustiveStrategy final : public SchedulingStrategy {
 public:
  explicit BoundedExhaustiveStrategy(int bound);
  ~BoundedExhaustiveStrategy() override;
  void Attach(const SchedulingView* view) override { view_ = view; }
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override;
  std::uint64_t PickChoice(std::uint64_t n) override;
  std::string Divergence() const override;
  bool Exhausted() const override;
  std::string Summary() const override;

 private:
  struct State;  // the search tree's current path, the queued prefixes, the sleep set
  int bound_;    // the most deviations a schedule may have
  const SchedulingView* view_ = nullptr;
  std::unique_ptr<State> state_;
};

// Takes turns between member strategies, one run each (run i goes to member i mod m), each
// member seeded on its own and learning only from its own runs. The members never run out.
class PortfolioStrategy final : public SchedulingStrategy {
 public:
  explicit PortfolioStrategy(std::vector<std::unique_ptr<SchedulingStrategy>> members)
      : members_(std::move(members)) {}
  void Attach(const SchedulingView* view) override {
    for (auto& m : members_) m->Attach(view);
  }
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override {
    return members_[active_]->PickTask(runnable, current);
  }
  std::uint64_t PickChoice(std::uint64_t n) override { return members_[active_]->PickChoice(n); }
  std::string Divergence() const override { return members_[active_]->Divergence(); }

 private:
  std::vector<std::unique_ptr<SchedulingStrategy>> members_;
  std::size_t active_ = 0;
  std::uint64_t run_ = 0;
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
  void Attach(const SchedulingView* view) override { inner_.Attach(view); }
  bool Exhausted() const override { return inner_.Exhausted(); }
  std::string Summary() const override { return inner_.Summary(); }
  Inner& inner() { return inner_; }

 private:
  Inner inner_;
  Schedule& out_;
};

// Derives the seed of one member or one run from a strategy's seed (SplitMix of both).
constexpr std::uint64_t DeriveSeed(std::uint64_t seed, std::uint64_t salt) {
  return MixSeed(MixSeed(seed) ^ MixSeed(salt + 0x51ed));
}

// The strategy `spec` names, seeded with `seed`, recording into `out`.
std::unique_ptr<SchedulingStrategy> MakeRecordingStrategy(const Strategy& spec, std::uint64_t seed,
                                                          Schedule& out);

// Follows a plan of decisions (the shrinker's candidates, see shrink.cpp) where it fits, and
// otherwise schedules without preempting. The i-th scheduling call (a task pick or a choose(n))
// takes the plan's i-th decision when it is of the same kind and fits: the task is offered, or the
// value is below n. Past the plan, or where a decision does not fit, it keeps the current task if
// it is offered, else runs the lowest offered id, and answers 0 to choose(n). A task decision of
// value kRunOn keeps the current task for as long as it is offered (its choices answer 0) before
// the plan goes on. One run. Wrap it in a RecordingStrategy to get the schedule it actually ran.
class GuidedStrategy final : public SchedulingStrategy {
 public:
  static constexpr std::uint64_t kRunOn = ~std::uint64_t{0};
  explicit GuidedStrategy(const std::vector<Decision>& plan) : plan_(plan) {}
  bool BeginRun() override;
  TaskId PickTask(const RunnableSet& runnable, TaskId current) override;
  std::uint64_t PickChoice(std::uint64_t n) override;

 private:
  const std::vector<Decision>& plan_;
  std::size_t position_ = 0;
  bool started_ = false;
};

}  // namespace weave::detail
