// Shrinking (weave/shrink.hpp): a failing schedule becomes one with fewer preemptions and steps
// that fails the same way, never one that fails differently or not at all; the automatic pass
// after a failure, its time bound, its files, and `weave minimize` on a real example binary.
#include "weave/shrink.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "test_support.hpp"
#include <sys/wait.h>

#include "weave/gtest.hpp"

extern char** environ;

#ifndef WEAVE_CLI_PATH
#define WEAVE_CLI_PATH ""  // tools/ not built: the CLI tests skip
#endif
#ifndef WEAVE_EXAMPLE_PATH
#define WEAVE_EXAMPLE_PATH ""  // examples not built: the CLI tests skip
#endif

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using weave::FailureKind;

std::string FreshDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("weave_shrink_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

weave::Options Shrinking(const std::string& name, std::uint64_t seed = 1) {
  weave::Options o;
  o.iterations = 2000;
  o.seed = seed;
  o.strategy = weave::Strategy::Random();
  o.test_name = "Shrink." + name;
  o.out_dir = FreshDir(name);
  o.trace = weave::TraceMode::kOff;  // the trace files are not what these tests look at
  return o;
}

// What "the same failure" means, written independently of the shrinker's own definition: the
// kind and, for a race, the two access locations in either order; for a deadlock, which tasks
// wait at which source line; otherwise the failure's source location.
std::string Identity(const weave::Failure& f) {
  std::string id(weave::FailureKindName(f.kind));
  if (f.kind == FailureKind::kDataRace) {
    static const std::regex kAt(" at ([^ ]+:[0-9]+)");
    std::vector<std::string> sites;
    for (std::sregex_iterator it(f.message.begin(), f.message.end(), kAt), end; it != end; ++it) {
      sites.push_back((*it)[1]);
    }
    std::sort(sites.begin(), sites.end());
    return absl::StrCat(id, " ", absl::StrJoin(sites, " / "));
  }
  if (f.kind == FailureKind::kDeadlock) {
    std::vector<std::string> waits;
    for (const weave::TaskSnapshot& t : f.tasks) {
      if (!absl::StartsWith(t.state, "blocked")) continue;
      const std::size_t at = t.state.rfind(" at ");
      waits.push_back(absl::StrCat(t.name, at == std::string::npos ? "" : t.state.substr(at)));
    }
    std::sort(waits.begin(), waits.end());
    return absl::StrCat(id, " ", absl::StrJoin(waits, "; "));
  }
  return absl::StrCat(id, " ", f.where.file, ":", f.where.line);
}

// Replays `path` for `o`'s test with the same options.
weave::Result Replay(weave::Options o, const std::string& path, const std::function<void()>& body) {
  o.replay_file = path;
  o.minimize = false;
  return weave::explore(o, body);
}

// --- Programs with planted bugs -------------------------------------------------------------

// A window that only a preemption opens: `writer` sets the flag and clears it again; `reader`
// must never see it set. Both do unrelated atomic work around it, so a random schedule that
// finds the bug switches tasks many times; the bug needs exactly one preemption (writer, inside
// its window, to reader).
void OnePreemptionBug() {
  weave::atomic<int> flag{0, "flag"};
  weave::atomic<int> noise{0, "noise"};
  auto writer = weave::spawn("writer", [&] {
    for (int i = 0; i < 6; ++i) noise.fetch_add(1);
    flag.store(1);
    noise.fetch_add(1);
    flag.store(0);
    for (int i = 0; i < 6; ++i) noise.fetch_add(1);
  });
  auto reader = weave::spawn("reader", [&] {
    for (int i = 0; i < 6; ++i) noise.fetch_add(1);
    weave::check(flag.load() == 0, "reader saw the flag set");
    for (int i = 0; i < 6; ++i) noise.fetch_add(1);
  });
  writer.join();
  reader.join();
}

// Two unlocked increments of a shared counter: a data race.
void RacyCounter() {
  weave::shared<int> counter{0, "counter"};
  weave::atomic<int> noise{0, "noise"};
  auto a = weave::spawn("a", [&] {
    for (int i = 0; i < 4; ++i) noise.fetch_add(1);
    counter = counter + 1;
  });
  auto b = weave::spawn("b", [&] {
    for (int i = 0; i < 4; ++i) noise.fetch_add(1);
    counter = counter + 1;
  });
  a.join();
  b.join();
}

// Two locks taken in opposite orders: a deadlock when each task holds its first lock.
void OppositeLockOrders() {
  weave::mutex first{"first"};
  weave::mutex second{"second"};
  weave::atomic<int> noise{0, "noise"};
  auto a = weave::spawn("a", [&] {
    noise.fetch_add(1);
    std::scoped_lock l1(first);
    noise.fetch_add(1);
    std::scoped_lock l2(second);
  });
  auto b = weave::spawn("b", [&] {
    noise.fetch_add(1);
    std::scoped_lock l1(second);
    noise.fetch_add(1);
    std::scoped_lock l2(first);
  });
  a.join();
  b.join();
}

// Two independent bugs at two lines. Bug `early` needs the left pair to interleave, bug `late`
// the right pair; a shrinker that accepted any failure could trade one for the other.
void TwoBugs() {
  weave::atomic<int> left{0, "left"};
  weave::atomic<int> right{0, "right"};
  weave::atomic<int> noise{0, "noise"};
  auto lw = weave::spawn("left-writer", [&] {
    left.store(1);
    noise.fetch_add(1);
    left.store(0);
  });
  auto lr = weave::spawn("left-reader", [&] {
    noise.fetch_add(1);
    weave::check(left.load() == 0, "left bug");
  });
  auto rw = weave::spawn("right-writer", [&] {
    right.store(1);
    noise.fetch_add(1);
    noise.fetch_add(1);
    right.store(0);
  });
  auto rr = weave::spawn("right-reader", [&] {
    noise.fetch_add(1);
    weave::check(right.load() == 0, "right bug");
  });
  lw.join();
  lr.join();
  rw.join();
  rr.join();
}

// A fault injected by choose(): only some answers lead into the window, which also needs a
// preemption.
void ChoiceDependentBug() {
  weave::atomic<int> state{0, "state"};
  auto worker = weave::spawn("worker", [&] {
    const std::uint64_t fault = weave::choose(4);
    if (fault >= 2) {
      state.store(1);  // a half-done retry is visible...
      state.store(0);
    }
  });
  auto observer = weave::spawn(
      "observer", [&] { weave::check(state.load() == 0, "observer saw a half-done retry"); });
  worker.join();
  observer.join();
}

struct Program {
  const char* name;
  std::function<void()> body;
  std::function<void(weave::Options&)> configure;
};

void PrintTo(const Program& program, std::ostream* os) { *os << program.name; }

std::vector<Program> Programs() {
  return {
      {"Assertion", OnePreemptionBug, {}},
      {"DataRace", RacyCounter, {}},
      {"Deadlock", OppositeLockOrders, [](weave::Options& o) { o.detect_lock_order = false; }},
      {"PotentialDeadlock", OppositeLockOrders, {}},
      {"TwoBugs", TwoBugs, {}},
      {"Choice", ChoiceDependentBug, {}},
  };
}

// --- The automatic pass -----------------------------------------------------------------------

TEST(Shrink, APlantedBugShrinksToItsOnePreemption) {
  // Every seed whose failing schedule switched tasks more than needed shrinks to the one
  // preemption the bug needs.
  int shrunk = 0;
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    const weave::Options o = Shrinking("OnePreemption", seed);
    const weave::Result r = weave::explore(o, OnePreemptionBug);
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.failure().kind, FailureKind::kAssertion) << r;
    ASSERT_TRUE(r.minimization.has_value()) << r;
    const weave::Minimization& m = *r.minimization;
    EXPECT_EQ(m.preemptions_before, weave::MeasureSchedule(r.schedule).preemptions);
    EXPECT_EQ(m.preemptions_after, 1) << r;
    EXPECT_FALSE(m.stopped_by_time_bound);
    if (m.preemptions_before > 1) {
      ++shrunk;
      ASSERT_FALSE(m.schedule_path.empty()) << r;
      EXPECT_EQ(m.schedule_path, o.out_dir + "/Shrink.OnePreemption.min.schedule");
      absl::StatusOr<weave::Schedule> s = weave::ReadScheduleFile(m.schedule_path);
      ASSERT_TRUE(s.ok()) << s.status();
      EXPECT_EQ(weave::MeasureSchedule(*s).preemptions, 1);
      EXPECT_EQ(weave::MeasureSchedule(*s).steps, m.steps_after);
      EXPECT_LE(m.steps_after, m.steps_before);
      EXPECT_EQ(s->test_name, "Shrink.OnePreemption");
      EXPECT_EQ(s->seed, seed);
      EXPECT_EQ(s->failure, FailureKind::kAssertion);
      EXPECT_THAT(s->failure_message, HasSubstr("reader saw the flag set"));
    }
    std::filesystem::remove_all(o.out_dir);
  }
  EXPECT_GT(shrunk, 0) << "no seed found the bug with more than one preemption";
}

