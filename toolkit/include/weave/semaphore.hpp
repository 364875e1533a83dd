// weave/semaphore.hpp: Model of std::counting_semaphore and std::binary_semaphore.
//
// acquire() takes one unit, blocking while the count is zero; release(n) adds n and wakes waiters.
// Timed acquires run in virtual time. Releasing past max() is reported as misuse.
//
//   weave::counting_semaphore<4> slots{4, "slots"};
//   slots.acquire();
//   use_slot(); slots.release();
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <string_view>

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

  void release(std::ptrdiff_t update = 1,
               weave::source_location where = weave::source_location::current()) {
    Release(update, where);
  }
  void acquire(weave::source_location where = weave::source_location::current()) {
    AcquireUntil(detail::kNoDeadline, where);
  }
  // Not noexcept, unlike std's: it is a scheduling point, where a run being torn down unwinds.
  bool try_acquire() { return TryAcquire(); }
  template <class Rep, class Period>
  bool try_acquire_for(std::chrono::duration<Rep, Period> d,
                       weave::source_location where = weave::source_location::current()) {
    return AcquireUntil(detail::DeadlineAfter(d), where);
  }
  template <class Clock, class Duration>
  bool try_acquire_until(std::chrono::time_point<Clock, Duration> t,
                         weave::source_location where = weave::source_location::current()) {
    return AcquireUntil(detail::DeadlineAt(t), where);
  }
};

using binary_semaphore = counting_semaphore<1>;

}  // namespace weave
