// Strategies: names, determinism per seed, and the contract of PickTask/PickChoice.
#include "weave/strategy.hpp"

#include <set>

#include "gmock/gmock.h"

namespace {

TEST(Strategy, ParsesItsNamesAndPrintsThemBack) {
  for (const char* name : {"random", "rr"}) {
    absl::StatusOr<weave::Strategy> s = weave::Strategy::Parse(name);
    ASSERT_TRUE(s.ok()) << name;
    EXPECT_EQ(s->ToString(), name);
  }
  EXPECT_EQ(*weave::Strategy::Parse(" Round-Robin "), weave::Strategy::RoundRobin());
  absl::StatusOr<weave::Strategy> bad = weave::Strategy::Parse("fastest");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("unknown strategy"));
}

std::vector<weave::TaskId> Picks(weave::SchedulingStrategy& s, int runs, int steps) {
  const weave::TaskId runnable[] = {0, 1, 2, 3};
  std::vector<weave::TaskId> out;
  for (int r = 0; r < runs; ++r) {
    EXPECT_TRUE(s.BeginRun());
    for (int i = 0; i < steps; ++i) out.push_back(s.PickTask(runnable, 0));
  }
  return out;
}

TEST(RandomStrategy, SameSeedSamePicksDifferentSeedDifferentPicks) {
  auto a = weave::MakeStrategy(weave::Strategy::Random(), 5);
  auto b = weave::MakeStrategy(weave::Strategy::Random(), 5);
  auto c = weave::MakeStrategy(weave::Strategy::Random(), 6);
  const auto pa = Picks(*a, 3, 50);
  EXPECT_EQ(pa, Picks(*b, 3, 50));
  EXPECT_NE(pa, Picks(*c, 3, 50));
}

TEST(RandomStrategy, PicksOnlyRunnableTasksAndReachesEachOfThem) {
  auto s = weave::MakeStrategy(weave::Strategy::Random(), 1);
  const auto picks = Picks(*s, 10, 100);
  const std::set<weave::TaskId> seen(picks.begin(), picks.end());
  EXPECT_EQ(seen, (std::set<weave::TaskId>{0, 1, 2, 3}));
  ASSERT_TRUE(s->BeginRun());
  const weave::TaskId sparse[] = {2, 7};
  for (int i = 0; i < 100; ++i) {
    const weave::TaskId t = s->PickTask(sparse, 2);
    EXPECT_TRUE(t == 2 || t == 7);
  }
}

TEST(RandomStrategy, ChoicesStayInRange) {
  auto s = weave::MakeStrategy(weave::Strategy::Random(), 3);
  ASSERT_TRUE(s->BeginRun());
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 500; ++i) {
    const std::uint64_t v = s->PickChoice(3);
    ASSERT_LT(v, 3u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 3u);
  EXPECT_EQ(s->PickChoice(1), 0u);
}

TEST(RoundRobinStrategy, RotatesByIdAndMakesOneRun) {
  auto s = weave::MakeStrategy(weave::Strategy::RoundRobin(), 0);
  ASSERT_TRUE(s->BeginRun());
  const weave::TaskId runnable[] = {0, 2, 5};
  EXPECT_EQ(s->PickTask(runnable, 0), 2);
  EXPECT_EQ(s->PickTask(runnable, 2), 5);
  EXPECT_EQ(s->PickTask(runnable, 5), 0);
  EXPECT_EQ(s->PickTask(runnable, 3), 5);  // the current task blocked: next above it
  EXPECT_FALSE(s->BeginRun());
}

}  // namespace
