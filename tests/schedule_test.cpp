// The schedule file: round trips, and a one-line error naming file and line for every bad input.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "gmock/gmock.h"

#include "weave/gtest.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

weave::Schedule SampleSchedule() {
  weave::Schedule s;
  s.test_name = "Bank.Transfer";
  s.strategy = "random";
  s.seed = 42;
  s.iteration = 17;
  s.max_steps = 1000;
  s.spurious_wakeups = true;
  s.failure = weave::FailureKind::kDeadlock;
  s.failure_message = "every task is blocked\nsecond \"line\"";
  const weave::TaskId all[] = {0, 1, 2, 5};
  s.AddTaskDecision(1, all);
  s.AddChoiceDecision(2, 3);
  s.AddTaskDecision(5, std::span<const weave::TaskId>(all).subspan(3));
  return s;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("weave_schedule_test_" + name)).string();
}

TEST(ScheduleFile, FormatThenParseRoundTripsEveryField) {
  const weave::Schedule s = SampleSchedule();
  const std::string text = weave::FormatSchedule(s);
  absl::StatusOr<weave::Schedule> parsed = weave::ParseSchedule(text, "mem");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == s);
  EXPECT_EQ(parsed->failure_message, s.failure_message);
  EXPECT_EQ(weave::FormatSchedule(*parsed), text);
}

TEST(ScheduleFile, RunnableSetsAreWrittenAsRanges) {
  const std::string text = weave::FormatSchedule(SampleSchedule());
  EXPECT_THAT(text, HasSubstr("\nt 1 0-2,5\n"));
  EXPECT_THAT(text, HasSubstr("\nc 2 3\n"));
  EXPECT_THAT(text, HasSubstr("\nt 5 5\n"));
}

// A wide run: more runnable tasks than a schedule lists id by id.
std::vector<weave::TaskId> Ids(int n) {
  std::vector<weave::TaskId> ids;
  for (int i = 0; i < n; ++i) ids.push_back(i);
  return ids;
}

TEST(ScheduleFile, LargeRunnableSetsAreWrittenBySizeAndFingerprintAndRoundTrip) {
  weave::Schedule s = SampleSchedule();
  const std::vector<weave::TaskId> wide = Ids(1000);
  s.AddTaskDecision(7, wide);
  const std::string text = weave::FormatSchedule(s);
  char expected[64];
  std::snprintf(expected, sizeof expected, "\nt 7 #1000:%016llx\n",
                static_cast<unsigned long long>(weave::RunnableSet::FingerprintOf(wide)));
  EXPECT_THAT(text, HasSubstr(expected));
  absl::StatusOr<weave::Schedule> parsed = weave::ParseSchedule(text, "mem");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(*parsed == s);
  EXPECT_EQ(weave::FormatSchedule(*parsed), text);
  // A set that differs in one id has another fingerprint.
  std::vector<weave::TaskId> other = wide;
  other.back() = 5000;
  EXPECT_NE(weave::RunnableSet::FingerprintOf(other), weave::RunnableSet::FingerprintOf(wide));
}

TEST(ScheduleFile, AWideRunReplaysAndAChangedWideRunIsCaught) {
  // 200 tasks runnable at once: recorded by fingerprint, replayed exactly.
  auto body = [](int extra) {
    return [extra] {
      weave::event go{"go"};
      std::vector<weave::join_handle> tasks;
      for (int i = 0; i < 200 + extra; ++i) {
        tasks.push_back(weave::spawn("t", [&go] { go.wait(); }));
      }
      go.set();  // all 200 runnable at once
      for (auto& t : tasks) t.join();
      weave::check(false, "fail so that the schedule is kept");
    };
  };
  weave::Options o;
  o.iterations = 1;
  o.out_dir = TempPath("wide");
  o.test_name = "Wide.Run";
  const weave::Result found = weave::explore(o, body(0));
  ASSERT_FALSE(found.ok());
  ASSERT_FALSE(found.schedule_path.empty());
  std::ifstream file(found.schedule_path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr(" #2")) << "a step with 200 or more runnable tasks is summarized";
  weave::Options replay = o;
  replay.replay_file = found.schedule_path;
  const weave::Result again = weave::explore(replay, body(0));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.failure().kind, weave::FailureKind::kAssertion) << again;
  const weave::Result changed = weave::explore(replay, body(1));
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.failure().kind, weave::FailureKind::kNondeterminism) << changed;
  EXPECT_THAT(changed.failure().message, HasSubstr("nondeterminism at step"));
}

TEST(ScheduleFile, WriteIsAtomicAndReadable) {
  const std::string dir = TempPath("dir/nested");
  std::filesystem::remove_all(TempPath("dir"));
  const std::string path = dir + "/x.schedule";
  ASSERT_TRUE(weave::WriteScheduleFile(SampleSchedule(), path).ok());
  // No temporary file is left beside it.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);
  absl::StatusOr<weave::Schedule> read = weave::ReadScheduleFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == SampleSchedule());
  std::filesystem::remove_all(TempPath("dir"));
}

TEST(ScheduleFile, MissingFileNamesThePath) {
  absl::StatusOr<weave::Schedule> s = weave::ReadScheduleFile("/nonexistent/dir/x.schedule");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), StartsWith("/nonexistent/dir/x.schedule: "));
}

