// ToDot: a weave::Trace as a Graphviz task graph.
//
// Nodes: a box per task ("2: consumer\ncoroutine"), an ellipse per object some event touches.
// Edges, each kind merged so that a long run stays readable: spawn (parent -> child), join
// (child -> joiner, dashed), wake (waker -> woken, per object, "x3" when repeated), message
// (sender -> receiver, per channel), and thin grey "uses" edges from a task to the objects it
// operated on. The failure's tasks and objects are red and bold; for a deadlock, red edges show
// what each blocked task waits on.
//
// Node names are ids (t2, o0); every user string goes into a quoted label, escaped.
// Determinism: edges come out sorted by their endpoints.
#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "internal/utf8.hpp"

#include "weave/trace_export.hpp"

namespace weave {
namespace {

using Kind = TraceEventKind;

using detail::Utf8SequenceLength;

// A DOT quoted string holding `s` as label text. In a quoted label Graphviz reads `\"`, and
// backslash sequences (\n, \l, \N, \G...) and HTML entities (&amp;) of its own, so a backslash
// becomes `\\` and `&` becomes `&amp;`; a newline becomes `\n` (a centred line break). Other
// control characters would end up in the SVG, where XML forbids them: they are shown as \xNN.
// Bytes that are not UTF-8 become U+FFFD (dot reads UTF-8 and rejects the rest). A label longer
// than kMaxDotLabel bytes is cut there and ends in "..." with its full length: Graphviz refuses
// to lay out an edge longer than 65,535 points, which a node as wide as a 10,000-character name
// makes (the .trace, JSON and HTML files keep every name whole).
constexpr std::size_t kMaxDotLabel = 400;

void AppendDotString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::size_t full_size = s.size();
  if (s.size() > kMaxDotLabel) {
    std::size_t cut = kMaxDotLabel;
    // Not inside a UTF-8 sequence: back up over continuation bytes to the sequence's start.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s = s.substr(0, cut);
  }
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t length = Utf8SequenceLength(s, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.data() + i, length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += ' ';
        break;
      case '\r':
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  if (s.size() < full_size) out += "... (" + std::to_string(full_size) + " bytes)";
  out += '"';
}

// What the red, bold failure highlight looks like.
constexpr std::string_view kHighlight =
    R"(, color="red", fontcolor="red", penwidth=2.5, style="bold")";

class DotWriter {
 public:
  explicit DotWriter(const Trace& trace) : trace_(trace) {}

