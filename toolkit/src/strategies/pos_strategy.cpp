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
  bool raced = false;
  if (runnable.size() > 1) {
    // The steps racing with the one about to run are new events as far as their order with it
    // goes: they draw again. Without a view every step conflicts with every other.
    const NextStep chosen = view_ != nullptr ? view_->NextStepOf(best) : NextStep{};
    for (TaskId id : runnable) {
      if (id == best) continue;
      const NextStep other = view_ != nullptr ? view_->NextStepOf(id) : NextStep{};
      if (view_ == nullptr || Conflict(chosen, other)) {
        priorities_[static_cast<std::size_t>(id)] = random_.Next() | 1;
        raced = true;
      } else if (conflict_driven_ && other.starts) {
        // A task that has not started may yet race with anything: it draws again at every step,
        // as in plain POS, so that it starts at a random point of the others' work.
        priorities_[static_cast<std::size_t>(id)] = random_.Next() | 1;
      }
    }
  }
  // Its next step is a new event. Conflict-driven: only a step that raced with another task's
  // makes its task draw again; a run of steps that touch nothing another task is about to touch
  // keeps one priority, so a task held back stays held back through the others' private work.
  if (!conflict_driven_ || raced) priorities_[static_cast<std::size_t>(best)] = random_.Next() | 1;
  return best;
}

std::uint64_t PosStrategy::PickChoice(std::uint64_t n) { return n <= 1 ? 0 : random_.Below(n); }

}  // namespace weave::detail
