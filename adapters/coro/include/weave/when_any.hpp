// weave/when_any.hpp: racing several coroutines that run concurrently; the first to end wins.
//
// weave::when_any(a(), b(), ...) starts each task as a weave task of its own, named
// "when_any[0]", "when_any[1]"... The first child to end, with a value or an exception, wins;
// the others are cancelled (weave::task_cancelled at their next co_await). when_any still waits
// for every child to end, then gives the winner's index and value (a std::variant, std::monostate
// for a task<void>), or rethrows the winner's exception. What the losers end with afterwards is
// dropped. Which child wins when several could is a choice of the schedule, explored like any
// other. Cancelling the awaiting task cancels the children and still waits for them.
//
//   auto r = co_await weave::when_any(fetch_from(primary), fetch_from(replica));
//   Reply reply = std::get<Reply>(r.value);   // r.index says which one answered first
//   auto [index, v] = co_await weave::when_any(std::move(tasks));   // vector form
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "weave/cancellation.hpp"
#include "weave/task.hpp"
#include "weave/task_group.hpp"
#include "weave/when_all.hpp"

namespace weave {

// The outcome of when_any(task<Ts>...): which child won, and its value.
// Invariant: value.index() == index.
template <class... Rs>
struct when_any_result {
  std::size_t index;
  std::variant<Rs...> value;
};

namespace detail {

// The race between the children of one when_any: who won, and with what.
template <class Value>
struct Race {
  static constexpr std::size_t kNoWinner = static_cast<std::size_t>(-1);
  std::size_t winner = kNoWinner;
  std::optional<Value> value;
  std::exception_ptr error;
};

// Runs `child`; if nobody has won yet, it wins: `store` keeps its value, or `race` its exception,
// and the group's other children are cancelled. A child the race cancelled has lost; an error
// after the race was decided is dropped.
template <class T, class Value, class Store>
task<void> RunRacer(task<T> child, std::size_t index, Race<Value>& race, task_group& group,
                    Store store) {
  std::exception_ptr error;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(child);
      if (race.winner == race.kNoWinner) store(race);
    } else {
      T result = co_await std::move(child);
      if (race.winner == race.kNoWinner) store(race, std::move(result));
    }
  } catch (const RunAborted&) {
    throw;  // the run is stopping
  } catch (const task_cancelled&) {
    if (!group.cancelled()) error = std::current_exception();  // cancelled by someone else
  } catch (...) {
    error = std::current_exception();
  }
  if (race.winner == race.kNoWinner && (race.value || error)) {
    race.winner = index;
    race.error = std::move(error);
    group.cancel();  // cancels this child too; it awaits nothing more
  }
}

template <class... Ts, std::size_t... I>
void SpawnRacers(task_group& group, Race<std::variant<ChildValue<Ts>...>>& race,
                 std::index_sequence<I...> /*indices*/, task<Ts>... children) {
  using Value = std::variant<ChildValue<Ts>...>;
  (group.spawn(IndexedName("when_any", I),
               RunRacer(std::move(children), I, race, group,
                        [](Race<Value>& r, auto&&... result) {
                          r.value.emplace(std::in_place_index<I>,
                                          std::forward<decltype(result)>(result)...);
                        })),
   ...);
}

}  // namespace detail

// Races the tasks, each a task of its own: the first to end wins and the others are cancelled.
// Gives the winner's index and value (or rethrows its exception) after every child has ended.
template <class... Ts>
requires(sizeof...(Ts) >
         0) task<when_any_result<detail::ChildValue<Ts>...>> when_any(task<Ts>... children) {
  static_assert((!std::is_reference_v<Ts> && ...),
                "weave::when_any: tasks returning references are not supported");
  using Value = std::variant<detail::ChildValue<Ts>...>;
  detail::Race<Value> race;
  {
    task_group group("when_any");
    detail::SpawnRacers<Ts...>(group, race, std::index_sequence_for<Ts...>{},
                               std::move(children)...);
    co_await group.wait();
  }
  if (race.error) std::rethrow_exception(race.error);
  if (!race.value) throw std::logic_error("weave::when_any: no child won");
  co_return when_any_result<detail::ChildValue<Ts>...>{race.winner, std::move(*race.value)};
}

// The homogeneous form: {index of the winner, its value}. Throws std::invalid_argument when
// `children` is empty (nothing could win).
template <class T>
requires(!std::is_void_v<T>) task<std::pair<std::size_t, T>> when_any(
    std::vector<task<T>> children) {
  static_assert(!std::is_reference_v<T>,
                "weave::when_any: tasks returning references are not supported");
  if (children.empty()) throw std::invalid_argument("weave::when_any: no tasks to race");
  detail::Race<T> race;
  {
    task_group group("when_any");
    for (std::size_t i = 0; i < children.size(); ++i) {
      group.spawn(
          detail::IndexedName("when_any", i),
          detail::RunRacer(std::move(children[i]), i, race, group,
                           [](detail::Race<T>& r, T&& v) { r.value.emplace(std::move(v)); }));
    }
    co_await group.wait();
  }
  if (race.error) std::rethrow_exception(race.error);
  if (!race.value) throw std::logic_error("weave::when_any: no child won");
  co_return std::pair<std::size_t, T>(race.winner, std::move(*race.value));
}

// The homogeneous form for tasks without a value: the index of the winner.
inline task<std::size_t> when_any(std::vector<task<void>> children) {
  if (children.empty()) throw std::invalid_argument("weave::when_any: no tasks to race");
  detail::Race<bool> race;
  {
    task_group group("when_any");
    for (std::size_t i = 0; i < children.size(); ++i) {
      group.spawn(detail::IndexedName("when_any", i),
                  detail::RunRacer(std::move(children[i]), i, race, group,
                                   [](detail::Race<bool>& r) { r.value.emplace(true); }));
    }
    co_await group.wait();
  }
  if (race.error) std::rethrow_exception(race.error);
  if (!race.value) throw std::logic_error("weave::when_any: no child won");
  co_return race.winner;
}

}  // namespace weave
