// weave/detail/execution_context.hpp: stacks that task code runs on, and switching between them.
//
// Internal, for adapters. An ExecutionContext is either the thread's own stack or a fiber: a
// pooled stack with a guard page (Boost.Context underneath). A ContextBackend is a task backend
// whose code runs on such contexts: fibers own one; coroutine tasks borrow a carrier fiber while
// they run (adapters/coro). Switching from any such task to any other is one context jump.
//
//   ExecutionContext fiber(stack_size, &Entry, this);   // Entry(this) runs on the new stack
//   current.SwitchTo(fiber);                             // returns when switched back
#pragma once

#include <cstddef>

#include "weave/detail/os_carrier.hpp"
#include "weave/task_backend.hpp"

namespace weave::detail {

class ExecutionContext {
 public:
  using Entry = void (*)(void* argument);

  // The thread's own stack. Its bounds (for AddressSanitizer) and its ThreadSanitizer fiber are
  // learnt on the first switch.
  ExecutionContext() = default;
  // A fiber with at least `stack_size` usable bytes; `entry(argument)` runs on it when it is
  // first switched to. `entry` must never return: it ends with ExitTo.
  ExecutionContext(std::size_t stack_size, Entry entry, void* argument);
  ~ExecutionContext();
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  // Called on the running context *this: suspends it and resumes `to`. Returns when another
  // context switches back to *this.
  void SwitchTo(ExecutionContext& to);
  // Leaves the running fiber *this for good and resumes `to`; the stack returns to the pool
  // once `to` runs.
  [[noreturn]] void ExitTo(ExecutionContext& to);
  // Makes sure the thread's stack pool outlives thread_local objects created after this call
  // that own contexts.
  static void PrepareThread();

 private:
  friend struct ExecutionContextAccess;  // the jump entry point, in the .cpp
  void BeforeLeaving(ExecutionContext& to, bool exiting);
  void AfterArriving(void* source_context, void* source);
  void ReleaseStack();

  void* context_ = nullptr;  // boost fcontext_t: where *this resumes (null while it runs)
  Entry entry_ = nullptr;
  void* argument_ = nullptr;
  void* stack_mapping_ = nullptr;  // a FiberStack, flattened to keep Boost out of this header
  std::size_t stack_mapping_size_ = 0;
  void* stack_bottom_ = nullptr;
  std::size_t stack_size_ = 0;
  bool started_ = false;
  bool exited_ = false;
  // AddressSanitizer's view of the stack (set for fibers; learnt for the thread's own stack).
  [[maybe_unused]] void* asan_fake_stack_ = nullptr;
  const void* asan_bottom_ = nullptr;
  std::size_t asan_size_ = 0;
  // ThreadSanitizer's fiber: created with a fiber context and destroyed with it (never while it
  // runs); for the thread's own stack, the thread's TSan fiber, learnt on the first switch away.
  [[maybe_unused]] void* tsan_fiber_ = nullptr;
};

// A task backend whose code runs on ExecutionContexts, or on an OS thread of its own (a
// weave::thread: its own OsCarrier). Switching between two tasks of one carrier is a context
// jump; switching to a task of another carrier hands that carrier the baton and parks.
class ContextBackend : public TaskBackend {
 public:
  void SwitchFrom(TaskBackend& from) final;
  // The context the task's code runs on now. Valid while it runs, and while it is suspended in
  // the middle of its code (a fiber always; a coroutine task at a scheduling point outside a
  // co_await).
  virtual ExecutionContext& RunningContext() = 0;
  // The context to switch to in order to run the task (a coroutine task takes a carrier here).
  virtual ExecutionContext& ContextToResume() = 0;
  // Whether the task borrows carriers (a coroutine task) rather than owning its context. Not
  // virtual: it is asked at every step.
  bool RunsOnCarrier() const { return runs_on_carrier_; }
  // The OS thread of its own that the task runs on, or null when it runs on the thread that runs
  // the body (fibers, coroutine tasks, the body itself).
  OsCarrier* own_thread() const { return own_thread_; }

 protected:
  explicit ContextBackend(bool runs_on_carrier = false) : runs_on_carrier_(runs_on_carrier) {}
  // For backends that own their context (fibers, the body): spares SwitchFrom two virtual calls
  // at every switch.
  void OwnContext(ExecutionContext& context) { own_context_ = &context; }
  // For backends whose task runs on an OS thread of its own, parked on `carrier` when not running.
  void OwnThread(OsCarrier& carrier) { own_thread_ = &carrier; }

 private:
  bool runs_on_carrier_;
  ExecutionContext* own_context_ = nullptr;
  OsCarrier* own_thread_ = nullptr;
};

// The backend of task 0 (the body, on the thread's own stack), installed on first need.
ContextBackend& EnsureRootBackend();
// The carrier of the thread that runs the body, every fiber and every coroutine task of the
// current run.
OsCarrier& MainCarrier();
// The carrier that runs `task`.
inline OsCarrier& CarrierOf(ContextBackend& task) {
  return task.own_thread() != nullptr ? *task.own_thread() : MainCarrier();
}
// Called on carrier `here`, which holds the baton, when the next task `target` runs on another
// carrier: hands that carrier the baton and parks, on whatever stack `here` is running (a task's,
// a finished fiber's, an idle coroutine carrier's). Returns the task `here` must run next once it
// gets the baton back: on a thread's carrier, its own task; on the main carrier, any of its tasks
// (the caller switches to it from where it parked).
ContextBackend& HandOverAndPark(OsCarrier& here, ContextBackend& target);

}  // namespace weave::detail
