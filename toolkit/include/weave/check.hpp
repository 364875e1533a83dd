// weave/check.hpp: explored choices and checks.
//
// choose(n) returns a value in [0, n) picked by the strategy, so fault injection ("does this send
// fail?") is explored like scheduling and replayed exactly. check(cond, message) fails the current
// schedule when cond is false, like a gtest assertion but usable without gtest.
//
//   if (weave::choose(2) == 0) return Status::Unavailable("injected");
//   weave::check(balance >= 0, "balance went negative");
#pragma once

#include <cstdint>
#include <string_view>

#include "weave/detail/source_location.hpp"

namespace weave {

// An explored data choice in [0, n); n must be >= 1. Outside a simulation: throws
// std::logic_error.
std::uint64_t choose(std::uint64_t n);

// Fails the current schedule (kind "assertion") with `message` when `condition` is false. The run
// stops at the task's next scheduling point. Outside a simulation a failed check throws
// std::logic_error.
void check(bool condition, std::string_view message,
           weave::source_location where = weave::source_location::current());

}  // namespace weave
