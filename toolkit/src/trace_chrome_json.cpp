// ToChromeTraceJson: a weave::Trace in the Chrome trace event format (JSON Object Format), for
// Perfetto (ui.perfetto.dev) and chrome://tracing.
//
// Layout: process 1 is the test; each task is a thread (tid = task id + 1: tid 0 means "no
// thread" to some viewers) with a "running" complete slice per span of the schedule, an instant
// per operation, and flow arrows for the happens-before edges (spawn, join, wake, message).
//
// Time: ts = (virtual time ns + step) / 1000 microseconds. Virtual time alone does not move while
// tasks run, so the 1 ns per step keeps the steps of one virtual instant apart and in order.
//
// Written by hand into one string (no DOM): it runs on traces of 100,000 steps and more. Numbers
// are formatted with integer arithmetic so the same trace always gives the same bytes.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "internal/utf8.hpp"

#include "weave/trace_export.hpp"

namespace weave {
namespace {

using Kind = TraceEventKind;

// A point on the exported timeline, in nanoseconds (virtual time plus step).
using Stamp = std::int64_t;

constexpr Stamp kMaxStamp = std::numeric_limits<Stamp>::max();

// Traces come from files too: arithmetic on their numbers must not overflow.
Stamp SaturatingAdd(Stamp a, Stamp b) {
  if (b > 0 && a > kMaxStamp - b) return kMaxStamp;
  if (b < 0 && a < std::numeric_limits<Stamp>::min() - b) return std::numeric_limits<Stamp>::min();
  return a + b;
}

Stamp StampOf(const TraceEvent& e) { return SaturatingAdd(e.time_ns, e.step); }

// The task whose track shows the event. A timeout is the woken task's business (the task that
// happened to be running, if any, did nothing).
TaskId TrackOf(const TraceEvent& e) {
  if (e.kind == Kind::kTimeout && e.value >= 0 && e.value <= std::numeric_limits<TaskId>::max()) {
    return static_cast<TaskId>(e.value);
  }
  return e.task;
}

std::int64_t Tid(TaskId task) { return static_cast<std::int64_t>(task) + 1; }

void AppendInt(std::string& out, std::int64_t v) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), v);
  out.append(buffer, result.ptr);
}

// Nanoseconds as microseconds with three decimals ("12.345"), exactly.
void AppendMicros(std::string& out, Stamp ns) {
  // The magnitude as unsigned: -INT64_MIN does not fit an int64.
  auto magnitude = static_cast<std::uint64_t>(ns);
  if (ns < 0) {
    out += '-';
    magnitude = ~magnitude + 1;
  }
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), magnitude / 1000);
  out.append(buffer, result.ptr);
  const auto fraction = static_cast<unsigned>(magnitude % 1000);
  out += '.';
  out += static_cast<char>('0' + fraction / 100);
  out += static_cast<char>('0' + fraction / 10 % 10);
  out += static_cast<char>('0' + fraction % 10);
}

using detail::Utf8SequenceLength;

// A JSON string literal. Names come from users and stacks from symbolizers: control characters
// are escaped, and bytes that are not UTF-8 become U+FFFD (a JSON text must be UTF-8).
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t clean_from = 0;  // s[clean_from, i) needs no escaping
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (const std::size_t length = Utf8SequenceLength(s, i); length > 0) {
        i += length;
        continue;
      }
    }
    out.append(s.data() + clean_from, i - clean_from);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += "\\ufffd";
        }
    }
    ++i;
    clean_from = i;
  }
  out.append(s.data() + clean_from, s.size() - clean_from);
  out += '"';
}

// One running span of a task: from its kRun event to the next kRun of another task, or to just
// after its task blocks or finishes (see FindSpans).
struct Span {
  TaskId task = kNoTask;
  std::size_t first_event = 0;  // the kRun that starts it
  std::size_t last_event = 0;   // the last event on its track inside it
  Stamp start = 0;
  // Invariant: start <= end once FindSpans has closed it (end == start: an empty span, which no
  // flow can attach to and which is not written).
  Stamp end = 0;
  std::int64_t end_time_ns = 0;  // virtual time when it ends
};

enum class FlowKind : std::uint8_t { kSpawn, kJoin, kWake, kMessage };

