// The search strategies (PCT, POS, uniform random walks, the portfolio) and fair scheduling:
// names, determinism, the guarantees they are built for, measured on planted bugs.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using ::testing::HasSubstr;
using weave::Strategy;
using weave_test::Runs;

TEST(StrategyNames, EveryStrategyParsesAndPrintsBack) {
  const std::pair<const char*, const char*> names[] = {{"portfolio", "portfolio"},
                                                       {"default", "portfolio"},
                                                       {"random", "random"},
                                                       {"rr", "rr"},
                                                       {"pct", "pct:3"},
                                                       {"pct:1", "pct:1"},
                                                       {"PCT:10", "pct:10"},
                                                       {"pos", "pos"},
                                                       {"urw", "urw"},
                                                       {"surw", "surw"},
                                                       {"dfs", "dfs:2"},
                                                       {"dfs:0", "dfs:0"},
                                                       {" dfs:100 ", "dfs:100"}};
  for (const auto& [text, printed] : names) {
    absl::StatusOr<Strategy> s = Strategy::Parse(text);
    ASSERT_TRUE(s.ok()) << text << ": " << s.status();
    EXPECT_EQ(s->ToString(), printed) << text;
    EXPECT_EQ(*Strategy::Parse(s->ToString()), *s) << text;
  }
  EXPECT_EQ(*Strategy::Parse("pct"), Strategy::Pct(3));
  EXPECT_EQ(*Strategy::Parse("dfs:1"), Strategy::BoundedExhaustive(1));
  EXPECT_EQ(weave::Options().strategy, Strategy::Portfolio());
}

TEST(StrategyNames, BadNamesAndParametersAreRejectedWithTheAcceptedForms) {
  for (const char* bad :
       {"pct:0", "pct:11", "pct:", "pct:3x", "pct:-1", "pct3", "dfs:-1", "dfs:101",
        "dfs:", "dfs:1.5", "pos:2", "urw:1", "", "fastest", "pct:99999999999999999999"}) {
    absl::StatusOr<Strategy> s = Strategy::Parse(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(std::string(s.status().message()),
                HasSubstr("expected one of portfolio, random, pct, pct:DEPTH (1-10)"))
        << bad;
  }
}

// Every strategy is a function of its seed: the same picks twice, other picks for another seed.
TEST(SearchStrategies, AreDeterministicPerSeed) {
  for (const char* name : {"pct:3", "pos", "cpos", "urw", "surw", "portfolio"}) {
    const Strategy spec = *Strategy::Parse(name);
    auto picks = [&](std::uint64_t seed) {
      auto s = weave::MakeStrategy(spec, seed);
      const weave::TaskId runnable[] = {0, 1, 2, 3, 4};
      std::vector<weave::TaskId> out;
      for (int run = 0; run < 8; ++run) {
        EXPECT_TRUE(s->BeginRun());
        weave::TaskId current = 0;
        for (int i = 0; i < 40; ++i) {
          current = s->PickTask(runnable, current);
          out.push_back(current);
        }
        out.push_back(static_cast<weave::TaskId>(s->PickChoice(7)));
      }
      return out;
    };
    EXPECT_EQ(picks(11), picks(11)) << name;
    EXPECT_NE(picks(11), picks(12)) << name;
  }
}

// --- PCT's guarantee, measured ---------------------------------------------------------------
//
// Planted bugs of depth 1, 2 and 3 (the number of ordering constraints between steps that make
// them happen). The workers wait on a latch so that they start together; each also does `kWork`
// steps on an atomic of its own. A body records whether the bad order happened rather than
// failing, so that one exploration measures a rate over many schedules.

constexpr int kWork = 8;

struct PlantedBug {
  int depth;
  int tasks;  // n: every task of the run, the body included
  std::function<void(int& hits)> body;
};

void Work(weave::atomic<int>& own) {
  for (int i = 0; i < kWork; ++i) own.store(i);
}

// Depth 1: all of `a` before the first step of `b` (a.last < b.first).
void DepthOne(int& hits) {
  weave::latch go(1);
  weave::atomic<int> a_done{0}, own_a{0}, own_b{0};
  int seen = 0;
  auto a = weave::spawn("a", [&] {
    go.wait();
    Work(own_a);
    a_done.store(1);
  });
  auto b = weave::spawn("b", [&] {
    go.wait();
    seen = a_done.load();
    Work(own_b);
  });
  go.count_down();
  a.join();
  b.join();
  hits += seen;
}

// Depth 2: all of `b` between two consecutive steps of `a` (a1 < b.first, b.last < a2).
void DepthTwo(int& hits) {
  weave::latch go(1);
  weave::atomic<int> x{0}, y{0}, own_a{0}, own_b{0};
  int seen = 0;
  auto a = weave::spawn("a", [&] {
    go.wait();
    Work(own_a);
    x.store(1);       // a1
    seen = y.load();  // a2
  });
  auto b = weave::spawn("b", [&] {
    go.wait();
    const int saw_x = x.load();
    Work(own_b);
    y.store(saw_x);
  });
  go.count_down();
  a.join();
  b.join();
  hits += seen;
}

// Depth 3: all of `b`, then all of `c`, between two consecutive steps of `a`
// (a1 < b.first, b.last < c.first, c.last < a2).
void DepthThree(int& hits) {
  weave::latch go(1);
  weave::atomic<int> x{0}, y{0}, z{0}, own_a{0}, own_b{0}, own_c{0};
  int seen = 0;
  auto a = weave::spawn("a", [&] {
    go.wait();
    Work(own_a);
    x.store(1);       // a1
    seen = y.load();  // a2
  });
  auto b = weave::spawn("b", [&] {
    go.wait();
    const int saw_x = x.load();
    Work(own_b);
    z.store(saw_x);
  });
  auto c = weave::spawn("c", [&] {
    go.wait();
    const int saw_z = z.load();
    Work(own_c);
    y.store(saw_z);
  });
  go.count_down();
  a.join();
  b.join();
  c.join();
  hits += seen;
}

// The longest run of `body`, in scheduling steps, over a few random schedules: PCT's k.
std::int64_t LongestRun(const std::function<void(int&)>& body) {
  std::int64_t longest = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    weave::Options o = Runs(1);
    o.strategy = Strategy::Random();
    o.seed = seed;
    o.trace = weave::TraceMode::kOff;
    int ignored = 0;
    const weave::Result r = weave::explore(o, [&] { body(ignored); });
    EXPECT_TRUE(r.ok()) << r;
    longest = std::max(longest, r.total_steps);
  }
  return longest;
}

