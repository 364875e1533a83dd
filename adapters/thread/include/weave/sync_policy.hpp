// weave/sync_policy.hpp: the sync types as a policy, so one class runs on std and under weave.
//
// A sync policy is a struct of member aliases that name a whole family of synchronization types:
// mutexes, condition variables, threads, atomics, a clock, semaphores, latch, barrier and
// `this_thread`. Code written once against a policy parameter (`typename Sync::mutex`,
// `typename Sync::thread`, `Sync::clock::now()`) runs in production with weave::std_sync, the
// standard types themselves, and under test with weave::sim_sync (in <weave/sim_sync.hpp>),
// weave's models of them, where every operation is a scheduling point that weave explores.
//
//   template <weave::sync_policy Sync> class Counter { typename Sync::mutex m_; int n_ = 0; ... };
//   Counter<weave::std_sync> in_production;   // std::mutex: no weave code, no weave library
//   Counter<weave::sim_sync> under_test;      // weave::mutex, inside WEAVE_TEST or weave::explore
//
// This header is what production code includes. It includes standard headers only, and
// weave::std_sync names standard types only, so a production build needs no weave library and no
// other weave header (link the header-only target weave::sync_policy, or nothing at all): weave
// is a test dependency. weave::sim_sync lives in <weave/sim_sync.hpp>, which tests include; it
// needs the simulation (link weave::weave) and works only inside one.
//
// Both policies have the same member names:
//  - mutex, timed_mutex, shared_mutex (Lockable, TimedLockable, SharedLockable);
//  - condition_variable, condition_variable_any;
//  - thread (std::thread's API, and thread::id);
//  - atomic<T>, an alias template: write `typename Sync::template atomic<T>`;
//  - clock: std::chrono::steady_clock, or weave::clock (virtual time);
//  - counting_semaphore<N>, binary_semaphore, latch;
//  - barrier<F>, F the completion function type (barrier<> has none);
//  - this_thread::yield(), get_id(), sleep_for(d), sleep_until(t) with t of Sync::clock.
// There is no recursive_mutex (nor recursive_timed_mutex): weave has no model of it yet, and a
// name only one policy had would compile in production and fail under test.
//
// Writing code that compiles with both: std's types are the stricter ones, so write for them.
// std::condition_variable waits only on a std::unique_lock<std::mutex>: wait on a
// std::unique_lock<typename Sync::mutex> (or use condition_variable_any for other locks).
// sleep_until takes only the policy's own clock, because under weave any other clock would tie the
// schedule to real time. weave's primitives take a name for reports (`weave::mutex m{"queue"}`)
// and std's cannot; code written against a policy leaves them unnamed, and weave's reports show
// them by kind and number (`mutex #0`).
//
// Determinism: std_sync is the real thing, nondeterministic as ever; sim_sync is as deterministic
// as every weave primitive.
// Thread-safety: that of the named types.
#pragma once

#include <atomic>
#include <barrier>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <latch>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <thread>

namespace weave {
namespace detail {

// The completion function type of a barrier specialization: CompletionOf<std::barrier<>>::type is
// std's unnamed default, so std_sync::barrier<> is exactly std::barrier<>.
template <class Barrier>
struct CompletionOf;
template <template <class> class Barrier, class F>
struct CompletionOf<Barrier<F>> {
  using type = F;
};

// The LeastMaxValue of a counting_semaphore specialization, for the same reason.
template <class Semaphore>
struct LeastMaxValueOf;
template <template <std::ptrdiff_t> class Semaphore, std::ptrdiff_t N>
struct LeastMaxValueOf<Semaphore<N>> {
  static constexpr std::ptrdiff_t value = N;
};

template <class M>
concept Lockable = requires(M& m) {
  m.lock();
  { m.try_lock() } -> std::convertible_to<bool>;
  m.unlock();
};

template <class M, class Clock>
concept TimedLockable = Lockable<M> &&
    requires(M& m, typename Clock::duration d, typename Clock::time_point t) {
  { m.try_lock_for(d) } -> std::convertible_to<bool>;
  { m.try_lock_until(t) } -> std::convertible_to<bool>;
};

template <class M>
concept SharedLockable = Lockable<M> && requires(M& m) {
  m.lock_shared();
  { m.try_lock_shared() } -> std::convertible_to<bool>;
  m.unlock_shared();
};

// A policy names every type of the family.
template <class S>
concept NamesEverySyncType = requires {
  typename S::mutex;
  typename S::timed_mutex;
  typename S::shared_mutex;
  typename S::condition_variable;
  typename S::condition_variable_any;
  typename S::thread;
  typename S::thread::id;
  typename S::template atomic<int>;
  typename S::clock;
  typename S::template counting_semaphore<1>;
  typename S::binary_semaphore;
  typename S::latch;
  typename S::template barrier<>;
};

// Its this_thread works with its own thread ids and its own clock.
template <class S>
concept HasThisThread = requires(typename S::clock::duration d, typename S::clock::time_point t) {
  S::this_thread::yield();
  { S::this_thread::get_id() } -> std::same_as<typename S::thread::id>;
  S::this_thread::sleep_for(d);
  S::this_thread::sleep_until(t);
};

}  // namespace detail

// What a sync policy must name, and the few properties generic code relies on: the mutexes are
// lockable, the clock is a std::chrono clock, and this_thread works with the policy's own thread
// ids and clock. Constrain a class template with it (`template <weave::sync_policy Sync>`) to get
// one clear error for a policy that lacks a member instead of many from deep inside the class.
template <class S>
concept sync_policy = detail::NamesEverySyncType<S> && std::chrono::is_clock_v<typename S::clock> &&
    detail::Lockable<typename S::mutex> &&
    detail::TimedLockable<typename S::timed_mutex, typename S::clock> &&
    detail::SharedLockable<typename S::shared_mutex> && detail::HasThisThread<S>;

// The standard types: what production code runs on. Usable anywhere, no simulation involved.
struct std_sync {
  using mutex = std::mutex;
  using timed_mutex = std::timed_mutex;
  using shared_mutex = std::shared_mutex;
  using condition_variable = std::condition_variable;
  using condition_variable_any = std::condition_variable_any;
  using thread = std::thread;
  template <class T>
  using atomic = std::atomic<T>;
  using clock = std::chrono::steady_clock;
  template <std::ptrdiff_t LeastMaxValue =
                detail::LeastMaxValueOf<std::counting_semaphore<>>::value>
  using counting_semaphore = std::counting_semaphore<LeastMaxValue>;
  using binary_semaphore = std::binary_semaphore;
  using latch = std::latch;
  template <class CompletionFunction = detail::CompletionOf<std::barrier<>>::type>
  using barrier = std::barrier<CompletionFunction>;

  // std::this_thread, with sleep_until restricted to the policy's clock (as sim_sync's must be).
  struct this_thread {
    static void yield() noexcept { std::this_thread::yield(); }
    static thread::id get_id() noexcept { return std::this_thread::get_id(); }
    template <class Rep, class Period>
    static void sleep_for(std::chrono::duration<Rep, Period> d) {
      std::this_thread::sleep_for(d);
    }
    template <class Duration>
    static void sleep_until(std::chrono::time_point<clock, Duration> t) {
      std::this_thread::sleep_until(t);
    }
  };
};

static_assert(sync_policy<std_sync>);

}  // namespace weave
