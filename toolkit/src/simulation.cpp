#include "internal/simulation.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>
#include <typeinfo>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "internal/crash_guard.hpp"
#include "internal/demangle.hpp"
#include "internal/strings.hpp"

#include "weave/detail/operation.hpp"

namespace weave::detail {

constinit thread_local Simulation* t_simulation = nullptr;
constinit thread_local TaskBackend* t_current_backend = nullptr;

namespace {

// Process-wide, only ever compared for equality: tells objects and handles which run they saw.
std::atomic<std::uint64_t> g_next_run_serial{1};

constexpr TaskId kRootTask = 0;

bool Unwinding() { return std::uncaught_exceptions() > 0; }

std::string FormatNanos(Nanos t) {
  return t == 0 ? "0s" : absl::FormatDuration(absl::Nanoseconds(t));
}

}  // namespace

void TaskRecord::Reset(TaskId new_id, std::string_view new_name, TaskKind new_kind,
                       TaskId new_parent) {
  id = new_id;
  fingerprint = TaskFingerprint(new_id);
  name.assign(new_name.data(), new_name.size());
  kind = new_kind;
  state = TaskState::kRunnable;
  parent = new_parent;
  backend.reset();
  queue = nullptr;
  prev = next = nullptr;
  woken = false;
  wake_reason = WakeReason::kNotified;
  timer_deadline = kNoDeadline;
  ++timer_token;
  last_op = Operation::kStart;
  last_object = -1;
  blocked_object = nullptr;
  blocked_on_task = kNoTask;
  blocked_op = Operation::kStart;
  joiners.Forget();
  joined = false;
  teardown_throws = 0;
  points_while_stopping = 0;
  waiting_cancellable = false;
  cancel_requested = false;
  cancel_shield = 0;
  must_join = false;
  spawned_at = {};
  unretrieved_error.clear();
  stalled = false;
  last_run_step = -1;
  streak_start = -1;
  last_yield_step = -1;
  yielding = false;
  clock.Clear();
  held_locks.clear();
  description.clear();
  native_stack.clear();
}

Simulation::Simulation(const Options& options, SchedulingStrategy& strategy)
    : options_(options),
      max_steps_(options.max_steps),
      event_loop_(options.event_loop),
      fair_(options.fair),
      strategy_(strategy),
      watchdog_(options.watchdog),
      detect_races_(options.detect_races),
      detect_lock_order_(options.detect_lock_order),
      // Only full traces capture stacks: otherwise no step pays for asking.
      trace_step_stacks_(options.trace_step_stacks && options.trace == TraceMode::kFull) {
  trace_.Configure(options.trace,
                   static_cast<std::size_t>(std::max<std::int64_t>(options.trace_ring_events, 1)));
  strategy_.Attach(this);
}

Simulation::~Simulation() {
  strategy_.Attach(nullptr);
  for (auto& t : tasks_) t->backend.reset();
}

void Simulation::ResetForRun() {
  for (std::size_t i = 0; i < task_count_; ++i) tasks_[i]->backend.reset();
  task_count_ = 0;
  runnable_.clear();
  runnable_fingerprint_ = 0;
  timers_.clear();
  objects_.clear();
  now_ = 0;
  step_ = 0;
  run_serial_ = g_next_run_serial.fetch_add(1, std::memory_order_relaxed);
  aborting_ = false;
  failure_.reset();
  yielding_tasks_ = 0;
  last_picked_ = kNoTask;
  trace_.BeginRun();
  trace_running_ = trace_last_ran_ = kNoTask;
  if (tasks_.empty()) tasks_.push_back(std::make_unique<TaskRecord>());
  tasks_[0]->Reset(kRootTask, "main", TaskKind::kBody, kNoTask);
  task_count_ = 1;
  runnable_.push_back(kRootTask);
  runnable_fingerprint_ = TaskFingerprint(kRootTask);
  SetCurrent(tasks_[0].get());
  ++run_index_;
  races_.BeginRun();
  access_index_ = 0;
  failing_race_.reset();
  races_this_run_.clear();
  lock_nodes_.clear();
  instances_.clear();
  if (detect_races_) tasks_[0]->clock.Set(kRootTask, 1);
}

std::optional<Failure> Simulation::Run(const std::function<void()>& body) {
  if (t_simulation != nullptr) {
    throw std::logic_error("weave::explore called inside a simulation (nesting is not supported)");
  }
  ResetForRun();
  t_simulation = this;
  watchdog_.BeginRun();
  in_body_ = true;
  try {
    body();
  } catch (const RunAborted&) {
    // The run was stopped; the failure is already recorded.
  } catch (...) {
    in_body_ = false;  // the body's frames are gone
    ReportUncaughtException(std::current_exception());
  }
  in_body_ = false;
  TaskRecord& root = task(kRootTask);
  MakeBlocked(root);  // leaves the runnable set, if it is in it
  root.state = TaskState::kFinished;
  if (!aborting_) {
    std::string leaked;
    for (std::size_t i = 1; i < task_count_; ++i) {
      const TaskRecord& t = *tasks_[i];
      if (t.state != TaskState::kFinished) {
        absl::StrAppend(&leaked, "\n  ", DescribeTask(t), ": ", DescribeTaskState(t));
      }
    }
    if (!leaked.empty()) {
      ReportFailure(FailureKind::kLeakedTask,
                    "tasks still alive when the body returned (join them before returning)",
                    absl::StrCat("leaked tasks:", leaked), {}, /*stop_now=*/false);
    }
  }
  if (!aborting_ && watchdog_.Stalled()) ReportStall();  // stalled after its last point
  if (!aborting_) CheckJoinsAndErrors();
  aborting_ = true;
  // Before any task is released: the watchdog may hold a pointer into a thread task.
  watchdog_.EndRun();
  // The body's locals are gone, so tasks still alive cannot be unwound safely: their frames may
  // refer to those locals. Their stacks are released without running destructors.
  AbandonUnfinishedTasks();
  t_simulation = nullptr;
  t_current_backend = nullptr;
  return std::move(failure_);
}

void Simulation::AbandonUnfinishedTasks() {
  // Mark them all first: releasing one task's stack destroys what its function captured, which
  // may be a primitive another abandoned task waits on; its destructor then detaches the waiters
  // through the intact queue links. A task whose queue lived in an object already destroyed was
  // detached by that destructor.
  for (std::size_t i = 1; i < task_count_; ++i) {
    TaskRecord& t = *tasks_[i];
    if (t.state != TaskState::kFinished) t.state = TaskState::kAbandoned;
  }
  runnable_.clear();
  runnable_fingerprint_ = 0;
  for (std::size_t i = 1; i < task_count_; ++i) {
    TaskRecord& t = *tasks_[i];
    if (t.state != TaskState::kAbandoned) continue;
    t.backend.reset();
    t.state = TaskState::kFinished;
  }
}

TaskBackend& Simulation::BackendOf(TaskRecord& t) {
  TaskBackend* backend = t.id == kRootTask ? root_backend_.get() : t.backend.get();
  if (backend == nullptr) {
    std::fprintf(stderr, "weave: internal error: task %d has no backend\n", t.id);
    std::abort();
  }
  return *backend;
}

void Simulation::InstallRootBackend(std::unique_ptr<TaskBackend> backend) {
  root_backend_ = std::move(backend);
  if (current_ != nullptr && current_->id == kRootTask) t_current_backend = root_backend_.get();
}

void Simulation::SetCurrent(TaskRecord* t) {
  TraceRunning(*t);
  current_ = t;
  t_current_backend = t->id == kRootTask ? root_backend_.get() : t->backend.get();
}

TaskId Simulation::CreateTask(std::string_view name, TaskKind kind,
                              std::unique_ptr<TaskBackend> backend) {
  if (task_count_ == tasks_.size()) tasks_.push_back(std::make_unique<TaskRecord>());
  TaskRecord& t = *tasks_[task_count_];
  const auto id = static_cast<TaskId>(task_count_);
  t.Reset(id, name, kind, current_->id);
  t.backend = std::move(backend);
  if (detect_races_) {
    // Spawn: the child starts after everything its parent did; the parent starts a new epoch.
    t.clock.Assign(current_->clock);
    t.clock.Set(id, 1);
    current_->clock.Tick(current_->id);
  }
  ++task_count_;
  TraceOf(current_->id, TraceEventKind::kSpawn, Operation::kSpawn, -1, id);
  // New ids are the largest: appending keeps runnable_ sorted.
  runnable_.push_back(id);
  runnable_fingerprint_ += TaskFingerprint(id);
  return id;
}

void Simulation::NoteOperation(TaskRecord& t, Operation op, const SyncObject* object) const {
  t.last_op = op;
  if (object == nullptr) {
    t.last_object = -1;
  } else {
    t.last_object = object->run_serial_ == run_serial_ ? object->id_ : object->id();
  }
}

void Simulation::MakeRunnable(TaskRecord& t) {
  if (t.state == TaskState::kRunnable) return;
  t.state = TaskState::kRunnable;
  runnable_.insert(std::lower_bound(runnable_.begin(), runnable_.end(), t.id), t.id);
  runnable_fingerprint_ += t.fingerprint;
}

void Simulation::MakeBlocked(TaskRecord& t) {
  if (t.state != TaskState::kRunnable) return;
  t.state = TaskState::kBlocked;
  auto it = std::lower_bound(runnable_.begin(), runnable_.end(), t.id);
  assert(it != runnable_.end() && *it == t.id);
  runnable_.erase(it);
  runnable_fingerprint_ -= t.fingerprint;
}

void Simulation::Unlink(TaskRecord& t) {
  WaitQueue* q = t.queue;
  if (q == nullptr) return;
  (t.prev != nullptr ? t.prev->next : q->head_) = t.next;
  (t.next != nullptr ? t.next->prev : q->tail_) = t.prev;
  t.prev = t.next = nullptr;
  t.queue = nullptr;
  --q->size_;
}

void Simulation::Wake(TaskRecord& t, WakeReason reason) {
  if (reason == WakeReason::kTimedOut) {
    TraceOf(kNoTask, TraceEventKind::kTimeout, t.blocked_op, t.last_object, t.id);
  } else {
    TraceOf(current_->id, TraceEventKind::kWake, t.blocked_op, t.last_object, t.id);
  }
  Unlink(t);
  t.woken = true;
  t.wake_reason = reason;
  t.timer_deadline = kNoDeadline;
  ++t.timer_token;  // any pending timer entry is now stale
  MakeRunnable(t);
}

void Simulation::SchedulingPoint(Operation op, const SyncObject* object) {
  if (aborting_) {
    OnPointWhileStopping(op);
    return;
  }
  NotePoint(op, object);
  // On an event loop, a coroutine's code between two awaits runs without interleaving: only its
  // awaits (which do not come through here) and its real waits (Block) hand over.
  if (event_loop_ && current_->kind == TaskKind::kCoroutine) return;
  Reschedule(op);
}

void Simulation::Reschedule(Operation op) {
  const TaskId next = PickNext();
  if (next == kNoTask) {
    OnPointWhileStopping(op);
    return;
  }
  if (next != current_->id) {
    SwitchTo(task(next));
  } else {
    TraceRunning(*current_);  // picked again, after it blocked maybe
  }
  if (aborting_) OnPointWhileStopping(op);
}

TaskId Simulation::PickNext() {
#ifndef NDEBUG
  CheckInvariants();  // O(tasks) per step: debug builds only
#endif
  while (runnable_.empty()) {
    if (!FireEarliestTimers()) {
      ReportDeadlock();
      return kNoTask;
    }
  }
  if (++step_ > max_steps_) {
    ReportLivelock();
    return kNoTask;
  }
  if (watchdog_.Stalled()) {
    ReportStall();
    return kNoTask;
  }
  const TaskId next = strategy_.PickTask(
      yielding_tasks_ == 0 ? RunnableSet(runnable_, runnable_fingerprint_) : OfferedTasks(),
      current_->id);
  watchdog_.Progress(next);
  if (next == kNoTask) {  // only a replay declines: it diverged from its recording
    std::string why = strategy_.Divergence();
    if (why.empty()) why = "the strategy stopped the run";
    ReportFailure(FailureKind::kNondeterminism, why, "", {}, /*stop_now=*/false);
    return kNoTask;
  }
  // Contract of SchedulingStrategy: the pick is one of `runnable`.
  assert(next >= 0 && static_cast<std::size_t>(next) < task_count_ &&
         task(next).state == TaskState::kRunnable);
  TaskRecord& picked = task(next);
  picked.last_run_step = step_;
  if (next != last_picked_) {
    picked.streak_start = step_;
    last_picked_ = next;
  }
  if (picked.yielding) {
    picked.yielding = false;
    --yielding_tasks_;
  }
  return next;
}

RunnableSet Simulation::OfferedTasks() {
  // A yielder is offered only when it is the runnable task that ran least recently: every other
  // one has run since it yielded (it yielded in the step it last ran). One always is: the least
  // recently run task, yielder or not, is offered.
  std::int64_t least_recent = std::numeric_limits<std::int64_t>::max();
  for (TaskId id : runnable_) least_recent = std::min(least_recent, task(id).last_run_step);
  offered_.clear();
  std::uint64_t fingerprint = 0;
  for (TaskId id : runnable_) {
    const TaskRecord& t = task(id);
    if (t.yielding && t.last_run_step > least_recent) continue;
    offered_.push_back(id);
    fingerprint += t.fingerprint;
  }
  return {offered_, fingerprint};
}

NextStep Simulation::NextStepOf(TaskId id) const {
  const TaskRecord& t = *tasks_[static_cast<std::size_t>(id)];
  NextStep step;
  step.object = t.last_object;
  switch (t.last_op) {
    case Operation::kStart:
      step.access = StepAccess::kNone;
      step.starts = true;
      break;
    case Operation::kSpawn:
    case Operation::kSleep:
    case Operation::kChoose:
      step.access = StepAccess::kNone;
      break;
    case Operation::kYield:
      step.access = StepAccess::kNone;
      step.yields = true;
      break;
    case Operation::kRead:
      step.access = t.last_object < 0 ? StepAccess::kUnknown : StepAccess::kRead;
      break;
    case Operation::kJoin:
    case Operation::kFinish:
      step.access = StepAccess::kUnknown;
      break;
    default:  // writes, atomics, locks, waits, notifications, channels: a change to the object
      step.access = t.last_object < 0 ? StepAccess::kUnknown : StepAccess::kWrite;
      break;
  }
  if (step.access == StepAccess::kNone || step.access == StepAccess::kUnknown) step.object = -1;
  return step;
}

bool Simulation::FireEarliestTimers() {
  const TimerLater later;
  // Drop stale entries.
  while (!timers_.empty()) {
    const Timer& top = timers_.front();
    const TaskRecord& t = *tasks_[static_cast<std::size_t>(top.task)];
    if (top.token == t.timer_token && t.state == TaskState::kBlocked) break;
    std::pop_heap(timers_.begin(), timers_.end(), later);
    timers_.pop_back();
  }
  if (timers_.empty()) return false;
  const Nanos due = timers_.front().deadline;
  now_ = std::max(now_, due);
  // Every task due at this instant becomes runnable; the strategy then picks among them.
  while (!timers_.empty() && timers_.front().deadline == due) {
    const Timer top = timers_.front();
    std::pop_heap(timers_.begin(), timers_.end(), later);
    timers_.pop_back();
    TaskRecord& t = task(top.task);
    if (top.token == t.timer_token && t.state == TaskState::kBlocked) {
      Wake(t, WakeReason::kTimedOut);
    }
  }
  return true;
}

void Simulation::SwitchTo(TaskRecord& next) {
  TaskRecord& prev = *current_;
  SetCurrent(&next);
  BackendOf(next).SwitchFrom(BackendOf(prev));
  // Resumed: whoever switched back set current_ to us. Maybe only to record our stack.
  if (stack_requester_ != nullptr && stack_requester_ != current_) [[unlikely]] {
    AnswerStackRequest();
  }
}

namespace {
// Whether a task that reaches `op` after its run was stopped is unwound there. Releasing
// operations and atomics (reference counts) are what RAII destructors do, and destructors must not
// throw; everything that acquires, waits, yields or reads shared state stops the task, so the
// code after it never acts on a half-finished run.
bool StopsAt(Operation op) {
  switch (op) {
    case Operation::kUnlock:
    case Operation::kUnlockShared:
    case Operation::kNotify:
    case Operation::kRelease:
    case Operation::kArrive:
    case Operation::kClose:
    case Operation::kAtomic:
    case Operation::kFinish:
    // A join in a stopped run completes when its task has been unwound (RAII joins in
    // destructors: a thread pool's); JoinOperation unwinds the joiner otherwise.
    case Operation::kJoin:
      return false;
    default:
      return true;
  }
}
}  // namespace

WakeReason Simulation::OnPointWhileStopping(Operation op) {
  // Task 0 unwinds the others first, so their destructors run while the body's locals exist.
  // Switching is safe anywhere, even inside a destructor: no exception is involved.
  if (current_->id == kRootTask && in_body_) {
    UnwindOtherTasks();
  }
  if (Unwinding()) return WakeReason::kAborted;
  // Releasing and accessing operations are what RAII destructors do, and a destructor must not
  // throw: there the task carries on, without switching, to its next stopping point. A task that
  // only ever spins on such operations is stopped anyway after a while.
  constexpr int kSpinLimit = 100'000;
  if (!StopsAt(op) && ++current_->points_while_stopping <= kSpinLimit) {
    return WakeReason::kAborted;
  }
  {
    if (++current_->teardown_throws > 10'000) {
      std::fprintf(stderr,
                   "weave: task %d '%s' keeps running after the run was stopped: it catches "
                   "weave's teardown exception (catch (...) without rethrow?) and cannot be "
                   "stopped. Aborting.\n",
                   current_->id, current_->name.c_str());
      std::abort();
    }
    throw RunAborted{};
  }
}

void Simulation::UnwindOtherTasks() {
  // Latest first: a task tends to use what its elders own.
  for (std::size_t i = task_count_; i-- > 1;) {
    TaskRecord& t = *tasks_[i];
    if (t.state == TaskState::kFinished) continue;
    Unlink(t);
    MakeRunnable(t);
    SwitchTo(t);  // it unwinds, finishes and transfers back here
  }
}

void Simulation::Enqueue(WaitQueue& queue) {
  TaskRecord& t = *current_;
  assert(t.queue == nullptr);
  t.woken = false;
  t.queue = &queue;
  t.prev = queue.tail_;
  t.next = nullptr;
  (queue.tail_ != nullptr ? queue.tail_->next : queue.head_) = &t;
  queue.tail_ = &t;
  ++queue.size_;
}

bool Simulation::BeginWait(Operation op, const SyncObject* object, Nanos deadline,
                           const weave::source_location& where, TaskId on_task, bool cancellable,
                           WakeReason* early) {
  TaskRecord& me = *current_;
  if (aborting_) {
    Unlink(me);
    me.woken = false;
    *early = WakeReason::kAborted;
    return false;
  }
  NoteOperation(me, op, object);
  if (me.woken) {  // woken between Enqueue and now
    me.woken = false;
    *early = me.wake_reason;
    return false;
  }
  if (cancellable && me.cancel_requested) {
    Unlink(me);
    *early = WakeReason::kCancelled;
    return false;
  }
  if (deadline <= now_) {
    Unlink(me);
    *early = WakeReason::kTimedOut;
    return false;
  }
  me.blocked_object = object;
  me.blocked_op = op;
  me.blocked_where = where;
  me.blocked_on_task = on_task;
  me.waiting_cancellable = cancellable;
  TraceOf(me.id, TraceEventKind::kBlock, op, me.last_object, on_task, TraceStackIfFull());
  TraceStopped();
  MakeBlocked(me);
  if (deadline != kNoDeadline) {
    me.timer_deadline = deadline;
    timers_.push_back({deadline, me.id, ++me.timer_token});
    std::push_heap(timers_.begin(), timers_.end(), TimerLater());
  }
  return true;
}

WakeReason Simulation::EndWait() {
  TaskRecord& me = *current_;
  me.blocked_object = nullptr;
  me.blocked_on_task = kNoTask;
  me.blocked_where = {};
  me.waiting_cancellable = false;
  me.woken = false;
  if (aborting_) {
    Unlink(me);
    return WakeReason::kAborted;
  }
  return me.wake_reason;
}

WakeReason Simulation::Block(Operation op, const SyncObject* object, Nanos deadline,
                             const weave::source_location& where, TaskId on_task) {
  WakeReason early = WakeReason::kNotified;
  if (!BeginWait(op, object, deadline, where, on_task, /*cancellable=*/false, &early)) {
    return aborting_ ? OnPointWhileStopping(op) : early;
  }
  Reschedule(op);  // returns when we run again (woken, timed out, or stopping)
  const WakeReason reason = EndWait();
  // kAborted without aborting_: the object waited on was destroyed (DetachAll).
  return aborting_ ? OnPointWhileStopping(op) : reason;
}

TaskId Simulation::PickNextTask() {
  if (aborting_) return kNoTask;
  return PickNext();
}

TaskBackend& Simulation::Backend(TaskId id) { return BackendOf(task(id)); }

TaskBackend& Simulation::MakeCurrent(TaskId id) {
  SetCurrent(&task(id));
  return BackendOf(*current_);
}

bool JoinOperation::OnWaitEnded(WakeReason reason) {
  Simulation& sim = *Simulation::Current();
  // A cancelled await of a handle did not join: the handle can still be joined or awaited.
  if (reason == WakeReason::kCancelled && checked_) sim.UndoJoin(id_);
  if (reason == WakeReason::kAborted && id_ > 0 &&
      static_cast<std::size_t>(id_) < sim.task_count() &&
      sim.task_record(id_).state == TaskState::kFinished) {
    // The run is stopping but the task did finish (it was unwound): the join succeeds, so that a
    // join in a destructor (a thread pool's) does not have to throw.
    joined_ = true;
    return true;
  }
  if (reason == WakeReason::kAborted && !Unwinding()) throw RunAborted{};
  return BlockingOperation::OnWaitEnded(reason);
}

void Simulation::Cancel(TaskId id) {
  if (id <= 0 || static_cast<std::size_t>(id) >= task_count_) return;
  TaskRecord& t = task(id);
  if (t.state == TaskState::kFinished || t.state == TaskState::kAbandoned) return;
  t.cancel_requested = true;
  if (t.state == TaskState::kBlocked && t.waiting_cancellable) Wake(t, WakeReason::kCancelled);
}

bool Simulation::WakeOne(WaitQueue& queue) {
  if (queue.head_ == nullptr) return false;
  Wake(*queue.head_, WakeReason::kNotified);
  return true;
}

void Simulation::WakeAt(WaitQueue& queue, std::size_t index) {
  TaskRecord* t = queue.head_;
  while (index-- > 0 && t != nullptr) t = t->next;
  if (t != nullptr) Wake(*t, WakeReason::kNotified);
}

std::size_t Simulation::WakeAll(WaitQueue& queue) {
  std::size_t n = 0;
  while (queue.head_ != nullptr) {
    Wake(*queue.head_, WakeReason::kNotified);
    ++n;
  }
  return n;
}

void Simulation::DetachAll(WaitQueue& queue) {
  while (queue.head_ != nullptr) {
    TaskRecord& t = *queue.head_;
    if (t.queue != &queue) {  // broken invariant: never loop on it
      assert(false && "a task in a wait queue does not point back to it");
      queue.Forget();
      return;
    }
    Unlink(t);
    t.woken = true;
    t.wake_reason = WakeReason::kAborted;
  }
}

TaskBackend& Simulation::FinishCurrentTask() {
  TaskRecord& me = *current_;
  me.last_op = Operation::kFinish;
  me.last_object = -1;
  TraceOf(me.id, TraceEventKind::kFinish, Operation::kFinish, -1, -1);
  TraceStopped();
  Unlink(me);
  MakeBlocked(me);  // leaves the runnable set
  me.state = TaskState::kFinished;
  WakeAll(me.joiners);
  TaskId next = kRootTask;
  if (!aborting_) {
    next = PickNext();
    if (next == kNoTask) next = kRootTask;  // failure reported: task 0 tears the run down
  }
  SetCurrent(&task(next));
  return BackendOf(*current_);
}

bool Simulation::ValidateJoin(TaskId id, std::uint64_t run_serial,
                              const weave::source_location& location) {
  // Converted only on failure: a std::string per join would be an allocation per join.
  auto where = [&] { return ToPosition(location); };
  if (id == kNoTask) {
    ReportFailure(FailureKind::kMisuse,
                  "join or co_await of an empty handle (default-constructed, moved from, already "
                  "joined, awaited or detached)",
                  "", where(), /*stop_now=*/false);
    return false;
  }
  if (run_serial != run_serial_ || id <= 0 || static_cast<std::size_t>(id) >= task_count_) {
    ReportFailure(FailureKind::kMisuse, "join() on a handle that does not belong to this run", "",
                  where(), /*stop_now=*/false);
    return false;
  }
  TaskRecord& target = task(id);
  if (target.joined) {
    ReportFailure(FailureKind::kMisuse,
                  absl::StrCat("task ", DescribeTask(target), " joined twice"), "", where(), false);
    return false;
  }
  if (id == current_->id) {
    ReportFailure(FailureKind::kDeadlock,
                  absl::StrCat("task ", DescribeTask(target), " joins itself"), "", where(), false);
    return false;
  }
  target.joined = true;
  return true;
}

void Simulation::UndoJoin(TaskId id) {
  if (id > 0 && static_cast<std::size_t>(id) < task_count_) task(id).joined = false;
}

BlockingOperation::Outcome JoinOperation::Attempt() {
  Simulation& sim = *Simulation::Current();
  if (!checked_) {
    checked_ = true;
    if (!sim.ValidateJoin(id_, run_serial_, where())) return Outcome::kDone;
  }
  TaskRecord& target = sim.task_record(id_);
  if (target.state == TaskState::kFinished) {
    joined_ = true;
    target.must_join = false;
    sim.NoteJoined(id_);
    sim.HappensAfterTask(id_);
    return Outcome::kDone;
  }
  WaitOn(target.joiners);
  ShowWaitAs(Operation::kJoin, nullptr, id_);
  return Outcome::kWait;
}

std::uint64_t Simulation::Choose(std::uint64_t n) {
  if (aborting_) {
    OnPointWhileStopping(Operation::kChoose);
    return 0;
  }
  NoteOperation(*current_, Operation::kChoose, nullptr);
  const std::uint64_t v = strategy_.PickChoice(n);
  if (v == SchedulingStrategy::kNoChoice || v >= n) {
    std::string why = strategy_.Divergence();
    if (why.empty()) why = absl::StrCat("the strategy answered ", v, " to choose(", n, ")");
    ReportFailure(FailureKind::kNondeterminism, why, "", {}, /*stop_now=*/true);
    return 0;
  }
  TraceOf(current_->id, TraceEventKind::kPoint, Operation::kChoose, -1,
          static_cast<std::int64_t>(v));
  return v;
}

std::int32_t Simulation::RegisterObject(ObjectKind kind, const std::string& name) {
  objects_.push_back({kind, name});
  return static_cast<std::int32_t>(objects_.size() - 1);
}

std::string Simulation::DescribeObject(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= objects_.size()) return "?";
  const ObjectInfo& o = objects_[static_cast<std::size_t>(id)];
  if (o.name.empty()) return absl::StrCat(AV(ObjectKindName(o.kind)), " #", id);
  return absl::StrCat(AV(ObjectKindName(o.kind)), " '", o.name, "' (#", id, ")");
}

