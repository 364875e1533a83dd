// weave/detail/os_carrier.hpp: the baton that lets tasks on several OS threads take turns.
//
// Internal, for adapters. An OsCarrier is one OS thread that runs tasks of a simulation: the
// thread that called explore() carries the body, every fiber and every coroutine task; each
// weave::thread is a carrier of its own. Exactly one carrier of a run holds the baton and runs
// code; the others are parked in Park(). Handing the baton to another carrier is one atomic
// exchange (release) that the parked side reads (acquire), so everything the giver did happens
// before everything the taker does: the scheduler's state needs no lock of its own.
//
//   there.Hand(&next_task, run);              // on the carrier that holds the baton
//   OsCarrier::Delivery d = here.Park();      // returns once someone hands it back
#pragma once

#include <atomic>
#include <cstdint>

namespace weave::detail {

class ContextBackend;
class Simulation;

class OsCarrier {
 public:
  // What a parked carrier is told when it gets the baton.
  enum class Message : std::uint8_t {
    kRun,       // run `task` (a task of this carrier)
    kAbandon,   // the run is over and this carrier's task is abandoned: leave without touching it
    kTakeOver,  // the task holding the baton stalled (watchdog): run `task` to tear the run down
  };
  struct Delivery {
    Message message = Message::kRun;
    ContextBackend* task = nullptr;
  };

  OsCarrier() = default;
  virtual ~OsCarrier() = default;
  OsCarrier(const OsCarrier&) = delete;
  OsCarrier& operator=(const OsCarrier&) = delete;

  // Called by the holder of the baton (on another OS thread, or by the watchdog after it took the
  // baton away from a stalled thread): gives this carrier the baton with `task` to run in `run`.
  // The caller must not touch the run's state afterwards until the baton comes back.
  void Hand(ContextBackend* task, Simulation* run, Message message = Message::kRun);
  // Called on this carrier's own OS thread: waits (spinning briefly, then sleeping in the kernel)
  // until handed the baton; the thread then sees the run (t_simulation and t_current_backend are
  // set). On kAbandon it calls LeaveAbandoned instead of returning.
  Delivery Park();

  // Called by the carrier's own thread just before it hands the baton on.
  virtual void BeforeHandingOn() {}

 protected:
  // Called on the carrier's own thread once it holds the baton again (kRun), before Park returns.
  virtual void AfterTaking() {}
  // The carrier's task was abandoned at the end of its run: leave its code without running any
  // more of it. The default aborts (the thread that runs the body is never abandoned).
  [[noreturn]] virtual void LeaveAbandoned();

 private:
  enum : std::uint32_t { kEmpty = 0, kHanded = 1, kSleeping = 2 };
  // kEmpty: no baton; kHanded: handed, not yet taken; kSleeping: the owner sleeps on the futex.
  std::atomic<std::uint32_t> state_{kEmpty};
  // Written by the giver before the release exchange, read by the owner after its acquire.
  Delivery delivery_;
  Simulation* run_ = nullptr;
};

}  // namespace weave::detail
