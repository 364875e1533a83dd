// The fiber backend: one Boost.Context fcontext per task, switched directly task to task.
//
// We use Boost.Context's low-level jump_fcontext/make_fcontext rather than boost::context::fiber:
// that gives us pooled stacks with guard pages, a switch that carries "who jumped to me" in its
// data word (so no thread-local bookkeeping is needed), and AddressSanitizer fiber annotations,
// which Boost 1.74's fcontext fiber does not make.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>

#include "stack_pool.hpp"
#include <boost/context/detail/fcontext.hpp>

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

namespace weave::detail {
namespace {

namespace fctx = boost::context::detail;

class FiberBackend final : public TaskBackend {
 public:
  // The root: task 0, running on the thread's own stack.
  FiberBackend() = default;
  FiberBackend(absl::AnyInvocable<void()> fn, std::size_t stack_size)
      : fn_(std::move(fn)), stack_(StackPool::ForThisThread().Acquire(stack_size)) {
    context_ = fctx::make_fcontext(stack_.top(), stack_.size, &FiberBackend::Entry);
#ifdef WEAVE_ASAN_FIBERS
    asan_bottom_ = stack_.bottom;
    asan_size_ = stack_.size;
#endif
  }
  ~FiberBackend() override { ReleaseStack(); }
  FiberBackend(const FiberBackend&) = delete;
  FiberBackend& operator=(const FiberBackend&) = delete;

  void SwitchFrom(TaskBackend& from) override {
    auto& prev = static_cast<FiberBackend&>(from);
    prev.BeforeLeaving(*this, /*exiting=*/false);
    const fctx::transfer_t t = fctx::jump_fcontext(context_, &prev);
    // Resumed: `prev` runs again. t.data is the backend that jumped here.
    prev.AfterArriving(t);
  }

 private:
  // Entry point of a new fiber. Never returns: it jumps to the next task when done.
  static void Entry(fctx::transfer_t t) {
    auto& self = static_cast<FiberBackend&>(CurrentBackend());
    self.AfterArriving(t);
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
    auto& next = static_cast<FiberBackend&>(FinishCurrentTask());
    self.finished_ = true;
    self.BeforeLeaving(next, /*exiting=*/true);
    fctx::jump_fcontext(next.context_, &self);
    std::fputs("weave: internal error: a finished fiber was resumed\n", stderr);
    std::abort();
  }

  void BeforeLeaving(FiberBackend& next, bool exiting) {
#ifdef WEAVE_ASAN_FIBERS
    // A null save slot tells ASan this fiber is gone, so it frees the fiber's fake stack.
    __sanitizer_start_switch_fiber(exiting ? nullptr : &asan_fake_stack_, next.asan_bottom_,
                                   next.asan_size_);
#else
    (void)next;
    (void)exiting;
#endif
  }

  void AfterArriving(const fctx::transfer_t& t) {
    auto* source = static_cast<FiberBackend*>(t.data);
#ifdef WEAVE_ASAN_FIBERS
    const void* bottom = nullptr;
    std::size_t size = 0;
    __sanitizer_finish_switch_fiber(asan_fake_stack_, &bottom, &size);
    asan_fake_stack_ = nullptr;
    // This is how the root learns the bounds of the thread's own stack.
    source->asan_bottom_ = bottom;
    source->asan_size_ = size;
#endif
    source->context_ = t.fctx;
    // A finished task has left its stack for good: give it back now.
    if (source->finished_) source->ReleaseStack();
  }

  void ReleaseStack() {
    if (stack_) {
      StackPool::ForThisThread().Release(stack_);
      stack_ = {};
    }
  }

  fctx::fcontext_t context_ = nullptr;
  absl::AnyInvocable<void()> fn_;
  FiberStack stack_;
  bool finished_ = false;
#ifdef WEAVE_ASAN_FIBERS
  void* asan_fake_stack_ = nullptr;
  const void* asan_bottom_ = nullptr;
  std::size_t asan_size_ = 0;
#endif
};

}  // namespace
}  // namespace weave::detail

namespace weave {

[[nodiscard]] join_handle spawn(std::string_view name, absl::AnyInvocable<void()> fn) {
  if (!detail::InSimulation()) {
    throw std::logic_error(
        "weave::spawn called outside a simulation (inside weave::explore or "
        "a WEAVE_TEST body only)");
  }
  if (!fn) throw std::invalid_argument("weave::spawn: empty function");
  if (detail::RootBackend() == nullptr) {
    detail::InstallRootBackend(std::make_unique<detail::FiberBackend>());
  }
  const TaskId id = detail::CreateTask(
      name, TaskKind::kFiber,
      std::make_unique<detail::FiberBackend>(std::move(fn), detail::StackSize()));
  join_handle handle(id, detail::CurrentRunSerial());
  detail::SchedulingPoint(detail::Operation::kSpawn, nullptr);
  return handle;
}

}  // namespace weave
