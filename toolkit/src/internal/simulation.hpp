// Internal: the state of one run and the scheduler that drives it.
//
// One Simulation is reused for every run of an exploration, so task records, the runnable set and
// the timer heap keep their capacity and a steady-state step allocates nothing.
//
// Invariants (checked by CheckInvariants in debug builds):
//  - runnable_ holds exactly the ids of tasks in state kRunnable, sorted ascending.
//  - a task is in at most one WaitQueue; queue != nullptr iff it is linked into that queue.
//  - current_ is the task whose code is executing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "internal/lock_order.hpp"
#include "internal/race_detector.hpp"
#include "internal/trace_recorder.hpp"
#include "internal/vector_clock.hpp"
#include "internal/watchdog.hpp"

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/failure.hpp"
#include "weave/options.hpp"
#include "weave/strategy.hpp"
#include "weave/task_backend.hpp"

namespace weave::detail {

class CrashGuard;

// kAbandoned: only while a run's leftover tasks are being released (see AbandonUnfinishedTasks).
enum class TaskState : std::uint8_t { kRunnable, kBlocked, kFinished, kAbandoned };

struct TaskRecord {
  TaskId id = kNoTask;
  std::uint64_t fingerprint = 0;  // TaskFingerprint(id), cached: added and removed at every step
  std::string name;
  TaskKind kind = TaskKind::kFiber;
  TaskState state = TaskState::kRunnable;
  TaskId parent = kNoTask;
  std::unique_ptr<TaskBackend> backend;

  // Wait-queue links (intrusive).
  WaitQueue* queue = nullptr;
  TaskRecord* prev = nullptr;
  TaskRecord* next = nullptr;
  // Set by a wake between Enqueue and the end of Block; cleared when Block returns.
  bool woken = false;
  WakeReason wake_reason = WakeReason::kNotified;
  // Timer: valid while timer_deadline != kNoDeadline; heap entries with another token are stale.
  Nanos timer_deadline = kNoDeadline;
  std::uint64_t timer_token = 0;

  // What it did last (reports). Object ids index Simulation::objects_.
  Operation last_op = Operation::kStart;
  std::int32_t last_object = -1;
  // While blocked: on which object (pointer valid while blocked) or task (joins).
  const SyncObject* blocked_object = nullptr;
  TaskId blocked_on_task = kNoTask;
  Operation blocked_op = Operation::kStart;
  weave::source_location blocked_where;  // the user's call site, when the primitive knows it

  WaitQueue joiners;
  bool joined = false;
  // How often teardown was thrown into this task; user code that catches it (catch (...)
  // without rethrow) and keeps going would otherwise loop forever.
  int teardown_throws = 0;
  int points_while_stopping = 0;
  // Coroutine tasks: whether it waits at a co_await now (a cancellation wakes it), and whether
  // it was asked to stop (task_group).
  bool waiting_cancellable = false;
  bool cancel_requested = false;
  // While positive, cancellation waits: the task's awaits run as if it were not cancelled (a
  // group waiting for its cancelled children).
  int cancel_shield = 0;
  // Set for tasks whose handle must be joined or awaited (co_spawn); cleared by the join.
  bool must_join = false;
  weave::source_location spawned_at;
  // An exception the task holds for its joiner; empty once retrieved (or when there is none).
  std::string unretrieved_error;
  // A thread task the watchdog gave up on: it blocked for real and was left behind (finished).
  bool stalled = false;
  // Fair scheduling: the step at which it last ran (-1: not yet); the step that began its current
  // streak of consecutive steps; the step of its last yield (-1: none); and whether it sits out
  // (it yielded twice in one streak: it waits until every other runnable task has run since).
  std::int64_t last_run_step = -1;
  std::int64_t streak_start = -1;
  std::int64_t last_yield_step = -1;
  bool yielding = false;

  // Happens-before: this task's vector clock (race detection on). Its own entry is its epoch.
  VectorClock clock;
  // Lock order: the locks it holds, in acquisition order (graph nodes are looked up only when
  // it asks for another one while holding these).
  struct HeldLock {
    const SyncObject* lock;
    bool shared;
  };
  std::vector<HeldLock> held_locks;
  // "3 'writer'", built when first needed in a run (lock-order reports).
  std::string description;
  // Native stack (return addresses) captured while blocked, for a deadlock report.
  std::vector<void*> native_stack;

