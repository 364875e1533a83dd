// weave/condition_variable.hpp: Model of std::condition_variable (and _any).
//
// Waits on any Lockable, most often std::unique_lock<weave::mutex>. wait() atomically releases the
// lock and blocks; notify_one() wakes one waiter (which one is a choice the strategy explores),
// notify_all() wakes all. With Options::spurious_wakeups each wait may also return without a
// notify, as the standard allows: code that waits without a predicate loop is then caught.
// Timed waits run in virtual time. Waiting without holding the lock is reported as misuse.
//
//   std::unique_lock lock(m);
//   cv.wait(lock, [&] { return !queue.empty(); });             // a fiber or the body
//   co_await cv.co_wait(lock, [&] { return !queue.empty(); });  // a coroutine
//   auto item = queue.front();
//
// wait() and the awaitable co_wait() run the same code. A wait has two phases: it joins the
// condition variable's queue, releases the lock and waits for a notify (or its deadline); then it
// relocks the mutex, which is a wait on the mutex exactly as lock() is. A timed-out wait relocks
// too. So a coroutine and a fiber waiting on the same condition variable are woken alike. The
// co_* forms take a std::unique_lock of a weave::mutex (or timed_mutex); wait() takes any
// Lockable (a lock of a weave::shared_mutex, say).
// Cancellation: a coroutine task cancelled (weave::task_group) while it waits gets
// weave::task_cancelled without the lock: lock.owns_lock() is false then.
// Happens-before: a notify happens before the return of each wait it wakes; the unlock and
// relock of the mutex add the mutex's own edges (and tell the lock-order detector).
// Determinism: notify_one's pick among several waiters and each spurious wakeup are choices of
// the strategy; woken waiters then compete for the mutex like any other lockers.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <concepts>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"
#include "weave/mutex.hpp"

namespace weave {
namespace detail {

// Whether a condition variable relocks `Lock` with weave::mutex's own lock operation: a
// weave::mutex itself, or a std::unique_lock of one. Any other Lockable is relocked by calling
// its lock(), on the waiting task's stack.
template <class Lock>
inline constexpr bool kRelocksWeaveMutex = std::is_base_of_v<weave::mutex, Lock>;
template <class M>
inline constexpr bool kRelocksWeaveMutex<std::unique_lock<M>> = std::is_base_of_v<weave::mutex, M>;

}  // namespace detail

class condition_variable : public detail::SyncObject {
 public:
  explicit condition_variable(std::string_view name = {})
      : SyncObject(detail::ObjectKind::kConditionVariable, name) {}
  ~condition_variable() override;

  // Wakes one waiter; which one, when several wait, is explored.
  void notify_one(weave::source_location where = weave::source_location::current());
  // Wakes every waiter.
  void notify_all(weave::source_location where = weave::source_location::current());

  // Releases `lock`, waits for a notify, relocks. Precondition (checked): `lock` is held.
  template <class Lock>
  void wait(Lock& lock, weave::source_location where = weave::source_location::current()) {
    Wait<false>(lock, detail::kNoDeadline, NoPredicate{}, where);
  }
  // Waits until `pred()` holds; `pred` is called with the lock held.
  template <class Lock, class Predicate>
  void wait(Lock& lock, Predicate pred,
            weave::source_location where = weave::source_location::current()) {
    Wait<false>(lock, detail::kNoDeadline, std::move(pred), where);
  }

  // wait() for at most `d` of virtual time.
  template <class Lock, class Rep, class Period>
  std::cv_status wait_for(Lock& lock, std::chrono::duration<Rep, Period> d,
                          weave::source_location where = weave::source_location::current()) {
    return Wait<true>(lock, detail::DeadlineAfter(d), NoPredicate{}, where);
  }
  // Waits for `pred()` for at most `d`; returns pred() (false: it timed out and pred is false).
  template <class Lock, class Rep, class Period, class Predicate>
  bool wait_for(Lock& lock, std::chrono::duration<Rep, Period> d, Predicate pred,
                weave::source_location where = weave::source_location::current()) {
    return Wait<true>(lock, detail::DeadlineAfter(d), std::move(pred), where);
  }

  // wait() until `t` (a weave::clock time point, or another clock's, taken relative).
  template <class Lock, class Clock, class Duration>
  std::cv_status wait_until(Lock& lock, std::chrono::time_point<Clock, Duration> t,
                            weave::source_location where = weave::source_location::current()) {
    return Wait<true>(lock, detail::DeadlineAt(t), NoPredicate{}, where);
  }
  template <class Lock, class Clock, class Duration, class Predicate>
  bool wait_until(Lock& lock, std::chrono::time_point<Clock, Duration> t, Predicate pred,
                  weave::source_location where = weave::source_location::current()) {
    return Wait<true>(lock, detail::DeadlineAt(t), std::move(pred), where);
  }

