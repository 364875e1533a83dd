// Bounded exhaustive search (dfs:B): schedule counts against hand-computed numbers, bugs of
// depth 1 and 2 found (and a depth-2 bug not found with one deviation), correct twins explored to
// the end, determinism, nondeterministic bodies, and the summary line.
//
// How the counts come about. A schedule is a sequence of picks at scheduling points. The default
// pick is the task that reached the point if it can run on, else the lowest runnable id; any other
// pick is a deviation (a preemption, or an out-of-order pick where the current task blocked or
// finished). Pass c runs the schedules with exactly c deviations (c = 0..B): pass 0 is the one
// default schedule, and each run of pass c queues, at every point after its last deviation, the
// other runnable tasks for pass c + 1, except sleeping ones. A task sleeps where it was the default
// pick and another was taken, if their steps are independent, until a step that depends on its
// pending one runs or a point where the current task cannot run on. The scheduling points of the
// bodies below:
//   weave::spawn(...)   a point of the parent after the child exists (its pending step touches no
//                       shared object: independent of every step)
//   the child's start   its first step, from its start to its first point (independent)
//   x.fetch_add / load / store   a point before the operation (a write or read of x)
//   join                a point before it (a step of unknown effect: dependent on every step);
//                       then the task blocks if the other one has not finished
//   finishing           the task's last step ends with it; the pick after it is free
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "test_support.hpp"

#include "weave/strategy.hpp"

namespace {

using ::testing::HasSubstr;
using weave::FailureKind;

// dfs:bound, with nothing that runs the body besides the search itself (no trace recording run,
// no shrinking runs), so that body runs count schedules.
weave::Options Dfs(int bound, std::int64_t iterations = 100000) {
  weave::Options o;
  o.strategy = weave::Strategy::BoundedExhaustive(bound);
  o.iterations = iterations;
  o.trace = weave::TraceMode::kOff;
  o.minimize = false;
  o.out_dir = ::testing::TempDir() + "weave_dfs_test";
  return o;
}

// What an exploration did: its result, how often the body ran, and what the runs observed.
struct Explored {
  weave::Result result;
  std::int64_t runs = 0;
  std::multiset<std::string> observed;  // one entry per run that finished its body
};

Explored Explore(const weave::Options& o, const std::function<void(std::string&)>& body) {
  Explored e;
  e.result = weave::explore(o, [&] {
    ++e.runs;
    std::string seen;
    body(seen);
    e.observed.insert(seen);
  });
  return e;
}

std::set<std::string> Distinct(const std::multiset<std::string>& all) {
  return {all.begin(), all.end()};
}

// The body spawns "a", which does k fetch_adds on x; the body meanwhile does k fetch_adds on y
// (independent) or on x (dependent), then joins "a". Each writer appends its letter to `seen`
// right after its operation, in the same step, so `seen` is the order of the operations.
void TwoWriters(int k, bool dependent, std::string& seen) {
  weave::atomic<int> x{0};
  weave::atomic<int> y{0};
  auto a = weave::spawn("a", [&] {
    for (int i = 0; i < k; ++i) {
      x.fetch_add(1);
      seen += 'a';
    }
  });
  for (int i = 0; i < k; ++i) {
    (dependent ? x : y).fetch_add(1);
    seen += 'b';
  }
  a.join();
}

// The hand count. Points of the body: S (spawned a), W1..Wk (its writes), J (join); of a: its
// start, X1..Xk (its writes; a finishes with Xk).
//  Pass 0, the default order: the body runs S, W1..Wk, J and blocks; at that free point a is the
//  only runnable task (no deviation there), runs to its end, and the body finishes: 1 schedule.
//  Pass 1 deviates to a at one of the body's k + 2 points S, W1..Wk, J (the only points with two
//  runnable tasks): k + 2 schedules. In each, a then runs on to its end (switching back to the
//  body would be a second deviation), and the free point after a's last step wakes every sleeper.
//  Pass 2 deviates back to the body at a point X1..Xk of a pass-1 run where the body is awake:
//   - after a deviation at S: the body's pending step (the rest of spawn) is independent of
//     everything a does, so it sleeps through all of a's run: 0;
//   - at Wi: independent (y), the body sleeps likewise: 0; dependent (x), it sleeps through a's
//     start and wakes when X1 runs, so X2..Xk: k - 1 each, k(k - 1) over the k runs;
//   - at J (unknown effect) it never sleeps: X1..Xk, k schedules (the body runs J, blocks, and
//     a finishes).
//  So independent: 1, 1 + (k + 2) = k + 3 and k + 3 + k = 2k + 3 schedules for B = 0, 1, 2;
//  dependent: 1, k + 3 and k + 3 + k(k - 1) + k = k^2 + k + 3. Without sleep sets pass 2 would
//  run k at each of the k + 2 pass-1 runs: k^2 + 2k.
TEST(BoundedExhaustive, CountsTwoWritersByHand) {
  struct Case {
    int k;
    bool dependent;
    int bound;
    std::int64_t schedules;
  };
  std::vector<Case> cases;
  for (int k = 1; k <= 4; ++k) {
    cases.push_back({k, false, 0, 1});
    cases.push_back({k, false, 1, k + 3});
    cases.push_back({k, false, 2, 2 * k + 3});
    cases.push_back({k, true, 0, 1});
    cases.push_back({k, true, 1, k + 3});
    cases.push_back({k, true, 2, k * k + k + 3});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "k=" << c.k << (c.dependent ? " dependent" : " independent")
                                    << " dfs:" << c.bound);
    const Explored e =
        Explore(Dfs(c.bound), [&](std::string& seen) { TwoWriters(c.k, c.dependent, seen); });
    ASSERT_TRUE(e.result.ok()) << e.result;
    EXPECT_TRUE(e.result.exhausted);
    EXPECT_EQ(e.runs, c.schedules);
    EXPECT_EQ(e.result.schedules, e.runs);
    EXPECT_EQ(e.result.strategy_summary,
              absl::StrCat("explored all ", c.schedules, " schedule", c.schedules == 1 ? "" : "s",
                           " with at most ", c.bound, " deviation", c.bound == 1 ? "" : "s",
                           " from the default order"));
  }
}

