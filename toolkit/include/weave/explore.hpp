// weave/explore.hpp: run a body under many schedules, or replay one.
//
// explore() runs `body` once per schedule the strategy proposes, on the calling thread, as task 0
// of a fresh simulation each time. It stops at the first failing schedule, writes that schedule to
// `<out_dir>/<test_name>.schedule` (atomically) and returns a Result that prints the failure, the
// file and the command that replays it. With Options::replay_file set it replays that file once.
//
//   weave::Options o;
//   o.iterations = 5000;
//   weave::Result r = weave::explore(o, [] { /* spawn tasks, use weave primitives */ });
#pragma once

#include <functional>
#include <string>

#include "weave/options.hpp"
#include "weave/result.hpp"
#include "weave/schedule.hpp"

namespace weave {

// Explores `body` (or replays Options::replay_file). Throws std::invalid_argument for options that
// make no sense (iterations < 1, max_steps < 1, stack_size < 16 KiB, time_budget <= 0,
// progress_interval < 0).
Result explore(const Options& options, const std::function<void()>& body);

// Replays `schedule` once: the strategy follows the recording, and any divergence is reported as a
// kNondeterminism failure naming the step and both runnable sets.
Result replay(const Options& options, const Schedule& schedule, const std::function<void()>& body);

namespace detail {

// Lets a framework adapter (weave::gtest) take part in every exploration on its thread: e.g. to
// route the framework's assertion failures into the current schedule and to phrase the replay
// command. Observers are registered once, for the process, and are never removed.
class ExplorationObserver {
 public:
  virtual ~ExplorationObserver() = default;
  virtual void OnExplorationBegin(const Options& /*options*/) {}
  virtual void OnExplorationEnd() {}
  // A shell command that replays `schedule_path` for `test_name`; empty to let another decide.
  virtual std::string ReplayCommand(const std::string& /*test_name*/,
                                    const std::string& /*schedule_path*/) {
    return {};
  }
};
void AddExplorationObserver(ExplorationObserver* observer);

}  // namespace detail
}  // namespace weave