  void Reset(TaskId new_id, std::string_view new_name, TaskKind new_kind, TaskId new_parent);
};

struct ObjectInfo {
  ObjectKind kind;
  std::string name;
};

// A data race, with what its report needs. The earlier access's full stack comes from one more
// run of the same schedule (see explore.cpp): until then it has only its own frame.
struct RaceReport {
  std::string variable;  // "shared<int> 'balance' (#2)"
  std::string declared;  // "file:line", or "" when unknown
  std::string variable_name;
  AccessRecord earlier;
  AccessRecord later;
  std::string earlier_task;
  std::string later_task;
  std::string later_task_name;
  std::vector<StackFrame> earlier_stack;
  std::vector<StackFrame> later_stack;
  std::string earlier_location;  // "file:line" (or the function), for messages and dedupe
  std::string later_location;
  std::string key;  // the pair of code locations: one report per pair per exploration
  std::int64_t run = 0;
};
// The report text of a race: message and details.
std::string RaceMessage(const RaceReport& race);
std::string RaceDetails(const RaceReport& race);

// Captures the calling task's native stack (return addresses, innermost first).
void CaptureNativeStack(std::vector<void*>& out);
// The frames of a native stack that belong to the user's code: weave's own frames, the standard
// library's and Abseil's are dropped, and the stack ends where weave's harness begins (the fiber
// entry, explore(), the thread's start).
std::vector<StackFrame> UserFrames(const std::vector<void*>& stack, bool first_is_exact = false);

class Simulation final : private SchedulingView {
 public:
  // `strategy` must outlive the simulation.
  Simulation(const Options& options, SchedulingStrategy& strategy);
  // Virtual only for the guideline on classes with virtual functions: it is final, and its base
  // (SchedulingView) cannot be deleted through.
  virtual ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // The simulation running on this thread, or null.
  static Simulation* Current() { return t_simulation; }

  // Runs `body` once as task 0 on the calling thread. Returns the run's failure, if any.
  std::optional<Failure> Run(const std::function<void()>& body);

  std::int64_t steps() const { return step_; }
  std::uint64_t run_serial() const { return run_serial_; }
  const Options& options() const { return options_; }

  // --- the runtime API (see weave/detail/runtime.hpp) ---
  void SchedulingPoint(Operation op, const SyncObject* object);
  void Enqueue(WaitQueue& queue);
  WakeReason Block(Operation op, const SyncObject* object, Nanos deadline,
                   const weave::source_location& where, TaskId on_task);
  // Block in two halves, for tasks that wait without keeping a stack (coroutines at a co_await;
  // see weave/task_backend.hpp). BeginWait marks the current task blocked without switching, or
  // returns false with *early set when the wait is already over. EndWait runs when the task is
  // current again and says why it woke (kAborted when the run is stopping).
  bool BeginWait(Operation op, const SyncObject* object, Nanos deadline,
                 const weave::source_location& where, TaskId on_task, bool cancellable,
                 WakeReason* early);
  WakeReason EndWait();
  // Records `op` as the current task's operation (the first half of a scheduling point).
  void NotePoint(Operation op, const SyncObject* object) {
    NoteOperation(*current_, op, object);
    TraceOf(current_->id, TraceEventKind::kPoint, op, current_->last_object, -1,
            trace_step_stacks_ ? TraceStack() : -1);
    if (op == Operation::kYield) NoteYield();
  }
  // Picks who runs next, which may be the current task; kNoTask when the run is stopping.
  TaskId PickNextTask();
  // Makes `id` the current task without switching to it; returns its backend.
  TaskBackend& MakeCurrent(TaskId id);
  TaskBackend& Backend(TaskId id);
  // What a task does at a stopping point of a stopped run (throws RunAborted, or kAborted).
  WakeReason StopAt(Operation op) { return OnPointWhileStopping(op); }
  // Asks task `id` to stop at its next await; wakes it if it waits at one now.
  void Cancel(TaskId id);
  TaskRecord& task_record(TaskId id) { return task(id); }
  std::size_t task_count() const { return task_count_; }
  bool WakeOne(WaitQueue& queue);
  void WakeAt(WaitQueue& queue, std::size_t index);
  std::size_t WakeAll(WaitQueue& queue);
  // Unlinks every waiter of a queue that is being destroyed (they get kAborted when resumed).
  void DetachAll(WaitQueue& queue);
  std::uint64_t Choose(std::uint64_t n);
  void ReportFailure(FailureKind kind, std::string message, std::string details,
                     const SourcePosition& where, bool stop_now);
  std::int32_t RegisterObject(ObjectKind kind, const std::string& name);
  std::string DescribeObject(std::int32_t id) const;

