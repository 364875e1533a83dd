// Bounded exhaustive search, `dfs:B`: iterative bounding of the deviations from a default order
// (delay bounding in the spirit of Emmi, Qadeer and Rakamaric, POPL 2011, every deviation costing
// 1 whichever task it picks), with sleep sets (Godefroid, 1996) restricted so that they stay sound
// under the bound (Coons, Musuvathi and McKinley, OOPSLA 2013, show how the plain combination
// loses schedules).
//
// The default order: at a scheduling point the task that reached it runs on if it is offered, else
// the lowest offered id runs. A deviation is any other pick: a preemption (the task that reached
// the point could run on) or an out-of-order pick at a free point (it blocked, finished or sits
// out). Lowest id rather than round robin after the task that stopped: on the strategy comparison
// bench both find the same bugs at about the same counts, but lowest id ends the correct twins in
// up to 2.6 times fewer schedules and finds thread_pool_buggy within its 1,000.
//
// The search is stateless: every run replays a prefix of decisions, then follows the default
// order (choose(n) answers 0), recording one node per decision. The other offered tasks at a node
// that do not sleep are its deviations: they are queued for the next pass. Pass c therefore runs
// exactly the schedules with c deviations, c = 0, 1, ..., B, and the first failure found has the
// fewest: pass 0 is one schedule, and pass c at most (decisions x tasks)^c, polynomial in the
// length of a run. The values of choose(n) cost nothing: they are explored within the pass, depth
// first (they are a test's inputs, not an order; charging them would spend the bound on data and
// leave dfs:0 with the value 0 alone).
//
// Sleep sets. When a deviation `a` is taken at a node whose default pick is `d`, d falls asleep in
// a's subtree if its pending step is independent of a's, and wakes when a step dependent on it
// runs (same object and one a write, a step of unknown effect, or a yield: see Dependent) or at a
// free point, where every sleeper wakes. A sleeping task is no alternative. A run that would pick
// d while it sleeps, E = P a w d R, has no free point from a to d's pick (d would have woken) and w
// is independent of d's step; it is equivalent to E' = P d a w R, which lies in the default branch
// at the same node, and E' has no more deviations: E' takes d there at no cost where E deviated
// (-1); picking a after d costs E' at most 1; within w the task that reached each point could run
// on in E (no free point, and no yield: it would wake d), and still can in E' (a step blocks only
// the task that takes it), so each pick costs the same; E deviates to d (+1, the task before it
// could run on) and pays for R's first pick against d, where E' pays at most 1 for it against that
// task. So E' is explored whenever E is within the bound, and every schedule with at most B
// deviations is equivalent to an explored one (tests/bounded_exhaustive_test.cpp checks this
// against brute force). Free points must wake the sleepers: there the default is the lowest offered
// id, and d's step, moved earlier in E', can make more tasks runnable by then (an unlock that wakes
// a waiter, a last step that wakes a joiner), turning a default pick of E into a deviation of E'
// (the differential test finds such a loss when they do not wake). Tasks are not put to sleep after
// the other deviations at a node either: there E' deviates where E does and can need one more
// deviation after, beyond the bound (the loss Coons et al. describe). So N, the count of schedules
// run, is larger than the number of equivalence classes. Since the default pick of every point is
// awake (it ran last, or the point is free), no run ends with every task asleep: every run counts.
//
// Not pruned: deviations before a step that touches nothing (a spawn's or a start's). Moving that
// step earlier would carry it past steps of unknown effect, with which Conflict orders it, and past
// free points whose default it can change, so the pruning is not sound here.
//
// Memory: a node per decision of the current run (32 bytes); queued prefixes are shared in a trie
// of decisions (24 bytes each), one queue entry (16 bytes) per node with deviations. Both are
// capped; a search that outgrows them goes on without queueing and says it is not exhaustive.
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
    // Alternatives not yet run at this node in this pass. Only choose(n) nodes and the node of
    // this pass's queue entry have any. The entry's alternatives are the offered tasks above
    // `value` by id, other than the default pick, that do not sleep: they are found again when
    // the next run reaches the node.
    std::uint32_t untried = 0;
    std::int32_t trie = -1;  // the trie decision for path[0..this], once materialized
    bool choice = false;     // a choose(n), else a task pick
    bool advance = false;    // the next run takes the next alternative here
  };
  // A decision of a queued prefix; the prefix is the chain of parents up to -1.
  struct TrieDecision {
    std::int64_t value;
    std::uint64_t shape;
    std::int32_t parent;
    bool choice;
  };
  // The deviating alternatives at a node, run in the next pass: the prefix up to the node (a trie
  // decision, -1 when empty), how many there are, and the node's shape.
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
  std::vector<TrieDecision> trie;
  std::vector<Queued> queue;  // this pass's entries; the next one is queue[next_queued]
  std::size_t next_queued = 0;
  std::vector<Queued> next_queue;  // the next pass's
  int pass = 0;                    // the deviations of every schedule this pass runs
  bool started = false;
  bool finished = false;       // BeginRun said no more runs
  bool truncated = false;      // a cap stopped queueing: not exhaustive
  std::int64_t schedules = 0;  // runs
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

  // Starts the run of queue entry `q`: its prefix, then its first deviating alternative.
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
    alternative.untried = q.alternatives - 1;
    path.push_back(alternative);
    floor = path.size() - 1;
  }

  // Whether `task` is an alternative at a node: offered (the caller's loop), not the node's
  // default pick, and awake.
  bool Alternative(TaskId task, TaskId default_pick) const {
    return task != default_pick && std::none_of(sleeping.begin(), sleeping.end(),
                                                [&](const Sleeper& s) { return s.task == task; });
  }

  // The sleep set after `picked` runs its pending step at a point whose default is
  // `default_pick` (the caller has already woken everyone if the point is free).
  void Step(const SchedulingView* view, TaskId default_pick, TaskId picked) {
    const bool deviates = picked != default_pick;
    // No step kinds (no simulation attached): nobody sleeps. Nothing to update in the common case.
    if (view == nullptr || (sleeping.empty() && !deviates)) return;
    const NextStep step = view->NextStepOf(picked);
    std::erase_if(sleeping, [&](const Sleeper& s) { return Dependent(s.step, step); });
    if (deviates) {
      const NextStep passed_over = view->NextStepOf(default_pick);
      if (!Dependent(passed_over, step)) sleeping.push_back({default_pick, passed_over});
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

BoundedExhaustiveStrategy::BoundedExhaustiveStrategy(int bound)
    : bound_(bound), state_(std::make_unique<State>()) {}
BoundedExhaustiveStrategy::~BoundedExhaustiveStrategy() = default;

bool BoundedExhaustiveStrategy::BeginRun() {
  State& s = *state_;
  if (s.finished) return false;
  s.sleeping.clear();
  s.divergence.clear();
  if (!s.started) {
    s.started = true;
    s.position = 0;
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
    if (s.pass < bound_ && !s.next_queue.empty()) {
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
  // The default order: the task that reached the point runs on if it is offered, else the lowest
  // offered id. A free point wakes every sleeper (see the top comment).
  const TaskId default_pick = current_offered ? current : runnable[0];
  if (!current_offered) s.sleeping.clear();
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
          runnable.end(), [&](TaskId t) { return s.Alternative(t, default_pick); });
      if (next == runnable.end()) {
        s.divergence = absl::StrCat("nondeterminism at decision ", index + 1,
                                    ": dfs found fewer alternatives there than an earlier run");
        return kNoTask;
      }
      node.value = *next;
      node.advance = false;
    }
    const auto picked = static_cast<TaskId>(node.value);
    s.Step(view_, default_pick, picked);
    return picked;
  }
  // A new node: the default pick runs (it is awake: it was picked last, or the point is free), and
  // the other awake offered tasks are the next pass's alternatives here.
  State::Node node;
  node.shape = runnable.fingerprint();
  node.value = default_pick;
  if (s.pass < bound_ && !s.truncated) {
    std::uint32_t alternatives = 0;
    for (TaskId t : runnable) alternatives += s.Alternative(t, default_pick) ? 1 : 0;
    if (alternatives > 0) {
      const std::int32_t prefix = s.next_queue.size() < kMaxQueued ? s.Materialize(index) : -2;
      if (prefix == -2) {
        s.truncated = true;
      } else {
        s.next_queue.push_back({prefix, alternatives, node.shape});
      }
    }
  }
  s.path.push_back(node);
  s.Step(view_, default_pick, default_pick);
  return default_pick;
}

std::uint64_t BoundedExhaustiveStrategy::PickChoice(std::uint64_t n) {
  State& s = *state_;
  const std::size_t index = s.position++;
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
  return s.started && !s.truncated && !s.WorkLeft(bound_);
}

std::string BoundedExhaustiveStrategy::Summary() const {
  const State& s = *state_;
  if (!s.started) return {};
  if (s.truncated) return "not exhaustive: the search outgrew its memory budget";
  if (!Exhausted()) return "not exhaustive: the iteration limit stopped it";
  return absl::StrCat("explored all ", s.schedules, s.schedules == 1 ? " schedule" : " schedules",
                      " with at most ", bound_, bound_ == 1 ? " deviation" : " deviations",
                      " from the default order");
}

std::string BoundedExhaustiveStrategy::Divergence() const { return state_->divergence; }

}  // namespace weave::detail