TEST(Shrink, TheMinimizedScheduleReplaysToTheSameFailure) {
  const weave::Options o = Shrinking("Replays", 3);
  const weave::Result r = weave::explore(o, OnePreemptionBug);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.minimization && !r.minimization->schedule_path.empty()) << r;
  // The original is untouched: the file holds the exploration's schedule and failure.
  absl::StatusOr<weave::Schedule> original = weave::ReadScheduleFile(r.schedule_path);
  ASSERT_TRUE(original.ok()) << original.status();
  EXPECT_EQ(original->size(), r.schedule.size());
  EXPECT_EQ(original->failure_message, r.failure().message);

  for (int i = 0; i < 3; ++i) {
    const weave::Result replayed = Replay(o, r.minimization->schedule_path, OnePreemptionBug);
    ASSERT_FALSE(replayed.ok());
    EXPECT_THAT(replayed.Summary(), HasSubstr("failure reproduced"));
    EXPECT_EQ(Identity(replayed.failure()), Identity(r.failure()));
  }
  std::filesystem::remove_all(o.out_dir);
}

TEST(Shrink, TheReportSaysBeforeAndAfterAndHowToReplayTheMinimizedSchedule) {
  const weave::Options o = Shrinking("Report", 3);
  const weave::Result r = weave::explore(o, OnePreemptionBug);
  ASSERT_TRUE(r.minimization && !r.minimization->schedule_path.empty()) << r;
  const weave::Minimization& m = *r.minimization;
  std::ostringstream report;
  report << r;
  EXPECT_THAT(report.str(), HasSubstr(absl::StrCat("weave: minimized: ", m.preemptions_before,
                                                   " -> 1 preemptions, ", m.steps_before, " -> ",
                                                   m.steps_after, " steps")));
  EXPECT_THAT(report.str(), HasSubstr(absl::StrCat("): ", m.schedule_path, "\n")));
  EXPECT_THAT(report.str(), HasSubstr("weave: replay the minimized schedule with: "));
  EXPECT_THAT(m.replay_command, HasSubstr(m.schedule_path));
  // The failing schedule is reported as before.
  EXPECT_THAT(report.str(), HasSubstr("weave: schedule written to " + r.schedule_path));
  std::filesystem::remove_all(o.out_dir);
}

