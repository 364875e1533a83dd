// weave/detail/operation.hpp: one waiting operation, written once for every kind of task.
//
// Internal. A primitive's operation that may have to wait (lock, acquire, receive, join, sleep...)
// is a small state machine deriving from BlockingOperation. Every kind of task runs the same code:
//  - a stackful task (the body, a fiber) calls Perform(): a scheduling point, then Attempt() until
//    it is done, blocking its stack in between;
//  - a coroutine `co_await`s an Awaitable<Op>: it suspends at the scheduling point and while it
//    waits, holding no stack, and its backend runs the same Attempt() when the task is picked.
// So a coroutine and a fiber waiting on the same mutex are woken by the same code.
//
//   class LockOperation final : public detail::BlockingOperation { Outcome Attempt() override; };
//   LockOperation op(...);  detail::Perform(op);          // a fiber
//   co_await detail::Awaitable<LockOperation>(...);        // a coroutine
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/task_backend.hpp"

namespace weave::detail {

class BlockingOperation {
 public:
  enum class Outcome : std::uint8_t { kDone, kWait };

  BlockingOperation(Operation op, const SyncObject* object, const weave::source_location& where)
      : op_(op), object_(object), where_(where), wait_op_(op), wait_object_(object) {}
  // Copyable only so that an awaitable can be moved before it is awaited (compilers may move
  // the operand of co_await into the coroutine frame; a derived operation's implicit move
  // constructor copies this base). Never copied once started.
  BlockingOperation(const BlockingOperation&) = default;
  BlockingOperation& operator=(const BlockingOperation&) = delete;

  // Public and virtual, as for any class with virtual functions (operations live in the caller's
  // frame and are never deleted through this base).
  virtual ~BlockingOperation() = default;

  // Tries to finish. kDone: the operation is over and its result is in the derived object.
  // kWait: the task must wait; Attempt has called WaitOn (or WaitUntil) to say on what.
  virtual Outcome Attempt() = 0;
  // The wait set up by the last Attempt ended for `reason`, which is never kNotified (after a
  // notification the operation is attempted again). Returns true when the operation is over
  // (the default: a timeout or a cancellation ends it), false to attempt again.
  virtual bool OnWaitEnded(WakeReason reason) {
    ended_ = reason;
    return true;
  }

  // The scheduling point that starts the operation (none when starts_with_point() is false: the
  // operation's first wait is its scheduling point, as for a sleep).
  Operation op() const { return op_; }
  bool starts_with_point() const { return starts_with_point_; }
  // Whether the first attempt always finishes, with no effect (a yield): a coroutine picked
  // after the scheduling point can go on without attempting.
  bool completes_at_once() const { return completes_at_once_; }
  const SyncObject* object() const { return object_; }
  const weave::source_location& where() const { return where_; }

  // What the last Attempt asked to wait for.
  WaitQueue* wait_queue() const { return wait_queue_; }
  bool enqueued() const { return enqueued_; }
  Operation wait_op() const { return wait_op_; }
  const SyncObject* wait_object() const { return wait_object_; }
  Nanos deadline() const { return deadline_; }
  TaskId waits_for_task() const { return waits_for_task_; }

  // Why the operation ended without succeeding: kNotified when it did not (it succeeded or
  // failed in Attempt), kTimedOut, kAborted (the run is stopping) or kCancelled.
  WakeReason ended() const { return ended_; }
  // For backends: the call site to show when the awaitable could not capture one (co_await h).
  void SetWhereIfUnknown(const weave::source_location& where) {
    if (where_.line() == 0) where_ = where;
  }
  // Ends the operation before its first attempt (a cancelled task's await).
  void EndBeforeStart(WakeReason reason) { ended_ = reason; }
  // An exception the operation raised while it ran outside the coroutine (see Awaitable).
  void SetError(std::exception_ptr error) { error_ = std::move(error); }
  // Called by await_resume: rethrows the stored error; unwinds the task when the run is stopping;
  // throws task_cancelled when the task was cancelled while waiting.
  void RaiseIfEnded() const {
    if (error_ || ended_ != WakeReason::kNotified) RaiseEnded();
  }

 protected:
  // For Attempt: wait in `queue` (not yet joined; the runner enqueues) until notified or until
  // `deadline`, as operation `op` on `object` (shown in reports).
  void WaitOn(WaitQueue& queue, Nanos deadline = kNoDeadline) { SetWait(&queue, false, deadline); }
  // For Attempt: the task already joined `queue` itself (it had to, before releasing a lock).
  void WaitEnqueued(WaitQueue& queue, Nanos deadline = kNoDeadline) {
    SetWait(&queue, true, deadline);
  }
  // For Attempt: wait for nothing but `deadline` (a sleep).
  void WaitUntil(Nanos deadline) { SetWait(nullptr, false, deadline); }
  // For constructors: Attempt() always returns kDone at once and does nothing.
  void CompletesAtOnce() { completes_at_once_ = true; }
  // For constructors: the operation's first wait is its scheduling point.
  void SkipInitialPoint() { starts_with_point_ = false; }
  // What reports show while the task waits (defaults: op() on object()).
  void ShowWaitAs(Operation op, const SyncObject* object, TaskId task = kNoTask) {
    wait_op_ = op;
    wait_object_ = object;
    waits_for_task_ = task;
  }
  // For Attempt: the call site reports show from now on (a phase that stands for a call the
  // user did not write, as a condition variable's relock of its mutex).
  void ShowWhere(const weave::source_location& where) { where_ = where; }

