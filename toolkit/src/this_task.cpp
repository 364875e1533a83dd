// The small public entry points: clock, this_task, choose/check, join_handle.
#include "weave/this_task.hpp"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "internal/simulation.hpp"
#include "internal/strings.hpp"

#include "weave/check.hpp"
#include "weave/clock.hpp"
#include "weave/detail/operation.hpp"
#include "weave/join_handle.hpp"
#include "weave/task_backend.hpp"

namespace weave {

clock::time_point clock::now() noexcept {
  if (detail::Simulation* sim = detail::Simulation::Current()) {
    return time_point(duration(sim->now()));
  }
  return time_point(
      std::chrono::duration_cast<duration>(std::chrono::steady_clock::now().time_since_epoch()));
}

namespace this_task {

void yield() { detail::SchedulingPoint(detail::Operation::kYield, nullptr); }

void sleep_until(clock::time_point t) {
  detail::Simulation* sim = detail::Simulation::Current();
  if (sim == nullptr) throw std::logic_error("weave::this_task::sleep called outside a simulation");
  const detail::Nanos deadline = t.time_since_epoch().count();
  if (deadline <= sim->now()) {
    sim->SchedulingPoint(detail::Operation::kYield, nullptr);
    return;
  }
  detail::SleepOperation operation(deadline, {});
  detail::Perform(operation);
}

void sleep_for(clock::duration d) {
  detail::Simulation* sim = detail::Simulation::Current();
  if (sim == nullptr) throw std::logic_error("weave::this_task::sleep called outside a simulation");
  sleep_until(clock::time_point(clock::duration(detail::SaturatingAdd(sim->now(), d.count()))));
}

TaskId id() { return detail::CurrentTask(); }
std::string name() { return detail::CurrentTaskName(); }

std::vector<StackFrame> stack() {
  std::vector<StackFrame> frames;
  if (TaskBackend* backend = detail::t_current_backend) backend->AppendStack(frames);
  return frames;
}

}  // namespace this_task

std::uint64_t choose(std::uint64_t n) {
  if (n == 0) {
    detail::ReportMisuse("weave::choose(0): there must be at least one option",
                         weave::source_location::current());
    return 0;
  }
  return detail::Choose(n);
}

void check(bool condition, std::string_view message, weave::source_location where) {
  if (condition) return;
  if (!detail::InSimulation()) {
    throw std::logic_error(absl::StrCat("weave::check failed at ", where.file_name(), ":",
                                        where.line(), ": ", detail::AV(message)));
  }
  detail::ReportFailure(FailureKind::kAssertion,
                        absl::StrCat("weave::check failed: ", detail::AV(message)), "",
                        detail::ToPosition(where), /*stop_now=*/false);
}

void join_handle::join(weave::source_location where) {
  if (!detail::InSimulation()) {
    throw std::logic_error("weave::join_handle::join called outside a simulation");
  }
  if (id_ == kNoTask || joined_) {
    detail::ReportMisuse(joined_ ? absl::StrCat("join() called twice on task ", id_)
                                 : "join() on an empty join_handle (default-constructed, moved "
                                   "from or detached)",
                         where);
    return;
  }
  joined_ = true;
  detail::JoinOperation operation(id_, run_serial_, where);
  detail::Perform(operation);
}

}  // namespace weave
