#include "weave/barrier.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave::detail {
namespace {

// The clock slot of a phase's arrivals. Phases alternate between the two slots: a task that
// departs late from phase p must not acquire the arrivals in phase p + 1 of tasks that departed
// before it (that would hide races between what they do after the barrier). Phase p + 2 cannot
// begin before everyone waiting for phase p has departed and arrived again.
ClockSlot SlotOf(std::uint64_t phase) {
  return phase % 2 == 0 ? ClockSlot::kPrimary : ClockSlot::kSecondary;
}

}  // namespace

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
  HappensBeforeRelease(*this, SlotOf(phase));
  if (remaining_ == 0) {
    // The completion happens after every arrival of the phase, and before every departure.
    HappensBeforeAcquire(*this, SlotOf(phase));
    Complete();
    HappensBeforeRelease(*this, SlotOf(phase));
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
  if (barrier_.phase_ != phase_) {
    HappensBeforeAcquire(barrier_, SlotOf(phase_));  // the departure
    return Outcome::kDone;
  }
  if (!InSimulation()) {
    throw std::logic_error("weave::barrier: wait would block outside a simulation");
  }
  ShowWaitAs(Operation::kWait, &barrier_);
  WaitOn(barrier_.waiters_);
  return Outcome::kWait;
}

}  // namespace weave::detail