std::string Simulation::DescribeWhere(const weave::source_location& where) {
  const absl::string_view file = where.file_name();
  if (where.line() == 0 || file.empty()) return {};
  // A call site inside the standard library (std::scoped_lock calling lock()) tells the user
  // nothing; the stack captured at blocking points will (a later issue).
  if (absl::StrContains(file, "/include/c++/") || absl::StartsWith(file, "/usr/include/")) {
    return {};
  }
  return absl::StrCat(" at ", file, ":", where.line());
}

std::string Simulation::DescribeTask(const TaskRecord& t) const {
  return absl::StrCat(t.id, " '", t.name, "'");
}

std::string Simulation::DescribeTaskState(const TaskRecord& t) const {
  switch (t.state) {
    case TaskState::kFinished:
      return t.stalled ? "stalled outside weave (abandoned)" : "finished";
    case TaskState::kAbandoned:
      return "abandoned";
    case TaskState::kRunnable:
      return &t == current_ ? "running" : "runnable";
    case TaskState::kBlocked:
      break;
  }
  std::string s;
  if (t.blocked_on_task != kNoTask) {
    s = absl::StrCat("blocked joining task ", DescribeTask(*tasks_[t.blocked_on_task]));
  } else if (t.blocked_object != nullptr) {
    s = absl::StrCat("blocked in ", AV(OperationName(t.blocked_op)), " on ",
                     DescribeObject(t.last_object));
  } else if (t.blocked_op == Operation::kSleep) {
    s = "sleeping";
  } else {
    s = absl::StrCat("blocked in ", AV(OperationName(t.blocked_op)));
  }
  if (t.timer_deadline != kNoDeadline) {
    absl::StrAppend(&s, " until ", FormatNanos(t.timer_deadline));
  }
  absl::StrAppend(&s, DescribeWhere(t.blocked_where));
  return s;
}

