// weave::promise and weave::future: the shared state's code that does not depend on T.
#include "weave/future.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "internal/strings.hpp"

#include "weave/task_backend.hpp"

namespace weave::detail {

FutureStateBase::~FutureStateBase() {
  if (error_ && !error_retrieved_ && !broken_ && InSimulation() && !Stale() && !Aborting() &&
      std::uncaught_exceptions() == 0) {
    // Retrieving it is the only way anyone can learn that the computation failed.
    ReportFailure(FailureKind::kUncaughtException,
                  absl::StrCat(Describe(), " was destroyed holding an exception nobody retrieved: ",
                               DescribeException(error_)),
                  absl::StrCat("the exception was stored by set_exception at ",
                               error_set_at_.file_name(), ":", error_set_at_.line(),
                               "\n(retrieve it with get() or co_await on the future)"),
                  ToPosition(error_set_at_), /*stop_now=*/false);
  }
  CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
}

void FutureStateBase::TakeFuture(const weave::source_location& where) {
  if (future_taken_) {
    FailFuture(std::future_errc::future_already_retrieved,
               absl::StrCat("get_future() called twice on the promise of ", Describe(),
                            " (future_already_retrieved)"),
               where);
  }
  future_taken_ = true;
}

void FutureStateBase::BeginSet(std::string_view what, const weave::source_location& where) {
  SchedulingPoint(Operation::kNotify, this);
  if (ready_) {
    FailFuture(std::future_errc::promise_already_satisfied,
               absl::StrCat(AV(what), "() on the promise of ", Describe(),
                            ", which is already satisfied (promise_already_satisfied)"),
               where);
  }
}

void FutureStateBase::MakeReady() {
  ready_ = true;
  HappensBeforeRelease(*this);  // whoever finds the state ready happens after the set
  WakeAll(waiters_);
}

void FutureStateBase::SetException(std::exception_ptr error, const weave::source_location& where) {
  BeginSet("set_exception", where);
  if (!error) {
    if (InSimulation()) {
      ReportMisuse(absl::StrCat("set_exception(nullptr) on the promise of ", Describe()), where);
    }
    throw std::invalid_argument("weave::promise: set_exception with a null exception_ptr");
  }
  error_ = std::move(error);
  error_set_at_ = where;
  MakeReady();
}

void FutureStateBase::Abandon() noexcept {
  if (ready_) return;
  error_ = std::make_exception_ptr(std::future_error(std::future_errc::broken_promise));
  broken_ = true;
  ready_ = true;
  // Not a scheduling point (destructors), so the object may not be known to this run yet: then
  // its queue holds nobody of this run.
  if (Stale()) {
    waiters_.Forget();
  } else {
    HappensBeforeRelease(*this);  // as std's: the destruction makes the state ready
    WakeAll(waiters_);
  }
}

bool FutureStateBase::IsReady() {
  SchedulingPoint(Operation::kRead, this);
  if (!ready_) return false;
  HappensBeforeAcquire(*this);
  return true;
}

void FutureStateBase::RethrowError() {
  if (!error_) return;
  error_retrieved_ = true;
  std::rethrow_exception(error_);
}

BlockingOperation::Outcome FutureWait::Attempt() {
  if (state_->ready_) {
    HappensBeforeAcquire(*state_);
    return Outcome::kDone;
  }
  WaitOn(state_->waiters_, deadline_);
  return Outcome::kWait;
}

bool WaitForFuture(std::shared_ptr<FutureStateBase> state, Nanos deadline,
                   const weave::source_location& where) {
  if (!InSimulation()) {
    if (state->ready()) return true;
    throw std::logic_error("weave::future: waiting would block outside a simulation");
  }
  FutureWaitVoid operation(std::move(state), deadline, where);
  Perform(operation);
  return operation.ready();
}

void FailFuture(std::future_errc code, const std::string& message,
                const weave::source_location& where) {
  if (InSimulation()) ReportMisuse(message, where);
  throw std::future_error(code);
}

}  // namespace weave::detail
