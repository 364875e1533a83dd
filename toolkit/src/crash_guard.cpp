#include "internal/crash_guard.hpp"

#include <fcntl.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "internal/demangle.hpp"
#include "internal/simulation.hpp"
#include "internal/strings.hpp"
#include <sys/mman.h>
#include <sys/stat.h>

namespace weave::detail {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

constinit thread_local const CrashGuard* t_guard = nullptr;

std::mutex g_install_mutex;
int g_guards = 0;  // guarded by g_install_mutex
struct sigaction g_previous[NSIG];
// The terminate handler in place before the first guard installed ours.
std::atomic<std::terminate_handler> g_previous_terminate{nullptr};

// Why std::terminate was called on this thread: set by OnTerminate just before it aborts, read by
// the SIGABRT handler that follows. Empty otherwise.
constinit thread_local char t_terminate_reason[1024] = {};

// The terminate handler while a guard lives. A task's exception is caught at the task boundary,
// so one that reaches std::terminate escaped a noexcept function (a destructor, most often) or
// was thrown while another one unwound the stack. Notes that, then hands over to the previous
// handler (libstdc++'s prints the exception too), which aborts.
void OnTerminate() {
  // Formatting the reason allocates: if that fails (std::terminate after a bad_alloc, say), the
  // report goes without it rather than throwing out of a terminate handler.
  if (t_guard != nullptr) try {
      std::string reason;
      if (const std::exception_ptr error = std::current_exception()) {
        const std::type_info* type = CurrentExceptionType();
        reason = absl::StrCat("std::terminate: an exception of type ",
                              type != nullptr ? Demangle(type->name()) : std::string("(unknown)"),
                              " escaped a noexcept function (a destructor?)");
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          absl::StrAppend(&reason, ": ", e.what());
        } catch (...) {  // NOLINT(bugprone-empty-catch): not a std::exception, no what() to add
        }
      } else {
        reason = "std::terminate called without an active exception";
      }
      const std::size_t n = std::min(reason.size(), sizeof(t_terminate_reason) - 1);
      std::memcpy(t_terminate_reason, reason.data(), n);
      t_terminate_reason[n] = '\0';
    } catch (...) {  // NOLINT(bugprone-empty-catch): see above
    }
  const std::terminate_handler previous = g_previous_terminate.load();
  if (previous != nullptr && previous != &OnTerminate) previous();
  std::abort();
}

// Whether a SIGSEGV or SIGBUS faulted next to the interrupted stack pointer: a push, a call or a
// store into a new frame below the end of the stack, i.e. a stack overflow onto the guard page.
// 64 KiB either side covers frames with large locals; a stray pointer is rarely that close.
bool FaultNextToStackPointer(int signal, const siginfo_t* info, const void* context) {
  if ((signal != SIGSEGV && signal != SIGBUS) || info == nullptr || context == nullptr) {
    return false;
  }
  const auto* machine = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  const auto sp = static_cast<std::uintptr_t>(machine->uc_mcontext.gregs[REG_RSP]);
#elif defined(__aarch64__)
  const auto sp = static_cast<std::uintptr_t>(machine->uc_mcontext.sp);
#else
  static_cast<void>(machine);
  return false;
#endif
  const auto fault = reinterpret_cast<std::uintptr_t>(info->si_addr);
  constexpr std::uintptr_t kWindow = std::uintptr_t{64} * 1024;
  return fault + kWindow >= sp && fault <= sp + kWindow;
}

const char* SignalName(int signal) {
  switch (signal) {
    case SIGSEGV:
      return "SIGSEGV (invalid memory access)";
    case SIGBUS:
      return "SIGBUS (bus error)";
    case SIGFPE:
      return "SIGFPE (arithmetic error, e.g. division by zero)";
    case SIGILL:
      return "SIGILL (illegal instruction)";
    case SIGABRT:
      return "SIGABRT (abort: std::terminate, a failed assert, ...)";
    default:
      return "signal";
  }
}