// Dependent writers, k = 2: the runs see exactly the orders of the four writes that need at most
// B deviations. "bbaa" needs none; deviating to a before the body's first or second write gives
// "aabb" and "baab"; with two, the body also takes over again from a after X1 ("abba", "baba");
// "abab" needs three (a before W1, the body before X2, and a again before W2).
TEST(BoundedExhaustive, DependentWritersSeeEveryOrderWithinTheBound) {
  const std::vector<std::set<std::string>> expected = {
      {"bbaa"},
      {"bbaa", "aabb", "baab"},
      {"bbaa", "aabb", "baab", "abba", "baba"},
      {"bbaa", "aabb", "baab", "abba", "baba", "abab"},
  };
  for (int bound = 0; bound <= 3; ++bound) {
    SCOPED_TRACE(testing::Message() << "dfs:" << bound);
    const Explored e = Explore(Dfs(bound), [](std::string& seen) { TwoWriters(2, true, seen); });
    ASSERT_TRUE(e.result.ok()) << e.result;
    EXPECT_EQ(Distinct(e.observed), expected[static_cast<std::size_t>(bound)]);
  }
}

// Out-of-order picks where the current task blocked or finished are deviations too: dfs:0 runs
// the one default schedule. The body spawns a, b and c (one write each; ids 1, 2, 3) and joins
// them in that order. Its points, in the default order, with the runnable tasks other than the
// default pick (pass 1 deviates to each once; nobody sleeps in the default run):
//   spawned a: {a}  spawned b: {a, b}  spawned c: {a, b, c}  join a: {a, b, c}   1 + 2 + 3 + 3
//   blocked on a (free, a is lowest): {b, c}  a's write: {b, c}                  2 + 2
//   a finished (free, the body is lowest): {b, c}  join b: {b, c}                2 + 2
//   blocked on b: {c}  b's write: {c}  b finished: {c}  join c: {c}              1 + 1 + 1 + 1
//   then c alone, and the body alone.
// dfs:1 runs 1 + 21 = 22 schedules. The order of the tasks' writes is abc in the default order;
// one deviation also gives bac (b at "blocked on a"), cab (c there), acb (c at "a finished");
// bca and cba need two (b and then c, or c and then b, ahead of a).
TEST(BoundedExhaustive, OutOfOrderFreePicksAreDeviations) {
  const auto body = [](std::string& seen) {
    weave::atomic<int> x{0};
    weave::atomic<int> y{0};
    weave::atomic<int> z{0};
    auto a = weave::spawn("a", [&] {
      x.store(1);
      seen += 'a';
    });
    auto b = weave::spawn("b", [&] {
      y.store(1);
      seen += 'b';
    });
    auto c = weave::spawn("c", [&] {
      z.store(1);
      seen += 'c';
    });
    a.join();
    b.join();
    c.join();
  };
  const Explored none = Explore(Dfs(0), body);
  ASSERT_TRUE(none.result.ok()) << none.result;
  EXPECT_EQ(none.runs, 1);
  EXPECT_EQ(none.result.strategy_summary,
            "explored all 1 schedule with at most 0 deviations from the default order");
  EXPECT_EQ(Distinct(none.observed), std::set<std::string>{"abc"});
  const Explored one = Explore(Dfs(1), body);
  ASSERT_TRUE(one.result.ok()) << one.result;
  EXPECT_EQ(one.runs, 22);
  EXPECT_EQ(Distinct(one.observed), (std::set<std::string>{"abc", "acb", "bac", "cab"}));
  const Explored two = Explore(Dfs(2), body);
  ASSERT_TRUE(two.result.ok()) << two.result;
  EXPECT_EQ(Distinct(two.observed).size(), 6u);  // every order of the three
}

