#include <algorithm>

#include "internal/strategies.hpp"

namespace weave::detail {

bool RoundRobinStrategy::BeginRun() {
  if (started_) return false;
  started_ = true;
  return true;
}

TaskId RoundRobinStrategy::PickTask(const RunnableSet& runnable, TaskId current) {
  // The first runnable id above the current one, wrapping to the smallest.
  auto it = std::upper_bound(runnable.begin(), runnable.end(), current);
  return it != runnable.end() ? *it : runnable[0];
}

std::uint64_t RoundRobinStrategy::PickChoice(std::uint64_t /*n*/) { return 0; }

}  // namespace weave::detail
