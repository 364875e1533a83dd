// The HTML report: one self-contained page (inline CSS, inline SVG, one small script, no network)
// that shows a trace to a person: the failure, how to replay it, a timeline per task, the task
// graph, the tasks and objects, every stack and the event log around the failure.
//
// Determinism: the page is a pure function of the trace. Nothing here reads a clock, an address or
// a hash-ordered container, so the same trace gives the same bytes.
//
// Size: per-event markup is what makes a page heavy, so a trace with more than kMaxMarkedEvents
// events gets markers and edges only for the event log's window around the failure, and its
// running and blocked spans are merged where they would be drawn less than kMergePx apart. The page
// says so; the `.trace` file keeps everything.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "internal/strings.hpp"
#include "internal/utf8.hpp"

#include "weave/trace_export.hpp"

namespace weave {
namespace {

using detail::AV;

// Above this many events, markers and edges are drawn only for the event log's window.
constexpr std::size_t kMaxMarkedEvents = 5000;
// The event log shows at most this many rows, centred on the failure.
constexpr std::size_t kMaxLogRows = 2000;
// A stack lists at most this many of the events that refer to it.
constexpr std::size_t kMaxStackRefs = 50;
// Thinned timelines merge a task's spans closer than this (pixels).
constexpr double kMergePx = 3;

// Timeline geometry (pixels).
constexpr double kLabelWidth = 200;
constexpr double kAxisHeight = 42;
constexpr double kRowHeight = 26;
constexpr double kRightMargin = 24;
constexpr double kMinPlotWidth = 960;
constexpr double kMaxPlotWidth = 6000;
constexpr double kPreferredStepWidth = 28;

// Task graph geometry (pixels).
constexpr double kNodeWidth = 190;
constexpr double kNodeHeight = 46;
constexpr double kNodeGapX = 110;
constexpr double kNodeGapY = 90;
constexpr double kGraphMargin = 24;
constexpr std::size_t kNodesPerRow = 6;

// --- text helpers -------------------------------------------------------------------------------

// Escapes for both text and double- or single-quoted attribute values. Control characters other
// than tab and line breaks are not allowed in HTML, and bytes that are not UTF-8 would make the
// page undecodable: both become U+FFFD, visibly.
void AppendEscaped(std::string* out, std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      const std::size_t length = detail::Utf8SequenceLength(s, i);
      if (length == 0) {
        out->append("&#xFFFD;");
      } else {
        out->append(s.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '&':
        out->append("&amp;");
        break;
      case '<':
        out->append("&lt;");
        break;
      case '>':
        out->append("&gt;");
        break;
      case '"':
        out->append("&quot;");
        break;
      case '\'':
        out->append("&#39;");
        break;
      case '\t':
      case '\n':
      case '\r':
        out->push_back(c);
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out->append("&#xFFFD;");
        } else {
          out->push_back(c);
        }
    }
  }
}

std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  AppendEscaped(&out, s);
  return out;
}

// A coordinate or size: at most two decimals, no trailing zeros ("12.5", "3"), the same bytes on
// every run.
std::string Num(double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

// Virtual time for people: "850ns", "1.5µs", "2ms", "3.25s" (Describe gives exact nanoseconds).
std::string FormatNs(std::int64_t ns) {
  struct Unit {
    std::int64_t scale;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{1'000'000'000, "s"}, {1'000'000, "ms"}, {1'000, "µs"}};
  for (const Unit& u : kUnits) {
    if (ns >= u.scale || ns <= -u.scale) {
      return Num(static_cast<double>(ns) / static_cast<double>(u.scale)) + u.name;
    }
  }
  return absl::StrCat(ns, "ns");
}

// At most `max_chars` code points on one line, "…" marking a cut: SVG text neither wraps nor
// clips, so long names would run over their neighbours. The full text goes into a <title>.
std::string Shorten(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (const char byte : s) {
    const auto c = static_cast<unsigned char>(byte);
    const bool starts_char = (c & 0xC0) != 0x80;
    if (starts_char) {
      if (chars == max_chars) {
        // Cut one character earlier to make room for the ellipsis.
        while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
          out.pop_back();
        }
        if (!out.empty()) out.pop_back();
        out.append("…");
        return out;
      }
      ++chars;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : byte);
  }
  return out;
}

std::string Plural(std::size_t n, std::string_view one, std::string_view many) {
  return absl::StrCat(n, " ", AV(n == 1 ? one : many));
}

// --- the report ---------------------------------------------------------------------------------

// A stretch of steps [begin, end) on one task's row, opened by the event `event`.
struct Span {
  std::size_t event = 0;
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t end_time_ns = 0;
  bool to_end = false;  // it lasts until the end of the trace
};

struct TaskStats {
  std::vector<Span> runs;
  std::vector<Span> blocks;
  std::size_t run_count = 0;
  std::int64_t steps_run = 0;
  bool finished = false;
  std::optional<std::size_t> blocked_at_end;  // the kBlock event it never came back from
  bool involved = false;
};

// One aggregated edge of the task graph.
struct GraphEdge {
  std::string kind;  // "spawn", "join", "wake", "message", "wait"
  int from = 0;      // node index: tasks first, then the drawn objects
  int to = 0;
  std::string label;
  std::string title;
  std::size_t count = 0;
  bool involved = false;
};

struct Box {
  double x = 0;
  double y = 0;
  double w = kNodeWidth;
  double h = kNodeHeight;
  double cx() const { return x + w / 2; }
  double cy() const { return y + h / 2; }
};

struct Point {
  double x = 0;
  double y = 0;
};

// Where the line from the centre of `b` towards `target` leaves the box (a little outside, so an
// arrowhead stays visible).
Point BoxExit(const Box& b, Point target) {
  const double vx = target.x - b.cx();
  const double vy = target.y - b.cy();
  const double hw = b.w / 2 + 3;
  const double hh = b.h / 2 + 3;
  double t = 1;
  if (vx != 0 || vy != 0) {
    const double tx = vx != 0 ? hw / std::abs(vx) : 1e300;
    const double ty = vy != 0 ? hh / std::abs(vy) : 1e300;
    t = std::min({tx, ty, 1.0});
  }
  return {b.cx() + vx * t, b.cy() + vy * t};
}

class HtmlReport {
 public:
  explicit HtmlReport(const Trace& trace) : t_(trace) { Analyze(); }

  std::string Render() {
    out_.reserve(std::size_t{64} * 1024 + t_.events.size() * 64);
    Head();
    Summary();
    FailureSection();
    ReplaySection();
    TimelineSection();
    GraphSection();
    TaskTable();
    ObjectTable();
    StacksSection();
    EventLog();
    Script();
    out_.append("</body>\n</html>\n");
    return std::move(out_);
  }

 private:
  bool ValidTask(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < t_.tasks.size();
  }
  bool ValidObject(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < t_.objects.size();
  }
  bool ValidStack(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < t_.stacks.size();
  }
  // The row an event is drawn on: a timeout belongs to the task whose deadline passed.
  std::int64_t RowOf(const TraceEvent& e) const {
    return e.kind == TraceEventKind::kTimeout ? e.value : e.task;
  }
  bool Marked(std::size_t i) const { return i >= marked_begin_ && i < marked_end_; }
  double X(std::int64_t step) const {
    return kLabelWidth + static_cast<double>(step - first_step_) * step_px_;
  }
  double RowTop(std::int64_t task) const {
    return kAxisHeight + static_cast<double>(task) * kRowHeight;
  }
  double RowMid(std::int64_t task) const { return RowTop(task) + kRowHeight / 2; }

  void Analyze();
  void LayOutEvents();
  void Head();
  void Summary();
  void FailureSection();
  void ReplaySection();
  void TimelineSection();
  void TimelineAxis(double height);
  void TimelineRow(std::size_t task, double width);
  void SpanRects(std::size_t task, const std::vector<Span>& spans, bool blocked);
  void Marker(std::size_t i);
  void TimelineEdges();
  void TimelineLabels();
  void GraphSection();
  void BuildGraphEdges(std::size_t object_base, const std::vector<int>& object_node,
                       const std::vector<std::size_t>& drawn_objects);
  void TaskTable();
  void ObjectTable();
  void StacksSection();
  void EventLog();
  void Script();

  const Trace& t_;
  std::string out_;

