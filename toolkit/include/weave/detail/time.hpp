// weave/detail/time.hpp: converting std::chrono durations and time points to virtual deadlines.
//
// Internal. Timed operations accept any duration and any clock's time point, as the standard's do;
// a time point of another clock is taken relative to that clock's now(). Conversions saturate
// instead of overflowing, so duration::max() means "no deadline".
#pragma once

#include <chrono>
#include <type_traits>

#include "weave/clock.hpp"
#include "weave/detail/runtime.hpp"

namespace weave::detail {

template <class Rep, class Period>
constexpr Nanos ToNanosSaturating(std::chrono::duration<Rep, Period> d) {
  using std::chrono::duration;
  using std::chrono::nanoseconds;
  constexpr auto kMax = static_cast<long double>(kNoDeadline);
  const long double ns = static_cast<long double>(d.count()) *
                         static_cast<long double>(Period::num) * 1'000'000'000.0L /
                         static_cast<long double>(Period::den);
  if (ns >= kMax) return kNoDeadline;
  if (ns <= -kMax) return -kNoDeadline;
  return std::chrono::ceil<nanoseconds>(d).count();
}

template <class Rep, class Period>
Nanos DeadlineAfter(std::chrono::duration<Rep, Period> d) {
  return SaturatingAdd(Now(), ToNanosSaturating(d));
}

template <class Clock, class Duration>
Nanos DeadlineAt(std::chrono::time_point<Clock, Duration> t) {
  if constexpr (std::is_same_v<Clock, weave::clock>) {
    return ToNanosSaturating(t.time_since_epoch());
  } else {
    return DeadlineAfter(t - Clock::now());
  }
}

}  // namespace weave::detail