TEST(PctStrategy, HitsPlantedBugsOfDepthOneTwoAndThreeAtLeastAsOftenAsThePaperBound) {
  const PlantedBug bugs[] = {{1, 3, DepthOne}, {2, 3, DepthTwo}, {3, 4, DepthThree}};
  for (const PlantedBug& bug : bugs) {
    const std::int64_t k = LongestRun(bug.body);
    constexpr int kRuns = 20000;
    weave::Options o = Runs(kRuns);
    o.strategy = Strategy::Pct(bug.depth);
    o.trace = weave::TraceMode::kOff;
    int hits = 0;
    const weave::Result r = weave::explore(o, [&] { bug.body(hits); });
    ASSERT_TRUE(r.ok()) << r;
    ASSERT_EQ(r.schedules, kRuns);
    const double rate = static_cast<double>(hits) / kRuns;
    const double bound = 1.0 / (bug.tasks * std::pow(static_cast<double>(k), bug.depth - 1));
    std::cout << "PCT depth " << bug.depth << ": " << hits << " hits in " << kRuns << " runs of "
              << k << " steps (rate " << rate << ", bound 1/(n k^(d-1)) = " << bound << ")\n";
    EXPECT_GE(rate, bound) << "depth " << bug.depth << ": " << hits << " hits in " << kRuns
                           << " runs of " << k << " steps; bound 1/(n k^(d-1)) = " << bound;
    // And the bug is there to be missed: a plain random walk hits depth 2 and 3 far less often.
    if (bug.depth >= 2) {
      weave::Options random = o;
      random.strategy = Strategy::Random();
      int random_hits = 0;
      ASSERT_TRUE(weave::explore(random, [&] { bug.body(random_hits); }).ok());
      EXPECT_GT(hits, 3 * random_hits) << "depth " << bug.depth;
    }
  }
}

// --- Uniform random walks ----------------------------------------------------------------------

// A one-step task and a long task released together: of the 22 places the short task's step can
// take among the long one's 21 steps, each is about equally likely under URW, so it comes last
// about 1 time in 22. A plain random walk flips a coin per step: last (1/2)^21 of the time.
void ShortAfterLong(int& hits) {
  weave::latch go(1);
  weave::atomic<int> long_done{0}, own{0};
  int seen = 0;
  auto long_task = weave::spawn("long", [&] {
    go.wait();
    for (int i = 0; i < 20; ++i) own.store(i);
    long_done.store(1);
  });
  auto short_task = weave::spawn("short", [&] {
    go.wait();
    seen = long_done.load();
  });
  go.count_down();
  long_task.join();
  short_task.join();
  hits += seen;
}

int Hits(const Strategy& strategy, int runs, const std::function<void(int&)>& body) {
  weave::Options o = Runs(runs);
  o.strategy = strategy;
  o.trace = weave::TraceMode::kOff;
  int hits = 0;
  const weave::Result r = weave::explore(o, [&] { body(hits); });
  EXPECT_TRUE(r.ok()) << r;
  return hits;
}