std::vector<TaskSnapshot> Simulation::SnapshotTasks() const {
  std::vector<TaskSnapshot> out;
  out.reserve(task_count_);
  for (std::size_t i = 0; i < task_count_; ++i) {
    const TaskRecord& t = *tasks_[i];
    std::string op(AV(OperationName(t.last_op)));
    if (t.last_object >= 0) absl::StrAppend(&op, " ", DescribeObject(t.last_object));
    TaskSnapshot snapshot{t.id, t.name, DescribeTaskState(t), std::move(op), {}};
    if (t.state != TaskState::kFinished && t.state != TaskState::kAbandoned) {
      if (!t.native_stack.empty()) snapshot.stack = UserFrames(t.native_stack);
      const TaskBackend* backend = t.id == kRootTask ? root_backend_.get() : t.backend.get();
      if (backend != nullptr) backend->AppendStack(snapshot.stack);
    }
    out.push_back(std::move(snapshot));
  }
  return out;
}

void Simulation::ReportFailure(FailureKind kind, std::string message, std::string details,
                               const SourcePosition& where, bool stop_now) {
  if (aborting_) {
    if (stop_now) OnPointWhileStopping(Operation::kStart);
    return;
  }
  Failure f;
  f.kind = kind;
  f.message = std::move(message);
  f.details = std::move(details);
  f.step = step_;
  f.time_ns = now_;
  f.task = current_->id;
  f.task_name = current_->name;
  f.where = where;
  f.tasks = SnapshotTasks();
  if (trace_.on()) {
    NoteInvolved(kind);
    TraceOf(current_->id, TraceEventKind::kFailure, current_->last_op, current_->last_object,
            static_cast<std::int64_t>(kind), TraceStackIfFull());
  }
  failure_ = std::move(f);
  aborting_ = true;
  if (stop_now) {
    OnPointWhileStopping(Operation::kStart);  // kStart: a stopping operation
  } else if (current_->id == kRootTask && in_body_) {
    // The body goes on to its next stopping point (or its end, after which its locals are gone):
    // unwind the other tasks now, while everything they may refer to still exists.
    UnwindOtherTasks();
  }
}