// The values of choose(n) cost no deviation: choose(3) then choose(2) is 3 x 2 = 6 runs under any
// bound, each pair once; choose(1) adds nothing.
TEST(BoundedExhaustive, ExploresEveryValueOfChoose) {
  const Explored e = Explore(Dfs(2), [](std::string& seen) {
    const std::uint64_t first = weave::choose(3);
    const std::uint64_t second = weave::choose(2);
    const std::uint64_t third = weave::choose(1);
    seen = absl::StrCat(first, second, third);
  });
  ASSERT_TRUE(e.result.ok()) << e.result;
  EXPECT_EQ(e.runs, 6);
  EXPECT_EQ(Distinct(e.observed),
            (std::set<std::string>{"000", "010", "100", "110", "200", "210"}));
  EXPECT_EQ(e.result.strategy_summary,
            "explored all 6 schedules with at most 2 deviations from the default order");
}

// A spin loop around yield() ends under every bound: under fair scheduling (the default) a task
// that yields twice in a row sits out until the others have run, so switching away from it is
// free. Every run ends with the flag seen set.
TEST(BoundedExhaustive, SpinLoopsAroundYieldTerminate) {
  for (int bound = 0; bound <= 3; ++bound) {
    SCOPED_TRACE(testing::Message() << "dfs:" << bound);
    const Explored e = Explore(Dfs(bound), [](std::string& seen) {
      weave::atomic<int> flag{0};
      auto setter = weave::spawn("setter", [&] { flag.store(1); });
      int spins = 0;
      while (flag.load() == 0) {
        weave::this_task::yield();
        ++spins;
      }
      seen = "done";
      setter.join();
    });
    ASSERT_TRUE(e.result.ok()) << e.result;
    EXPECT_TRUE(e.result.exhausted);
    EXPECT_EQ(Distinct(e.observed), std::set<std::string>{"done"});
  }
}

// An ordering bug of depth 1: the reader must run between the writer's two stores.
void TwoStores(bool locked) {
  weave::atomic<int> x{0};
  weave::mutex m;
  auto reader = weave::spawn("reader", [&] {
    std::unique_lock<weave::mutex> lock(m, std::defer_lock);
    if (locked) lock.lock();
    weave::check(x.load() != 1, "saw the half-done update");
  });
  {
    std::unique_lock<weave::mutex> lock(m, std::defer_lock);
    if (locked) lock.lock();
    x.store(1);
    x.store(2);
  }
  reader.join();
}

