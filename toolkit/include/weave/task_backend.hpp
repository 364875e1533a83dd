// weave/task_backend.hpp: how an adapter plugs an execution mechanism into the scheduler.
//
// For adapter authors, not test writers. The toolkit decides *which* task runs; a TaskBackend knows
// *how* to run it (a Boost.Context fiber, a coroutine on a carrier fiber, an OS thread behind a
// baton). An adapter creates a task with detail::CreateTask, passing its backend; the scheduler
// calls SwitchFrom whenever it hands control to that task.
//
//   auto backend = std::make_unique<MyBackend>(...);
//   weave::TaskId id = weave::detail::CreateTask("worker", weave::TaskKind::kFiber,
//   std::move(backend)); weave::detail::SchedulingPoint(weave::detail::Operation::kSpawn, nullptr);
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>

#include "weave/failure.hpp"

namespace weave {

enum class TaskKind : std::uint8_t { kBody, kFiber, kCoroutine, kThread };
std::string_view TaskKindName(TaskKind kind);

class TaskBackend {
 public:
  virtual ~TaskBackend() = default;
  // Called on the running task, whose backend is `from`: suspends it and resumes (or starts) the
  // task of this backend. Returns when `from` is resumed by a later switch.
  virtual void SwitchFrom(TaskBackend& from) = 0;
};

namespace detail {

// Adds a runnable task to the current run and returns its id (ids follow creation order). Does not
// switch; the caller follows with a scheduling point. The task's first action when started must be
// to run its function unless Aborting(), then call FinishCurrentTask() and transfer to the backend
// it returns without coming back.
TaskId CreateTask(std::string_view name, TaskKind kind, std::unique_ptr<TaskBackend> backend);
// The backend of task 0 (the body, running on the thread that called explore). Null until an
// adapter installs one; an adapter installs its own before the first switch.
TaskBackend* RootBackend();
void InstallRootBackend(std::unique_ptr<TaskBackend> backend);
// Marks the current task finished, wakes its joiners and returns the backend to transfer to.
TaskBackend& FinishCurrentTask();
// Reports an exception that escaped the current task's function (never swallowed).
void ReportUncaughtException(const std::exception_ptr& error);
// The backend of the running task.
TaskBackend& CurrentBackend();
// Stack size for new stackful tasks (Options::stack_size).
std::size_t StackSize();

}  // namespace detail
}  // namespace weave
