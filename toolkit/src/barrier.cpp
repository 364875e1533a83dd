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

std::uint64_t BarrierCore::Arrive(std::ptrdiff_t n, bool drop, weave::source_location where) {
  SchedulingPoint(Operation::kArrive, this);
  return ArriveNow(n, drop, where);
}

std::uint64_t BarrierCore::ArriveNow(std::ptrdiff_t n, bool drop,
                                     const weave::source_location& where) {
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
    Complete();
    remaining_ = expected_;
    ++phase_;
    WakeAll(waiters_);
  }
  return phase;
}

void BarrierCore::WaitPhase(std::uint64_t phase, weave::source_location where) {
  WaitOperation operation(*this, /*arrive=*/false, phase, where);
  Perform(operation);
}

void BarrierCore::ArriveAndWait(weave::source_location where) {
  WaitOperation operation(*this, /*arrive=*/true, 0, where);
  Perform(operation);
}

BlockingOperation::Outcome BarrierCore::WaitOperation::Attempt() {
  if (arrive_) {
    arrive_ = false;
    phase_ = barrier_.ArriveNow(1, /*drop=*/false, where());
    SchedulingPoint(Operation::kWait, &barrier_);  // the wait's point
  }
  if (barrier_.phase_ != phase_) return Outcome::kDone;
  if (!InSimulation()) {
    throw std::logic_error("weave::barrier: wait would block outside a simulation");
  }
  ShowWaitAs(Operation::kWait, &barrier_);
  WaitOn(barrier_.waiters_);
  return Outcome::kWait;
}

}  // namespace weave::detail
