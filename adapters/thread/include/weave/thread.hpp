// weave/thread.hpp: real OS threads as tasks of the simulation, with std::thread's API.
//
// A weave::thread is a real OS thread (its own stack, its own thread_local variables, safe for
// libraries that are not fiber-safe), but it runs only while it holds the run's baton: exactly one
// task of the simulation (thread, fiber, coroutine task or the body) runs at any moment, and the
// strategy decides every hand-over at weave's scheduling points, as for every other kind of task.
// So a schedule replays a thread program exactly like a fiber program. Threads, fibers and
// coroutine tasks wait on the same primitives (one mutex, one channel) in one simulation.
//
//   weave::thread t([&](int n) { counter.fetch_add(n); }, 5);
//   weave::this_thread::sleep_for(std::chrono::seconds(1));   // virtual time: instant
//   t.join();
//
// Differences from std::thread, each deliberate:
//  - Misuse is a failure of the schedule instead of std::terminate or std::system_error: destroying
//    (or assigning over) a joinable thread, joining or detaching a thread that is not joinable.
//  - A detached thread must still finish before the body returns; otherwise it is reported as a
//    leaked task, with what it was doing.
//  - hardware_concurrency() is a constant (kSimulatedHardwareConcurrency), so that code that sizes
//    itself by it runs the same schedules on every machine.
//  - A thread that blocks for real (a std::mutex, a socket, std::this_thread::sleep_for) stops the
//    whole simulation; after Options::watchdog of wall time the watchdog reports a stall with the
//    thread's stack and ends the run, abandoning that OS thread (it is detached; if it ever
//    returns into weave it finds no simulation).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

#include "absl/functional/any_invocable.h"

#include "weave/clock.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/failure.hpp"
#include "weave/join_handle.hpp"
#include "weave/this_task.hpp"

namespace weave {

class thread {
 public:
  // What hardware_concurrency() answers inside and outside a simulation.
  static constexpr unsigned kSimulatedHardwareConcurrency = 4;

  // Identifies a task of the current run (for any kind of task, as this_thread::get_id() is
  // asked by every kind). Default-constructed: "not a thread", like std::thread::id().
  class id {
   public:
    id() noexcept = default;
    explicit id(TaskId task) noexcept : task_(task) {}
    // The task id, as in reports; kNoTask for "not a thread".
    TaskId task() const noexcept { return task_; }
    friend bool operator==(id a, id b) noexcept { return a.task_ == b.task_; }
    friend auto operator<=>(id a, id b) noexcept { return a.task_ <=> b.task_; }
    friend std::ostream& operator<<(std::ostream& out, id value);

   private:
    TaskId task_ = kNoTask;
  };
  // The handle of the OS thread (pthread_t on Linux), for code that sets names or affinities.
  using native_handle_type = std::thread::native_handle_type;

  thread() noexcept = default;
  // Starts a thread running std::invoke(f, args...) on decayed copies made by the caller, as
  // std::thread does. Starting is a scheduling point: the thread may run before this returns.
  // Throws std::logic_error outside a simulation, std::system_error if no OS thread can be made.
  template <class F, class... Args>
  requires(!std::is_same_v<std::remove_cvref_t<F>, thread>) explicit thread(F&& f, Args&&... args) {
    Start("thread", Bind(std::forward<F>(f), std::forward<Args>(args)...));
  }
  // The same with a name for reports and schedules ("producer" instead of "thread").
  template <class F, class... Args>
  static thread named(std::string_view name, F&& f, Args&&... args) {
    thread t;
    t.Start(name, Bind(std::forward<F>(f), std::forward<Args>(args)...));
    return t;
  }

  // A joinable thread must be joined or detached first: destroying it is reported as misuse (where
  // std::thread would call std::terminate); the task then runs on unjoined.
  ~thread();
  thread(thread&& other) noexcept = default;
  thread& operator=(thread&& other) noexcept;
  thread(const thread&) = delete;
  thread& operator=(const thread&) = delete;

  bool joinable() const noexcept { return handle_.joinable(); }
  id get_id() const noexcept { return joinable() ? id(handle_.id()) : id(); }
  native_handle_type native_handle();
  static unsigned hardware_concurrency() noexcept { return kSimulatedHardwareConcurrency; }

  // Blocks (in virtual time) until the thread has finished; everything it did happens before the
  // join returns. Joining a thread that is not joinable is misuse; joining itself, a deadlock.
  void join(weave::source_location where = weave::source_location::current());
  // Lets it run on unjoined; it must still finish before the body returns.
  void detach();
  void swap(thread& other) noexcept { std::swap(handle_, other.handle_); }
  friend void swap(thread& a, thread& b) noexcept { a.swap(b); }

 private:
  template <class F, class... Args>
  static absl::AnyInvocable<void()> Bind(F&& f, Args&&... args) {
    return [call = std::make_tuple(std::decay_t<F>(std::forward<F>(f)),
                                   std::decay_t<Args>(std::forward<Args>(args))...)]() mutable {
      std::apply([](auto& fn, auto&... a) { std::invoke(std::move(fn), std::move(a)...); }, call);
    };
  }
  void Start(std::string_view name, absl::AnyInvocable<void()> fn);

  join_handle handle_;
};

namespace this_thread {

// A scheduling point and nothing else.
void yield();
// The running task's id (every kind of task has one; the body's is 0). "Not a thread" outside a
// simulation.
thread::id get_id() noexcept;
// Blocks for `d` of virtual time.
template <class Rep, class Period>
void sleep_for(std::chrono::duration<Rep, Period> d) {
  this_task::sleep_for(d);
}
// Blocks until virtual time `t` (weave::clock only: another clock would tie the schedule to real
// time).
template <class Duration>
void sleep_until(std::chrono::time_point<clock, Duration> t) {
  this_task::sleep_until(std::chrono::time_point_cast<clock::duration>(t));
}

}  // namespace this_thread
}  // namespace weave

template <>
struct std::hash<weave::thread::id> {
  std::size_t operator()(weave::thread::id value) const noexcept {
    return std::hash<weave::TaskId>()(value.task());
  }
};
