#include <algorithm>

#include "internal/strategies.hpp"

namespace weave::detail {

bool GuidedStrategy::BeginRun() {
  if (started_) return false;
  started_ = true;
  position_ = 0;
  return true;
}

TaskId GuidedStrategy::PickTask(const RunnableSet& runnable, TaskId current) {
  const bool current_offered = std::binary_search(runnable.begin(), runnable.end(), current);
  // Every other call consumes one planned decision, fitting or not, so that the plan stays
  // aligned with the run wherever the candidate did not change what the program does.
  while (position_ < plan_.size()) {
    const Decision& d = plan_[position_];
    if (d.kind == Decision::Kind::kTask && d.value == kRunOn) {
      if (current_offered) return current;
      ++position_;  // the task blocked or finished: the plan goes on
      continue;
    }
    ++position_;
    const auto planned = static_cast<TaskId>(d.value);
    if (d.kind == Decision::Kind::kTask &&
        std::binary_search(runnable.begin(), runnable.end(), planned)) {
      return planned;
    }
    break;
  }
  // No preemption: the task that reached this point runs on if it can.
  return current_offered ? current : runnable[0];
}

std::uint64_t GuidedStrategy::PickChoice(std::uint64_t n) {
  if (position_ < plan_.size()) {
    const Decision& d = plan_[position_];
    if (d.kind == Decision::Kind::kTask && d.value == kRunOn) return 0;
    ++position_;
    if (d.kind == Decision::Kind::kChoice && d.value < n) return d.value;
  }
  return 0;
}

}  // namespace weave::detail
