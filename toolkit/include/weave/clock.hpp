// weave/clock.hpp: virtual time.
//
// weave::clock meets std::chrono's Clock requirements. Inside a simulation now() is the virtual
// clock of the run: it starts at 0, stands still while tasks compute, and jumps to the earliest
// timer when every task is blocked or sleeping (autojump), so a day of timeouts runs in
// milliseconds. Outside a simulation it reads std::chrono::steady_clock.
//
//   auto deadline = weave::clock::now() + std::chrono::seconds(30);
//   weave::this_task::sleep_until(deadline);
//   EXPECT_EQ(weave::clock::now(), deadline);
#pragma once

#include <chrono>

namespace weave {

struct clock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<clock, duration>;
  // Virtual time never goes backwards, but it is not steady in the real-time sense.
  static constexpr bool is_steady = true;

  static time_point now() noexcept;
};

}  // namespace weave
