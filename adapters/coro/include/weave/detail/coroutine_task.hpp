// weave/detail/coroutine_task.hpp: how a coroutine runs as a weave task.
//
// Internal. A coroutine task has no stack of its own. When the scheduler picks it, it borrows a
// carrier (a pooled fiber) and resumes its coroutine there. At a co_await on a weave awaitable it
// suspends, and the carrier either goes on with the next task if that is a coroutine task too (no
// stack switch at all) or returns to the pool and jumps to the next task. So 100,000 suspended
// coroutine tasks hold no stacks. A scheduling point in synchronous code between two awaits (a
// weave::shared access, an unlock) switches tasks like a fiber does, with the carrier held until
// the task runs again: code between awaits does interleave, as on a multi-threaded executor.
//
//   auto backend = std::make_unique<CoroutineTask<int>>(std::move(t));
//   TaskId id = CreateTask("t", TaskKind::kCoroutine, std::move(backend), where);
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "weave/detail/execution_context.hpp"
#include "weave/detail/operation.hpp"
#include "weave/task.hpp"
#include "weave/task_backend.hpp"

namespace weave::detail {

class Carrier;

class CoroutineTaskBackend : public ContextBackend {
 public:
  CoroutineTaskBackend(std::coroutine_handle<> root, CoroutineFrame& frame) noexcept
      : ContextBackend(/*runs_on_carrier=*/true), root_(root), frame_(&frame) {}
  ~CoroutineTaskBackend() override;
  CoroutineTaskBackend(const CoroutineTaskBackend&) = delete;
  CoroutineTaskBackend& operator=(const CoroutineTaskBackend&) = delete;

  ExecutionContext& RunningContext() override;
  ExecutionContext& ContextToResume() override;
  bool Await(std::coroutine_handle<> coroutine, BlockingOperation& operation) override;
  void AppendStack(std::vector<StackFrame>& frames) const override;

  // Set once the task's id is known (after CreateTask).
  void set_id(TaskId id) { id_ = id; }
  // Nobody will join: an exception that ends the task is reported at once.
  void Detach();
  bool finished() const { return phase_ == Phase::kFinished; }

 protected:
  // The root coroutine has completed (or, in a stopped run, never started): keep its value and
  // destroy its frame. An exception that escaped it goes to error_ (see Finish).
  virtual void KeepOutcome() = 0;
  // Forgets the frame after KeepOutcome destroyed it.
  void FrameDestroyed() noexcept {
    root_ = nullptr;
    frame_ = nullptr;
  }
  // For the destructor of a task whose frame still exists: if the task had started, frees the
  // memory of its frames without running destructors (what they refer to may be gone) and
  // returns true; a task that never started returns false and its frame is destroyed normally.
  bool ReleaseIfAbandoned() noexcept;
  // The exception the task ended with, for its joiner; marks it retrieved.
  void RethrowError();

  std::exception_ptr error_;

 private:
  friend class Carrier;
  enum class Phase : std::uint8_t { kStart, kRunning, kAtPoint, kWaiting, kFinished };

  // Runs the task on the current carrier until it suspends (phase kAtPoint or kWaiting) or
  // finishes (kFinished). `just_picked`: the scheduler has just picked it (the run is not
  // stopping), so an operation that completes at once needs no attempt.
  void RunUntilSuspended(bool just_picked);
  // Attempts the pending operation; true when it is over (resume the coroutine), false when
  // the task now waits.
  bool RunAttempts();
  void Finish();

  std::coroutine_handle<> root_;
  CoroutineFrame* frame_;
  std::coroutine_handle<> resume_;        // the coroutine to resume next
  BlockingOperation* pending_ = nullptr;  // the weave awaitable it is suspended at
  Phase phase_ = Phase::kStart;
  Carrier* carrier_ = nullptr;  // the carrier it runs on, or is suspended on mid-code
  TaskId id_ = kNoTask;
  bool detached_ = false;
};

// A coroutine task producing T; its handle (weave::task_handle<T>) takes the result.
template <class T>
class CoroutineTask final : public CoroutineTaskBackend {
 public:
  explicit CoroutineTask(task<T> t)
      : CoroutineTaskBackend(t.handle(), t.handle().promise()), task_(std::move(t)) {}
  ~CoroutineTask() override {
    // Abandoned at the end of a run after it started: free its frames without destructors.
    if (task_.valid() && ReleaseIfAbandoned()) (void)task_.release();
  }
  CoroutineTask(const CoroutineTask&) = delete;
  CoroutineTask& operator=(const CoroutineTask&) = delete;

  // After the task finished: its value, or its exception rethrown. A task torn down with its run
  // (a join in a stopped run completes once the task was unwound) has no value to give: the
  // joiner is unwound too.
  T TakeResult() {
    RethrowError();
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (std::is_reference_v<T>) {
      if (value_ == nullptr) throw RunAborted{};
      return static_cast<T>(*value_);
    } else {
      if (!value_.has_value()) throw RunAborted{};
      return std::move(*value_);
    }
  }

 private:
  void KeepOutcome() override {
    auto& promise = task_.handle().promise();
    if (promise.error) {
      error_ = promise.error;
    } else if (task_.done()) {
      if constexpr (std::is_void_v<T>) {
        // nothing to keep
      } else if constexpr (std::is_reference_v<T>) {
        value_ = std::addressof(promise.TakeResult());
      } else {
        value_.emplace(promise.TakeResult());
      }
    }
    task_ = task<T>();  // destroys the frame
    FrameDestroyed();
  }

  task<T> task_;
  using Stored = std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*,
                                    std::optional<std::conditional_t<std::is_void_v<T>, bool, T>>>;
  Stored value_{};
};

// How many carriers of this thread are idle in its pool (for tests and benchmarks).
std::size_t IdleCarriers();

}  // namespace weave::detail