  // Awaitable wait(lock): `co_await cv.co_wait(lock);` with a std::unique_lock<weave::mutex>.
  template <class M>
  requires std::derived_from<M, mutex>
  auto co_wait(std::unique_lock<M>& lock,
               weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation<std::unique_lock<M>, NoPredicate, false>>(
        *this, lock, detail::kNoDeadline, NoPredicate{}, where);
  }
  // Awaitable wait(lock, pred): resumes once `pred()` holds, with the lock held.
  template <class M, std::predicate Predicate>
  requires std::derived_from<M, mutex>
  auto co_wait(std::unique_lock<M>& lock, Predicate pred,
               weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation<std::unique_lock<M>, Predicate, false>>(
        *this, lock, detail::kNoDeadline, std::move(pred), where);
  }
  // Awaitable wait_for: gives std::cv_status::timeout when `d` passed without a notify.
  template <class M, class Rep, class Period>
  requires std::derived_from<M, mutex>
  auto co_wait_for(std::unique_lock<M>& lock, std::chrono::duration<Rep, Period> d,
                   weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation<std::unique_lock<M>, NoPredicate, true>>(
        *this, lock, detail::DeadlineAfter(d), NoPredicate{}, where);
  }
  // Awaitable wait_for with a predicate: gives pred() (false: timed out with pred false).
  template <class M, class Rep, class Period, std::predicate Predicate>
  requires std::derived_from<M, mutex>
  auto co_wait_for(std::unique_lock<M>& lock, std::chrono::duration<Rep, Period> d, Predicate pred,
                   weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation<std::unique_lock<M>, Predicate, true>>(
        *this, lock, detail::DeadlineAfter(d), std::move(pred), where);
  }
  // Awaitable wait_until.
  template <class M, class Clock, class Duration>
  requires std::derived_from<M, mutex>
  auto co_wait_until(std::unique_lock<M>& lock, std::chrono::time_point<Clock, Duration> t,
                     weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation<std::unique_lock<M>, NoPredicate, true>>(
        *this, lock, detail::DeadlineAt(t), NoPredicate{}, where);
  }
  // Awaitable wait_until with a predicate.
  template <class M, class Clock, class Duration, std::predicate Predicate>
  requires std::derived_from<M, mutex>
  auto co_wait_until(std::unique_lock<M>& lock, std::chrono::time_point<Clock, Duration> t,
                     Predicate pred,
                     weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation<std::unique_lock<M>, Predicate, true>>(
        *this, lock, detail::DeadlineAt(t), std::move(pred), where);
  }

 protected:
  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
  struct NoPredicate {};
  // Phase two of a wait: weave::mutex's own lock operation (condition_variable is its friend).
  class RelockOperation final : public mutex::LockOperation {
   public:
    using LockOperation::LockOperation;
  };

  // One wait, for wait() and co_wait() alike. Without a predicate: the scheduling point, then
  // phase one (check the lock, the spurious-wakeup choice, join the queue, release the lock,
  // wait) and phase two (the relock's scheduling point, then lock attempts). With a predicate it
  // runs such rounds until pred() holds, as std's `while (!pred()) wait(lock);` does: no
  // scheduling point at all when pred() holds at once. kTimed: the result says whether the
  // deadline passed (cv_status, or pred() for a predicate).
  template <class Lock, class Predicate, bool kTimed>
  class WaitOperation final : public detail::BlockingOperation {
    static constexpr bool kHasPredicate = !std::is_same_v<Predicate, NoPredicate>;

   public:
    WaitOperation(condition_variable& cv, Lock& lock, detail::Nanos deadline, Predicate pred,
                  const weave::source_location& where)
        : BlockingOperation(detail::Operation::kWait, &cv, where),
          cv_(cv),
          lock_(lock),
          pred_(std::move(pred)),
          deadline_(deadline),
          call_site_(where) {
      if constexpr (kHasPredicate) SkipInitialPoint();  // each round's point follows pred()
    }

