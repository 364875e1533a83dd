// weave/sleep.hpp: sleeping and yielding, as awaitables for coroutines.
//
// The coroutine forms of weave::this_task::sleep_for/sleep_until/yield. A coroutine task that
// awaits them suspends without holding a stack; the clock is virtual, so an hour passes at once
// when nothing else can run. Awaiting them from a coroutine that runs on a fiber or the body
// (weave::sync_wait) blocks that task instead.
//
//   co_await weave::sleep_for(std::chrono::seconds(30));   // instant in wall time
//   co_await weave::yield();                               // let another task run
#pragma once

#include <chrono>

#include "weave/clock.hpp"
#include "weave/detail/operation.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {

// A scheduling point: another task may run before the awaiting coroutine goes on.
inline auto yield(weave::source_location where = weave::source_location::current()) {
  return detail::Awaitable<detail::YieldOperation>(where);
}

// Suspends until virtual time `t` (a weave::clock time point, or another clock's, taken relative).
template <class Clock, class Duration>
auto sleep_until(std::chrono::time_point<Clock, Duration> t,
                 weave::source_location where = weave::source_location::current()) {
  return detail::Awaitable<detail::SleepOperation>(detail::DeadlineAt(t), where);
}

// Suspends for `d` of virtual time (d <= 0: a scheduling point only).
template <class Rep, class Period>
auto sleep_for(std::chrono::duration<Rep, Period> d,
               weave::source_location where = weave::source_location::current()) {
  return detail::Awaitable<detail::SleepOperation>(detail::DeadlineAfter(d), where);
}

}  // namespace weave
