// weave/failure.hpp: what went wrong in one schedule.
//
// Every failing schedule is classified by a closed, printable `FailureKind`, so a test can name the
// failure it expects (see EXPECT_WEAVE_FAILURE in weave/gtest.hpp) and a schedule file can record
// it. A `Failure` carries the kind, a one-line message, where it happened (step, virtual time,
// task, source location) and a snapshot of every task of the run: what each was doing at that
// moment.
//
//   weave::Result r = weave::explore(options, body);
//   if (!r.ok() && r.failure().kind == weave::FailureKind::kDeadlock) { ... }
//   std::cout << r.failure();   // the full report
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace weave {

// Tasks are numbered in creation order within a run; the test body is task 0.
using TaskId = std::int32_t;
inline constexpr TaskId kNoTask = -1;

// The closed set of ways a schedule can fail. Names (FailureKindName) are stable: they appear in
// schedule files and in reports.
enum class FailureKind : std::uint8_t {
  kAssertion,          // a gtest assertion or weave::check failed: "assertion"
  kUncaughtException,  // an exception escaped a task or the body: "uncaught-exception"
  kDeadlock,           // nothing runnable and no timer pending, or a self-deadlock: "deadlock"
  kLivelock,           // the step budget was exceeded: "livelock"
  kLeakedTask,         // tasks still alive when the body returned: "leaked-task"
  kMisuse,             // a primitive used against its contract (unlock not held...): "misuse"
  kNondeterminism,     // a replay diverged from its recording: "nondeterminism"
  kDataRace,           // unordered conflicting accesses (race detector): "data-race"
  kPotentialDeadlock,  // a lock-order inversion (lock-order detector): "potential-deadlock"
  kCrash,              // a signal (SIGSEGV, SIGABRT, ...) killed the process: "crash". Only
                       // ever in a schedule file, written by the crash handler as the process dies.
  kStall,              // a task ran longer than the watchdog allows (wall time) without reaching
                       // a scheduling point: a real blocking call or a busy loop: "stall"
};

// Returns the stable lower-case name of `kind`, e.g. "deadlock".
std::string_view FailureKindName(FailureKind kind);
// Parses a name produced by FailureKindName; nullopt for anything else.
std::optional<FailureKind> ParseFailureKind(std::string_view name);
std::ostream& operator<<(std::ostream& os, FailureKind kind);

// A source position, as captured by weave::source_location or gtest (file may be empty).
struct SourcePosition {
  std::string file;
  int line = 0;
  bool known() const { return !file.empty(); }
};

// One frame of a task's logical stack: for a coroutine task, a coroutine suspended at a co_await.
struct StackFrame {
  std::string function;  // e.g. "fetch_user"
  SourcePosition where;  // the co_await (or call) site
};

// "fetch at src/cache.cpp:42"; a stack prints one frame per line, "#0 ...".
std::ostream& operator<<(std::ostream& os, const StackFrame& frame);
std::ostream& operator<<(std::ostream& os, const std::vector<StackFrame>& stack);

// What one task was doing when the failure was seen.
struct TaskSnapshot {
  TaskId id = kNoTask;
  std::string name;
  std::string state;              // "runnable", "blocked on mutex 'm' (#2)", "finished", ...
  std::string last_operation;     // the task's last scheduling point, e.g. "lock mutex 'm' (#2)"
  std::vector<StackFrame> stack;  // innermost first; coroutine tasks: their async stack
};

struct Failure {
  FailureKind kind = FailureKind::kAssertion;
  std::string message;       // one line: what happened
  std::string details;       // further lines: wait-for graph, exception text, diagnostics
  std::int64_t step = 0;     // scheduling step at which the failure was seen
  std::int64_t time_ns = 0;  // virtual time at which it was seen
  TaskId task = kNoTask;     // the task that was running
  std::string task_name;
  SourcePosition where;             // source location, where known
  std::vector<TaskSnapshot> tasks;  // every task of the run, by id
};

// Prints the full multi-line report of `failure`.
std::ostream& operator<<(std::ostream& os, const Failure& failure);

}  // namespace weave
