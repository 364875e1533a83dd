// Execution contexts and the fiber backend: one Boost.Context fcontext per fiber, switched
// directly task to task.
//
// We use Boost.Context's low-level jump_fcontext/make_fcontext rather than boost::context::fiber:
// that gives us pooled stacks with guard pages, a switch that carries "who jumped to me" in its
// data word (so no thread-local bookkeeping is needed), and AddressSanitizer and ThreadSanitizer
// fiber annotations, which Boost 1.74's fcontext fiber does not make.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>

#include "stack_pool.hpp"
#include <boost/context/detail/fcontext.hpp>

#include "weave/detail/execution_context.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/spawn.hpp"
#include "weave/task_backend.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define WEAVE_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEAVE_ASAN_FIBERS 1
#endif
#endif
#ifdef WEAVE_ASAN_FIBERS
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__SANITIZE_THREAD__)
#define WEAVE_TSAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEAVE_TSAN_FIBERS 1
#endif
#endif
#ifdef WEAVE_TSAN_FIBERS
#include <sanitizer/tsan_interface.h>
#endif

namespace weave::detail {

namespace fctx = boost::context::detail;

struct ExecutionContextAccess {
  // Entry point of a new fiber: t.data is the context that jumped here.
  static void Start(fctx::transfer_t t) {
    auto* self = static_cast<ExecutionContext*>(CurrentStarting());
    self->AfterArriving(t.fctx, t.data);
    self->entry_(self->argument_);
    std::fputs("weave: internal error: a fiber's entry function returned\n", stderr);
    std::abort();
  }
  // The context being started. make_fcontext passes no argument to the entry, so the context
  // about to start is handed over here, set just before the first jump to it.
  static ExecutionContext*& CurrentStarting() {
    static thread_local ExecutionContext* starting = nullptr;
    return starting;
  }
};

ExecutionContext::ExecutionContext(std::size_t stack_size, Entry entry, void* argument)
    : entry_(entry), argument_(argument) {
  const FiberStack stack = StackPool::ForThisThread().Acquire(stack_size);
  stack_mapping_ = stack.mapping;
  stack_mapping_size_ = stack.mapping_size;
  stack_bottom_ = stack.bottom;
  stack_size_ = stack.size;
  context_ = fctx::make_fcontext(stack.top(), stack.size, &ExecutionContextAccess::Start);
  asan_bottom_ = stack.bottom;
  asan_size_ = stack.size;
#ifdef WEAVE_TSAN_FIBERS
  // TSan's fiber belongs to this context, not to the pooled stack: a reused stack gets a new one.
  tsan_fiber_ = __tsan_create_fiber(0);
#endif
}

ExecutionContext::~ExecutionContext() { ReleaseStack(); }

void ExecutionContext::PrepareThread() { StackPool::ForThisThread(); }

void ExecutionContext::ReleaseStack() {
#ifdef WEAVE_TSAN_FIBERS
  // Only a fiber's own TSan fiber is destroyed (the thread's is only borrowed), and never while it
  // runs: an exited fiber is released by the context it switched to.
  if (entry_ != nullptr && tsan_fiber_ != nullptr) {
    __tsan_destroy_fiber(tsan_fiber_);
    tsan_fiber_ = nullptr;
  }
#endif
  if (stack_mapping_ == nullptr) return;
  FiberStack stack;
  stack.mapping = stack_mapping_;
  stack.mapping_size = stack_mapping_size_;
  stack.bottom = stack_bottom_;
  stack.size = stack_size_;
  StackPool::ForThisThread().Release(stack);
  stack_mapping_ = nullptr;
  context_ = nullptr;
}

void ExecutionContext::SwitchTo(ExecutionContext& to) {
  BeforeLeaving(to, /*exiting=*/false);
  if (to.entry_ != nullptr && !to.started_) {
    to.started_ = true;
    ExecutionContextAccess::CurrentStarting() = &to;
  }
  void* target = to.context_;
  to.context_ = nullptr;  // it runs now
#ifdef WEAVE_TSAN_FIBERS
  __tsan_switch_to_fiber(to.tsan_fiber_, 0);  // 0: the switch orders everything before it
#endif
  const fctx::transfer_t t = fctx::jump_fcontext(target, this);
  // Resumed: t.data is the context that jumped here.
  AfterArriving(t.fctx, t.data);
}

void ExecutionContext::ExitTo(ExecutionContext& to) {
  exited_ = true;
  BeforeLeaving(to, /*exiting=*/true);
  if (to.entry_ != nullptr && !to.started_) {
    to.started_ = true;
    ExecutionContextAccess::CurrentStarting() = &to;
  }
  void* target = to.context_;
  to.context_ = nullptr;
#ifdef WEAVE_TSAN_FIBERS
  __tsan_switch_to_fiber(to.tsan_fiber_, 0);
#endif
  fctx::jump_fcontext(target, this);
  std::fputs("weave: internal error: an exited fiber was resumed\n", stderr);
  std::abort();
}

void ExecutionContext::BeforeLeaving(ExecutionContext& to, bool exiting) {
#ifdef WEAVE_TSAN_FIBERS
  // The thread's own context learns its TSan fiber before it first switches away.
  if (tsan_fiber_ == nullptr) tsan_fiber_ = __tsan_get_current_fiber();
#endif
#ifdef WEAVE_ASAN_FIBERS
  // A null save slot tells ASan this fiber is gone, so it frees the fiber's fake stack.
  __sanitizer_start_switch_fiber(exiting ? nullptr : &asan_fake_stack_, to.asan_bottom_,
                                 to.asan_size_);
#else
  (void)to;
  (void)exiting;
#endif
}

void ExecutionContext::AfterArriving(void* source_context, void* source_pointer) {
  auto* source = static_cast<ExecutionContext*>(source_pointer);
#ifdef WEAVE_ASAN_FIBERS
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(asan_fake_stack_, &bottom, &size);
  asan_fake_stack_ = nullptr;
  // This is how the thread's own context learns the bounds of its stack.
  source->asan_bottom_ = bottom;
  source->asan_size_ = size;
#endif
  if (source->exited_) {
    // It left its stack for good: give the stack (and its TSan fiber) back now.
    source->ReleaseStack();
  } else {
    source->context_ = source_context;
  }
}

void ContextBackend::SwitchFrom(TaskBackend& from) {
  // Every backend of a simulation is a ContextBackend (fibers, coroutine tasks, threads, the root).
  auto& source = static_cast<ContextBackend&>(from);
  if (own_thread_ != nullptr || source.own_thread_ != nullptr) [[unlikely]] {
    // One of the two runs on an OS thread of its own: hand the baton across.
    ContextBackend& next = HandOverAndPark(CarrierOf(source), *this);
    // Back with the baton. On the main carrier the task to run may be another one of its tasks.
    if (&next != &source) next.SwitchFrom(source);
    return;
  }
  ExecutionContext& target = own_context_ != nullptr ? *own_context_ : ContextToResume();
  (source.own_context_ != nullptr ? *source.own_context_ : source.RunningContext())
      .SwitchTo(target);
}

ContextBackend& HandOverAndPark(OsCarrier& here, ContextBackend& target) {
  OsCarrier& there = CarrierOf(target);
  if (&there == &here) {
    std::fputs("weave: internal error: a hand-over to the carrier that holds the baton\n", stderr);
    std::abort();
  }
  here.BeforeHandingOn();
  there.Hand(&target, CurrentRun());
  const OsCarrier::Delivery delivery = here.Park();
  if (delivery.message == OsCarrier::Message::kTakeOver) {
    // A thread task stalled outside weave and gave the baton up: the body tears the run down.
    return static_cast<ContextBackend&>(TakeOverFromStalledTask());
  }
  if (delivery.task == nullptr) {
    std::fputs("weave: internal error: a carrier was handed the baton without a task\n", stderr);
    std::abort();
  }
  return *delivery.task;
}

namespace {

class ThreadStackBackend final : public ContextBackend {
 public:
  ThreadStackBackend() { OwnContext(context_); }
  ExecutionContext& RunningContext() override { return context_; }
  ExecutionContext& ContextToResume() override { return context_; }
  OsCarrier& carrier() { return carrier_; }

