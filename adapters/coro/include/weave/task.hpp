// weave/task.hpp: weave::task<T>, a lazy coroutine that weave can schedule and trace.
//
// Write async code under test as coroutines returning weave::task<T>. A task does nothing until
// it is awaited (co_await, inside another task), spawned as a task of its own (weave::co_spawn)
// or run from the body (weave::sync_wait). Exceptions propagate to the awaiter. Every co_await
// inside a weave::task records its source location, so a suspended task can print its logical
// stack (the chain of awaiting coroutines) in deadlock and failure reports.
//
//   weave::task<int> fetch(cache& c, int key) { auto g = co_await c.m.co_lock(); co_return 1; }
//   weave::task<> client(cache& c) { int v = co_await fetch(c, 7); weave::check(v == 1); }
//   WEAVE_TEST(Cache, Works) { cache c; weave::sync_wait(client(c)); }
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "weave/detail/source_location.hpp"
#include "weave/failure.hpp"

namespace weave {

template <class T = void>
class task;

namespace detail {

// What every weave::task frame records for async stack traces and for cleaning up.
// Invariant: while a frame awaits a child task, `awaiting` points to the child's frame and the
// child's `continuation` is this frame's handle.
class CoroutineFrame {
 public:
  // Frames come from the global allocator; the promise remembers the allocation so that a task
  // abandoned at the end of a run (its captures may dangle) can be freed without running its
  // destructors (see ReleaseAbandonedFrames).
  static void* operator new(std::size_t size);
  static void operator delete(void* memory) noexcept;

  CoroutineFrame() noexcept;
  CoroutineFrame(const CoroutineFrame&) = delete;
  CoroutineFrame& operator=(const CoroutineFrame&) = delete;

  // Called by the compiler on every co_await in a weave::task body: remembers where it is.
  template <class Awaitable>
  Awaitable&& await_transform(Awaitable&& awaitable,
                              weave::source_location where = weave::source_location::current()) {
    awaiting_at = where;
    return static_cast<Awaitable&&>(awaitable);
  }

  weave::source_location awaiting_at;    // the last co_await reached
  CoroutineFrame* awaiting = nullptr;    // the child task awaited now, if any
  std::coroutine_handle<> continuation;  // the frame that awaits this one (null: a root)
  std::exception_ptr error;              // what escaped the body
  void* memory = nullptr;                // the allocation that holds the frame

  // Appends this frame's chain, innermost first.
  void AppendStack(std::vector<StackFrame>& frames) const;
  // Frees the memory of `frame` and of every frame it awaits, without running destructors.
  static void ReleaseAbandoned(CoroutineFrame* frame);

 protected:
  ~CoroutineFrame() = default;
};

// Symmetric transfer at the end of a task: back to the awaiting frame, or to whoever resumed the
// root (the coroutine backend's driver, or sync_wait).
struct FinalAwaiter {
  bool await_ready() const noexcept { return false; }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) const noexcept {
    std::coroutine_handle<> next = h.promise().continuation;
    return next ? next : std::noop_coroutine();
  }
  void await_resume() const noexcept {}
};

template <class T>
class TaskPromise;

template <class T>
class TaskPromiseBase : public CoroutineFrame {
 public:
  task<T> get_return_object() noexcept;
  std::suspend_always initial_suspend() const noexcept { return {}; }
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T>
class TaskPromise final : public TaskPromiseBase<T> {
 public:
  template <class U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) {
    if constexpr (std::is_reference_v<T>) {
      value_ = std::addressof(value);
    } else {
      value_.emplace(std::forward<U>(value));
    }
  }
  // The result; rethrows what escaped the body. Call once, after the task completed.
  T TakeResult() {
    if (this->error) std::rethrow_exception(this->error);
    if constexpr (std::is_reference_v<T>) {
      return static_cast<T>(*value_);
    } else {
      return std::move(*value_);
    }
  }

 private:
  std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*, std::optional<T>>
      value_{};
};

template <>
class TaskPromise<void> final : public TaskPromiseBase<void> {
 public:
  void return_void() const noexcept {}
  void TakeResult() const {
    if (this->error) std::rethrow_exception(this->error);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::TaskPromise<T>;
  using value_type = T;

  task() noexcept = default;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  task(task&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  // Whether the task holds a coroutine (false once moved from).
  bool valid() const noexcept { return static_cast<bool>(handle_); }
  // Whether the coroutine ran to its end.
  bool done() const noexcept { return handle_ && handle_.done(); }

  // Awaiting a task runs it to completion on the awaiting task (no new task is created: use
  // weave::co_spawn for concurrency) and gives its result, or rethrows its exception.
  auto operator co_await() && noexcept { return Awaiter{handle_}; }

  // For adapters: the coroutine, and giving it up.
  std::coroutine_handle<promise_type> handle() const noexcept { return handle_; }
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(handle_, nullptr); }

 private:
  struct Awaiter {
    std::coroutine_handle<promise_type> child;
    detail::CoroutineFrame* parent_frame = nullptr;
    bool await_ready() const noexcept { return !child || child.done(); }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> parent) noexcept {
      child.promise().continuation = parent;
      if constexpr (std::is_base_of_v<detail::CoroutineFrame, Promise>) {
        parent_frame = &parent.promise();
        parent_frame->awaiting = &child.promise();
      }
      return child;
    }
    T await_resume() {
      if (!child) throw std::logic_error("weave::task: awaiting an empty task (moved from?)");
      if (parent_frame != nullptr) parent_frame->awaiting = nullptr;
      return child.promise().TakeResult();
    }
  };

  void reset() noexcept {
    if (handle_) handle_.destroy();
    handle_ = nullptr;
  }
  std::coroutine_handle<promise_type> handle_;
};

template <class T>
task<T> detail::TaskPromiseBase<T>::get_return_object() noexcept {
  return task<T>(
      std::coroutine_handle<TaskPromise<T>>::from_promise(static_cast<TaskPromise<T>&>(*this)));
}

}  // namespace weave
