// weave/task_backend.hpp: how an adapter plugs an execution mechanism into the scheduler.
//
// For adapter authors, not test writers. The toolkit decides *which* task runs; a TaskBackend knows
// *how* to run it (a Boost.Context fiber, a coroutine on a carrier fiber, an OS thread behind a
// baton). An adapter creates a task with detail::CreateTask, passing its backend; the scheduler
// calls SwitchFrom whenever it hands control to that task. A backend whose tasks wait without a
// stack (coroutines) overrides Await and drives the split scheduling calls at the end of this file.
//
//   auto backend = std::make_unique<MyBackend>(...);
//   TaskId id = detail::CreateTask("worker", TaskKind::kFiber, std::move(backend), where);
//   detail::SchedulingPoint(detail::Operation::kSpawn, nullptr);
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weave/detail/runtime.hpp"
#include "weave/failure.hpp"

namespace weave {
namespace detail {
class BlockingOperation;
}  // namespace detail

enum class TaskKind : std::uint8_t { kBody, kFiber, kCoroutine, kThread };
std::string_view TaskKindName(TaskKind kind);

class TaskBackend {
 public:
  virtual ~TaskBackend() = default;
  // Called on the running task, whose backend is `from`: suspends it and resumes (or starts) the
  // task of this backend. Returns when `from` is resumed by a later switch.
  virtual void SwitchFrom(TaskBackend& from) = 0;

  // A coroutine running on this task awaits `operation` (a weave awaitable). Returns whether the
  // coroutine stays suspended. The default, for stackful tasks, performs the operation on the
  // task's stack (blocking it as needed) and returns false: the coroutine carries on at once.
  // Coroutine tasks override it to suspend without a stack.
  virtual bool Await(std::coroutine_handle<> coroutine, detail::BlockingOperation& operation);

  // Appends the task's logical stack, innermost frame first (coroutine tasks: the chain of
  // awaiting coroutines, each at its co_await). Default: nothing known.
  virtual void AppendStack(std::vector<StackFrame>& frames) const;
};

namespace detail {

// Adds a runnable task to the current run and returns its id (ids follow creation order). Does not
// switch; the caller follows with a scheduling point. The task's first action when started must be
// to run its function unless Aborting(), then call FinishCurrentTask() and transfer to the backend
// it returns without coming back.
TaskId CreateTask(std::string_view name, TaskKind kind, std::unique_ptr<TaskBackend> backend,
                  const weave::source_location& spawned_at = {});
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

// Names the frames of a native stack (return addresses, innermost first, as unw_backtrace gives
// them): demangled function and, where debug info has it, file:line. `first_is_exact` when the
// first address is an interrupted instruction rather than a return address. Cached per address;
// thread-safe; for reports, not for every step.
std::vector<StackFrame> SymbolizeNativeStack(void* const* addresses, int count,
                                             bool first_is_exact);

// --- For tasks that run on OS threads of their own (weave::thread) ---
// The run the calling OS thread works for (null outside a simulation).
Simulation* CurrentRun();
// Called on an OS thread that has just been handed the baton of `run`: from now on the thread sees
// the run (weave's primitives work) and its current task.
void EnterRun(Simulation* run);
// Called on an OS thread that leaves its run for good (its task finished or was abandoned).
// Async-signal-safe.
void LeaveRun();

// How the watchdog reaches a task that runs on an OS thread of its own when it holds the baton and
// stalls (blocks for real, outside weave). The thread registers itself while it holds the baton.
class StallInterrupter {
 public:
  virtual ~StallInterrupter() = default;
  // Called on the watchdog's thread once the run has not moved for the watchdog's limit;
  // `progress` is WatchdogProgress() as the watchdog last saw it. Must return at once: the
  // interrupter decides on its own thread whether it really is stalled.
  virtual void Interrupt(std::uint64_t progress) noexcept = 0;
};
// Registers (or, with null, clears) the interrupter of the current run. Clear it before handing
// the baton on.
void SetStallInterrupter(StallInterrupter* interrupter);
// The current run's progress counter (changes at every scheduling step). Async-signal-safe.
std::uint64_t WatchdogProgress() noexcept;
// Called on the main carrier once a stalled thread task gave up the baton (OsCarrier's kTakeOver):
// reports the stall, leaves that task behind for good (never resumed, never unwound: its OS thread
// is still blocked) and makes the body current so that it tears the run down. Returns the
// body's backend.
TaskBackend& TakeOverFromStalledTask();

// --- For tasks that suspend without a stack (coroutines at a co_await) ---
// The split form of a scheduling point and of Block, for a backend whose task suspends and later
// resumes on whatever stack is at hand. The calling backend is the current task's.
//
// Records `op` on `object` as the current task's operation (first half of a scheduling point).
void NotePoint(Operation op, const SyncObject* object);
// Marks the current task blocked as Block() would (the caller enqueued it if it waits in a
// queue), without switching. False when the wait is over already, with *early saying why.
bool BeginWait(Operation op, const SyncObject* object, Nanos deadline,
               const weave::source_location& where, TaskId on_task, WakeReason* early);
// When a task blocked by BeginWait is current again: why it woke (kAborted if the run stops).
WakeReason EndWait();
// Picks the task to run next (maybe the current one); kNoTask when the run is stopping, in
// which case the current task must unwind.
TaskId PickNextTask();
// Makes `id` the current task without switching stacks; returns its backend.
TaskBackend& MakeCurrent(TaskId id);
// NotePoint, PickNextTask and MakeCurrent in one call, for the hot path of a stackless task that
// suspended: records `op` on `object` when `note` (a scheduling point; not after BeginWait, which
// noted its own), picks the next task and makes it current. Returns its backend (maybe the
// caller's), or null when the run is stopping (the current task must then unwind; it stays
// current).
TaskBackend* ScheduleNext(bool note, Operation op, const SyncObject* object);
// At a stopping point of a stopped run: throws RunAborted (or returns kAborted while unwinding).
WakeReason StopAt(Operation op);
// Asks task `id` to stop: its next (or current) co_await throws weave::task_cancelled.
void CancelTask(TaskId id);
// Whether the current task was asked to stop (and is not shielded).
bool CancelRequested();
// Nestable: while shielded, the current task's awaits ignore a cancellation request (a task
// group waits for its children even when its own task was cancelled). Pair true with false.
void ShieldFromCancellation(bool shield);
// The current task's handle must be joined or awaited before the run ends (else: leaked-task).
void RequireJoin(TaskId id);
// Marks `id` joined or detached: it no longer needs a join.
void MarkJoined(TaskId id);
// Whether task `id` of the current run has finished (true for ids not in this run).
bool TaskFinished(TaskId id);
// The backend of task `id` of the current run.
TaskBackend& BackendOfTask(TaskId id);
// The kind of the running task.
TaskKind CurrentTaskKind();
// Task `id` holds an exception for whoever joins it; if nobody has retrieved it when the run
// ends, that is reported (uncaught-exception). `description` says what it is.
void NoteUnretrievedError(TaskId id, std::string description);
void MarkErrorRetrieved(TaskId id);
// "exception of type T: what()", for reports.
std::string DescribeException(const std::exception_ptr& error);

}  // namespace detail
}  // namespace weave