// An async-signal-safe writer: a fixed buffer flushed with write(2).
class Writer {
 public:
  explicit Writer(int fd) : fd_(fd) {}
  ~Writer() { Flush(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Writer& Str(const char* s, std::size_t n) {
    while (n > 0) {
      if (used_ == sizeof(buffer_)) Flush();
      const std::size_t take = n < sizeof(buffer_) - used_ ? n : sizeof(buffer_) - used_;
      std::memcpy(buffer_ + used_, s, take);
      used_ += take;
      s += take;
      n -= take;
    }
    return *this;
  }
  Writer& Str(const char* s) { return Str(s, std::strlen(s)); }
  Writer& Str(const std::string& s) { return Str(s.data(), s.size()); }
  Writer& Str(std::string_view s) { return Str(s.data(), s.size()); }
  Writer& Char(char c) { return Str(&c, 1); }
  Writer& U64(std::uint64_t v) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) Char(digits[--n]);
    return *this;
  }
  // Exactly 16 lower-case hex digits.
  Writer& Hex16(std::uint64_t v) {
    char digits[16];
    for (int i = 15; i >= 0; --i) {
      digits[i] = "0123456789abcdef"[v & 0xF];
      v >>= 4;
    }
    return Str(digits, sizeof digits);
  }
  Writer& I64(std::int64_t v) {
    if (v < 0) {
      Char('-');
      return U64(static_cast<std::uint64_t>(-(v + 1)) + 1);
    }
    return U64(static_cast<std::uint64_t>(v));
  }
  // For the terminal: control characters (a user's line break or escape sequence in a name) as
  // \n, \r, \t or \xNN; everything else as it is.
  Writer& Printable(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x20 && u != 0x7f) {
        Char(c);
      } else if (c == '\n') {
        Str("\\n");
      } else if (c == '\r') {
        Str("\\r");
      } else if (c == '\t') {
        Str("\\t");
      } else {
        Str("\\x").Char(kHex[u >> 4]).Char(kHex[u & 0xF]);
      }
    }
    return *this;
  }
  // C-escaped as the schedule reader expects (octal escapes for anything unusual).
  Writer& Escaped(const char* s, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '\\' || c == '"' || c == '\'') {
        Char('\\').Char(static_cast<char>(c));
      } else if (c < 0x20 || c >= 0x7f) {
        const char octal[4] = {'\\', static_cast<char>('0' + (c >> 6)),
                               static_cast<char>('0' + ((c >> 3) & 7)),
                               static_cast<char>('0' + (c & 7))};
        Str(octal, 4);
      } else {
        Char(static_cast<char>(c));
      }
    }
    return *this;
  }
  void Flush() {
    std::size_t done = 0;
    while (done < used_) {
      const ssize_t n = ::write(fd_, buffer_ + done, used_ - done);
      if (n <= 0) break;  // nothing better to do in a dying process
      done += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }

 private:
  int fd_;
  char buffer_[4096] = {};
  std::size_t used_ = 0;
};

// The crash's one-line description, as the schedule's and the trace's message: what happened
// (stack overflow, std::terminate's reason or the signal) and in which task. Escaped for a
// C-escaped file field.
void WriteCrashMessage(Writer& out, int signal, bool stack_overflow, const TaskRecord& task) {
  if (stack_overflow) {
    out.Str("stack overflow (signal ").I64(signal).Str(")");
  } else if (signal == SIGABRT && t_terminate_reason[0] != '\0') {
    out.Escaped(t_terminate_reason, std::strlen(t_terminate_reason));
    out.Str(" (signal ").I64(signal).Str(")");
  } else {
    out.Str("signal ").I64(signal);
  }
  out.Str(" in task ").I64(task.id).Str(" '");
  out.Escaped(task.name.data(), task.name.size()).Str("'");
}

// mkdir -p, async-signal-safe.
void MakeDirectories(const std::string& dir) {
  char path[4096];
  if (dir.empty() || dir.size() >= sizeof(path)) return;
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      std::memcpy(path, dir.data(), i);
      path[i] = '\0';
      ::mkdir(path, 0755);  // EEXIST and the like are fine
    }
  }
}

