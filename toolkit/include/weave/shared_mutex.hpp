// weave/shared_mutex.hpp: Model of std::shared_mutex.
//
// A reader-writer lock: any number of tasks may hold it shared, or one task exclusively. Meets
// SharedLockable, so std::shared_lock and std::unique_lock work. Every acquisition is a scheduling
// point; releasing what the task does not hold is reported as misuse, and locking it again while
// holding it as a self-deadlock.
//
//   weave::shared_mutex rw{"config"};
//   { std::shared_lock read(rw); use(config); }
//   { std::unique_lock write(rw); config = next; }
//   auto read = co_await rw.co_lock_shared();   // a coroutine: a std::shared_lock that owns rw
//
// The awaitable forms (co_lock, co_lock_shared) run the same acquisition code as lock() and
// lock_shared(): a coroutine and a fiber waiting for the same shared_mutex are woken alike.
// Happens-before: an exclusive unlock happens before every later acquisition, shared or
// exclusive; an unlock_shared happens before every later exclusive acquisition only. Readers are
// not ordered with each other, so a write made under lock_shared races with the other readers.
// Determinism: waiters are woken together on release and the strategy picks who acquires.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <mutex>
#include <shared_mutex>
#include <string_view>
#include <vector>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {

class shared_mutex : public detail::SyncObject {
 public:
  // `declared` (the caller's line, by default) names the mutex in lock-order reports the same
  // way in every run.
  explicit shared_mutex(std::string_view name = {},
                        weave::source_location declared = weave::source_location::current())
      : SyncObject(detail::ObjectKind::kSharedMutex, name, declared) {
    CountInstance();
  }
  ~shared_mutex() override;

  // Blocks until the mutex is held exclusively.
  void lock(weave::source_location where = weave::source_location::current());
  // Acquires it exclusively if nobody holds it; never blocks.
  bool try_lock(weave::source_location where = weave::source_location::current());
  // Releases the exclusive hold. Precondition (checked): the calling task holds it exclusively.
  void unlock(weave::source_location where = weave::source_location::current());

  // Blocks until the mutex is held shared (while no task holds it exclusively).
  void lock_shared(weave::source_location where = weave::source_location::current());
  // Acquires it shared if no task holds it exclusively; never blocks.
  bool try_lock_shared(weave::source_location where = weave::source_location::current());
  // Releases one shared hold. Precondition (checked): the calling task holds it shared.
  void unlock_shared(weave::source_location where = weave::source_location::current());

  // Awaitable lock(): `auto write = co_await rw.co_lock();` gives a std::unique_lock owning rw.
  auto co_lock(weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<LockOperation>(*this, /*shared=*/false, where);
  }
  // Awaitable lock_shared(): gives a std::shared_lock that owns rw.
  auto co_lock_shared(weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<LockSharedOperation>(*this, /*shared=*/true, where);
  }

  void AppendHolders(std::vector<TaskId>& holders) const override;

 protected:
  void ForgetEarlierRun() override;

 private:
  // Acquiring the mutex exclusively or shared, for the blocking and the awaitable forms alike:
  // take it when the mode allows, else wait in waiters_.
  class AcquireOperation : public detail::BlockingOperation {
   public:
    AcquireOperation(shared_mutex& m, bool shared, const weave::source_location& where)
        : BlockingOperation(shared ? detail::Operation::kLockShared : detail::Operation::kLock, &m,
                            where),
          mutex_(m),
          shared_(shared) {}
    Outcome Attempt() final;
    bool acquired() const { return acquired_; }

   protected:
    shared_mutex& mutex_;

   private:
    bool shared_;
    bool acquired_ = false;
    // Whether the lock-order detector was told of this acquisition (once, however many attempts).
    bool requested_ = false;
  };
  // co_lock's result: a std::unique_lock, owning the mutex unless the run is stopping.
  class LockOperation final : public AcquireOperation {
   public:
    using AcquireOperation::AcquireOperation;
    std::unique_lock<shared_mutex> Result() {
      if (acquired()) return {mutex_, std::adopt_lock};
      return {mutex_, std::defer_lock};
    }
  };
  // co_lock_shared's result: a std::shared_lock.
  class LockSharedOperation final : public AcquireOperation {
   public:
    using AcquireOperation::AcquireOperation;
    std::shared_lock<shared_mutex> Result() {
      if (acquired()) return {mutex_, std::adopt_lock};
      return {mutex_, std::defer_lock};
    }
  };

  void RequireSimulation(const char* what) const;
  // The race detector's edges of an acquisition that succeeded, exclusive or shared.
  void Acquired(bool shared) const;
  TaskId writer_ = kNoTask;      // Invariant: writer_ != kNoTask implies readers_ is empty.
  std::vector<TaskId> readers_;  // one entry per shared hold (a task may appear more than once)
  detail::WaitQueue waiters_;
};

}  // namespace weave
