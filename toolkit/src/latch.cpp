#include "weave/latch.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave {

latch::latch(std::ptrdiff_t expected, std::string_view name)
    : SyncObject(detail::ObjectKind::kLatch, name), count_(expected) {
  if (expected < 0) {
    throw std::invalid_argument(absl::StrCat("weave::latch: negative count ", expected));
  }
}

latch::~latch() {
  detail::CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
}

void latch::count_down(std::ptrdiff_t n, weave::source_location where) {
  detail::SchedulingPoint(detail::Operation::kArrive, this);
  CountDown(n, where);
}

void latch::CountDown(std::ptrdiff_t n, const weave::source_location& where) {
  if (n < 0 || n > count_) {
    const std::string what = absl::StrCat("count_down(", n, ") on ", Describe(), " with count ",
                                          count_, (n < 0 ? ": negative" : ": below zero"));
    if (!detail::InSimulation()) throw std::logic_error(absl::StrCat("weave: ", what));
    detail::ReportMisuse(what, where);
    return;
  }
  count_ -= n;
  detail::HappensBeforeRelease(*this);  // every wait that sees zero happens after each arrival
  if (count_ == 0) detail::WakeAll(waiters_);
}

bool latch::try_wait() const {
  detail::SchedulingPoint(detail::Operation::kWait, this);
  if (count_ != 0) return false;
  detail::HappensBeforeAcquire(*this);
  return true;
}

void latch::wait(weave::source_location where) const {
  WaitOperation operation(const_cast<latch&>(*this), /*arrive=*/false, 0, where);
  detail::Perform(operation);
}

void latch::arrive_and_wait(std::ptrdiff_t n, weave::source_location where) {
  WaitOperation operation(*this, /*arrive=*/true, n, where);
  detail::Perform(operation);
}

detail::BlockingOperation::Outcome latch::WaitOperation::Attempt() {
  if (arrive_) {
    arrive_ = false;
    latch_.CountDown(n_, where());
    detail::SchedulingPoint(detail::Operation::kWait, &latch_);  // wait()'s point
  }
  if (latch_.count_ == 0) {
    detail::HappensBeforeAcquire(latch_);
    return Outcome::kDone;
  }
  if (!detail::InSimulation()) {
    throw std::logic_error("weave::latch: wait() would block outside a simulation");
  }
  ShowWaitAs(detail::Operation::kWait, &latch_);
  WaitOn(latch_.waiters_);
  return Outcome::kWait;
}

}  // namespace weave
