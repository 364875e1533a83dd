#include <algorithm>

#include "absl/strings/str_cat.h"
#include "internal/strategies.hpp"

namespace weave::detail {

bool ReplayStrategy::BeginRun() {
  if (started_) return false;
  started_ = true;
  position_ = 0;
  divergence_.clear();
  return true;
}

TaskId ReplayStrategy::PickTask(std::span<const TaskId> runnable, TaskId /*current*/) {
  const std::size_t step = position_ + 1;
  if (position_ >= schedule_.size()) {
    divergence_ = absl::StrCat(
        "nondeterminism at step ", step, ": the run went on past the end of the recording (",
        schedule_.size(), " decisions); runnable now {", FormatTaskSet(runnable), "}");
    return kNoTask;
  }
  const Decision& d = schedule_.decision(position_);
  if (d.kind != Decision::Kind::kTask) {
    divergence_ = absl::StrCat("nondeterminism at step ", step, ": recorded choose(", d.bound,
                               ") but the run reached a scheduling point with runnable {",
                               FormatTaskSet(runnable), "}");
    return kNoTask;
  }
  const auto recorded = schedule_.runnable(d);
  if (!std::equal(recorded.begin(), recorded.end(), runnable.begin(), runnable.end())) {
    divergence_ = absl::StrCat("nondeterminism at step ", step, ": recorded runnable {",
                               FormatTaskSet(recorded), "}, now {", FormatTaskSet(runnable),
                               "} (does the body depend on something outside weave's control?)");
    return kNoTask;
  }
  ++position_;
  return static_cast<TaskId>(d.value);
}

std::uint64_t ReplayStrategy::PickChoice(std::uint64_t n) {
  const std::size_t step = position_ + 1;
  if (position_ >= schedule_.size()) {
    divergence_ = absl::StrCat("nondeterminism at step ", step, ": choose(", n,
                               ") past the end of the recording");
    return kNoChoice;
  }
  const Decision& d = schedule_.decision(position_);
  if (d.kind != Decision::Kind::kChoice || d.bound != n) {
    divergence_ =
        d.kind == Decision::Kind::kChoice
            ? absl::StrCat("nondeterminism at step ", step, ": recorded choose(", d.bound,
                           "), now choose(", n, ")")
            : absl::StrCat("nondeterminism at step ", step,
                           ": recorded a scheduling point with "
                           "runnable {",
                           FormatTaskSet(schedule_.runnable(d)), "}, now choose(", n, ")");
    return kNoChoice;
  }
  ++position_;
  return d.value;
}

}  // namespace weave::detail