TEST(Shrink, AnAlreadyMinimalScheduleWritesNothingAndSaysSo) {
  weave::Options o = Shrinking("Minimal");
  o.strategy = weave::Strategy::RoundRobin();
  // Fails without any preemption in its first steps: nothing smaller fails.
  const weave::Result r = weave::explore(o, [] { weave::check(false, "always"); });
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.minimization.has_value());
  EXPECT_TRUE(r.minimization->schedule_path.empty());
  EXPECT_THAT(r.minimization->note, HasSubstr("already minimal: 0 preemptions"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/Shrink.Minimal.min.schedule"));
  std::ostringstream report;
  report << r;
  EXPECT_THAT(report.str(), HasSubstr("weave: minimize: already minimal"));
  std::filesystem::remove_all(o.out_dir);
}

TEST(Shrink, MinimizeOffWritesNoMinScheduleAndRunsNothingMore) {
  weave::Options o = Shrinking("Off", 3);
  o.minimize = false;
  // A stale file of an earlier failure must not pass for this one's.
  weave_test::WriteFile(o.out_dir + "/Shrink.Off.min.schedule", "stale");
  int runs = 0;
  const weave::Result r = weave::explore(o, [&] {
    ++runs;
    OnePreemptionBug();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(r.minimization.has_value());
  EXPECT_EQ(runs, r.schedules);  // no run beyond the exploration's
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/Shrink.Off.min.schedule"));
  EXPECT_TRUE(std::filesystem::exists(o.out_dir + "/Shrink.Off.schedule"));
  std::ostringstream report;
  report << r;
  EXPECT_THAT(report.str(), Not(HasSubstr("minimiz")));

  o.minimize = true;
  o.minimize_time = absl::ZeroDuration();  // a zero bound turns the pass off too
  EXPECT_FALSE(weave::explore(o, OnePreemptionBug).minimization.has_value());
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/Shrink.Off.min.schedule"));
  std::filesystem::remove_all(o.out_dir);
}

TEST(Shrink, TheTimeBoundIsRespected) {
  // A long run (many steps): each candidate takes a while, and there are many.
  auto body = [] {
    weave::atomic<int> flag{0, "flag"};
    weave::atomic<int> noise{0, "noise"};
    std::vector<weave::join_handle> workers;
    workers.reserve(4);
    for (int w = 0; w < 4; ++w) {
      workers.push_back(weave::spawn("worker", [&] {
        for (int i = 0; i < 300; ++i) noise.fetch_add(1);
      }));
    }
    auto writer = weave::spawn("writer", [&] {
      for (int i = 0; i < 100; ++i) noise.fetch_add(1);
      flag.store(1);
      flag.store(0);
    });
    for (int i = 0; i < 100; ++i) noise.fetch_add(1);
    weave::check(flag.load() == 0, "saw the flag");
    writer.join();
    for (auto& w : workers) w.join();
  };
  weave::Options o = Shrinking("TimeBound");
  o.minimize_time = absl::Milliseconds(100);
  const weave::Result r = weave::explore(o, body);
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.minimization.has_value()) << r;
  const weave::Minimization& m = *r.minimization;
  EXPECT_TRUE(m.stopped_by_time_bound) << r;
  // The run under way when the bound passes finishes, and the result is replayed once more.
  EXPECT_LT(m.wall_time, absl::Milliseconds(100) + absl::Seconds(2)) << m.wall_time;
  EXPECT_GT(m.runs, 1);
  if (!m.schedule_path.empty()) {
    const weave::Result replayed = Replay(o, m.schedule_path, body);
    ASSERT_FALSE(replayed.ok());
    EXPECT_EQ(Identity(replayed.failure()), Identity(r.failure()));
  }
  std::filesystem::remove_all(o.out_dir);
}

// --- The property: never a schedule that fails differently, or not at all --------------------

class ShrinkProperty : public ::testing::TestWithParam<Program> {};

TEST_P(ShrinkProperty, TheMinimizedScheduleFailsTheSameWayForEverySeed) {
  const Program& program = GetParam();
  int failures = 0;
  int smaller = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    weave::Options o = Shrinking(program.name, seed);
    if (program.configure) program.configure(o);
    const weave::Result r = weave::explore(o, program.body);
    if (r.ok()) continue;
    ++failures;
    ASSERT_TRUE(r.minimization.has_value()) << r;
    const weave::Minimization& m = *r.minimization;
    EXPECT_LE(std::pair(m.preemptions_after, m.steps_after),
              std::pair(m.preemptions_before, m.steps_before));
    if (m.schedule_path.empty()) {
      EXPECT_FALSE(m.note.empty());
      std::filesystem::remove_all(o.out_dir);
      continue;
    }
    ++smaller;
    absl::StatusOr<weave::Schedule> min = weave::ReadScheduleFile(m.schedule_path);
    ASSERT_TRUE(min.ok()) << min.status();
    EXPECT_LT(weave::MeasureSchedule(*min), weave::MeasureSchedule(r.schedule));
    const weave::Result replayed = Replay(o, m.schedule_path, program.body);
    ASSERT_FALSE(replayed.ok()) << "seed " << seed << ": the minimized schedule passes";
    EXPECT_EQ(Identity(replayed.failure()), Identity(r.failure()))
        << "seed " << seed << ":\n"
        << replayed << "\nbut the original:\n"
        << r;
    std::filesystem::remove_all(o.out_dir);
  }
  EXPECT_GT(failures, 0) << program.name << ": no seed found the bug";
  EXPECT_GT(smaller, 0) << program.name << ": no seed gave a smaller schedule";
}

INSTANTIATE_TEST_SUITE_P(Programs, ShrinkProperty, ::testing::ValuesIn(Programs()),
                         [](const ::testing::TestParamInfo<Program>& info) {
                           return std::string(info.param.name);
                         });

TEST(Shrink, TwoBugsKeepTheirOwnLocation) {
  // Seeds that found each bug: each shrinks to a schedule of that same bug.
  std::set<std::string> seen;
  std::set<std::string> minimized;  // the bugs whose minimized schedule was replayed
  for (std::uint64_t seed = 1; seed <= 30 && minimized.size() < 2; ++seed) {
    const weave::Options o = Shrinking("TwoBugs", seed);
    const weave::Result r = weave::explore(o, TwoBugs);
    ASSERT_FALSE(r.ok());
    seen.insert(r.failure().message);
    if (r.minimization && !r.minimization->schedule_path.empty()) {
      minimized.insert(r.failure().message);
      const weave::Result replayed = Replay(o, r.minimization->schedule_path, TwoBugs);
      ASSERT_FALSE(replayed.ok());
      EXPECT_EQ(replayed.failure().message, r.failure().message) << "seed " << seed;
      EXPECT_EQ(replayed.failure().where.line, r.failure().where.line);
    }
    std::filesystem::remove_all(o.out_dir);
  }
  EXPECT_EQ(seen.size(), 2u) << "the seeds found only one of the bugs";
  EXPECT_GE(minimized.size(), 1u) << "no seed's schedule was shrunk: nothing above was checked";
}

TEST(Shrink, AReplayFileAndAScheduleToMinimizeTogetherAreAnError) {
  weave::Options o = Shrinking("Both");
  o.replay_file = "a.schedule";
  o.minimize_schedule = "b.schedule";
  const weave::Result r = weave::explore(o, TwoBugs);
  EXPECT_TRUE(absl::IsInvalidArgument(r.input_error)) << r.input_error;
  EXPECT_THAT(std::string(r.input_error.message()), HasSubstr("give one"));
}

TEST(Shrink, AChoiceDependentBugKeepsTheLowestFailingAnswer) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const weave::Options o = Shrinking("ChoiceLow", seed);
    const weave::Result r = weave::explore(o, ChoiceDependentBug);
    ASSERT_FALSE(r.ok());
    ASSERT_TRUE(r.minimization.has_value());
    const std::string path =
        r.minimization->schedule_path.empty() ? r.schedule_path : r.minimization->schedule_path;
    absl::StatusOr<weave::Schedule> s = weave::ReadScheduleFile(path);
    ASSERT_TRUE(s.ok()) << s.status();
    // Answers 2 and 3 open the window: shrinking lowers a 3 to 2, never below.
    EXPECT_EQ(weave::MeasureSchedule(*s).choice_total, 2u) << "seed " << seed << "\n" << r;
    EXPECT_EQ(weave::MeasureSchedule(*s).preemptions, 1) << "seed " << seed;
    std::filesystem::remove_all(o.out_dir);
  }
}

