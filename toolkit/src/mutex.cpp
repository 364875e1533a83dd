// weave::mutex and timed_mutex. The hottest primitive: each operation looks the simulation up
// once and talks to it directly.
#include "weave/mutex.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "internal/simulation.hpp"

namespace weave {

namespace {
// Outside a simulation there is one "task" and nothing may block.
constexpr TaskId kOutsideTask = -2;
}  // namespace

mutex::~mutex() {
  detail::CheckDestroyed(*this, waiters_,
                         owner_ != kNoTask   ? absl::StrCat("while locked by task ", owner_)
                         : !waiters_.empty() ? "while tasks wait on it"
                                             : "");
}

void mutex::ForgetEarlierRun() {
  owner_ = kNoTask;
  waiters_.Forget();
}

void mutex::AppendHolders(std::vector<TaskId>& holders) const {
  if (owner_ >= 0) holders.push_back(owner_);
}

void mutex::lock(weave::source_location where) { LockUntil(detail::kNoDeadline, where); }

bool mutex::LockUntil(detail::Nanos deadline, weave::source_location where) {
  detail::Simulation* sim = detail::Simulation::Current();
  if (sim == nullptr) {
    if (owner_ == kNoTask) {
      owner_ = kOutsideTask;
      return true;
    }
    throw std::logic_error("weave::mutex: lock() would block outside a simulation");
  }
  LockOperation operation(*this, deadline, where);
  detail::Perform(operation);
  return operation.acquired();
}

detail::BlockingOperation::Outcome mutex::LockOperation::Attempt() {
  detail::Simulation& sim = *detail::Simulation::Current();
  const TaskId me = sim.current().id;
  if (!requested_) {
    // Once per acquisition, before it may wait: "holds these locks, then wants this one" is the
    // order that deadlocks, whether or not this acquisition ever gets the mutex.
    requested_ = true;
    detail::LockRequestedIn(sim, mutex_);
  }
  if (mutex_.owner_ == kNoTask) {
    mutex_.owner_ = me;
    acquired_ = true;
    detail::LockAcquiredIn(sim, mutex_, /*shared=*/false);
    detail::HappensBeforeAcquireIn(sim, mutex_, detail::ClockSlot::kPrimary);
    return Outcome::kDone;
  }
  if (mutex_.owner_ == me) {
    sim.ReportFailure(
        FailureKind::kDeadlock,
        absl::StrCat("self-deadlock: task ", me, " '", sim.current().name, "' locks ",
                     mutex_.Describe(), ", which it already holds (weave::mutex is not recursive)"),
        "", detail::ToPosition(where()), /*stop_now=*/true);
    return Outcome::kDone;
  }
  WaitOn(mutex_.waiters_, deadline_);
  return Outcome::kWait;
}

bool mutex::try_lock(weave::source_location /*where*/) {
  detail::Simulation* sim = detail::Simulation::Current();
  if (sim == nullptr) {
    if (owner_ != kNoTask) return false;
    owner_ = kOutsideTask;
    return true;
  }
  sim->SchedulingPoint(detail::Operation::kTryLock, this);
  if (owner_ != kNoTask) return false;
  owner_ = sim->current().id;
  // A try_lock never waits, so it orders no locks: the detector only learns that it is held.
  detail::LockAcquiredIn(*sim, *this, /*shared=*/false);
  detail::HappensBeforeAcquireIn(*sim, *this, detail::ClockSlot::kPrimary);
  return true;
}

void mutex::unlock(weave::source_location where) {
  detail::Simulation* sim = detail::Simulation::Current();
  if (sim == nullptr) {
    if (owner_ != kOutsideTask) {
      throw std::logic_error("weave::mutex: unlock() of a mutex that is not locked");
    }
    owner_ = kNoTask;
    return;
  }
  sim->SchedulingPoint(detail::Operation::kUnlock, this);
  const TaskId me = sim->current().id;
  if (owner_ != me) {
    detail::ReportMisuse(owner_ == kNoTask
                             ? absl::StrCat("task ", me, " '", sim->current().name, "' unlocks ",
                                            Describe(), ", which is not locked")
                             : absl::StrCat("task ", me, " '", sim->current().name, "' unlocks ",
                                            Describe(), ", which task ", owner_, " holds"),
                         where);
    return;
  }
  owner_ = kNoTask;
  detail::LockReleasedIn(*sim, *this);
  // Before the wake: whoever acquires next happens after everything done under the lock.
  detail::HappensBeforeReleaseIn(*sim, *this, detail::ClockSlot::kPrimary);
  sim->WakeAll(waiters_);
}

}  // namespace weave
