// task_group: the shared state of a group and its children, the child wrapper that records the
// first error and cancels the siblings, and the waits (coroutine and blocking).
#include "weave/task_group.hpp"

#include <cassert>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "weave/co_spawn.hpp"
#include "weave/detail/operation.hpp"
#include "weave/task_backend.hpp"

namespace weave::detail {

// What a group and its children share. Children hold it too, so that a child of a group that was
// (wrongly) destroyed early never touches freed memory.
class TaskGroupState {
 public:
  TaskGroupState(std::string_view name, weave::source_location created)
      : name_(name), created_(created) {}
  ~TaskGroupState() {
    // Only a misused group can go with a waiter still enqueued; never leave it dangling.
    if (!waiters_.empty() && InSimulation() && CurrentRunSerial() == run_serial_) {
      DetachWaiters(waiters_);
    }
  }
  TaskGroupState(const TaskGroupState&) = delete;
  TaskGroupState& operator=(const TaskGroupState&) = delete;

  // "task_group 'name'", or "task_group" for an unnamed one.
  std::string Describe() const {
    return name_.empty() ? std::string("task_group") : "task_group '" + name_ + "'";
  }

  void Spawn(const std::shared_ptr<TaskGroupState>& self, std::string_view name, task<void> child,
             weave::source_location where);
  // A child's wrapper began to run on task `id`.
  void ChildStarted(TaskId id) {
    started_.push_back(id);
    if (cancelled_) CancelTask(id);
  }
  // A child ended (not in a stopping run).
  void ChildEnded() {
    assert(live_ > 0);
    --live_;
    if (Idle()) WakeAll(waiters_);
  }
  // A child (or the scope's body) ended with `error`: the first one is kept, and every child
  // but `except` is cancelled.
  void Fail(std::exception_ptr error, TaskId except) {
    if (!error_) error_ = std::move(error);
    Cancel(except);
  }
  void Cancel(TaskId except) {
    cancelled_ = true;
    if (!InSimulation() || CurrentRunSerial() != run_serial_) return;
    for (const TaskId id : started_) {
      if (id != except) CancelTask(id);
    }
  }
  bool cancelled() const { return cancelled_; }

  // No child is running or being spawned.
  bool Idle() const { return live_ == 0 && spawning_ == 0; }
  // Every child spawned so far was joined.
  bool AllJoined() const { return joined_ == handles_.size(); }
  // Whether the group is done with: nothing runs, nothing waits to be joined.
  bool Settled() const { return Idle() && AllJoined(); }
  // The next child to join (in spawn order).
  task_handle<void> TakeNextToJoin() {
    assert(!AllJoined());
    return std::move(handles_[joined_++]);
  }
  // The first child not finished yet, for deadlock reports ("join of task 3 'worker'").
  TaskId FirstUnfinished() const {
    for (std::size_t i = joined_; i < handles_.size(); ++i) {
      if (handles_[i].joinable() && !TaskFinished(handles_[i].id())) return handles_[i].id();
    }
    return kNoTask;
  }
  // Rethrows (and forgets) the first error; else task_cancelled if the waiter was cancelled.
  void RaiseOutcome(bool waiter_cancelled) {
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    if (waiter_cancelled) throw task_cancelled();
  }

  // The destructor's check: reports children never waited for.
  void CheckLeaked();

  WaitQueue& waiters() { return waiters_; }

 private:
  std::string name_;
  weave::source_location created_;
  std::uint64_t run_serial_ = 0;  // the run of the children (set by the first spawn)
  // Invariant: handles_[i] and names_[i] are the i-th child spawned; handles_[0, joined_) have
  // been taken by a wait and are empty.
  std::vector<task_handle<void>> handles_;
  std::vector<std::string> names_;
  std::size_t joined_ = 0;
  std::vector<TaskId> started_;  // children whose wrapper has started, in start order
  // Invariant: live_ counts children spawned and not ended; spawning_ the spawn() calls under
  // way, whose handle is not stored yet. Waiters are woken when both reach 0.
  std::size_t live_ = 0;
  std::size_t spawning_ = 0;
  std::exception_ptr error_;  // the first failure, in completion order
  bool cancelled_ = false;
  WaitQueue waiters_;  // tasks in wait() or join()
};

namespace {

// Suspends the cancellation of the current task while it lives: a waiter joins its cancelled
// children without being interrupted by its own cancellation.
class CancellationShield {
 public:
  CancellationShield() : active_(InSimulation()) {
    if (active_) ShieldFromCancellation(true);
  }
  ~CancellationShield() {
    if (active_) ShieldFromCancellation(false);
  }
  CancellationShield(const CancellationShield&) = delete;
  CancellationShield& operator=(const CancellationShield&) = delete;

 private:
  bool active_;
};

// Waiting until no child of the group runs. Shown in reports as a join of the first unfinished
// child. Cancellable in a coroutine task (unless shielded) like every await.
class GroupWaitOperation final : public BlockingOperation {
 public:
  GroupWaitOperation(TaskGroupState& group, const weave::source_location& where)
      : BlockingOperation(Operation::kJoin, nullptr, where), group_(&group) {}
  Outcome Attempt() override {
    if (group_->Idle()) return Outcome::kDone;
    WaitOn(group_->waiters());
    ShowWaitAs(Operation::kJoin, nullptr, group_->FirstUnfinished());
    return Outcome::kWait;
  }
  void Result() const {}

