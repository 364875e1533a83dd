// weave/trace.hpp: the event log of one run, and the `.trace` file that holds it.
//
// Every scheduling step appends compact events to the run's log: who ran, which operation it
// reached on which object, who blocked, who woke whom, who spawned and joined whom, which message
// went from which sender to which receiver, and where the run failed. Tasks and objects appear by
// their small per-run ids and their names; stacks (libunwind) are stored once per distinct stack
// and symbolized only when the trace is written out.
//
// When a schedule fails, weave writes its trace beside the schedule file (`NAME.trace`, plus the
// Chrome trace, DOT and HTML exports of weave/trace_export.hpp); a replay writes it on demand
// (Options::write_trace). The `weave` command reads `.trace` files (weave show / graph / html /
// stats). The same schedule gives the same trace file, byte for byte, in any process.
//
//   absl::StatusOr<weave::Trace> trace = weave::ReadTraceFile("weave-out/Bank.Transfer.trace");
//   if (!trace.ok()) { std::cerr << trace.status().message() << "\n"; return 1; }
//   for (const weave::TraceEvent& e : trace->events) std::cout << trace->Describe(e) << "\n";
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "weave/detail/runtime.hpp"
#include "weave/failure.hpp"

namespace weave {

// How much of a run is recorded (Options::trace).
enum class TraceMode : std::uint8_t {
  kOff,   // nothing: no trace files are written
  kRing,  // the last Options::trace_ring_events events (cheap; exploration's default)
  kFull,  // every event, and a stack at every blocking point and failure (replays)
};
std::string_view TraceModeName(TraceMode mode);  // "off", "ring", "full"
std::optional<TraceMode> ParseTraceMode(std::string_view name);

// The operations a task performs at its scheduling points ("lock", "send", ...).
using TraceOperation = detail::Operation;
std::string_view TraceOperationName(TraceOperation op);
std::optional<TraceOperation> ParseTraceOperation(std::string_view name);

enum class TraceEventKind : std::uint8_t {
  kRun,      // `task` starts running: the scheduler switched to it, or picked it again after it
             // blocked; value: the task that ran before it (itself after such a block), or -1 at
             // the start of the run. A running span lasts until the task's next kBlock or
             // kFinish, or the next kRun of another task
  kPoint,    // `task` reached a scheduling point: `operation` on `object` (-1: none); for a
             // choose, value is the choice made
  kBlock,    // `task` blocked: `operation` on `object`; value: the task it waits for (a join),
             // else -1. `stack`: where it blocked (full mode)
  kWake,     // `task` woke task `value`, which waited with `operation` on `object`
  kTimeout,  // the deadline of task `value` passed (virtual time moved to it); `task` is -1 (no
             // task did it); `operation` and `object`: what task `value` waited on
  kSpawn,    // `task` created task `value`
  kJoin,     // `task` joined task `value`, which had finished
  kFinish,   // `task` finished (returned, threw, or was unwound)
  kSend,     // `task` queued message number `value` on channel `object` (numbered from 0 per
             // channel per run; a receive takes the message with the same number). A send
             // withdrawn after it was queued (a rendezvous that timed out) keeps its event, and
             // the next send reuses its number: a receive matches the latest send of its number
  kReceive,  // `task` took message number `value` from channel `object`; -1: a message queued
             // before the run
  kFailure,  // the run failed here; value: the FailureKind; `stack`: where (full mode)
};
std::string_view TraceEventKindName(TraceEventKind kind);  // "run", "point", "block", ...
std::optional<TraceEventKind> ParseTraceEventKind(std::string_view name);

// One event: 40 bytes, no pointers, no strings (names live in Trace::tasks and Trace::objects).
struct TraceEvent {
  std::int64_t step = 0;     // the scheduling step (Failure::step counts the same way)
  std::int64_t time_ns = 0;  // virtual time
  std::int64_t value = -1;   // see TraceEventKind
  TaskId task = kNoTask;
  std::int32_t object = -1;  // an index into Trace::objects, or -1
  std::int32_t stack = -1;   // an index into Trace::stacks, or -1
  TraceEventKind kind = TraceEventKind::kPoint;
  TraceOperation operation = TraceOperation::kStart;

  friend bool operator==(const TraceEvent&, const TraceEvent&) = default;
};

struct TraceTask {
  TaskId id = kNoTask;
  std::string name;
  std::string kind;  // "body", "fiber", "coroutine", "thread"
  TaskId parent = kNoTask;
};

struct TraceObject {
  std::int32_t id = -1;
  std::string kind;  // "mutex", "channel", "shared", ... (the kinds reports name)
  std::string name;  // "" when the user gave none
};

struct TraceFrame {
  std::string function;  // demangled, or "" when unknown
  std::string file;      // "" when there is no debug information
  int line = 0;
  // Frames inside weave itself, the standard library and Abseil, and the harness that runs the
  // task: hidden unless asked for (weave show --all-frames).
  bool internal = false;
};

struct TraceStack {
  std::vector<TraceFrame> frames;  // innermost first
};

// What failed, and what the exporters highlight.
struct TraceFailure {
  FailureKind kind = FailureKind::kAssertion;
  std::string message;
  std::string details;
  std::int64_t step = 0;
  TaskId task = kNoTask;
  std::vector<TaskId> tasks;          // the tasks involved (the deadlock's, the race's two)
  std::vector<std::int32_t> objects;  // the objects involved (the locks, the raced variable)
};

struct Trace {
  // The format version this build writes and reads.
  static constexpr int kFormatVersion = 1;

  std::string test_name;
  std::string strategy;
  std::uint64_t seed = 0;
  std::int64_t iteration = -1;  // the run of the exploration, or -1
  std::string schedule_path;    // the schedule file it was recorded from, or ""
  std::string replay_command;   // a shell command that replays it, or ""
  TraceMode mode = TraceMode::kFull;
  std::int64_t dropped_events = 0;   // ring mode: events older than the ring, no longer here
  std::int64_t steps = 0;            // steps of the whole run
  std::int64_t end_time_ns = 0;      // virtual time at the end of the run
  std::vector<TraceTask> tasks;      // by id
  std::vector<TraceObject> objects;  // by id
  std::vector<TraceStack> stacks;    // by id
  std::vector<TraceEvent> events;    // in order (step ascending)
  std::optional<TraceFailure> failure;

  // "task 2 'loan'" (or "task 2" when unnamed), "mutex 'm' (#3)" (or "mutex #3").
  std::string TaskLabel(TaskId id) const;
  std::string ObjectLabel(std::int32_t id) const;
  // One line: "step 12  t=0ns  task 1 'rent'  block lock mutex 'm' (#0)".
  std::string Describe(const TraceEvent& event) const;
  // Checks the cross references (task, object and stack ids in range, steps ascending);
  // `source` names the trace in the error.
  absl::Status Validate(std::string_view source) const;
};

// The `.trace` text format (versioned; see docs in README's "Debugging a failure").
std::string FormatTrace(const Trace& trace);
// Parses FormatTrace's output. Errors name `source`, the line and what was expected:
// "t.trace:7: expected 'task <id> <kind> <parent> <name>', got 'tsk 0'".
absl::StatusOr<Trace> ParseTrace(std::string_view text, std::string_view source);
absl::StatusOr<Trace> ReadTraceFile(const std::string& path);
// Writes atomically (a temporary file renamed into place); creates the directory.
absl::Status WriteTraceFile(const Trace& trace, const std::string& path);

}  // namespace weave
