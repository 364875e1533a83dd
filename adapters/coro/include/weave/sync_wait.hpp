// weave/sync_wait.hpp: running a coroutine to completion from the body or a fiber.
//
// weave::sync_wait(t) runs `t` on the calling task (the body or a fiber): each weave awaitable
// inside it blocks that task in virtual time, exactly as the blocking call would, and other tasks
// run meanwhile. It never blocks the OS thread. Use co_await inside coroutines instead: calling
// sync_wait from a coroutine task is misuse.
//
//   WEAVE_TEST(Cache, TwoClients) {
//     auto a = weave::co_spawn("a", client(cache));
//     weave::sync_wait(client(cache));   // the body is the second client
//     a.join();
//   }
#pragma once

#include <stdexcept>
#include <utility>

#include "weave/task.hpp"
#include "weave/task_backend.hpp"

namespace weave {

template <class T>
T sync_wait(task<T> t) {
  if (!t.valid()) throw std::invalid_argument("weave::sync_wait: empty task (moved from?)");
  if (detail::InSimulation() && detail::CurrentTaskKind() == TaskKind::kCoroutine) {
    throw std::logic_error(
        "weave::sync_wait called from a coroutine task: co_await the task instead");
  }
  auto h = t.handle();
  h.resume();
  if (!h.done()) {
    throw std::logic_error(
        "weave::sync_wait: the coroutine suspended at a co_await that is not a weave awaitable, "
        "so nothing would resume it");
  }
  return h.promise().TakeResult();
}

}  // namespace weave
