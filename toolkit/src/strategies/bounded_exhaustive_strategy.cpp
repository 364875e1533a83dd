// Bounded exhaustive search, `dfs:B`: CHESS-style iterative preemption bounding (Musuvathi and
// Qadeer, PLDI 2007) with sleep sets (Godefroid, 1996) restricted so that they stay sound under the
// bound (Coons, Musuvathi and McKinley, OOPSLA 2013, show how the plain combination loses
// schedules).
//
// The search is stateless: every run replays a prefix of decisions, then schedules without
// preempting (the task that reached the point runs on if it is offered, else the lowest offered
// id; choose(n) answers 0), recording one node per decision. Alternatives:
//  - free ones (the current task blocked, finished or sits out, so no pick preempts) and the
//    values of choose(n) are explored within the pass, depth first;
//  - preempting ones (another task while the current one is offered) are queued for the next
//    pass. Pass c therefore runs exactly the schedules with c preemptions, c = 0, 1, ..., B, and
//    the first failure found has the fewest preemptions.
//
// Sleep sets. When a preempting alternative `a` is taken at a node whose current task `c` is
// offered, `c` falls asleep in a's subtree until a step dependent on c's pending step runs (same
// object and one a write, a step of unknown effect, or a yield: see Dependent). A sleeping task is
// not picked: a run that would pick it there, E = P a w c R (w independent of c), is equivalent to
// E' = P c a w R, which lies in the non-preempting branch at the same node, and E' has no more
// preemptions than E: E' drops E's preemption of c after P, adds at most one where c stops for a
// (only if c can still run), and where E switches from the end of w to c and from c to R, E'
// switches once, from the end of w to R (a preemption only if E's first switch was one). So E' is
// explored whenever E is within the bound, and every schedule with at most B preemptions is
// equivalent to an explored one (tests/bounded_exhaustive_test.cpp checks this against brute
// force). Tasks are not put to sleep at free picks, nor after other preempting alternatives: there
// E' can need one or two preemptions more than E and lie beyond the bound (the loss Coons et al.
// describe), so N, the count of schedules run, is larger than the number of equivalence classes.
//
// A run in which every offered task sleeps is redundant (each of its continuations is equivalent
// to an explored one): it is finished without preempting, is not counted and adds no alternatives.
//
// Memory: a node per decision of the current run (32 bytes); queued prefixes are shared in a trie
// of decisions (24 bytes each), one queue entry (16 bytes) per node with preempting alternatives.
// Both are capped; a search that outgrows them goes on without queueing and says it is not
// exhaustive.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "internal/strategies.hpp"

namespace weave::detail {

namespace {
// Whether the order of two pending steps can matter, for sleep sets. A yield counts as dependent
// on every step: under fair scheduling (Options::fair) who is offered next depends on when tasks
// yielded, which the access kinds do not capture.
bool Dependent(const NextStep& a, const NextStep& b) {
  return a.yields || b.yields || Conflict(a, b);
}

bool Offered(const RunnableSet& runnable, TaskId task) {
  return std::binary_search(runnable.begin(), runnable.end(), task);
}

// Caps on what a search over very long runs may keep (48 MB and 32 MB at most).
constexpr std::size_t kMaxTrieDecisions = std::size_t{1} << 21;
constexpr std::size_t kMaxQueued = std::size_t{1} << 21;
}  // namespace

struct BoundedExhaustiveStrategy::State {
  // One decision of the current run.
  struct Node {
    std::int64_t value = 0;  // the task picked, or the value chosen
    // What the run offered here, to tell a body that changed its course: the runnable set's
    // fingerprint, or choose's n.
    std::uint64_t shape = 0;
    // Alternatives not yet run at this node in this pass. A task node's alternatives are the
    // offered tasks above `value` by id that do not sleep (nor, when `preempting`, the current
    // task): they are found again when the next run reaches the node.
    std::uint32_t untried = 0;
    std::int32_t trie = -1;   // the trie decision for path[0..this], once materialized
    bool choice = false;      // a choose(n), else a task pick
    bool advance = false;     // the next run takes the next alternative here
    bool preempting = false;  // a queued node: its alternatives preempt the current task
  };
  // A decision of a queued prefix; the prefix is the chain of parents up to -1.
  struct TrieDecision {
    std::int64_t value;
    std::uint64_t shape;
    std::int32_t parent;
    bool choice;
  };
  // The preempting alternatives at a node, run in a later pass: the prefix up to the node
  // (a trie decision, -1 when empty), how many there are, and the node's shape.
  struct Queued {
    std::int32_t prefix;
    std::uint32_t alternatives;
    std::uint64_t shape;
  };
  struct Sleeper {
    TaskId task;
    NextStep step;
  };

