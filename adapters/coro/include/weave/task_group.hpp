// weave/task_group.hpp: structured concurrency, a scope that never ends before its children.
//
// A weave::task_group (a "nursery") runs coroutines as tasks of their own, each co_spawned so that
// the scheduler interleaves them, and waits for all of them: `co_await group.wait()` from a
// coroutine, `group.join()` from a fiber or the body. When a child fails, the group cancels the
// others at once (weave::task_cancelled at their next co_await, see weave/cancellation.hpp) and
// wait() rethrows the first error after every child has ended. If the task waiting in wait() is
// cancelled itself, the group cancels its children and still waits for them before it throws:
// the scope never ends before its children. Children may spawn more children into their group.
// A group destroyed while children were never waited for is reported (leaked-task).
// with_task_group(fn) is the scope as a function: a group, fn's body, then the wait.
//
//   weave::task_group group("fetchers");
//   for (int key : keys) group.spawn("fetch", fetch(cache, key));
//   co_await group.wait();  // every fetch has ended; the first failure is rethrown here
//
// Determinism: children are tasks created in spawn order; cancellation reaches them in the order
// they started; "first error" is the first in completion order, which the schedule decides.
//
// Thread-safety: like every weave object, a group belongs to one simulation and is used by its
// tasks, which run one at a time.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weave/cancellation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/task.hpp"

namespace weave {

class task_group;

namespace detail {
class TaskGroupState;  // shared by the group and its children (src/task_group.cpp)
struct TaskGroupAccess;
}  // namespace detail

class task_group {
 public:
  // A group named `name` in reports ("task_group 'name'"); `created` is where it was made.
  explicit task_group(std::string_view name = {},
                      weave::source_location created = weave::source_location::current());
  // Reports the group as leaked (leaked-task) when children were spawned and not all waited for,
  // unless the run is being torn down or an exception is unwinding (then it cancels them).
  ~task_group();
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  // Starts `child` as a new coroutine task named `name` in this group. Callable from any task of
  // the run, children included. Spawning is a scheduling point: the child may run (and end)
  // before spawn returns. In a cancelled group the child is cancelled as it starts (it runs up to
  // its first co_await). Throws std::logic_error outside a simulation.
  void spawn(std::string_view name, task<void> child,
             weave::source_location where = weave::source_location::current());

  // Waits, in a coroutine, until every child (also those spawned meanwhile) has ended; then
  // rethrows the first error a child ended with, if any. Cancelling the waiting task cancels the
  // children; wait() still waits for all of them and then rethrows the first child error, or
  // task_cancelled when there was none. The group can take new children afterwards.
  task<void> wait(weave::source_location where = weave::source_location::current());
  // The blocking form of wait(), for a fiber or the body (which are never cancelled).
  void join(weave::source_location where = weave::source_location::current());

  // Cancels every child: each gets task_cancelled at its next (or current) co_await, which the
  // group swallows. Children spawned later are cancelled as they start. A child that calls
  // cancel() cancels itself too.
  void cancel();
  // Whether cancel() was called or a child failed.
  bool cancelled() const;

 private:
  friend struct detail::TaskGroupAccess;
  std::shared_ptr<detail::TaskGroupState> state_;
};

namespace detail {

// For weave's combinators: what the public surface does not offer.
struct TaskGroupAccess {
  // Records `error` as the group's error if it is the first, and cancels the children (as a
  // failing child does). with_task_group uses it when the scope's own body fails.
  static void Fail(task_group& group, std::exception_ptr error);
};

// "prefix[index]": the task names of combinator children.
std::string IndexedName(std::string_view prefix, std::size_t index);

template <class F>
using ScopeResult = typename std::invoke_result_t<F&, task_group&>::value_type;

}  // namespace detail

// Runs `fn(group)` with a fresh group, then waits for the group's children, however fn ended:
// the scope helper. Gives fn's result, or rethrows the first error, in completion order, among
// fn's body and the children (a failing body cancels the children first). `fn` returns
// weave::task<T> and is kept alive (copied) until the scope ends.
//
//   co_await weave::with_task_group([&](weave::task_group& g) -> weave::task<> {
//     g.spawn("a", work(1));  g.spawn("b", work(2));  co_return;
//   });
template <class F>
requires std::is_invocable_v<F&, task_group&> task<detail::ScopeResult<F>> with_task_group(
    F fn, weave::source_location where = weave::source_location::current()) {
  using T = detail::ScopeResult<F>;
  static_assert(!std::is_reference_v<T>, "weave::with_task_group: fn may not return a reference");
  task_group group("with_task_group", where);
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await fn(group);
      value.emplace(true);
    } else {
      T result = co_await fn(group);
      value.emplace(std::move(result));
    }
  } catch (const detail::RunAborted&) {
    throw;  // the run is stopping
  } catch (...) {
    detail::TaskGroupAccess::Fail(group, std::current_exception());
  }
  co_await group.wait();  // rethrows the first error, the body's included
  if constexpr (!std::is_void_v<T>) co_return std::move(*value);
}

}  // namespace weave
