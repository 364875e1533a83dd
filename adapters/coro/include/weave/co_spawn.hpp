// weave/co_spawn.hpp: running a coroutine as a task of its own.
//
// weave::co_spawn starts `t` as a new task of the current simulation and returns its handle. The
// task runs concurrently with its spawner: the strategy interleaves them at every scheduling
// point. Await the handle from a coroutine (`co_await h`) or join it from a fiber or the body
// (`h.join()`); either gives the task's result or rethrows its exception. A handle that is never
// joined nor awaited, and an exception nobody retrieved, are reported when the run ends; say
// `h.detach()` to run a task unjoined on purpose.
//
//   weave::task_handle<int> h = weave::co_spawn("fetch", fetch(7));
//   int v = co_await h;      // in a coroutine
//   int w = h2.join();       // in the body or a fiber
#pragma once

#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "weave/detail/coroutine_task.hpp"
#include "weave/detail/execution_context.hpp"
#include "weave/detail/operation.hpp"
#include "weave/task.hpp"
#include "weave/task_backend.hpp"

namespace weave {

template <class T>
class [[nodiscard]] task_handle {
 public:
  task_handle() = default;
  task_handle(TaskId id, std::uint64_t run_serial) : id_(id), run_serial_(run_serial) {}
  task_handle(task_handle&& other) noexcept
      : id_(std::exchange(other.id_, kNoTask)), run_serial_(other.run_serial_) {}
  task_handle& operator=(task_handle&& other) noexcept {
    id_ = std::exchange(other.id_, kNoTask);
    run_serial_ = other.run_serial_;
    return *this;
  }
  task_handle(const task_handle&) = delete;
  task_handle& operator=(const task_handle&) = delete;

  // Blocks the calling fiber or body until the task has finished; returns its result or rethrows
  // its exception. Joining twice or an empty handle is misuse.
  T join(weave::source_location where = weave::source_location::current()) {
    Operation operation(TakeId(), run_serial_, where, nullptr);
    detail::Perform(operation);
    operation.RaiseIfEnded();
    return operation.Result();
  }
  // co_await h: suspends the calling coroutine until the task has finished. If the awaiting
  // task is cancelled first (task_cancelled), the handle stays joinable.
  auto operator co_await() & { return detail::Awaitable<Operation>(*this); }
  auto operator co_await() && { return detail::Awaitable<Operation>(*this); }

  // The task runs on unjoined; an exception that ends it is reported as uncaught.
  void detach() {
    if (id_ == kNoTask) return;
    if (detail::InSimulation() && detail::CurrentRunSerial() == run_serial_) {
      Backend(id_).Detach();
    }
    id_ = kNoTask;
  }
  // Asks the task to stop: its next co_await throws weave::task_cancelled.
  void cancel() {
    if (id_ != kNoTask && detail::CurrentRunSerial() == run_serial_) detail::CancelTask(id_);
  }
  // True until joined, awaited or detached.
  bool joinable() const { return id_ != kNoTask; }
  // Whether the task has finished (a scheduling-free peek).
  bool done() const {
    return id_ != kNoTask && detail::CurrentRunSerial() == run_serial_ && detail::TaskFinished(id_);
  }
  TaskId id() const { return id_; }

 private:
  static constexpr weave::source_location kAwait{};
  // Joining: the JoinOperation, then the task's result.
  class Operation final : public detail::JoinOperation {
   public:
    Operation(TaskId id, std::uint64_t run_serial, const weave::source_location& where,
              task_handle* awaited)
        : JoinOperation(id, run_serial, where), awaited_(awaited) {}
    // Awaiting `handle`: it is emptied once the join has happened.
    explicit Operation(task_handle& handle)
        : Operation(handle.id_, handle.run_serial_, kAwait, &handle) {}
    T Result() {
      if (awaited_ != nullptr && joined()) awaited_->id_ = kNoTask;
      if (!joined()) {
        if constexpr (std::is_void_v<T>) {
          return;
        } else {
          throw std::logic_error("weave::task_handle: the task was not joined (see the report)");
        }
      }
      return Backend(task()).TakeResult();
    }

   private:
    task_handle* awaited_;
  };
  static detail::CoroutineTask<T>& Backend(TaskId id) {
    return static_cast<detail::CoroutineTask<T>&>(detail::BackendOfTask(id));
  }
  TaskId TakeId() { return std::exchange(id_, kNoTask); }

  TaskId id_ = kNoTask;
  std::uint64_t run_serial_ = 0;
};

// Starts `t` as a new coroutine task named `name`. Spawning is a scheduling point: the new task
// may run before co_spawn returns. Throws std::logic_error outside a simulation.
template <class T>
task_handle<T> co_spawn(std::string_view name, task<T> t,
                        weave::source_location where = weave::source_location::current()) {
  if (!detail::InSimulation()) {
    throw std::logic_error(
        "weave::co_spawn called outside a simulation (inside weave::explore or a WEAVE_TEST "
        "body only)");
  }
  if (!t.valid()) throw std::invalid_argument("weave::co_spawn: empty task (moved from?)");
  detail::EnsureRootBackend();
  auto backend = std::make_unique<detail::CoroutineTask<T>>(std::move(t));
  detail::CoroutineTask<T>& task_backend = *backend;
  const TaskId id = detail::CreateTask(name, TaskKind::kCoroutine, std::move(backend), where);
  task_backend.set_id(id);
  detail::RequireJoin(id);
  task_handle<T> handle(id, detail::CurrentRunSerial());
  detail::SchedulingPoint(detail::Operation::kSpawn, nullptr);
  return handle;
}

}  // namespace weave