  // Invariant: path[i] for i < floor is the queued prefix of this pass's current entry, never
  // backtracked; path[i].trie is valid for i < materialized.
  std::vector<Node> path;
  std::size_t floor = 0;
  std::size_t materialized = 0;
  std::size_t position = 0;  // decisions made in this run
  std::vector<Sleeper> sleeping;
  bool redundant = false;  // this run: every offered task slept at some point
  std::vector<TrieDecision> trie;
  std::vector<Queued> queue;  // this pass's entries; the next one is queue[next_queued]
  std::size_t next_queued = 0;
  std::vector<Queued> next_queue;  // the next pass's
  int pass = 0;                    // the preemptions of every schedule this pass runs
  bool started = false;
  bool finished = false;       // BeginRun said no more runs
  bool truncated = false;      // a cap stopped queueing: not exhaustive
  std::int64_t schedules = 0;  // runs, without the redundant ones
  std::int64_t redundant_runs = 0;
  std::string divergence;

  // Makes path[0..n) trie decisions; returns the one of path[n-1] (-1 when n == 0), or -2 when
  // the trie is full.
  std::int32_t Materialize(std::size_t n) {
    if (n > materialized && trie.size() + (n - materialized) > kMaxTrieDecisions) return -2;
    for (; materialized < n; ++materialized) {
      Node& node = path[materialized];
      node.trie = static_cast<std::int32_t>(trie.size());
      trie.push_back({node.value, node.shape, materialized == 0 ? -1 : path[materialized - 1].trie,
                      node.choice});
    }
    return n == 0 ? -1 : path[n - 1].trie;
  }

  // Starts the run of queue entry `q`: its prefix, then its first preempting alternative.
  void Load(const Queued& q) {
    path.clear();
    for (std::int32_t t = q.prefix; t >= 0; t = trie[static_cast<std::size_t>(t)].parent) {
      const TrieDecision& d = trie[static_cast<std::size_t>(t)];
      Node node;
      node.value = d.value;
      node.shape = d.shape;
      node.choice = d.choice;
      node.trie = t;
      path.push_back(node);
    }
    std::reverse(path.begin(), path.end());
    materialized = path.size();
    Node alternative;
    alternative.value = kNoTask;
    alternative.shape = q.shape;
    alternative.advance = true;
    alternative.preempting = true;
    alternative.untried = q.alternatives - 1;
    path.push_back(alternative);
    floor = path.size() - 1;
  }

  // Whether `task` may be picked at a node: offered (the caller's loop), awake, and not the
  // current task at a preempting node.
  bool Eligible(TaskId task, TaskId current, bool preempting) const {
    if (preempting && task == current) return false;
    return std::none_of(sleeping.begin(), sleeping.end(),
                        [&](const Sleeper& s) { return s.task == task; });
  }

  // The sleep set after `picked` runs its pending step at a point reached by `current`.
  void Step(const SchedulingView* view, bool current_offered, TaskId current, TaskId picked) {
    const bool preempts = picked != current && current_offered;
    // No step kinds (no simulation attached): nobody sleeps. Nothing to update in the common case.
    if (view == nullptr || (sleeping.empty() && !preempts)) return;
    const NextStep step = view->NextStepOf(picked);
    std::erase_if(sleeping, [&](const Sleeper& s) { return Dependent(s.step, step); });
    if (preempts) {
      const NextStep preempted = view->NextStepOf(current);
      if (!Dependent(preempted, step)) sleeping.push_back({current, preempted});
    }
  }

