#include "weave/mutex.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave {

namespace {
// Outside a simulation there is one "task" and nothing may block.
constexpr TaskId kOutsideTask = -2;

TaskId Me() { return detail::InSimulation() ? detail::CurrentTask() : kOutsideTask; }
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

void mutex::lock(std::source_location where) { LockUntil(detail::kNoDeadline, where); }

bool mutex::LockUntil(detail::Nanos deadline, std::source_location where) {
  if (!detail::InSimulation()) {
    if (owner_ == kNoTask) {
      owner_ = kOutsideTask;
      return true;
    }
    throw std::logic_error("weave::mutex: lock() would block outside a simulation");
  }
  detail::SchedulingPoint(detail::Operation::kLock, this);
  const TaskId me = detail::CurrentTask();
  for (;;) {
    if (owner_ == kNoTask) {
      owner_ = me;
      return true;
    }
    if (owner_ == me) {
      detail::ReportFailure(
          FailureKind::kDeadlock,
          absl::StrCat("self-deadlock: task ", me, " '", detail::CurrentTaskName(), "' locks ",
                       Describe(), ", which it already holds (weave::mutex is not recursive)"),
          "", detail::ToPosition(where), /*stop_now=*/true);
      return false;
    }
    const detail::WakeReason r = detail::Wait(waiters_, detail::Operation::kLock, this, deadline);
    if (r != detail::WakeReason::kNotified) return false;
  }
}

bool mutex::try_lock(std::source_location /*where*/) {
  if (!detail::InSimulation()) {
    if (owner_ != kNoTask) return false;
    owner_ = kOutsideTask;
    return true;
  }
  detail::SchedulingPoint(detail::Operation::kTryLock, this);
  if (owner_ != kNoTask) return false;
  owner_ = detail::CurrentTask();
  return true;
}

void mutex::unlock(std::source_location where) {
  const bool in_sim = detail::InSimulation();
  if (in_sim && detail::Aborting()) {
    // The run is stopping. unlock() is called from lock guards' destructors, which are noexcept:
    // a scheduling point here would throw the teardown exception through one and terminate the
    // process. Release quietly instead; the task stops at its next scheduling point.
    if (!Stale() && owner_ == detail::CurrentTask()) {
      owner_ = kNoTask;
      detail::WakeAll(waiters_);
    }
    return;
  }
  if (in_sim) detail::SchedulingPoint(detail::Operation::kUnlock, this);
  const TaskId me = Me();
  if (owner_ != me) {
    if (!in_sim) throw std::logic_error("weave::mutex: unlock() of a mutex that is not locked");
    detail::ReportMisuse(
        owner_ == kNoTask ? absl::StrCat("task ", me, " '", detail::CurrentTaskName(), "' unlocks ",
                                         Describe(), ", which is not locked")
                          : absl::StrCat("task ", me, " '", detail::CurrentTaskName(), "' unlocks ",
                                         Describe(), ", which task ", owner_, " holds"),
        where);
    return;
  }
  owner_ = kNoTask;
  if (in_sim) detail::WakeAll(waiters_);
}

}  // namespace weave
