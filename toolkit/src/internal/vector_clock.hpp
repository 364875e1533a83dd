// Internal: a vector clock, the happens-before state of one task or one synchronization object.
//
// Component t counts the synchronization epochs of task t: entry C[t] of task u's clock is the
// last epoch of t that u has synchronized with. u's accesses happen after epoch e of task t iff
// e <= C[t] (an epoch "t@e" is covered). Clocks grow on demand; missing entries are zero.
//
//   VectorClock c;  c.Tick(2);          // c = [0, 0, 1]
//   c.Join(other);                      // c[i] = max(c[i], other[i])
//   bool ordered = c.Covers(1, e);      // did 1@e happen before?
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "weave/failure.hpp"

namespace weave::detail {

class VectorClock {
 public:
  using Epoch = std::uint32_t;

  Epoch Get(TaskId task) const {
    const auto i = static_cast<std::size_t>(task);
    return i < entries_.size() ? entries_[i] : 0;
  }
  bool Covers(TaskId task, Epoch epoch) const { return epoch <= Get(task); }
  void Set(TaskId task, Epoch epoch) {
    Grow(task);
    entries_[static_cast<std::size_t>(task)] = epoch;
  }
  void Tick(TaskId task) {
    Grow(task);
    ++entries_[static_cast<std::size_t>(task)];
  }
  // this = max(this, other), entry by entry.
  void Join(const VectorClock& other) {
    if (other.entries_.size() > entries_.size()) entries_.resize(other.entries_.size(), 0);
    for (std::size_t i = 0; i < other.entries_.size(); ++i) {
      entries_[i] = std::max(entries_[i], other.entries_[i]);
    }
  }
  // Copies `other` keeping this clock's capacity (no allocation in steady state).
  void Assign(const VectorClock& other) {
    entries_.assign(other.entries_.begin(), other.entries_.end());
  }
  void Clear() { entries_.clear(); }
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

 private:
  void Grow(TaskId task) {
    const auto i = static_cast<std::size_t>(task);
    if (i >= entries_.size()) entries_.resize(i + 1, 0);
  }
  std::vector<Epoch> entries_;
};

}  // namespace weave::detail