// Hands the signal on: to the handler installed before ours (AddressSanitizer's, say), or to the
// default action, so the process dies by the original signal.
void HandOn(int signal, siginfo_t* info, void* context) {
  const struct sigaction& previous = g_previous[signal];
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(signal, info, context);
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN &&
             previous.sa_handler != nullptr) {
    previous.sa_handler(signal);
  }
  // Still alive: die by the signal with its default action. It is blocked while we run, so it is
  // delivered (and kills) as soon as this handler returns.
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  ::sigaction(signal, &fallback, nullptr);
  ::raise(signal);
}

void OnSignal(int signal, siginfo_t* info, void* context) {
  static volatile std::sig_atomic_t handling = 0;
  if (handling == 0) {
    handling = 1;
    if (const CrashGuard* guard = t_guard) {
      guard->OnCrash(signal, FaultNextToStackPointer(signal, info, context));
    }
  }
  HandOn(signal, info, context);
}

// Each exploring thread gets an alternate signal stack, kept for the thread's life, so that a
// fault on a fiber's guard page (the stack is exhausted) can still be handled.
struct AlternateStack {
  void* memory = nullptr;
  std::size_t size = 0;
  void EnsureInstalled() {
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0) return;
    size = std::size_t{256} * 1024;
    memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
      memory = nullptr;
      return;
    }
    stack_t ours{};
    ours.ss_sp = memory;
    ours.ss_size = size;
    if (::sigaltstack(&ours, nullptr) != 0) {
      ::munmap(memory, size);
      memory = nullptr;
    }
  }
  ~AlternateStack() {
    if (memory == nullptr) return;
    stack_t disable{};
    disable.ss_flags = SS_DISABLE;
    ::sigaltstack(&disable, nullptr);
    ::munmap(memory, size);
  }
};

// The calling thread's alternate signal stack, installed once for the thread's life.
void EnsureAlternateStack() {
  thread_local AlternateStack alternate_stack;
  alternate_stack.EnsureInstalled();
}

}  // namespace

CrashGuard::CrashGuard(const Options& options, const Schedule& recording, std::string schedule_path,
                       std::string replay_command, bool replaying)
    : path_(std::move(schedule_path)),
      temp_path_(absl::StrCat(path_, ".crash-tmp")),
      out_dir_(options.out_dir),
      replay_command_(std::move(replay_command)),
      recording_(recording),
      stack_size_(options.stack_size),
      replaying_(replaying),
      previous_(t_guard) {
  const std::string name = options.test_name.empty() ? "weave" : options.test_name;
  header_prefix_ = absl::StrCat(
      "weave-schedule ", Schedule::kFormatVersion, "\ntest ", absl::CEscape(name), "\nstrategy ",
      absl::CEscape(options.strategy.ToString()), "\nseed ", options.seed, "\niteration ");
  header_suffix_ =
      absl::StrCat("\nmax-steps ", options.max_steps, "\nspurious-wakeups ",
                   options.spurious_wakeups ? 1 : 0, options.event_loop ? "\nevent-loop 1" : "",
                   options.fair ? "" : "\nfair 0", "\nfailure crash\nmessage ");
  if (options.trace != TraceMode::kOff) {
    // Beside the schedule, as the trace files of a failure are: "<base>.trace".
    constexpr std::string_view kSuffix = ".schedule";
    std::string base = path_;
    if (base.size() > kSuffix.size() && base.ends_with(kSuffix)) {
      base.resize(base.size() - kSuffix.size());
    }
    trace_path_ = base + ".trace";
    trace_temp_path_ = trace_path_ + ".crash-tmp";
    const auto quote = [](const std::string& text) {
      return absl::StrCat("\"", absl::CEscape(text), "\"");
    };
    trace_header_prefix_ =
        absl::StrCat("weave-trace ", Trace::kFormatVersion, "\ntest ", quote(name), "\nstrategy ",
                     quote(options.strategy.ToString()), "\nseed ", options.seed, "\niteration ");
    trace_header_middle_ =
        absl::StrCat("\nschedule ", quote(path_), "\nreplay ", quote(replay_command_), "\nmode ");
  }
  EnsureAlternateStack();
  {
    std::scoped_lock lock(g_install_mutex);
    if (g_guards++ == 0) {
      struct sigaction ours {};
      ours.sa_sigaction = &OnSignal;
      ours.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset(&ours.sa_mask);
      for (int signal : kSignals) ::sigaction(signal, &ours, &g_previous[signal]);
      g_previous_terminate.store(std::set_terminate(&OnTerminate));
    }
  }
  t_guard = this;
}