TEST(BoundedExhaustive, FindsADepthOneBugWithOneDeviation) {
  EXPECT_TRUE(weave::explore(Dfs(0), [] { TwoStores(false); }).ok());
  const weave::Result r = weave::explore(Dfs(1), [] { TwoStores(false); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kAssertion);
  EXPECT_THAT(r.failure().message, HasSubstr("half-done"));
  EXPECT_FALSE(r.exhausted);
}

TEST(BoundedExhaustive, ExploresTheDepthOneBugsCorrectTwinToTheEnd) {
  for (int bound = 0; bound <= 2; ++bound) {
    SCOPED_TRACE(testing::Message() << "dfs:" << bound);
    const weave::Result r = weave::explore(Dfs(bound), [] { TwoStores(true); });
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_TRUE(r.exhausted);
    EXPECT_THAT(r.Summary(), HasSubstr("explored all "));
  }
}

// An atomicity violation of depth 2: the checker reads p twice, assuming it stays set between
// the reads; the toggler clears it and sets it again. Failing needs the checker preempted between
// its reads and the toggler preempted between its stores: two deviations.
void CheckTwice(bool locked) {
  weave::atomic<int> p{1};
  weave::mutex m;
  auto checker = weave::spawn("checker", [&] {
    std::unique_lock<weave::mutex> lock(m, std::defer_lock);
    if (locked) lock.lock();
    if (p.load() != 0) weave::check(p.load() != 0, "p was cleared between the check and the use");
  });
  auto toggler = weave::spawn("toggler", [&] {
    std::unique_lock<weave::mutex> lock(m, std::defer_lock);
    if (locked) lock.lock();
    p.store(0);
    p.store(1);
  });
  checker.join();
  toggler.join();
}

TEST(BoundedExhaustive, FindsADepthTwoBugOnlyWithTwoDeviations) {
  const weave::Result one = weave::explore(Dfs(1), [] { CheckTwice(false); });
  ASSERT_TRUE(one.ok()) << one;
  EXPECT_TRUE(one.exhausted);
  EXPECT_THAT(one.Summary(), HasSubstr("with at most 1 deviation from the default order"));

  const weave::Result two = weave::explore(Dfs(2), [] { CheckTwice(false); });
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.failure().message, HasSubstr("cleared between"));
  // Fewest deviations first: every schedule of dfs:1 ran before the failing one.
  EXPECT_GT(two.failing_iteration, one.schedules - 1);
}

TEST(BoundedExhaustive, ExploresTheDepthTwoBugsCorrectTwinToTheEnd) {
  std::int64_t previous = 0;
  for (int bound = 0; bound <= 3; ++bound) {
    SCOPED_TRACE(testing::Message() << "dfs:" << bound);
    const weave::Result r = weave::explore(Dfs(bound), [] { CheckTwice(true); });
    EXPECT_TRUE(r.ok()) << r;
    EXPECT_TRUE(r.exhausted);
    EXPECT_GE(r.schedules, previous);  // a larger bound covers more
    previous = r.schedules;
  }
}

TEST(BoundedExhaustive, SameBodySameSchedulesInTheSameOrder) {
  std::vector<std::string> first;
  std::vector<std::string> second;
  for (std::vector<std::string>* out : {&first, &second}) {
    const weave::Result r = weave::explore(Dfs(2), [&] {
      std::string seen;
      TwoWriters(3, true, seen);
      out->push_back(seen);
    });
    EXPECT_TRUE(r.ok()) << r;
  }
  EXPECT_EQ(first.size(), 15u);  // k^2 + k + 3 schedules
  EXPECT_EQ(first, second);
}

TEST(BoundedExhaustive, ReportsABodyThatChangesItsCourseAsNondeterminism) {
  int run = 0;
  const weave::Result r = weave::explore(Dfs(2), [&] {
    ++run;
    // The second run takes another path than the first: only one task the first time.
    weave::atomic<int> x{0};
    auto a = weave::spawn("a", [&] { x.store(1); });
    if (run == 1) {
      x.store(2);
    } else {
      auto b = weave::spawn("b", [&] { x.store(3); });
      b.join();
    }
    a.join();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kNondeterminism);
  EXPECT_THAT(r.failure().message, HasSubstr("dfs replayed the decisions of an earlier run"));
}

TEST(BoundedExhaustive, SaysWhenTheIterationLimitStoppedIt) {
  const weave::Result r = weave::explore(Dfs(2, /*iterations=*/5), [] {
    std::string s;
    TwoWriters(3, true, s);
  });
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_FALSE(r.exhausted);
  EXPECT_EQ(r.schedules, 5);
  EXPECT_THAT(r.Summary(), HasSubstr("explored 5 schedules (strategy dfs:2, not exhaustive: the "
                                     "iteration limit stopped it; seed"));
  EXPECT_THAT(r.Summary(), HasSubstr(": no failure"));
}

TEST(BoundedExhaustive, ThePrintedReportSaysItExploredAll) {
  const weave::Result r = weave::explore(Dfs(1), [] {
    std::string s;
    TwoWriters(2, true, s);
  });
  std::ostringstream printed;
  printed << r;
  EXPECT_THAT(printed.str(),
              ::testing::StartsWith("weave: explored all 5 schedules with at most 1 deviation "
                                    "from the default order (strategy dfs:1, "));
  EXPECT_THAT(printed.str(), HasSubstr(": no failure"));
}

// A body with more steps than can be explored still runs until the iteration limit.
TEST(BoundedExhaustive, LongBodiesRunUntilTheIterationLimit) {
  const weave::Result r = weave::explore(Dfs(2, /*iterations=*/20), [] {
    weave::atomic<int> x{0};
    auto a = weave::spawn("a", [&] {
      for (int i = 0; i < 20000; ++i) x.fetch_add(1);
    });
    for (int i = 0; i < 20000; ++i) x.fetch_add(1);
    a.join();
  });
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.schedules, 20);
  EXPECT_FALSE(r.exhausted);
}

