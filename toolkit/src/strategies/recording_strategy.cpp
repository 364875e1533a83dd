#include "internal/strategies.hpp"

namespace weave::detail {

bool RecordingStrategy::BeginRun() {
  out_.Clear();
  return inner_.BeginRun();
}

TaskId RecordingStrategy::PickTask(std::span<const TaskId> runnable, TaskId current) {
  const TaskId picked = inner_.PickTask(runnable, current);
  if (picked != kNoTask) out_.AddTaskDecision(picked, runnable);
  return picked;
}

std::uint64_t RecordingStrategy::PickChoice(std::uint64_t n) {
  const std::uint64_t v = inner_.PickChoice(n);
  if (v != kNoChoice) out_.AddChoiceDecision(v, n);
  return v;
}

}  // namespace weave::detail
