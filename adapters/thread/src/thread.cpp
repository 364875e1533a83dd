// weave::thread: a task on an OS thread of its own, gated by the run's baton.
//
// Life of a thread task:
//  - The OS thread starts at once and parks on its carrier until the scheduler first picks it.
//  - It runs the user's function; at every scheduling point where the strategy picks a task of
//    another carrier it hands the baton over and parks (ContextBackend::SwitchFrom).
//  - When the function returns, the thread's thread_local variables are destroyed while it still
//    holds the baton (as on a real thread, before join() returns; their destructors may use
//    weave). The last of them, registered first, marks the task finished and hands the baton on.
//  - Abandoned at the end of a run (it outlived the body): it is told so and leaves its code with
//    siglongjmp, running no destructors of its frames, as a fiber's stack is dropped.
//  - Stalled (it blocks for real): the watchdog signals it; on its own thread the signal handler
//    records its stack, stops seeing the run and hands the baton to the body's thread, which
//    reports the stall and ends the run. The OS thread is detached and left to its fate.
#include "weave/thread.hpp"

#include <pthread.h>
#include <ucontext.h>

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "weave/detail/execution_context.hpp"
#include "weave/detail/os_carrier.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/task_backend.hpp"

namespace weave::detail {
namespace {

// The watchdog's signal. SIGURG is ignored by default and rarely used by programs (out-of-band
// socket data); a handler installed before ours is called for signals that are not ours.
constexpr int kInterruptSignal = SIGURG;
constexpr int kMaxFrames = 64;

// What a thread task's backend and its OS thread share. The OS thread may outlive the backend
// (abandoned after a stall), so both own it.
class ThreadShared final : public OsCarrier, public StallInterrupter {
 public:
  explicit ThreadShared(absl::AnyInvocable<void()> fn) : fn(std::move(fn)) {}

  void Interrupt(std::uint64_t progress) noexcept override {
    interrupt_progress.store(progress, std::memory_order_relaxed);
    pthread_kill(handle, kInterruptSignal);
  }
  void BeforeHandingOn() override { SetStallInterrupter(nullptr); }

  absl::AnyInvocable<void()> fn;
  pthread_t handle{};
  sigjmp_buf leave_point{};
  // Set by the OS thread while it holds the baton for the last time; read after the hand-over.
  bool finished = false;
  // The watchdog gave up on it (set in the signal handler, on the thread itself, before it
  // handed the baton to the body's thread).
  std::atomic<bool> stalled{false};
  std::atomic<std::uint64_t> interrupt_progress{0};
  // Filled by the signal handler of a stall; read after the hand-over.
  void* frames[kMaxFrames] = {};
  int frame_count = 0;
  // Where a stall hands the baton: the body's carrier and backend (set when it first runs).
  OsCarrier* main_carrier = nullptr;
  ContextBackend* root = nullptr;

