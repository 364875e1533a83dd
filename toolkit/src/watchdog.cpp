#include "internal/watchdog.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

namespace weave::detail {

namespace {
std::int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

// The process-wide thread that watches every registered Watchdog.
class WatchdogThread {
 public:
  static WatchdogThread& Get() {
    static WatchdogThread instance;
    return instance;
  }
  void Register(Watchdog* w) {
    std::lock_guard<std::mutex> lock(mu_);
    watched_.push_back(w);
    // No notify: waking the thread costs a context switch per explore(); it picks up the new
    // limit within its current period (100ms at most).
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  }
  // Waits until the watchdog thread no longer looks at w's interrupter, and clears it.
  void ClearInterrupter(Watchdog* w) {
    std::lock_guard<std::mutex> lock(mu_);
    w->interrupter_.store(nullptr, std::memory_order_relaxed);
  }
  void Unregister(Watchdog* w) {
    std::lock_guard<std::mutex> lock(mu_);
    watched_.erase(std::remove(watched_.begin(), watched_.end(), w), watched_.end());
  }
  ~WatchdogThread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      absl::Duration period = absl::Milliseconds(100);
      for (const Watchdog* w : watched_) period = std::min(period, w->limit_ / 4);
      period = std::max(period, absl::Milliseconds(1));
      wake_.wait_for(lock, absl::ToChronoNanoseconds(period));
      const std::int64_t now = SteadyNowNs();
      for (Watchdog* w : watched_) Check(*w, now);
    }
  }

  static void Check(Watchdog& w, std::int64_t now) {
    const std::uint64_t progress = w.progress_.load(std::memory_order_relaxed);
    if (!w.active_.load(std::memory_order_relaxed) || progress != w.seen_progress_) {
      w.seen_progress_ = progress;
      w.still_since_ns_.store(now, std::memory_order_relaxed);
      w.warned_ = false;
      return;
    }
    const std::int64_t still = now - w.still_since_ns_.load(std::memory_order_relaxed);
    if (absl::Nanoseconds(still) < w.limit_) return;
    // A task on an OS thread of its own can be interrupted: it gives the baton up and the run
    // ends with a stall report, even though the thread stays blocked. Asked again at every check
    // until it does (a thread may decline once: interrupted before it was ready); it clears the
    // interrupter when it gives up the baton.
    StallInterrupter* interrupter = w.interrupter_.load(std::memory_order_acquire);
    if (!w.warned_) {
      w.warned_ = true;
      w.stalled_.store(true, std::memory_order_relaxed);
      std::fprintf(
          stderr,
          "weave: watchdog: task %d has run for %s of wall time without reaching a "
          "scheduling point (a blocking call or a busy loop?); %s\n",
          static_cast<int>(static_cast<TaskId>(static_cast<std::uint32_t>(progress))),
          absl::FormatDuration(absl::Trunc(absl::Nanoseconds(still), absl::Milliseconds(1)))
              .c_str(),
          interrupter != nullptr ? "interrupting its thread to end the run"
                                 : "the run fails as a stall when it reaches one");
    }
    if (interrupter != nullptr) interrupter->Interrupt(progress);
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Watchdog*> watched_;
  std::thread thread_;
  bool stop_ = false;
};

Watchdog::Watchdog(absl::Duration limit) : limit_(limit) {
  if (limit_ > absl::ZeroDuration()) WatchdogThread::Get().Register(this);
}

Watchdog::~Watchdog() {
  if (limit_ > absl::ZeroDuration()) WatchdogThread::Get().Unregister(this);
}

void Watchdog::BeginRun() {
  stalled_.store(false, std::memory_order_relaxed);
  Progress(kNoTask);
  active_.store(true, std::memory_order_relaxed);
}

void Watchdog::EndRun() {
  active_.store(false, std::memory_order_relaxed);
  if (interrupter_used_) {
    interrupter_used_ = false;
    if (limit_ > absl::ZeroDuration()) {
      WatchdogThread::Get().ClearInterrupter(this);
    } else {
      interrupter_.store(nullptr, std::memory_order_relaxed);
    }
  }
}

absl::Duration Watchdog::TakeStall() {
  stalled_.store(false, std::memory_order_relaxed);
  return absl::Nanoseconds(SteadyNowNs() - still_since_ns_.load(std::memory_order_relaxed));
}

}  // namespace weave::detail
