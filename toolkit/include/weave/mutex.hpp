// weave/mutex.hpp: Model of std::mutex and std::timed_mutex.
//
// Use weave::mutex wherever the code under test uses std::mutex; it meets the Lockable (and for
// timed_mutex TimedLockable) requirements, so std::scoped_lock, std::unique_lock and std::lock
// work. lock() is a scheduling point; when the mutex is held the task blocks and the strategy
// decides who gets it next. Misuse is a reported failure, not undefined behaviour: unlocking a
// mutex the task does not hold, destroying a locked mutex, and locking a mutex the task already
// holds (reported as a deadlock).
//
//   weave::mutex m{"accounts"};
//   std::scoped_lock lock(m);                  // a fiber or the body
//   auto guard = co_await m.co_lock();         // a coroutine: a std::unique_lock that owns m
//
// The awaitable forms (co_lock, co_try_lock_for, co_try_lock_until) run the same acquisition code
// as lock(): a coroutine and a fiber waiting for the same mutex are woken alike.
// Happens-before: an unlock happens before every later acquisition of the same mutex (lock,
// successful try_lock or timed lock); that is the only edge a mutex gives the race detector.
// Determinism: waiters are woken together on unlock and the strategy picks who acquires.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <mutex>
#include <string_view>
#include <vector>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {

class mutex : public detail::SyncObject {
 public:
  // `declared` (the caller's line, by default) names the mutex in lock-order reports the same
  // way in every run.
  explicit mutex(std::string_view name = {},
                 weave::source_location declared = weave::source_location::current())
      : mutex(detail::ObjectKind::kMutex, name, declared) {}
  ~mutex() override;

  // Blocks until the mutex is acquired.
  void lock(weave::source_location where = weave::source_location::current());
  // Acquires the mutex if it is free; never blocks.
  bool try_lock(weave::source_location where = weave::source_location::current());
  // Releases the mutex. Precondition (checked): the calling task holds it.
  void unlock(weave::source_location where = weave::source_location::current());

  // Awaitable lock(): `auto guard = co_await m.co_lock();` gives a std::unique_lock that owns m.
  auto co_lock(weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<GuardedLock<mutex>>(*this, detail::kNoDeadline, where);
  }

  // The holder, or kNoTask.
  TaskId owner() const { return Stale() ? kNoTask : owner_; }
  void AppendHolders(std::vector<TaskId>& holders) const override;

 protected:
  // Acquiring the mutex, for lock() and co_lock() alike: take it if free, else wait in waiters_.
  class LockOperation : public detail::BlockingOperation {
   public:
    LockOperation(mutex& m, detail::Nanos deadline, const weave::source_location& where)
        : BlockingOperation(detail::Operation::kLock, &m, where), mutex_(m), deadline_(deadline) {}
    Outcome Attempt() final;
    bool acquired() const { return acquired_; }

   protected:
    mutex& mutex_;

   private:
    detail::Nanos deadline_;
    bool acquired_ = false;
    // Whether the lock-order detector was told of this acquisition (once, however many attempts).
    bool requested_ = false;
  };
  // LockOperation whose result is a std::unique_lock<M> (owning the mutex if acquired).
  template <class M>
  class GuardedLock final : public LockOperation {
   public:
    using LockOperation::LockOperation;
    std::unique_lock<M> Result() {
      auto& m = static_cast<M&>(mutex_);
      if (acquired()) return std::unique_lock<M>(m, std::adopt_lock);
      return std::unique_lock<M>(m, std::defer_lock);
    }
  };

  mutex(detail::ObjectKind kind, std::string_view name, const weave::source_location& declared)
      : SyncObject(kind, name, declared) {
    CountInstance();
  }
  // Acquires before `deadline`; false on timeout.
  bool LockUntil(detail::Nanos deadline, weave::source_location where);
  void ForgetEarlierRun() override;

 private:
  // A condition variable's wait relocks its mutex with a LockOperation of its own.
  friend class condition_variable;

  TaskId owner_ = kNoTask;  // Invariant: kNoTask iff unlocked.
  detail::WaitQueue waiters_;
};

class timed_mutex : public mutex {
 public:
  explicit timed_mutex(std::string_view name = {},
                       weave::source_location declared = weave::source_location::current())
      : mutex(detail::ObjectKind::kTimedMutex, name, declared) {}

  // Tries to acquire for `d` of virtual time.
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> d,
                    weave::source_location where = weave::source_location::current()) {
    return LockUntil(detail::DeadlineAfter(d), where);
  }
  // Tries to acquire until `t` (a weave::clock time point, or another clock's, taken relative).
  template <class Clock, class Duration>
  bool try_lock_until(std::chrono::time_point<Clock, Duration> t,
                      weave::source_location where = weave::source_location::current()) {
    return LockUntil(detail::DeadlineAt(t), where);
  }
  // Awaitable try_lock_for: a std::unique_lock that owns the mutex unless the time ran out.
  template <class Rep, class Period>
  auto co_try_lock_for(std::chrono::duration<Rep, Period> d,
                       weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<GuardedLock<timed_mutex>>(*this, detail::DeadlineAfter(d), where);
  }
  // Awaitable try_lock_until.
  template <class Clock, class Duration>
  auto co_try_lock_until(std::chrono::time_point<Clock, Duration> t,
                         weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<GuardedLock<timed_mutex>>(*this, detail::DeadlineAt(t), where);
  }
};

}  // namespace weave