  TaskRecord& current() { return *current_; }
  // Null between runs. For the crash handler.
  const TaskRecord* current_task() const { return current_; }
  // The tasks of this run by id (id < task_count()) and the event log. For the crash handler.
  const TaskRecord& task_at(std::size_t id) const { return *tasks_[id]; }
  const TraceRecorder& trace_recorder() const { return trace_; }
  std::size_t object_count() const { return objects_.size(); }
  // The object numbered `id` (null when out of range). Allocation-free, for the crash handler.
  const ObjectInfo* object_info(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= objects_.size()) return nullptr;
    return &objects_[static_cast<std::size_t>(id)];
  }
  Nanos now() const { return now_; }
  bool aborting() const { return aborting_; }

  // --- the adapter API (see weave/task_backend.hpp) ---
  TaskId CreateTask(std::string_view name, TaskKind kind, std::unique_ptr<TaskBackend> backend);
  TaskBackend* root_backend() { return root_backend_.get(); }
  void InstallRootBackend(std::unique_ptr<TaskBackend> backend);
  TaskBackend& FinishCurrentTask();
  // See weave/task_backend.hpp.
  TaskBackend& TakeOverFromStalledTask();
  Watchdog& watchdog() { return watchdog_; }
  // The crash handler of the exploration running this simulation (null: none), for the other
  // OS threads of the run.
  const CrashGuard* crash_guard() const { return crash_guard_; }
  void set_crash_guard(const CrashGuard* guard) { crash_guard_ = guard; }

  // --- detectors (weave/detail/runtime.hpp; implemented in detectors.cpp) ---
  void HappensBeforeRelease(const SyncObject& object, ClockSlot slot);
  void HappensBeforeAcquire(const SyncObject& object, ClockSlot slot);
  void HappensBeforeSend(const SyncObject& object);
  void HappensBeforeReceive(const SyncObject& object, std::size_t queued);
  void HappensBeforeUnsend(const SyncObject& object);
  // The current task joined finished task `id`: it happens after everything `id` did.
  void HappensAfterTask(TaskId id);
  // The race check of one tracked access (after its scheduling point). `variable` is a
  // shared<T>, or null for raw memory at `address`.
  void CheckAccess(bool write, const SyncObject* variable, const void* address,
                   std::string_view name, const weave::source_location& where, const void* pc);
  void LockRequested(const SyncObject& lock);
  void LockAcquired(const SyncObject& lock, bool shared);
  void LockReleased(const SyncObject& lock);
  // Counts an object declared at `where` in this run; returns its instance number.
  std::int32_t CountInstance(const weave::source_location& where);
  // The capture run: record the stack of the access with this index (AccessRecord::index).
  void set_capture_access(std::uint64_t index) { capture_access_ = index; }
  // The stack captured at that access, if task `task` made it (else the replay went elsewhere).
  std::vector<StackFrame> CapturedStack(TaskId task) const {
    return captured_task_ == task ? UserFrames(captured_stack_) : std::vector<StackFrame>{};
  }
  // The race that failed the last run (not in survey mode), if any.
  std::optional<RaceReport> TakeRace() { return std::exchange(failing_race_, std::nullopt); }
  // Survey mode: the distinct races first seen in the last run.
  std::vector<RaceReport> TakeSurveyedRaces() { return std::exchange(surveyed_races_, {}); }
  // Survey mode: in how many runs the race with this key was seen.
  std::int64_t RaceRuns(const std::string& key) const;

  // --- the trace (weave/trace.hpp) ---
  // Fills `trace` with the last run's tasks, objects, events and stacks, and `failure` (the
  // failure Run returned, if any). The header fields (test, schedule...) are the caller's.
  void BuildTrace(Trace& trace, const std::optional<Failure>& failure);
  // Records that the current task joined finished task `id`.
  void NoteJoined(TaskId id);

  // --- joins (JoinOperation) ---
  // Checks a join of task `id` by the current task; marks it joined. False (reported) on misuse.
  bool ValidateJoin(TaskId id, std::uint64_t run_serial, const weave::source_location& where);
  // A join that was cancelled before the task finished: it may be joined again.
  void UndoJoin(TaskId id);

