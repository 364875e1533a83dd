#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/strategies.hpp"

namespace weave::detail {

namespace {
// A runnable set as a schedule file would show it.
std::string FormatRunnable(const RunnableSet& runnable) {
  if (runnable.size() <= Schedule::kMaxListedSet) return FormatTaskSet(runnable.ids());
  return absl::StrFormat("#%d:%016x", runnable.size(), runnable.fingerprint());
}
}  // namespace

bool ReplayStrategy::BeginRun() {
  if (started_) return false;
  started_ = true;
  position_ = 0;
  divergence_.clear();
  return true;
}

TaskId ReplayStrategy::PickTask(const RunnableSet& runnable, TaskId /*current*/) {
  const std::size_t step = position_ + 1;
  if (position_ >= schedule_.size()) {
    divergence_ = absl::StrCat(
        "nondeterminism at step ", step, ": the run went on past the end of the recording (",
        schedule_.size(), " decisions); runnable now {", FormatRunnable(runnable), "}");
    return kNoTask;
  }
  const Decision& d = schedule_.decision(position_);
  if (d.kind != Decision::Kind::kTask) {
    divergence_ = absl::StrCat("nondeterminism at step ", step, ": recorded choose(", d.bound,
                               ") but the run reached a scheduling point with runnable {",
                               FormatRunnable(runnable), "}");
    return kNoTask;
  }
  // Large sets were recorded by size and fingerprint: compare those (O(1) per step).
  const auto recorded = schedule_.runnable(d);
  const bool same =
      Schedule::Listed(d)
          ? std::equal(recorded.begin(), recorded.end(), runnable.begin(), runnable.end())
          : d.bound == runnable.size() && schedule_.fingerprint(d) == runnable.fingerprint() &&
                std::binary_search(runnable.begin(), runnable.end(), static_cast<TaskId>(d.value));
  if (!same) {
    divergence_ = absl::StrCat("nondeterminism at step ", step, ": recorded runnable {",
                               FormatTaskSet(schedule_, d), "}, now {", FormatRunnable(runnable),
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
    divergence_ = d.kind == Decision::Kind::kChoice
                      ? absl::StrCat("nondeterminism at step ", step, ": recorded choose(", d.bound,
                                     "), now choose(", n, ")")
                      : absl::StrCat("nondeterminism at step ", step,
                                     ": recorded a scheduling point with "
                                     "runnable {",
                                     FormatTaskSet(schedule_, d), "}, now choose(", n, ")");
    return kNoChoice;
  }
  ++position_;
  return d.value;
}

}  // namespace weave::detail
