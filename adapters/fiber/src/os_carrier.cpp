// The baton between OS carriers: an atomic word, a spin that now and then yields the CPU, then a
// futex.
//
// The spin matters: a hand-off usually comes back within microseconds (the other thread ran to its
// next scheduling point), and a carrier that is still spinning takes the baton without any system
// call on either side. Only a carrier that went to sleep costs the giver a FUTEX_WAKE, and the
// sleeper a wake-up that takes 5-30 us on a virtual machine. The window must outlast such a
// wake-up: with a shorter one, once one side sleeps the other's spin runs out before the baton
// comes back, and every later hand-off sleeps too (measured: 8-15 us per step with a 2 us window,
// 0.4 us with this one). The yields keep a busy machine usable: the thread we handed the baton
// to may be waiting for this very core (measured on 2 loaded cores: 1.6x a plain
// std::atomic::wait baton with them, several times more without).
#include "weave/detail/os_carrier.hpp"

#if defined(__linux__)
#include <unistd.h>

#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <thread>

#include "weave/task_backend.hpp"

namespace weave::detail {

namespace {

// Iterations of the spin before sleeping: about 20 us where a pause takes 10 ns (server x86),
// with a sched_yield every kYieldEvery of them.
constexpr int kSpinIterations = 2000;
constexpr int kYieldEvery = 64;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

void SleepWhile(std::atomic<std::uint32_t>& word, std::uint32_t value) {
#if defined(__linux__)
  // Private futex: the word is never shared across processes. Spurious returns (EINTR, EAGAIN)
  // are fine: the caller re-checks the word.
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, value, nullptr,
          nullptr, 0);
#else
  word.wait(value, std::memory_order_relaxed);
#endif
}

void WakeSleeper(std::atomic<std::uint32_t>& word) {
#if defined(__linux__)
  syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr,
          nullptr, 0);
#else
  word.notify_one();
#endif
}

}  // namespace

void OsCarrier::Hand(ContextBackend* task, Simulation* run, Message message) {
  delivery_.task = task;
  delivery_.message = message;
  run_ = run;
  // Release: the parked side's acquire sees the delivery and everything the giver did before.
  if (state_.exchange(kHanded, std::memory_order_release) == kSleeping) WakeSleeper(state_);
}

OsCarrier::Delivery OsCarrier::Park() {
  bool handed = false;
  for (int i = 1; i <= kSpinIterations; ++i) {
    handed = state_.load(std::memory_order_acquire) == kHanded;
    if (handed) break;
    // Mostly pause; now and then give the CPU away: on a busy machine the thread we handed the
    // baton to may be waiting for this very core.
    if (i % kYieldEvery == 0) {
      std::this_thread::yield();
    } else {
      CpuRelax();
    }
  }
  if (!handed) {
    std::uint32_t expected = kEmpty;
    if (state_.compare_exchange_strong(expected, kSleeping, std::memory_order_acquire)) {
      do {
        SleepWhile(state_, kSleeping);
      } while (state_.load(std::memory_order_acquire) != kHanded);
    }
    // Else it was handed between the spin and the exchange (the failed exchange acquired it).
  }
  // Only the owner resets its word: nobody hands it the baton again before it hands it on.
  state_.store(kEmpty, std::memory_order_relaxed);
  const Delivery delivery = delivery_;
  if (delivery.message == Message::kAbandon) LeaveAbandoned();
  EnterRun(run_);
  if (delivery.message == Message::kRun) AfterTaking();
  return delivery;
}

void OsCarrier::LeaveAbandoned() {
  std::fputs("weave: internal error: a carrier that cannot be abandoned was abandoned\n", stderr);
  std::abort();
}

}  // namespace weave::detail
