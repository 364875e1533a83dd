// weave stats: what each task did and waited for, and how contended each object was.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli_support.hpp"
#include "commands.hpp"

#include "weave/trace.hpp"

namespace weave::cli {
namespace {

constexpr std::string_view kHelp =
    R"(usage: weave stats FILE [--json]

Counts, per task:
  steps          scheduling steps in which the task made an event
  events         events the task made
  runs           times the scheduler switched to it (running spans)
  blocks         times it blocked
  blocked steps  steps from each block to its next run (to the end of the run if none)
  blocked time   the same in virtual time
  wakes given    tasks it woke; woken: times another task woke it
  timeouts       times a deadline woke it
per object:
  operations     operations tasks performed on it (a blocked attempt counts once)
  blocks         times a task blocked on it (contention)
  blocked steps, blocked time: as for tasks, for the blocks on this object
  tasks          distinct tasks that operated on it
and totals for the run. In ring mode only the recorded events count.

options:
  --json       machine-readable output
  -h, --help   this help
)";

struct TaskStats {
  std::int64_t steps = 0;
  std::int64_t events = 0;
  std::int64_t runs = 0;
  std::int64_t blocks = 0;
  std::int64_t blocked_steps = 0;
  std::int64_t blocked_ns = 0;
  std::int64_t wakes_given = 0;
  std::int64_t wakes_received = 0;
  std::int64_t timeouts = 0;
};

struct ObjectStats {
  std::int64_t operations = 0;
  std::int64_t blocks = 0;
  std::int64_t blocked_steps = 0;
  std::int64_t blocked_ns = 0;
  std::int64_t tasks = 0;
};

struct Totals {
  std::int64_t runs = 0;
  std::int64_t blocks = 0;
  std::int64_t blocked_steps = 0;
  std::int64_t blocked_ns = 0;
  std::int64_t wakes = 0;
  std::int64_t timeouts = 0;
  std::int64_t spawns = 0;
  std::int64_t joins = 0;
  std::int64_t messages_sent = 0;
  std::int64_t messages_received = 0;
};

struct Stats {
  std::vector<TaskStats> tasks;      // by task id
  std::vector<ObjectStats> objects;  // by object id
  Totals totals;
};

// Whether `id` indexes `v` (ids were validated against the trace; this keeps the arithmetic
// honest for kinds whose value is not a task).
template <class V>
bool InRange(const V& v, std::int64_t id) {
  return id >= 0 && static_cast<std::uint64_t>(id) < v.size();
}

Stats Compute(const Trace& t) {
  Stats s;
  s.tasks.resize(t.tasks.size());
  s.objects.resize(t.objects.size());
  // A block not yet followed by a run of its task.
  struct Pending {
    bool active = false;
    std::int64_t step = 0;
    std::int64_t time_ns = 0;
    std::int32_t object = -1;
  };
  std::vector<Pending> pending(t.tasks.size());
  std::vector<std::int64_t> last_step(t.tasks.size(), -1);
  // The last operation counted per object: a blocked attempt is recorded twice (its scheduling
  // point, then the block), and a send or receive may come with its point as well.
  struct OpKey {
    TaskId task = kNoTask;
    std::int64_t step = -1;
    TraceOperation op = TraceOperation::kStart;
    bool operator==(const OpKey&) const = default;
  };
  std::vector<OpKey> last_op(t.objects.size());
  std::vector<std::pair<std::int32_t, TaskId>> users;  // (object, task), made distinct below

  const auto close_block = [&](TaskId task, std::int64_t step, std::int64_t time_ns) {
    Pending& b = pending[static_cast<std::size_t>(task)];
    if (!b.active) return;
    b.active = false;
    const std::int64_t steps = SaturatingSub(step, b.step);
    const std::int64_t ns = SaturatingSub(time_ns, b.time_ns);
    TaskStats& ts = s.tasks[static_cast<std::size_t>(task)];
    ts.blocked_steps = SaturatingAdd(ts.blocked_steps, steps);
    ts.blocked_ns = SaturatingAdd(ts.blocked_ns, ns);
    s.totals.blocked_steps = SaturatingAdd(s.totals.blocked_steps, steps);
    s.totals.blocked_ns = SaturatingAdd(s.totals.blocked_ns, ns);
    if (InRange(s.objects, b.object)) {
      ObjectStats& os = s.objects[static_cast<std::size_t>(b.object)];
      os.blocked_steps = SaturatingAdd(os.blocked_steps, steps);
      os.blocked_ns = SaturatingAdd(os.blocked_ns, ns);
    }
  };

  for (const TraceEvent& e : t.events) {
    const bool by_task = InRange(s.tasks, e.task);
    if (by_task) {
      TaskStats& ts = s.tasks[static_cast<std::size_t>(e.task)];
      ++ts.events;
      if (last_step[static_cast<std::size_t>(e.task)] != e.step) ++ts.steps;
      last_step[static_cast<std::size_t>(e.task)] = e.step;
    }
    if (by_task && InRange(s.objects, e.object)) {
      switch (e.kind) {
        case TraceEventKind::kPoint:
        case TraceEventKind::kBlock:
        case TraceEventKind::kSend:
        case TraceEventKind::kReceive: {
          const OpKey key{e.task, e.step, e.operation};
          OpKey& last = last_op[static_cast<std::size_t>(e.object)];
          if (!(last == key)) ++s.objects[static_cast<std::size_t>(e.object)].operations;
          last = key;
          users.emplace_back(e.object, e.task);
          break;
        }
        default:
          break;
      }
    }
    switch (e.kind) {
      case TraceEventKind::kRun:
        if (!by_task) break;
        ++s.tasks[static_cast<std::size_t>(e.task)].runs;
        ++s.totals.runs;
        close_block(e.task, e.step, e.time_ns);
        break;
      case TraceEventKind::kBlock: {
        if (!by_task) break;
        ++s.tasks[static_cast<std::size_t>(e.task)].blocks;
        ++s.totals.blocks;
        if (InRange(s.objects, e.object)) ++s.objects[static_cast<std::size_t>(e.object)].blocks;
        close_block(e.task, e.step, e.time_ns);  // two blocks without a run: the first ends
        pending[static_cast<std::size_t>(e.task)] = {true, e.step, e.time_ns, e.object};
        break;
      }
      case TraceEventKind::kWake:
        ++s.totals.wakes;
        if (by_task) ++s.tasks[static_cast<std::size_t>(e.task)].wakes_given;
        if (InRange(s.tasks, e.value)) ++s.tasks[static_cast<std::size_t>(e.value)].wakes_received;
        break;
      case TraceEventKind::kTimeout:
        ++s.totals.timeouts;
        if (InRange(s.tasks, e.value)) ++s.tasks[static_cast<std::size_t>(e.value)].timeouts;
        break;
      case TraceEventKind::kSpawn:
        ++s.totals.spawns;
        break;
      case TraceEventKind::kJoin:
        ++s.totals.joins;
        break;
      case TraceEventKind::kSend:
        ++s.totals.messages_sent;
        break;
      case TraceEventKind::kReceive:
        ++s.totals.messages_received;
        break;
      default:
        break;
    }
  }
  // Tasks still blocked at the end wait until the run ends.
  std::int64_t end_step = t.steps;
  std::int64_t end_time = t.end_time_ns;
  if (!t.events.empty()) {
    end_step = std::max(end_step, t.events.back().step);
    end_time = std::max(end_time, t.events.back().time_ns);
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    close_block(static_cast<TaskId>(i), end_step, end_time);
  }
  std::sort(users.begin(), users.end());
  users.erase(std::unique(users.begin(), users.end()), users.end());
  for (const auto& user : users) ++s.objects[static_cast<std::size_t>(user.first)].tasks;
  return s;
}

// --- output -------------------------------------------------------------------------------------

// Rows of cells; the first `left` columns are aligned left, the rest (numbers) right.
std::string Table(const std::vector<std::vector<std::string>>& rows, std::size_t left) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      line += c < left ? PadRight(row[c], widths[c]) : PadLeft(row[c], widths[c]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

// "2 consumer", cut so that one long name does not widen the whole table.
std::string Label(std::int64_t id, const std::string& name) {
  return Truncate(name.empty() ? absl::StrCat(id) : absl::StrCat(id, " ", Printable(name)), 32);
}

std::string TextReport(const Trace& t, const Stats& s) {
  std::string out = absl::StrCat(
      Printable(t.test_name.empty() ? "(unnamed test)" : t.test_name), ": ", t.steps, " steps, ",
      FormatDuration(t.end_time_ns), " of virtual time, ", t.events.size(), " events",
      t.dropped_events > 0
          ? absl::StrCat(" (", t.dropped_events, " earlier ones dropped: ring mode)")
          : "",
      "\n\n");
  std::vector<std::vector<std::string>> rows = {{"task", "kind", "steps", "events", "runs",
                                                 "blocks", "blocked steps", "blocked time",
                                                 "wakes given", "woken", "timeouts"}};
  for (std::size_t i = 0; i < s.tasks.size(); ++i) {
    const TaskStats& ts = s.tasks[i];
    rows.push_back({Label(t.tasks[i].id, t.tasks[i].name), Printable(t.tasks[i].kind),
                    absl::StrCat(ts.steps), absl::StrCat(ts.events), absl::StrCat(ts.runs),
                    absl::StrCat(ts.blocks), absl::StrCat(ts.blocked_steps),
                    FormatDuration(ts.blocked_ns), absl::StrCat(ts.wakes_given),
                    absl::StrCat(ts.wakes_received), absl::StrCat(ts.timeouts)});
  }
  out += Table(rows, 2);
  if (!s.objects.empty()) {
    rows = {{"object", "kind", "operations", "blocks", "blocked steps", "blocked time", "tasks"}};
    for (std::size_t i = 0; i < s.objects.size(); ++i) {
      const ObjectStats& os = s.objects[i];
      rows.push_back({Label(t.objects[i].id, t.objects[i].name), Printable(t.objects[i].kind),
                      absl::StrCat(os.operations), absl::StrCat(os.blocks),
                      absl::StrCat(os.blocked_steps), FormatDuration(os.blocked_ns),
                      absl::StrCat(os.tasks)});
    }
    absl::StrAppend(&out, "\n", Table(rows, 2));
  }
  const Totals& x = s.totals;
  rows = {
      {"totals", ""},
      {"  tasks", absl::StrCat(t.tasks.size())},
      {"  objects", absl::StrCat(t.objects.size())},
      {"  events", absl::StrCat(t.events.size())},
      {"  runs", absl::StrCat(x.runs)},
      {"  blocks", absl::StrCat(x.blocks)},
      {"  blocked steps", absl::StrCat(x.blocked_steps)},
      {"  blocked time", FormatDuration(x.blocked_ns)},
      {"  wakes", absl::StrCat(x.wakes)},
      {"  timeouts", absl::StrCat(x.timeouts)},
      {"  spawns", absl::StrCat(x.spawns)},
      {"  joins", absl::StrCat(x.joins)},
      {"  messages sent", absl::StrCat(x.messages_sent)},
      {"  messages received", absl::StrCat(x.messages_received)},
  };
  absl::StrAppend(&out, "\n", Table(rows, 1));
  return out;
}

// One object per task and per object on a line of its own, so the output also greps well.
std::string JsonReport(const Trace& t, const Stats& s) {
  std::string out =
      absl::StrCat("{\n  \"test\": ", JsonString(t.test_name), ",\n  \"steps\": ", t.steps,
                   ",\n  \"end_time_ns\": ", t.end_time_ns, ",\n  \"events\": ", t.events.size(),
                   ",\n  \"dropped_events\": ", t.dropped_events, ",\n  \"tasks\": [");
  for (std::size_t i = 0; i < s.tasks.size(); ++i) {
    const TaskStats& ts = s.tasks[i];
    absl::StrAppend(
        &out, i == 0 ? "\n" : ",\n", "    {\"id\": ", t.tasks[i].id,
        ", \"name\": ", JsonString(t.tasks[i].name), ", \"kind\": ", JsonString(t.tasks[i].kind),
        ", \"steps\": ", ts.steps, ", \"events\": ", ts.events, ", \"runs\": ", ts.runs,
        ", \"blocks\": ", ts.blocks, ", \"blocked_steps\": ", ts.blocked_steps,
        ", \"blocked_ns\": ", ts.blocked_ns, ", \"wakes_given\": ", ts.wakes_given,
        ", \"wakes_received\": ", ts.wakes_received, ", \"timeouts\": ", ts.timeouts, "}");
  }
  absl::StrAppend(&out, s.tasks.empty() ? "" : "\n  ", "],\n  \"objects\": [");
  for (std::size_t i = 0; i < s.objects.size(); ++i) {
    const ObjectStats& os = s.objects[i];
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", "    {\"id\": ", t.objects[i].id,
                    ", \"name\": ", JsonString(t.objects[i].name),
                    ", \"kind\": ", JsonString(t.objects[i].kind),
                    ", \"operations\": ", os.operations, ", \"blocks\": ", os.blocks,
                    ", \"blocked_steps\": ", os.blocked_steps, ", \"blocked_ns\": ", os.blocked_ns,
                    ", \"tasks\": ", os.tasks, "}");
  }
  const Totals& x = s.totals;
  absl::StrAppend(&out, s.objects.empty() ? "" : "\n  ", "],\n  \"totals\": {\"runs\": ", x.runs,
                  ", \"blocks\": ", x.blocks, ", \"blocked_steps\": ", x.blocked_steps,
                  ", \"blocked_ns\": ", x.blocked_ns, ", \"wakes\": ", x.wakes,
                  ", \"timeouts\": ", x.timeouts, ", \"spawns\": ", x.spawns,
                  ", \"joins\": ", x.joins, ", \"messages_sent\": ", x.messages_sent,
                  ", \"messages_received\": ", x.messages_received, "}\n}\n");
  return out;
}

absl::Status RunStats(const std::vector<std::string>& argv) {
  absl::StatusOr<ParsedArgs> args = ParseArgs(argv, {{"json", '\0', OptionSpec::kNone}});
  if (!args.ok()) return args.status();
  absl::StatusOr<std::string> file = SingleFile(*args);
  if (!file.ok()) return file.status();
  absl::StatusOr<Trace> trace = LoadTrace(*file);
  if (!trace.ok()) return trace.status();
  const Stats stats = Compute(*trace);
  StdoutWriter out;
  out.Write(args->Has("json") ? JsonReport(*trace, stats) : TextReport(*trace, stats));
  return out.Finish();
}

}  // namespace

const Command kStatsCommand = {
    "stats", "per task and per object: steps, runs, blocking, wakes, contention", kHelp, RunStats};

}  // namespace weave::cli
