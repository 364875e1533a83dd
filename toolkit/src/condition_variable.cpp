#include "weave/condition_variable.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave {

condition_variable::~condition_variable() {
  detail::CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
}

void condition_variable::RequireSimulation() {
  if (!detail::InSimulation()) {
    throw std::logic_error("weave::condition_variable::wait called outside a simulation");
  }
}

bool condition_variable::ChooseSpuriousWakeup() {
  return detail::SpuriousWakeupsEnabled() && detail::Choose(2) == 1;
}

void condition_variable::ReportWaitWithoutLock(const weave::source_location& where) const {
  detail::ReportMisuse(absl::StrCat("wait on ", Describe(), " without holding its lock"), where);
}

void condition_variable::notify_one(weave::source_location /*where*/) {
  if (!detail::InSimulation()) return;
  detail::SchedulingPoint(detail::Operation::kNotify, this);
  // The waiter it wakes happens after it. A notify that wakes nobody orders nothing: published
  // anyway, it would order a later waiter after it and hide a race.
  if (!waiters_.empty()) detail::HappensBeforeRelease(*this);
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
  if (!waiters_.empty()) detail::HappensBeforeRelease(*this);
  detail::WakeAll(waiters_);
}

}  // namespace weave
