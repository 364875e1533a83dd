#include "internal/race_detector.hpp"

namespace weave::detail {

void RaceDetector::BeginRun() {
  for (std::size_t i = 0; i < object_clocks_used_; ++i) object_clocks_[i].Clear();
  object_clocks_used_ = 0;
  messages_.clear();
  variables_.clear();
  raw_variables_.clear();
}

VectorClock& RaceDetector::ObjectClock(std::int32_t object, ClockSlot slot) {
  const std::size_t i = static_cast<std::size_t>(object) * 2 + static_cast<std::size_t>(slot);
  if (i >= object_clocks_.size()) object_clocks_.resize(i + 1);
  if (i >= object_clocks_used_) object_clocks_used_ = i + 1;
  return object_clocks_[i];
}

std::deque<VectorClock>& RaceDetector::Messages(std::int32_t object) { return messages_[object]; }

VariableState& RaceDetector::Variable(std::int32_t object) {
  const auto i = static_cast<std::size_t>(object);
  if (i >= variables_.size()) variables_.resize(i + 1);
  return variables_[i];
}

VariableState& RaceDetector::RawVariable(const void* address, bool* created) {
  auto [it, inserted] = raw_variables_.try_emplace(address);
  *created = inserted;
  return it->second;
}

bool RaceDetector::CheckAndRecord(VariableState& v, const VectorClock& clock,
                                  const AccessRecord& access, AccessRecord* conflict) {
  const TaskId me = access.task;
  const VectorClock::Epoch now = clock.Get(me);
  bool raced = false;
  if (!access.write) {
    // Same epoch as this task's last read: nothing new to check or record.
    if (!v.read_shared) {
      if (v.read_task == me && v.read_epoch == now) return false;
    } else {
      for (const VariableState::SharedRead& r : v.reads) {
        if (r.task == me && r.epoch == now) return false;
      }
    }
    if (v.write_task != kNoTask && !clock.Covers(v.write_task, v.write_epoch)) {
      *conflict = v.write;
      raced = true;
    }
    if (!v.read_shared) {
      if (v.read_task == kNoTask || v.read_task == me || clock.Covers(v.read_task, v.read_epoch)) {
        v.read_task = me;
        v.read_epoch = now;
        v.read = access;
      } else {  // two concurrent reads: keep one epoch per reader from now on
        v.read_shared = true;
        v.reads.clear();
        v.reads.push_back({v.read_task, v.read_epoch, v.read});
        v.reads.push_back({me, now, access});
        v.read_task = kNoTask;
      }
    } else {
      bool found = false;
      for (VariableState::SharedRead& r : v.reads) {
        if (r.task != me) continue;
        r.epoch = now;
        r.access = access;
        found = true;
        break;
      }
      if (!found) v.reads.push_back({me, now, access});
    }
    return raced;
  }
  if (v.write_task == me && v.write_epoch == now) return false;
  if (v.write_task != kNoTask && !clock.Covers(v.write_task, v.write_epoch)) {
    *conflict = v.write;
    raced = true;
  } else if (!v.read_shared) {
    if (v.read_task != kNoTask && !clock.Covers(v.read_task, v.read_epoch)) {
      *conflict = v.read;
      raced = true;
    }
  } else {
    for (const VariableState::SharedRead& r : v.reads) {
      if (!clock.Covers(r.task, r.epoch)) {
        *conflict = r.access;
        raced = true;
        break;
      }
    }
  }
  if (v.read_shared) {
    // Every read so far is checked against this write; later accesses only need the write.
    v.read_shared = false;
    v.reads.clear();
    v.read_task = kNoTask;
  }
  v.write_task = me;
  v.write_epoch = now;
  v.write = access;
  return raced;
}

}  // namespace weave::detail
