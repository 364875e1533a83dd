#include "internal/lock_order.hpp"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace weave::detail {

namespace {
// Cycles longer than this are not searched for: real inversions involve few locks, and the search
// runs only when an edge is new or changed.
constexpr std::size_t kMaxCycleLength = 8;
}  // namespace

std::int32_t LockOrderGraph::Node(const std::string& key, const std::string& description) {
  auto [it, inserted] = node_by_key_.try_emplace(key, static_cast<std::int32_t>(nodes_.size()));
  if (inserted) nodes_.push_back({description, {}, description, {}, {}});
  return it->second;
}

bool LockOrderGraph::Reportable(const std::vector<std::int32_t>& cycle) const {
  // A gate lock: one lock held at every formation of every edge of the cycle.
  std::vector<std::int32_t> common = edges_[cycle[0]].gates;
  for (std::size_t i = 1; i < cycle.size() && !common.empty(); ++i) {
    const std::vector<std::int32_t>& g = edges_[cycle[i]].gates;
    std::vector<std::int32_t> kept;
    std::set_intersection(common.begin(), common.end(), g.begin(), g.end(),
                          std::back_inserter(kept));
    common = std::move(kept);
  }
  if (!common.empty()) return false;
  // One task that formed every edge alone cannot deadlock with itself.
  const std::string& task = edges_[cycle[0]].first.task;
  for (std::int32_t e : cycle) {
    if (edges_[e].first.task != task || !edges_[e].second_task.empty()) return true;
  }
  return false;
}

void LockOrderGraph::FindCycles(std::int32_t edge, std::vector<Cycle>& found) {
  // Depth-first search for paths from the edge's target back to its source, only through nodes
  // from which the source can be reached at all (found first, in time linear in the graph): a
  // graph with many edges but no cycle through this one costs no enumeration.
  const std::int32_t source = edges_[edge].from;
  reaches_source_.assign(nodes_.size(), 0);
  std::vector<std::int32_t> work{source};
  reaches_source_[static_cast<std::size_t>(source)] = 1;
  while (!work.empty()) {
    const std::int32_t n = work.back();
    work.pop_back();
    for (std::int32_t e : nodes_[static_cast<std::size_t>(n)].in) {
      const std::int32_t from = edges_[e].from;
      if (reaches_source_[static_cast<std::size_t>(from)] == 0) {
        reaches_source_[static_cast<std::size_t>(from)] = 1;
        work.push_back(from);
      }
    }
  }
  if (reaches_source_[static_cast<std::size_t>(edges_[edge].to)] == 0) return;
  // Cycles through the edge can still be many: a bounded number of steps finds the short ones.
  constexpr int kMaxSteps = 100'000;
  int steps = 0;
  std::vector<std::int32_t> path{edge};
  std::vector<std::int32_t> on_path{edges_[edge].to};
  struct Frame {
    std::int32_t node;
    std::size_t next;
  };
  std::vector<Frame> stack{{edges_[edge].to, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    const std::vector<std::int32_t>& out = nodes_[f.node].out;
    if (f.next >= out.size() || path.size() >= kMaxCycleLength) {
      stack.pop_back();
      path.pop_back();
      on_path.pop_back();
      continue;
    }
    const std::int32_t e = out[f.next++];
    const std::int32_t to = edges_[e].to;
    if (++steps > kMaxSteps) return;
    if (reaches_source_[static_cast<std::size_t>(to)] == 0) continue;
    if (to == source) {
      path.push_back(e);
      if (Reportable(path)) {
        std::vector<std::int32_t> key = path;
        std::sort(key.begin(), key.end());
        if (reported_.insert(absl::StrJoin(key, ",")).second) found.push_back({path});
      }
      path.pop_back();
      continue;
    }
    if (std::find(on_path.begin(), on_path.end(), to) != on_path.end()) continue;
    path.push_back(e);
    on_path.push_back(to);
    stack.push_back({to, 0});
  }
}

}  // namespace weave::detail