  std::vector<TaskStats> stats_;
  std::vector<std::size_t> object_ops_;
  std::vector<bool> object_involved_;
  std::vector<std::vector<std::size_t>> stack_refs_;
  std::vector<std::vector<std::size_t>> markers_by_row_;
  std::vector<double> event_x_;
  std::vector<GraphEdge> graph_edges_;
  std::optional<std::size_t> failure_event_;
  std::size_t log_begin_ = 0;
  std::size_t log_end_ = 0;
  std::size_t marked_begin_ = 0;
  std::size_t marked_end_ = 0;
  bool thin_ = false;
  std::int64_t first_step_ = 0;
  std::int64_t end_step_ = 1;
  double step_px_ = kPreferredStepWidth;
  double plot_width_ = kMinPlotWidth;
};

void HtmlReport::Analyze() {
  const std::vector<TraceEvent>& events = t_.events;
  const std::size_t n = events.size();
  stats_.resize(t_.tasks.size());
  object_ops_.assign(t_.objects.size(), 0);
  object_involved_.assign(t_.objects.size(), false);
  stack_refs_.resize(t_.stacks.size());
  markers_by_row_.resize(t_.tasks.size());

  if (t_.failure) {
    for (const TaskId id : t_.failure->tasks) {
      if (ValidTask(id)) stats_[static_cast<std::size_t>(id)].involved = true;
    }
    for (const std::int32_t id : t_.failure->objects) {
      if (ValidObject(id)) object_involved_[static_cast<std::size_t>(id)] = true;
    }
  }

  // The x domain: from the first recorded step (a ring trace starts late) to one past the last.
  first_step_ = n == 0 ? 0 : events.front().step;
  end_step_ = std::max(t_.steps, n == 0 ? first_step_ + 1 : events.back().step + 1);
  if (t_.failure) end_step_ = std::max(end_step_, t_.failure->step + 1);
  end_step_ = std::max(end_step_, first_step_ + 1);
  const auto range = static_cast<double>(end_step_ - first_step_);
  plot_width_ = std::clamp(range * kPreferredStepWidth, kMinPlotWidth, kMaxPlotWidth);
  step_px_ = plot_width_ / range;

  // Running spans end at the next run of any task, or earlier where the running task itself
  // blocks or finishes (the scheduler may then idle while virtual time advances); blocked spans
  // end at the blocked task's next run.
  std::optional<std::size_t> running;
  std::vector<std::optional<std::size_t>> blocked(t_.tasks.size());
  const auto close_run = [&](std::int64_t end, std::int64_t end_time, bool to_end) {
    if (!running) return;
    const TraceEvent& r = events[*running];
    if (ValidTask(r.task)) {
      TaskStats& s = stats_[static_cast<std::size_t>(r.task)];
      s.runs.push_back({*running, r.step, end, end_time, to_end});
      s.steps_run += end - r.step;
    }
    running.reset();
  };
  const auto close_block = [&](std::size_t task, std::int64_t end, std::int64_t end_time,
                               bool to_end) {
    if (!blocked[task]) return;
    const TraceEvent& b = events[*blocked[task]];
    stats_[task].blocks.push_back({*blocked[task], b.step, end, end_time, to_end});
    if (to_end) stats_[task].blocked_at_end = blocked[task];
    blocked[task].reset();
  };
  for (std::size_t i = 0; i < n; ++i) {
    const TraceEvent& e = events[i];
    if (ValidObject(e.object)) ++object_ops_[static_cast<std::size_t>(e.object)];
    if (ValidStack(e.stack)) stack_refs_[static_cast<std::size_t>(e.stack)].push_back(i);
    if (e.kind == TraceEventKind::kFailure && !failure_event_) failure_event_ = i;
    if (!ValidTask(e.task)) continue;
    const auto task = static_cast<std::size_t>(e.task);
    switch (e.kind) {
      case TraceEventKind::kRun:
        close_run(e.step, e.time_ns, false);
        close_block(task, e.step, e.time_ns, false);
        running = i;
        ++stats_[task].run_count;
        break;
      case TraceEventKind::kBlock:
        if (running && events[*running].task == e.task) close_run(e.step, e.time_ns, false);
        close_block(task, e.step, e.time_ns, false);
        blocked[task] = i;
        break;
      case TraceEventKind::kFinish:
        if (running && events[*running].task == e.task) close_run(e.step, e.time_ns, false);
        stats_[task].finished = true;
        break;
      default:
        break;
    }
  }
  close_run(end_step_, t_.end_time_ns, true);
  for (std::size_t task = 0; task < blocked.size(); ++task) {
    close_block(task, end_step_, t_.end_time_ns, true);
  }

  // Without a failure event, the failure's step anchors the log; without a failure, the end.
  std::size_t anchor = n == 0 ? 0 : n - 1;
  if (failure_event_) {
    anchor = *failure_event_;
  } else if (t_.failure) {
    const auto after =
        std::upper_bound(events.begin(), events.end(), t_.failure->step,
                         [](std::int64_t step, const TraceEvent& e) { return step < e.step; });
    anchor = after == events.begin() ? 0 : static_cast<std::size_t>(after - events.begin()) - 1;
  }
  if (n <= kMaxLogRows) {
    log_begin_ = 0;
    log_end_ = n;
  } else {
    log_begin_ = anchor > kMaxLogRows / 2 ? anchor - kMaxLogRows / 2 : 0;
    log_end_ = std::min(n, log_begin_ + kMaxLogRows);
    log_begin_ = log_end_ - kMaxLogRows;
  }
  thin_ = n > kMaxMarkedEvents;
  marked_begin_ = thin_ ? log_begin_ : 0;
  marked_end_ = thin_ ? log_end_ : n;

  LayOutEvents();
}

// Every event gets an x: a run at the start of its step, the other events of one task within one
// step spread evenly across the step, in order, so markers and edges at one step stay apart.
void HtmlReport::LayOutEvents() {
  const std::vector<TraceEvent>& events = t_.events;
  event_x_.assign(events.size(), 0);
  std::size_t i = 0;
  while (i < events.size()) {
    std::size_t j = i;
    while (j < events.size() && events[j].step == events[i].step) ++j;
    std::map<std::int64_t, int> count;
    for (std::size_t k = i; k < j; ++k) {
      if (events[k].kind != TraceEventKind::kRun) ++count[RowOf(events[k])];
    }
    std::map<std::int64_t, int> seen;
    for (std::size_t k = i; k < j; ++k) {
      const TraceEvent& e = events[k];
      event_x_[k] = X(e.step);
      if (e.kind == TraceEventKind::kRun) continue;
      const std::int64_t row = RowOf(e);
      const int slot = seen[row]++;
      event_x_[k] += step_px_ * (slot + 1) / (count[row] + 1);
      if (Marked(k) && ValidTask(row) && e.kind != TraceEventKind::kBlock) {
        markers_by_row_[static_cast<std::size_t>(row)].push_back(k);
      }
    }
    i = j;
  }
}

constexpr std::string_view kStyle = R"css(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
  background: #fff; margin: 0 auto; max-width: 1400px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 4px 0 8px; word-break: break-word; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #ddd; }