// --- Failures that are not shrunk -------------------------------------------------------------

TEST(Shrink, AFailureThatDoesNotRecurInARunAloneIsNotShrunk) {
  int runs = 0;
  weave::Options o = Shrinking("NotAlone");
  const weave::Result r = weave::explore(o, [&] {
    ++runs;
    weave::check(runs != 3, "the third run fails");
  });
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.minimization.has_value());
  EXPECT_TRUE(r.minimization->schedule_path.empty());
  EXPECT_THAT(r.minimization->note,
              HasSubstr("skipped: the schedule does not fail the same way when run alone"));
  EXPECT_THAT(r.failure().message, HasSubstr("the third run fails"));
  std::filesystem::remove_all(o.out_dir);
}

// --- A crash while shrinking --------------------------------------------------------------

// Fails in its first run; from its third run on (the shrinker's first candidate) it aborts.
void FailsThenCrashesWhileShrinking() {
  static int runs = 0;
  ++runs;
  weave::atomic<int> noise{0, "noise"};
  auto t = weave::spawn("worker", [&] {
    noise.fetch_add(1);
    if (runs >= 3) std::abort();
    noise.fetch_add(1);
  });
  noise.fetch_add(1);
  t.join();
  weave::check(false, "always fails");
}

using ShrinkDeathTest = ::testing::Test;

