// weave/event.hpp: a manual-reset event, for fibers and coroutines alike.
//
// Model of cppcoro's async_manual_reset_event (and of a Win32 manual-reset event): a flag that
// tasks wait on. set() raises it and releases every task waiting at that moment; it stays raised,
// so later waits return at once, until reset() lowers it. Use it for one-shot signals ("the
// config is loaded", "shutdown was requested") where a condition_variable would need a mutex, a
// predicate and a loop. Destroying an event while tasks wait on it is reported as misuse; waiting
// on one nobody ever sets is reported as a deadlock.
//
//   weave::event ready{"ready"};
//   ready.wait();                    // a fiber or the body; elsewhere: ready.set();
//   co_await ready.co_wait();        // a coroutine
//
// The awaitable forms (co_wait, co_wait_for, co_wait_until) run the same code as wait(): a
// coroutine and a fiber waiting on the same event are released by the same set().
// Happens-before: every set() happens before each wait that returns because the event is set
// (and each is_set() that answers true); a timed-out wait gets no edge.
// Determinism: set() is a scheduling point and wakes every waiter; the strategy orders who runs.
// A set() releases the tasks waiting when it happens, even if a reset() follows before they run.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {

class event : public detail::SyncObject {
 public:
  // A new event is not set.
  explicit event(std::string_view name = {}) : SyncObject(detail::ObjectKind::kEvent, name) {}
  ~event() override;

  // Raises the flag and releases every waiting task. A scheduling point; setting an event that
  // is set already changes nothing.
  void set(weave::source_location where = weave::source_location::current());
  // Lowers the flag: later waits block until the next set(). A scheduling point.
  void reset(weave::source_location where = weave::source_location::current());
  // Whether the flag is raised. A scheduling point (another task may set or reset it first).
  bool is_set() const;

  // Blocks until the event is set (returns at once if it is).
  void wait(weave::source_location where = weave::source_location::current()) const;
  // Blocks until the event is set or `d` of virtual time has passed; false on timeout.
  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> d,
                weave::source_location where = weave::source_location::current()) const {
    return WaitUntil(detail::InSimulation() ? detail::DeadlineAfter(d) : detail::kNoDeadline,
                     where);
  }
  // Blocks until the event is set or virtual time reaches `t`; false on timeout.
  template <class Clock, class Duration>
  bool wait_until(std::chrono::time_point<Clock, Duration> t,
                  weave::source_location where = weave::source_location::current()) const {
    return WaitUntil(detail::InSimulation() ? detail::DeadlineAt(t) : detail::kNoDeadline, where);
  }

  // Awaitable wait(): `co_await ready.co_wait();`
  auto co_wait(weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<UntimedWait>(*this, detail::kNoDeadline, where);
  }
  // Awaitable wait_for(): `bool set = co_await ready.co_wait_for(1s);` (false on timeout).
  template <class Rep, class Period>
  auto co_wait_for(std::chrono::duration<Rep, Period> d,
                   weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<TimedWait>(*this, detail::DeadlineAfter(d), where);
  }
  // Awaitable wait_until(): false when virtual time reached `t` first.
  template <class Clock, class Duration>
  auto co_wait_until(std::chrono::time_point<Clock, Duration> t,
                     weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<TimedWait>(*this, detail::DeadlineAt(t), where);
  }

 private:
  // Waiting for the event, for wait() and co_wait() alike: done if it is set, or if a set()
  // happened since this operation started waiting; otherwise wait in waiters_.
  class WaitOperation : public detail::BlockingOperation {
   public:
    WaitOperation(const event& e, detail::Nanos deadline, const weave::source_location& where)
        : BlockingOperation(detail::Operation::kWait, &e, where), event_(e), deadline_(deadline) {}
    Outcome Attempt() final;
    // True when the event was set (false: the time ran out, or the run stopped).
    bool released() const { return released_; }

   private:
    const event& event_;
    detail::Nanos deadline_;
    std::uint64_t sets_seen_ = 0;  // event_.sets_ when this operation began to wait
    bool waiting_ = false;
    bool released_ = false;
  };
  class UntimedWait final : public WaitOperation {
   public:
    using WaitOperation::WaitOperation;
    void Result() const {}
  };
  class TimedWait final : public WaitOperation {
   public:
    using WaitOperation::WaitOperation;
    bool Result() const { return released(); }
  };

  // Waits until set or `deadline`; false on timeout.
  bool WaitUntil(detail::Nanos deadline, const weave::source_location& where) const;
  void ForgetEarlierRun() override { waiters_.Forget(); }

  bool set_ = false;
  // How many times set() raised the flag: a waiter compares it to tell that it was released,
  // even if a reset() came before it ran again.
  std::uint64_t sets_ = 0;
  mutable detail::WaitQueue waiters_;
};

}  // namespace weave
