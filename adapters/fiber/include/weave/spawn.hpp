// weave/spawn.hpp: stackful tasks (fibers) with a blocking-style API.
//
// weave::spawn starts a task that runs `fn` on its own stack (Boost.Context), inside the current
// simulation. The task blocks on weave primitives exactly like a thread would, but only one task
// runs at a time and the strategy decides every interleaving. Stacks have a guard page below them;
// their size is Options::stack_size (--weave_stack_size). Stacks are pooled across runs.
//
//   weave::join_handle worker = weave::spawn("worker", [&] { queue.send(compute()); });
//   auto result = queue.receive();
//   worker.join();
#pragma once

#include <string_view>

#include "absl/functional/any_invocable.h"

#include "weave/join_handle.hpp"

namespace weave {

// Spawns a fiber task named `name` running `fn`. Spawning is a scheduling point: the new task may
// run before spawn returns. Throws std::logic_error outside a simulation. To run a task unjoined,
// say so: `weave::spawn("t", fn).detach();`.
[[nodiscard]] join_handle spawn(std::string_view name, absl::AnyInvocable<void()> fn);

}  // namespace weave
