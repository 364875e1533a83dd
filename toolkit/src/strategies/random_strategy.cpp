#include "internal/strategies.hpp"

namespace weave::detail {

bool RandomStrategy::BeginRun() {
  random_.Seed(MixSeed(seed_) ^ MixSeed(run_ + 0x51ed));
  ++run_;
  return true;
}

TaskId RandomStrategy::PickTask(std::span<const TaskId> runnable, TaskId /*current*/) {
  if (runnable.size() == 1) return runnable[0];
  return runnable[random_.Below(runnable.size())];
}

std::uint64_t RandomStrategy::PickChoice(std::uint64_t n) { return n <= 1 ? 0 : random_.Below(n); }

}  // namespace weave::detail