TEST(UniformRandomWalk, PlacesAShortTaskUniformlyAmongALongOnesSteps) {
  constexpr int kRuns = 4000;
  const int urw = Hits(Strategy::UniformRandomWalk(), kRuns, ShortAfterLong);
  EXPECT_GT(urw, kRuns / 50) << "expected about 1 in 22";  // 2%
  EXPECT_LT(urw, kRuns / 10) << "expected about 1 in 22";  // 10%
  EXPECT_LT(Hits(Strategy::Random(), kRuns, ShortAfterLong), 3);
}

// The selective walk weighs only steps on objects that more than one task touches: the long
// task's 20 steps on its own atomic count for nothing, so the short task's load and the long
// task's store of the flag are ordered either way about half the time.
TEST(UniformRandomWalk, TheSelectiveVariantIgnoresStepsOnPrivateObjects) {
  constexpr int kRuns = 2000;
  const int surw = Hits(Strategy::SelectiveUniformRandomWalk(), kRuns, ShortAfterLong);
  EXPECT_GT(surw, kRuns / 4);
  EXPECT_LT(surw, 3 * kRuns / 4);
}

// --- POS ---------------------------------------------------------------------------------------

// POS draws a new priority for the steps that race with the one that runs: of two tasks that
// each do private work and then touch one flag, either touches it first about half the time, no
// matter how much private work the first one does.
TEST(PosStrategy, OrdersConflictingStepsEitherWayAboutEvenly) {
  constexpr int kRuns = 2000;
  const int pos = Hits(Strategy::Pos(), kRuns, ShortAfterLong);
  EXPECT_GT(pos, kRuns / 50);
  EXPECT_LT(pos, 3 * kRuns / 4);
  EXPECT_GT(pos, 20 * std::max(1, Hits(Strategy::Random(), kRuns, ShortAfterLong)));
}

// Conflict-driven POS keeps a task's priority through steps nobody else is about to touch: the
// long task's twenty private steps do not give the short task twenty chances to overtake it, so
// the short one comes last about half the time (when it drew the lower priority).
TEST(PosStrategy, TheConflictDrivenVariantHoldsATaskBackThroughPrivateWork) {
  constexpr int kRuns = 2000;
  const int cpos = Hits(Strategy::ConflictPos(), kRuns, ShortAfterLong);
  EXPECT_GT(cpos, kRuns / 4);
  EXPECT_LT(cpos, 3 * kRuns / 4);
  EXPECT_GT(cpos, 4 * Hits(Strategy::Pos(), kRuns, ShortAfterLong));
}

// Every strategy catches an atomicity violation (a check-then-act on an atomic, depth 2) and
// stays silent on its twin, which does the same under a mutex.
void CheckThenAct(bool locked) {
  weave::mutex m;
  weave::atomic<int> stock{1};
  int sold = 0;
  auto buy = [&] {
    std::unique_lock lock(m, std::defer_lock);
    if (locked) lock.lock();
    if (stock.load() > 0) {
      stock.store(stock.load() - 1);
      ++sold;
    }
  };
  auto a = weave::spawn("a", buy);
  auto b = weave::spawn("b", buy);
  a.join();
  b.join();
  weave::check(sold <= 1, "sold more than the stock");
}

TEST(SearchStrategies, EachCatchesAnAtomicityViolationAndPassesItsFixedTwin) {
  for (const char* name : {"random", "pct:3", "pos", "cpos", "urw", "surw", "portfolio", "dfs:2"}) {
    weave::Options o = Runs(2000);
    o.strategy = *Strategy::Parse(name);
    o.minimize = false;
    o.trace = weave::TraceMode::kOff;
    const weave::Result bug = weave::explore(o, [] { CheckThenAct(false); });
    ASSERT_FALSE(bug.ok()) << name << ": missed the bug\n" << bug;
    EXPECT_EQ(bug.failure().kind, weave::FailureKind::kAssertion) << name << "\n" << bug;
    o.iterations = 500;
    const weave::Result fixed = weave::explore(o, [] { CheckThenAct(true); });
    EXPECT_TRUE(fixed.ok()) << name << "\n" << fixed;
    EXPECT_GT(fixed.schedules, 1) << name;
  }
}

TEST(SearchStrategies, BadParametersAndShardsSetInCodeAreRejected) {
  auto rejects = [](const weave::Options& o) {
    EXPECT_THROW(weave::explore(o, [] {}), std::invalid_argument);
  };
  weave::Options o;
  for (int depth : {0, -1, 11}) {
    o.strategy = Strategy::Pct(depth);
    rejects(o);
  }
  for (int bound : {-1, 101}) {
    o.strategy = Strategy::BoundedExhaustive(bound);
    rejects(o);
  }
  o = weave::Options();
  for (const auto& [index, count] :
       std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 0}, {-1, 2}, {2, 2}, {5, 3}}) {
    o.shard_index = index;
    o.shard_count = count;
    rejects(o);
  }
}

