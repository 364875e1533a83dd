// weave/latch.hpp: Model of std::latch.
//
// A single-use countdown: count_down() decrements, wait() blocks until the count reaches zero.
// Counting down past zero is reported as misuse; waiting on a latch nobody counts down to zero is
// reported as a deadlock.
//
//   weave::latch ready{3, "ready"};
//   for (int i = 0; i < 3; ++i) weave::spawn("worker", [&] { init(); ready.count_down(); });
//   ready.wait();                      // a fiber or the body
//   co_await ready.co_wait();          // a coroutine
//
// The awaitable forms (co_wait, co_arrive_and_wait) run the same code as wait() and
// arrive_and_wait(): a coroutine and a fiber waiting on the same latch are released together.
// Happens-before: every count_down happens before each wait (or try_wait) that finds the count
// zero.
// Determinism: the last count_down wakes every waiter; the strategy orders who runs.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <cstddef>
#include <limits>
#include <string_view>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {

class latch : public detail::SyncObject {
 public:
  static constexpr std::ptrdiff_t max() noexcept {
    return std::numeric_limits<std::ptrdiff_t>::max();
  }

  // `expected` must be >= 0 (checked: std::invalid_argument).
  explicit latch(std::ptrdiff_t expected, std::string_view name = {});
  ~latch() override;

  // Lowers the count by `n`, waking every waiter when it reaches zero.
  void count_down(std::ptrdiff_t n = 1,
                  weave::source_location where = weave::source_location::current());
  // Whether the count is zero. Not noexcept, unlike std's: it is a scheduling point, where a run
  // being torn down unwinds.
  bool try_wait() const;
  // Blocks until the count is zero.
  void wait(weave::source_location where = weave::source_location::current()) const;
  // count_down(n), then wait().
  void arrive_and_wait(std::ptrdiff_t n = 1,
                       weave::source_location where = weave::source_location::current());

  // Awaitable wait(): `co_await ready.co_wait();`.
  auto co_wait(weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<WaitOperation>(const_cast<latch&>(*this), /*arrive=*/false, 0, where);
  }
  // Awaitable arrive_and_wait(n): counts down when awaited, then waits.
  auto co_arrive_and_wait(std::ptrdiff_t n = 1,
                          weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<WaitOperation>(*this, /*arrive=*/true, n, where);
  }

 protected:
  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
  // wait(), or arrive_and_wait(n) when `arrive`, for the blocking and the awaitable forms alike:
  // count_down's scheduling point and decrement (when arriving), then wait()'s scheduling point
  // and its waits until the count is zero.
  class WaitOperation final : public detail::BlockingOperation {
   public:
    WaitOperation(latch& l, bool arrive, std::ptrdiff_t n, const weave::source_location& where)
        : BlockingOperation(arrive ? detail::Operation::kArrive : detail::Operation::kWait, &l,
                            where),
          latch_(l),
          n_(n),
          arrive_(arrive) {}
    Outcome Attempt() override;
    void Result() const {}

   private:
    latch& latch_;
    std::ptrdiff_t n_;
    bool arrive_;  // the count_down is still to do
  };

  // count_down without its scheduling point.
  void CountDown(std::ptrdiff_t n, const weave::source_location& where);

  std::ptrdiff_t count_;
  mutable detail::WaitQueue waiters_;
};

}  // namespace weave
