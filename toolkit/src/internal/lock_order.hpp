// Internal: the lock-order graph (the potential-deadlock detector), kept across every run of an
// exploration.
//
// A node is a lock, named the same way in every run: its kind, its name, where it was declared and
// its instance number among the locks declared there in the run (SyncObject::instance()). An edge
// A -> B says some task asked for B while holding A. A cycle means two (or more) tasks can each
// hold one lock of the cycle and wait for the next: a potential deadlock, even if no schedule seen
// so far deadlocked. Each edge also keeps its gate locks: the locks held at every acquisition that
// formed it (an intersection). A cycle whose edges all share a gate lock cannot deadlock, since
// only one task at a time can be inside the gate; such cycles are not reported (as in TSan's and
// Abseil's detectors). Nor are cycles that one task formed alone.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

#include "weave/failure.hpp"

namespace weave::detail {

class LockOrderGraph {
 public:
  // Describes how a new edge was formed, for its report.
  struct Formation {
    std::string task;      // "2 'writer'"
    std::int64_t run = 0;  // which run of the exploration (0-based)
    std::int64_t step = 0;
    std::vector<void*> stack;  // native stack of the acquisition (return addresses)
  };
  struct Edge {
    std::int32_t from = -1;
    std::int32_t to = -1;
    std::vector<std::int32_t> gates;  // sorted; locks held at every formation
    Formation first;
    std::string second_task;  // another task that formed it too ("" if none)
  };
  struct Cycle {
    std::vector<std::int32_t> edges;  // indexes into edges(), in cycle order
  };
  // A lock a task holds, and whether in shared mode (no gate: other sharers get in too).
  struct Held {
    std::int32_t node;
    bool shared;
  };

  // The node of the lock identified by `key` (kind, name, declaration site, instance), created
  // with `description` on first sight.
  std::int32_t Node(const std::string& key, const std::string& description);
  const std::string& Describe(std::int32_t node) const { return nodes_[node].description; }
  const std::string& NodeName(std::int32_t node) const { return nodes_[node].name; }
  void SetNodeName(std::int32_t node, const std::string& name) { nodes_[node].name = name; }
  // A short label ("mutex 'accounts'"); Describe() adds where it was declared.
  const std::string& Label(std::int32_t node) const { return nodes_[node].label; }
  void SetNodeLabel(std::int32_t node, std::string label) { nodes_[node].label = std::move(label); }

  // A task holding `held` (in acquisition order) asks for `wanted`. Adds or updates the edges
  // held[i] -> wanted (none when it already holds `wanted`: asking again never waits for itself in
  // an order another task could invert). `formation` is called at most once, only when an edge is
  // new (it captures the stack). Appends to `found` every cycle through a new or changed edge that
  // is reportable and was not reported before.
  template <class MakeFormation>
  void Request(const std::vector<Held>& held, std::int32_t wanted, const std::string& task,
               MakeFormation&& formation, std::vector<Cycle>& found);

  const std::vector<Edge>& edges() const { return edges_; }

 private:
  struct NodeInfo {
    std::string description;
    std::string name;
    std::string label;
    std::vector<std::int32_t> out;  // edge indexes
    std::vector<std::int32_t> in;
  };
  void FindCycles(std::int32_t edge, std::vector<Cycle>& found);
  bool Reportable(const std::vector<std::int32_t>& cycle) const;

  std::vector<NodeInfo> nodes_;
  absl::flat_hash_map<std::string, std::int32_t> node_by_key_;
  std::vector<Edge> edges_;
  absl::flat_hash_map<std::uint64_t, std::int32_t> edge_by_pair_;
  // Cycles already reported, by their sorted edge list.
  absl::flat_hash_set<std::string> reported_;
  std::vector<std::int32_t> scratch_gates_;
  std::vector<char> reaches_source_;  // FindCycles' scratch, by node
};

template <class MakeFormation>
void LockOrderGraph::Request(const std::vector<Held>& held, std::int32_t wanted,
                             const std::string& task, MakeFormation&& formation,
                             std::vector<Cycle>& found) {
  for (const Held& h : held) {
    if (h.node == wanted) return;
  }
  for (std::size_t i = 0; i < held.size(); ++i) {
    const std::int32_t from = held[i].node;
    // The gates of this formation: every other lock held exclusively.
    scratch_gates_.clear();
    for (std::size_t j = 0; j < held.size(); ++j) {
      if (j != i && !held[j].shared && held[j].node != from) {
        scratch_gates_.push_back(held[j].node);
      }
    }
    std::sort(scratch_gates_.begin(), scratch_gates_.end());
    scratch_gates_.erase(std::unique(scratch_gates_.begin(), scratch_gates_.end()),
                         scratch_gates_.end());
    const std::uint64_t pair =
        (static_cast<std::uint64_t>(static_cast<std::uint32_t>(from)) << 32) |
        static_cast<std::uint32_t>(wanted);
    auto [it, inserted] = edge_by_pair_.try_emplace(pair, static_cast<std::int32_t>(edges_.size()));
    if (inserted) {
      Edge e;
      e.from = from;
      e.to = wanted;
      e.gates = scratch_gates_;
      e.first = formation();
      edges_.push_back(std::move(e));
      nodes_[from].out.push_back(it->second);
      nodes_[wanted].in.push_back(it->second);
      FindCycles(it->second, found);
      continue;
    }
    Edge& e = edges_[it->second];
    bool changed = false;
    if (!e.gates.empty()) {
      std::vector<std::int32_t> kept;
      std::set_intersection(e.gates.begin(), e.gates.end(), scratch_gates_.begin(),
                            scratch_gates_.end(), std::back_inserter(kept));
      changed = kept.size() != e.gates.size();
      e.gates = std::move(kept);
    }
    if (e.second_task.empty() && task != e.first.task) {
      e.second_task = task;
      changed = true;
    }
    if (changed) FindCycles(it->second, found);
  }
}

}  // namespace weave::detail
