// Sharding (Options::shard_index / shard_count, --weave_shard, GoogleTest's GTEST_SHARD_* taken
// over by weave/gtest.hpp), the distinct-schedule count and the summary line.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using ::testing::HasSubstr;
using weave_test::Runs;

// The choose(1000000) answers of every schedule one shard explores.
std::vector<std::uint64_t> ValuesOfShard(std::int64_t index, std::int64_t count,
                                         std::int64_t iterations) {
  weave::Options o = Runs(iterations);
  o.strategy = weave::Strategy::Random();
  o.shard_index = index;
  o.shard_count = count;
  o.trace = weave::TraceMode::kOff;
  std::vector<std::uint64_t> values;
  const weave::Result r = weave::explore(o, [&] { values.push_back(weave::choose(1000000)); });
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.schedules, static_cast<std::int64_t>(values.size()));
  EXPECT_EQ(r.shard_index, index);
  EXPECT_EQ(r.shard_count, count);
  return values;
}

TEST(Sharding, ShardsSplitTheIterationsAndSampleDifferentSchedules) {
  std::set<std::uint64_t> all;
  std::int64_t total = 0;
  const std::int64_t expected_share[] = {3, 3, 2, 2};  // 10 iterations over 4 shards
  for (std::int64_t shard = 0; shard < 4; ++shard) {
    const std::vector<std::uint64_t> values = ValuesOfShard(shard, 4, 10);
    EXPECT_EQ(static_cast<std::int64_t>(values.size()), expected_share[shard]) << shard;
    total += static_cast<std::int64_t>(values.size());
    all.insert(values.begin(), values.end());
    // A shard is a function of (seed, shard): the same again.
    EXPECT_EQ(values, ValuesOfShard(shard, 4, 10)) << shard;
  }
  EXPECT_EQ(total, 10);
  EXPECT_EQ(all.size(), 10u) << "the shards' seeds must differ";
  // One shard of one is the unsharded exploration.
  EXPECT_EQ(ValuesOfShard(0, 1, 10).size(), 10u);
}

TEST(Sharding, AShardWithoutIterationsRunsNothingAndSaysSo) {
  weave::Options o = Runs(2);
  o.shard_index = 3;
  o.shard_count = 4;
  const weave::Result r = weave::explore(o, [] { weave::check(false, "never runs"); });
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(r.schedules, 0);
  EXPECT_THAT(r.Summary(), HasSubstr("shard 3/4"));
  EXPECT_THAT(r.Summary(), HasSubstr("this shard has none of the 2 iterations"));
}

TEST(Sharding, AnExhaustiveSearchRunsWholeOnShardZero) {
  auto body = [] {
    weave::atomic<int> x{0};
    auto t = weave::spawn("t", [&] { x.store(1); });
    x.store(2);
    t.join();
  };
  weave::Options o = Runs(1000);
  o.strategy = weave::Strategy::BoundedExhaustive(2);
  const weave::Result whole = weave::explore(o, body);
  ASSERT_TRUE(whole.exhausted) << whole;
  o.shard_count = 3;
  const weave::Result zero = weave::explore(o, body);
  EXPECT_TRUE(zero.exhausted) << zero;
  EXPECT_EQ(zero.schedules, whole.schedules);
  o.shard_index = 2;
  const weave::Result two = weave::explore(o, body);
  EXPECT_EQ(two.schedules, 0);
  EXPECT_THAT(two.Summary(), HasSubstr("not split: shard 0 runs it"));
}

TEST(Sharding, TheFlagTakesIndexSlashCount) {
  weave::Options o;
  const std::vector<std::string> args = {"prog", "--weave_shard=2/5"};
  ASSERT_TRUE(weave::ApplyEnvironmentAndFlags(args, o).ok());
  EXPECT_EQ(o.shard_index, 2);
  EXPECT_EQ(o.shard_count, 5);
  for (const char* bad :
       {"--weave_shard=5/5", "--weave_shard=-1/2", "--weave_shard=1/0", "--weave_shard=1",
        "--weave_shard=a/b", "--weave_shard=1/2/3", "--weave_shard=", "--weave_shard=0/1000001",
        "--weave_shard= 1/4", "--weave_shard=+1/4", "--weave_shard=1/ 4"}) {
    weave::Options p;
    const std::vector<std::string> bad_args = {"prog", bad};
    const absl::Status s = weave::ApplyEnvironmentAndFlags(bad_args, p);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(std::string(s.message()), HasSubstr("expected I/N with 0 <= I < N")) << bad;
  }
}

TEST(DistinctSchedules, AreCountedAndShownWhenSomeRepeat) {
  weave::Options o = Runs(200);
  o.strategy = weave::Strategy::Random();
  // Two tasks with one point each: only a handful of different schedules exist.
  const weave::Result r = weave::explore(o, [] {
    auto t = weave::spawn("t", [] { weave::this_task::yield(); });
    t.join();
  });
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_GT(r.distinct_schedules, 1);
  EXPECT_LT(r.distinct_schedules, 20);
  EXPECT_THAT(r.Summary(), HasSubstr(absl::StrCat(r.distinct_schedules, " distinct")));
}

// Not on a terminal (stderr is captured): a new line every interval, with the figures.
TEST(ProgressLine, ReportsSchedulesDistinctRateAndFailures) {
  weave::Options o = Runs(400);
  o.test_name = "Slow.Body";
  o.progress_interval = absl::Milliseconds(5);
  o.trace = weave::TraceMode::kOff;
  ::testing::internal::CaptureStderr();
  const weave::Result r = weave::explore(o, [] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
    while (std::chrono::steady_clock::now() < until) {
    }
    auto t = weave::spawn("t", [] { weave::this_task::yield(); });
    t.join();
  });
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_THAT(err, ::testing::ContainsRegex(
                       "weave: Slow.Body: [0-9]+/400 schedules \\([0-9]+ distinct\\), [0-9]+/s, "
                       "0 failures, [0-9.]+m?s\n"));
  EXPECT_EQ(err.find('\r'), std::string::npos) << "no redrawing off a terminal";
}

#ifdef WEAVE_SHARDED_EXAMPLE
// Runs `command` through the shell; its stdout and stderr.
std::string Output(const std::string& command) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[4096];
  while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  pclose(pipe);
  return out;
}

// gtest alone would run the example's only test on shard 0 and nothing on shard 1; weave runs it
// on every shard, over that shard's part of the iterations, and tells Bazel it supports sharding.
TEST(GTestSharding, EveryShardExploresItsShareOfEachWeaveTest) {
  const std::string status = ::testing::TempDir() + "/weave-shard-status";
  std::remove(status.c_str());
  const std::string out =
      Output("GTEST_TOTAL_SHARDS=3 GTEST_SHARD_INDEX=1 GTEST_SHARD_STATUS_FILE=" + status + " " +
             WEAVE_SHARDED_EXAMPLE + " --weave_iterations=10");
  EXPECT_THAT(out, HasSubstr("explored 3 schedules (strategy portfolio, seed 1, shard 1/3"));
  EXPECT_THAT(out, HasSubstr("[  PASSED  ] 1 test."));
  EXPECT_TRUE(std::filesystem::exists(status)) << "the shard status file was not touched";
  // --weave_shard wins over the environment.
  EXPECT_THAT(Output(std::string("GTEST_TOTAL_SHARDS=3 GTEST_SHARD_INDEX=1 ") +
                     WEAVE_SHARDED_EXAMPLE + " --weave_iterations=10 --weave_shard=0/2"),
              HasSubstr("explored 5 schedules (strategy portfolio, seed 1, shard 0/2"));
}
#endif

}  // namespace