 private:
  void RaiseEnded() const;
  void SetWait(WaitQueue* queue, bool enqueued, Nanos deadline) {
    wait_queue_ = queue;
    enqueued_ = enqueued;
    deadline_ = deadline;
  }

  Operation op_;
  const SyncObject* object_;
  weave::source_location where_;
  WaitQueue* wait_queue_ = nullptr;
  bool enqueued_ = false;
  Operation wait_op_;
  const SyncObject* wait_object_;
  TaskId waits_for_task_ = kNoTask;
  Nanos deadline_ = kNoDeadline;
  bool starts_with_point_ = true;
  bool completes_at_once_ = false;

 protected:
  WakeReason ended_ = WakeReason::kNotified;

 private:
  std::exception_ptr error_;
};

// Runs the attempts of `operation` on the current task's stack, after its scheduling point:
// attempt, wait, attempt again. A template so that a final operation's Attempt is inlined.
template <class Op>
void RunAttempts(Op& operation) {
  for (;;) {
    if (operation.Attempt() == BlockingOperation::Outcome::kDone) return;
    if (operation.wait_queue() != nullptr && !operation.enqueued()) {
      Enqueue(*operation.wait_queue());
    }
    const WakeReason reason =
        BlockOn(operation.wait_op(), operation.wait_object(), operation.deadline(),
                operation.where(), operation.waits_for_task());
    if (reason != WakeReason::kNotified && operation.OnWaitEnded(reason)) return;
  }
}

// A stackful task performs `operation`: its scheduling point, then its attempts.
template <class Op>
void Perform(Op& operation) {
  if (operation.starts_with_point()) SchedulingPoint(operation.op(), operation.object());
  RunAttempts(operation);
}

// Suspends coroutine `h` on `operation` the way the current task's backend does it. Returns
// whether the coroutine stays suspended (false: the operation is already over). Awaitable calls
// the backend directly; this is the slow path (outside a simulation: throws; no backend yet).
bool AwaitOperation(std::coroutine_handle<> h, BlockingOperation& operation);

// The awaitable form of an operation: `co_await Awaitable<Op>(args...)` performs Op and returns
// Op::Result(). Awaiting is a scheduling point (the coroutine suspends there); a task that was
// cancelled (weave::task_group) gets task_cancelled at its next await.
template <class Op>
class [[nodiscard]] Awaitable {
 public:
  template <class... Args>
  requires std::is_constructible_v<Op, Args&&...>
  explicit Awaitable(Args&&... args) : operation_(std::forward<Args>(args)...) {}
  // Moves the operation (a copy of the base's state, a move of the derived's: an operation that
  // holds a move-only value, as a channel send does, stays awaitable).
  Awaitable(Awaitable&& other) noexcept(std::is_nothrow_move_constructible_v<Op>)
      : operation_(std::move(other.operation_)) {}
  Awaitable& operator=(Awaitable&&) = delete;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) {
    if (TaskBackend* backend = t_current_backend) return backend->Await(h, operation_);
    return AwaitOperation(h, operation_);  // outside a simulation, or no backend installed yet
  }
  decltype(auto) await_resume() {
    operation_.RaiseIfEnded();
    return operation_.Result();
  }

 private:
  Op operation_;
};

// A scheduling point and nothing else (yield).
class YieldOperation final : public BlockingOperation {
 public:
  explicit YieldOperation(const weave::source_location& where)
      : BlockingOperation(Operation::kYield, nullptr, where) {
    CompletesAtOnce();
  }
  Outcome Attempt() override { return Outcome::kDone; }
  void Result() const {}
};

// Waiting until virtual time `deadline`; the wait is the scheduling point.
class SleepOperation final : public BlockingOperation {
 public:
  SleepOperation(Nanos deadline, const weave::source_location& where)
      : BlockingOperation(Operation::kSleep, nullptr, where), until_(deadline) {
    // A sleep into the future is a wait, which is a scheduling point already; one that is due
    // now is a plain scheduling point.
    if (until_ > Now()) SkipInitialPoint();
  }
  Outcome Attempt() override {
    if (Now() >= until_) return Outcome::kDone;
    WaitUntil(until_);
    return Outcome::kWait;
  }
  void Result() const {}

 private:
  Nanos until_;
};

// Waiting for task `id` (of the run `run_serial`) to finish: join_handle::join, and awaiting a
// coroutine task's handle. Misuse (a handle of another run, joining twice, joining itself) is
// reported on the first attempt.
class JoinOperation : public BlockingOperation {
 public:
  JoinOperation(TaskId id, std::uint64_t run_serial, const weave::source_location& where)
      : BlockingOperation(Operation::kJoin, nullptr, where), id_(id), run_serial_(run_serial) {}
  Outcome Attempt() final;
  bool OnWaitEnded(WakeReason reason) final;
  // True when the task finished and this operation joined it.
  bool joined() const { return joined_; }
  TaskId task() const { return id_; }

 private:
  TaskId id_;
  std::uint64_t run_serial_;
  bool checked_ = false;
  bool joined_ = false;
};

}  // namespace weave::detail
