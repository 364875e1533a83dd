// Internal: the wall-clock watchdog that notices a task running too long without a scheduling
// point (a real blocking call or a busy loop in user code).
//
// Each Simulation owns a Watchdog and bumps it at every scheduling step (one relaxed store). A
// single process-wide thread looks at every registered Watchdog a few times per limit; when one
// has not moved for the limit during a run, it warns on stderr and flags it. The simulation
// reports the stall at the stalled task's next scheduling point; a task on an OS thread of its own
// (weave::thread) registers a StallInterrupter, which the watchdog calls to end the run at once.
// The watchdog never changes what the simulation does otherwise: schedules do not depend on wall
// time.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/time.h"

#include "weave/failure.hpp"
#include "weave/task_backend.hpp"

namespace weave::detail {

class Watchdog {
 public:
  // A zero or negative limit disables it (no thread is started).
  explicit Watchdog(absl::Duration limit);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void BeginRun();
  void EndRun();
  // The current task reached a scheduling point; `task` runs next.
  void Progress(TaskId task) {
    // One store per step: the step count above, the task below.
    progress_.store((++ticks_ << 32) | static_cast<std::uint32_t>(task), std::memory_order_relaxed);
  }
  // Whether the watchdog flagged a stall since the last scheduling point.
  bool Stalled() const { return stalled_.load(std::memory_order_relaxed); }
  // How long the stalled task had run without a scheduling point until now; clears the flag.
  absl::Duration TakeStall();
  absl::Duration limit() const { return limit_; }
  // The progress word (see Progress). Async-signal-safe.
  std::uint64_t progress() const { return progress_.load(std::memory_order_relaxed); }
  // The thread task holding the baton registers itself here (null: none, or the body's thread).
  void SetInterrupter(StallInterrupter* interrupter) {
    if (interrupter != nullptr) interrupter_used_ = true;
    interrupter_.store(interrupter, std::memory_order_release);
  }

 private:
  friend class WatchdogThread;
  const absl::Duration limit_;
  std::uint64_t ticks_ = 0;                 // written by the simulation's thread only
  std::atomic<std::uint64_t> progress_{0};  // (ticks << 32) | task id
  std::atomic<bool> active_{false};
  std::atomic<bool> stalled_{false};
  std::atomic<std::int64_t> still_since_ns_{0};  // steady clock, when progress last changed
  // Read by the watchdog thread under its mutex; EndRun clears it under that mutex, so that the
  // interrupter (owned by a task of the run) outlives any use.
  std::atomic<StallInterrupter*> interrupter_{nullptr};
  bool interrupter_used_ = false;  // in this run; written by whoever holds the baton
  // Owned by the watchdog thread (under its mutex).
  std::uint64_t seen_progress_ = 0;
  bool warned_ = false;
};

}  // namespace weave::detail
