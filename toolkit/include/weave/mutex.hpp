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
//   std::scoped_lock lock(m);
//   balance += 10;
//
// Determinism: waiters are woken together on unlock and the strategy picks who acquires.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {

class mutex : public detail::SyncObject {
 public:
  explicit mutex(std::string_view name = {}) : mutex(detail::ObjectKind::kMutex, name) {}
  ~mutex() override;

  // Blocks until the mutex is acquired.
  void lock(weave::source_location where = weave::source_location::current());
  // Acquires the mutex if it is free; never blocks.
  bool try_lock(weave::source_location where = weave::source_location::current());
  // Releases the mutex. Precondition (checked): the calling task holds it.
  void unlock(weave::source_location where = weave::source_location::current());

  // The holder, or kNoTask.
  TaskId owner() const { return Stale() ? kNoTask : owner_; }
  void AppendHolders(std::vector<TaskId>& holders) const override;

 protected:
  mutex(detail::ObjectKind kind, std::string_view name) : SyncObject(kind, name) {}
  // Acquires before `deadline`; false on timeout.
  bool LockUntil(detail::Nanos deadline, weave::source_location where);
  void ForgetEarlierRun() override;

 private:
  TaskId owner_ = kNoTask;  // Invariant: kNoTask iff unlocked.
  detail::WaitQueue waiters_;
};

class timed_mutex : public mutex {
 public:
  explicit timed_mutex(std::string_view name = {}) : mutex(detail::ObjectKind::kTimedMutex, name) {}

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
};

}  // namespace weave
