// weave/cancellation.hpp: cooperative cancellation of coroutine tasks.
//
// A task_group (weave/task_group.hpp) or when_any cancels its other children when one fails or
// wins. Cancellation is cooperative: the cancelled task's next co_await on a weave awaitable (or
// the one it is waiting at) throws weave::task_cancelled, which unwinds it like any exception;
// the group swallows it. A task can also poll this_task::cancellation_requested().
//
//   try { co_await ch.co_receive(); } catch (const weave::task_cancelled&) { cleanup(); throw; }
//   if (weave::this_task::cancellation_requested()) co_return;
#pragma once

#include <exception>

namespace weave {

// Thrown at a co_await of a task that was cancelled. Let it propagate: the group that cancelled
// the task expects it, and swallowing it leaves the task running to its next await, where it is
// thrown again.
class task_cancelled : public std::exception {
 public:
  const char* what() const noexcept override { return "weave: the task was cancelled"; }
};

namespace this_task {
// Whether the current task has been asked to stop. False outside a simulation.
bool cancellation_requested();
}  // namespace this_task

}  // namespace weave