void Simulation::CheckJoinsAndErrors() {
  for (std::size_t i = 1; i < task_count_; ++i) {
    const TaskRecord& t = *tasks_[i];
    if (t.unretrieved_error.empty()) continue;
    ReportFailure(
        FailureKind::kUncaughtException,
        absl::StrCat("task ", DescribeTask(t), " ended with an exception nobody retrieved",
                     " (join or co_await its handle, or detach it)"),
        absl::StrCat(t.unretrieved_error, "\ntask spawned", DescribeWhere(t.spawned_at)),
        ToPosition(t.spawned_at), /*stop_now=*/false);
    return;
  }
  for (std::size_t i = 1; i < task_count_; ++i) {
    const TaskRecord& t = *tasks_[i];
    if (!t.must_join || t.state != TaskState::kFinished) continue;
    ReportFailure(FailureKind::kLeakedTask,
                  absl::StrCat("task ", DescribeTask(t), " was never joined nor awaited"),
                  absl::StrCat("task spawned", DescribeWhere(t.spawned_at),
                               "\n(join or co_await its handle, or detach() it on purpose)"),
                  ToPosition(t.spawned_at), /*stop_now=*/false);
    return;
  }
}

void Simulation::ReportDeadlock() {
  // The wait-for graph: each blocked task -> the object it waits on -> who holds that object.
  std::string graph;
  std::vector<TaskId> holders;
  for (std::size_t i = 0; i < task_count_; ++i) {
    const TaskRecord& t = *tasks_[i];
    if (t.state != TaskState::kBlocked) continue;
    absl::StrAppend(&graph, "\n  task ", DescribeTask(t), " -> ");
    const std::string where = DescribeWhere(t.blocked_where);
    if (t.blocked_on_task != kNoTask) {
      absl::StrAppend(&graph, "join of task ", DescribeTask(*tasks_[t.blocked_on_task]), where);
      continue;
    }
    if (t.blocked_object == nullptr) {
      absl::StrAppend(&graph, AV(OperationName(t.blocked_op)), where);
      continue;
    }
    absl::StrAppend(&graph, AV(OperationName(t.blocked_op)), " ", DescribeObject(t.last_object),
                    where);
    holders.clear();
    t.blocked_object->AppendHolders(holders);
    if (holders.empty()) {
      // Condition variables, channels, latches...: no owner; whoever would wake it is gone.
      absl::StrAppend(&graph, ": no task left that could wake it");
    } else {
      absl::StrAppend(&graph, " held by ");
      for (std::size_t h = 0; h < holders.size(); ++h) {
        absl::StrAppend(&graph, h ? ", " : "", "task ", DescribeTask(*tasks_[holders[h]]));
      }
    }
  }
  CaptureBlockedStacks();
  const std::string cycle = WaitForCycle();
  ReportFailure(FailureKind::kDeadlock,
                cycle.empty() ? "every task is blocked and no timer is pending"
                              : "every task is blocked and no timer is pending: a wait-for cycle",
                absl::StrCat(cycle.empty() ? "" : absl::StrCat("cycle: ", cycle, "\n"),
                             "wait-for graph:", graph),
                {}, /*stop_now=*/false);
}

