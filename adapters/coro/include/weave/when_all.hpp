// weave/when_all.hpp: awaiting several coroutines that run concurrently, for all their results.
//
// weave::when_all(a(), b(), ...) starts each task as a weave task of its own, named
// "when_all[0]", "when_all[1]"... (so the scheduler interleaves them), waits until every one has
// ended and gives their results as a tuple (std::monostate for a task<void>); the vector form
// gives a vector (nothing for task<void>). When a child throws, the others are cancelled
// (weave::task_cancelled at their next co_await); when_all still waits for all of them, then
// rethrows the first error in completion order. It is a task_group (weave/task_group.hpp) with
// a slot per child, so cancelling the awaiting task cancels the children and waits for them too.
//
//   auto [user, orders] = co_await weave::when_all(fetch_user(id), fetch_orders(id));
//   std::vector<int> sizes = co_await weave::when_all(std::move(size_tasks));
//   auto t = weave::sync_wait(weave::when_all(slow(), fast()));   // from the body
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "weave/task.hpp"
#include "weave/task_group.hpp"

namespace weave {

namespace detail {

// What a child's result becomes in a combinator's result: void is std::monostate.
template <class T>
using ChildValue = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Runs `child` and keeps its value in `slot` (which outlives it: the combinator waits).
template <class T>
task<void> StoreResult(task<T> child, std::optional<ChildValue<T>>& slot) {
  if constexpr (std::is_void_v<T>) {
    co_await std::move(child);
    slot.emplace();
  } else {
    T value = co_await std::move(child);
    slot.emplace(std::move(value));
  }
}

template <class T>
T&& TakeSlot(std::optional<T>& slot) {
  // Every child ended with a value when the group's wait returned normally.
  if (!slot) throw std::logic_error("weave::when_all: a child ended without a value");
  return std::move(*slot);
}

template <class Slots, class... Ts, std::size_t... I>
void SpawnAll(task_group& group, Slots& slots, std::index_sequence<I...> /*indices*/,
              task<Ts>... children) {
  (group.spawn(IndexedName("when_all", I), StoreResult(std::move(children), std::get<I>(slots))),
   ...);
}

template <class Slots, std::size_t... I>
auto TakeAll(Slots& slots, std::index_sequence<I...> /*indices*/) {
  return std::tuple<typename std::tuple_element_t<I, Slots>::value_type...>(
      TakeSlot(std::get<I>(slots))...);
}

}  // namespace detail

// Runs every task concurrently, each as a task of its own; gives all results, in argument order.
// Rethrows the first error (in completion order) after every child has ended.
template <class... Ts>
task<std::tuple<detail::ChildValue<Ts>...>> when_all(task<Ts>... children) {
  static_assert((!std::is_reference_v<Ts> && ...),
                "weave::when_all: tasks returning references are not supported");
  std::tuple<std::optional<detail::ChildValue<Ts>>...> slots;
  {
    task_group group("when_all");
    detail::SpawnAll(group, slots, std::index_sequence_for<Ts...>{}, std::move(children)...);
    co_await group.wait();
  }
  co_return detail::TakeAll(slots, std::index_sequence_for<Ts...>{});
}

// The homogeneous form: the results in the order of `children`.
template <class T>
requires(!std::is_void_v<T>) task<std::vector<T>> when_all(std::vector<task<T>> children) {
  static_assert(!std::is_reference_v<T>,
                "weave::when_all: tasks returning references are not supported");
  std::vector<std::optional<T>> slots(children.size());  // never resized: children keep refs
  {
    task_group group("when_all");
    for (std::size_t i = 0; i < children.size(); ++i) {
      group.spawn(detail::IndexedName("when_all", i),
                  detail::StoreResult(std::move(children[i]), slots[i]));
    }
    co_await group.wait();
  }
  std::vector<T> results;
  results.reserve(slots.size());
  for (std::optional<T>& slot : slots) results.push_back(detail::TakeSlot(slot));
  co_return results;
}

// The homogeneous form for tasks without a value.
inline task<void> when_all(std::vector<task<void>> children) {
  task_group group("when_all");
  for (std::size_t i = 0; i < children.size(); ++i) {
    group.spawn(detail::IndexedName("when_all", i), std::move(children[i]));
  }
  co_await group.wait();
}

}  // namespace weave
