// Internal: the crash handler that saves the running schedule before the process dies.
//
// DESIGN's failure rule: a failing schedule is never lost. A task that segfaults, aborts, divides
// by zero, overflows its stack or ends in std::terminate (an exception out of a destructor or
// another noexcept function) takes the process down; before it goes, this handler writes the
// decisions recorded so far as `<out>/<test>.schedule` (failure kind "crash"), says which task
// crashed at which step and what its last scheduling point was, and prints the replay command.
// Replaying that file runs the same decisions up to the same crash.
//
// With a trace recorded (Options::trace ring or full), the events so far go to `<out>/<test>.trace`
// too, in the .trace format: tasks, objects and events, without stacks (symbolizing them is not
// async-signal-safe; replaying the schedule under a debugger shows the crashing stack).
//
// A stack overflow is told from other faults by where it faults: next to the interrupted stack
// pointer (a push or a frame's store below the stack's end). It is reported with the task's stack
// size and how to raise it. std::terminate is seen by a terminate handler, which notes why (the
// escaping exception's type and what()) before the default handler aborts: the SIGABRT that
// follows is reported with that reason.
//
// Async-signal safety: everything the handler needs is prepared before the run (paths, the replay
// command, the header of the file); the handler only reads memory, formats integers into a fixed
// buffer, and calls open/write/rename/close. It then hands the signal to the handler that was
// installed before (AddressSanitizer's, for instance) or dies by it with the default action, so
// ctest and gtest see the crash. It runs on an alternate signal stack, so a fiber's stack overflow
// (a fault on the guard page) is caught too.
//
// Thread-safety: one guard per exploration, on the thread that explores; the other OS threads of
// its runs (weave::threads) adopt it while they take part (AdoptOnThisThread). The process-wide
// signal handlers are installed while at least one guard lives.
#pragma once

#include <cstdint>
#include <string>

#include "weave/options.hpp"
#include "weave/schedule.hpp"

namespace weave::detail {

class Simulation;

class CrashGuard {
 public:
  // `recording` is the schedule the running run records into; it is written to `schedule_path`
  // on a crash, unless `replaying` (then the file exists already and is left alone).
  CrashGuard(const Options& options, const Schedule& recording, std::string schedule_path,
             std::string replay_command, bool replaying);
  ~CrashGuard();
  CrashGuard(const CrashGuard&) = delete;
  CrashGuard& operator=(const CrashGuard&) = delete;

  // Called before each run.
  void BeginRun(std::int64_t iteration, const Simulation& sim);

  // Runs in the signal handler: writes the schedule and the report. `stack_overflow` when the
  // fault lies next to the stack pointer. Async-signal-safe.
  void OnCrash(int signal, bool stack_overflow) const;
  // Writes the trace of the run so far (the handler's second file); false when it could not.
  // Async-signal-safe.
  bool WriteTraceSoFar(int signal, bool stack_overflow) const;
  // For another OS thread of the run (a weave::thread): a crash there is handled by `guard`
  // (may be null) too. Installs the thread's alternate signal stack on first use.
  static void AdoptOnThisThread(const CrashGuard* guard);

 private:
  std::string path_;
  std::string temp_path_;
  std::string out_dir_;
  std::string header_prefix_;  // the file up to "iteration "
  std::string header_suffix_;  // from "max-steps" to "message " (optional lines included)
  std::string replay_command_;
  std::string trace_path_;  // "" when no trace is recorded
  std::string trace_temp_path_;
  std::string trace_header_prefix_;  // the .trace file up to "iteration "
  std::string trace_header_middle_;  // from "schedule" up to "mode "
  const Schedule& recording_;
  const Simulation* sim_ = nullptr;
  std::int64_t iteration_ = 0;
  std::size_t stack_size_;  // Options::stack_size: fiber and carrier stacks
  bool replaying_;
  const CrashGuard* previous_;  // the guard this one hides on this thread, if any
};

}  // namespace weave::detail