TEST_F(ShrinkDeathTest, ACrashWhileShrinkingKeepsTheFailingSchedule) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // Not per process: the threadsafe death test re-runs this test in a child.
  const std::string dir =
      (std::filesystem::temp_directory_path() / "weave_shrink_test_crash").string();
  weave::Options o;
  o.strategy = weave::Strategy::Random();
  o.test_name = "Shrink.Crash";
  o.out_dir = dir;
  o.trace = weave::TraceMode::kOff;
  EXPECT_DEATH(weave::explore(o, FailsThenCrashesWhileShrinking),
               "weave: failure: crash: SIGABRT.*in task 1 'worker'(.|\n)*while replaying; the "
               "schedule file is unchanged");
  absl::StatusOr<weave::Schedule> s = weave::ReadScheduleFile(dir + "/Shrink.Crash.schedule");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->failure, FailureKind::kAssertion);
  EXPECT_THAT(s->failure_message, HasSubstr("always fails"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/Shrink.Crash.min.schedule"));
  std::filesystem::remove_all(dir);
}

// --- Minimizing a schedule file (what `weave minimize` runs) --------------------------------

TEST(Shrink, MinimizeScheduleShrinksAFileInsteadOfExploring) {
  weave::Options o = Shrinking("File", 3);
  o.minimize = false;
  const weave::Result found = weave::explore(o, OnePreemptionBug);
  ASSERT_FALSE(found.ok());
  ASSERT_GT(weave::MeasureSchedule(found.schedule).preemptions, 1);

  weave::Options m = o;
  m.minimize_schedule = found.schedule_path;
  int runs = 0;
  const weave::Result r = weave::explore(m, [&] {
    ++runs;
    OnePreemptionBug();
  });
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.input_error.ok()) << r;
  EXPECT_GT(runs, 1);
  EXPECT_EQ(Identity(r.failure()), Identity(found.failure()));
  ASSERT_TRUE(r.minimization.has_value());
  EXPECT_EQ(r.minimization->schedule_path, o.out_dir + "/Shrink.File.min.schedule");
  EXPECT_EQ(r.minimization->preemptions_after, 1);
  EXPECT_THAT(r.minimization->replay_command, HasSubstr("Shrink.File.min.schedule"));
  const weave::Result replayed = Replay(o, r.minimization->schedule_path, OnePreemptionBug);
  ASSERT_FALSE(replayed.ok());
  EXPECT_EQ(Identity(replayed.failure()), Identity(found.failure()));
  // The input file is left as it was.
  absl::StatusOr<weave::Schedule> input = weave::ReadScheduleFile(found.schedule_path);
  ASSERT_TRUE(input.ok());
  EXPECT_EQ(input->size(), found.schedule.size());
  std::filesystem::remove_all(o.out_dir);
}