// A differential test against brute force, on a model instead of real tasks: each task is a list
// of reads and writes of a few objects and of lock and unlock operations on two locks; a pick
// runs the picked task's next operation, a task whose next operation locks a held lock cannot be
// picked (so the pick after it is free, and an unlock can enable a task), and a task finishes
// with its last operation. Brute force enumerates every schedule with at most B deviations from
// the default order (the current task if it can run, else the lowest id that can); the strategy,
// driven through the SchedulingStrategy seam with a view of the model, must reach every one of
// their equivalence classes (the order of each pair of conflicting operations; lock operations
// count as writes of their lock), and, without a view (no step kinds: nobody sleeps), exactly
// every schedule once.
class Model final : public weave::SchedulingView {
 public:
  // Virtual for the guideline on classes with virtual functions (SchedulingView's own destructor
  // is protected: nothing deletes a Model through it).
  virtual ~Model() = default;
  enum class Kind { kRead, kWrite, kLock, kUnlock };
  struct Op {
    Kind kind;
    int object;  // 0..2 for reads and writes, kFirstLock or kFirstLock + 1 for locks
  };
  static constexpr int kFirstLock = 3;
  static constexpr int kObjects = 5;
  explicit Model(std::vector<std::vector<Op>> tasks) : tasks_(std::move(tasks)) {}

  weave::NextStep NextStepOf(weave::TaskId task) const override {
    const Op& op = tasks_[static_cast<std::size_t>(task)][pc_[static_cast<std::size_t>(task)]];
    return {op.kind == Kind::kRead ? weave::StepAccess::kRead : weave::StepAccess::kWrite,
            op.object, false};
  }

  void Reset() {
    pc_.assign(tasks_.size(), 0);
    holder_.assign(kObjects, weave::kNoTask);
    current_ = weave::kNoTask;
    deviations_ = 0;
    picks_.clear();
    accesses_.assign(kObjects, {});
  }
  std::vector<weave::TaskId> Runnable() const {
    std::vector<weave::TaskId> ids;
    for (std::size_t t = 0; t < tasks_.size(); ++t) {
      if (pc_[t] == tasks_[t].size()) continue;
      const Op& op = tasks_[t][pc_[t]];
      if (op.kind == Kind::kLock &&
          holder_[static_cast<std::size_t>(op.object)] != weave::kNoTask) {
        continue;
      }
      ids.push_back(static_cast<weave::TaskId>(t));
    }
    return ids;
  }
  void Run(weave::TaskId task) {
    const std::vector<weave::TaskId> runnable = Runnable();
    const bool current_runs = std::count(runnable.begin(), runnable.end(), current_) > 0;
    if (task != (current_runs ? current_ : runnable.front())) ++deviations_;
    const auto t = static_cast<std::size_t>(task);
    const Op& op = tasks_[t][pc_[t]];
    const auto object = static_cast<std::size_t>(op.object);
    if (op.kind == Kind::kLock) holder_[object] = task;
    if (op.kind == Kind::kUnlock) holder_[object] = weave::kNoTask;
    accesses_[object].push_back({op.kind != Kind::kRead, task * 10 + static_cast<int>(pc_[t])});
    ++pc_[t];
    current_ = task;
    picks_ += static_cast<char>('0' + task);
  }
  weave::TaskId current() const { return current_; }
  int deviations() const { return deviations_; }
  const std::string& picks() const { return picks_; }
  // The equivalence class of the run: per object, its accesses in order, with each stretch of
  // reads sorted (reads commute).
  std::string Class() const {
    std::string out;
    for (const auto& list : accesses_) {
      std::vector<int> reads;
      auto flush = [&] {
        std::sort(reads.begin(), reads.end());
        for (int r : reads) out += absl::StrCat("r", r, " ");
        reads.clear();
      };
      for (const auto& [write, who] : list) {
        if (!write) {
          reads.push_back(who);
          continue;
        }
        flush();
        out += absl::StrCat("w", who, " ");
      }
      flush();
      out += "| ";
    }
    return out;
  }