void Simulation::ReportLivelock() {
  std::string running;
  for (std::size_t i = 0; i < task_count_; ++i) {
    const TaskRecord& t = *tasks_[i];
    if (t.state == TaskState::kFinished) continue;
    absl::StrAppend(&running, "\n  task ", DescribeTask(t), ": ", DescribeTaskState(t),
                    ", last operation ", AV(OperationName(t.last_op)),
                    t.last_object >= 0 ? absl::StrCat(" ", DescribeObject(t.last_object)) : "");
  }
  ReportFailure(
      FailureKind::kLivelock,
      absl::StrFormat("livelock or runaway task: the run exceeded %d scheduling steps",
                      options_.max_steps),
      absl::StrCat("tasks still running:", running,
                   "\n  (raise the budget with --weave_max_steps if the run is merely long)"),
      {}, /*stop_now=*/false);
}

void Simulation::ReportStall(bool abandoned) {
  const absl::Duration stalled = absl::Trunc(watchdog_.TakeStall(), absl::Milliseconds(1));
  ReportFailure(
      FailureKind::kStall,
      absl::StrCat("task ", DescribeTask(*current_), " ran for ", absl::FormatDuration(stalled),
                   " of wall time without reaching a scheduling point"),
      absl::StrCat("a real blocking call (std::this_thread::sleep_for, a socket or file read, a "
                   "std::mutex) or a busy loop stops every other task: weave switches tasks only "
                   "at its own primitives and awaitables\n",
                   abandoned ? "the run was ended without it: its OS thread is left blocked "
                               "(detached); if it ever returns into weave it finds no simulation\n"
                             : "",
                   "(the limit is ", absl::FormatDuration(watchdog_.limit()),
                   "; change it with --weave_watchdog, 0 disables it)"),
      {}, /*stop_now=*/false);
}

