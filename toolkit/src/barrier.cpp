#include "weave/barrier.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave::detail {

BarrierCore::BarrierCore(std::ptrdiff_t expected, std::string_view name)
    : SyncObject(ObjectKind::kBarrier, name), expected_(expected), remaining_(expected) {
  if (expected < 0) {
    throw std::invalid_argument(absl::StrCat("weave::barrier: negative count ", expected));
  }
}

BarrierCore::~BarrierCore() {
  CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
}

std::uint64_t BarrierCore::Arrive(std::ptrdiff_t n, bool drop, absl::FunctionRef<void()> completion,
                                  weave::source_location where) {
  SchedulingPoint(Operation::kArrive, this);
  if (n <= 0 || n > remaining_) {
    const std::string what = absl::StrCat("arrive(", n, ") on ", Describe(), " with ", remaining_,
                                          " arrivals missing in this phase");
    if (!InSimulation()) throw std::logic_error(absl::StrCat("weave: ", what));
    ReportMisuse(what, where);
    return phase_;
  }
  const std::uint64_t phase = phase_;
  remaining_ -= n;
  if (drop) expected_ -= n;
  if (remaining_ == 0) {
    completion();
    remaining_ = expected_;
    ++phase_;
    WakeAll(waiters_);
  }
  return phase;
}

void BarrierCore::WaitPhase(std::uint64_t phase, weave::source_location where) {
  SchedulingPoint(Operation::kWait, this);
  while (phase_ == phase) {
    if (!InSimulation())
      throw std::logic_error("weave::barrier: wait would block outside a simulation");
    if (Wait(waiters_, Operation::kWait, this, kNoDeadline, where) == WakeReason::kAborted) return;
  }
}

}  // namespace weave::detail