h3 { font-size: 15px; margin: 16px 0 4px; }
code, pre, .mono { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
pre { background: #f6f8fa; border: 1px solid #ddd; border-radius: 4px; padding: 8px 10px;
  white-space: pre-wrap; word-break: break-word; margin: 6px 0; }
a { color: #0b57d0; }
nav { margin: 8px 0; font-size: 13px; }
nav a { margin-right: 12px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dl.meta dt { color: #555; }
dl.meta dd { margin: 0; word-break: break-word; }
.verdict { font-weight: 600; margin: 4px 0; }
.verdict.fail { color: #b71c1c; }
.verdict.ok { color: #1b5e20; }
#failure { border: 2px solid #c62828; background: #fff4f3; border-radius: 6px;
  padding: 4px 16px 10px; margin: 16px 0; }
#failure h2 { color: #b71c1c; border: 0; margin: 8px 0 4px; }
#failure .message { font-size: 16px; font-weight: 600; white-space: pre-wrap;
  word-break: break-word; }
.note { color: #6b4f00; background: #fff8e1; border: 1px solid #f2d98c; border-radius: 4px;
  padding: 4px 8px; }
.scroll { overflow: auto; border: 1px solid #ddd; border-radius: 4px; max-height: 80vh; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.desc { white-space: pre-wrap; word-break: break-word; }
tr.involved td { background: #fff4f3; }
tr.failure td { background: #ffdcd8; font-weight: 600; }
button { font: inherit; font-size: 13px; padding: 2px 10px; cursor: pointer; }
.legend { font-size: 12.5px; color: #333; }
.legend span { margin-right: 14px; white-space: nowrap; }
.sw { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: middle;
  border: 1px solid #888; }
.sw.run { background: #4a7fc1; border-color: #2f5d96; }
.sw.blocked { background: repeating-linear-gradient(45deg, #ddd 0 3px, #999 3px 5px); }
.sw.point { background: #333; border-radius: 50%; width: 8px; height: 8px; }
.sw.spawn { background: #2e7d32; height: 2px; } .sw.join { background: #1565c0; height: 2px; }
.sw.wake { background: #ef6c00; height: 2px; } .sw.message { background: #7b1fa2; height: 2px; }
.sw.wait { background: #777; height: 2px; } .sw.fail { background: #d50000; width: 3px; }
svg text { font: 11px system-ui, sans-serif; fill: #222; }
svg .axis text { fill: #555; }
svg .axis .grid { stroke: #eee; }
svg .axis .tick { stroke: #999; }
svg .axis .time { fill: #8a4b00; }
.row-bg { fill: #fff; } .row-bg.alt { fill: #f8f9fb; }
.task-row.involved .row-bg, .label.involved .row-bg { fill: #fff0ee; }
.label.involved text { fill: #b71c1c; font-weight: 700; }
.run { fill: #4a7fc1; stroke: #2f5d96; stroke-width: 0.5; }
.task-row.involved .run { stroke: #b71c1c; stroke-width: 1.2; }
.blocked { fill: url(#tl-hatch); stroke: #999; stroke-width: 0.5; }
.m-point { fill: #333; } .m-send, .m-receive { fill: #7b1fa2; } .m-finish { fill: #1b5e20; }
.m-timeout { fill: #fff; stroke: #ef6c00; stroke-width: 1.5; }
.m-failure { stroke: #d50000; stroke-width: 2.5; }
.edge { stroke-width: 1.3; fill: none; }
.edge.spawn { stroke: #2e7d32; } .edge.join { stroke: #1565c0; } .edge.wake { stroke: #ef6c00; }
.edge.message { stroke: #7b1fa2; stroke-dasharray: 4 2; } .edge.wait { stroke: #777;
  stroke-dasharray: 3 3; }
.edge.involved { stroke: #d50000; }
.failure-line line { stroke: #d50000; stroke-width: 2; }
.failure-line text { fill: #d50000; font-weight: 700; }
svg rect:hover, svg circle:hover, svg path:hover, svg line:hover { stroke: #000; }
.node rect { fill: #eef3fb; stroke: #4a7fc1; stroke-width: 1.2; }
.node.object rect { fill: #f5f5f5; stroke: #888; }
.node.involved rect { fill: #ffe9e6; stroke: #d50000; stroke-width: 2; }
.node .sub { fill: #555; font-size: 10px; }
.node.involved text { fill: #b71c1c; }
.glabel { font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.stack { border: 1px solid #ddd; border-radius: 4px; padding: 4px 12px 8px; margin: 10px 0; }
.stack.involved { border-color: #d50000; }
.frame { font: 12.5px/1.5 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap;
  word-break: break-word; }
.frame .idx { color: #888; display: inline-block; min-width: 2.5em; }
.frame .loc { color: #555; }
details.internal { margin: 2px 0 2px 2.5em; color: #666; }
details.internal summary { cursor: pointer; font-size: 12px; }
ul.refs { margin: 4px 0; padding-left: 20px; font-size: 12.5px; }
)css";

void HtmlReport::Head() {
  absl::StrAppend(&out_, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
                  "<meta name=\"generator\" content=\"weave\">\n<title>weave: ",
                  Esc(t_.test_name.empty() ? "trace" : t_.test_name),
                  t_.failure ? absl::StrCat(" (", AV(FailureKindName(t_.failure->kind)), ")") : "",
                  "</title>\n<style>", AV(kStyle), "</style>\n</head>\n");
  // The counts let the script (and tests) check that the page is complete.
  absl::StrAppend(&out_, "<body data-weave-tasks=\"", t_.tasks.size(), "\" data-weave-events=\"",
                  t_.events.size(), "\" data-weave-log-rows=\"", log_end_ - log_begin_,
                  "\" data-weave-stacks=\"", t_.stacks.size(), "\" data-weave-failure=\"",
                  AV(t_.failure ? FailureKindName(t_.failure->kind) : "none"), "\">\n");
}

void HtmlReport::Summary() {
  absl::StrAppend(&out_, "<header id=\"summary\">\n<h1>weave report: <span id=\"test-name\">",
                  Esc(t_.test_name.empty() ? "(unnamed test)" : t_.test_name), "</span></h1>\n");
  if (t_.failure) {
    absl::StrAppend(&out_,
                    "<p class=\"verdict fail\">Failed: ", AV(FailureKindName(t_.failure->kind)),
                    " at step ", t_.failure->step, " (<a href=\"#failure\">details</a>)</p>\n");
  } else {
    out_.append("<p class=\"verdict ok\">The run did not fail.</p>\n");
  }
  std::string mode(TraceModeName(t_.mode));
  if (t_.dropped_events > 0) {
    absl::StrAppend(&mode, ": first ", t_.dropped_events, " events dropped");
  }
  const auto item = [&](std::string_view name, const std::string& value) {
    absl::StrAppend(&out_, "<dt>", AV(name), "</dt><dd>", Esc(value), "</dd>\n");
  };
  out_.append("<dl class=\"meta\" id=\"run-info\">\n");
  item("test", t_.test_name);
  item("strategy", t_.strategy);
  item("seed", absl::StrCat(t_.seed));
  item("iteration", t_.iteration < 0 ? "—" : absl::StrCat(t_.iteration));
  item("steps", absl::StrCat(t_.steps));
  item("end virtual time", absl::StrCat(FormatNs(t_.end_time_ns), " (", t_.end_time_ns, " ns)"));
  item("trace mode", mode);
  item("recorded", absl::StrCat(Plural(t_.events.size(), "event", "events"), ", ",
                                Plural(t_.tasks.size(), "task", "tasks"), ", ",
                                Plural(t_.objects.size(), "object", "objects"), ", ",
                                Plural(t_.stacks.size(), "stack", "stacks")));
  out_.append("</dl>\n<nav>");
  if (t_.failure) out_.append("<a href=\"#failure\">Failure</a>");
  out_.append(
      "<a href=\"#replay\">Replay</a><a href=\"#timeline-section\">Timeline</a>"
      "<a href=\"#graph\">Task graph</a><a href=\"#tasks\">Tasks</a>"
      "<a href=\"#objects\">Objects</a><a href=\"#stacks\">Stacks</a>"
      "<a href=\"#events\">Event log</a></nav>\n</header>\n");
}

void HtmlReport::FailureSection() {
  if (!t_.failure) return;
  const TraceFailure& f = *t_.failure;
  absl::StrAppend(&out_, R"(<section id="failure" data-kind=")", AV(FailureKindName(f.kind)),
                  "\">\n<h2>Failure: ", AV(FailureKindName(f.kind)),
                  "</h2>\n<p class=\"message\" id=\"failure-message\">", Esc(f.message), "</p>\n",
                  "<dl class=\"meta\">\n<dt>kind</dt><dd>", AV(FailureKindName(f.kind)),
                  "</dd>\n<dt>step</dt><dd>", f.step);
  if (failure_event_) {
    absl::StrAppend(&out_, " (t=", FormatNs(t_.events[*failure_event_].time_ns), ")");
  }
  absl::StrAppend(&out_, "</dd>\n<dt>task</dt><dd>",
                  f.task == kNoTask ? "—" : Esc(t_.TaskLabel(f.task)), "</dd>\n");
  if (!f.tasks.empty()) {
    out_.append("<dt>tasks involved</dt><dd>");
    for (std::size_t i = 0; i < f.tasks.size(); ++i) {
      absl::StrAppend(&out_, i == 0 ? "" : ", ", Esc(t_.TaskLabel(f.tasks[i])));
    }
    out_.append("</dd>\n");
  }
  if (!f.objects.empty()) {
    out_.append("<dt>objects involved</dt><dd>");
    for (std::size_t i = 0; i < f.objects.size(); ++i) {
      absl::StrAppend(&out_, i == 0 ? "" : ", ", Esc(t_.ObjectLabel(f.objects[i])));
    }
    out_.append("</dd>\n");
  }
  if (failure_event_ && ValidStack(t_.events[*failure_event_].stack)) {
    const std::int32_t stack = t_.events[*failure_event_].stack;
    absl::StrAppend(&out_, "<dt>stack</dt><dd><a href=\"#stack-", stack, "\">stack #", stack,
                    "</a></dd>\n");
  }
  out_.append("</dl>\n");
  if (!f.details.empty()) {
    absl::StrAppend(&out_, "<pre id=\"failure-details\">", Esc(f.details), "</pre>\n");
  }
  out_.append("</section>\n");
}

void HtmlReport::ReplaySection() {
  out_.append("<section id=\"replay\">\n<h2>Replay</h2>\n");
  if (t_.replay_command.empty()) {
    out_.append("<p>No replay command was recorded for this run.</p>\n");
  } else {
    absl::StrAppend(&out_,
                    "<p>Run this to replay the same schedule (same interleaving, same failure):"
                    " <button type=\"button\" id=\"copy-replay\" hidden>Copy</button></p>\n"
                    "<pre><code id=\"replay-command\">",
                    Esc(t_.replay_command), "</code></pre>\n");
  }
  absl::StrAppend(&out_, "<p>Schedule file: ",
                  t_.schedule_path.empty() ? std::string("none recorded")
                                           : absl::StrCat("<code id=\"schedule-path\">",
                                                          Esc(t_.schedule_path), "</code>"),
                  "</p>\n</section>\n");
}

void HtmlReport::TimelineSection() {
  const double width = kLabelWidth + plot_width_ + kRightMargin;
  const double height = kAxisHeight + static_cast<double>(t_.tasks.size()) * kRowHeight + 8;
  out_.append(
      "<section id=\"timeline-section\">\n<h2>Timeline</h2>\n<p class=\"legend\">"
      "<span><i class=\"sw run\"></i>running</span><span><i class=\"sw blocked\"></i>blocked</span>"
      "<span><i class=\"sw point\"></i>operation</span><span><i class=\"sw spawn\"></i>spawn</span>"
      "<span><i class=\"sw join\"></i>join</span><span><i class=\"sw wake\"></i>wake</span>"
      "<span><i class=\"sw message\"></i>message</span><span><i class=\"sw fail\"></i>failure"
      "</span> x: scheduling step (virtual time above); hover for details.</p>\n");
  if (thin_) {
    const std::vector<TraceEvent>& ev = t_.events;
    absl::StrAppend(&out_, R"(<p class="note" id="timeline-thinned">This trace has )", ev.size(),
                    " events, too many to mark one by one: the timeline draws every "
                    "running and blocked span (merging those under ",
                    Num(kMergePx), " pixels apart) but markers and edges only for the ",
                    marked_end_ - marked_begin_, " events around the failure (steps ",
                    ev[marked_begin_].step, " to ", ev[marked_end_ - 1].step,
                    "), the same events as the event log.</p>\n");
  }
  absl::StrAppend(&out_, "<div class=\"scroll\">\n<svg id=\"timeline\" width=\"", Num(width),
                  "\" height=\"", Num(height), "\" viewBox=\"0 0 ", Num(width), " ", Num(height),
                  R"(" role="img" aria-label="timeline of )",
                  Plural(t_.tasks.size(), "task", "tasks"), "\">\n");
  out_.append(
      "<defs><pattern id=\"tl-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e4e4e4\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#9a9a9a\" stroke-width=\"2.5\"/>"
      "</pattern>");
  for (const auto& [kind, color] : {std::pair<const char*, const char*>{"spawn", "#2e7d32"},
                                    {"join", "#1565c0"},
                                    {"wake", "#ef6c00"},
                                    {"message", "#7b1fa2"}}) {
    absl::StrAppend(&out_, "<marker id=\"tl-arrow-", kind,
                    "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
                    "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"",
                    color, "\"/></marker>");
  }
  out_.append("</defs>\n");
  TimelineAxis(height);
  for (std::size_t task = 0; task < t_.tasks.size(); ++task) TimelineRow(task, width);
  TimelineEdges();
  TimelineLabels();
  if (t_.failure) {
    const double x = failure_event_ ? event_x_[*failure_event_] : X(t_.failure->step);
    absl::StrAppend(
        &out_, R"(<g class="failure-line" id="failure-marker"><title>)",
        Esc(absl::StrCat("failure at step ", t_.failure->step, " (",
                         AV(FailureKindName(t_.failure->kind)), "): ", t_.failure->message)),
        "</title><line x1=\"", Num(x), "\" y1=\"", Num(kAxisHeight - 10), "\" x2=\"", Num(x),
        "\" y2=\"", Num(height - 4), "\"/><text x=\"", Num(x + 3), "\" y=\"", Num(kAxisHeight - 2),
        "\">failure</text></g>\n");
  }
  out_.append("</svg>\n</div>\n</section>\n");
}

void HtmlReport::TimelineAxis(double height) {
  out_.append("<g class=\"axis\">");
  // Step ticks at a 1-2-5 interval that leaves room for the labels.
  std::int64_t interval = 1;
  for (std::int64_t scale = 1;; scale *= 10) {
    const std::int64_t candidates[] = {scale, 2 * scale, 5 * scale};
    const auto fits = [&](std::int64_t c) { return static_cast<double>(c) * step_px_ >= 48; };
    const auto* it = std::find_if(std::begin(candidates), std::end(candidates), fits);
    if (it != std::end(candidates)) {
      interval = *it;
      break;
    }
  }
  for (std::int64_t s = (first_step_ + interval - 1) / interval * interval; s <= end_step_;
       s += interval) {
    const std::string x = Num(X(s));
    absl::StrAppend(&out_, R"(<line class="grid" x1=")", x, "\" y1=\"", Num(kAxisHeight),
                    "\" x2=\"", x, "\" y2=\"", Num(height - 8), "\"/><text x=\"", x, "\" y=\"",
                    Num(kAxisHeight - 6), R"(" text-anchor="middle">)", s, "</text>");
  }
  // Virtual time where it advances, unless the label would overlap the previous one.
  double last_x = -1e300;
  std::int64_t last_time = 0;
  for (std::size_t i = 0; i < t_.events.size(); ++i) {
    const TraceEvent& e = t_.events[i];
    if (i > 0 && e.time_ns == last_time) continue;
    last_time = e.time_ns;
    const double x = X(e.step);
    if (x - last_x < 64) continue;
    last_x = x;
    absl::StrAppend(&out_, "<g><title>",
                    Esc(absl::StrCat("virtual time ", e.time_ns, " ns from step ", e.step)),
                    R"(</title><line class="tick" x1=")", Num(x), R"(" y1="17" x2=")", Num(x),
                    R"(" y2="23"/><text class="time" x=")", Num(x + 2), R"(" y="14">)",
                    Esc(FormatNs(e.time_ns)), "</text></g>");
  }
  out_.append("</g>\n");
}

void HtmlReport::TimelineRow(std::size_t task, double width) {
  const TaskStats& s = stats_[task];
  const double top = RowTop(static_cast<std::int64_t>(task));
  absl::StrAppend(&out_, "<g class=\"task-row", s.involved ? " involved" : "", "\" data-task=\"",
                  task, "\"><rect class=\"row-bg", task % 2 == 1 ? " alt" : "", R"(" x="0" y=")",
                  Num(top), "\" width=\"", Num(width), "\" height=\"", Num(kRowHeight), "\"/>\n");
  SpanRects(task, s.blocks, /*blocked=*/true);
  SpanRects(task, s.runs, /*blocked=*/false);
  for (const std::size_t i : markers_by_row_[task]) Marker(i);
  out_.append("</g>\n");
}

// The task labels, drawn last, over everything: the script moves them along when the timeline
// scrolls sideways, so a long trace keeps saying which row is which.
void HtmlReport::TimelineLabels() {
  absl::StrAppend(&out_, R"(<g class="labels"><rect class="row-bg" x="0" y="0" width=")",
                  Num(kLabelWidth - 4), "\" height=\"", Num(kAxisHeight),
                  R"("/><text x="8" y="14">virtual time</text><text x="8" y=")",
                  Num(kAxisHeight - 6), "\">step</text>\n");
  for (std::size_t task = 0; task < t_.tasks.size(); ++task) {
    const double top = RowTop(static_cast<std::int64_t>(task));
    const std::string label = t_.TaskLabel(static_cast<TaskId>(task));
    absl::StrAppend(
        &out_, "<g class=\"label", stats_[task].involved ? " involved" : "", "\" data-task=\"",
        task, "\"><title>", Esc(absl::StrCat(label, " (", t_.tasks[task].kind, ")")),
        "</title><rect class=\"row-bg", task % 2 == 1 ? " alt" : "", R"(" x="0" y=")", Num(top),
        "\" width=\"", Num(kLabelWidth - 4), "\" height=\"", Num(kRowHeight),
        R"("/><text x="8" y=")", Num(top + 17), "\">", Esc(Shorten(label, 28)), "</text></g>\n");
  }
  out_.append("</g>\n");
}

void HtmlReport::SpanRects(std::size_t task, const std::vector<Span>& spans, bool blocked) {
  const double top = RowTop(static_cast<std::int64_t>(task));
  const double y = blocked ? top + 4 : top + 8;
  const double h = blocked ? kRowHeight - 8 : kRowHeight - 16;
  const char* cls = blocked ? "blocked" : "run";
  const auto emit = [&](const Span& first, const Span& last, std::size_t merged) {
    const double x = X(first.begin);
    const double w = std::max(X(last.end) - x, 2.0);
    std::string title;
    if (merged == 1) {
      title = absl::StrCat(
          t_.Describe(t_.events[first.event]), "\n", blocked ? "blocked until " : "running until ",
          first.to_end
              ? "the end of the trace"
              : absl::StrCat("step ", first.end, " (t=", FormatNs(first.end_time_ns), ")"));
    } else {
      title = absl::StrCat(t_.TaskLabel(static_cast<TaskId>(task)), ": ", merged,
                           blocked ? " blocked" : " running", " spans from step ", first.begin,
                           " to ", last.end, " (merged at this scale)");
    }
    absl::StrAppend(&out_, "<rect class=\"", cls, "\" x=\"", Num(x), "\" y=\"", Num(y),
                    "\" width=\"", Num(w), "\" height=\"", Num(h), "\"><title>", Esc(title),
                    "</title></rect>\n");
  };
  std::size_t i = 0;
  while (i < spans.size()) {
    std::size_t j = i + 1;
    if (thin_) {
      double end_x = std::max(X(spans[i].end), X(spans[i].begin) + 2);
      while (j < spans.size() && X(spans[j].begin) <= end_x + kMergePx) {
        end_x = std::max(end_x, std::max(X(spans[j].end), X(spans[j].begin) + 2));
        ++j;
      }
    }
    emit(spans[i], spans[j - 1], j - i);
    i = j;
  }
}

void HtmlReport::Marker(std::size_t i) {
  const TraceEvent& e = t_.events[i];
  const double x = event_x_[i];
  const double y = RowMid(RowOf(e));
  const std::string title = absl::StrCat("<title>", Esc(t_.Describe(e)), "</title>");
  switch (e.kind) {
    case TraceEventKind::kPoint:
      absl::StrAppend(&out_, R"(<circle class="m-point" cx=")", Num(x), "\" cy=\"", Num(y),
                      R"(" r="3.5">)", title, "</circle>\n");
      break;
    case TraceEventKind::kSend:
    case TraceEventKind::kReceive:
      absl::StrAppend(&out_, "<rect class=\"m-", AV(TraceEventKindName(e.kind)), "\" x=\"",
                      Num(x - 3.5), "\" y=\"", Num(y - 3.5), R"(" width="7" height="7">)", title,
                      "</rect>\n");
      break;
    case TraceEventKind::kFinish:
      absl::StrAppend(&out_, R"(<rect class="m-finish" x=")", Num(x - 1.5), "\" y=\"", Num(y - 8),
                      R"(" width="3" height="16">)", title, "</rect>\n");
      break;
    case TraceEventKind::kTimeout:
      absl::StrAppend(&out_, R"(<circle class="m-timeout" cx=")", Num(x), "\" cy=\"", Num(y),
                      R"(" r="4.5">)", title, "</circle>\n");
      break;
    case TraceEventKind::kFailure:
      absl::StrAppend(&out_, R"(<path class="m-failure" d="M)", Num(x - 5), ",", Num(y - 5), "L",
                      Num(x + 5), ",", Num(y + 5), "M", Num(x - 5), ",", Num(y + 5), "L",
                      Num(x + 5), ",", Num(y - 5), "\">", title, "</path>\n");
      break;
    default:  // runs and blocks are spans; spawns, joins and wakes are edges
      break;
  }
}

void HtmlReport::TimelineEdges() {
  const std::vector<TraceEvent>& events = t_.events;
  // A receive's message is the send on the same channel with the same number.
  std::map<std::pair<std::int32_t, std::int64_t>, std::size_t> sends;
  for (std::size_t i = 0; i < marked_end_; ++i) {
    if (events[i].kind == TraceEventKind::kSend) sends[{events[i].object, events[i].value}] = i;
  }
  const auto line = [&](const char* kind, std::size_t from_event, std::int64_t from_task,
                        std::size_t to_event, std::int64_t to_task, const std::string& title) {
    if (!ValidTask(from_task) || !ValidTask(to_task) || from_task == to_task) return;
    const double y1 = RowMid(from_task);
    const double y2 = RowMid(to_task) + (to_task > from_task ? -6 : 6);
    absl::StrAppend(&out_, "<line class=\"edge ", kind, "\" x1=\"", Num(event_x_[from_event]),
                    "\" y1=\"", Num(y1), "\" x2=\"", Num(event_x_[to_event]), "\" y2=\"", Num(y2),
                    "\" marker-end=\"url(#tl-arrow-", kind, ")\"><title>", Esc(title),
                    "</title></line>\n");
  };
  out_.append("<g class=\"edges\">\n");
  for (std::size_t i = marked_begin_; i < marked_end_; ++i) {
    const TraceEvent& e = events[i];
    switch (e.kind) {
      case TraceEventKind::kSpawn:
        line("spawn", i, e.task, i, e.value, t_.Describe(e));
        break;
      case TraceEventKind::kJoin:
        line("join", i, e.task, i, e.value, t_.Describe(e));
        break;
      case TraceEventKind::kWake:
        line("wake", i, e.task, i, e.value, t_.Describe(e));
        break;
      case TraceEventKind::kReceive: {
        const auto send = sends.find({e.object, e.value});
        if (e.value < 0 || send == sends.end()) break;
        line("message", send->second, events[send->second].task, i, e.task,
             absl::StrCat(t_.Describe(events[send->second]), "\n", t_.Describe(e)));
        break;
      }
      default:
        break;
    }
  }
  out_.append("</g>\n");
}

void HtmlReport::BuildGraphEdges(std::size_t object_base, const std::vector<int>& object_node,
                                 const std::vector<std::size_t>& drawn_objects) {
  // Aggregated by (kind, from, to, object, operation): a loop that sends 500 messages is one edge.
  std::map<std::tuple<std::string, int, int, std::int32_t, int>, std::size_t> index;
  std::map<std::pair<std::int32_t, std::int64_t>, std::size_t> sends;
  const auto add = [&](std::string kind, std::int64_t from, std::int64_t to, std::int32_t object,
                       const TraceEvent& e, std::string label, std::string title) {
    const auto key = std::make_tuple(kind, static_cast<int>(from), static_cast<int>(to), object,
                                     static_cast<int>(e.operation));
    auto [it, inserted] = index.emplace(key, graph_edges_.size());
    if (inserted) {
      GraphEdge edge;
      edge.kind = std::move(kind);
      edge.from = static_cast<int>(from);
      edge.to = static_cast<int>(to);
      edge.label = std::move(label);
      edge.title = std::move(title);
      graph_edges_.push_back(std::move(edge));
    }
    ++graph_edges_[it->second].count;
  };
  const auto task_involved = [&](std::int64_t id) {
    return ValidTask(id) && stats_[static_cast<std::size_t>(id)].involved;
  };
  for (std::size_t i = 0; i < t_.events.size(); ++i) {
    const TraceEvent& e = t_.events[i];
    if (!ValidTask(e.task)) continue;
    switch (e.kind) {
      case TraceEventKind::kSpawn:
        if (ValidTask(e.value)) {
          add("spawn", e.task, e.value, -1, e, "spawn",
              absl::StrCat(t_.TaskLabel(e.task), " spawns ",
                           t_.TaskLabel(static_cast<TaskId>(e.value))));
        }
        break;
      case TraceEventKind::kJoin:
        if (ValidTask(e.value)) {
          add("join", e.task, e.value, -1, e, "join",
              absl::StrCat(t_.TaskLabel(e.task), " joins ",
                           t_.TaskLabel(static_cast<TaskId>(e.value))));
        }
        break;
      case TraceEventKind::kWake:
        if (ValidTask(e.value)) {
          const std::string what =
              absl::StrCat(AV(TraceOperationName(e.operation)),
                           e.object >= 0 ? absl::StrCat(" ", t_.ObjectLabel(e.object)) : "");
          add("wake", e.task, e.value, e.object, e,
              absl::StrCat("wake: ", AV(TraceOperationName(e.operation))),
              absl::StrCat(t_.TaskLabel(e.task), " wakes ",
                           t_.TaskLabel(static_cast<TaskId>(e.value)), " (", what, ")"));
        }
        break;
      case TraceEventKind::kSend:
        sends[{e.object, e.value}] = i;
        break;
      case TraceEventKind::kReceive: {
        const auto send = sends.find({e.object, e.value});
        if (e.value < 0 || send == sends.end()) break;
        const TaskId sender = t_.events[send->second].task;
        if (!ValidTask(sender)) break;
        add("message", sender, e.task, e.object, e, "message",
            absl::StrCat(t_.TaskLabel(sender), " sends to ", t_.TaskLabel(e.task), " on ",
                         t_.ObjectLabel(e.object)));
        break;
      }
      case TraceEventKind::kBlock: {
        // Who or what a task waited for: the joined task, else the object.
        std::int64_t to = -1;
        if (ValidTask(e.value)) {
          to = e.value;
        } else if (ValidObject(e.object) && object_node[static_cast<std::size_t>(e.object)] >= 0) {
          to = static_cast<std::int64_t>(object_base) +
               object_node[static_cast<std::size_t>(e.object)];
        }
        if (to < 0) break;
        const std::string target = ValidTask(e.value) ? t_.TaskLabel(static_cast<TaskId>(e.value))
                                                      : t_.ObjectLabel(e.object);
        add("wait", e.task, to, e.object, e,
            absl::StrCat("waits: ", AV(TraceOperationName(e.operation))),
            absl::StrCat(t_.TaskLabel(e.task), " blocks: ", AV(TraceOperationName(e.operation)),
                         " ", target));
        break;
      }
      default:
        break;
    }
  }
  for (GraphEdge& edge : graph_edges_) {
    const bool from_involved = task_involved(edge.from);
    const auto to = static_cast<std::size_t>(edge.to);
    const bool to_involved = to < object_base ? task_involved(edge.to)
                                              : object_involved_[drawn_objects[to - object_base]];
    // Only the waits are part of the failure (a deadlock's cycle); a spawn between two of its
    // tasks is not.
    edge.involved = edge.kind == "wait" && from_involved && to_involved;
    if (edge.count > 1) {
      absl::StrAppend(&edge.label, " ×", edge.count);
      absl::StrAppend(&edge.title, " (", edge.count, " times)");
    }
  }
}

void HtmlReport::GraphSection() {
  // Layers by spawn depth (a parent chain that loops, which a valid trace cannot have, is cut).
  const std::size_t n = t_.tasks.size();
  std::vector<std::size_t> depth(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t p = t_.tasks[i].parent;
    std::size_t d = 0;
    while (ValidTask(p) && d < n) {
      ++d;
      p = t_.tasks[static_cast<std::size_t>(p)].parent;
    }
    depth[i] = d;
  }
  std::map<std::size_t, std::vector<std::size_t>> layers;
  for (std::size_t i = 0; i < n; ++i) layers[depth[i]].push_back(i);
  // Objects that matter to the graph: the blocked-on, and the failure's.
  std::vector<bool> blocked_on(t_.objects.size(), false);
  for (const TraceEvent& e : t_.events) {
    if (e.kind == TraceEventKind::kBlock && !ValidTask(e.value) && ValidObject(e.object)) {
      blocked_on[static_cast<std::size_t>(e.object)] = true;
    }
  }
  std::vector<int> object_node(t_.objects.size(), -1);  // its position in drawn_objects, or -1
  std::vector<std::size_t> drawn_objects;
  for (std::size_t o = 0; o < t_.objects.size(); ++o) {
    if (blocked_on[o] || object_involved_[o]) {
      object_node[o] = static_cast<int>(drawn_objects.size());
      drawn_objects.push_back(o);
    }
  }

  // Rows of at most kNodesPerRow boxes, centred.
  std::vector<std::vector<int>> rows;  // node indices: tasks, then n + object position
  for (const auto& [d, members] : layers) {
    for (std::size_t i = 0; i < members.size(); i += kNodesPerRow) {
      rows.emplace_back();
      for (std::size_t j = i; j < std::min(members.size(), i + kNodesPerRow); ++j) {
        rows.back().push_back(static_cast<int>(members[j]));
      }
    }
  }
  for (std::size_t i = 0; i < drawn_objects.size(); i += kNodesPerRow) {
    rows.emplace_back();
    for (std::size_t j = i; j < std::min(drawn_objects.size(), i + kNodesPerRow); ++j) {
      rows.back().push_back(static_cast<int>(n + j));
    }
  }
  std::size_t widest = 1;
  for (const auto& row : rows) widest = std::max(widest, row.size());
  const double width = 2 * kGraphMargin + static_cast<double>(widest) * kNodeWidth +
                       static_cast<double>(widest - 1) * kNodeGapX;
  const double height = 2 * kGraphMargin + static_cast<double>(rows.size()) * kNodeHeight +
                        static_cast<double>(rows.empty() ? 0 : rows.size() - 1) * kNodeGapY;
  std::vector<Box> boxes(n + drawn_objects.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double row_width =
        static_cast<double>(rows[r].size()) * (kNodeWidth + kNodeGapX) - kNodeGapX;
    for (std::size_t j = 0; j < rows[r].size(); ++j) {
      Box& b = boxes[static_cast<std::size_t>(rows[r][j])];
      b.x = (width - row_width) / 2 + static_cast<double>(j) * (kNodeWidth + kNodeGapX);
      b.y = kGraphMargin + static_cast<double>(r) * (kNodeHeight + kNodeGapY);
    }
  }
  BuildGraphEdges(n, object_node, drawn_objects);

  out_.append(
      "<section id=\"graph\">\n<h2>Task graph</h2>\n<p class=\"legend\">Tasks in layers by spawn "
      "depth; objects that tasks blocked on, and the failure's, below. "
      "<span><i class=\"sw spawn\"></i>spawn</span><span><i class=\"sw join\"></i>join</span>"
      "<span><i class=\"sw wake\"></i>wake</span><span><i class=\"sw message\"></i>message</span>"
      "<span><i class=\"sw wait\"></i>waits for</span><span><i class=\"sw fail\"></i>in the "
      "failure</span></p>\n");
  absl::StrAppend(&out_, "<div class=\"scroll\">\n<svg id=\"task-graph\" width=\"", Num(width),
                  "\" height=\"", Num(height), "\" viewBox=\"0 0 ", Num(width), " ", Num(height),
                  "\" role=\"img\" aria-label=\"task graph\">\n<defs>");
  for (const auto& [kind, color] : {std::pair<const char*, const char*>{"spawn", "#2e7d32"},
                                    {"join", "#1565c0"},
                                    {"wake", "#ef6c00"},
                                    {"message", "#7b1fa2"},
                                    {"wait", "#777777"},
                                    {"involved", "#d50000"}}) {
    absl::StrAppend(&out_, "<marker id=\"g-arrow-", kind,
                    "\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" "
                    "markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" fill=\"",
                    color, "\"/></marker>");
  }
  out_.append("</defs>\n");

  // Edges between one pair of nodes fan out to either side of the straight line, so that A->B and
  // B->A, or a wake and a message, stay apart.
  std::map<std::pair<int, int>, std::vector<std::size_t>> pairs;
  for (std::size_t i = 0; i < graph_edges_.size(); ++i) {
    const GraphEdge& e = graph_edges_[i];
    pairs[{std::min(e.from, e.to), std::max(e.from, e.to)}].push_back(i);
  }
  std::vector<double> offset(graph_edges_.size(), 0);
  for (const auto& [pair, members] : pairs) {
    for (std::size_t k = 0; k < members.size(); ++k) {
      offset[members[k]] =
          (static_cast<double>(k) - static_cast<double>(members.size() - 1) / 2) * 34;
    }
  }
  out_.append("<g class=\"edges\">\n");
  for (std::size_t i = 0; i < graph_edges_.size(); ++i) {
    const GraphEdge& e = graph_edges_[i];
    const Box& a = boxes[static_cast<std::size_t>(e.from)];
    const Box& b = boxes[static_cast<std::size_t>(e.to)];
    std::string path;
    Point label;
    if (e.from == e.to) {
      const double x = a.x + a.w;
      const double loop = 36 + offset[i];
      path = absl::StrCat("M", Num(x), ",", Num(a.cy() - 8), "C", Num(x + loop), ",",
                          Num(a.cy() - 30), " ", Num(x + loop), ",", Num(a.cy() + 30), " ",
                          Num(x + 2), ",", Num(a.cy() + 8));
      label = {x + loop, a.cy()};
    } else {
      // The perpendicular of the canonical (low to high node) direction.
      const Box& lo = e.from < e.to ? a : b;
      const Box& hi = e.from < e.to ? b : a;
      const double dx = hi.cx() - lo.cx();
      const double dy = hi.cy() - lo.cy();
      const double len = std::max(std::hypot(dx, dy), 1.0);
      const Point control = {(a.cx() + b.cx()) / 2 - dy / len * offset[i],
                             (a.cy() + b.cy()) / 2 + dx / len * offset[i]};
      const Point start = BoxExit(a, control);
      const Point end = BoxExit(b, control);
      path = absl::StrCat("M", Num(start.x), ",", Num(start.y), "Q", Num(control.x), ",",
                          Num(control.y), " ", Num(end.x), ",", Num(end.y));
      label = {0.25 * start.x + 0.5 * control.x + 0.25 * end.x,
               0.25 * start.y + 0.5 * control.y + 0.25 * end.y};
    }
    const std::string kind = e.involved ? "involved" : e.kind;
    absl::StrAppend(&out_, R"(<g class="gedge" data-kind=")", e.kind, "\" data-from=\"", e.from,
                    "\" data-to=\"", e.to, "\"><title>", Esc(e.title),
                    "</title><path class=\"edge ", e.kind, e.involved ? " involved" : "", "\" d=\"",
                    path, "\" marker-end=\"url(#g-arrow-", kind, ")\"/><text class=\"glabel\" x=\"",
                    Num(label.x), "\" y=\"", Num(label.y + 3), R"(" text-anchor="middle">)",
                    Esc(e.label), "</text></g>\n");
  }
  out_.append("</g>\n");

  const auto node = [&](const Box& b, const char* cls, bool involved, std::string_view data,
                        std::size_t id, const std::string& title, const std::string& line1,
                        const std::string& line2) {
    absl::StrAppend(&out_, "<g class=\"node ", cls, involved ? " involved" : "", "\" ", AV(data),
                    "=\"", id, "\"><title>", Esc(title), "</title><rect x=\"", Num(b.x), "\" y=\"",
                    Num(b.y), "\" width=\"", Num(b.w), "\" height=\"", Num(b.h), "\" rx=\"",
                    std::string_view(cls) == "object" ? "14" : "4", "\"/><text x=\"", Num(b.cx()),
                    "\" y=\"", Num(b.y + 19), R"(" text-anchor="middle">)", Esc(Shorten(line1, 28)),
                    R"(</text><text class="sub" x=")", Num(b.cx()), "\" y=\"", Num(b.y + 35),
                    R"(" text-anchor="middle">)", Esc(Shorten(line2, 34)), "</text></g>\n");
  };
  out_.append("<g class=\"nodes\">\n");
  for (std::size_t i = 0; i < n; ++i) {
    const TaskStats& s = stats_[i];
    const std::string label = t_.TaskLabel(static_cast<TaskId>(i));
    std::string state = s.blocked_at_end ? "blocked at end" : s.finished ? "finished" : "";
    node(boxes[i], "task", s.involved, "data-task", i,
         absl::StrCat(
             label, "\nkind: ", t_.tasks[i].kind, "\nparent: ",
             t_.tasks[i].parent == kNoTask ? "none" : t_.TaskLabel(t_.tasks[i].parent),
             "\nsteps run: ", s.steps_run,
             s.blocked_at_end ? absl::StrCat("\n", t_.Describe(t_.events[*s.blocked_at_end])) : ""),
         label,
         absl::StrCat(t_.tasks[i].kind, " · ", s.steps_run, " steps", state.empty() ? "" : " · ",
                      state));
  }
  for (std::size_t j = 0; j < drawn_objects.size(); ++j) {
    const std::size_t o = drawn_objects[j];
    const std::string label = t_.ObjectLabel(static_cast<std::int32_t>(o));
    node(boxes[n + j], "object", object_involved_[o], "data-object", o, label, label,
         Plural(object_ops_[o], "operation", "operations"));
  }
  out_.append("</g>\n</svg>\n</div>\n</section>\n");
}

void HtmlReport::TaskTable() {
  out_.append(
      "<section id=\"tasks\">\n<h2>Tasks</h2>\n<table id=\"task-table\">\n<thead><tr><th>id</th>"
      "<th>name</th><th>kind</th><th>parent</th><th>runs</th><th>steps run</th><th>at the end</th>"
      "</tr></thead>\n<tbody>\n");
  for (std::size_t i = 0; i < t_.tasks.size(); ++i) {
    const TraceTask& task = t_.tasks[i];
    const TaskStats& s = stats_[i];
    std::string end = "—";
    if (s.blocked_at_end) {
      const TraceEvent& b = t_.events[*s.blocked_at_end];
      end = absl::StrCat(
          "blocked: ", AV(TraceOperationName(b.operation)),
          b.object >= 0 ? absl::StrCat(" ", t_.ObjectLabel(b.object)) : "",
          ValidTask(b.value) ? absl::StrCat(" ", t_.TaskLabel(static_cast<TaskId>(b.value))) : "");
    } else if (s.finished) {
      end = "finished";
    }
    absl::StrAppend(&out_, "<tr id=\"task-", i, "\" data-task=\"", i, "\"",
                    s.involved ? " class=\"involved\"" : "", "><td class=\"num\">", task.id,
                    "</td><td>", Esc(task.name), "</td><td>", Esc(task.kind), "</td><td>",
                    task.parent == kNoTask ? "—" : Esc(t_.TaskLabel(task.parent)),
                    "</td><td class=\"num\">", s.run_count, "</td><td class=\"num\">", s.steps_run,
                    "</td><td>", Esc(end), "</td></tr>\n");
  }
  out_.append("</tbody>\n</table>\n</section>\n");
}

void HtmlReport::ObjectTable() {
  out_.append("<section id=\"objects\">\n<h2>Objects</h2>\n");
  if (t_.objects.empty()) {
    out_.append("<p>No objects.</p>\n</section>\n");
    return;
  }
  out_.append(
      "<table id=\"object-table\">\n<thead><tr><th>id</th><th>kind</th><th>name</th>"
      "<th>operations</th></tr></thead>\n<tbody>\n");
  for (std::size_t i = 0; i < t_.objects.size(); ++i) {
    const TraceObject& o = t_.objects[i];
    absl::StrAppend(&out_, "<tr id=\"object-", i, "\" data-object=\"", i, "\"",
                    object_involved_[i] ? " class=\"involved\"" : "", "><td class=\"num\">", o.id,
                    "</td><td>", Esc(o.kind), "</td><td>", o.name.empty() ? "—" : Esc(o.name),
                    "</td><td class=\"num\">", object_ops_[i], "</td></tr>\n");
  }
  out_.append("</tbody>\n</table>\n</section>\n");
}

void HtmlReport::StacksSection() {
  out_.append("<section id=\"stacks\">\n<h2>Stacks</h2>\n");
  if (t_.stacks.empty()) {
    out_.append(
        "<p>No stacks were recorded (full traces record one at every blocking point and at the "
        "failure).</p>\n</section>\n");
    return;
  }
  const auto frame = [&](std::size_t index, const TraceFrame& f) {
    std::string location = f.file;
    if (!location.empty() && f.line > 0) absl::StrAppend(&location, ":", f.line);
    absl::StrAppend(
        &out_, R"(<div class="frame"><span class="idx">#)", index, "</span><code>",
        Esc(f.function.empty() ? "??" : f.function), "</code>",
        location.empty() ? "" : absl::StrCat(" <span class=\"loc\">at ", Esc(location), "</span>"),
        "</div>\n");
  };
  for (std::size_t i = 0; i < t_.stacks.size(); ++i) {
    const std::vector<std::size_t>& refs = stack_refs_[i];
    const bool involved = std::any_of(refs.begin(), refs.end(), [&](std::size_t e) {
      return t_.events[e].kind == TraceEventKind::kFailure;
    });
    absl::StrAppend(&out_, "<article class=\"stack", involved ? " involved" : "", "\" id=\"stack-",
                    i, "\" data-stack=\"", i, "\">\n<h3>Stack #", i,
                    involved ? " (the failure)" : "", "</h3>\n");
    if (refs.empty()) {
      out_.append("<p>No recorded event refers to it.</p>\n");
    } else {
      out_.append("<ul class=\"refs\">\n");
      for (std::size_t k = 0; k < std::min(refs.size(), kMaxStackRefs); ++k) {
        absl::StrAppend(&out_, "<li>", Esc(t_.Describe(t_.events[refs[k]])), "</li>\n");
      }
      if (refs.size() > kMaxStackRefs) {
        absl::StrAppend(&out_, "<li>… and ", refs.size() - kMaxStackRefs, " more</li>\n");
      }
      out_.append("</ul>\n");
    }
    // User frames shown, runs of internal frames (weave, the standard library, the harness)
    // folded away: they are the same in every stack and bury the interesting lines.
    const std::vector<TraceFrame>& frames = t_.stacks[i].frames;
    std::size_t f = 0;
    while (f < frames.size()) {
      if (!frames[f].internal) {
        frame(f, frames[f]);
        ++f;
        continue;
      }
      std::size_t g = f;
      while (g < frames.size() && frames[g].internal) ++g;
      absl::StrAppend(&out_, "<details class=\"internal\"><summary>",
                      Plural(g - f, "internal frame", "internal frames"), "</summary>\n");
      for (; f < g; ++f) frame(f, frames[f]);
      out_.append("</details>\n");
    }
    if (frames.empty()) out_.append("<p>(no frames)</p>\n");
    out_.append("</article>\n");
  }
  out_.append("</section>\n");
}

void HtmlReport::EventLog() {
  const std::vector<TraceEvent>& events = t_.events;
  out_.append("<section id=\"events\">\n<h2>Event log</h2>\n");
  if (t_.dropped_events > 0) {
    absl::StrAppend(&out_, "<p class=\"note\">The ring kept the last ", events.size(),
                    " events; the first ", t_.dropped_events,
                    " events of the run were dropped (a full trace, from a replay, keeps all)."
                    "</p>\n");
  }
  if (log_end_ - log_begin_ < events.size()) {
    absl::StrAppend(&out_, R"(<p class="note" id="events-truncated">Showing events )",
                    log_begin_ + 1, " to ", log_end_, " of ", events.size(), " (steps ",
                    events[log_begin_].step, " to ", events[log_end_ - 1].step, "), around ",
                    t_.failure ? "the failure" : "the end",
                    "; the .trace file has them all (weave show).</p>\n");
  }
  out_.append(
      "<div class=\"scroll\">\n<table id=\"event-log\">\n<thead><tr><th>step</th><th>time</th>"
      "<th>task</th><th>event</th></tr></thead>\n<tbody>\n");
  for (std::size_t i = log_begin_; i < log_end_; ++i) {
    const TraceEvent& e = events[i];
    // Describe repeats step, time and task, which have their own columns here.
    std::string description = t_.Describe(e);
    std::string prefix = absl::StrCat("step ", e.step, "  t=", e.time_ns, "ns  ");
    if (e.task != kNoTask) absl::StrAppend(&prefix, t_.TaskLabel(e.task), "  ");
    if (description.compare(0, prefix.size(), prefix) == 0) description.erase(0, prefix.size());
    const bool involved = ValidTask(e.task) && stats_[static_cast<std::size_t>(e.task)].involved;
    const char* cls = e.kind == TraceEventKind::kFailure ? " failure" : involved ? " involved" : "";
    absl::StrAppend(
        &out_, "<tr class=\"ev-", AV(TraceEventKindName(e.kind)), cls, "\" data-step=\"", e.step,
        R"("><td class="num">)", e.step, R"(</td><td class="num" title=")", e.time_ns, " ns\">",
        Esc(FormatNs(e.time_ns)), "</td><td>", e.task == kNoTask ? "—" : Esc(t_.TaskLabel(e.task)),
        "</td><td class=\"desc\">", Esc(description));
    if (ValidStack(e.stack)) {
      absl::StrAppend(&out_, " <a href=\"#stack-", e.stack, "\">stack #", e.stack, "</a>");
    }
    out_.append("</td></tr>\n");
  }
  out_.append("</tbody>\n</table>\n</div>\n</section>\n");
}

// Checks that the page arrived whole (one timeline row and one graph box per task, every log row),
// scrolls the timeline to the failure and wires the copy button; `data-weave-report` on <body> says
// how that went, for people and for tests that load the page in a browser.
constexpr std::string_view kScript = R"js(
(function () {
  'use strict';
  var body = document.body;
  function count(selector) { return document.querySelectorAll(selector).length; }
  function expect(what, actual, expected) {
    if (actual !== expected) {
      throw new Error(what + ': ' + actual + ', expected ' + expected);
    }
  }
  try {
    var tasks = Number(body.dataset.weaveTasks);
    expect('timeline rows', count('#timeline g.task-row'), tasks);
    expect('task graph boxes', count('#task-graph g.node.task'), tasks);
    expect('task table rows', count('#task-table tbody tr'), tasks);
    expect('event log rows', count('#event-log tbody tr'), Number(body.dataset.weaveLogRows));
    expect('stacks', count('#stacks article.stack'), Number(body.dataset.weaveStacks));
    expect('failure section', count('#failure'), body.dataset.weaveFailure === 'none' ? 0 : 1);
    // A long timeline opens at the failure rather than at its first step.
    // Its labels stay at the left edge as it scrolls.
    var scroller = document.querySelector('#timeline-section .scroll');
    var labels = document.querySelector('#timeline g.labels');
    var marker = document.querySelector('#failure-marker line');
    if (scroller && labels) {
      var pin = function () {
        labels.setAttribute('transform', 'translate(' + scroller.scrollLeft + ',0)');
      };
      scroller.addEventListener('scroll', pin);
      if (marker) {
        var x = Number(marker.getAttribute('x1'));
        if (x > scroller.clientWidth) scroller.scrollLeft = x - scroller.clientWidth / 2;
      }
      pin();
    }
    var button = document.getElementById('copy-replay');
    var command = document.getElementById('replay-command');
    if (button && command) {
      button.hidden = false;
      button.addEventListener('click', function () {
        function copied() { button.textContent = 'Copied'; }
        function select() {
          var range = document.createRange();
          range.selectNodeContents(command);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          try { if (document.execCommand('copy')) copied(); } catch (e) { /* selected, at least */ }
        }
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(command.textContent).then(copied, select);
        } else {
          select();
        }
      });
    }
    body.dataset.weaveReport = 'ready';
  } catch (err) {
    body.dataset.weaveReport = 'error';
    body.dataset.weaveError = String(err && err.message ? err.message : err);
  }
})();
)js";

void HtmlReport::Script() { absl::StrAppend(&out_, "<script>", AV(kScript), "</script>\n"); }

}  // namespace

std::string ToHtmlReport(const Trace& trace) { return HtmlReport(trace).Render(); }

}  // namespace weave