TaskBackend& Simulation::TakeOverFromStalledTask() {
  TaskRecord& stalled = *current_;
  // Reported while it still counts as running, so the report shows its stack.
  ReportStall(/*abandoned=*/true);
  stalled.stalled = true;
  Unlink(stalled);
  MakeBlocked(stalled);
  // Finished as far as the run goes: never resumed, unwound or reported as leaked. Its joiners
  // are not woken: the run is stopping and unwinds them.
  stalled.state = TaskState::kFinished;
  SetCurrent(&task(kRootTask));
  return BackendOf(*current_);
}

void Simulation::CheckInvariants() const {
#ifndef NDEBUG
  // runnable_ holds exactly the runnable tasks, ascending.
  std::size_t next = 0;
  for (std::size_t i = 0; i < task_count_; ++i) {
    const TaskRecord& t = *tasks_[i];
    if (t.state == TaskState::kRunnable) {
      assert(next < runnable_.size() && runnable_[next] == t.id);
      ++next;
    }
    // A task's queue links are consistent with its queue.
    if (t.queue == nullptr) {
      assert(t.prev == nullptr && t.next == nullptr);
    } else {
      assert((t.prev == nullptr ? t.queue->head_ : t.prev->next) == &t);
      assert((t.next == nullptr ? t.queue->tail_ : t.next->prev) == &t);
    }
  }
  assert(next == runnable_.size());
  assert(runnable_fingerprint_ == RunnableSet::FingerprintOf(runnable_));
#endif
}

