// weave/detail/runtime.hpp: the narrow interface between primitives and the simulation.
//
// Internal: users never include this. Every primitive (mutex, channel, shared<T>, ...) is a thin
// layer over these calls: a scheduling point before each observable operation, and one wait queue
// mechanism for blocking, waking and timeouts. Objects are known to the simulation by a small
// integer id assigned on first use in each run (creation order), never by address.
//
// Thread-safety: a simulation runs on one OS thread at a time; these functions act on the
// simulation of the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "weave/detail/source_location.hpp"
#include "weave/failure.hpp"

namespace weave {
class TaskBackend;
}  // namespace weave

namespace weave::detail {

// Virtual time in nanoseconds since the start of the run.
using Nanos = std::int64_t;
inline constexpr Nanos kNoDeadline = std::numeric_limits<Nanos>::max();

// Adds without overflowing past kNoDeadline.
constexpr Nanos SaturatingAdd(Nanos t, Nanos d) {
  if (d <= 0) return t;
  return t > kNoDeadline - d ? kNoDeadline : t + d;
}

// What a task is doing at a scheduling point (shown in reports and traces).
enum class Operation : std::uint8_t {
  kStart,
  kSpawn,
  kJoin,
  kYield,
  kSleep,
  kLock,
  kTryLock,
  kUnlock,
  kLockShared,
  kUnlockShared,
  kWait,
  kNotify,
  kAcquire,
  kRelease,
  kArrive,
  kAtomic,
  kRead,
  kWrite,
  kSend,
  kReceive,
  kClose,
  kChoose,
  kFinish,
};
std::string_view OperationName(Operation op);

enum class ObjectKind : std::uint8_t {
  kMutex,
  kTimedMutex,
  kSharedMutex,
  kConditionVariable,
  kSemaphore,
  kLatch,
  kBarrier,
  kAtomic,
  kChannel,
  kShared,
  kEvent,
  kFuture,
  kTask,
};
std::string_view ObjectKindName(ObjectKind kind);

class SyncObject;
struct TaskRecord;  // internal to the simulation

// A FIFO of tasks waiting on one object. Intrusive: no allocation when tasks wait.
// Invariant: a task is in at most one wait queue at a time.
class WaitQueue {
 public:
  WaitQueue() = default;
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  bool empty() const { return head_ == nullptr; }
  std::size_t size() const { return size_; }
  // Drops the waiters of an earlier run without touching them (see ForgetEarlierRun).
  void Forget() {
    head_ = tail_ = nullptr;
    size_ = 0;
  }

 private:
  friend class Simulation;
  TaskRecord* head_ = nullptr;
  TaskRecord* tail_ = nullptr;
  std::size_t size_ = 0;
};

// Base of every primitive: a kind, an optional user-given name, and a per-run id.
class SyncObject {
 public:
  SyncObject(ObjectKind kind, std::string_view name, const weave::source_location& declared = {})
      : name_(name), kind_(kind), declared_(declared) {}
  SyncObject(const SyncObject&) = delete;
  SyncObject& operator=(const SyncObject&) = delete;

  ObjectKind kind() const { return kind_; }
  const std::string& name() const { return name_; }
  // Where the object was declared, when its constructor was told (locks, shared<T>); else empty.
  const weave::source_location& declared() const { return declared_; }
  // Among the objects declared at declared() in the run that created it, this one's position
  // (0, 1, ...); -1 when it was created outside a run. With the declaration site it names a lock
  // the same way in every run of an exploration (the lock-order graph spans runs).
  std::int32_t instance() const { return instance_; }
  // True when the object was last used in an earlier run, or never (its state is not this run's).
  bool Stale() const;
  // This object's id in the current run: assigned in order of first use, so it is the same in
  // every process. -1 outside a simulation.
  std::int32_t id() const;
  // "mutex 'm' (#2)" or "mutex #2".
  std::string Describe() const;
  // Appends the tasks that hold this object (wait-for graph). Default: none.
  virtual void AppendHolders(std::vector<TaskId>& holders) const;
  // Public and virtual, as for any class with virtual functions (nothing deletes a primitive
  // through this base, but nothing should be able to get that wrong either).
  virtual ~SyncObject() = default;

 protected:
  // For constructors of objects the lock-order graph names: numbers this instance among those
  // declared at the same place in the current run.
  void CountInstance();

