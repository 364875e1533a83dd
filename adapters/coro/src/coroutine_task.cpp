// Coroutine tasks on carriers: the driver loop that resumes coroutines, runs the attempts of the
// operations they await, and hands carriers from task to task.
#include "weave/detail/coroutine_task.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

#include "weave/detail/runtime.hpp"

namespace weave::detail {

// A pooled fiber that runs coroutine tasks. It belongs to at most one task at a time: the task
// running on it, or the task suspended on it in the middle of synchronous code.
class Carrier {
 public:
  explicit Carrier(std::size_t stack_size)
      : context_(stack_size, &Carrier::Run, this), stack_size_(stack_size) {}
  ExecutionContext& context() { return context_; }
  std::size_t stack_size() const { return stack_size_; }
  CoroutineTaskBackend* task = nullptr;

 private:
  [[noreturn]] static void Run(void* argument);
  ExecutionContext context_;
  std::size_t stack_size_ = 0;
};

namespace {

// The calling thread's carriers. Idle carriers wait at the top of their loop for a task.
class CarrierPool {
 public:
  static CarrierPool& ForThisThread() {
    ExecutionContext::PrepareThread();  // the stack pool must outlive the carriers
    static thread_local CarrierPool pool;
    return pool;
  }
  Carrier& Take(std::size_t stack_size) {
    while (!idle_.empty()) {
      Carrier* c = idle_.back();
      idle_.pop_back();
      if (c->stack_size() >= stack_size) return *c;
      Discard(*c);  // smaller than this run asks for
    }
    all_.push_back(std::make_unique<Carrier>(stack_size));
    return *all_.back();
  }
  void Park(Carrier& c) { idle_.push_back(&c); }
  // A carrier whose stack holds frames of an abandoned task can never run again.
  void Discard(Carrier& c) {
    for (auto it = all_.begin(); it != all_.end(); ++it) {
      if (it->get() == &c) {
        all_.erase(it);
        return;
      }
    }
  }
  std::size_t idle() const { return idle_.size(); }

 private:
  std::vector<std::unique_ptr<Carrier>> all_;
  std::vector<Carrier*> idle_;
};

// A function name as reports show it: "LockBoth" for GCC's "weave::task<void>
// {anonymous}::LockBoth(weave::mutex&)" or "void LockBoth(LockBoth()::_Z...Frame*)", and for
// clang's "LockBoth". Namespaces and classes stay; return type, parameters and anonymous
// namespaces go.
std::string CoroutineName(const char* function) {
  std::string name = function != nullptr ? function : "";
  for (const std::string_view suffix : {" const", " noexcept"}) {
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      name.resize(name.size() - suffix.size());
    }
  }
  if (!name.empty() && name.back() == ')') {  // cut the parameter list
    int depth = 0;
    for (std::size_t i = name.size(); i-- > 0;) {
      if (name[i] == ')') ++depth;
      if (name[i] == '(' && --depth == 0) {
        name.resize(i);
        break;
      }
    }
  }
  int depth = 0;  // drop the return type: up to the last space outside <> and ()
  std::size_t cut = std::string::npos;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '<' || c == '(') ++depth;
    if (c == '>' || c == ')') --depth;
    if (c == ' ' && depth == 0) cut = i;
  }
  if (cut != std::string::npos) name.erase(0, cut + 1);
  for (const std::string_view anonymous : {"{anonymous}::", "(anonymous namespace)::"}) {
    for (std::size_t at = name.find(anonymous); at != std::string::npos;
         at = name.find(anonymous)) {
      name.erase(at, anonymous.size());
    }
  }
  return name;
}

[[noreturn]] void InternalError(const char* what) {
  std::fprintf(stderr, "weave: internal error: %s\n", what);
  std::abort();
}

}  // namespace

std::size_t IdleCarriers() { return CarrierPool::ForThisThread().idle(); }