TEST(Shrink, MinimizingAScheduleThatPassesIsAnInputError) {
  weave::Options o = Shrinking("Passes");
  weave::Schedule passing;
  passing.test_name = o.test_name;
  passing.max_steps = o.max_steps;
  ASSERT_TRUE(weave::WriteScheduleFile(passing, o.out_dir + "/passing.schedule").ok());
  o.minimize_schedule = o.out_dir + "/passing.schedule";
  const weave::Result r = weave::explore(o, [] {});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.input_error.message(), HasSubstr("runs without failing: nothing to minimize"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/passing.min.schedule"));

  o.minimize_schedule = o.out_dir + "/missing.schedule";
  EXPECT_FALSE(weave::explore(o, [] {}).input_error.ok());
  std::filesystem::remove_all(o.out_dir);
}

TEST(Shrink, MinSchedulePathNamesTheFileBesideTheSchedule) {
  EXPECT_EQ(weave::MinSchedulePath("out/A.B.schedule"), "out/A.B.min.schedule");
  EXPECT_EQ(weave::MinSchedulePath("out/A.B.min.schedule"), "out/A.B.min.schedule");
  EXPECT_EQ(weave::MinSchedulePath("out/file"), "out/file.min.schedule");
}

TEST(Shrink, MeasureCountsOnlySwitchesAwayFromATaskThatCouldRunOn) {
  weave::Schedule s;
  const std::vector<weave::TaskId> all = {0, 1, 2};
  const std::vector<weave::TaskId> without0 = {1, 2};
  s.AddTaskDecision(0, weave::RunnableSet(all));       // 0 runs on
  s.AddTaskDecision(1, weave::RunnableSet(all));       // preempts 0
  s.AddChoiceDecision(2, 3);                           // a choice: not a step
  s.AddTaskDecision(2, weave::RunnableSet(without0));  // 1 could run on: preempts it
  s.AddTaskDecision(1, weave::RunnableSet(without0));  // preempts 2
  s.AddTaskDecision(2, weave::RunnableSet(std::vector<weave::TaskId>{2}));  // 1 blocked: no
  const weave::ScheduleSize size = weave::MeasureSchedule(s);
  EXPECT_EQ(size.steps, 5);
  EXPECT_EQ(size.preemptions, 3);
  EXPECT_EQ(size.choice_total, 2u);
}

// --- `weave minimize` on an example binary ------------------------------------------------

struct ChildResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

ChildResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                       const std::string& dir) {
  std::vector<std::string> argv_storage = {program};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!absl::StartsWith(*e, "WEAVE_")) env_storage.emplace_back(*e);  // ctest's WEAVE_OUT
  }
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string out_path = dir + "/child.stdout";
  const std::string err_path = dir + "/child.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  pid_t pid = 0;
  ChildResult result;
  const int spawned =
      ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot start " << program;
    return result;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = weave_test::ReadFile(out_path);
  result.err = weave_test::ReadFile(err_path);
  return result;
}

class MinimizeCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(WEAVE_CLI_PATH).empty() || std::string(WEAVE_EXAMPLE_PATH).empty()) {
      GTEST_SKIP() << "the weave command or the examples are not built";
    }
    dir_ = FreshDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(MinimizeCommandTest, ShrinksAnExampleFailureEndToEnd) {
  const std::string example = WEAVE_EXAMPLE_PATH;
  const std::string test = "BoundedQueue.ConsumerGetsEveryItem";
  // The example's deadlock (random's first failure of it; the default portfolio meets the other
  // face of the same bug first), without the automatic pass.
  const ChildResult found = RunProgram(example,
                                       {"--weave_out=" + dir_, "--weave_minimize=false",
                                        "--weave_trace=off", "--weave_strategy=random"},
                                       dir_);
  ASSERT_EQ(found.exit_code, 1) << found.out << found.err;
  const std::string schedule = dir_ + "/" + test + ".schedule";
  absl::StatusOr<weave::Schedule> before = weave::ReadScheduleFile(schedule);
  ASSERT_TRUE(before.ok()) << before.status() << found.out;
  ASSERT_FALSE(std::filesystem::exists(dir_ + "/" + test + ".min.schedule"));

  const ChildResult minimized =
      RunProgram(WEAVE_CLI_PATH, {"minimize", schedule, "--", example}, dir_);
  ASSERT_EQ(minimized.exit_code, 0) << minimized.out << minimized.err;
  const std::string min_path = dir_ + "/" + test + ".min.schedule";
  EXPECT_THAT(minimized.out, HasSubstr("weave: minimized: "));
  EXPECT_THAT(minimized.out, HasSubstr("weave: minimized schedule written to " + min_path));
  absl::StatusOr<weave::Schedule> after = weave::ReadScheduleFile(min_path);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->failure, before->failure);
  EXPECT_LE(
      std::pair(weave::MeasureSchedule(*after).preemptions, weave::MeasureSchedule(*after).steps),
      std::pair(weave::MeasureSchedule(*before).preemptions,
                weave::MeasureSchedule(*before).steps));

  // The example binary replays it into the same deadlock.
  const ChildResult replayed = RunProgram(
      example, {"--gtest_filter=" + test, "--weave_replay=" + min_path, "--weave_trace=off"}, dir_);
  EXPECT_EQ(replayed.exit_code, 1);
  EXPECT_THAT(replayed.out, HasSubstr("failure reproduced"));
  EXPECT_THAT(replayed.out, HasSubstr("weave: failure: deadlock"));
}