struct BadFile {
  const char* name;
  std::string text;
  const char* expected_prefix;  // "file:line: expected ..."
};

void PrintTo(const BadFile& bad, std::ostream* os) { *os << bad.name; }

class BadScheduleFile : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadScheduleFile, IsRejectedWithFileLineAndExpectation) {
  const BadFile& bad = GetParam();
  absl::StatusOr<weave::Schedule> s = weave::ParseSchedule(bad.text, "f.schedule");
  ASSERT_FALSE(s.ok()) << "accepted:\n" << bad.text;
  const std::string message(s.status().message());
  EXPECT_THAT(message, StartsWith(bad.expected_prefix));
  EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
}

std::string Good() { return weave::FormatSchedule(SampleSchedule()); }
std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

INSTANTIATE_TEST_SUITE_P(
    All, BadScheduleFile,
    ::testing::Values(
        BadFile{"Empty", "", "f.schedule:1: expected 'weave-schedule 1'"},
        BadFile{"Garbage",
                "\x7f"
                "ELF\x02\x01",
                "f.schedule:1: expected 'weave-schedule 1'"},
        BadFile{"WrongVersion", Replace(Good(), "weave-schedule 1", "weave-schedule 7"),
                "f.schedule:1: expected format version 1"},
        BadFile{"MissingTest", Replace(Good(), "test Bank", "tset Bank"),
                "f.schedule:2: expected 'test <value>'"},
        BadFile{"BadSeed", Replace(Good(), "seed 42", "seed forty-two"),
                "f.schedule:4: expected an integer after 'seed'"},
        BadFile{"BadFailureKind", Replace(Good(), "failure deadlock", "failure exploded"),
                "f.schedule:8: expected a failure kind"},
        BadFile{"PickNotRunnable", Replace(Good(), "t 1 0-2,5", "t 3 0-2,5"),
                "f.schedule:12: expected a picked task that is in the runnable set"},
        BadFile{"SmallSetAsFingerprint", Replace(Good(), "t 1 0-2,5", "t 1 #4:0123456789abcdef"),
                "f.schedule:12: expected 't <task> #<size above 64>:<16 hex digits>'"},
        BadFile{"BadFingerprint", Replace(Good(), "t 1 0-2,5", "t 1 #100:xyz"),
                "f.schedule:12: expected 't <task> #<size above 64>:<16 hex digits>'"},
        BadFile{"LargeSetListed", Replace(Good(), "t 1 0-2,5", "t 1 0-99"),
                "f.schedule:12: expected 't <task> <ascending task set like 0-2,5, of at most 64"},
        // Rejected before it is expanded: no memory is spent on it.
        BadFile{"HugeRangesListed", Replace(Good(), "t 1 0-2,5", "t 1 0-2000000000,2000000002"),
                "f.schedule:12: expected 't <task> <ascending task set like 0-2,5, of at most 64"},
        BadFile{"FingerprintWithAPrefix", Replace(Good(), "t 1 0-2,5", "t 1 #100:0x23456789abcdef"),
                "f.schedule:12: expected 't <task> #<size above 64>:<16 hex digits>'"},
        BadFile{"DescendingSet", Replace(Good(), "t 1 0-2,5", "t 1 5,0-2"),
                "f.schedule:12: expected 't <task> <ascending task set"},
        BadFile{"ChoiceOutOfRange", Replace(Good(), "c 2 3", "c 3 3"),
                "f.schedule:13: expected 'c <value> <n>' with value < n"},
        BadFile{"UnknownDecision", Replace(Good(), "c 2 3", "x 2 3"),
                "f.schedule:13: expected a decision"},
        BadFile{"Truncated", Good().substr(0, Good().find("c 2 3")),
                "f.schedule:13: expected decision 2 of 3, got end of file (truncated?)"},
        BadFile{"MissingEnd", Replace(Good(), "end\n", ""),
                "f.schedule:15: expected 'end', got end of file"},
        BadFile{"ExtraDecision", Replace(Good(), "end\n", "t 5 5\nend\n"),
                "f.schedule:15: expected 'end' after 3 decisions"}),
    [](const ::testing::TestParamInfo<BadFile>& info) { return std::string(info.param.name); });

TEST(ScheduleFile, ReplayOfAnotherTestsScheduleIsRefused) {
  const std::string path = TempPath("other.schedule");
  ASSERT_TRUE(weave::WriteScheduleFile(SampleSchedule(), path).ok());
  weave::Options o;
  o.test_name = "Suite.ThisTest";
  o.replay_file = path;
  const weave::Result r = weave::explore(o, [] {});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(
      std::string(r.input_error.message()),
      HasSubstr("expected a schedule of test 'Suite.ThisTest', got one of 'Bank.Transfer'"));
  std::filesystem::remove(path);
}

TEST(ScheduleFile, ReplayOfAMissingFileIsAnInputErrorNotACrash) {
  weave::Options o;
  o.replay_file = "/nonexistent.schedule";
  const weave::Result r = weave::explore(o, [] {});
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.input_error.ok());
  EXPECT_THAT(r.Summary(), HasSubstr("cannot run: /nonexistent.schedule: cannot open"));
}

}  // namespace