void Carrier::Run(void* argument) {
  Carrier& self = *static_cast<Carrier*>(argument);
  bool just_picked = false;  // switched to: the run may be stopping (unwinding this task)
  for (;;) {
    CoroutineTaskBackend* current = self.task;
    if (current == nullptr) InternalError("a carrier was resumed without a task");
    current->RunUntilSuspended(just_picked);
    just_picked = false;
    // The task suspended or finished: who runs next?
    ContextBackend* next = nullptr;
    if (current->finished()) {
      next = &static_cast<ContextBackend&>(FinishCurrentTask());
    } else {
      const bool note = current->phase_ == CoroutineTaskBackend::Phase::kAtPoint;
      TaskBackend* picked = ScheduleNext(note, note ? current->pending_->op() : Operation::kStart,
                                         note ? current->pending_->object() : nullptr);
      // Stopping (it unwinds next), or itself again: go on with the same task.
      if (picked == nullptr) continue;
      if (picked == current) {
        just_picked = true;
        continue;
      }
      next = static_cast<ContextBackend*>(picked);
    }
    current->carrier_ = nullptr;
    // A task on an OS thread of its own (weave::thread): this carrier waits, task-less, for the
    // baton to come back and then goes on with whichever task it is handed.
    if (next->own_thread() != nullptr) next = &HandOverAndPark(MainCarrier(), *next);
    if (next->RunsOnCarrier()) {
      auto& co = static_cast<CoroutineTaskBackend&>(*next);
      if (co.carrier_ == nullptr) {
        // The next task is a coroutine at an await: it goes on here, without a stack switch.
        co.carrier_ = &self;
        self.task = &co;
        just_picked = true;
        continue;
      }
    }
    self.task = nullptr;
    CarrierPool::ForThisThread().Park(self);
    self.context_.SwitchTo(next->ContextToResume());
    // Taken from the pool again: ContextToResume of our new task set self.task.
  }
}

CoroutineTaskBackend::~CoroutineTaskBackend() {
  if (carrier_ != nullptr) {
    // Abandoned while suspended in synchronous code: its frames are on the carrier's stack.
    CarrierPool::ForThisThread().Discard(*carrier_);
    carrier_ = nullptr;
  }
}

bool CoroutineTaskBackend::ReleaseIfAbandoned() noexcept {
  // A task that never started has only copies of its arguments in its frame: destroying it
  // normally is safe. One that started and was abandoned at the end of a run may refer to the
  // body's locals, now gone: free the memory of its chain of awaiting frames instead.
  if (frame_ == nullptr || phase_ == Phase::kStart) return false;
  CoroutineFrame::ReleaseAbandoned(frame_);
  FrameDestroyed();
  return true;
}

ExecutionContext& CoroutineTaskBackend::RunningContext() {
  if (carrier_ == nullptr) InternalError("a coroutine task runs without a carrier");
  return carrier_->context();
}

ExecutionContext& CoroutineTaskBackend::ContextToResume() {
  if (carrier_ == nullptr) {
    carrier_ = &CarrierPool::ForThisThread().Take(StackSize());
    carrier_->task = this;
  }
  return carrier_->context();
}

bool CoroutineTaskBackend::Await(std::coroutine_handle<> coroutine, BlockingOperation& operation) {
  if (phase_ != Phase::kRunning) InternalError("a coroutine task awaited while not running");
  if (CancelRequested()) {
    operation.EndBeforeStart(WakeReason::kCancelled);
    return false;  // await_resume throws task_cancelled
  }
  resume_ = coroutine;
  pending_ = &operation;
  if (operation.where().line() == 0 && frame_ != nullptr) {
    // The innermost weave::task frame knows where its co_await is.
    const CoroutineFrame* innermost = frame_;
    while (innermost->awaiting != nullptr) innermost = innermost->awaiting;
    operation.SetWhereIfUnknown(innermost->awaiting_at);
  }
  return true;
}

void CoroutineTaskBackend::Detach() {
  detached_ = true;
  MarkJoined(id_);
  if (phase_ == Phase::kFinished && error_) {
    // It ended with an exception that now nobody will see.
    MarkErrorRetrieved(id_);
    ReportFailure(
        FailureKind::kUncaughtException,
        absl::StrCat(DescribeException(error_), " (in task ", id_, ", which was then detached)"),
        "", {}, /*stop_now=*/false);
  }
}

void CoroutineTaskBackend::RethrowError() {
  if (!error_) return;
  MarkErrorRetrieved(id_);
  std::rethrow_exception(error_);
}

void CoroutineTaskBackend::AppendStack(std::vector<StackFrame>& frames) const {
  if (frame_ != nullptr && phase_ != Phase::kStart && phase_ != Phase::kFinished) {
    frame_->AppendStack(frames);
  }
}

bool CoroutineTaskBackend::RunAttempts() {
  BlockingOperation& op = *pending_;
  try {
    for (;;) {
      if (Aborting()) {
        op.OnWaitEnded(WakeReason::kAborted);
        return true;
      }
      if (op.Attempt() == BlockingOperation::Outcome::kDone) return true;
      if (op.wait_queue() != nullptr && !op.enqueued()) Enqueue(*op.wait_queue());
      WakeReason early = WakeReason::kNotified;
      if (BeginWait(op.wait_op(), op.wait_object(), op.deadline(), op.where(), op.waits_for_task(),
                    &early)) {
        phase_ = Phase::kWaiting;
        return false;
      }
      if (early != WakeReason::kNotified && op.OnWaitEnded(early)) return true;
    }
  } catch (...) {
    // Raised on the carrier (a misuse report, the run stopping inside Attempt): the coroutine
    // gets it at its co_await.
    op.SetError(std::current_exception());
    return true;
  }
}