// --- the free-function runtime API -------------------------------------------------------------

namespace {
Simulation& Require(const char* what) {
  Simulation* sim = Simulation::Current();
  if (sim == nullptr) {
    throw std::logic_error(absl::StrCat("weave: ", what, " called outside a simulation"));
  }
  return *sim;
}
}  // namespace

bool Aborting() noexcept {
  Simulation* sim = Simulation::Current();
  return sim != nullptr && sim->aborting();
}

void SchedulingPointIn(Simulation& sim, Operation op, const SyncObject* object) {
  sim.SchedulingPoint(op, object);
}

std::uint64_t CurrentRunSerial() {
  Simulation* sim = Simulation::Current();
  return sim != nullptr ? sim->run_serial() : 0;
}

TaskId CurrentTask() {
  Simulation* sim = Simulation::Current();
  return sim != nullptr ? sim->current().id : kNoTask;
}

const std::string& CurrentTaskName() {
  static const std::string kEmpty;
  Simulation* sim = Simulation::Current();
  return sim != nullptr ? sim->current().name : kEmpty;
}

Nanos Now() { return Require("weave::detail::Now").now(); }

void Enqueue(WaitQueue& queue) { Require("a blocking operation").Enqueue(queue); }
WakeReason Block(Operation op, const SyncObject* object, Nanos deadline,
                 const weave::source_location& where) {
  return Require("a blocking operation").Block(op, object, deadline, where, kNoTask);
}
WakeReason BlockOn(Operation op, const SyncObject* object, Nanos deadline,
                   const weave::source_location& where, TaskId task) {
  return Require("a blocking operation").Block(op, object, deadline, where, task);
}
WakeReason Wait(WaitQueue& queue, Operation op, const SyncObject* object, Nanos deadline,
                const weave::source_location& where) {
  Simulation& sim = Require("a blocking operation");
  sim.Enqueue(queue);
  return sim.Block(op, object, deadline, where, kNoTask);
}
bool WakeOne(WaitQueue& queue) {
  Simulation* sim = Simulation::Current();
  return sim != nullptr && sim->WakeOne(queue);
}
void WakeAt(WaitQueue& queue, std::size_t index) {
  if (Simulation* sim = Simulation::Current()) sim->WakeAt(queue, index);
}
std::size_t WakeAll(WaitQueue& queue) {
  Simulation* sim = Simulation::Current();
  return sim != nullptr ? sim->WakeAll(queue) : 0;
}
void DetachWaiters(WaitQueue& queue) {
  if (Simulation* sim = Simulation::Current()) sim->DetachAll(queue);
}

std::uint64_t Choose(std::uint64_t n) { return Require("weave::choose").Choose(n); }

bool SpuriousWakeupsEnabled() {
  Simulation* sim = Simulation::Current();
  return sim != nullptr && sim->options().spurious_wakeups;
}

void ReportFailure(FailureKind kind, std::string message, std::string details,
                   const SourcePosition& where, bool stop_now) {
  Simulation* sim = Simulation::Current();
  if (sim == nullptr) {
    throw std::logic_error(absl::StrCat("weave: ", AV(FailureKindName(kind)), ": ", message));
  }
  sim->ReportFailure(kind, std::move(message), std::move(details), where, stop_now);
}

void ReportMisuse(const std::string& message, weave::source_location where) {
  // Not stop_now: misuse is often found in release operations called from destructors, which must
  // not throw. The task stops at its next stopping point.
  ReportFailure(FailureKind::kMisuse, message, "", ToPosition(where), /*stop_now=*/false);
}

SourcePosition ToPosition(const weave::source_location& where) {
  return {where.file_name(), static_cast<int>(where.line())};
}

std::int32_t SyncObject::id() const {
  Simulation* sim = Simulation::Current();
  if (sim == nullptr) return -1;
  if (run_serial_ != sim->run_serial()) {
    const bool used_before = run_serial_ != 0;
    run_serial_ = sim->run_serial();
    id_ = sim->RegisterObject(kind_, name_);
    if (used_before) const_cast<SyncObject*>(this)->ForgetEarlierRun();
  }
  return id_;
}

bool SyncObject::Stale() const {
  Simulation* sim = Simulation::Current();
  return sim == nullptr || run_serial_ != sim->run_serial();
}

void CheckDestroyed(const SyncObject& object, WaitQueue& queue, std::string_view problem) {
  Simulation* sim = Simulation::Current();
  if (sim == nullptr) return;
  if (object.Stale()) return;  // never used in this run: its queue belongs to an earlier one
  if (!problem.empty() && !sim->aborting() && std::uncaught_exceptions() == 0) {
    sim->ReportFailure(FailureKind::kMisuse,
                       absl::StrCat(object.Describe(), " destroyed ", AV(problem)), "", {},
                       /*stop_now=*/false);
  }
  sim->DetachAll(queue);
}

std::string SyncObject::Describe() const {
  Simulation* sim = Simulation::Current();
  if (sim == nullptr) return name_.empty() ? std::string(AV(ObjectKindName(kind_))) : name_;
  return sim->DescribeObject(id());
}

