// weave show: a trace as a timeline on the terminal, one line per event or one column per task.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli_support.hpp"
#include "commands.hpp"

#include "weave/failure.hpp"
#include "weave/trace.hpp"

namespace weave::cli {
namespace {

constexpr std::string_view kHelp =
    R"(usage: weave show FILE [options]

Prints the trace as a timeline: a header with the test and its failure, one line per event
(step, virtual time, task, what happened), and the command that replays the schedule.

options:
  --task ID|NAME     only the events of this task and the events that name it (it is spawned,
                     woken, joined or timed out); repeatable. A number is a task id, anything
                     else a task name (every task of that name)
  --from STEP        only events at STEP or later
  --to STEP          only events at STEP or earlier
  --columns          one column per task, side by side
  --stacks           the stack after each event that has one (where a task blocked or failed)
  --all-frames       with the stacks, the frames inside weave, the standard library and the
                     harness too (implies --stacks)
  --color[=WHEN]     colour per task: auto (on a terminal, unless NO_COLOR is set), always, or
                     never; a bare --color means always
  -h, --help         this help

example: weave show weave-out/Bank.Transfer.trace --task teller --from 40
)";

// Columns of a task in `weave show --columns`, separator included.
constexpr std::size_t kColumnWidth = 26;

struct ShowOptions {
  std::vector<bool> selected;  // by task id; empty: every task
  std::int64_t from = 0;
  std::int64_t to = std::numeric_limits<std::int64_t>::max();
  bool columns = false;
  bool stacks = false;
  bool all_frames = false;
  bool color = false;
};

// ANSI colour, or plain text when colour is off.
class Painter {
 public:
  explicit Painter(bool on) : on_(on) {}

  std::string Paint(std::string_view code, std::string_view text) const {
    if (!on_ || text.empty()) return std::string(text);
    return absl::StrCat("\x1b[", AV(code), "m", AV(text), "\x1b[0m");
  }
  // Each task keeps its colour everywhere it appears; red is left to the failure.
  std::string Task(TaskId id, std::string_view text) const {
    static constexpr std::string_view kPalette[] = {"36", "33", "35", "32", "34",
                                                    "96", "93", "95", "92", "94"};
    if (id < 0) return std::string(text);
    return Paint(kPalette[static_cast<std::size_t>(id) % std::size(kPalette)], text);
  }
  std::string Bold(std::string_view text) const { return Paint("1", text); }
  std::string Dim(std::string_view text) const { return Paint("2", text); }
  std::string Failure(std::string_view text) const { return Paint("1;31", text); }

