// weave/latch.hpp: Model of std::latch.
//
// A single-use countdown: count_down() decrements, wait() blocks until the count reaches zero.
// Counting down past zero is reported as misuse.
//
//   weave::latch ready{3, "ready"};
//   for (int i = 0; i < 3; ++i) weave::spawn("worker", [&] { init(); ready.count_down(); });
//   ready.wait();
#pragma once

#include <cstddef>
#include <limits>
#include <string_view>

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

  void count_down(std::ptrdiff_t n = 1,
                  weave::source_location where = weave::source_location::current());
  // Not noexcept, unlike std's: it is a scheduling point, where a run being torn down unwinds.
  bool try_wait() const;
  void wait(weave::source_location where = weave::source_location::current()) const;
  void arrive_and_wait(std::ptrdiff_t n = 1,
                       weave::source_location where = weave::source_location::current());

 protected:
  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
  std::ptrdiff_t count_;
  mutable detail::WaitQueue waiters_;
};

}  // namespace weave