 protected:
  void AfterTaking() override { SetStallInterrupter(this); }
  [[noreturn]] void LeaveAbandoned() override { siglongjmp(leave_point, 1); }
};

// The ThreadShared of the calling OS thread, if it carries a weave::thread (for the handler).
constinit thread_local ThreadShared* t_thread = nullptr;

// Registered first on the thread, so destroyed last, after every other thread_local: marks the
// task finished and hands the baton on. It owns a share of the state: by the time thread_locals
// are destroyed, std::thread has already dropped the copy its function held.
struct ExitHandOver {
  std::shared_ptr<ThreadShared> shared;
  bool armed = false;
  ~ExitHandOver() {
    if (!armed || shared->stalled.load(std::memory_order_relaxed)) return;
    shared->BeforeHandingOn();
    auto& next = static_cast<ContextBackend&>(FinishCurrentTask());
    OsCarrier& carrier = CarrierOf(next);
    Simulation* run = CurrentRun();
    shared->finished = true;
    t_thread = nullptr;
    LeaveRun();
    carrier.Hand(&next, run);
    // From here on nothing of the run may be touched: its state belongs to the next carrier.
  }
};

void ThreadMain(const std::shared_ptr<ThreadShared>& shared) {
  t_thread = shared.get();
  if (sigsetjmp(shared->leave_point, 0) != 0) {
    // Abandoned while parked: leave without touching the run.
    t_thread = nullptr;
    return;
  }
  static thread_local ExitHandOver exit_hand_over;
  exit_hand_over.shared = shared;
  shared->Park();  // until first picked (or abandoned: that jumps to leave_point)
  shared->main_carrier = &MainCarrier();
  shared->root = &static_cast<ContextBackend&>(*RootBackend());
  if (!Aborting()) {
    try {
      shared->fn();
    } catch (const RunAborted&) {
      // The run is being torn down; its failure is already recorded.
    } catch (...) {
      if (!shared->stalled.load(std::memory_order_relaxed)) {
        ReportUncaughtException(std::current_exception());
      }
    }
  }
  if (shared->stalled.load(std::memory_order_relaxed)) return;  // the run went on without it
  try {
    shared->fn = nullptr;  // destroy the captures on this thread, holding the baton
  } catch (const RunAborted&) {
  } catch (...) {
    ReportUncaughtException(std::current_exception());
  }
  exit_hand_over.armed = true;
}

// --- the watchdog's interrupt --------------------------------------------------------------------

struct sigaction g_previous_interrupt_action;
std::once_flag g_interrupt_installed;

void OnInterrupt(int signal, siginfo_t* info, void* context) {
  ThreadShared* self = t_thread;
  if (self == nullptr || CurrentRun() == nullptr) {
    // Not a thread task that holds a baton: the signal is somebody else's.
    const struct sigaction& previous = g_previous_interrupt_action;
    if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
      previous.sa_sigaction(signal, info, context);
    } else if (previous.sa_handler != SIG_IGN && previous.sa_handler != SIG_DFL &&
               previous.sa_handler != nullptr) {
      previous.sa_handler(signal);
    }
    return;
  }
  const int saved_errno = errno;
  // Still stalled at the very step the watchdog saw? (It may have reached a point since.) And
  // past its start, so that it knows where to hand the baton?
  if (self->main_carrier != nullptr &&
      WatchdogProgress() == self->interrupt_progress.load(std::memory_order_relaxed)) {
    int count = unw_backtrace(self->frames, kMaxFrames);
    // Drop the frames of this handler: keep from the interrupted instruction on.
    std::uintptr_t interrupted = 0;
#if defined(__x86_64__)
    interrupted =
        static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
    interrupted = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.pc);
#endif
    for (int i = 0; i < count; ++i) {
      if (reinterpret_cast<std::uintptr_t>(self->frames[i]) != interrupted) continue;
      for (int j = i; j < count; ++j) self->frames[j - i] = self->frames[j];
      count -= i;
      break;
    }
    self->frame_count = count < 0 ? 0 : count;
    self->stalled.store(true, std::memory_order_relaxed);
    SetStallInterrupter(nullptr);
    // MainCarrier() may not be callable here (it allocates on first use): use what the thread
    // noted when it first ran.
    OsCarrier* main_carrier = self->main_carrier;
    ContextBackend* root = self->root;
    Simulation* run = CurrentRun();
    t_thread = nullptr;
    LeaveRun();  // from now on this thread sees no simulation
    main_carrier->Hand(root, run, OsCarrier::Message::kTakeOver);
  }
  errno = saved_errno;
}

void InstallInterruptHandler() {
  std::call_once(g_interrupt_installed, [] {
    struct sigaction action {};
    action.sa_sigaction = &OnInterrupt;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(kInterruptSignal, &action, &g_previous_interrupt_action);
  });
}

class ThreadBackend final : public ContextBackend {
 public:
  explicit ThreadBackend(absl::AnyInvocable<void()> fn)
      : shared_(std::make_shared<ThreadShared>(std::move(fn))) {
    OwnThread(*shared_);
    InstallInterruptHandler();
    // Throws std::system_error when the system has no thread to give: before the task exists.
    os_thread_ = std::thread([shared = shared_] { ThreadMain(shared); });
    shared_->handle = os_thread_.native_handle();
  }
  ~ThreadBackend() override {
    if (!os_thread_.joinable()) return;
    if (shared_->stalled.load(std::memory_order_relaxed)) {
      os_thread_.detach();  // still blocked for real: it owns its share of the state
      return;
    }
    // Parked (never picked, or abandoned mid-run): tell it to leave.
    if (!shared_->finished) shared_->Hand(nullptr, nullptr, OsCarrier::Message::kAbandon);
    os_thread_.join();
  }
  ThreadBackend(const ThreadBackend&) = delete;
  ThreadBackend& operator=(const ThreadBackend&) = delete;