void CrashGuard::AdoptOnThisThread(const CrashGuard* guard) {
  if (guard != nullptr && t_guard == nullptr) EnsureAlternateStack();
  t_guard = guard;  // one store: async-signal-safe when guard is null
}

CrashGuard::~CrashGuard() {
  t_guard = previous_;
  std::scoped_lock lock(g_install_mutex);
  if (--g_guards == 0) {
    for (int signal : kSignals) ::sigaction(signal, &g_previous[signal], nullptr);
    std::set_terminate(g_previous_terminate.exchange(nullptr));
  }
}

void CrashGuard::BeginRun(std::int64_t iteration, const Simulation& sim) {
  iteration_ = iteration;
  sim_ = &sim;
}

void CrashGuard::OnCrash(int signal, bool stack_overflow) const {
  if (sim_ == nullptr || sim_->current_task() == nullptr) return;
  const TaskRecord& task = *sim_->current_task();
  const bool terminated = signal == SIGABRT && t_terminate_reason[0] != '\0';
  Writer err(2);
  err.Str("\nweave: failure: crash: ");
  if (stack_overflow) {
    err.Str("stack overflow");
  } else if (terminated) {
    err.Printable(t_terminate_reason);
  } else {
    err.Str(SignalName(signal));
  }
  err.Str(" in task ").I64(task.id);
  err.Str(" '").Printable(task.name).Str("' at step ").I64(sim_->steps()).Str(", virtual time ");
  err.I64(sim_->now()).Str("ns\n");
  err.Str("weave: its last scheduling point: ").Str(OperationName(task.last_op));
  if (const ObjectInfo* object = sim_->object_info(task.last_object)) {
    err.Char(' ').Str(ObjectKindName(object->kind));
    if (!object->name.empty()) err.Str(" '").Printable(object->name).Char('\'');
    err.Str(" (#").I64(task.last_object).Char(')');
  }
  err.Char('\n');
  err.Flush();  // out before the file writes below, which could fault in a broken process
  if (stack_overflow) {
    switch (task.kind) {
      case TaskKind::kFiber:
      case TaskKind::kCoroutine:
        err.Str("weave: ").Str(task.kind == TaskKind::kFiber ? "the task's fiber stack"
                                                             : "the carrier fiber's stack");
        err.Str(" has ").U64(stack_size_).Str(" bytes: raise it with --weave_stack_size=SIZE");
        err.Str(" (e.g. 1M) or weave::Options::stack_size\n");
        break;
      case TaskKind::kBody:
      case TaskKind::kThread:
        err.Str("weave: the task runs on an OS thread's stack, whose size the system sets");
        err.Str(" (ulimit -s; std::thread stacks follow it)\n");
        break;
    }
  }
  if (replaying_) {
    err.Str("weave: (while replaying; the schedule file is unchanged)\n");
    return;
  }
  MakeDirectories(out_dir_);
  const int fd = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    err.Str("weave: could not write the schedule to ").Str(temp_path_).Str("\n");
    return;
  }
  {
    Writer out(fd);
    out.Str(header_prefix_).I64(iteration_).Str(header_suffix_);
    WriteCrashMessage(out, signal, stack_overflow, task);
    out.Str("\ndecisions ").U64(recording_.size());
    out.Str("\n# t <picked task> <runnable tasks> | c <value> <n of choose(n)>\n");
    for (std::size_t i = 0; i < recording_.size(); ++i) {
      const Decision& d = recording_.decision(i);
      if (d.kind == Decision::Kind::kChoice) {
        out.Str("c ").U64(d.value).Char(' ').U64(d.bound).Char('\n');
        continue;
      }
      out.Str("t ").U64(d.value).Char(' ');
      if (!Schedule::Listed(d)) {  // a large set: "#<size>:<fingerprint>"
        out.Char('#').U64(d.bound).Char(':').Hex16(recording_.fingerprint(d)).Char('\n');
        continue;
      }
      const auto set = recording_.runnable(d);
      for (std::size_t j = 0; j < set.size();) {
        std::size_t k = j;
        while (k + 1 < set.size() && set[k + 1] == set[k] + 1) ++k;
        if (j > 0) out.Char(',');
        out.I64(set[j]);
        if (k > j) out.Char('-').I64(set[k]);
        j = k + 1;
      }
      out.Char('\n');
    }
    out.Str("end\n");
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    err.Str("weave: could not move the schedule into place at ").Str(path_).Str("\n");
    return;
  }
  err.Str("weave: schedule written to ").Str(path_).Str("\n");
  if (!replay_command_.empty()) err.Str("weave: replay with: ").Str(replay_command_).Str("\n");
  if (!trace_path_.empty() && WriteTraceSoFar(signal, stack_overflow)) {
    err.Str("weave: the trace so far (no stacks) written to ").Str(trace_path_).Str("\n");
  }
}

