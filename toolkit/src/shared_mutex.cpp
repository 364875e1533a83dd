#include "weave/shared_mutex.hpp"

#include <algorithm>
#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave {

shared_mutex::~shared_mutex() {
  detail::CheckDestroyed(*this, waiters_,
                         writer_ != kNoTask  ? absl::StrCat("while locked by task ", writer_)
                         : !readers_.empty() ? "while held shared"
                         : !waiters_.empty() ? "while tasks wait on it"
                                             : "");
}

void shared_mutex::ForgetEarlierRun() {
  writer_ = kNoTask;
  readers_.clear();
  waiters_.Forget();
}

void shared_mutex::AppendHolders(std::vector<TaskId>& holders) const {
  if (writer_ != kNoTask) holders.push_back(writer_);
  for (TaskId r : readers_) {
    if (std::find(holders.begin(), holders.end(), r) == holders.end()) holders.push_back(r);
  }
}

void shared_mutex::RequireSimulation(const char* what) const {
  if (!detail::InSimulation()) {
    throw std::logic_error(absl::StrCat("weave::shared_mutex::", what, " outside a simulation"));
  }
}

void shared_mutex::Acquired(bool shared) const {
  detail::LockAcquired(*this, shared);
  // Writers publish to kPrimary, readers to kSecondary: a writer follows every earlier holder, a
  // reader only the earlier writers.
  detail::HappensBeforeAcquire(*this, detail::ClockSlot::kPrimary);
  if (!shared) detail::HappensBeforeAcquire(*this, detail::ClockSlot::kSecondary);
}

void shared_mutex::lock(weave::source_location where) {
  RequireSimulation("lock");
  AcquireOperation operation(*this, /*shared=*/false, where);
  detail::Perform(operation);
}

detail::BlockingOperation::Outcome shared_mutex::AcquireOperation::Attempt() {
  const TaskId me = detail::CurrentTask();
  if (!requested_) {
    // Once per acquisition, before it may wait (see weave::mutex).
    requested_ = true;
    detail::LockRequested(mutex_);
  }
  if (shared_) {
    if (mutex_.writer_ == kNoTask) {
      mutex_.readers_.push_back(me);
      acquired_ = true;
      mutex_.Acquired(/*shared=*/true);
      return Outcome::kDone;
    }
    if (mutex_.writer_ == me) {
      detail::ReportFailure(FailureKind::kDeadlock,
                            absl::StrCat("self-deadlock: task ", me, " locks ", mutex_.Describe(),
                                         " shared while it holds it exclusively"),
                            "", detail::ToPosition(where()), /*stop_now=*/true);
      return Outcome::kDone;
    }
  } else {
    const std::vector<TaskId>& readers = mutex_.readers_;
    if (mutex_.writer_ == kNoTask && readers.empty()) {
      mutex_.writer_ = me;
      acquired_ = true;
      mutex_.Acquired(/*shared=*/false);
      return Outcome::kDone;
    }
    if (mutex_.writer_ == me || std::find(readers.begin(), readers.end(), me) != readers.end()) {
      detail::ReportFailure(FailureKind::kDeadlock,
                            absl::StrCat("self-deadlock: task ", me, " locks ", mutex_.Describe(),
                                         " exclusively while it already holds it"),
                            "", detail::ToPosition(where()), /*stop_now=*/true);
      return Outcome::kDone;
    }
  }
  WaitOn(mutex_.waiters_);
  return Outcome::kWait;
}

bool shared_mutex::try_lock(weave::source_location /*where*/) {
  RequireSimulation("try_lock");
  detail::SchedulingPoint(detail::Operation::kTryLock, this);
  if (writer_ != kNoTask || !readers_.empty()) return false;
  writer_ = detail::CurrentTask();
  Acquired(/*shared=*/false);  // a try_lock never waits: no LockRequested
  return true;
}

void shared_mutex::unlock(weave::source_location where) {
  RequireSimulation("unlock");
  detail::SchedulingPoint(detail::Operation::kUnlock, this);
  const TaskId me = detail::CurrentTask();
  if (writer_ != me) {
    detail::ReportMisuse(
        absl::StrCat("task ", me, " unlocks ", Describe(), ", which it does not hold exclusively"),
        where);
    return;
  }
  writer_ = kNoTask;
  detail::LockReleased(*this);
  detail::HappensBeforeRelease(*this, detail::ClockSlot::kPrimary);
  detail::WakeAll(waiters_);
}

void shared_mutex::lock_shared(weave::source_location where) {
  RequireSimulation("lock_shared");
  AcquireOperation operation(*this, /*shared=*/true, where);
  detail::Perform(operation);
}

bool shared_mutex::try_lock_shared(weave::source_location /*where*/) {
  RequireSimulation("try_lock_shared");
  detail::SchedulingPoint(detail::Operation::kTryLock, this);
  if (writer_ != kNoTask) return false;
  readers_.push_back(detail::CurrentTask());
  Acquired(/*shared=*/true);
  return true;
}

void shared_mutex::unlock_shared(weave::source_location where) {
  RequireSimulation("unlock_shared");
  detail::SchedulingPoint(detail::Operation::kUnlockShared, this);
  const TaskId me = detail::CurrentTask();
  auto it = std::find(readers_.begin(), readers_.end(), me);
  if (it == readers_.end()) {
    detail::ReportMisuse(absl::StrCat("task ", me, " unlock_shared() on ", Describe(),
                                      ", which it does not hold shared"),
                         where);
    return;
  }
  readers_.erase(it);
  detail::LockReleased(*this);
  detail::HappensBeforeRelease(*this, detail::ClockSlot::kSecondary);
  if (readers_.empty()) detail::WakeAll(waiters_);
}

}  // namespace weave