void CoroutineTaskBackend::RunUntilSuspended(bool just_picked) {
  for (;;) {
    switch (phase_) {
      case Phase::kStart:
        if (Aborting()) {  // stopped before it ever ran
          Finish();
          return;
        }
        resume_ = root_;
        break;
      case Phase::kAtPoint:
        // Picked after the scheduling point of its await: now attempt the operation.
        if (just_picked && pending_->completes_at_once()) break;
        if (!RunAttempts()) return;
        break;
      case Phase::kWaiting: {
        const WakeReason reason = EndWait();
        if (reason == WakeReason::kNotified || !pending_->OnWaitEnded(reason)) {
          if (!RunAttempts()) return;
        }
        break;
      }
      case Phase::kRunning:
      case Phase::kFinished:
        InternalError("a coroutine task was resumed in the wrong phase");
    }
    just_picked = false;  // only the first operation was picked just now
    // Resume the coroutine until it suspends again.
    phase_ = Phase::kRunning;
    pending_ = nullptr;
    std::coroutine_handle<> h = std::exchange(resume_, nullptr);
    h.resume();
    if (root_.done()) {
      Finish();
      return;
    }
    if (pending_ == nullptr) {
      // It suspended on something weave does not schedule: nothing will ever resume it.
      const weave::source_location where =
          frame_ != nullptr ? frame_->awaiting_at : weave::source_location{};
      ReportFailure(FailureKind::kMisuse,
                    "a coroutine task suspended at a co_await that is not a weave awaitable; "
                    "weave cannot tell when it may resume (await weave primitives, tasks and "
                    "handles only)",
                    "", ToPosition(where), /*stop_now=*/false);
      Finish();
      return;
    }
    if (pending_->starts_with_point()) {
      phase_ = Phase::kAtPoint;
      return;  // the carrier notes the point and picks who runs next
    }
    // Its first wait is its scheduling point (a sleep): attempt at once.
    phase_ = Phase::kAtPoint;
  }
}

void CoroutineTaskBackend::Finish() {
  phase_ = Phase::kFinished;
  pending_ = nullptr;
  KeepOutcome();  // moves the result out and destroys the frame
  if (!error_) return;
  try {
    std::rethrow_exception(error_);
  } catch (const RunAborted&) {
    error_ = nullptr;  // the run's teardown, not the task's failure
    return;
  } catch (...) {
  }
  if (detached_) {
    ReportUncaughtException(error_);
  } else {
    NoteUnretrievedError(id_, DescribeException(error_));
  }
}

// --- CoroutineFrame -----------------------------------------------------------------------------

namespace {
thread_local void* t_last_frame_allocation = nullptr;
}  // namespace

void* CoroutineFrame::operator new(std::size_t size) {
  void* memory = ::operator new(size);
  t_last_frame_allocation = memory;
  return memory;
}

void CoroutineFrame::operator delete(void* memory) noexcept { ::operator delete(memory); }

CoroutineFrame::CoroutineFrame() noexcept : memory(t_last_frame_allocation) {
  t_last_frame_allocation = nullptr;
}

void CoroutineFrame::AppendStack(std::vector<StackFrame>& frames) const {
  std::vector<const CoroutineFrame*> chain;
  for (const CoroutineFrame* f = this; f != nullptr; f = f->awaiting) chain.push_back(f);
  std::reverse(chain.begin(), chain.end());  // innermost first
  for (const CoroutineFrame* f : chain) {
    const weave::source_location& at = f->awaiting_at;
    StackFrame frame;
    frame.function = CoroutineName(at.function_name());
    if (at.line() != 0) frame.where = {at.file_name(), static_cast<int>(at.line())};
    frames.push_back(std::move(frame));
  }
}

void CoroutineFrame::ReleaseAbandoned(CoroutineFrame* frame) {
  // Read the links before freeing: the frame lives in the memory it frees.
  while (frame != nullptr) {
    CoroutineFrame* child = frame->awaiting;
    if (frame->memory != nullptr) ::operator delete(frame->memory);
    frame = child;
  }
}

}  // namespace weave::detail
