#include <algorithm>

#include "internal/strategies.hpp"

namespace weave::detail {

bool PosStrategy::BeginRun() {
  random_.Seed(DeriveSeed(seed_, run_));
  ++run_;
  std::fill(priorities_.begin(), priorities_.end(), 0);
  return true;
}

std::uint64_t& PosStrategy::PriorityOf(TaskId id) {
  const auto index = static_cast<std::size_t>(id);
  if (index >= priorities_.size()) priorities_.resize(index + 1, 0);
  std::uint64_t& p = priorities_[index];
  if (p == 0) p = random_.Next() | 1;  // 0 means "not drawn"
  return p;
}

TaskId PosStrategy::PickTask(const RunnableSet& runnable, TaskId /*current*/) {
  TaskId best = runnable[0];
  std::uint64_t best_priority = PriorityOf(best);
  for (std::size_t i = 1; i < runnable.size(); ++i) {
    const std::uint64_t p = PriorityOf(runnable[i]);
    if (p > best_priority) {
      best = runnable[i];
      best_priority = p;
    }
  }
  if (runnable.size() > 1) {
    // The steps racing with the one about to run are new events as far as their order with it
    // goes: they draw again. Without a view every step conflicts with every other.
    const NextStep chosen = view_ != nullptr ? view_->NextStepOf(best) : NextStep{};
    for (TaskId id : runnable) {
      if (id != best && (view_ == nullptr || Conflict(chosen, view_->NextStepOf(id)))) {
        priorities_[static_cast<std::size_t>(id)] = random_.Next() | 1;
      }
    }
  }
  // Its next step is a new event.
  priorities_[static_cast<std::size_t>(best)] = random_.Next() | 1;
  return best;
}

std::uint64_t PosStrategy::PickChoice(std::uint64_t n) { return n <= 1 ? 0 : random_.Below(n); }

}  // namespace weave::detail
