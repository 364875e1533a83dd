// Internal: the event log of the current run (weave/trace.hpp), kept by the simulation.
//
// Appending is the hot path: one 40-byte record per event, into a vector that keeps its capacity
// across the runs of an exploration (full mode) or into a fixed ring (ring mode). Stacks are kept
// as return addresses, once per distinct stack, and symbolized only by Build().
//
// Invariant: in ring mode, events_ holds the last min(recorded_, ring capacity) events, the
// oldest at index ring_next_ == recorded_ % capacity once the ring has wrapped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"

#include "weave/trace.hpp"

namespace weave::detail {

class TraceRecorder {
 public:
  void Configure(TraceMode mode, std::size_t ring_capacity);
  bool on() const { return mode_ != TraceMode::kOff; }
  TraceMode mode() const { return mode_; }
  bool full() const { return mode_ == TraceMode::kFull; }

  // Forgets the previous run (keeps capacity).
  void BeginRun();

  void Record(std::int64_t step, std::int64_t time_ns, TaskId task, TraceEventKind kind,
              TraceOperation op, std::int32_t object, std::int64_t value, std::int32_t stack = -1) {
    TraceEvent& e = Slot();
    e.step = step;
    e.time_ns = time_ns;
    e.value = value;
    e.task = task;
    e.object = object;
    e.stack = stack;
    e.kind = kind;
    e.operation = op;
  }

  // The id of `stack` (return addresses, innermost first), interning it on first sight.
  std::int32_t InternStack(const std::vector<void*>& stack);

  // Message numbers of a channel (object id): the number of the message a send queues, of the
  // one a receive takes (-1: it was queued before the run; `queued` is how many items the
  // channel held), and a send withdrawn.
  std::int64_t NextSend(std::int32_t channel);
  std::int64_t NextReceive(std::int32_t channel, std::size_t queued);
  void Unsend(std::int32_t channel);

  // What the exporters highlight: the failure's tasks and objects (set when it is reported).
  void SetInvolved(std::vector<TaskId> tasks, std::vector<std::int32_t> objects) {
    involved_tasks_ = std::move(tasks);
    involved_objects_ = std::move(objects);
  }

  // Calls `visit` with each event kept, oldest first, and returns how many older ones the ring
  // dropped. Allocation-free: the crash handler writes the trace so far with it.
  template <class Visit>
  std::int64_t VisitEvents(Visit&& visit) const {
    if (mode_ == TraceMode::kFull) {
      for (const TraceEvent& e : events_) visit(e);
      return 0;
    }
    if (mode_ != TraceMode::kRing || events_.empty()) return 0;
    const auto capacity = static_cast<std::int64_t>(events_.size());
    const std::int64_t kept = recorded_ < capacity ? recorded_ : capacity;
    for (std::int64_t i = recorded_ - kept; i < recorded_; ++i) {
      visit(events_[static_cast<std::size_t>(i % capacity)]);
    }
    return recorded_ - kept;
  }

  // Copies the events out in order (oldest first), symbolizes the stacks, and fills the parts of
  // `trace` the recorder owns (mode, dropped_events, events, stacks, the failure's involved
  // lists).
  void Build(Trace& trace);

 private:
  TraceEvent& Slot() {
    ++recorded_;
    if (mode_ == TraceMode::kFull) return events_.emplace_back();
    TraceEvent& e = events_[ring_next_];
    if (++ring_next_ == events_.size()) ring_next_ = 0;  // no division on the hot path
    return e;
  }
  struct Channel {
    std::int64_t sent = 0;      // messages numbered so far (minus withdrawn ones)
    std::int64_t received = 0;  // of those, taken
  };
  Channel& ChannelAt(std::int32_t channel);

  TraceMode mode_ = TraceMode::kOff;
  std::vector<TraceEvent> events_;
  std::int64_t recorded_ = 0;
  std::size_t ring_next_ = 0;  // ring mode: where the next event goes (== recorded_ % size)
  // Each distinct stack once, with its id (ids count up from 0 in order of first capture).
  absl::flat_hash_map<std::vector<void*>, std::int32_t> stack_ids_;
  std::vector<Channel> channels_;  // by object id
  std::vector<TaskId> involved_tasks_;
  std::vector<std::int32_t> involved_objects_;
};

// The frames of a native stack, each marked internal or not (see TraceFrame::internal).
std::vector<TraceFrame> TraceFrames(const std::vector<void*>& stack);

}  // namespace weave::detail
