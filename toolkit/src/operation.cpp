// The task-kind-independent half of waiting operations and awaitables.
#include "weave/detail/operation.hpp"

#include <stdexcept>

#include "weave/cancellation.hpp"
#include "weave/task_backend.hpp"

namespace weave {

bool TaskBackend::Await(std::coroutine_handle<> /*coroutine*/,
                        detail::BlockingOperation& operation) {
  // A coroutine awaited on a stackful task (sync_wait on the body, a coroutine resumed by a
  // fiber): the task blocks on its stack exactly as the blocking call would.
  detail::Perform(operation);
  return false;
}

void TaskBackend::AppendStack(std::vector<StackFrame>& /*frames*/) const {}

bool this_task::cancellation_requested() { return detail::CancelRequested(); }

namespace detail {

bool AwaitOperation(std::coroutine_handle<> h, BlockingOperation& operation) {
  if (!InSimulation()) {
    throw std::logic_error(
        "weave: a weave awaitable was awaited outside a simulation (inside weave::explore or a "
        "WEAVE_TEST body only)");
  }
  // Awaitable::await_suspend came here because t_current_backend is null: the body, before any
  // adapter installed its backend. It is stackful: block it.
  if (TaskBackend* backend = t_current_backend) return backend->Await(h, operation);
  Perform(operation);
  return false;
}

void BlockingOperation::RaiseEnded() const {
  if (error_) std::rethrow_exception(error_);
  switch (ended_) {
    case WakeReason::kAborted:
      // The run is stopping: unwind the coroutine (RunAborted), unless it is unwinding already.
      // Without a stopping run, kAborted means the object waited on was destroyed (reported).
      if (Aborting()) StopAt(op_);
      break;
    case WakeReason::kCancelled:
      throw task_cancelled();
    case WakeReason::kNotified:
    case WakeReason::kTimedOut:
      break;
  }
}

}  // namespace detail
}  // namespace weave
