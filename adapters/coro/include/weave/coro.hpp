// weave/coro.hpp: C++20 coroutines under weave, in one include.
//
// weave::task<T> (lazy coroutines), co_spawn and task_handle (coroutine tasks), sync_wait (run a
// coroutine from the body or a fiber), the awaitable sleep/yield, cancellation, and the
// primitives (their co_* members are the awaitable forms). Link weave::weave.
//
//   weave::task<int> answer() { co_await weave::sleep_for(std::chrono::seconds(1)); co_return 42; }
//   auto h = weave::co_spawn("answer", answer());
//   int v = h.join();
#pragma once

#include "weave/cancellation.hpp"
#include "weave/co_spawn.hpp"
#include "weave/sleep.hpp"
#include "weave/sync_wait.hpp"
#include "weave/task.hpp"
#include "weave/task_group.hpp"
#include "weave/weave.hpp"
#include "weave/when_all.hpp"
#include "weave/when_any.hpp"
