#include "internal/trace_recorder.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "internal/simulation.hpp"

namespace weave::detail {

void TraceRecorder::Configure(TraceMode mode, std::size_t ring_capacity) {
  mode_ = mode;
  events_.clear();
  if (mode_ == TraceMode::kRing) events_.resize(std::max<std::size_t>(ring_capacity, 1));
  recorded_ = 0;
  ring_next_ = 0;
}

void TraceRecorder::BeginRun() {
  if (mode_ == TraceMode::kFull) events_.clear();
  recorded_ = 0;
  ring_next_ = 0;
  stack_ids_.clear();
  channels_.clear();
  involved_tasks_.clear();
  involved_objects_.clear();
}

std::int32_t TraceRecorder::InternStack(const std::vector<void*>& stack) {
  return stack_ids_.try_emplace(stack, static_cast<std::int32_t>(stack_ids_.size())).first->second;
}

TraceRecorder::Channel& TraceRecorder::ChannelAt(std::int32_t channel) {
  const auto index = static_cast<std::size_t>(std::max(channel, 0));
  if (index >= channels_.size()) channels_.resize(index + 1);
  return channels_[index];
}

std::int64_t TraceRecorder::NextSend(std::int32_t channel) { return ChannelAt(channel).sent++; }

std::int64_t TraceRecorder::NextReceive(std::int32_t channel, std::size_t queued) {
  Channel& c = ChannelAt(channel);
  // The channel takes its oldest item; when it holds more items than this run queued, that item
  // was queued before the run and has no number.
  if (static_cast<std::size_t>(c.sent - c.received) < queued) return -1;
  return c.received++;
}

void TraceRecorder::Unsend(std::int32_t channel) {
  Channel& c = ChannelAt(channel);
  if (c.sent > c.received) --c.sent;
}

void TraceRecorder::Build(Trace& trace) {
  trace.mode = mode_ == TraceMode::kOff ? TraceMode::kFull : mode_;
  trace.events.clear();
  trace.events.reserve(std::min(static_cast<std::size_t>(recorded_), events_.size()));
  trace.dropped_events = VisitEvents([&](const TraceEvent& e) { trace.events.push_back(e); });
  // Ids are in order of first capture: each stack goes to its own slot.
  trace.stacks.assign(stack_ids_.size(), TraceStack{});
  for (const auto& [stack, id] : stack_ids_) {
    trace.stacks[static_cast<std::size_t>(id)].frames = TraceFrames(stack);
  }
  if (trace.failure) {
    trace.failure->tasks = involved_tasks_;
    trace.failure->objects = involved_objects_;
  }
}

}  // namespace weave::detail

// --- the simulation's side
// ---------------------------------------------------------------------------------

namespace weave::detail {

std::int32_t Simulation::TraceStack() {
  if (!trace_.full() || aborting_ || stack_requester_ != nullptr) return -1;
  CaptureNativeStack(trace_stack_scratch_);
  return trace_.InternStack(trace_stack_scratch_);
}

void Simulation::NoteJoined(TaskId id) {
  TraceOf(current_->id, TraceEventKind::kJoin, Operation::kJoin, -1, id);
}

void Simulation::NoteInvolved(FailureKind kind) {
  if (kind == FailureKind::kDataRace) return;  // OnRace named the two tasks and the variable
  std::vector<TaskId> tasks;
  std::vector<std::int32_t> objects;
  if (kind == FailureKind::kDeadlock) {
    // Every blocked task, and what each waits on.
    for (std::size_t i = 0; i < task_count_; ++i) {
      const TaskRecord& t = *tasks_[i];
      if (t.state != TaskState::kBlocked) continue;
      tasks.push_back(t.id);
      if (t.blocked_object != nullptr && t.last_object >= 0) objects.push_back(t.last_object);
    }
  }
  if (tasks.empty()) {
    tasks.push_back(current_->id);
    if (current_->last_object >= 0) objects.push_back(current_->last_object);
  }
  std::sort(objects.begin(), objects.end());
  objects.erase(std::unique(objects.begin(), objects.end()), objects.end());
  trace_.SetInvolved(std::move(tasks), std::move(objects));
}

void Simulation::BuildTrace(Trace& trace, const std::optional<Failure>& failure) {
  trace.steps = step_;
  trace.end_time_ns = now_;
  trace.tasks.clear();
  trace.tasks.reserve(task_count_);
  for (std::size_t i = 0; i < task_count_; ++i) {
    const TaskRecord& t = *tasks_[i];
    trace.tasks.push_back({t.id, t.name, std::string(TaskKindName(t.kind)), t.parent});
  }
  trace.objects.clear();
  trace.objects.reserve(objects_.size());
  for (std::size_t i = 0; i < objects_.size(); ++i) {
    trace.objects.push_back({static_cast<std::int32_t>(i),
                             std::string(ObjectKindName(objects_[i].kind)), objects_[i].name});
  }
  trace.failure.reset();
  if (failure) {
    TraceFailure f;
    f.kind = failure->kind;
    f.message = failure->message;
    f.details = failure->details;
    f.step = failure->step;
    f.task = failure->task;
    trace.failure = std::move(f);
  }
  trace_.Build(trace);
}

}  // namespace weave::detail