    Outcome Attempt() override {
      for (;;) {
        switch (phase_) {
          case Phase::kRound:
            if constexpr (kHasPredicate) {
              if (pred_()) {
                satisfied_ = true;
                return Outcome::kDone;
              }
              RequireSimulation();
              detail::SchedulingPoint(detail::Operation::kWait, &cv_);
            } else {
              RequireSimulation();
            }
            if (!HoldsLock()) {
              cv_.ReportWaitWithoutLock(call_site_);
              if (EndRound()) return Outcome::kDone;
              continue;
            }
            if (ChooseSpuriousWakeup()) {  // release and reacquire without any notify
              lock_.unlock();
              phase_ = Phase::kRelock;
              continue;
            }
            // Enqueue before releasing the lock: a notify issued as soon as the lock is free
            // must reach us.
            detail::Enqueue(cv_.waiters_);
            lock_.unlock();
            phase_ = Phase::kWaiting;
            ShowWaitAs(detail::Operation::kWait, &cv_);
            ShowWhere(call_site_);
            WaitEnqueued(cv_.waiters_, deadline_);
            return Outcome::kWait;
          case Phase::kWaiting:  // notified
            // The notify happens before this return (a timeout or a spurious wakeup gets no
            // edge from the condition variable; the relock adds the mutex's in every case).
            detail::HappensBeforeAcquire(cv_);
            phase_ = Phase::kRelock;
            continue;
          case Phase::kRelock:
            if constexpr (detail::kRelocksWeaveMutex<Lock>) {
              mutex& m = MutexOf(lock_);
              detail::SchedulingPoint(detail::Operation::kLock, &m);  // lock()'s point
              // Shown without a call site, as std::unique_lock::lock's call of lock() was.
              relock_.emplace(m, detail::kNoDeadline, weave::source_location());
              phase_ = Phase::kRelocking;
            } else {
              lock_.lock();  // another Lockable: relocked on this task's stack
              if (EndRound()) return Outcome::kDone;
            }
            continue;
          case Phase::kRelocking:
            if constexpr (detail::kRelocksWeaveMutex<Lock>) {
              if (relock_->Attempt() == Outcome::kWait) {
                ShowWaitAs(relock_->wait_op(), relock_->wait_object());
                ShowWhere(relock_->where());
                WaitOn(*relock_->wait_queue(), relock_->deadline());
                return Outcome::kWait;
              }
              if (!relock_->acquired()) return Outcome::kDone;  // a self-deadlock, reported
              if constexpr (!std::is_base_of_v<mutex, Lock>) {
                lock_ = Lock(*lock_.mutex(), std::adopt_lock);
              }
            }
            if (EndRound()) return Outcome::kDone;
            continue;
        }
      }
    }

    bool OnWaitEnded(detail::WakeReason reason) override {
      if (phase_ == Phase::kWaiting && reason == detail::WakeReason::kTimedOut) {
        timed_out_ = true;
        phase_ = Phase::kRelock;  // a timed-out wait still relocks
        return false;
      }
      return BlockingOperation::OnWaitEnded(reason);  // aborted or cancelled: over
    }

    // True when it ended waiting for a notify, with the lock released.
    bool ended_unlocked() const {
      return ended() != detail::WakeReason::kNotified && phase_ == Phase::kWaiting;
    }

    auto Result() const {
      if constexpr (!kTimed) {
        return;
      } else if constexpr (kHasPredicate) {
        return satisfied_;
      } else {
        return timed_out_ ? std::cv_status::timeout : std::cv_status::no_timeout;
      }
    }

   private:
    enum class Phase : std::uint8_t { kRound, kWaiting, kRelock, kRelocking };

    bool HoldsLock() const {
      if constexpr (requires { lock_.owns_lock(); }) return lock_.owns_lock();
      return true;
    }
    static mutex& MutexOf(Lock& lock) {
      if constexpr (std::is_base_of_v<mutex, Lock>) {
        return lock;
      } else {
        return *lock.mutex();
      }
    }
    // A round (one wait) ended with the lock held. Returns true when the operation is over.
    bool EndRound() {
      if constexpr (kHasPredicate) {
        if (timed_out_) {
          satisfied_ = pred_();
          return true;
        }
        phase_ = Phase::kRound;
        return false;
      } else {
        return true;
      }
    }

    condition_variable& cv_;
    Lock& lock_;
    Predicate pred_;
    detail::Nanos deadline_;
    weave::source_location call_site_;
    std::optional<RelockOperation> relock_;  // phase two, when it relocks a weave::mutex
    Phase phase_ = Phase::kRound;
    bool timed_out_ = false;
    bool satisfied_ = false;
  };

  // wait(), wait_for() and wait_until(): the operation on this task's stack.
  template <bool kTimed, class Lock, class Predicate>
  auto Wait(Lock& lock, detail::Nanos deadline, Predicate pred, weave::source_location where) {
    WaitOperation<Lock, Predicate, kTimed> operation(*this, lock, deadline, std::move(pred), where);
    detail::Perform(operation);
    // Woken by the object's destruction (or stopped while unwinding): reacquire all the same, so
    // the caller holds the lock on return as it expects.
    if (operation.ended_unlocked()) lock.lock();
    return operation.Result();
  }

  static void RequireSimulation();
  static bool ChooseSpuriousWakeup();
  void ReportWaitWithoutLock(const weave::source_location& where) const;

  detail::WaitQueue waiters_;
};

// std::condition_variable_any's name, for code that spells it so.
using condition_variable_any = condition_variable;

}  // namespace weave
