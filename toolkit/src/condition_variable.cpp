#include "weave/condition_variable.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave {

condition_variable::~condition_variable() {
  detail::CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
}

std::cv_status condition_variable::WaitImpl(bool holds_lock, absl::FunctionRef<void()> unlock,
                                            absl::FunctionRef<void()> relock,
                                            detail::Nanos deadline, weave::source_location where) {
  if (!detail::InSimulation()) {
    throw std::logic_error("weave::condition_variable::wait called outside a simulation");
  }
  detail::SchedulingPoint(detail::Operation::kWait, this);
  if (!holds_lock) {
    detail::ReportMisuse(absl::StrCat("wait on ", Describe(), " without holding its lock"), where);
    return std::cv_status::no_timeout;
  }
  if (detail::SpuriousWakeupsEnabled() && detail::Choose(2) == 1) {
    // A spurious wakeup: release and reacquire without any notify.
    unlock();
    relock();
    return std::cv_status::no_timeout;
  }
  // Enqueue before releasing the lock: a notify issued as soon as the lock is free must reach us.
  detail::Enqueue(waiters_);
  unlock();
  const detail::WakeReason r = detail::Block(detail::Operation::kWait, this, deadline, where);
  relock();
  return r == detail::WakeReason::kTimedOut ? std::cv_status::timeout : std::cv_status::no_timeout;
}

void condition_variable::notify_one(weave::source_location /*where*/) {
  if (!detail::InSimulation()) return;
  detail::SchedulingPoint(detail::Operation::kNotify, this);
  if (waiters_.size() > 1) {
    // The standard does not say which waiter wakes: explore it.
    detail::WakeAt(waiters_, detail::Choose(waiters_.size()));
  } else {
    detail::WakeOne(waiters_);
  }
}

void condition_variable::notify_all(weave::source_location /*where*/) {
  if (!detail::InSimulation()) return;
  detail::SchedulingPoint(detail::Operation::kNotify, this);
  detail::WakeAll(waiters_);
}

}  // namespace weave
