// weave/schedule.hpp: the recorded decisions of one run, and its file format.
//
// A schedule is everything needed to rerun one run exactly: which task the strategy picked at every
// scheduling point (with the runnable set it picked from, so a replay can detect divergence), the
// answer to every weave::choose(n), and the options that change behaviour. It is written as small,
// versioned, human-readable text; a failing exploration writes `<out>/<test>.schedule`.
//
//   absl::StatusOr<weave::Schedule> s =
//   weave::ReadScheduleFile("weave-out/Bank.Transfer.schedule"); if (!s.ok()) std::cerr <<
//   s.status().message() << "\n";   // "file:line: expected ..." weave::Options o; o.replay_file =
//   "weave-out/Bank.Transfer.schedule";
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "weave/failure.hpp"
#include "weave/strategy.hpp"

namespace weave {

// One decision of a run.
struct Decision {
  enum class Kind : std::uint8_t { kTask, kChoice };
  // kTask: the picked task id. kChoice: the value chosen.
  std::uint64_t value = 0;
  // kChoice: the n of choose(n). kTask: number of runnable ids. Up to Schedule::kMaxListedSet
  // they are stored in the schedule's runnable pool starting at `runnable_offset`; a larger set is
  // stored as its fingerprint (two pool entries), so recording stays O(1) per step.
  std::uint64_t bound = 0;
  std::uint32_t runnable_offset = 0;
  Kind kind = Kind::kTask;  // last: 24 bytes, not 32, per recorded step
};

class Schedule {
 public:
  // Format version written by this build; readers reject any other.
  static constexpr int kFormatVersion = 1;

  std::string test_name;       // "Suite.Name" (or the explore() name)
  std::string strategy;        // Strategy::ToString() of the run that produced it
  std::uint64_t seed = 0;      // Options::seed of the exploration
  std::int64_t iteration = 0;  // which run of the exploration (0-based)
  std::int64_t max_steps = 0;
  bool spurious_wakeups = false;
  bool event_loop = false;             // Options::event_loop ("event-loop 1", written only when on)
  bool fair = true;                    // Options::fair ("fair 0", written only when off)
  std::optional<FailureKind> failure;  // the failure the run ended with, if any
  std::string failure_message;         // its one-line message (informational)

  // Runnable sets of at most this many tasks are recorded (and written) id by id; larger ones by
  // size and fingerprint ("#1000:0123456789abcdef" in a schedule file).
  static constexpr std::size_t kMaxListedSet = 64;

  // Drops the decisions, keeping the capacity (a schedule is refilled for every run).
  void Clear();
  // Hot path: called at every scheduling step while recording. A runnable set equal to the
  // previous decision's is shared, not copied (sets change only when tasks block, wake, spawn or
  // finish).
  void AddTaskDecision(TaskId picked, const RunnableSet& runnable) {
    Decision d;
    d.value = static_cast<std::uint64_t>(picked);
    d.bound = runnable.size();
    if (SameAsLastSet(runnable)) {
      d.runnable_offset = last_set_offset_;
    } else {
      d.runnable_offset = last_set_offset_ = static_cast<std::uint32_t>(runnable_pool_.size());
      last_set_size_ = runnable.size();
      last_set_fingerprint_ = runnable.fingerprint();
      if (runnable.size() <= kMaxListedSet) {
        runnable_pool_.insert(runnable_pool_.end(), runnable.begin(), runnable.end());
      } else {
        runnable_pool_.push_back(static_cast<TaskId>(runnable.fingerprint() >> 32));
        runnable_pool_.push_back(static_cast<TaskId>(runnable.fingerprint() & 0xFFFFFFFFu));
      }
    }
    decisions_.push_back(d);
  }
  // A decision whose set of `size` (> kMaxListedSet) tasks is known by its fingerprint only.
  void AddSummarizedTaskDecision(TaskId picked, std::size_t size, std::uint64_t fingerprint);
  void AddChoiceDecision(std::uint64_t value, std::uint64_t n);

  std::size_t size() const { return decisions_.size(); }
  const Decision& decision(std::size_t i) const { return decisions_[i]; }
  // Whether a task decision's runnable set is stored id by id (else: size and fingerprint).
  static bool Listed(const Decision& d) { return d.bound <= kMaxListedSet; }
  // The ids of a listed set (empty for a summarized one).
  std::span<const TaskId> runnable(const Decision& d) const {
    if (!Listed(d)) return {};
    return {runnable_pool_.data() + d.runnable_offset, static_cast<std::size_t>(d.bound)};
  }
  // The fingerprint of a task decision's set (see RunnableSet).
  std::uint64_t fingerprint(const Decision& d) const {
    if (Listed(d)) return RunnableSet::FingerprintOf(runnable(d));
    const auto high = static_cast<std::uint32_t>(runnable_pool_[d.runnable_offset]);
    const auto low = static_cast<std::uint32_t>(runnable_pool_[d.runnable_offset + 1]);
    return (std::uint64_t{high} << 32) | low;
  }
  friend bool operator==(const Schedule& a, const Schedule& b);

 private:
  // A plain loop: the sets are a handful of ids, where a memcmp call costs more than it saves.
  // Invariant: when last_set_size_ is not ~0, the last set lies within runnable_pool_.
  bool SameAsLastSet(const RunnableSet& runnable) const {
    if (last_set_size_ != runnable.size()) return false;
    if (runnable.size() > kMaxListedSet) return last_set_fingerprint_ == runnable.fingerprint();
    const TaskId* last = runnable_pool_.data() + last_set_offset_;
    for (std::size_t i = 0; i < runnable.size(); ++i) {
      if (last[i] != runnable[i]) return false;
    }
    return true;
  }

  std::vector<Decision> decisions_;
  std::vector<TaskId> runnable_pool_;
  std::uint32_t last_set_offset_ = 0;
  std::size_t last_set_size_ = ~std::size_t{0};
  std::uint64_t last_set_fingerprint_ = 0;
};

// Formats `schedule` as the text of a schedule file.
std::string FormatSchedule(const Schedule& schedule);
// Parses schedule text; `source_name` names the file in errors ("FILE:LINE: expected ...").
absl::StatusOr<Schedule> ParseSchedule(std::string_view text, std::string_view source_name);
// Reads and parses a schedule file.
absl::StatusOr<Schedule> ReadScheduleFile(const std::string& path);
// Writes `schedule` to `path` atomically (temporary file in the same directory, then rename),
// creating the directory if needed.
absl::Status WriteScheduleFile(const Schedule& schedule, const std::string& path);

// Formats a set of task ids compactly, e.g. "0-2,5".
std::string FormatTaskSet(std::span<const TaskId> ids);
// Formats the runnable set of a task decision: its ids, or "#<size>:<fingerprint in hex>".
std::string FormatTaskSet(const Schedule& schedule, const Decision& d);

}  // namespace weave