  // Work left: an alternative on the path above the floor, an entry in this pass's queue, or a
  // next pass within the bound.
  bool WorkLeft(int bound) const {
    for (std::size_t i = path.size(); i-- > floor;) {
      if (path[i].untried > 0) return true;
    }
    return next_queued < queue.size() || (pass < bound && !next_queue.empty());
  }
};

BoundedExhaustiveStrategy::BoundedExhaustiveStrategy(int preemption_bound)
    : preemption_bound_(preemption_bound), state_(std::make_unique<State>()) {}
BoundedExhaustiveStrategy::~BoundedExhaustiveStrategy() = default;

bool BoundedExhaustiveStrategy::BeginRun() {
  State& s = *state_;
  if (s.finished) return false;
  s.sleeping.clear();
  s.divergence.clear();
  if (!s.started) {
    s.started = true;
    s.position = 0;
    s.redundant = false;
    ++s.schedules;
    return true;
  }
  // The run may have ended before the end of the path (a body that changed its course): what it
  // did not reach is not part of the tree.
  if (s.position < s.path.size()) {
    s.path.resize(std::max(s.position, s.floor));
    s.materialized = std::min(s.materialized, s.path.size());
  }
  s.position = 0;
  s.redundant = false;
  for (;;) {
    // Backtrack: the deepest node above the floor with an alternative left.
    while (s.path.size() > s.floor && s.path.back().untried == 0) s.path.pop_back();
    if (!s.path.empty() && s.path.size() > s.floor) {
      State::Node& node = s.path.back();
      --node.untried;
      if (node.choice) {
        ++node.value;
      } else {
        node.advance = true;
      }
      s.materialized = std::min(s.materialized, s.path.size() - 1);
      ++s.schedules;
      return true;
    }
    if (s.next_queued < s.queue.size()) {
      s.Load(s.queue[s.next_queued++]);
      ++s.schedules;
      return true;
    }
    if (s.pass < preemption_bound_ && !s.next_queue.empty()) {
      ++s.pass;
      s.queue = std::move(s.next_queue);
      s.next_queue.clear();
      s.next_queued = 0;
      continue;
    }
    s.finished = true;
    return false;
  }
}

TaskId BoundedExhaustiveStrategy::PickTask(const RunnableSet& runnable, TaskId current) {
  State& s = *state_;
  const std::size_t index = s.position++;
  const bool current_offered = Offered(runnable, current);
  const TaskId run_on = current_offered ? current : runnable[0];
  if (s.redundant) return run_on;
  if (index < s.path.size()) {  // replaying the prefix that leads to this run's alternative
    State::Node& node = s.path[index];
    if (node.choice || node.shape != runnable.fingerprint()) {
      s.divergence = absl::StrCat(
          "nondeterminism at decision ", index + 1,
          ": dfs replayed the decisions of an earlier run, ",
          node.choice ? "which asked choose(n) here, but this one reached a scheduling point"
                      : "but the runnable tasks here differ from that run's",
          " (does the body depend on something outside weave's control?)");
      return kNoTask;
    }
    if (node.advance) {  // the next alternative after node.value, as counted when it was made
      const auto next = std::find_if(
          std::upper_bound(runnable.begin(), runnable.end(), static_cast<TaskId>(node.value)),
          runnable.end(), [&](TaskId t) { return s.Eligible(t, current, node.preempting); });
      if (next == runnable.end()) {
        s.divergence = absl::StrCat("nondeterminism at decision ", index + 1,
                                    ": dfs found fewer alternatives there than an earlier run");
        return kNoTask;
      }
      node.value = *next;
      node.advance = false;
    }
    const auto picked = static_cast<TaskId>(node.value);
    s.Step(view_, current_offered, current, picked);
    return picked;
  }
  // A new node: the first awake task runs (the current one if offered: no preemption).
  std::uint32_t eligible = 0;
  TaskId first = kNoTask;
  for (TaskId t : runnable) {
    if (!s.Eligible(t, current, false)) continue;
    if (first == kNoTask) first = t;
    ++eligible;
  }
  if (eligible == 0) {  // all asleep: each way on is equivalent to a schedule explored elsewhere
    s.redundant = true;
    --s.schedules;
    ++s.redundant_runs;
    return run_on;
  }
  State::Node node;
  node.shape = runnable.fingerprint();
  if (current_offered) {
    // It is awake: it was eligible when it was picked, and a task falls asleep only when another
    // one is picked instead of it.
    node.value = current;
    if (eligible > 1 && s.pass < preemption_bound_ && !s.truncated) {
      const std::int32_t prefix = s.next_queue.size() < kMaxQueued ? s.Materialize(index) : -2;
      if (prefix == -2) {
        s.truncated = true;
      } else {
        s.next_queue.push_back({prefix, eligible - 1, node.shape});
      }
    }
  } else {
    node.value = first;
    node.untried = eligible - 1;
  }
  s.path.push_back(node);
  s.Step(view_, current_offered, current, static_cast<TaskId>(node.value));
  return static_cast<TaskId>(node.value);
}

std::uint64_t BoundedExhaustiveStrategy::PickChoice(std::uint64_t n) {
  State& s = *state_;
  const std::size_t index = s.position++;
  if (s.redundant) return 0;
  if (index < s.path.size()) {
    const State::Node& node = s.path[index];
    if (!node.choice || node.shape != n) {
      s.divergence =
          absl::StrCat("nondeterminism at decision ", index + 1,
                       ": dfs replayed the decisions of an earlier run, ",
                       node.choice ? absl::StrCat("which asked choose(", node.shape, ") here")
                                   : std::string("which reached a scheduling point here"),
                       ", but this one asks choose(", n, ")");
      return kNoChoice;
    }
    return static_cast<std::uint64_t>(node.value);
  }
  State::Node node;
  node.choice = true;
  node.shape = n;
  node.value = 0;
  // Values beyond what the counter holds are left out (such a search ends by its iterations).
  node.untried = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(n - 1, std::numeric_limits<std::uint32_t>::max()));
  s.path.push_back(node);
  return 0;
}

bool BoundedExhaustiveStrategy::Exhausted() const {
  const State& s = *state_;
  return s.started && !s.truncated && !s.WorkLeft(preemption_bound_);
}

std::string BoundedExhaustiveStrategy::Summary() const {
  const State& s = *state_;
  if (!s.started) return {};
  if (s.truncated) return "not exhaustive: the search outgrew its memory budget";
  if (!Exhausted()) return "not exhaustive: the iteration limit stopped it";
  std::string line = absl::StrCat(
      "explored all ", s.schedules, s.schedules == 1 ? " schedule" : " schedules", " with at most ",
      preemption_bound_, preemption_bound_ == 1 ? " preemption" : " preemptions");
  if (s.redundant_runs > 0) {
    absl::StrAppend(&line, " (and ", s.redundant_runs,
                    s.redundant_runs == 1 ? " redundant run" : " redundant runs", ")");
  }
  return line;
}

std::string BoundedExhaustiveStrategy::Divergence() const { return state_->divergence; }

}  // namespace weave::detail
