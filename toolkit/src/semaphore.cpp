#include "weave/semaphore.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"

namespace weave::detail {

SemaphoreCore::SemaphoreCore(std::ptrdiff_t initial, std::ptrdiff_t max, std::string_view name)
    : SyncObject(ObjectKind::kSemaphore, name), count_(initial), max_(max) {
  if (initial < 0 || initial > max) {
    throw std::invalid_argument(absl::StrCat("weave::counting_semaphore: initial count ", initial,
                                             " is outside [0, ", max, "]"));
  }
}

SemaphoreCore::~SemaphoreCore() {
  CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
}

void SemaphoreCore::Release(std::ptrdiff_t update, weave::source_location where) {
  SchedulingPoint(Operation::kRelease, this);
  if (update < 0 || update > max_ - count_) {
    const std::string what =
        update < 0 ? absl::StrCat("release(", update, ") on ", Describe(), ": negative update")
                   : absl::StrCat("release(", update, ") on ", Describe(), " with count ", count_,
                                  " exceeds max() = ", max_);
    if (!InSimulation()) throw std::logic_error(absl::StrCat("weave: ", what));
    ReportMisuse(what, where);
    return;
  }
  count_ += update;
  HappensBeforeRelease(*this);  // whoever takes a unit after this happens after it
  WakeAll(waiters_);
}

bool SemaphoreCore::TryAcquire() {
  SchedulingPoint(Operation::kAcquire, this);
  if (count_ == 0) return false;
  --count_;
  HappensBeforeAcquire(*this);
  return true;
}

bool SemaphoreCore::AcquireUntil(Nanos deadline, weave::source_location where) {
  AcquireOperation operation(*this, deadline, where);
  Perform(operation);
  return operation.acquired();
}

BlockingOperation::Outcome SemaphoreCore::AcquireOperation::Attempt() {
  if (semaphore_.count_ > 0) {
    --semaphore_.count_;
    acquired_ = true;
    HappensBeforeAcquire(semaphore_);
    return Outcome::kDone;
  }
  if (!InSimulation()) {
    throw std::logic_error("weave::counting_semaphore: acquire() would block outside a simulation");
  }
  WaitOn(semaphore_.waiters_, deadline_);
  return Outcome::kWait;
}

}  // namespace weave::detail
