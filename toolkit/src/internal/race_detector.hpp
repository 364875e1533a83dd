// Internal: the data-race detector's per-run state (FastTrack, Flanagan & Freund, PLDI 2009).
//
// Each task keeps a vector clock (TaskRecord::clock); each synchronizing object keeps two
// (ClockSlot), and each message queued on a channel keeps one. A release joins the task's clock
// into the object's and starts a new epoch of the task; an acquire joins the object's clock into
// the task's. Each tracked variable remembers its last write as one epoch "task@e" and its reads
// as one epoch while they are totally ordered, switching to one epoch per reading task
// ("read-shared") only when two reads are concurrent. So the common access costs a comparison or
// two and no allocation: the epoch fast path.
//
// Invariants: an access by task t conflicts with a recorded access u@e iff at least one of them is
// a write and e > t.clock[u] (u@e did not happen before t's present). A task's own earlier epochs
// are always covered.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "internal/vector_clock.hpp"

#include "weave/detail/runtime.hpp"
#include "weave/failure.hpp"

namespace weave::detail {

// One access, as cheaply as it can be kept: no stack, just where the code was (the return address
// into the user's code) and when (step, and the run's access counter, which a replay of the same
// schedule reaches again: the capture replay uses it to get the full stack).
struct AccessRecord {
  const void* pc = nullptr;
  // Raw memory accesses know their source location exactly (weave::read/write take one).
  const char* file = nullptr;
  const char* function = nullptr;
  std::uint_least32_t line = 0;
  std::int64_t step = 0;
  std::uint64_t index = 0;
  TaskId task = kNoTask;
  bool write = false;
};

// The access history of one variable.
struct VariableState {
  TaskId write_task = kNoTask;  // kNoTask: never written in this run
  VectorClock::Epoch write_epoch = 0;
  AccessRecord write;
  // Epoch mode (!read_shared): the last read, which happened after every earlier one.
  TaskId read_task = kNoTask;
  VectorClock::Epoch read_epoch = 0;
  AccessRecord read;
  // Read-shared mode: the last read of each task that read since the last write.
  struct SharedRead {
    TaskId task;
    VectorClock::Epoch epoch;
    AccessRecord access;
  };
  bool read_shared = false;
  std::vector<SharedRead> reads;
  // For raw memory (weave::read/write): the name it was given and where it was first accessed.
  std::string name;
  weave::source_location first_seen;
};

class RaceDetector {
 public:
  // Forgets the previous run's clocks and histories (keeps capacity).
  void BeginRun();

  // The clock of `slot` of the object with run id `object`.
  VectorClock& ObjectClock(std::int32_t object, ClockSlot slot);
  // Messages of channel `object`: oldest first.
  std::deque<VectorClock>& Messages(std::int32_t object);

  // The history of the shared<T> with run id `object`, and of raw memory at `address`.
  VariableState& Variable(std::int32_t object);
  VariableState& RawVariable(const void* address, bool* created);

  // Checks `access` by the task whose clock is `clock` against `v`, then records it. Returns the
  // earlier access it races with, if any (copied: the record is overwritten).
  bool CheckAndRecord(VariableState& v, const VectorClock& clock, const AccessRecord& access,
                      AccessRecord* conflict);

 private:
  std::vector<VectorClock> object_clocks_;  // 2 per object id, grown on demand
  std::size_t object_clocks_used_ = 0;
  absl::flat_hash_map<std::int32_t, std::deque<VectorClock>> messages_;
  std::vector<VariableState> variables_;  // by object id
  // By address: identity within one run only (no decision depends on its order or value).
  absl::flat_hash_map<const void*, VariableState> raw_variables_;
};

}  // namespace weave::detail
