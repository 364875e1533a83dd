// weave/barrier.hpp: Model of std::barrier.
//
// A reusable rendezvous for a fixed number of tasks per phase. The last task to arrive runs the
// completion function, then every waiter of the phase is released and the next phase begins.
// arrive_and_drop() also lowers the expected count for later phases.
//
//   weave::barrier sync{2, [] { ++phase; }};
//   weave::spawn("a", [&] { step_a(); sync.arrive_and_wait(); });
//   step_b(); sync.arrive_and_wait();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/functional/function_ref.h"

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {
namespace detail {

struct NoCompletion {
  void operator()() noexcept {}
};

class BarrierCore : public SyncObject {
 public:
  BarrierCore(std::ptrdiff_t expected, std::string_view name);
  ~BarrierCore() override;
  // Returns the phase arrived in.
  std::uint64_t Arrive(std::ptrdiff_t n, bool drop, absl::FunctionRef<void()> completion,
                       weave::source_location where);
  void WaitPhase(std::uint64_t phase, weave::source_location where);

 protected:
  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
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

  [[nodiscard]] arrival_token arrive(
      std::ptrdiff_t n = 1, weave::source_location where = weave::source_location::current()) {
    return arrival_token(Arrive(
        n, false, [this] { completion_(); }, where));
  }
  void wait(arrival_token&& token,
            weave::source_location where = weave::source_location::current()) const {
    const_cast<barrier*>(this)->WaitPhase(token.phase_, where);
  }
  void arrive_and_wait(weave::source_location where = weave::source_location::current()) {
    WaitPhase(Arrive(
                  1, false, [this] { completion_(); }, where),
              where);
  }
  void arrive_and_drop(weave::source_location where = weave::source_location::current()) {
    Arrive(
        1, true, [this] { completion_(); }, where);
  }

 private:
  CompletionFunction completion_;
};

}  // namespace weave
