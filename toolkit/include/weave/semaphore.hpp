// weave/semaphore.hpp: Model of std::counting_semaphore and std::binary_semaphore.
//
// acquire() takes one unit, blocking while the count is zero; release(n) adds n and wakes waiters.
// Timed acquires run in virtual time. Releasing past max() is reported as misuse.
//
//   weave::counting_semaphore<4> slots{4, "slots"};
//   slots.acquire();                     // a fiber or the body
//   co_await slots.co_acquire();         // a coroutine
//   use_slot(); slots.release();
//
// The awaitable forms (co_acquire, co_try_acquire_for, co_try_acquire_until) run the same code as
// acquire(): a coroutine and a fiber waiting on the same semaphore are woken by the same release.
// Happens-before: a release happens before every later successful acquire (not only the one
// that takes its unit: the detector does not tell units apart).
// Determinism: a release wakes every waiter and the strategy picks who takes the units.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <string_view>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {
namespace detail {

// The non-template core of counting_semaphore.
class SemaphoreCore : public SyncObject {
 public:
  SemaphoreCore(std::ptrdiff_t initial, std::ptrdiff_t max, std::string_view name);
  ~SemaphoreCore() override;
  void Release(std::ptrdiff_t update, weave::source_location where);
  bool AcquireUntil(Nanos deadline, weave::source_location where);
  bool TryAcquire();
  std::ptrdiff_t count() const { return count_; }

 protected:
  // Taking one unit, for acquire() and co_acquire() alike: take it if the count is positive,
  // else wait in waiters_ until `deadline`.
  class AcquireOperation : public BlockingOperation {
   public:
    AcquireOperation(SemaphoreCore& s, Nanos deadline, const weave::source_location& where)
        : BlockingOperation(Operation::kAcquire, &s, where), semaphore_(s), deadline_(deadline) {}
    Outcome Attempt() final;
    bool acquired() const { return acquired_; }

   private:
    SemaphoreCore& semaphore_;
    Nanos deadline_;
    bool acquired_ = false;
  };
  // co_acquire's: nothing to return (it returns only once a unit is taken).
  class Acquire final : public AcquireOperation {
   public:
    using AcquireOperation::AcquireOperation;
    void Result() const {}
  };
  // co_try_acquire_for/until's: whether a unit was taken before the deadline.
  class TimedAcquire final : public AcquireOperation {
   public:
    using AcquireOperation::AcquireOperation;
    bool Result() const { return acquired(); }
  };

  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
  std::ptrdiff_t count_;
  std::ptrdiff_t max_;
  WaitQueue waiters_;
};

}  // namespace detail

template <std::ptrdiff_t LeastMaxValue = std::numeric_limits<std::ptrdiff_t>::max()>
class counting_semaphore : public detail::SemaphoreCore {
 public:
  static constexpr std::ptrdiff_t max() noexcept { return LeastMaxValue; }

  // `desired` must be in [0, max()] (checked: std::invalid_argument).
  explicit counting_semaphore(std::ptrdiff_t desired, std::string_view name = {})
      : SemaphoreCore(desired, LeastMaxValue, name) {}

  // Adds `update` units and wakes the waiters. Past max() or negative: misuse (reported).
  void release(std::ptrdiff_t update = 1,
               weave::source_location where = weave::source_location::current()) {
    Release(update, where);
  }
  // Takes one unit, blocking while there is none.
  void acquire(weave::source_location where = weave::source_location::current()) {
    AcquireUntil(detail::kNoDeadline, where);
  }
  // Takes a unit if there is one; never blocks. Not noexcept, unlike std's: it is a scheduling
  // point, where a run being torn down unwinds.
  bool try_acquire() { return TryAcquire(); }
  // acquire() for at most `d` of virtual time; false if no unit could be taken by then.
  template <class Rep, class Period>
  bool try_acquire_for(std::chrono::duration<Rep, Period> d,
                       weave::source_location where = weave::source_location::current()) {
    return AcquireUntil(detail::DeadlineAfter(d), where);
  }
  // acquire() until `t` (a weave::clock time point, or another clock's, taken relative).
  template <class Clock, class Duration>
  bool try_acquire_until(std::chrono::time_point<Clock, Duration> t,
                         weave::source_location where = weave::source_location::current()) {
    return AcquireUntil(detail::DeadlineAt(t), where);
  }

  // Awaitable acquire(): `co_await slots.co_acquire();`.
  auto co_acquire(weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<Acquire>(*this, detail::kNoDeadline, where);
  }
  // Awaitable try_acquire_for: true when a unit was taken before `d` of virtual time passed.
  template <class Rep, class Period>
  auto co_try_acquire_for(std::chrono::duration<Rep, Period> d,
                          weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<TimedAcquire>(*this, detail::DeadlineAfter(d), where);
  }
  // Awaitable try_acquire_until.
  template <class Clock, class Duration>
  auto co_try_acquire_until(std::chrono::time_point<Clock, Duration> t,
                            weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<TimedAcquire>(*this, detail::DeadlineAt(t), where);
  }
};

using binary_semaphore = counting_semaphore<1>;

}  // namespace weave
