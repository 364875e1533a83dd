// --weave_* flags and WEAVE_* environment variables: every flag parses, every bad value is a
// clear error naming the flag.
#include "weave/flags.hpp"

#include <cstdlib>

#include "gmock/gmock.h"

namespace {

using ::testing::HasSubstr;

absl::Status Apply(std::vector<std::string> args, weave::Options& o) {
  return weave::ApplyEnvironmentAndFlags(args, o);
}

TEST(Flags, EveryFlagSetsItsOption) {
  weave::Options o;
  ASSERT_TRUE(Apply({"prog", "--weave_iterations=5000", "--weave_seed=77", "--weave_strategy=rr",
                     "--weave_replay=x.schedule", "--weave_out=/tmp/o", "--weave_time_budget=30s",
                     "--weave_max_steps=1234", "--weave_stack_size=1M",
                     "--weave_spurious_wakeups=true", "--weave_progress=0"},
                    o)
                  .ok());
  EXPECT_EQ(o.iterations, 5000);
  EXPECT_EQ(o.seed, 77u);
  EXPECT_EQ(o.strategy, weave::Strategy::RoundRobin());
  EXPECT_EQ(o.replay_file, "x.schedule");
  EXPECT_EQ(o.out_dir, "/tmp/o");
  EXPECT_EQ(o.time_budget, absl::Seconds(30));
  EXPECT_EQ(o.max_steps, 1234);
  EXPECT_EQ(o.stack_size, 1024u * 1024u);
  EXPECT_TRUE(o.spurious_wakeups);
  EXPECT_EQ(o.progress_interval, absl::ZeroDuration());
}

TEST(Flags, OtherArgumentsAreIgnored) {
  weave::Options o;
  EXPECT_TRUE(Apply({"prog", "--gtest_filter=X.Y", "positional", "-v"}, o).ok());
  EXPECT_EQ(o.iterations, weave::Options().iterations);
}

struct BadFlag {
  std::string arg;
  std::string expected;
};

void PrintTo(const BadFlag& bad, std::ostream* os) { *os << bad.arg; }

class BadFlags : public ::testing::TestWithParam<BadFlag> {};

TEST_P(BadFlags, AreRejectedNamingTheFlagAndWhatItExpects) {
  weave::Options o;
  const absl::Status s = Apply({"prog", GetParam().arg}, o);
  ASSERT_FALSE(s.ok()) << GetParam().arg;
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(
    All, BadFlags,
    ::testing::Values(BadFlag{"--weave_iterations=0", "--weave_iterations=0: expected a positive"},
                      BadFlag{"--weave_iterations=lots", "expected a positive integer"},
                      BadFlag{"--weave_seed=-1", "--weave_seed=-1: expected an unsigned"},
                      BadFlag{"--weave_strategy=pct:banana",
                              "expected one of portfolio, random, pct"},
                      BadFlag{"--weave_time_budget=soon", "expected a positive duration"},
                      BadFlag{"--weave_max_steps=0", "expected a positive integer"},
                      BadFlag{"--weave_stack_size=1K", "at least 16K"},
                      BadFlag{"--weave_stack_size=12Q", "at least 16K"},
                      BadFlag{"--weave_spurious_wakeups=maybe", "expected true or false"},
                      BadFlag{"--weave_event_loop=", "expected true or false"},
                      BadFlag{"--weave_watchdog=1us", "at least 10ms"},
                      BadFlag{"--weave_replay=", "expected a schedule file path"},
                      BadFlag{"--weave_iterations", "expected --weave_iterations=VALUE"},
                      BadFlag{"--weave_iteration=5", "unknown flag --weave_iteration"},
                      BadFlag{"--weave_detect_races=sometimes", "expected true or false"},
                      BadFlag{"--weave_detect_lock_order=", "expected true or false"},
                      BadFlag{"--weave_survey=2", "expected true or false"},
                      BadFlag{"--weave_suppress=", "comma-separated names, none empty"},
                      BadFlag{"--weave_suppress=a,,b", "comma-separated names, none empty"},
                      BadFlag{"--weave_suppress", "expected --weave_suppress=VALUE"},
                      BadFlag{"--weave_trace=some", "expected off, ring or full"},
                      BadFlag{"--weave_trace_ring=0", "between 1 and 10000000"},
                      BadFlag{"--weave_trace_ring=20000000", "between 1 and 10000000"},
                      BadFlag{"--weave_trace_ring=many", "between 1 and 10000000"},
                      BadFlag{"--weave_trace_step_stacks=x", "expected true or false"},
                      BadFlag{"--weave_write_trace=", "expected true or false"}));

TEST(Flags, TraceFlagsSetTheirOptions) {
  weave::Options o;
  ASSERT_TRUE(Apply({"prog", "--weave_trace=full", "--weave_trace_ring=64",
                     "--weave_trace_step_stacks", "--weave_write_trace=true"},
                    o)
                  .ok());
  EXPECT_EQ(o.trace, weave::TraceMode::kFull);
  EXPECT_EQ(o.trace_ring_events, 64);
  EXPECT_TRUE(o.trace_step_stacks);
  EXPECT_TRUE(o.write_trace);
  ASSERT_TRUE(Apply({"prog", "--weave_trace=off"}, o).ok());
  EXPECT_EQ(o.trace, weave::TraceMode::kOff);
  // A ring by default: a failure's trace costs little while exploring.
  const weave::Options defaults;
  EXPECT_EQ(defaults.trace, weave::TraceMode::kRing);
  EXPECT_FALSE(defaults.write_trace);
}

TEST(Flags, DetectorFlagsSetTheirOptions) {
  weave::Options o;
  ASSERT_TRUE(Apply({"prog", "--weave_detect_races=false", "--weave_detect_lock_order=0",
                     "--weave_survey", "--weave_suppress=cache_hits, Cache::get"},
                    o)
                  .ok());
  EXPECT_FALSE(o.detect_races);
  EXPECT_FALSE(o.detect_lock_order);
  EXPECT_TRUE(o.survey);
  EXPECT_THAT(o.suppressions, testing::ElementsAre("cache_hits", "Cache::get"));
  // Both detectors are on by default, survey mode off.
  const weave::Options defaults;
  EXPECT_TRUE(defaults.detect_races);
  EXPECT_TRUE(defaults.detect_lock_order);
  EXPECT_FALSE(defaults.survey);
  EXPECT_TRUE(defaults.suppressions.empty());
}

TEST(Flags, ABareBooleanFlagMeansTrue) {
  weave::Options o;
  ASSERT_TRUE(Apply({"prog", "--weave_event_loop"}, o).ok());
  EXPECT_TRUE(o.event_loop);
}

TEST(Flags, EnvironmentVariablesApplyAndFlagsWin) {
  ::setenv("WEAVE_ITERATIONS", "7", 1);
  ::setenv("WEAVE_SEED", "9", 1);
  weave::Options o;
  ASSERT_TRUE(Apply({"prog", "--weave_seed=10"}, o).ok());
  EXPECT_EQ(o.iterations, 7);
  EXPECT_EQ(o.seed, 10u);
  ::unsetenv("WEAVE_ITERATIONS");
  ::unsetenv("WEAVE_SEED");
}

TEST(Flags, ABadEnvironmentVariableNamesTheVariable) {
  ::setenv("WEAVE_MAX_STEPS", "none", 1);
  weave::Options o;
  const absl::Status s = Apply({"prog"}, o);
  ::unsetenv("WEAVE_MAX_STEPS");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("environment variable WEAVE_MAX_STEPS"));
}

TEST(Flags, HelpListsEveryFlag) {
  const std::string help = weave::FlagsHelp();
  for (const char* name : {"iterations", "seed", "strategy", "replay", "out", "time_budget",
                           "max_steps", "stack_size", "spurious_wakeups", "progress"}) {
    EXPECT_THAT(help, HasSubstr(std::string("--weave_") + name + "=")) << name;
  }
  EXPECT_TRUE(weave::WantsFlagsHelp(std::vector<std::string>{"prog", "--weave_help"}));
}

}  // namespace
