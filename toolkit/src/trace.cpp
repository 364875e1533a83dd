#include "weave/trace.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "internal/file_io.hpp"
#include "internal/line_parser.hpp"
#include "internal/strings.hpp"

namespace weave {

using detail::AV;

std::string_view TraceModeName(TraceMode mode) {
  switch (mode) {
    case TraceMode::kOff:
      return "off";
    case TraceMode::kRing:
      return "ring";
    case TraceMode::kFull:
      return "full";
  }
  return "?";
}

std::optional<TraceMode> ParseTraceMode(std::string_view name) {
  for (TraceMode m : {TraceMode::kOff, TraceMode::kRing, TraceMode::kFull}) {
    if (TraceModeName(m) == name) return m;
  }
  return std::nullopt;
}

std::string_view TraceOperationName(TraceOperation op) { return detail::OperationName(op); }

std::optional<TraceOperation> ParseTraceOperation(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(TraceOperation::kFinish); ++i) {
    const auto op = static_cast<TraceOperation>(i);
    if (detail::OperationName(op) == name) return op;
  }
  return std::nullopt;
}

std::string_view TraceEventKindName(TraceEventKind kind) {
  switch (kind) {
    case TraceEventKind::kRun:
      return "run";
    case TraceEventKind::kPoint:
      return "point";
    case TraceEventKind::kBlock:
      return "block";
    case TraceEventKind::kWake:
      return "wake";
    case TraceEventKind::kTimeout:
      return "timeout";
    case TraceEventKind::kSpawn:
      return "spawn";
    case TraceEventKind::kJoin:
      return "join";
    case TraceEventKind::kFinish:
      return "finish";
    case TraceEventKind::kSend:
      return "send";
    case TraceEventKind::kReceive:
      return "receive";
    case TraceEventKind::kFailure:
      return "failure";
  }
  return "?";
}

std::optional<TraceEventKind> ParseTraceEventKind(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(TraceEventKind::kFailure); ++i) {
    const auto kind = static_cast<TraceEventKind>(i);
    if (TraceEventKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string Trace::TaskLabel(TaskId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tasks.size()) return absl::StrCat("task ", id);
  const std::string& name = tasks[static_cast<std::size_t>(id)].name;
  return name.empty() ? absl::StrCat("task ", id) : absl::StrCat("task ", id, " '", name, "'");
}

std::string Trace::ObjectLabel(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= objects.size()) return absl::StrCat("#", id);
  const TraceObject& o = objects[static_cast<std::size_t>(id)];
  return o.name.empty() ? absl::StrCat(o.kind, " #", id)
                        : absl::StrCat(o.kind, " '", o.name, "' (#", id, ")");
}