void SyncObject::AppendHolders(std::vector<TaskId>& /*holders*/) const {}

// --- adapter API ---

TaskId CreateTask(std::string_view name, TaskKind kind, std::unique_ptr<TaskBackend> backend,
                  const weave::source_location& spawned_at) {
  Simulation& sim = Require("weave::spawn");
  const TaskId id = sim.CreateTask(name, kind, std::move(backend));
  sim.task_record(id).spawned_at = spawned_at;
  return id;
}
void NotePoint(Operation op, const SyncObject* object) {
  Require("NotePoint").NotePoint(op, object);
}
bool BeginWait(Operation op, const SyncObject* object, Nanos deadline,
               const weave::source_location& where, TaskId on_task, WakeReason* early) {
  Simulation& sim = Require("BeginWait");
  return sim.BeginWait(op, object, deadline, where, on_task,
                       /*cancellable=*/sim.current().cancel_shield == 0, early);
}
WakeReason EndWait() { return Require("EndWait").EndWait(); }
TaskId PickNextTask() { return Require("PickNextTask").PickNextTask(); }
TaskBackend& MakeCurrent(TaskId id) { return Require("MakeCurrent").MakeCurrent(id); }
TaskBackend* ScheduleNext(bool note, Operation op, const SyncObject* object) {
  Simulation& sim = *t_simulation;  // the caller runs a task of this simulation
  if (note) sim.NotePoint(op, object);
  const TaskId next = sim.PickNextTask();
  if (next == kNoTask) return nullptr;
  return &sim.MakeCurrent(next);
}
WakeReason StopAt(Operation op) { return Require("StopAt").StopAt(op); }
void CancelTask(TaskId id) { Require("CancelTask").Cancel(id); }
bool CancelRequested() {
  Simulation* sim = Simulation::Current();
  return sim != nullptr && sim->current().cancel_requested && sim->current().cancel_shield == 0;
}
void ShieldFromCancellation(bool shield) {
  Simulation& sim = Require("ShieldFromCancellation");
  sim.current().cancel_shield += shield ? 1 : -1;
  assert(sim.current().cancel_shield >= 0);
}
void RequireJoin(TaskId id) { Require("RequireJoin").task_record(id).must_join = true; }
void MarkJoined(TaskId id) {
  Simulation& sim = Require("MarkJoined");
  if (id > 0 && static_cast<std::size_t>(id) < sim.task_count()) {
    sim.task_record(id).must_join = false;
  }
}
bool TaskFinished(TaskId id) {
  Simulation& sim = Require("TaskFinished");
  if (id < 0 || static_cast<std::size_t>(id) >= sim.task_count()) return true;
  return sim.task_record(id).state == TaskState::kFinished;
}
TaskBackend& BackendOfTask(TaskId id) { return Require("BackendOfTask").Backend(id); }
TaskKind CurrentTaskKind() { return Require("CurrentTaskKind").current().kind; }
void NoteUnretrievedError(TaskId id, std::string description) {
  Simulation& sim = Require("NoteUnretrievedError");
  if (id > 0 && static_cast<std::size_t>(id) < sim.task_count()) {
    sim.task_record(id).unretrieved_error = std::move(description);
  }
}
void MarkErrorRetrieved(TaskId id) {
  Simulation& sim = Require("MarkErrorRetrieved");
  if (id > 0 && static_cast<std::size_t>(id) < sim.task_count()) {
    sim.task_record(id).unretrieved_error.clear();
  }
}
TaskBackend* RootBackend() { return Require("weave::detail::RootBackend").root_backend(); }
void InstallRootBackend(std::unique_ptr<TaskBackend> backend) {
  Require("weave::detail::InstallRootBackend").InstallRootBackend(std::move(backend));
}
TaskBackend& FinishCurrentTask() { return Require("FinishCurrentTask").FinishCurrentTask(); }
TaskBackend& CurrentBackend() {
  Simulation& sim = Require("CurrentBackend");
  TaskRecord& t = sim.current();
  return t.id == 0 ? *sim.root_backend() : *t.backend;
}
std::size_t StackSize() { return Require("StackSize").options().stack_size; }

Simulation* CurrentRun() { return t_simulation; }
void EnterRun(Simulation* run) {
  if (t_simulation != run) {
    t_simulation = run;
    CrashGuard::AdoptOnThisThread(run->crash_guard());
  }
  TaskRecord& t = run->current();
  t_current_backend = t.id == 0 ? run->root_backend() : t.backend.get();
}
void LeaveRun() {
  t_simulation = nullptr;
  t_current_backend = nullptr;
  // A crash on this thread from now on is not the run's (a stalled thread that came back).
  CrashGuard::AdoptOnThisThread(nullptr);
}
void SetStallInterrupter(StallInterrupter* interrupter) {
  Require("SetStallInterrupter").watchdog().SetInterrupter(interrupter);
}
std::uint64_t WatchdogProgress() noexcept {
  Simulation* sim = t_simulation;
  return sim != nullptr ? sim->watchdog().progress() : 0;
}
TaskBackend& TakeOverFromStalledTask() {
  return Require("TakeOverFromStalledTask").TakeOverFromStalledTask();
}

std::string DescribeException(const std::exception_ptr& error) {
  std::string what;
  std::string type = "unknown type";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
    type = Demangle(typeid(e).name());
  } catch (...) {
    if (const std::type_info* ti = CurrentExceptionType()) type = Demangle(ti->name());
  }
  return absl::StrCat("exception of type ", type, what.empty() ? "" : ": ", what);
}

void ReportUncaughtException(const std::exception_ptr& error) {
  const std::string description = DescribeException(error);
  Simulation& sim = Require("ReportUncaughtException");
  const TaskRecord& t = sim.current();
  // "exception of type X escaped task N 'name': what"
  const std::size_t colon = description.find(": ");
  sim.ReportFailure(FailureKind::kUncaughtException,
                    absl::StrCat(description.substr(0, colon), " escaped task ", t.id, " '", t.name,
                                 "'", colon == std::string::npos ? "" : description.substr(colon)),
                    "", {}, /*stop_now=*/false);
}

}  // namespace weave::detail