 private:
  std::string name_;
  ObjectKind kind_;
  weave::source_location declared_;
  std::int32_t instance_ = -1;
  std::uint64_t instance_run_ = 0;  // the run in which instance_ was counted
  friend class Simulation;
  // Called by id() when the object is first used in a run after having been used in an earlier
  // one (it outlived that run): drop waiters and owners that belonged to the earlier run.
  virtual void ForgetEarlierRun() {}

 private:
  mutable std::uint64_t run_serial_ = 0;  // the run in which id_ was assigned
  mutable std::int32_t id_ = -1;
};

enum class WakeReason : std::uint8_t {
  kNotified,   // another task woke it
  kTimedOut,   // its deadline passed first
  kAborted,    // the run is being torn down: give up without acquiring
  kCancelled,  // a coroutine task was cancelled while it waited at a co_await (task_group)
};

// Thrown into a task to tear its stack down when the run stops. Deliberately not derived from
// std::exception, so `catch (const std::exception&)` in user code lets it pass.
struct RunAborted {};

class Simulation;
// The backend of the running task, or null (outside a simulation, or the body before an adapter
// installed its backend). Read directly by awaitables on every co_await.
extern constinit thread_local TaskBackend* t_current_backend;
// The simulation running on the calling thread, or null. constinit: read directly, with no TLS
// wrapper call, on every operation of every primitive.
extern constinit thread_local Simulation* t_simulation;

// True when the calling thread is running a simulation.
inline bool InSimulation() noexcept { return t_simulation != nullptr; }
// True when the current run is being torn down (after a failure or at its end).
bool Aborting() noexcept;

// A scheduling point: records `op` on `object` (may be null) as the current task's operation, asks
// the strategy who runs next and switches if that is another task. Outside a simulation: no-op.
void SchedulingPointIn(Simulation& sim, Operation op, const SyncObject* object);
inline void SchedulingPoint(Operation op, const SyncObject* object) {
  if (t_simulation != nullptr) SchedulingPointIn(*t_simulation, op, object);
}

// --- Happens-before (the race detector) ---
// Every primitive tells the detector which of its operations order tasks. Each task keeps a vector
// clock; an object keeps two (slots), so one primitive can keep two kinds of edges apart: a
// shared_mutex's writers and readers, a channel's close and its receipts. All of these are no-ops
// outside a simulation and when race detection is off.
enum class ClockSlot : std::uint8_t { kPrimary = 0, kSecondary = 1 };
void HappensBeforeReleaseIn(Simulation& sim, const SyncObject& object, ClockSlot slot);
void HappensBeforeAcquireIn(Simulation& sim, const SyncObject& object, ClockSlot slot);
void HappensBeforeSendIn(Simulation& sim, const SyncObject& object);
void HappensBeforeReceiveIn(Simulation& sim, const SyncObject& object, std::size_t queued);
void HappensBeforeUnsendIn(Simulation& sim, const SyncObject& object);
// The current task publishes all it has done so far to `object` (an unlock, a notify, an atomic
// store, a semaphore release, a latch arrival, a promise set): whoever later acquires the same
// slot of `object` happens after it.
inline void HappensBeforeRelease(const SyncObject& object, ClockSlot slot = ClockSlot::kPrimary) {
  if (t_simulation != nullptr) HappensBeforeReleaseIn(*t_simulation, object, slot);
}
// The current task acquires everything published to that slot of `object` so far (a lock, a woken
// wait, an atomic load, a semaphore acquire, a latch wait, a future get).
inline void HappensBeforeAcquire(const SyncObject& object, ClockSlot slot = ClockSlot::kPrimary) {
  if (t_simulation != nullptr) HappensBeforeAcquireIn(*t_simulation, object, slot);
}
// A message on a FIFO channel: Send queues the sender's clock on `object`; Receive takes the
// oldest queued clock and acquires it (the receiver happens after that message's send); Unsend
// drops the newest (a send withdrawn after it was queued, as a rendezvous that timed out).
// `queued` is how many items the channel held before the receive: items it held before the
// detector saw them (queued outside a run or in an earlier one) have no clock and order nothing.
inline void HappensBeforeSend(const SyncObject& object) {
  if (t_simulation != nullptr) HappensBeforeSendIn(*t_simulation, object);
}
inline void HappensBeforeReceive(const SyncObject& object, std::size_t queued) {
  if (t_simulation != nullptr) HappensBeforeReceiveIn(*t_simulation, object, queued);
}
inline void HappensBeforeUnsend(const SyncObject& object) {
  if (t_simulation != nullptr) HappensBeforeUnsendIn(*t_simulation, object);
}

// --- Tracked accesses (the race detector) ---
// A read or write of `variable` (a weave::shared<T>) by the current task: a scheduling point, then
// the race check. `pc` is a return address into the user's code that made the access (reports
// name its line).
void TrackedAccessIn(Simulation& sim, Operation op, const SyncObject& variable, const void* pc);
// The same for raw memory at `address`, named `name`, accessed at `where` (weave::read / write).
void TrackedRawAccessIn(Simulation& sim, Operation op, const void* address, std::string_view name,
                        const weave::source_location& where);

// --- Lock order (the potential-deadlock detector) ---
// A lock (a mutex or shared_mutex, exclusively or shared) is wanted, taken and given back by the
// current task. LockRequested comes once per acquisition that may wait (lock, lock_shared, a timed
// try-lock), before its first attempt: the order "held locks, then this one" is what deadlocks,
// even if this acquisition then waits forever. A plain try_lock never waits: it only calls
// LockAcquired on success.
void LockRequestedIn(Simulation& sim, const SyncObject& lock);
// `shared`: held in shared mode (lock_shared), which does not keep other sharers out, so it is no
// gate lock for the locks taken under it.
void LockAcquiredIn(Simulation& sim, const SyncObject& lock, bool shared);
void LockReleasedIn(Simulation& sim, const SyncObject& lock);
inline void LockRequested(const SyncObject& lock) {
  if (t_simulation != nullptr) LockRequestedIn(*t_simulation, lock);
}
inline void LockAcquired(const SyncObject& lock, bool shared = false) {
  if (t_simulation != nullptr) LockAcquiredIn(*t_simulation, lock, shared);
}
inline void LockReleased(const SyncObject& lock) {
  if (t_simulation != nullptr) LockReleasedIn(*t_simulation, lock);
}

// Identifies the current run (for handles that must not outlive it). 0 outside a simulation.
std::uint64_t CurrentRunSerial();

// The running task's id, name; virtual time now.
TaskId CurrentTask();
const std::string& CurrentTaskName();
Nanos Now();

// Appends the current task to `queue`; it stays runnable until Block(). A Wake* between the two
// makes Block() return at once.
void Enqueue(WaitQueue& queue);
// Blocks the current task until woken or until `deadline` (virtual). If the current task was
// enqueued and is woken or times out, it has been removed from its queue on return. Switches to
// other tasks meanwhile; advances virtual time when nothing else can run; reports a deadlock when
// nothing can ever run again.
// `where` is the user's call site, shown in deadlock reports.
WakeReason Block(Operation op, const SyncObject* object, Nanos deadline = kNoDeadline,
                 const weave::source_location& where = {});
// Block, showing in reports that the task waits for task `task` (a join) when it is not kNoTask.
WakeReason BlockOn(Operation op, const SyncObject* object, Nanos deadline,
                   const weave::source_location& where, TaskId task);
// Enqueue + Block.
WakeReason Wait(WaitQueue& queue, Operation op, const SyncObject* object,
                Nanos deadline = kNoDeadline, const weave::source_location& where = {});
// Wakes the first waiter (FIFO). Returns false if there was none.
bool WakeOne(WaitQueue& queue);
// Wakes the waiter at position `index` (0 = first). Precondition: index < queue.size().
void WakeAt(WaitQueue& queue, std::size_t index);
// Wakes every waiter; returns how many.
std::size_t WakeAll(WaitQueue& queue);
// Unlinks every waiter of a queue whose object is being destroyed; they see kAborted.
void DetachWaiters(WaitQueue& queue);

// A data choice in [0, n), answered and recorded by the strategy (weave::choose).
std::uint64_t Choose(std::uint64_t n);
// Whether Options::spurious_wakeups is on for this run.
bool SpuriousWakeupsEnabled();

// Fails the current schedule. The first failure of a run wins; later ones are ignored, as is
// everything reported while the run is being torn down. When `stop_now` the current task is
// unwound at once (throws RunAborted unless already unwinding); otherwise the run stops at the
// current task's next scheduling point.
void ReportFailure(FailureKind kind, std::string message, std::string details,
                   const SourcePosition& where, bool stop_now);
// ReportFailure(kMisuse, ..., stop_now=true) with a weave::source_location.
void ReportMisuse(const std::string& message, weave::source_location where);

// Checks common to every primitive's destructor: reports `problem` as misuse unless the run is
// being torn down or an exception is unwinding, then detaches `queue`'s waiters.
void CheckDestroyed(const SyncObject& object, WaitQueue& queue, std::string_view problem);

// Converts a weave::source_location.
SourcePosition ToPosition(const weave::source_location& where);

}  // namespace weave::detail