 private:
  bool on_;
};

// --- naming things ------------------------------------------------------------------------------

bool TaskInRange(const Trace& t, std::int64_t id) {
  return id >= 0 && static_cast<std::uint64_t>(id) < t.tasks.size();
}

// "consumer", or "task 3" when unnamed: the short form for narrow columns.
std::string TaskShort(const Trace& t, std::int64_t id) {
  if (!TaskInRange(t, id)) return absl::StrCat("task ", id);
  const std::string& name = t.tasks[static_cast<std::size_t>(id)].name;
  return name.empty() ? absl::StrCat("task ", id) : name;
}

// "2 consumer", or "2": the task column of the timeline.
std::string TaskColumnLabel(const Trace& t, TaskId id) {
  if (id == kNoTask) return "";
  if (!TaskInRange(t, id)) return absl::StrCat(id);
  const std::string& name = t.tasks[static_cast<std::size_t>(id)].name;
  return name.empty() ? absl::StrCat(id) : absl::StrCat(id, " ", name);
}

// "m", or "shared #2" when unnamed.
std::string ObjectShort(const Trace& t, std::int32_t id) {
  if (id < 0 || static_cast<std::size_t>(id) >= t.objects.size()) return absl::StrCat("#", id);
  const TraceObject& o = t.objects[static_cast<std::size_t>(id)];
  return o.name.empty() ? absl::StrCat(o.kind, " #", id) : o.name;
}

// What happened, without step, time or acting task. `brief`: short names, for the columns.
std::string EventText(const Trace& t, const TraceEvent& e, bool brief) {
  const auto task = [&](std::int64_t id) {
    return brief ? TaskShort(t, id) : t.TaskLabel(static_cast<TaskId>(id));
  };
  const std::string object =
      e.object < 0 ? ""
                   : absl::StrCat(" ", brief ? ObjectShort(t, e.object) : t.ObjectLabel(e.object));
  const std::string op(TraceOperationName(e.operation));
  switch (e.kind) {
    case TraceEventKind::kRun:
      return "runs";
    case TraceEventKind::kPoint:
      return e.operation == TraceOperation::kChoose ? absl::StrCat(op, object, " -> ", e.value)
                                                    : absl::StrCat(op, object);
    case TraceEventKind::kBlock:
      return absl::StrCat(brief ? "BLOCKS " : "blocks: ", op, object,
                          e.value >= 0 ? absl::StrCat(" ", task(e.value)) : "");
    case TraceEventKind::kWake:
      return brief ? absl::StrCat("wakes ", task(e.value))
                   : absl::StrCat("wakes ", task(e.value), " (", op, object, ")");
    case TraceEventKind::kTimeout:
      return absl::StrCat("timeout of ", task(e.value), " (", op, object, ")");
    case TraceEventKind::kSpawn:
      return absl::StrCat("spawns ", task(e.value));
    case TraceEventKind::kJoin:
      return absl::StrCat("joins ", task(e.value));
    case TraceEventKind::kFinish:
      return "finishes";
    case TraceEventKind::kSend:
      return brief ? absl::StrCat("sends #", e.value, " on", object)
                   : absl::StrCat("sends message ", e.value, " on", object);
    case TraceEventKind::kReceive:
      if (e.value < 0) return absl::StrCat("receives an earlier message from", object);
      return brief ? absl::StrCat("receives #", e.value, " from", object)
                   : absl::StrCat("receives message ", e.value, " from", object);
    case TraceEventKind::kFailure: {
      const std::string kind = e.value >= 0 && e.value <= 255
                                   ? std::string(FailureKindName(static_cast<FailureKind>(e.value)))
                                   : absl::StrCat("failure ", e.value);
      // The message usually starts with the kind ("deadlock: ..."); the header names both.
      if (brief || !t.failure || t.failure->message.empty()) return absl::StrCat("FAILS: ", kind);
      return absl::StrCat("FAILS: ", t.failure->message);
    }
  }
  return absl::StrCat("event ", static_cast<int>(e.kind));
}

// --- selecting events ---------------------------------------------------------------------------

// The tasks `spec` names: an id, or every task with that name.
absl::StatusOr<std::vector<TaskId>> FindTasks(const Trace& t, const std::string& spec,
                                              const std::string& file) {
  std::int64_t id = 0;
  if (!spec.empty() &&
      std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (absl::SimpleAtoi(spec, &id) && TaskInRange(t, id))
      return std::vector{static_cast<TaskId>(id)};
    return UsageError(absl::StrCat("no task ", spec, " in ", file, "; its tasks are 0 to ",
                                   static_cast<std::int64_t>(t.tasks.size()) - 1));
  }
  std::vector<TaskId> found;
  for (const TraceTask& task : t.tasks) {
    if (task.name == spec) found.push_back(task.id);
  }
  if (!found.empty()) return found;
  std::vector<std::string> known;
  for (const TraceTask& task : t.tasks) {
    if (known.size() == 8) {
      known.emplace_back("...");
      break;
    }
    known.push_back(TaskColumnLabel(t, task.id));
  }
  return UsageError(absl::StrCat("no task named '", spec, "' in ", file,
                                 "; its tasks: ", absl::StrJoin(known, ", ")));
}

bool Selected(const ShowOptions& o, std::int64_t task) {
  return task >= 0 && static_cast<std::uint64_t>(task) < o.selected.size() &&
         o.selected[static_cast<std::size_t>(task)];
}

// Whether the event names a task other than the one that made it (as its value).
bool NamesTask(const TraceEvent& e) {
  switch (e.kind) {
    case TraceEventKind::kWake:
    case TraceEventKind::kTimeout:
    case TraceEventKind::kSpawn:
    case TraceEventKind::kJoin:
    case TraceEventKind::kBlock:  // a join's task
      return true;
    default:
      return false;
  }
}

bool Shown(const ShowOptions& o, const TraceEvent& e) {
  if (e.step < o.from || e.step > o.to) return false;
  if (o.selected.empty()) return true;
  return Selected(o, e.task) || (NamesTask(e) && Selected(o, e.value));
}

// --- printing -----------------------------------------------------------------------------------

std::string Header(const Trace& t, const Painter& p) {
  std::string out = p.Bold(Printable(t.test_name.empty() ? "(unnamed test)" : t.test_name));
  if (t.failure) {
    const TraceFailure& f = *t.failure;
    absl::StrAppend(
        &out, ": ", p.Failure(absl::StrCat("FAILED (", AV(FailureKindName(f.kind)), ")")),
        " at step ", f.step,
        f.task != kNoTask ? absl::StrCat(" in ", Printable(t.TaskLabel(f.task))) : "", "\n");
    absl::StrAppend(&out, "  ", p.Failure(Printable(f.message)), "\n");
    if (!f.details.empty()) {
      for (absl::string_view line : absl::StrSplit(f.details, '\n')) {
        absl::StrAppend(&out, "    ", Printable(SV(line)), "\n");
      }
    }
  } else {
    out += ": no failure\n";
  }
  absl::StrAppend(&out, Printable(t.strategy.empty() ? "unknown" : t.strategy), " strategy, seed ",
                  t.seed, t.iteration >= 0 ? absl::StrCat(", iteration ", t.iteration) : "", "; ",
                  AV(TraceModeName(t.mode)), " trace: ", t.steps, " steps, ",
                  FormatDuration(t.end_time_ns), " of virtual time, ", t.tasks.size(), " tasks, ",
                  t.objects.size(), " objects, ", t.events.size(), " events\n");
  if (t.mode == TraceMode::kRing && t.dropped_events > 0) {
    absl::StrAppend(&out, "(first ", t.dropped_events, " events were dropped: ring mode)\n");
  }
  return out;
}

// The frames of stack `id`, each on a line of its own after `indent` spaces.
std::string StackText(const Trace& t, std::int32_t id, bool all_frames, std::size_t indent,
                      const Painter& p) {
  if (id < 0 || static_cast<std::size_t>(id) >= t.stacks.size()) return "";
  const std::string pad(indent, ' ');
  std::string out;
  int hidden = 0;
  for (const TraceFrame& f : t.stacks[static_cast<std::size_t>(id)].frames) {
    if (f.internal && !all_frames) {
      ++hidden;
      continue;
    }
    std::string line = absl::StrCat("at ", f.function.empty() ? "??" : Printable(f.function));
    if (!f.file.empty()) absl::StrAppend(&line, "  ", Printable(f.file), ":", f.line);
    if (f.internal) line += "  [internal]";
    absl::StrAppend(&out, pad, p.Dim(line), "\n");
  }
  if (hidden > 0) {
    absl::StrAppend(
        &out, pad,
        p.Dim(absl::StrCat("(", hidden, hidden == 1 ? " internal frame" : " internal frames",
                           " hidden: --all-frames shows ", hidden == 1 ? "it)" : "them)")),
        "\n");
  }
  return out;
}

std::string StepText(const TraceEvent& e) { return absl::StrCat(e.step); }

void PrintLines(const Trace& t, const ShowOptions& o, const std::vector<const TraceEvent*>& events,
                const Painter& p, StdoutWriter& out) {
  std::size_t step_width = 4;
  std::size_t time_width = 4;
  std::size_t task_width = 4;
  for (const TraceEvent* e : events) {
    step_width = std::max(step_width, StepText(*e).size());
    time_width = std::max(time_width, FormatDuration(e->time_ns).size());
    task_width = std::max(task_width, DisplayWidth(Printable(TaskColumnLabel(t, e->task))));
  }
  task_width = std::min<std::size_t>(task_width, 24);
  out.Write(p.Bold(absl::StrCat(PadLeft("step", step_width), "  ", PadLeft("time", time_width),
                                "  ", PadRight("task", task_width), "  event")));
  out.Write("\n");
  const std::size_t stack_indent = step_width + time_width + task_width + 6;
  for (const TraceEvent* e : events) {
    const std::string label = Truncate(Printable(TaskColumnLabel(t, e->task)), task_width);
    std::string text = Printable(EventText(t, *e, /*brief=*/false));
    text = e->kind == TraceEventKind::kFailure ? p.Failure(text) : p.Task(e->task, text);
    std::string line =
        absl::StrCat(PadLeft(StepText(*e), step_width), "  ",
                     PadLeft(FormatDuration(e->time_ns), time_width), "  ", p.Task(e->task, label),
                     std::string(task_width - DisplayWidth(label), ' '), "  ", text);
    out.Write(line);
    out.Write("\n");
    if (o.stacks && e->stack >= 0) out.Write(StackText(t, e->stack, o.all_frames, stack_indent, p));
  }
}

void PrintColumns(const Trace& t, const ShowOptions& o,
                  const std::vector<const TraceEvent*>& events, const Painter& p,
                  StdoutWriter& out) {
  // The columns: the selected tasks, or all of them; column_of maps a task id to its column.
  std::vector<TaskId> tasks;
  std::vector<int> column_of(t.tasks.size(), -1);
  for (const TraceTask& task : t.tasks) {
    if (!o.selected.empty() && !Selected(o, task.id)) continue;
    column_of[static_cast<std::size_t>(task.id)] = static_cast<int>(tasks.size());
    tasks.push_back(task.id);
  }
  const auto column = [&](std::int64_t task) {
    return TaskInRange(t, task) ? column_of[static_cast<std::size_t>(task)] : -1;
  };
  std::size_t step_width = 4;
  std::size_t time_width = 4;
  for (const TraceEvent* e : events) {
    step_width = std::max(step_width, StepText(*e).size());
    time_width = std::max(time_width, FormatDuration(e->time_ns).size());
  }
  const std::size_t gutter = step_width + 2 + time_width + 2;
  const std::size_t cell_width = kColumnWidth - 3;  // between "| " and a space
  const auto row = [&](const std::string& step, const std::string& time, int at,
                       const std::string& cell, TaskId color_of, bool failure) {
    std::string line =
        absl::StrCat(PadLeft(step, step_width), "  ", PadLeft(time, time_width), "  ");
    for (std::size_t c = 0; c < tasks.size(); ++c) {
      line += "| ";
      if (static_cast<int>(c) != at) {
        line.append(cell_width + 1, ' ');
        continue;
      }
      const std::string text = Truncate(cell, cell_width);
      absl::StrAppend(&line, failure ? p.Failure(text) : p.Task(color_of, text),
                      std::string(cell_width + 1 - DisplayWidth(text), ' '));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  std::string header =
      absl::StrCat(PadLeft("step", step_width), "  ", PadLeft("time", time_width), "  ");
  for (TaskId id : tasks) {
    const std::string label = Truncate(Printable(TaskColumnLabel(t, id)), cell_width);
    absl::StrAppend(&header, "| ", p.Bold(p.Task(id, label)),
                    std::string(cell_width + 1 - DisplayWidth(label), ' '));
  }
  while (!header.empty() && header.back() == ' ') header.pop_back();
  out.Write(header);
  out.Write("\n");
  std::string rule(gutter, '-');
  for (std::size_t c = 0; c < tasks.size(); ++c) {
    absl::StrAppend(&rule, "+", std::string(kColumnWidth - 1, '-'));
  }
  out.Write(rule + "\n");
  for (const TraceEvent* e : events) {
    int at = column(e->task);
    std::string cell = Printable(EventText(t, *e, /*brief=*/true));
    if (e->task == kNoTask && e->kind == TraceEventKind::kTimeout) {
      at = column(e->value);  // in the column of the task whose deadline passed
      cell = absl::StrCat("timeout (", AV(TraceOperationName(e->operation)), ")");
    } else if (at < 0 && NamesTask(*e)) {
      // Made by a task without a column (or by none: a timeout), about one with a column.
      at = column(e->value);
      if (e->task != kNoTask) cell = absl::StrCat(Printable(TaskShort(t, e->task)), ": ", cell);
    }
    if (at < 0) continue;
    out.Write(row(StepText(*e), FormatDuration(e->time_ns), at, cell,
                  tasks[static_cast<std::size_t>(at)], e->kind == TraceEventKind::kFailure));
    if (o.stacks && e->stack >= 0) {
      out.Write(StackText(t, e->stack, o.all_frames,
                          gutter + static_cast<std::size_t>(at) * kColumnWidth + 2, p));
    }
  }
}

absl::StatusOr<bool> UseColor(const std::string& when) {
  if (when == "always") return true;
  if (when == "never") return false;
  if (when == "auto") {
    // https://no-color.org: a non-empty NO_COLOR turns colour off unless asked for explicitly.
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && no_color[0] != '\0') return false;
    return ::isatty(STDOUT_FILENO) == 1;
  }
  return UsageError(
      absl::StrCat("option '--color' expects auto, always or never, got '", when, "'"));
}

absl::Status RunShow(const std::vector<std::string>& argv) {
  absl::StatusOr<ParsedArgs> args =
      ParseArgs(argv, {{"task", '\0', OptionSpec::kRequired},
                       {"from", '\0', OptionSpec::kRequired},
                       {"to", '\0', OptionSpec::kRequired},
                       {"columns", '\0', OptionSpec::kNone},
                       {"stacks", '\0', OptionSpec::kNone},
                       {"all-frames", '\0', OptionSpec::kNone},
                       {"color", '\0', OptionSpec::kAttached, "always"},
                       {"colour", '\0', OptionSpec::kAttached, "always"}});
  if (!args.ok()) return args.status();
  absl::StatusOr<std::string> file = SingleFile(*args);
  if (!file.ok()) return file.status();
  ShowOptions o;
  if (args->Has("from")) {
    absl::StatusOr<std::int64_t> from = ParseStep("from", args->Last("from"));
    if (!from.ok()) return from.status();
    o.from = *from;
  }
  if (args->Has("to")) {
    absl::StatusOr<std::int64_t> to = ParseStep("to", args->Last("to"));
    if (!to.ok()) return to.status();
    o.to = *to;
  }
  if (o.from > o.to) {
    return UsageError(absl::StrCat("--from ", o.from, " is after --to ", o.to));
  }
  o.columns = args->Has("columns");
  o.all_frames = args->Has("all-frames");
  o.stacks = args->Has("stacks") || o.all_frames;
  // Both spellings of the option; the last one given wins.
  std::string when = "auto";
  for (const auto& [name, value] : args->options) {
    if (name == "color" || name == "colour") when = value;
  }
  absl::StatusOr<bool> color = UseColor(when);
  if (!color.ok()) return color.status();
  o.color = *color;

  absl::StatusOr<Trace> trace = LoadTrace(*file);
  if (!trace.ok()) return trace.status();
  const Trace& t = *trace;
  for (const std::string& spec : args->All("task")) {
    absl::StatusOr<std::vector<TaskId>> ids = FindTasks(t, spec, *file);
    if (!ids.ok()) return ids.status();
    o.selected.resize(t.tasks.size(), false);
    for (TaskId id : *ids) o.selected[static_cast<std::size_t>(id)] = true;
  }

  std::vector<const TraceEvent*> events;
  int with_stacks = 0;
  for (const TraceEvent& e : t.events) {
    if (!Shown(o, e)) continue;
    events.push_back(&e);
    if (e.stack >= 0) ++with_stacks;
  }
  const Painter p(o.color);
  StdoutWriter out;
  out.Write(Header(t, p));
  out.Write("\n");
  if (o.columns) {
    PrintColumns(t, o, events, p, out);
  } else {
    PrintLines(t, o, events, p, out);
  }
  out.Write("\n");
  if (events.size() != t.events.size()) {
    out.Write(absl::StrCat("shown: ", events.size(), " of ", t.events.size(), " events\n"));
  }
  if (!o.stacks && with_stacks > 0) {
    out.Write(absl::StrCat(with_stacks,
                           with_stacks == 1 ? " event has a stack" : " events have stacks",
                           ": --stacks shows ", with_stacks == 1 ? "it" : "them", "\n"));
  }
  if (!t.replay_command.empty()) {
    out.Write(absl::StrCat("replay: ", p.Bold(Printable(t.replay_command)), "\n"));
  } else if (!t.schedule_path.empty()) {
    out.Write(absl::StrCat("schedule: ", Printable(t.schedule_path), "\n"));
  }
  return out.Finish();
}

}  // namespace

const Command kShowCommand = {"show", "the trace as a timeline: one line per event, or --columns",
                              kHelp, RunShow};

}  // namespace weave::cli