 private:
  ExecutionContext context_;
  OsCarrier carrier_;  // the thread that runs the body: parked while a weave::thread runs
};

class FiberBackend final : public ContextBackend {
 public:
  FiberBackend(absl::AnyInvocable<void()> fn, std::size_t stack_size)
      : fn_(std::move(fn)), context_(stack_size, &FiberBackend::Run, this) {
    OwnContext(context_);
  }

  ExecutionContext& RunningContext() override { return context_; }
  ExecutionContext& ContextToResume() override { return context_; }

 private:
  static void Run(void* argument) {
    auto& self = *static_cast<FiberBackend*>(argument);
    if (!Aborting()) {
      try {
        self.fn_();
      } catch (const RunAborted&) {
        // The run is being torn down; its failure is already recorded.
      } catch (...) {
        ReportUncaughtException(std::current_exception());
      }
    }
    try {
      self.fn_ = nullptr;  // destroy the captures on this task's stack
    } catch (const RunAborted&) {
    } catch (...) {
      ReportUncaughtException(std::current_exception());
    }
    auto* next = &static_cast<ContextBackend&>(FinishCurrentTask());
    // The next task may run on an OS thread of its own: wait here, on the finished stack, for
    // the baton to come back, then leave for good.
    if (next->own_thread() != nullptr) next = &HandOverAndPark(MainCarrier(), *next);
    self.context_.ExitTo(next->ContextToResume());
  }

  absl::AnyInvocable<void()> fn_;
  ExecutionContext context_;
};

}  // namespace

ContextBackend& EnsureRootBackend() {
  if (TaskBackend* root = RootBackend()) return static_cast<ContextBackend&>(*root);
  auto root = std::make_unique<ThreadStackBackend>();
  ContextBackend& result = *root;
  InstallRootBackend(std::move(root));
  return result;
}

OsCarrier& MainCarrier() { return static_cast<ThreadStackBackend&>(EnsureRootBackend()).carrier(); }

}  // namespace weave::detail

namespace weave {

[[nodiscard]] join_handle spawn(std::string_view name, absl::AnyInvocable<void()> fn) {
  if (!detail::InSimulation()) {
    throw std::logic_error(
        "weave::spawn called outside a simulation (inside weave::explore or "
        "a WEAVE_TEST body only)");
  }
  if (!fn) throw std::invalid_argument("weave::spawn: empty function");
  detail::EnsureRootBackend();
  const TaskId id = detail::CreateTask(
      name, TaskKind::kFiber,
      std::make_unique<detail::FiberBackend>(std::move(fn), detail::StackSize()));
  join_handle handle(id, detail::CurrentRunSerial());
  detail::SchedulingPoint(detail::Operation::kSpawn, nullptr);
  return handle;
}

}  // namespace weave