bool CrashGuard::WriteTraceSoFar(int signal, bool stack_overflow) const {
  const TaskRecord& task = *sim_->current_task();
  const int fd = ::open(trace_temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  {
    Writer out(fd);
    const TraceRecorder& recorder = sim_->trace_recorder();
    std::int64_t dropped = 0;
    std::int64_t kept = 0;
    dropped = recorder.VisitEvents([&](const TraceEvent&) { ++kept; });
    out.Str(trace_header_prefix_).I64(iteration_).Str(trace_header_middle_);
    out.Str(TraceModeName(recorder.mode()));
    out.Str("\nsteps ").I64(sim_->steps()).Str("\nend-time ").I64(sim_->now());
    out.Str("\ndropped ").I64(dropped);
    out.Str("\nfailure crash ").I64(sim_->steps()).Char(' ').I64(task.id).Char(' ').I64(task.id);
    out.Str(" -\nmessage \"");
    WriteCrashMessage(out, signal, stack_overflow, task);
    out.Str("\"\ndetails \"\"\ntasks ").U64(sim_->task_count()).Char('\n');
    for (std::size_t i = 0; i < sim_->task_count(); ++i) {
      const TaskRecord& t = sim_->task_at(i);
      out.Str("task ").I64(t.id).Char(' ').Str(TaskKindName(t.kind)).Char(' ').I64(t.parent);
      out.Str(" \"").Escaped(t.name.data(), t.name.size()).Str("\"\n");
    }
    out.Str("objects ").U64(sim_->object_count()).Char('\n');
    for (std::size_t i = 0; i < sim_->object_count(); ++i) {
      const ObjectInfo& o = *sim_->object_info(static_cast<std::int32_t>(i));
      out.Str("object ").U64(i).Char(' ').Str(ObjectKindName(o.kind));
      out.Str(" \"").Escaped(o.name.data(), o.name.size()).Str("\"\n");
    }
    out.Str("stacks 0\nevents ").I64(kept).Char('\n');
    recorder.VisitEvents([&](const TraceEvent& e) {
      out.I64(e.step).Char(' ').I64(e.time_ns).Char(' ').I64(e.task).Char(' ');
      out.Str(TraceEventKindName(e.kind)).Char(' ').Str(TraceOperationName(e.operation));
      out.Char(' ').I64(e.object).Char(' ').I64(e.value).Str(" -1\n");
    });
    out.Str("end\n");
  }
  ::fsync(fd);
  ::close(fd);
  return ::rename(trace_temp_path_.c_str(), trace_path_.c_str()) == 0;
}

}  // namespace weave::detail
