// weave/this_task.hpp: what the running task can do to itself.
//
// yield() is a scheduling point and nothing else; sleep_for/sleep_until block the task in virtual
// time (other tasks run; when none can, the clock jumps); id() and name() identify it (the body is
// task 0, "main").
//
//   while (!ready.load()) weave::this_task::yield();
//   weave::this_task::sleep_for(std::chrono::hours(1));   // instant in wall time
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "weave/clock.hpp"
#include "weave/detail/time.hpp"
#include "weave/failure.hpp"

namespace weave::this_task {

// A scheduling point: another task may run.
void yield();
// Blocks for `d` of virtual time (d <= 0: yield).
void sleep_for(clock::duration d);
// Any duration; one beyond what int64 nanoseconds hold saturates to "forever".
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
  sleep_for(clock::duration(detail::ToNanosSaturating(d)));
}
// Blocks until virtual time `t`.
void sleep_until(clock::time_point t);
// The running task's id (0 for the body). kNoTask outside a simulation.
TaskId id();
// The running task's name. Empty outside a simulation.
std::string name();
// The running task's logical stack, innermost first. For a coroutine task: the chain of weave::task
// coroutines from the innermost to the task's root, each at its latest co_await (file:line).
// Empty for fibers and the body, and outside a simulation. Print it with operator<<.
std::vector<StackFrame> stack();

}  // namespace weave::this_task