TEST_F(MinimizeCommandTest, HelpAndBadInputAreOneLine) {
  const ChildResult help = RunProgram(WEAVE_CLI_PATH, {"minimize", "--help"}, dir_);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: weave minimize SCHEDULE [options] -- TEST_BINARY"));

  const ChildResult no_binary = RunProgram(WEAVE_CLI_PATH, {"minimize", "x.schedule"}, dir_);
  EXPECT_EQ(no_binary.exit_code, 2);
  EXPECT_THAT(no_binary.err, HasSubstr("weave minimize --help"));
  EXPECT_EQ(std::count(no_binary.err.begin(), no_binary.err.end(), '\n'), 1) << no_binary.err;

  const ChildResult missing = RunProgram(
      WEAVE_CLI_PATH, {"minimize", dir_ + "/missing.schedule", "--", WEAVE_EXAMPLE_PATH}, dir_);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("missing.schedule"));
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;

  weave_test::WriteFile(dir_ + "/bad.schedule", "weave-schedule 1\ntest\n");
  const ChildResult bad = RunProgram(
      WEAVE_CLI_PATH, {"minimize", dir_ + "/bad.schedule", "--", WEAVE_EXAMPLE_PATH}, dir_);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("bad.schedule:3: expected"));
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad.err;
}

}  // namespace