 private:
  TaskGroupState* group_;
};

// Every child runs in this wrapper: it records how the child ended and cancels the siblings when
// the child failed. It never ends with an exception of the child's.
task<void> RunGroupChild(std::shared_ptr<TaskGroupState> group, task<void> child) {
  group->ChildStarted(CurrentTask());
  try {
    co_await std::move(child);
  } catch (const RunAborted&) {
    throw;  // the run is stopping: unwind, the group no longer matters
  } catch (const task_cancelled&) {
    // Expected when the group cancelled it; otherwise someone else cancelled what the child
    // awaited, and that is the child's failure.
    if (!group->cancelled()) group->Fail(std::current_exception(), CurrentTask());
  } catch (...) {
    group->Fail(std::current_exception(), CurrentTask());
  }
  group->ChildEnded();
}

task<void> WaitForGroup(std::shared_ptr<TaskGroupState> group, weave::source_location where) {
  bool cancelled = false;  // the waiting task itself was cancelled
  for (;;) {
    if (!cancelled) {
      try {
        co_await Awaitable<GroupWaitOperation>(*group, where);
      } catch (const task_cancelled&) {
        cancelled = true;
      }
      if (cancelled) group->Cancel(kNoTask);
    }
    {
      CancellationShield shield;
      if (cancelled) co_await Awaitable<GroupWaitOperation>(*group, where);
      // Joining (instant: they have ended) orders what the children did before what follows.
      while (!group->AllJoined()) {
        task_handle<void> child = group->TakeNextToJoin();
        co_await child;
      }
    }
    if (group->Settled()) break;  // else another task spawned into the group meanwhile
  }
  group->RaiseOutcome(cancelled);
}

}  // namespace

void TaskGroupState::Spawn(const std::shared_ptr<TaskGroupState>& self, std::string_view name,
                           task<void> child, weave::source_location where) {
  if (!InSimulation()) {
    throw std::logic_error(
        "weave::task_group::spawn called outside a simulation (inside weave::explore or a "
        "WEAVE_TEST body only)");
  }
  const std::uint64_t run = CurrentRunSerial();
  if (run_serial_ != run) {
    if (run_serial_ != 0) {
      throw std::logic_error(
          "weave::task_group: a group belongs to one run (create it inside the test body)");
    }
    run_serial_ = run;
  }
  ++live_;
  ++spawning_;
  try {
    handles_.push_back(co_spawn(name, RunGroupChild(self, std::move(child)), where));
  } catch (...) {
    --live_;  // outside a simulation or the run stopping: the child never ran
    --spawning_;
    throw;
  }
  names_.emplace_back(name);
  --spawning_;
  if (Idle()) WakeAll(waiters_);  // the child ended during the spawn
}

void TaskGroupState::CheckLeaked() {
  if (Settled() || !InSimulation() || CurrentRunSerial() != run_serial_ || Aborting()) return;
  if (std::uncaught_exceptions() > 0) {
    // The scope is unwinding: stop the children it can no longer wait for.
    Cancel(kNoTask);
    return;
  }
  std::string children;
  for (std::size_t i = joined_; i < handles_.size(); ++i) {
    if (!handles_[i].joinable()) continue;
    absl::StrAppend(&children, "\n  task ", handles_[i].id(), " '", names_[i], "' (",
                    TaskFinished(handles_[i].id()) ? "finished" : "running", ")");
  }
  ReportFailure(FailureKind::kLeakedTask,
                absl::StrCat(Describe(),
                             " was destroyed before its children were waited for (co_await "
                             "group.wait() or group.join() before the group goes out of scope)"),
                absl::StrCat("children never waited for:", children, "\ngroup created at ",
                             created_.file_name(), ":", created_.line()),
                ToPosition(created_), /*stop_now=*/false);
}

void TaskGroupAccess::Fail(task_group& group, std::exception_ptr error) {
  group.state_->Fail(std::move(error), kNoTask);
}

std::string IndexedName(std::string_view prefix, std::size_t index) {
  std::string name(prefix);
  absl::StrAppend(&name, "[", index, "]");
  return name;
}

}  // namespace weave::detail

namespace weave {

task_group::task_group(std::string_view name, weave::source_location created)
    : state_(std::make_shared<detail::TaskGroupState>(name, created)) {}

task_group::~task_group() { state_->CheckLeaked(); }

void task_group::spawn(std::string_view name, task<void> child, weave::source_location where) {
  if (!child.valid()) throw std::invalid_argument("weave::task_group::spawn: empty task");
  state_->Spawn(state_, name, std::move(child), where);
}

task<void> task_group::wait(weave::source_location where) {
  return detail::WaitForGroup(state_, where);
}

void task_group::join(weave::source_location where) {
  const std::shared_ptr<detail::TaskGroupState> group = state_;
  for (;;) {
    detail::GroupWaitOperation operation(*group, where);
    detail::Perform(operation);
    operation.RaiseIfEnded();
    while (!group->AllJoined()) group->TakeNextToJoin().join(where);
    if (group->Settled()) break;
  }
  group->RaiseOutcome(/*waiter_cancelled=*/false);
}

void task_group::cancel() { state_->Cancel(kNoTask); }

bool task_group::cancelled() const { return state_->cancelled(); }

}  // namespace weave