  std::string Write() {
    Collect();
    out_.reserve(
        1024 + (trace_.tasks.size() + trace_.objects.size()) * 96 +
        (spawns_.size() + joins_.size() + wakes_.size() + messages_.size() + uses_.size()) * 80);
    out_ += "digraph weave {\n";
    WriteGraphAttributes();
    WriteNodes();
    WriteEdges();
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  bool KnownTask(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < trace_.tasks.size();
  }
  bool KnownObject(std::int64_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < trace_.objects.size();
  }

  // "mutex 'm' (#0)", or "shared #2" when unnamed: with the id, as two objects may share a name.
  std::string ObjectName(std::int32_t id) const { return trace_.ObjectLabel(id); }

  void Collect() {
    touched_.assign(trace_.objects.size(), false);
    for (const TraceTask& t : trace_.tasks) {
      if (KnownTask(t.id) && KnownTask(t.parent)) spawns_.emplace(t.parent, t.id);
    }
    // Sends by (channel, message number) until their receive.
    absl::flat_hash_map<std::pair<std::int32_t, std::int64_t>, TaskId> senders;
    last_block_.assign(trace_.tasks.size(), -1);
    for (std::size_t i = 0; i < trace_.events.size(); ++i) {
      const TraceEvent& e = trace_.events[i];
      if (KnownObject(e.object)) touched_[static_cast<std::size_t>(e.object)] = true;
      if (!KnownTask(e.task)) continue;  // a timeout while no task ran, or a corrupt event
      switch (e.kind) {
        case Kind::kSpawn:
          if (KnownTask(e.value)) spawns_.emplace(e.task, static_cast<TaskId>(e.value));
          break;
        case Kind::kJoin:
          if (KnownTask(e.value)) joins_.emplace(static_cast<TaskId>(e.value), e.task);
          break;
        case Kind::kWake:
          if (KnownTask(e.value)) {
            auto [it, inserted] =
                wakes_.try_emplace(std::tuple(e.task, static_cast<TaskId>(e.value),
                                              KnownObject(e.object) ? e.object : -1),
                                   WakeEdge{0, e.operation});
            ++it->second.count;
          }
          break;
        case Kind::kSend:
          if (KnownObject(e.object) && e.value >= 0) senders[{e.object, e.value}] = e.task;
          break;
        case Kind::kReceive:
          if (KnownObject(e.object) && e.value >= 0) {
            if (auto it = senders.find({e.object, e.value}); it != senders.end()) {
              ++messages_[std::tuple(it->second, e.task, e.object)];
              senders.erase(it);
            }
          }
          break;
        case Kind::kBlock:
          last_block_[static_cast<std::size_t>(e.task)] = static_cast<std::int64_t>(i);
          break;
        default:
          break;
      }
      // The operations a task performed on an object. A wake's operation is the woken task's
      // (the waker's own unlock or notify has its own event).
      if (KnownObject(e.object) && e.kind != Kind::kWake) {
        std::vector<TraceOperation>& ops = uses_[{e.task, e.object}];
        if (std::find(ops.begin(), ops.end(), e.operation) == ops.end()) {
          ops.push_back(e.operation);
        }
      }
    }
    highlighted_tasks_.assign(trace_.tasks.size(), false);
    highlighted_objects_.assign(trace_.objects.size(), false);
    if (trace_.failure) {
      const TraceFailure& f = *trace_.failure;
      for (TaskId t : f.tasks) {
        if (KnownTask(t)) highlighted_tasks_[static_cast<std::size_t>(t)] = true;
      }
      // The failing task too: an assertion's failure involves no other task.
      if (KnownTask(f.task)) highlighted_tasks_[static_cast<std::size_t>(f.task)] = true;
      for (std::int32_t o : f.objects) {
        if (!KnownObject(o)) continue;
        highlighted_objects_[static_cast<std::size_t>(o)] = true;
        touched_[static_cast<std::size_t>(o)] = true;  // shown even when its events were dropped
      }
    }
  }

  void WriteGraphAttributes() {
    std::string label = trace_.test_name.empty() ? "weave" : trace_.test_name;
    if (trace_.mode == TraceMode::kRing && trace_.dropped_events > 0) {
      label += "\n(the last " + std::to_string(trace_.events.size()) + " events; " +
               std::to_string(trace_.dropped_events) + " earlier ones dropped)";
    }
    if (trace_.failure) {
      label += "\nFAILURE (";
      label += FailureKindName(trace_.failure->kind);
      label += "): ";
      label += trace_.failure->message;
    }
    out_ += "  graph [label=";
    AppendDotString(out_, label);
    out_ += R"(, labelloc="t", fontname="Helvetica")";
    if (trace_.failure) out_ += ", fontcolor=\"red\"";
    out_ += "];\n";
    out_ += "  node [fontname=\"Helvetica\"];\n";
    out_ += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  }

  void WriteNodes() {
    out_ += "\n  // tasks\n";
    for (std::size_t i = 0; i < trace_.tasks.size(); ++i) {
      const TraceTask& t = trace_.tasks[i];
      std::string label = std::to_string(i);
      if (!t.name.empty()) label += ": " + t.name;
      if (!t.kind.empty()) label += "\n" + t.kind;
      out_ += "  t" + std::to_string(i) + " [shape=box, label=";
      AppendDotString(out_, label);
      if (highlighted_tasks_[i]) out_ += kHighlight;
      out_ += "];\n";
    }
    out_ += "\n  // objects\n";
    for (std::size_t i = 0; i < trace_.objects.size(); ++i) {
      if (!touched_[i]) continue;
      out_ += "  o" + std::to_string(i) + " [shape=ellipse, label=";
      AppendDotString(out_, ObjectName(static_cast<std::int32_t>(i)));
      if (highlighted_objects_[i]) out_ += kHighlight;
      out_ += "];\n";
    }
  }

  void Edge(std::string_view from, std::int64_t from_id, std::string_view to, std::int64_t to_id,
            std::string_view label, std::string_view attributes) {
    out_ += "  ";
    out_ += from;
    out_ += std::to_string(from_id);
    out_ += " -> ";
    out_ += to;
    out_ += std::to_string(to_id);
    out_ += " [label=";
    AppendDotString(out_, label);
    out_ += attributes;
    out_ += "];\n";
  }

  static std::string Times(std::string label, int count) {
    if (count > 1) label += " x" + std::to_string(count);
    return label;
  }

  void WriteEdges() {
    out_ += "\n  // spawn: parent -> child\n";
    for (const auto& [parent, child] : spawns_) Edge("t", parent, "t", child, "spawn", "");
    out_ += "\n  // join: child -> joiner\n";
    for (const auto& [child, joiner] : joins_) {
      Edge("t", child, "t", joiner, "join", ", style=\"dashed\"");
    }
    out_ += "\n  // wake: waker -> woken\n";
    for (const auto& [key, wake] : wakes_) {
      const auto& [waker, woken, object] = key;
      std::string what =
          object >= 0 ? ObjectName(object) : std::string(TraceOperationName(wake.first_operation));
      Edge("t", waker, "t", woken, Times("wake: " + what, wake.count),
           R"(, color="blue", fontcolor="blue")");
    }
    out_ += "\n  // message: sender -> receiver\n";
    for (const auto& [key, count] : messages_) {
      const auto& [sender, receiver, channel] = key;
      Edge("t", sender, "t", receiver, Times("message: " + ObjectName(channel), count),
           R"(, color="darkgreen", fontcolor="darkgreen")");
    }
    out_ += "\n  // uses: task -> object it operated on\n";
    for (const auto& [key, ops] : uses_) {
      std::string label;
      for (TraceOperation op : ops) {
        if (!label.empty()) label += ", ";
        label += TraceOperationName(op);
      }
      Edge("t", key.first, "o", key.second, label,
           R"(, color="gray60", fontcolor="gray40", fontsize=8, penwidth=0.6, arrowsize=0.5)");
    }
    WriteDeadlockWaits();
  }

  // For a deadlock: what each involved task waits on, from its last kBlock.
  void WriteDeadlockWaits() {
    if (!trace_.failure || trace_.failure->kind != FailureKind::kDeadlock) return;
    out_ += "\n  // deadlock: blocked task -> what it waits on\n";
    constexpr std::string_view kWait = R"(, color="red", fontcolor="red", penwidth=2.5)";
    std::set<TaskId> done;
    for (TaskId t : trace_.failure->tasks) {
      if (!KnownTask(t) || !done.insert(t).second) continue;
      const std::int64_t block = last_block_[static_cast<std::size_t>(t)];
      if (block < 0) continue;  // its block was dropped from a ring trace
      const TraceEvent& e = trace_.events[static_cast<std::size_t>(block)];
      const std::string label = "waits: " + std::string(TraceOperationName(e.operation));
      if (KnownTask(e.value)) {
        Edge("t", t, "t", e.value, label, kWait);
      } else if (KnownObject(e.object)) {
        Edge("t", t, "o", e.object, label, kWait);
      }
    }
  }

  struct WakeEdge {
    int count = 0;
    TraceOperation first_operation = TraceOperation::kStart;  // named when there is no object
  };

  const Trace& trace_;
  std::string out_;
  std::vector<bool> touched_;                   // by object id: some event names it
  std::vector<bool> highlighted_tasks_;         // by task id
  std::vector<bool> highlighted_objects_;       // by object id
  std::vector<std::int64_t> last_block_;        // by task id: the event index of its last kBlock
  std::set<std::pair<TaskId, TaskId>> spawns_;  // (parent, child)
  std::set<std::pair<TaskId, TaskId>> joins_;   // (child, joiner)
  std::map<std::tuple<TaskId, TaskId, std::int32_t>, WakeEdge> wakes_;  // (waker, woken, object)
  std::map<std::tuple<TaskId, TaskId, std::int32_t>, int> messages_;    // (sender, receiver, chan)
  std::map<std::pair<TaskId, std::int32_t>, std::vector<TraceOperation>> uses_;
};

}  // namespace

std::string ToDot(const Trace& trace) { return DotWriter(trace).Write(); }

}  // namespace weave