namespace {

// Whether the event's value names a task.
bool ValueIsTask(TraceEventKind kind) {
  switch (kind) {
    case TraceEventKind::kRun:
    case TraceEventKind::kWake:
    case TraceEventKind::kTimeout:
    case TraceEventKind::kSpawn:
    case TraceEventKind::kJoin:
    case TraceEventKind::kBlock:  // a join's task, or -1
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string Trace::Describe(const TraceEvent& e) const {
  std::string out = absl::StrCat("step ", e.step, "  t=", e.time_ns, "ns  ");
  if (e.task != kNoTask) absl::StrAppend(&out, TaskLabel(e.task), "  ");
  const std::string object = e.object >= 0 ? absl::StrCat(" ", ObjectLabel(e.object)) : "";
  const std::string_view op = TraceOperationName(e.operation);
  switch (e.kind) {
    case TraceEventKind::kRun:
      absl::StrAppend(&out, "runs");
      break;
    case TraceEventKind::kPoint:
      absl::StrAppend(&out, AV(op), object);
      if (e.operation == TraceOperation::kChoose) absl::StrAppend(&out, " -> ", e.value);
      break;
    case TraceEventKind::kBlock:
      absl::StrAppend(&out, "blocks: ", AV(op), object);
      if (e.value >= 0) absl::StrAppend(&out, " ", TaskLabel(static_cast<TaskId>(e.value)));
      break;
    case TraceEventKind::kWake:
      absl::StrAppend(&out, "wakes ", TaskLabel(static_cast<TaskId>(e.value)), " (", AV(op), object,
                      ")");
      break;
    case TraceEventKind::kTimeout:
      absl::StrAppend(&out, "timeout of ", TaskLabel(static_cast<TaskId>(e.value)));
      break;
    case TraceEventKind::kSpawn:
      absl::StrAppend(&out, "spawns ", TaskLabel(static_cast<TaskId>(e.value)));
      break;
    case TraceEventKind::kJoin:
      absl::StrAppend(&out, "joins ", TaskLabel(static_cast<TaskId>(e.value)));
      break;
    case TraceEventKind::kFinish:
      absl::StrAppend(&out, "finishes");
      break;
    case TraceEventKind::kSend:
      absl::StrAppend(&out, "sends message ", e.value, " on", object);
      break;
    case TraceEventKind::kReceive:
      absl::StrAppend(&out, "receives message ", e.value, " from", object);
      break;
    case TraceEventKind::kFailure:
      absl::StrAppend(&out, "FAILS: ",
                      failure ? failure->message
                              : std::string(FailureKindName(static_cast<FailureKind>(e.value))));
      break;
  }
  // The labels hold user-chosen names: one line, nothing a terminal would act on.
  return detail::EscapeControlCharacters(out);
}

namespace {

// A broken cross reference in a trace, and which record has it: ParseTrace names that record's
// line, Validate only the source.
struct TraceProblem {
  enum class Part { kHeader, kFailure, kTask, kObject, kEvent };
  std::string message;
  Part part = Part::kHeader;
  std::size_t index = 0;  // of the task, object or event
};

std::optional<TraceProblem> FindProblem(const Trace& trace) {
  using Part = TraceProblem::Part;
  const std::vector<TraceTask>& tasks = trace.tasks;
  const std::vector<TraceObject>& objects = trace.objects;
  const std::vector<TraceStack>& stacks = trace.stacks;
  const std::vector<TraceEvent>& events = trace.events;
  const std::optional<TraceFailure>& failure = trace.failure;
  const std::int64_t steps = trace.steps;
  const std::int64_t end_time_ns = trace.end_time_ns;
  auto error = [&](Part part, std::size_t index, auto&&... parts) {
    return TraceProblem{absl::StrCat(parts...), part, index};
  };
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].id != static_cast<TaskId>(i)) {
      return error(Part::kTask, i, "task ", tasks[i].id, " listed at position ", i,
                   " (expected ids 0, 1, ...)");
    }
    // A task is created by one that exists already: ids count up in creation order, so a parent's
    // id is smaller (no parent chain can loop). Task 0, the body, has none.
    if (tasks[i].parent < kNoTask || tasks[i].parent >= static_cast<TaskId>(i) ||
        (i > 0 && tasks[i].parent == kNoTask)) {
      return error(Part::kTask, i, "task ", i, " has parent ", tasks[i].parent,
                   " (expected a task created before it; only task 0 has none)");
    }
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (objects[i].id != static_cast<std::int32_t>(i)) {
      return error(Part::kObject, i, "object ", objects[i].id, " listed at position ", i,
                   " (expected ids 0, 1, ...)");
    }
  }
  const auto task_ok = [&](std::int64_t id) {
    return id >= kNoTask && id < static_cast<std::int64_t>(tasks.size());
  };
  // Steps and times far beyond any run (2^62): a corrupt file, which readers must not loop over.
  constexpr std::int64_t kLimit = std::int64_t{1} << 62;
  const auto in_range = [&](std::int64_t v) { return v >= 0 && v <= kLimit; };
  if (!in_range(steps) || !in_range(end_time_ns)) {
    return error(Part::kHeader, 0, "steps ", steps, " or end time ", end_time_ns,
                 " out of range (0 to 2^62)");
  }
  if (failure && !in_range(failure->step)) {
    return error(Part::kFailure, 0, "the failure's step ", failure->step,
                 " is out of range (0 to 2^62)");
  }
  std::int64_t last_step = -1;
  std::int64_t last_time = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& e = events[i];
    if (!task_ok(e.task))
      return error(Part::kEvent, i, "event ", i, " names an unknown task ", e.task);
    if (e.object < -1 || e.object >= static_cast<std::int32_t>(objects.size())) {
      return error(Part::kEvent, i, "event ", i, " names an unknown object ", e.object);
    }
    if (e.stack < -1 || e.stack >= static_cast<std::int32_t>(stacks.size())) {
      return error(Part::kEvent, i, "event ", i, " names an unknown stack ", e.stack);
    }
    if (e.kind == TraceEventKind::kFailure &&
        (e.value < 0 || e.value > static_cast<std::int64_t>(FailureKind::kStall))) {
      return error(Part::kEvent, i, "event ", i, " names an unknown failure kind ", e.value);
    }
    if (ValueIsTask(e.kind) && !task_ok(e.value)) {
      return error(Part::kEvent, i, "event ", i, " (", AV(TraceEventKindName(e.kind)),
                   ") names an unknown task ", e.value);
    }
    if (!in_range(e.step) || !in_range(e.time_ns)) {
      return error(Part::kEvent, i, "event ", i, " has a step or time out of range (0 to 2^62)");
    }
    if (e.step < last_step || (i > 0 && e.time_ns < last_time)) {
      return error(Part::kEvent, i, "event ", i, " goes back in steps or time (step ", e.step,
                   ", time ", e.time_ns, " after step ", last_step, ", time ", last_time, ")");
    }
    last_step = e.step;
    last_time = e.time_ns;
  }
  if (failure) {
    if (!task_ok(failure->task))
      return error(Part::kFailure, 0, "the failure names an unknown task ", failure->task);
    for (TaskId t : failure->tasks) {
      if (!task_ok(t) || t == kNoTask)
        return error(Part::kFailure, 0, "the failure names an unknown task ", t);
    }
    for (std::int32_t o : failure->objects) {
      if (o < 0 || o >= static_cast<std::int32_t>(objects.size())) {
        return error(Part::kFailure, 0, "the failure names an unknown object ", o);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status Trace::Validate(std::string_view source) const {
  if (std::optional<TraceProblem> problem = FindProblem(*this)) {
    return absl::InvalidArgumentError(absl::StrCat(AV(source), ": ", problem->message));
  }
  return absl::OkStatus();
}

// --- the .trace format
// -------------------------------------------------------------------------------------

namespace {

constexpr std::string_view kHeader = "weave-trace";

// A string field: C-escaped between double quotes (CEscape escapes the quote itself).
std::string Quote(std::string_view s) { return absl::StrCat("\"", absl::CEscape(AV(s)), "\""); }

std::string FormatIds(const std::vector<std::int32_t>& ids) {
  return ids.empty() ? "-" : absl::StrJoin(ids, ",");
}

}  // namespace

std::string FormatTrace(const Trace& t) {
  std::string out;
  out.reserve(256 + t.events.size() * 32);
  absl::StrAppend(&out, AV(kHeader), " ", Trace::kFormatVersion, "\n");
  absl::StrAppend(&out, "test ", Quote(t.test_name), "\n");
  absl::StrAppend(&out, "strategy ", Quote(t.strategy), "\n");
  absl::StrAppend(&out, "seed ", t.seed, "\n");
  absl::StrAppend(&out, "iteration ", t.iteration, "\n");
  absl::StrAppend(&out, "schedule ", Quote(t.schedule_path), "\n");
  absl::StrAppend(&out, "replay ", Quote(t.replay_command), "\n");
  absl::StrAppend(&out, "mode ", AV(TraceModeName(t.mode)), "\n");
  absl::StrAppend(&out, "steps ", t.steps, "\n");
  absl::StrAppend(&out, "end-time ", t.end_time_ns, "\n");
  absl::StrAppend(&out, "dropped ", t.dropped_events, "\n");
  if (t.failure) {
    const TraceFailure& f = *t.failure;
    absl::StrAppend(&out, "failure ", AV(FailureKindName(f.kind)), " ", f.step, " ", f.task, " ",
                    FormatIds(f.tasks), " ", FormatIds(f.objects), "\n");
    absl::StrAppend(&out, "message ", Quote(f.message), "\n");
    absl::StrAppend(&out, "details ", Quote(f.details), "\n");
  } else {
    out += "failure none\n";
  }
  absl::StrAppend(&out, "tasks ", t.tasks.size(), "\n");
  for (const TraceTask& task : t.tasks) {
    absl::StrAppend(&out, "task ", task.id, " ", task.kind, " ", task.parent, " ", Quote(task.name),
                    "\n");
  }
  absl::StrAppend(&out, "objects ", t.objects.size(), "\n");
  for (const TraceObject& o : t.objects) {
    absl::StrAppend(&out, "object ", o.id, " ", o.kind, " ", Quote(o.name), "\n");
  }
  absl::StrAppend(&out, "stacks ", t.stacks.size(), "\n");
  for (std::size_t i = 0; i < t.stacks.size(); ++i) {
    absl::StrAppend(&out, "stack ", i, " ", t.stacks[i].frames.size(), "\n");
    for (const TraceFrame& f : t.stacks[i].frames) {
      absl::StrAppend(&out, "frame ", f.internal ? "i" : "u", " ", f.line, " ", Quote(f.file), " ",
                      Quote(f.function), "\n");
    }
  }
  absl::StrAppend(&out, "events ", t.events.size(), "\n");
  out += "# step time-ns task kind operation object value stack\n";
  for (const TraceEvent& e : t.events) {
    absl::StrAppend(&out, e.step, " ", e.time_ns, " ", e.task, " ", AV(TraceEventKindName(e.kind)),
                    " ", AV(TraceOperationName(e.operation)), " ", e.object, " ", e.value, " ",
                    e.stack, "\n");
  }
  out += "end\n";
  return out;
}

namespace {

// Reads the record fields of one line: integers, names and quoted strings, separated by spaces.
class Fields {
 public:
  explicit Fields(absl::string_view line) : rest_(line) {}

  bool Word(absl::string_view& out) {
    if (rest_.empty()) return false;
    const std::size_t space = rest_.find(' ');
    out = rest_.substr(0, space);
    rest_ = space == absl::string_view::npos ? absl::string_view() : rest_.substr(space + 1);
    return !out.empty();
  }
  template <class Int>
  bool Integer(Int& out) {
    absl::string_view word;
    return Word(word) && absl::SimpleAtoi(word, &out);
  }
  bool Quoted(std::string& out) {
    if (rest_.empty() || rest_.front() != '"') return false;
    std::size_t end = 1;
    while (end < rest_.size() && rest_[end] != '"') end += rest_[end] == '\\' ? 2 : 1;
    if (end >= rest_.size()) return false;
    if (!absl::CUnescape(rest_.substr(1, end - 1), &out)) return false;
    rest_ = rest_.substr(end + 1);
    return rest_.empty() || absl::ConsumePrefix(&rest_, " ");
  }
  bool Ids(std::vector<std::int32_t>& out) {
    absl::string_view word;
    if (!Word(word)) return false;
    if (word == "-") return true;
    for (absl::string_view piece : absl::StrSplit(word, ',')) {
      std::int32_t id = 0;
      if (!absl::SimpleAtoi(piece, &id)) return false;
      out.push_back(id);
    }
    return true;
  }
  bool Done() const { return rest_.empty(); }

 private:
  absl::string_view rest_;
};

// Reads "key <count>" and checks the count against `limit`.
absl::StatusOr<std::size_t> ReadCount(detail::LineParser& p, absl::string_view key,
                                      std::int64_t limit) {
  absl::StatusOr<std::int64_t> count = p.IntField<std::int64_t>(key);
  if (!count.ok()) return count.status();
  if (*count < 0 || *count > limit) {
    return p.Error(absl::StrCat("a count between 0 and ", limit, " after '", key, "'"),
                   p.current_line());
  }
  return static_cast<std::size_t>(*count);
}

absl::StatusOr<std::string> ReadQuoted(detail::LineParser& p, absl::string_view key) {
  absl::StatusOr<absl::string_view> v = p.Field(key);
  if (!v.ok()) return v.status();
  Fields f(*v);
  std::string out;
  if (!f.Quoted(out) || !f.Done()) {
    return p.Error(absl::StrCat("'", key, " \"<C-escaped text>\"'"), p.current_line());
  }
  return out;
}

constexpr std::int64_t kMaxRecords = 100'000'000;

}  // namespace

absl::StatusOr<Trace> ParseTrace(std::string_view text, std::string_view source) {
  detail::LineParser p(AV(text), AV(source));
  Trace t;
  {
    absl::StatusOr<absl::string_view> first = p.Next("the header 'weave-trace 1'");
    if (!first.ok()) return first.status();
    absl::string_view rest = *first;
    int version = 0;
    if (!absl::ConsumePrefix(&rest, AV(kHeader)) || !absl::ConsumePrefix(&rest, " ") ||
        !absl::SimpleAtoi(rest, &version)) {
      return p.Error(absl::StrCat("'", AV(kHeader), " <version>' (is this a weave trace file?)"),
                     *first);
    }
    if (version != Trace::kFormatVersion) {
      return p.Error(absl::StrCat("format version ", Trace::kFormatVersion,
                                  " (written by another version of weave)"),
                     *first);
    }
  }
#define WEAVE_ASSIGN_OR_RETURN(lhs, expr)     \
  do {                                        \
    auto value_ = (expr);                     \
    if (!value_.ok()) return value_.status(); \
    (lhs) = std::move(*value_);               \
  } while (0)
  WEAVE_ASSIGN_OR_RETURN(t.test_name, ReadQuoted(p, "test"));
  WEAVE_ASSIGN_OR_RETURN(t.strategy, ReadQuoted(p, "strategy"));
  WEAVE_ASSIGN_OR_RETURN(t.seed, p.IntField<std::uint64_t>("seed"));
  WEAVE_ASSIGN_OR_RETURN(t.iteration, p.IntField<std::int64_t>("iteration"));
  WEAVE_ASSIGN_OR_RETURN(t.schedule_path, ReadQuoted(p, "schedule"));
  WEAVE_ASSIGN_OR_RETURN(t.replay_command, ReadQuoted(p, "replay"));
  {
    absl::string_view mode;
    WEAVE_ASSIGN_OR_RETURN(mode, p.Field("mode"));
    std::optional<TraceMode> m = ParseTraceMode(detail::SV(mode));
    if (!m || *m == TraceMode::kOff) return p.Error("mode 'ring' or 'full'", p.current_line());
    t.mode = *m;
  }
  // The line of each record, to name it when a cross reference is broken (FindProblem).
  int steps_line = 0;
  int failure_line = 0;
  std::vector<int> task_lines;
  std::vector<int> object_lines;
  std::vector<int> event_lines;
  WEAVE_ASSIGN_OR_RETURN(t.steps, p.IntField<std::int64_t>("steps"));
  steps_line = p.line_no();
  WEAVE_ASSIGN_OR_RETURN(t.end_time_ns, p.IntField<std::int64_t>("end-time"));
  WEAVE_ASSIGN_OR_RETURN(t.dropped_events, p.IntField<std::int64_t>("dropped"));
  {
    absl::string_view v;
    WEAVE_ASSIGN_OR_RETURN(v, p.Field("failure"));
    failure_line = p.line_no();
    if (v != "none") {
      Fields f(v);
      TraceFailure failure;
      absl::string_view kind;
      std::optional<FailureKind> parsed;
      if (!f.Word(kind) || !(parsed = ParseFailureKind(detail::SV(kind))) ||
          !f.Integer(failure.step) || !f.Integer(failure.task) || !f.Ids(failure.tasks) ||
          !f.Ids(failure.objects) || !f.Done()) {
        return p.Error(
            "'failure none' or 'failure <kind> <step> <task> <task ids|-> <object ids|->'",
            p.current_line());
      }
      failure.kind = *parsed;
      WEAVE_ASSIGN_OR_RETURN(failure.message, ReadQuoted(p, "message"));
      WEAVE_ASSIGN_OR_RETURN(failure.details, ReadQuoted(p, "details"));
      t.failure = std::move(failure);
    }
  }
  std::size_t count = 0;
  WEAVE_ASSIGN_OR_RETURN(count, ReadCount(p, "tasks", kMaxRecords));
  // Records are appended as they are read, never allocated from the count: a corrupt count
  // ends at the end of the file ("truncated?"), not in a huge allocation.
  t.tasks.reserve(std::min(count, p.lines_left()));
  for (std::size_t i = 0; i < count; ++i) {
    TraceTask& task = t.tasks.emplace_back();
    absl::string_view v;
    WEAVE_ASSIGN_OR_RETURN(v, p.Field("task"));
    task_lines.push_back(p.line_no());
    Fields f(v);
    absl::string_view kind;
    if (!f.Integer(task.id) || !f.Word(kind) || !f.Integer(task.parent) || !f.Quoted(task.name) ||
        !f.Done()) {
      return p.Error("'task <id> <kind> <parent> \"<name>\"'", p.current_line());
    }
    task.kind = std::string(kind);
  }
  WEAVE_ASSIGN_OR_RETURN(count, ReadCount(p, "objects", kMaxRecords));
  t.objects.reserve(std::min(count, p.lines_left()));
  for (std::size_t i = 0; i < count; ++i) {
    TraceObject& o = t.objects.emplace_back();
    absl::string_view v;
    WEAVE_ASSIGN_OR_RETURN(v, p.Field("object"));
    object_lines.push_back(p.line_no());
    Fields f(v);
    absl::string_view kind;
    if (!f.Integer(o.id) || !f.Word(kind) || !f.Quoted(o.name) || !f.Done()) {
      return p.Error("'object <id> <kind> \"<name>\"'", p.current_line());
    }
    o.kind = std::string(kind);
  }
  WEAVE_ASSIGN_OR_RETURN(count, ReadCount(p, "stacks", kMaxRecords));
  t.stacks.reserve(std::min(count, p.lines_left()));
  for (std::size_t i = 0; i < count; ++i) {
    t.stacks.emplace_back();
    absl::string_view v;
    WEAVE_ASSIGN_OR_RETURN(v, p.Field("stack"));
    Fields f(v);
    std::size_t id = 0;
    std::size_t frames = 0;
    if (!f.Integer(id) || id != i || !f.Integer(frames) || frames > 100'000 || !f.Done()) {
      return p.Error(absl::StrCat("'stack ", i, " <frame count>'"), p.current_line());
    }
    t.stacks[i].frames.reserve(std::min(frames, p.lines_left()));
    for (std::size_t k = 0; k < frames; ++k) {
      TraceFrame& frame = t.stacks[i].frames.emplace_back();
      WEAVE_ASSIGN_OR_RETURN(v, p.Field("frame"));
      Fields ff(v);
      absl::string_view visibility;
      if (!ff.Word(visibility) || (visibility != "u" && visibility != "i") ||
          !ff.Integer(frame.line) || !ff.Quoted(frame.file) || !ff.Quoted(frame.function) ||
          !ff.Done()) {
        return p.Error(R"('frame <u|i> <line> "<file>" "<function>"')", p.current_line());
      }
      frame.internal = visibility == "i";
    }
  }
  WEAVE_ASSIGN_OR_RETURN(count, ReadCount(p, "events", kMaxRecords));
  t.events.reserve(std::min(count, p.lines_left()));
  for (std::size_t i = 0; i < count; ++i) {
    TraceEvent& e = t.events.emplace_back();
    absl::string_view line;
    WEAVE_ASSIGN_OR_RETURN(
        line, p.Next("an event '<step> <time-ns> <task> <kind> <operation> <object> <value> "
                     "<stack>'"));
    event_lines.push_back(p.line_no());
    Fields f(line);
    absl::string_view kind;
    absl::string_view op;
    std::optional<TraceEventKind> parsed_kind;
    std::optional<TraceOperation> parsed_op;
    if (!f.Integer(e.step) || !f.Integer(e.time_ns) || !f.Integer(e.task) || !f.Word(kind) ||
        !(parsed_kind = ParseTraceEventKind(detail::SV(kind))) || !f.Word(op) ||
        !(parsed_op = ParseTraceOperation(detail::SV(op))) || !f.Integer(e.object) ||
        !f.Integer(e.value) || !f.Integer(e.stack) || !f.Done()) {
      return p.Error(
          absl::StrCat("an event '<step> <time-ns> <task> <kind> <operation> <object> <value> "
                       "<stack>' (event ",
                       i, " of ", count, ")"),
          line);
    }
    e.kind = *parsed_kind;
    e.operation = *parsed_op;
  }
  {
    absl::string_view end;
    WEAVE_ASSIGN_OR_RETURN(end, p.Next("'end'"));
    if (end != "end") {
      return p.Error(absl::StrCat("'end' after ", t.events.size(), " events"), end);
    }
  }
#undef WEAVE_ASSIGN_OR_RETURN
  if (std::optional<TraceProblem> problem = FindProblem(t)) {
    int line = steps_line;
    switch (problem->part) {
      case TraceProblem::Part::kHeader:
        break;
      case TraceProblem::Part::kFailure:
        line = failure_line;
        break;
      case TraceProblem::Part::kTask:
        line = task_lines[problem->index];
        break;
      case TraceProblem::Part::kObject:
        line = object_lines[problem->index];
        break;
      case TraceProblem::Part::kEvent:
        line = event_lines[problem->index];
        break;
    }
    return absl::InvalidArgumentError(absl::StrCat(AV(source), ":", line, ": ", problem->message));
  }
  return t;
}

absl::StatusOr<Trace> ReadTraceFile(const std::string& path) {
  absl::StatusOr<std::string> text = detail::ReadWholeFile(path, "trace file");
  if (!text.ok()) return text.status();
  return ParseTrace(*text, path);
}

absl::Status WriteTraceFile(const Trace& trace, const std::string& path) {
  return detail::WriteFileAtomically(path, FormatTrace(trace));
}

}  // namespace weave