 private:
  void ResetForRun();
  // SchedulingView: what a runnable task's next step touches (from its announced operation).
  NextStep NextStepOf(TaskId id) const override;
  // Fair scheduling: the runnable tasks a strategy may pick from now. A task that sits out (see
  // NoteYield) is offered again once every other runnable task has run since its yield (so a
  // spin loop around weave::yield lets the task it waits for run, under any strategy).
  RunnableSet OfferedTasks();
  // Fair mode: the current task yields. The first yield of a streak is a plain scheduling point
  // (the task may run straight on: those schedules are explored); a second one in the same streak
  // is a spin loop's, and the task sits out (see OfferedTasks).
  void NoteYield() {
    if (!fair_) return;
    TaskRecord& t = *current_;
    if (t.last_yield_step >= t.streak_start && t.last_yield_step >= 0 && !t.yielding) {
      t.yielding = true;
      ++yielding_tasks_;
    }
    t.last_yield_step = step_;
  }
  // Sets current_ and t_current_backend (the adapters' fast path to the running task's backend).
  void SetCurrent(TaskRecord* t);
  TaskRecord& task(TaskId id) { return *tasks_[static_cast<std::size_t>(id)]; }
  TaskBackend& BackendOf(TaskRecord& t);
  void NoteOperation(TaskRecord& t, Operation op, const SyncObject* object) const;
  void MakeRunnable(TaskRecord& t);
  void MakeBlocked(TaskRecord& t);
  void Unlink(TaskRecord& t);
  void Wake(TaskRecord& t, WakeReason reason);
  // Picks the next task (advancing virtual time when needed) and switches to it if it is not the
  // current task. Returns once the current task runs again. `op` is what the task is doing.
  void Reschedule(Operation op);
  // Picks who runs next; kNoTask when the run must stop (a failure has been reported).
  TaskId PickNext();
  bool FireEarliestTimers();
  void SwitchTo(TaskRecord& next);
  // Called when the current task, doing `op`, observes that the run is stopping. Task 0 first
  // unwinds every other task. Then the task is unwound (throws RunAborted) if `op` is a stopping
  // operation (see StopsAt) and it is not already unwinding; otherwise returns kAborted.
  WakeReason OnPointWhileStopping(Operation op);
  void UnwindOtherTasks();
  void AbandonUnfinishedTasks();
  void ReportDeadlock();
  // At the end of a run: exceptions nobody retrieved, handles nobody joined.
  void CheckJoinsAndErrors();
  void ReportLivelock();
  // `abandoned`: the stalled task was a thread left behind (TakeOverFromStalledTask).
  void ReportStall(bool abandoned = false);
  std::string DescribeTaskState(const TaskRecord& t) const;
  std::string DescribeTask(const TaskRecord& t) const;
  // " at file:line", or empty when unknown.
  static std::string DescribeWhere(const weave::source_location& where);
  std::vector<TaskSnapshot> SnapshotTasks() const;
  // Detectors (detectors.cpp).
  std::int32_t ObjectId(const SyncObject& object) const;
  std::int32_t LockNode(const SyncObject& lock);
  // The instance number that names `lock` in this run's lock-order nodes (see LockNode).
  std::int32_t LockInstance(const SyncObject& lock);
  const std::string& TaskDescription(TaskRecord& t);
  void OnRace(const SyncObject* variable, const VariableState& state, const AccessRecord& earlier,
              const AccessRecord& later);
  void ReportLockCycle(const LockOrderGraph::Cycle& cycle);
  bool Suppressed(std::string_view name, const std::vector<StackFrame>& stack) const;
  // Deadlocks: every blocked stackful task records its native stack (it is switched to and
  // switches straight back); then the wait-for cycle, if there is one.
  void CaptureBlockedStacks();
  void AnswerStackRequest();
  std::string WaitForCycle() const;
  void CheckInvariants() const;
  // Appends an event of the current task at this step, when tracing and the run is not stopping.
  void TraceOf(TaskId task, TraceEventKind kind, Operation op, std::int32_t object,
               std::int64_t value, std::int32_t stack = -1) {
    if (trace_.on() && !aborting_ && stack_requester_ == nullptr) {
      trace_.Record(step_, now_, task, kind, op, object, value, stack);
    }
  }
  // Full mode: the id of the current task's stack, captured now; -1 otherwise.
  std::int32_t TraceStack();
  std::int32_t TraceStackIfFull() { return trace_.full() ? TraceStack() : -1; }
  // Records that `t` runs now (a kRun event) unless the trace already has it running: called at
  // every switch, and where a task that blocked is resumed without one (its timer fired and it
  // was picked again).
  void TraceRunning(const TaskRecord& t) {
    if (trace_running_ == t.id || !trace_.on() || aborting_ || stack_requester_ != nullptr) return;
    trace_.Record(step_, now_, t.id, TraceEventKind::kRun, Operation::kStart, -1, trace_last_ran_);
    trace_running_ = trace_last_ran_ = t.id;
  }
  // The running task blocked or finished: whoever runs next, even itself, starts a new span.
  void TraceStopped() {
    if (stack_requester_ == nullptr) trace_running_ = kNoTask;
  }
  // The tasks and objects a failure of `kind` involves (for the trace's highlights).
  void NoteInvolved(FailureKind kind);