std::string_view FlowName(FlowKind kind) {
  switch (kind) {
    case FlowKind::kSpawn:
      return "spawn";
    case FlowKind::kJoin:
      return "join";
    case FlowKind::kWake:
      return "wake";
    case FlowKind::kMessage:
      return "message";
  }
  return "?";
}

class ChromeTraceWriter {
 public:
  explicit ChromeTraceWriter(const Trace& trace) : trace_(trace) {}

  std::string Write() {
    // About 250 bytes an event (most are instants with a few args): one allocation, as a rule.
    out_.reserve(1024 + trace_.tasks.size() * 256 + trace_.events.size() * 256);
    LabelEverything();
    FindSpans();
    out_ += "{\"traceEvents\":[";
    WriteMetadata();
    WriteEvents();
    out_ += "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":";
    WriteOtherData();
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  // --- preparation

  void LabelEverything() {
    task_labels_.reserve(trace_.tasks.size());
    for (std::size_t i = 0; i < trace_.tasks.size(); ++i) {
      task_labels_.push_back(trace_.TaskLabel(static_cast<TaskId>(i)));
    }
    object_labels_.reserve(trace_.objects.size());
    for (std::size_t i = 0; i < trace_.objects.size(); ++i) {
      object_labels_.push_back(trace_.ObjectLabel(static_cast<std::int32_t>(i)));
    }
    stack_json_.resize(trace_.stacks.size());
    stack_done_.resize(trace_.stacks.size(), false);
  }

  // The stamp of the end of the trace: one step after the last event.
  Stamp TraceEnd() const {
    if (trace_.events.empty()) return 0;
    const TraceEvent& last = trace_.events.back();
    return SaturatingAdd(std::max(last.time_ns, trace_.end_time_ns), SaturatingAdd(last.step, 1));
  }

  // Cuts the timeline into running spans and notes which span each event lies in.
  //
  // A span starts at a kRun and ends at the next kRun of another task, or earlier, one step after
  // its task blocks or finishes: a task waiting for a timer is not running, even when no other
  // task runs meanwhile. A span always covers its own events: a task's last event often shares
  // its step (and so its stamp) with the switch away from it, and a flow arrow can only start
  // inside a slice; so a span may reach 1 ns past the next task's start (on another track, and
  // invisible at any zoom a person uses).
  void FindSpans() {
    span_of_.assign(trace_.events.size(), -1);
    std::int32_t current = -1;
    Stamp covered = 0;  // the current span must reach past this stamp
    const auto close = [&](Stamp next_start, std::int64_t end_time_ns) {
      if (current < 0) return;
      Span& span = spans_[static_cast<std::size_t>(current)];
      span.end = std::max({next_start, covered, span.start});
      span.end_time_ns = end_time_ns;
      current = -1;
    };
    for (std::size_t i = 0; i < trace_.events.size(); ++i) {
      const TraceEvent& e = trace_.events[i];
      const Stamp stamp = StampOf(e);
      const TaskId track = TrackOf(e);
      if (e.kind == Kind::kRun) {
        // A run of the task already running (no switch) continues its span.
        if (current < 0 || spans_[static_cast<std::size_t>(current)].task != track) {
          close(stamp, e.time_ns);
          if (track < 0) continue;
          current = static_cast<std::int32_t>(spans_.size());
          spans_.push_back({track, i, i, stamp, stamp, e.time_ns});
          covered = stamp;
        }
      } else if (current < 0 || spans_[static_cast<std::size_t>(current)].task != track) {
        continue;  // not the running task's (a timeout, a corrupt event, a ring trace's start)
      }
      span_of_[i] = current;
      spans_[static_cast<std::size_t>(current)].last_event = i;
      covered = std::max(covered, SaturatingAdd(stamp, 1));
      if (e.kind == Kind::kBlock || e.kind == Kind::kFinish) close(covered, e.time_ns);
    }
    close(TraceEnd(),
          trace_.events.empty() ? 0 : std::max(trace_.events.back().time_ns, trace_.end_time_ns));
    // Slices on one track must not overlap: a span stops where its task's next span starts.
    absl::flat_hash_map<TaskId, std::size_t> last_span_of_task;
    for (std::size_t k = 0; k < spans_.size(); ++k) {
      auto [it, inserted] = last_span_of_task.try_emplace(spans_[k].task, k);
      if (!inserted) {
        Span& previous = spans_[it->second];
        previous.end = std::max(previous.start, std::min(previous.end, spans_[k].start));
        it->second = k;
      }
    }
  }

  // Whether event i lies inside a non-empty running span of its track, where a flow arrow can
  // attach (Perfetto and chrome://tracing bind a flow to the slice enclosing its timestamp, and a
  // slice ending at that very timestamp does not enclose it).
  bool AttachableToSpan(std::size_t i) const {
    const std::int32_t span = span_of_[i];
    if (span < 0) return false;
    const Span& s = spans_[static_cast<std::size_t>(span)];
    const Stamp stamp = StampOf(trace_.events[i]);
    return s.start <= stamp && stamp < s.end;
  }

  bool KnownTask(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < trace_.tasks.size();
  }
  bool KnownObject(std::int32_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < trace_.objects.size();
  }

  // --- pieces of events

  // Starts an event object: {"name":NAME,"cat":CAT,"ph":PH,"ts":TS,"pid":1,"tid":TID
  void BeginEvent(std::string_view name, std::string_view cat, std::string_view ph, Stamp ts,
                  std::int64_t tid) {
    out_ += first_event_ ? "\n{\"name\":" : ",\n{\"name\":";
    first_event_ = false;
    AppendJsonString(out_, name);
    out_ += R"(,"cat":")";
    out_ += cat;  // always one of ours: no escaping needed
    out_ += R"(","ph":")";
    out_ += ph;
    out_ += R"(","ts":)";
    AppendMicros(out_, ts);
    out_ += R"(,"pid":1,"tid":)";
    AppendInt(out_, tid);
  }

  // `key` comes quoted, with its separator and colon: ",\"key\":".
  void StringArg(std::string_view key, std::string_view value) {
    out_ += key;
    AppendJsonString(out_, value);
  }

  void IntArg(std::string_view key, std::int64_t value) {
    out_ += key;
    AppendInt(out_, value);
  }

  void TaskArg(std::string_view key, std::int64_t id) {
    if (KnownTask(id)) {
      StringArg(key, task_labels_[static_cast<std::size_t>(id)]);
    } else {
      out_ += key;
      out_ += "\"task ";
      AppendInt(out_, id);
      out_ += '"';
    }
  }

  void ObjectArg(std::int32_t id) {
    if (id < 0) return;
    if (KnownObject(id)) {
      StringArg(",\"object\":", object_labels_[static_cast<std::size_t>(id)]);
    } else {
      IntArg(",\"object\":", id);
    }
  }

  void StackArg(std::int32_t id) {
    if (id < 0 || static_cast<std::size_t>(id) >= trace_.stacks.size()) return;
    const auto index = static_cast<std::size_t>(id);
    if (!stack_done_[index]) {
      stack_done_[index] = true;
      std::string& json = stack_json_[index];
      std::string frame;
      for (const TraceFrame& f : trace_.stacks[index].frames) {
        if (f.internal) continue;
        frame = f.function.empty() ? "?" : f.function;
        if (!f.file.empty()) {
          frame += " at ";
          frame += f.file;
          frame += ':';
          AppendInt(frame, f.line);
        }
        json += json.empty() ? "[" : ",";
        AppendJsonString(json, frame);
      }
      if (!json.empty()) json += ']';
    }
    if (stack_json_[index].empty()) return;  // nothing but weave's own frames
    out_ += ",\"stack\":";
    out_ += stack_json_[index];
  }

  std::string_view TaskLabel(std::int64_t id) {
    if (KnownTask(id)) return task_labels_[static_cast<std::size_t>(id)];
    scratch_label_ = absl::StrCat("task ", id);
    return scratch_label_;
  }

  std::string_view ObjectLabel(std::int32_t id) {
    if (KnownObject(id)) return object_labels_[static_cast<std::size_t>(id)];
    // absl::StrCat, not "#" + std::to_string: GCC 12 warns falsely (-Wrestrict) on the latter.
    scratch_label_ = absl::StrCat("#", id);
    return scratch_label_;
  }

  std::string_view FailureKindOf(const TraceEvent& e) const {
    if (trace_.failure) return FailureKindName(trace_.failure->kind);
    if (e.value < 0 || e.value > std::numeric_limits<std::uint8_t>::max()) return "unknown";
    return FailureKindName(static_cast<FailureKind>(e.value));
  }

  // --- sections

  void WriteMetadata() {
    BeginEvent("process_name", "__metadata", "M", 0, 1);
    out_ += R"(,"args":{"name":)";
    AppendJsonString(out_, trace_.test_name.empty() ? "weave" : trace_.test_name);
    out_ += "}}";
    for (std::size_t i = 0; i < trace_.tasks.size(); ++i) {
      const auto id = static_cast<TaskId>(i);
      BeginEvent("thread_name", "__metadata", "M", 0, Tid(id));
      out_ += R"(,"args":{"name":)";
      AppendJsonString(out_, task_labels_[i]);
      out_ += "}}";
      BeginEvent("thread_sort_index", "__metadata", "M", 0, Tid(id));
      out_ += R"(,"args":{"sort_index":)";
      AppendInt(out_, id);
      out_ += "}}";
    }
  }

  void WriteEvents() {
    const std::size_t task_count = trace_.tasks.size();
    // Flow sources waiting for the next kRun of a task (spawn: the child's first; wake: the
    // woken task's next).
    std::vector<std::vector<std::pair<std::size_t, FlowKind>>> before_next_run(task_count);
    std::vector<std::int64_t> finish_of(task_count, -1);  // each task's kFinish event
    // Sends by (channel, message number) until their receive.
    absl::flat_hash_map<std::pair<std::int32_t, std::int64_t>, std::size_t> sends;
    bool failure_shown = false;

    for (std::size_t i = 0; i < trace_.events.size(); ++i) {
      const TraceEvent& e = trace_.events[i];
      switch (e.kind) {
        case Kind::kRun:
          if (span_of_[i] >= 0) {
            const Span& span = spans_[static_cast<std::size_t>(span_of_[i])];
            if (span.first_event == i && span.start < span.end) WriteSpan(span);
          }
          if (KnownTask(e.task)) {
            for (const auto& [source, kind] : before_next_run[static_cast<std::size_t>(e.task)]) {
              WriteFlow(source, i, kind);
            }
            before_next_run[static_cast<std::size_t>(e.task)].clear();
          }
          continue;  // the slice shows it
        case Kind::kSpawn:
        case Kind::kWake:
          if (KnownTask(e.value)) {
            before_next_run[static_cast<std::size_t>(e.value)].emplace_back(
                i, e.kind == Kind::kSpawn ? FlowKind::kSpawn : FlowKind::kWake);
          }
          break;
        case Kind::kFinish:
          if (KnownTask(e.task)) {
            finish_of[static_cast<std::size_t>(e.task)] = static_cast<std::int64_t>(i);
          }
          break;
        case Kind::kSend:
          if (e.object >= 0 && e.value >= 0) sends[{e.object, e.value}] = i;
          break;
        case Kind::kFailure:
          failure_shown = true;
          break;
        default:
          break;
      }
      WriteInstant(e);
      if (e.kind == Kind::kJoin && KnownTask(e.value)) {
        const std::int64_t finish = finish_of[static_cast<std::size_t>(e.value)];
        if (finish >= 0) WriteFlow(static_cast<std::size_t>(finish), i, FlowKind::kJoin);
      } else if (e.kind == Kind::kReceive && e.object >= 0 && e.value >= 0) {
        if (auto it = sends.find({e.object, e.value}); it != sends.end()) {
          WriteFlow(it->second, i, FlowKind::kMessage);
          sends.erase(it);
        }
      } else if (e.kind == Kind::kFailure) {
        WriteFailure(StampOf(e), e);
      }
    }
    // A failure whose event is not in the trace still shows, at its end.
    if (trace_.failure && !failure_shown) WriteFailure(TraceEnd(), std::nullopt);
  }

  void WriteSpan(const Span& span) {
    const TraceEvent& first = trace_.events[span.first_event];
    BeginEvent("running", "run", "X", span.start, Tid(span.task));
    out_ += ",\"dur\":";
    AppendMicros(out_, span.end - span.start);
    IntArg(R"(,"args":{"first_step":)", first.step);
    IntArg(",\"last_step\":", trace_.events[span.last_event].step);
    IntArg(",\"start_time_ns\":", first.time_ns);
    IntArg(",\"end_time_ns\":", span.end_time_ns);
    if (first.value >= 0) TaskArg(",\"after\":", first.value);
    out_ += "}}";
  }

  // The instant of every event but kRun (the slices show those).
  void WriteInstant(const TraceEvent& e) {
    const std::string_view op = TraceOperationName(e.operation);
    name_.clear();
    switch (e.kind) {
      case Kind::kRun:
        return;
      case Kind::kPoint:
        name_ += op;
        if (e.object >= 0) (name_ += ' ') += ObjectLabel(e.object);
        if (e.operation == TraceOperation::kChoose) (name_ += " -> ") += std::to_string(e.value);
        break;
      case Kind::kBlock:
        (name_ += "block: ") += op;
        if (e.object >= 0) (name_ += ' ') += ObjectLabel(e.object);
        if (e.value >= 0) (name_ += ' ') += TaskLabel(e.value);
        break;
      case Kind::kWake:
        ((name_ += "wake ") += TaskLabel(e.value)) += " (";
        name_ += op;
        if (e.object >= 0) (name_ += ' ') += ObjectLabel(e.object);
        name_ += ')';
        break;
      case Kind::kTimeout:
        ((name_ += "timeout (") += op) += ')';
        break;
      case Kind::kSpawn:
        (name_ += "spawn ") += TaskLabel(e.value);
        break;
      case Kind::kJoin:
        (name_ += "join ") += TaskLabel(e.value);
        break;
      case Kind::kFinish:
        name_ += "finish";
        break;
      case Kind::kSend:
        ((name_ += "send #") += std::to_string(e.value)) += " on ";
        name_ += ObjectLabel(e.object);
        break;
      case Kind::kReceive:
        name_ += "receive ";
        name_ += e.value >= 0 ? "#" + std::to_string(e.value) : std::string("(queued before)");
        (name_ += " from ") += ObjectLabel(e.object);
        break;
      case Kind::kFailure:
        (name_ += "FAILURE: ") += FailureKindOf(e);
        break;
    }
    const TaskId track = TrackOf(e);
    BeginEvent(name_, TraceEventKindName(e.kind), "i", StampOf(e), track >= 0 ? Tid(track) : 1);
    // Events of no task belong to the whole run.
    out_ += track >= 0 ? R"(,"s":"t")" : R"(,"s":"p")";
    if (e.kind == Kind::kFailure) out_ += R"(,"cname":"terrible")";
    IntArg(R"(,"args":{"step":)", e.step);
    IntArg(",\"virtual_time_ns\":", e.time_ns);
    // The track names the task; a timeout's track is the woken task's, not the running one's.
    if (e.task >= 0 && e.task != track) TaskArg(",\"task\":", e.task);
    StringArg(",\"operation\":", op);
    ObjectArg(e.object);
    switch (e.kind) {
      case Kind::kPoint:
        if (e.operation == TraceOperation::kChoose) IntArg(",\"choice\":", e.value);
        break;
      case Kind::kBlock:
        if (e.value >= 0) TaskArg(",\"waits_for\":", e.value);
        break;
      case Kind::kWake:
      case Kind::kTimeout:
        TaskArg(",\"woken\":", e.value);
        break;
      case Kind::kSpawn:
        TaskArg(",\"child\":", e.value);
        break;
      case Kind::kJoin:
        TaskArg(",\"joined\":", e.value);
        break;
      case Kind::kSend:
      case Kind::kReceive:
        IntArg(",\"message\":", e.value);
        break;
      case Kind::kFailure:
        if (trace_.failure) StringArg(",\"message\":", trace_.failure->message);
        break;
      default:
        break;
    }
    StackArg(e.stack);
    out_ += "}}";
  }

  // The failure, once more for the whole process: it shows above every track.
  void WriteFailure(Stamp ts, std::optional<TraceEvent> event) {
    name_ = "FAILURE: ";
    if (trace_.failure) {
      name_ += FailureKindName(trace_.failure->kind);
    } else {
      name_ += FailureKindOf(*event);
    }
    const TaskId task = trace_.failure ? trace_.failure->task : event->task;
    BeginEvent(name_, "failure", "i", ts, task >= 0 ? Tid(task) : 1);
    out_ += R"(,"s":"p","cname":"terrible","args":{)";
    if (trace_.failure) {
      const TraceFailure& f = *trace_.failure;
      StringArg("\"message\":", f.message);
      if (!f.details.empty()) StringArg(",\"details\":", f.details);
      IntArg(",\"step\":", f.step);
      if (f.task >= 0) TaskArg(",\"task\":", f.task);
      out_ += ",\"tasks\":[";
      for (std::size_t k = 0; k < f.tasks.size(); ++k) TaskArg(k == 0 ? "" : ",", f.tasks[k]);
      out_ += "],\"objects\":[";
      for (std::size_t k = 0; k < f.objects.size(); ++k) {
        if (k > 0) out_ += ',';
        AppendJsonString(out_, ObjectLabel(f.objects[k]));
      }
      out_ += ']';
    } else {
      IntArg("\"step\":", event->step);
    }
    if (event) StackArg(event->stack);
    out_ += "}}";
  }

  // A flow arrow from event `source` to event `target`, when both ends can attach to a running
  // span (never a dangling arrow: viewers drop it or bind it to an unrelated slice).
  void WriteFlow(std::size_t source, std::size_t target, FlowKind kind) {
    if (!AttachableToSpan(source) || !AttachableToSpan(target)) return;
    const TraceEvent& from = trace_.events[source];
    const TraceEvent& to = trace_.events[target];
    if (StampOf(from) > StampOf(to)) return;  // only in a corrupt trace
    const std::string_view name = FlowName(kind);
    const std::int64_t id = ++flow_count_;
    BeginEvent(name, name, "s", StampOf(from), Tid(TrackOf(from)));
    IntArg(",\"id\":", id);
    out_ += R"(,"bp":"e"})";
    BeginEvent(name, name, "f", StampOf(to), Tid(TrackOf(to)));
    IntArg(",\"id\":", id);
    out_ += R"(,"bp":"e"})";
  }

  void WriteOtherData() {
    // Strings only: some viewers show nothing else, and a 64-bit seed does not survive a
    // JavaScript number.
    out_ += '{';
    StringArg("\"test\":", trace_.test_name);
    StringArg(",\"strategy\":", trace_.strategy);
    StringArg(",\"seed\":", std::to_string(trace_.seed));
    StringArg(",\"iteration\":", std::to_string(trace_.iteration));
    StringArg(",\"trace_mode\":", TraceModeName(trace_.mode));
    StringArg(",\"steps\":", std::to_string(trace_.steps));
    StringArg(",\"end_time_ns\":", std::to_string(trace_.end_time_ns));
    StringArg(",\"dropped_events\":", std::to_string(trace_.dropped_events));
    if (!trace_.schedule_path.empty()) StringArg(",\"schedule\":", trace_.schedule_path);
    if (!trace_.replay_command.empty()) StringArg(",\"replay\":", trace_.replay_command);
    if (trace_.failure) {
      StringArg(",\"failure\":", FailureKindName(trace_.failure->kind));
      StringArg(",\"failure_message\":", trace_.failure->message);
    }
    StringArg(",\"timeline\":", "ts = (virtual time ns + step) / 1000 us");
    out_ += "}";
  }

  const Trace& trace_;
  std::string out_;
  bool first_event_ = true;
  std::int64_t flow_count_ = 0;
  std::vector<std::string> task_labels_;    // by task id
  std::vector<std::string> object_labels_;  // by object id
  std::vector<std::string> stack_json_;     // by stack id: the user frames as a JSON array
  std::vector<bool> stack_done_;            // by stack id: stack_json_ is computed
  std::vector<Span> spans_;                 // in order
  std::vector<std::int32_t> span_of_;       // by event index: its span, or -1
  std::string name_;                        // scratch: the name of the event being written
  std::string scratch_label_;               // scratch: a label for an unknown id
};

}  // namespace

std::string ToChromeTraceJson(const Trace& trace) { return ChromeTraceWriter(trace).Write(); }

}  // namespace weave