  // Every schedule with at most `bound` deviations: its picks and its class.
  void Enumerate(int bound, std::map<std::string, std::string>& out) {
    const std::vector<weave::TaskId> runnable = Runnable();
    if (runnable.empty()) {
      out[picks_] = Class();
      return;
    }
    for (weave::TaskId t : runnable) {
      const Model saved = *this;
      Run(t);
      if (deviations_ <= bound) Enumerate(bound, out);
      *this = saved;
    }
  }

 private:
  std::vector<std::vector<Op>> tasks_;
  std::vector<std::size_t> pc_;
  std::vector<weave::TaskId> holder_;  // by object: the task holding that lock
  weave::TaskId current_ = weave::kNoTask;
  int deviations_ = 0;
  std::string picks_;
  std::vector<std::vector<std::pair<bool, int>>> accesses_;
};

// Runs the strategy over the model to the end: the picks and class of each run.
std::vector<std::pair<std::string, std::string>> Search(Model& model, int bound, bool with_view) {
  std::unique_ptr<weave::SchedulingStrategy> dfs =
      weave::MakeStrategy(weave::Strategy::BoundedExhaustive(bound), 0);
  if (with_view) dfs->Attach(&model);
  std::vector<std::pair<std::string, std::string>> runs;
  while (dfs->BeginRun()) {
    model.Reset();
    for (std::vector<weave::TaskId> r = model.Runnable(); !r.empty(); r = model.Runnable()) {
      const weave::TaskId picked = dfs->PickTask(weave::RunnableSet(r), model.current());
      EXPECT_NE(std::count(r.begin(), r.end(), picked), 0);
      if (picked == weave::kNoTask) return runs;
      model.Run(picked);
    }
    EXPECT_LE(model.deviations(), bound) << model.picks();
    runs.emplace_back(model.picks(), model.Class());
    if (runs.size() > 100000) break;
  }
  EXPECT_TRUE(dfs->Exhausted());
  return runs;
}

TEST(BoundedExhaustive, SleepSetsLoseNoScheduleWithinTheBound) {
  std::mt19937 random(7);
  std::size_t schedules = 0;
  std::size_t runs_with_sleep_sets = 0;
  for (int program = 0; program < 300; ++program) {
    const int tasks = 2 + static_cast<int>(random() % 2);
    std::vector<std::vector<Model::Op>> ops(static_cast<std::size_t>(tasks));
    for (auto& list : ops) {
      // One to three operations on data, each in a critical section one time in three (a task
      // holds one lock at a time: no deadlock).
      const int length = 1 + static_cast<int>(random() % 3);
      for (int i = 0; i < length; ++i) {
        const bool locked = random() % 3 == 0;
        const int lock = Model::kFirstLock + static_cast<int>(random() % 2);
        if (locked) list.push_back({Model::Kind::kLock, lock});
        list.push_back({random() % 2 == 0 ? Model::Kind::kWrite : Model::Kind::kRead,
                        static_cast<int>(random() % 3)});
        if (locked) list.push_back({Model::Kind::kUnlock, lock});
      }
    }
    Model model(ops);
    for (int bound = 0; bound <= 3; ++bound) {
      SCOPED_TRACE(testing::Message() << "program " << program << ", dfs:" << bound);
      model.Reset();
      std::map<std::string, std::string> all;  // picks -> class
      model.Enumerate(bound, all);
      // Without a view nobody sleeps: exactly the schedules within the bound, each once.
      std::map<std::string, std::string> plain;
      for (const auto& [picks, cls] : Search(model, bound, false)) {
        EXPECT_TRUE(plain.emplace(picks, cls).second) << "ran twice: " << picks;
      }
      EXPECT_EQ(plain, all);
      // With sleep sets: fewer runs, and every class still reached.
      std::set<std::string> classes;
      for (const auto& [picks, cls] : all) classes.insert(cls);
      std::set<std::string> reached;
      const auto runs = Search(model, bound, true);
      for (const auto& [picks, cls] : runs) reached.insert(cls);
      EXPECT_EQ(reached, classes);
      EXPECT_LE(runs.size(), all.size());
      schedules += all.size();
      runs_with_sleep_sets += runs.size();
    }
  }
  // The sleep sets pay: 23,233 runs instead of 44,524.
  EXPECT_LT(runs_with_sleep_sets * 10, schedules * 6)
      << runs_with_sleep_sets << " of " << schedules;
}

}  // namespace
