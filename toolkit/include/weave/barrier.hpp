// weave/barrier.hpp: Model of std::barrier.
//
// A reusable rendezvous for a fixed number of tasks per phase. The last task to arrive runs the
// completion function, then every waiter of the phase is released and the next phase begins.
// arrive_and_drop() also lowers the expected count for later phases. Arriving more often than a
// phase expects is reported as misuse; a phase that never completes leaves its waiters
// deadlocked, and that is reported.
//
//   weave::barrier sync{2, [] { ++phase; }};
//   weave::spawn("a", [&] { step_a(); sync.arrive_and_wait(); });
//   step_b(); sync.arrive_and_wait();           // a fiber or the body
//   co_await sync.co_arrive_and_wait();         // a coroutine
//
// The awaitable forms (co_arrive_and_wait, co_wait) run the same code as arrive_and_wait() and
// wait(): coroutines and fibers meet at the same barrier.
// Happens-before: every arrival in a phase happens before its completion function, which happens
// before every return from waiting for that phase. Arrivals in the next phase are not part of it.
// Determinism: the phase's last arrival wakes every waiter; the strategy orders who runs.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {
namespace detail {

struct NoCompletion {
  void operator()() noexcept {}
};

// The non-template core of barrier.
class BarrierCore : public SyncObject {
 public:
  BarrierCore(std::ptrdiff_t expected, std::string_view name);
  ~BarrierCore() override;
  // A scheduling point, then the arrival. Returns the phase arrived in.
  std::uint64_t Arrive(std::ptrdiff_t n, bool drop, weave::source_location where);
  // Blocks until `phase` has completed.
  void WaitPhase(std::uint64_t phase, weave::source_location where);
  // Arrives once and blocks until that phase has completed.
  void ArriveAndWait(weave::source_location where);

 protected:
  // Waiting for a phase to complete, after arriving in it (`arrive`) or not, for the blocking
  // and the awaitable forms alike: the arrival's scheduling point and the arrival, then the
  // wait's scheduling point and its waits until the phase has completed.
  class WaitOperation final : public BlockingOperation {
   public:
    WaitOperation(BarrierCore& b, bool arrive, std::uint64_t phase,
                  const weave::source_location& where)
        : BlockingOperation(arrive ? Operation::kArrive : Operation::kWait, &b, where),
          barrier_(b),
          phase_(phase),
          arrive_(arrive) {}
    Outcome Attempt() override;
    void Result() const {}

   private:
    BarrierCore& barrier_;
    std::uint64_t phase_;  // the phase whose completion it waits for
    bool arrive_;          // the arrival is still to do
  };

  // Runs the completion function of the phase.
  virtual void Complete() = 0;
  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
  // Arrive without its scheduling point.
  std::uint64_t ArriveNow(std::ptrdiff_t n, bool drop, const weave::source_location& where);

  std::ptrdiff_t expected_;   // tasks per phase
  std::ptrdiff_t remaining_;  // arrivals missing in the current phase
  std::uint64_t phase_ = 0;
  WaitQueue waiters_;
};

}  // namespace detail

template <class CompletionFunction = detail::NoCompletion>
class barrier : public detail::BarrierCore {
 public:
  // Returned by arrive(); pass it to wait().
  class arrival_token {
   public:
    arrival_token(arrival_token&&) noexcept = default;
    arrival_token& operator=(arrival_token&&) noexcept = default;

   private:
    friend class barrier;
    explicit arrival_token(std::uint64_t phase) : phase_(phase) {}
    std::uint64_t phase_;
  };

  // `expected` must be >= 0 (checked: std::invalid_argument).
  explicit barrier(std::ptrdiff_t expected, CompletionFunction completion = CompletionFunction(),
                   std::string_view name = {})
      : BarrierCore(expected, name), completion_(std::move(completion)) {}

  // Arrives `n` times in the current phase without waiting.
  [[nodiscard]] arrival_token arrive(
      std::ptrdiff_t n = 1, weave::source_location where = weave::source_location::current()) {
    return arrival_token(Arrive(n, false, where));
  }
  // Blocks until the phase of `token` has completed.
  void wait(arrival_token&& token,
            weave::source_location where = weave::source_location::current()) const {
    const_cast<barrier*>(this)->WaitPhase(token.phase_, where);
  }
  // Arrives and blocks until the phase completes.
  void arrive_and_wait(weave::source_location where = weave::source_location::current()) {
    ArriveAndWait(where);
  }
  // Arrives and lowers the expected count of later phases by one.
  void arrive_and_drop(weave::source_location where = weave::source_location::current()) {
    Arrive(1, true, where);
  }

  // Awaitable arrive_and_wait(): `co_await sync.co_arrive_and_wait();` arrives when awaited.
  auto co_arrive_and_wait(weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation>(*this, /*arrive=*/true, 0, where);
  }
  // Awaitable wait(token).
  auto co_wait(arrival_token&& token,
               weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<WaitOperation>(const_cast<barrier&>(*this), /*arrive=*/false,
                                            token.phase_, where);
  }

 private:
  void Complete() override { completion_(); }

  CompletionFunction completion_;
};

}  // namespace weave