  const Options& options_;
  const std::int64_t max_steps_;  // options_.max_steps, read at every step
  const bool event_loop_;         // options_.event_loop, read at every scheduling point
  const bool fair_;               // options_.fair
  int yielding_tasks_ = 0;        // tasks with `yielding` set (fair mode)
  TaskId last_picked_ = kNoTask;  // fair mode: the task picked at the last step
  std::vector<TaskId> offered_;   // OfferedTasks' scratch
  SchedulingStrategy& strategy_;
  std::unique_ptr<TaskBackend> root_backend_;
  std::vector<std::unique_ptr<TaskRecord>> tasks_;  // pool; the first task_count_ are this run's
  std::size_t task_count_ = 0;
  std::vector<TaskId> runnable_;
  std::uint64_t runnable_fingerprint_ = 0;  // RunnableSet::FingerprintOf(runnable_), kept in step
  struct Timer {
    Nanos deadline;
    TaskId task;
    std::uint64_t token;
  };
  // Heap order: the earliest deadline on top, ties by ascending task id. A functor, so the heap
  // operations inline the comparison.
  struct TimerLater {
    bool operator()(const Timer& a, const Timer& b) const {
      // NOLINTNEXTLINE(bugprone-branch-clone): the branches compare different fields
      return a.deadline != b.deadline ? a.deadline > b.deadline : a.task > b.task;
    }
  };
  std::vector<Timer> timers_;
  std::vector<ObjectInfo> objects_;
  TaskRecord* current_ = nullptr;
  Nanos now_ = 0;
  std::int64_t step_ = 0;
  std::uint64_t run_serial_ = 0;
  bool aborting_ = false;
  // True while the body's frames exist. Other tasks are unwound (their destructors run) only
  // then; once the body has returned or thrown, what they refer to may be gone, and tasks still
  // alive are abandoned instead.
  bool in_body_ = false;
  std::optional<Failure> failure_;
  const CrashGuard* crash_guard_ = nullptr;
  Watchdog watchdog_;

  // Detectors. Per run: the race detector's clocks and histories, the access counter, lock
  // nodes by object id and instance counters by declaration site. Across runs: the lock-order
  // graph, and which races were reported.
  const bool detect_races_;
  const bool detect_lock_order_;
  RaceDetector races_;
  std::uint64_t access_index_ = 0;
  std::uint64_t capture_access_ = 0;  // 0: none
  std::vector<void*> captured_stack_;
  TaskId captured_task_ = kNoTask;
  // Races seen in this exploration by their code sites (program counters or source locations,
  // without symbolizing): the full key, or "" when suppressed. A race met again costs a lookup.
  using RaceSites =
      std::pair<std::pair<const void*, std::uint32_t>, std::pair<const void*, std::uint32_t>>;
  absl::flat_hash_map<RaceSites, std::string> known_races_;
  std::optional<RaceReport> failing_race_;
  std::vector<RaceReport> surveyed_races_;
  absl::flat_hash_map<std::string, std::int64_t> race_runs_;  // key -> runs that showed it
  absl::flat_hash_set<std::string> races_this_run_;
  LockOrderGraph lock_order_;
  std::vector<std::int32_t> lock_nodes_;  // by object id; -1: not yet looked up
  std::vector<LockOrderGraph::Cycle> cycles_;
  std::vector<LockOrderGraph::Held> held_nodes_;  // LockRequested's scratch
  absl::flat_hash_map<std::pair<const char*, std::uint_least32_t>, std::int32_t> instances_;
  std::int64_t run_index_ = -1;  // runs of this simulation so far, 0-based
  TaskRecord* stack_requester_ = nullptr;
  // The trace of the current run.
  TraceRecorder trace_;
  TaskId trace_running_ = kNoTask;   // the task the trace has running (kNoTask: none)
  TaskId trace_last_ran_ = kNoTask;  // the last task that had a kRun event
  const bool trace_step_stacks_;
  std::vector<void*> trace_stack_scratch_;
};

}  // namespace weave::detail
