#include <algorithm>

#include "internal/strategies.hpp"

namespace weave::detail {

bool PctStrategy::BeginRun() {
  // The longest run so far is the estimate of k (the paper's bound assumes k >= the run length).
  if (run_ > 0) {
    longest_run_ = std::max(longest_run_, steps_);
  }
  random_.Seed(DeriveSeed(seed_, run_));
  ++run_;
  steps_ = 0;
  std::fill(priorities_.begin(), priorities_.end(), 0);
  change_points_.clear();
  for (int i = 1; i < depth_; ++i) {
    change_points_.push_back(1 + static_cast<std::int64_t>(
                                     random_.Below(static_cast<std::uint64_t>(estimated_steps()))));
  }
  return true;
}

std::uint64_t& PctStrategy::PriorityOf(TaskId id) {
  const auto index = static_cast<std::size_t>(id);
  if (index >= priorities_.size()) priorities_.resize(index + 1, 0);
  std::uint64_t& p = priorities_[index];
  // A random value above every change-point priority is a uniformly random rank among the tasks
  // present (ties, at odds of 2^-54, go to the lower id).
  if (p == 0) p = (random_.Next() >> 10) + 1024;
  return p;
}

TaskId PctStrategy::PickTask(const RunnableSet& runnable, TaskId current) {
  ++steps_;
  for (std::size_t i = 0; i < change_points_.size(); ++i) {
    if (change_points_[i] == steps_ && current >= 0) {
      // Change point i+1: the task that reached it drops below every initial priority; later
      // change points of the same run rank by their number, as in the paper (priority i+1).
      PriorityOf(current) = static_cast<std::uint64_t>(i) + 1;
    }
  }
  if (runnable.size() == 1) {
    (void)PriorityOf(runnable[0]);  // drawn in order of appearance, whatever the set
    return runnable[0];
  }
  TaskId best = runnable[0];
  std::uint64_t best_priority = PriorityOf(best);
  for (std::size_t i = 1; i < runnable.size(); ++i) {
    const std::uint64_t p = PriorityOf(runnable[i]);
    if (p > best_priority) {
      best = runnable[i];
      best_priority = p;
    }
  }
  return best;
}

std::uint64_t PctStrategy::PickChoice(std::uint64_t n) { return n <= 1 ? 0 : random_.Below(n); }

}  // namespace weave::detail
