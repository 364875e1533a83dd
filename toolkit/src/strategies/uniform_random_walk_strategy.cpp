#include <algorithm>

#include "internal/strategies.hpp"

namespace weave::detail {

bool UniformRandomWalkStrategy::BeginRun() {
  // Learn from the run that just ended: the most steps a task with each id has taken.
  if (expected_.size() < taken_.size()) expected_.resize(taken_.size(), 0);
  for (std::size_t i = 0; i < taken_.size(); ++i) expected_[i] = std::max(expected_[i], taken_[i]);
  std::fill(taken_.begin(), taken_.end(), 0);
  object_users_.clear();
  random_.Seed(DeriveSeed(seed_, run_));
  ++run_;
  return true;
}

void UniformRandomWalkStrategy::NoteUser(const NextStep& step, TaskId task) {
  if (step.access == StepAccess::kNone || step.access == StepAccess::kUnknown || step.object < 0) {
    return;
  }
  const auto index = static_cast<std::size_t>(step.object);
  if (index >= object_users_.size()) object_users_.resize(index + 1, kNoTask);
  TaskId& users = object_users_[index];
  if (users == kNoTask) users = task;
  if (users != task) users = kSharedObject;
}

bool UniformRandomWalkStrategy::Matters(const NextStep& step) const {
  if (step.access == StepAccess::kUnknown) return true;
  if (step.access == StepAccess::kNone || step.object < 0) return false;
  const auto index = static_cast<std::size_t>(step.object);
  return index < object_users_.size() && object_users_[index] == kSharedObject;
}

TaskId UniformRandomWalkStrategy::PickTask(const RunnableSet& runnable, TaskId current) {
  const std::size_t top = static_cast<std::size_t>(runnable[runnable.size() - 1]) + 1;
  if (taken_.size() < top) taken_.resize(top, 0);
  // Selective: each runnable task's next step, asked once (a virtual call per task and step).
  bool selective = selective_ && view_ != nullptr;
  steps_.clear();
  if (selective) {
    for (TaskId id : runnable) {
      steps_.push_back(view_->NextStepOf(id));
      NoteUser(steps_.back(), id);
      // A task that has not started may yet touch anything: until every runnable task has shown
      // its first step, no step is known not to matter, and none runs ahead.
      if (steps_.back().starts) selective = false;
    }
  }
  // Selective: a step that does not matter runs first, the current task's by preference (fewer
  // switches; the order of such steps is invisible to the others).
  candidates_.clear();
  if (selective) {
    TaskId free_step = kNoTask;
    for (std::size_t k = 0; k < runnable.size(); ++k) {
      const TaskId id = runnable[k];
      if (Matters(steps_[k])) {
        candidates_.push_back(id);
      } else if (free_step == kNoTask || id == current) {
        free_step = id;
      }
    }
    if (free_step != kNoTask) return free_step;
  } else {
    candidates_.assign(runnable.begin(), runnable.end());
  }
  if (candidates_.size() == 1) {
    ++taken_[static_cast<std::size_t>(candidates_[0])];
    return candidates_[0];
  }
  // Weight: the steps each task has left by the estimate (at least 1: a task seen for the first
  // time, or past its estimate, still gets a turn). A task never seen before is given the mean
  // estimate of those that were.
  std::int64_t known_total = 0;
  std::int64_t known_count = 0;
  for (TaskId id : candidates_) {
    const auto i = static_cast<std::size_t>(id);
    if (i < expected_.size() && expected_[i] > 0) {
      known_total += expected_[i];
      ++known_count;
    }
  }
  const std::int64_t unseen_estimate = known_count > 0 ? known_total / known_count : 1;
  weights_.clear();
  std::uint64_t total = 0;
  for (TaskId id : candidates_) {
    const auto i = static_cast<std::size_t>(id);
    const std::int64_t expected =
        i < expected_.size() && expected_[i] > 0 ? expected_[i] : unseen_estimate;
    weights_.push_back(static_cast<std::uint64_t>(std::max<std::int64_t>(1, expected - taken_[i])));
    total += weights_.back();
  }
  std::uint64_t ticket = random_.Below(total);
  std::size_t k = 0;
  while (ticket >= weights_[k]) ticket -= weights_[k++];  // ends: the weights sum to total
  const TaskId picked = candidates_[k];
  ++taken_[static_cast<std::size_t>(picked)];
  return picked;
}

std::uint64_t UniformRandomWalkStrategy::PickChoice(std::uint64_t n) {
  return n <= 1 ? 0 : random_.Below(n);
}

}  // namespace weave::detail