  ExecutionContext& RunningContext() override { return Misplaced(); }
  ExecutionContext& ContextToResume() override { return Misplaced(); }
  void AppendStack(std::vector<StackFrame>& frames) const override {
    // Known for a stalled thread: where it was blocked when the watchdog gave up on it.
    if (!shared_->stalled.load(std::memory_order_relaxed)) return;
    std::vector<StackFrame> native =
        SymbolizeNativeStack(shared_->frames, shared_->frame_count, /*first_is_exact=*/true);
    frames.insert(frames.end(), native.begin(), native.end());
  }
  std::thread::native_handle_type native_handle() { return os_thread_.native_handle(); }

 private:
  [[noreturn]] static ExecutionContext& Misplaced() {
    std::fputs("weave: internal error: a thread task was asked for a fiber context\n", stderr);
    std::abort();
  }

  std::shared_ptr<ThreadShared> shared_;
  std::thread os_thread_;
};

}  // namespace
}  // namespace weave::detail

namespace weave {

std::ostream& operator<<(std::ostream& out, thread::id value) {
  if (value.task() == kNoTask) return out << "thread::id of a non-executing thread";
  return out << value.task();
}

void thread::Start(std::string_view name, absl::AnyInvocable<void()> fn) {
  if (!detail::InSimulation()) {
    throw std::logic_error(
        "weave::thread started outside a simulation (inside weave::explore or a WEAVE_TEST body "
        "only; production code uses std::thread, e.g. through weave::std_sync)");
  }
  detail::EnsureRootBackend();
  const TaskId id = detail::CreateTask(name, TaskKind::kThread,
                                       std::make_unique<detail::ThreadBackend>(std::move(fn)));
  handle_ = join_handle(id, detail::CurrentRunSerial());
  detail::SchedulingPoint(detail::Operation::kSpawn, nullptr);
}

thread::~thread() {
  if (!joinable() || !detail::InSimulation() || detail::Aborting()) return;
  if (std::uncaught_exceptions() > 0) return;  // unwinding: the exception is the report
  detail::ReportFailure(FailureKind::kMisuse,
                        absl::StrCat("weave::thread of task ", handle_.id(),
                                     " destroyed while joinable (join or detach it first; "
                                     "std::thread would call std::terminate here)"),
                        "", {}, /*stop_now=*/false);
}

thread& thread::operator=(thread&& other) noexcept {
  if (this == &other) return *this;
  if (joinable() && detail::InSimulation() && !detail::Aborting()) {
    detail::ReportFailure(FailureKind::kMisuse,
                          absl::StrCat("weave::thread of task ", handle_.id(),
                                       " assigned to while joinable (join or detach it first; "
                                       "std::thread would call std::terminate here)"),
                          "", {}, /*stop_now=*/false);
  }
  handle_ = std::move(other.handle_);
  return *this;
}

thread::native_handle_type thread::native_handle() {
  if (!joinable() || !detail::InSimulation()) return {};
  return static_cast<detail::ThreadBackend&>(detail::BackendOfTask(handle_.id())).native_handle();
}

void thread::join(weave::source_location where) {
  if (!joinable()) {
    detail::ReportMisuse(
        "join() on a weave::thread that is not joinable (not started, already "
        "joined or detached; std::thread would throw std::system_error)",
        where);
    return;
  }
  handle_.join(where);
  handle_ = join_handle();
}

void thread::detach() {
  if (!joinable()) {
    detail::ReportMisuse(
        "detach() on a weave::thread that is not joinable (not started, already "
        "joined or detached; std::thread would throw std::system_error)",
        weave::source_location::current());
    return;
  }
  handle_.detach();
}

namespace this_thread {

void yield() { this_task::yield(); }

thread::id get_id() noexcept {
  if (!detail::InSimulation()) return {};
  return thread::id(detail::CurrentTask());
}

}  // namespace this_thread
}  // namespace weave
