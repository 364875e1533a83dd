// weave/trace_export.hpp: a trace as a Chrome trace, a Graphviz task graph and an HTML report.
//
// Three views of one weave::Trace (weave/trace.hpp), each a deterministic function of the trace
// (the same trace gives the same bytes):
//  - Chrome trace event JSON (`.trace.json`), for Perfetto (ui.perfetto.dev) and chrome://tracing:
//    one track per task, a slice per running span, instants for operations, flow arrows for
//    spawn, join, wake and message edges; timestamps are virtual time, stretched by 1 ns per step
//    so that steps at the same virtual instant stay apart and in order;
//  - a Graphviz DOT task graph (`.dot`): tasks, objects, spawn/join/wake/message edges, with the
//    failure's tasks and objects highlighted;
//  - a self-contained HTML report (`.html`, no network needed): the failure, a timeline per task,
//    the task graph, every stack and the replay command.
// When a schedule fails, weave writes all of them beside its schedule file (WriteTraceFiles).
//
//   absl::StatusOr<weave::Trace> trace = weave::ReadTraceFile("weave-out/T.trace");
//   std::ofstream("t.json") << weave::ToChromeTraceJson(*trace);
//   std::ofstream("t.html") << weave::ToHtmlReport(*trace);
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

#include "weave/trace.hpp"

namespace weave {

std::string ToChromeTraceJson(const Trace& trace);
std::string ToDot(const Trace& trace);
std::string ToHtmlReport(const Trace& trace);

// Renders DOT text to SVG with Graphviz's `dot` (found on PATH). NotFound when `dot` is not
// installed; Internal with dot's message when it fails.
absl::StatusOr<std::string> RenderDotToSvg(const std::string& dot);

// Writes `BASE.trace`, `BASE.trace.json`, `BASE.dot` and `BASE.html` (BASE is a path without
// extension, e.g. "weave-out/Bank.Transfer"). Returns the paths written; on the first error,
// the error (naming the file), with nothing half-written left under the final names.
absl::StatusOr<std::vector<std::string>> WriteTraceFiles(const Trace& trace,
                                                         const std::string& base);

}  // namespace weave