// --- The portfolio -----------------------------------------------------------------------------

TEST(Portfolio, FindsEveryPlantedBugAndIsTheDefault) {
  for (const auto& body : {DepthOne, DepthTwo, DepthThree}) {
    EXPECT_GT(Hits(weave::Options().strategy, 3000, body), 0);
  }
}

// --- Fair scheduling ---------------------------------------------------------------------------

// A spin loop around yield(), waiting for a flag another task sets after some work.
void SpinUntilSet() {
  weave::atomic<bool> flag{false};
  weave::atomic<int> own{0};
  auto setter = weave::spawn("setter", [&] {
    for (int i = 0; i < 5; ++i) own.store(i);
    flag.store(true);
  });
  while (!flag.load()) weave::this_task::yield();
  setter.join();
}

TEST(FairScheduling, ASpinLoopAroundYieldEndsUnderEveryStrategy) {
  for (const char* name : {"random", "pct:3", "pos", "cpos", "urw", "surw", "portfolio"}) {
    weave::Options o = Runs(300);
    o.strategy = *Strategy::Parse(name);
    o.max_steps = 2000;
    const weave::Result r = weave::explore(o, SpinUntilSet);
    EXPECT_TRUE(r.ok()) << name << "\n" << r;
  }
}

TEST(FairScheduling, WithoutItPrioritiesStarveTheTaskASpinLoopWaitsFor) {
  weave::Options o = Runs(300);
  o.strategy = Strategy::Pct(3);
  o.max_steps = 2000;
  o.fair = false;
  const weave::Failure f = weave_test::FailureOf(weave::FailureKind::kLivelock, o, SpinUntilSet);
  EXPECT_THAT(f.message, HasSubstr("2000 scheduling steps"));
}

// Two tasks that wait for each other's flag, which neither sets: fairness lets both spin, and the
// step budget still ends the run as a livelock.
TEST(FairScheduling, ARealLivelockIsStillReported) {
  weave::Options o = Runs(20);
  o.max_steps = 3000;
  o.minimize = false;
  weave_test::FailureOf(weave::FailureKind::kLivelock, o, [] {
    weave::atomic<bool> never{false};
    auto other = weave::spawn("other", [&] {
      while (!never.load()) weave::this_task::yield();
    });
    while (!never.load()) weave::this_task::yield();
    other.join();
  });
}

// The first yield of a streak is a plain scheduling point: the task may run straight on.
TEST(FairScheduling, AYieldingTaskMayStillRunStraightOnOnce) {
  std::vector<std::string> orders;
  weave::Options o = Runs(400);
  o.strategy = Strategy::Random();
  o.trace = weave::TraceMode::kOff;
  EXPECT_WEAVE_OK(o, [&] {
    std::string order;
    auto a = weave::spawn("a", [&] {
      order += 'a';
      weave::this_task::yield();
      order += 'a';
      weave::this_task::yield();
      order += 'a';
    });
    auto b = weave::spawn("b", [&] { order += 'b'; });
    a.join();
    b.join();
    orders.push_back(order);
  });
  // "aab...": a ran on past a yield although b was there to run (b exists before the body blocks
  // in a.join(), and a yielding task that must wait lets every other one run first).
  EXPECT_THAT(orders, ::testing::Contains(::testing::StartsWith("aab")));
}

TEST(FairScheduling, IsRecordedInTheScheduleAndReplayedAsRecorded) {
  weave::Options o = Runs(300);
  o.strategy = Strategy::Pct(3);
  o.max_steps = 2000;
  o.fair = false;
  o.out_dir = ::testing::TempDir() + "/weave-fair";
  o.test_name = "Fair.Off";
  const weave::Result r = weave::explore(o, SpinUntilSet);
  ASSERT_FALSE(r.ok());
  ASSERT_FALSE(r.schedule_path.empty());
  EXPECT_THAT(weave_test::ReadFile(r.schedule_path), HasSubstr("\nfair 0\n"));
  absl::StatusOr<weave::Schedule> read = weave::ReadScheduleFile(r.schedule_path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->fair);
  // The replay runs unfair, as recorded, although these options say fair.
  weave::Options replay;
  replay.replay_file = r.schedule_path;
  replay.test_name = "Fair.Off";
  replay.out_dir = o.out_dir;
  const weave::Result again = weave::explore(replay, SpinUntilSet);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.failure().kind, weave::FailureKind::kLivelock) << again;
}

}  // namespace
