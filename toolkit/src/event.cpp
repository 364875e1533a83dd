// weave::event: a manual-reset event.
#include "weave/event.hpp"

#include <stdexcept>

namespace weave {

event::~event() {
  detail::CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
}

void event::set(weave::source_location /*where*/) {
  detail::SchedulingPoint(detail::Operation::kNotify, this);
  // Also when it is set already: a wait that returns later happens after this set() too, as with
  // cppcoro's, whose set() is a read-modify-write of the flag.
  detail::HappensBeforeRelease(*this);
  if (set_) return;
  set_ = true;
  ++sets_;
  detail::WakeAll(waiters_);
}

void event::reset(weave::source_location /*where*/) {
  detail::SchedulingPoint(detail::Operation::kWrite, this);
  set_ = false;
}

bool event::is_set() const {
  detail::SchedulingPoint(detail::Operation::kRead, this);
  if (!set_) return false;
  detail::HappensBeforeAcquire(*this);
  return true;
}

void event::wait(weave::source_location where) const { WaitUntil(detail::kNoDeadline, where); }

bool event::WaitUntil(detail::Nanos deadline, const weave::source_location& where) const {
  if (!detail::InSimulation()) {
    if (set_) return true;
    throw std::logic_error("weave::event: wait() would block outside a simulation");
  }
  WaitOperation operation(*this, deadline, where);
  detail::Perform(operation);
  return operation.released();
}

detail::BlockingOperation::Outcome event::WaitOperation::Attempt() {
  if (event_.set_ || (waiting_ && event_.sets_ != sets_seen_)) {
    released_ = true;
    detail::HappensBeforeAcquire(event_);
    return Outcome::kDone;
  }
  if (!waiting_) {
    waiting_ = true;
    sets_seen_ = event_.sets_;
  }
  WaitOn(event_.waiters_, deadline_);
  return Outcome::kWait;
}

}  // namespace weave
