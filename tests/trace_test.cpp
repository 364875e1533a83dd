// The event log (weave/trace.hpp): what the simulation records, the .trace file format and its
// errors, ring and full modes, and the files a failure leaves behind.
#include "weave/trace.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"
#include "trace_fixture.hpp"

#include "weave/coro.hpp"
#include "weave/weave.hpp"

namespace {

using weave_test::ReadFile;

using ::testing::HasSubstr;
using ::testing::StartsWith;
using weave::Trace;
using weave::TraceEvent;
using weave::TraceEventKind;

std::string FreshDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "weave_trace_test_" + name;
  std::filesystem::remove_all(dir);
  return dir;
}

std::vector<TraceEvent> EventsOf(const Trace& t, TraceEventKind kind) {
  std::vector<TraceEvent> out;
  for (const TraceEvent& e : t.events) {
    if (e.kind == kind) out.push_back(e);
  }
  return out;
}

// --- the file format
// ---------------------------------------------------------------------------------------

TEST(TraceFile, FormatAndParseRoundTripEveryField) {
  for (bool awkward : {false, true}) {
    const Trace original = weave_test::SampleTrace(awkward);
    const std::string text = weave::FormatTrace(original);
    absl::StatusOr<Trace> parsed = weave::ParseTrace(text, "sample.trace");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(weave::FormatTrace(*parsed), text);
    EXPECT_EQ(parsed->events, original.events);
    EXPECT_EQ(parsed->tasks[1].name, original.tasks[1].name);
    EXPECT_EQ(parsed->objects[1].name, original.objects[1].name);
    ASSERT_TRUE(parsed->failure.has_value());
    EXPECT_EQ(parsed->failure->details, original.failure->details);
    EXPECT_EQ(parsed->failure->tasks, original.failure->tasks);
    EXPECT_EQ(parsed->stacks[0].frames[1].internal, true);
    EXPECT_EQ(parsed->stacks[0].frames[0].line, 42);
  }
}

TEST(TraceFile, WritesAndReadsAFile) {
  const std::string dir = FreshDir("file");
  const std::string path = dir + "/nested/sample.trace";
  ASSERT_TRUE(weave::WriteTraceFile(weave_test::SampleTrace(), path).ok());
  absl::StatusOr<Trace> read = weave::ReadTraceFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->test_name, "Sample.Deadlock");
  absl::StatusOr<Trace> directory = weave::ReadTraceFile(dir);
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(std::string(directory.status().message()), HasSubstr("it is a directory"));
  absl::StatusOr<Trace> missing = weave::ReadTraceFile(dir + "/none.trace");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("none.trace: cannot open trace file"));
}

TEST(TraceFile, ATruncatedFileIsAOneLineErrorAtEveryCut) {
  const std::string text = weave::FormatTrace(weave_test::SampleTrace(true));
  std::vector<std::size_t> line_ends;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_ends.push_back(i + 1);
  }
  // Every cut at a line end but the last, and mid-line cuts too.
  for (std::size_t k = 0; k + 1 < line_ends.size(); ++k) {
    for (std::size_t cut : {line_ends[k], line_ends[k] > 3 ? line_ends[k] - 3 : 0}) {
      absl::StatusOr<Trace> t = weave::ParseTrace(text.substr(0, cut), "cut.trace");
      ASSERT_FALSE(t.ok()) << "cut at " << cut;
      const std::string message(t.status().message());
      EXPECT_THAT(message, StartsWith("cut.trace:")) << message;
      EXPECT_THAT(message, HasSubstr("expected")) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }
}

TEST(TraceFile, BadInputNamesTheLineAndWhatWasExpected) {
  const std::string good = weave::FormatTrace(weave_test::SampleTrace());
  struct Case {
    std::string text;
    std::string error;
  };
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<Case> cases = {
      {"", "bad.trace:1: expected the header 'weave-trace 1', got end of file"},
      {"weave-schedule 3\n", "bad.trace:1: expected 'weave-trace <version>' (is this a weave"},
      {std::string("\x7f"
                   "ELF\x02\x01\x01\0\0",
                   9),
       "bad.trace:1: expected 'weave-trace"},
      {replace("weave-trace 1", "weave-trace 9"), "bad.trace:1: expected format version 1"},
      {replace("mode full", "mode loud"), "bad.trace:8: expected mode 'ring' or 'full'"},
      {replace("tasks 3", "tasks 99999999999"), "expected a count between 0 and"},
      // Far more records than the file holds: an error where they run out, not a huge
      // allocation first.
      {replace("tasks 3", "tasks 99999999"), "bad.trace:19: expected 'task <value>'"},
      {replace("failure deadlock 14 0", "failure deadlock 14 9"),
       "the failure names an unknown task 9"},
      {replace("14 2000 0 failure join -1 2", "14 2000 0 failure join -1 77"),
       "unknown failure kind 77"},
      // Readers loop over steps: a step near INT64_MAX must not get to them.
      {replace("steps 14", "steps 9223372036854775807"), "out of range (0 to 2^62)"},
      {replace("14 2000 0 failure", "9223372036854775807 2000 0 failure"),
       "has a step or time out of range"},
      {replace("task 1 fiber 0", "task 1 fiber"), "expected 'task <id> <kind> <parent>"},
      // Parents come first: a task cannot be its own ancestor, and only the body has none.
      {replace("task 1 fiber 0", "task 1 fiber 1"), "task 1 has parent 1 (expected a task"},
      {replace("task 1 fiber 0", "task 1 fiber 2"), "task 1 has parent 2 (expected a task"},
      {replace("task 1 fiber 0", "task 1 fiber -1"), "only task 0 has none"},
      {replace("object 0 mutex \"m\"", "object 0 mutex m"), "expected 'object <id> <kind>"},
      {replace("frame u 42", "frame x 42"), "expected 'frame <u|i> <line>"},
      {replace("3 0 1 run start", "3 0 1 jog start"), "expected an event"},
      {replace("3 0 1 run start", "3 0 1 run sprint"), "expected an event"},
      {replace("\nend\n", "\nmore\n"), "expected 'end' after 24 events"},
      {replace("3 0 1 run start -1 0", "3 0 7 run start -1 0"), "names an unknown task 7"},
      {replace("4 0 1 send send 1", "4 0 1 send send 9"), "names an unknown object 9"},
      {replace("3 0 1 run start", "0 0 1 run start"), "goes back in steps or time"},
      {replace("failure deadlock 14 0 0,2 0", "failure deadlock 14 0 0,5 0"),
       "the failure names an unknown task 5"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Trace> t = weave::ParseTrace(c.text, "bad.trace");
    ASSERT_FALSE(t.ok()) << c.error;
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(c.error));
  }
}

// --- what a run records
// ------------------------------------------------------------------------------------

// A producer hands two items to a consumer over a channel, both lock a mutex, the consumer is
// joined; then the body deadlocks on a second channel nobody sends on.
void ProducerConsumerThenDeadlock() {
  weave::channel<int> items{1, "items"};
  weave::channel<int> never{1, "never"};
  weave::mutex m{"m"};
  int total = 0;
  auto producer = weave::spawn("producer", [&] {
    for (int i = 1; i <= 2; ++i) items.send(i);
    items.close();
  });
  auto consumer = weave::spawn("consumer", [&] {
    while (auto item = items.receive()) {
      std::scoped_lock lock(m);
      total += *item;
    }
  });
  producer.join();
  consumer.join();
  weave::check(total == 3, "both items arrive");
  (void)never.receive();  // deadlock: nobody sends
}

weave::Options TraceOptions(const std::string& dir) {
  weave::Options o;
  o.iterations = 50;
  o.out_dir = dir;
  o.test_name = "Trace.Deadlock";
  o.progress_interval = absl::ZeroDuration();
  return o;
}

TEST(TraceRecording, AFailureWritesTheFullTraceAndItsExportsBesideTheSchedule) {
  const std::string dir = FreshDir("deadlock");
  const weave::Result r = weave::explore(TraceOptions(dir), ProducerConsumerThenDeadlock);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.failure().kind, weave::FailureKind::kDeadlock);
  ASSERT_EQ(r.trace_paths.size(), 4u) << r.trace_write_error;
  const std::string base = dir + "/Trace.Deadlock";
  EXPECT_EQ(r.trace_paths, (std::vector<std::string>{base + ".trace", base + ".trace.json",
                                                     base + ".dot", base + ".html"}));
  std::ostringstream printed;
  printed << r;
  EXPECT_THAT(printed.str(), HasSubstr("weave: trace written to " + base + ".trace"));
  EXPECT_THAT(printed.str(), HasSubstr("weave show " + base + ".trace"));

  absl::StatusOr<Trace> t = weave::ReadTraceFile(base + ".trace");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->mode, weave::TraceMode::kFull);
  EXPECT_EQ(t->dropped_events, 0);
  EXPECT_EQ(t->test_name, "Trace.Deadlock");
  EXPECT_EQ(t->schedule_path, base + ".schedule");
  EXPECT_EQ(t->iteration, r.failing_iteration);
  EXPECT_EQ(t->steps, r.failure().step);

  // Tasks by id with their names and kinds; objects by id with theirs.
  ASSERT_EQ(t->tasks.size(), 3u);
  EXPECT_EQ(t->tasks[1].name, "producer");
  EXPECT_EQ(t->tasks[1].kind, "fiber");
  EXPECT_EQ(t->tasks[1].parent, 0);
  EXPECT_EQ(t->tasks[2].name, "consumer");
  std::vector<std::string> objects;
  for (const weave::TraceObject& o : t->objects) objects.push_back(o.kind + " " + o.name);
  EXPECT_THAT(objects, testing::IsSupersetOf({"channel items", "channel never", "mutex m"}));

  // Spawns and joins, in order.
  const std::vector<TraceEvent> spawns = EventsOf(*t, TraceEventKind::kSpawn);
  ASSERT_EQ(spawns.size(), 2u);
  EXPECT_EQ(spawns[0].task, 0);
  EXPECT_EQ(spawns[0].value, 1);
  EXPECT_EQ(spawns[1].value, 2);
  const std::vector<TraceEvent> joins = EventsOf(*t, TraceEventKind::kJoin);
  ASSERT_EQ(joins.size(), 2u);
  EXPECT_EQ(joins[0].value, 1);
  EXPECT_EQ(joins[1].value, 2);
  // Each task finished before it was joined.
  for (const TraceEvent& join : joins) {
    const auto finish = std::find_if(t->events.begin(), t->events.end(), [&](const TraceEvent& e) {
      return e.kind == TraceEventKind::kFinish && e.task == join.value;
    });
    ASSERT_NE(finish, t->events.end());
    EXPECT_LE(finish->step, join.step);
  }
  // Messages: sent 0, 1 by the producer and received 0, 1 by the consumer, on "items".
  const std::vector<TraceEvent> sends = EventsOf(*t, TraceEventKind::kSend);
  const std::vector<TraceEvent> receives = EventsOf(*t, TraceEventKind::kReceive);
  ASSERT_EQ(sends.size(), 2u);
  ASSERT_EQ(receives.size(), 2u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(sends[static_cast<std::size_t>(i)].value, i);
    EXPECT_EQ(sends[static_cast<std::size_t>(i)].task, 1);
    EXPECT_EQ(receives[static_cast<std::size_t>(i)].value, i);
    EXPECT_EQ(receives[static_cast<std::size_t>(i)].task, 2);
    EXPECT_EQ(t->objects[static_cast<std::size_t>(sends[0].object)].name, "items");
  }
  // Every switch is a run event naming the task that ran before.
  const std::vector<TraceEvent> runs = EventsOf(*t, TraceEventKind::kRun);
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs[0].task, 0);
  EXPECT_EQ(runs[0].value, weave::kNoTask);
  for (std::size_t i = 1; i < runs.size(); ++i) EXPECT_EQ(runs[i].value, runs[i - 1].task);

  // The failure: last, with a stack; the body is the task involved, blocked on "never".
  ASSERT_TRUE(t->failure.has_value());
  EXPECT_EQ(t->failure->kind, weave::FailureKind::kDeadlock);
  EXPECT_EQ(t->failure->tasks, std::vector<weave::TaskId>{0});
  ASSERT_EQ(t->failure->objects.size(), 1u);
  EXPECT_EQ(t->objects[static_cast<std::size_t>(t->failure->objects[0])].name, "never");
  const TraceEvent& last = t->events.back();
  EXPECT_EQ(last.kind, TraceEventKind::kFailure);
  EXPECT_EQ(last.value, static_cast<std::int64_t>(weave::FailureKind::kDeadlock));
  // Every block has a stack whose user frames name this file.
  const std::vector<TraceEvent> blocks = EventsOf(*t, TraceEventKind::kBlock);
  ASSERT_FALSE(blocks.empty());
  for (const TraceEvent& block : blocks) {
    ASSERT_GE(block.stack, 0);
    const weave::TraceStack& stack = t->stacks[static_cast<std::size_t>(block.stack)];
    const auto user = std::find_if(stack.frames.begin(), stack.frames.end(),
                                   [](const weave::TraceFrame& f) { return !f.internal; });
    ASSERT_NE(user, stack.frames.end());
    EXPECT_THAT(user->file, HasSubstr("trace_test.cpp"));
    EXPECT_GT(user->line, 0);
  }
  // Stacks are stored once: no two are the same.
  for (std::size_t i = 0; i < t->stacks.size(); ++i) {
    for (std::size_t j = i + 1; j < t->stacks.size(); ++j) {
      const auto& a = t->stacks[i].frames;
      const auto& b = t->stacks[j].frames;
      const bool same = a.size() == b.size() &&
                        std::equal(a.begin(), a.end(), b.begin(), [](const auto& x, const auto& y) {
                          return x.function == y.function && x.file == y.file && x.line == y.line;
                        });
      EXPECT_FALSE(same) << "stacks " << i << " and " << j;
    }
  }
  // The wake events name the task woken and what it waited on.
  const std::vector<TraceEvent> wakes = EventsOf(*t, TraceEventKind::kWake);
  ASSERT_FALSE(wakes.empty());
  for (const TraceEvent& wake : wakes) EXPECT_NE(wake.task, wake.value);
}

TEST(TraceRecording, ATaskResumedAfterItsTimerWithoutASwitchRunsAgain) {
  const std::string dir = FreshDir("resume");
  weave::Options o = TraceOptions(dir);
  o.test_name = "Trace.Resume";
  const weave::Result r = weave::explore(o, [] {
    weave::this_task::sleep_for(std::chrono::milliseconds(5));  // the only task: no switch
    weave::check(false, "stop after the sleep");
  });
  ASSERT_FALSE(r.ok());
  absl::StatusOr<Trace> t = weave::ReadTraceFile(r.trace_paths.at(0));
  ASSERT_TRUE(t.ok()) << t.status();
  std::vector<std::string> kinds;
  for (const TraceEvent& e : t->events) kinds.emplace_back(weave::TraceEventKindName(e.kind));
  EXPECT_THAT(kinds, testing::ElementsAre("run", "block", "timeout", "run", "failure"));
  EXPECT_EQ(t->events[3].value, 0) << "it ran before itself";
  EXPECT_EQ(t->events[3].time_ns, 5'000'000);
  EXPECT_EQ(t->events[2].task, weave::kNoTask);
  EXPECT_EQ(t->events[2].value, 0);
}

TEST(TraceRecording, APotentialDeadlockFoundInOneRunIsTracedInFull) {
  const std::string dir = FreshDir("lock-order");
  weave::Options o = TraceOptions(dir);
  o.test_name = "Trace.LockOrder";
  const weave::Result r = weave::explore(o, [] {
    weave::mutex a{"a"};
    weave::mutex b{"b"};
    auto first = weave::spawn("a-then-b", [&] {
      std::scoped_lock la(a);
      std::scoped_lock lb(b);
    });
    first.join();  // never at once: no deadlock, only the inverted order
    auto second = weave::spawn("b-then-a", [&] {
      std::scoped_lock lb(b);
      std::scoped_lock la(a);
    });
    second.join();
  });
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.failure().kind, weave::FailureKind::kPotentialDeadlock) << r;
  absl::StatusOr<Trace> t = weave::ReadTraceFile(r.trace_paths.at(0));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->mode, weave::TraceMode::kFull);
  ASSERT_TRUE(t->failure.has_value());
  EXPECT_EQ(t->failure->kind, weave::FailureKind::kPotentialDeadlock);
  EXPECT_EQ(t->events.back().kind, TraceEventKind::kFailure);
  EXPECT_EQ(t->events.back().value,
            static_cast<std::int64_t>(weave::FailureKind::kPotentialDeadlock));
  EXPECT_EQ(t->events.back().step, t->failure->step);
}

// Inlined even in a debug build: the stack below it then depends on the DWARF of inlined calls
// inside a lambda, whose definition GCC nests in the enclosing function's.
__attribute__((always_inline)) inline void ReceiveInAnInlinedHelper(weave::channel<int>& ch) {
  (void)ch.receive();  // nobody sends: a deadlock
}

TEST(TraceRecording, StacksNameFunctionsInlinedIntoALambda) {
  const std::string dir = FreshDir("inlined");
  weave::Options o = TraceOptions(dir);
  o.test_name = "Trace.Inlined";
  const weave::Result r = weave::explore(o, [] {
    weave::channel<int> ch{1, "ch"};
    auto t = weave::spawn("receiver", [&] { ReceiveInAnInlinedHelper(ch); });
    t.join();
  });
  ASSERT_FALSE(r.ok());
  absl::StatusOr<Trace> t = weave::ReadTraceFile(r.trace_paths.at(0));
  ASSERT_TRUE(t.ok()) << t.status();
  std::vector<std::string> user_functions;
  for (const TraceEvent& e : EventsOf(*t, TraceEventKind::kBlock)) {
    if (e.task != 1) continue;
    for (const weave::TraceFrame& f : t->stacks.at(static_cast<std::size_t>(e.stack)).frames) {
      if (!f.internal) user_functions.push_back(f.function);
    }
  }
  ASSERT_GE(user_functions.size(), 2u);
  EXPECT_THAT(user_functions[0], HasSubstr("ReceiveInAnInlinedHelper"));
  // The lambda: "...{lambda()#1}::operator()() const", or DWARF's short "operator()" when an
  // optimized build inlined the lambda too.
  EXPECT_THAT(user_functions[1], HasSubstr("operator()"));
}

TEST(TraceRecording, TheSameScheduleGivesTheSameTraceTwice) {
  const std::string dir = FreshDir("twice");
  const weave::Result r = weave::explore(TraceOptions(dir), ProducerConsumerThenDeadlock);
  ASSERT_FALSE(r.ok());
  const std::string first = ReadFile(r.trace_paths[0]);
  weave::Options replay = TraceOptions(dir);
  replay.replay_file = r.schedule_path;
  for (int i = 0; i < 2; ++i) {
    const weave::Result again = weave::explore(replay, ProducerConsumerThenDeadlock);
    ASSERT_FALSE(again.ok());
    ASSERT_EQ(again.trace_paths.size(), 4u) << again.trace_write_error;
    EXPECT_TRUE(ReadFile(again.trace_paths[0]) == first) << "replay " << i << " differs";
  }
}

TEST(TraceRecording, TheRingKeepsTheLastEventsOfTheFullTrace) {
  const std::string dir = FreshDir("ring");
  // A passing body with many steps; write_trace asks for the last run's trace.
  auto body = [] {
    weave::mutex m;
    int n = 0;
    auto a = weave::spawn("a", [&] {
      for (int i = 0; i < 50; ++i) {
        std::scoped_lock lock(m);
        ++n;
      }
    });
    auto b = weave::spawn("b", [&] {
      for (int i = 0; i < 50; ++i) {
        std::scoped_lock lock(m);
        ++n;
      }
    });
    a.join();
    b.join();
    weave::check(n == 100, "every increment counts");
  };
  weave::Options o = TraceOptions(dir);
  o.iterations = 1;
  o.trace = weave::TraceMode::kRing;
  o.trace_ring_events = 16;
  o.write_trace = true;
  o.test_name = "Trace.Ring";
  const weave::Result ring = weave::explore(o, body);
  ASSERT_TRUE(ring.ok()) << ring;
  ASSERT_EQ(ring.trace_paths.size(), 4u) << ring.trace_write_error;
  absl::StatusOr<Trace> ring_trace = weave::ReadTraceFile(ring.trace_paths[0]);
  ASSERT_TRUE(ring_trace.ok()) << ring_trace.status();
  EXPECT_EQ(ring_trace->mode, weave::TraceMode::kRing);
  ASSERT_EQ(ring_trace->events.size(), 16u);
  EXPECT_GT(ring_trace->dropped_events, 100);
  EXPECT_FALSE(ring_trace->failure.has_value());

  o.trace = weave::TraceMode::kFull;
  o.test_name = "Trace.Full";
  const weave::Result full = weave::explore(o, body);
  ASSERT_TRUE(full.ok());
  absl::StatusOr<Trace> full_trace = weave::ReadTraceFile(full.trace_paths[0]);
  ASSERT_TRUE(full_trace.ok()) << full_trace.status();
  ASSERT_EQ(full_trace->events.size(), 16u + static_cast<std::size_t>(ring_trace->dropped_events));
  // Without stacks (full mode captures them where tasks block), the events are the same.
  std::vector<TraceEvent> tail(full_trace->events.end() - 16, full_trace->events.end());
  for (TraceEvent& e : tail) e.stack = -1;
  EXPECT_EQ(tail, ring_trace->events);
}

TEST(TraceRecording, StepStacksGiveEverySchedulingPointAStack) {
  const std::string dir = FreshDir("step-stacks");
  weave::Options o = TraceOptions(dir);
  o.trace = weave::TraceMode::kFull;
  o.trace_step_stacks = true;
  const weave::Result r = weave::explore(o, ProducerConsumerThenDeadlock);
  ASSERT_FALSE(r.ok());
  absl::StatusOr<Trace> t = weave::ReadTraceFile(r.trace_paths[0]);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::vector<TraceEvent> points = EventsOf(*t, TraceEventKind::kPoint);
  ASSERT_FALSE(points.empty());
  for (const TraceEvent& p : points) EXPECT_GE(p.stack, 0) << t->Describe(p);
}

TEST(TraceRecording, TracingOffWritesNoTraceFiles) {
  const std::string dir = FreshDir("off");
  weave::Options o = TraceOptions(dir);
  o.trace = weave::TraceMode::kOff;
  const weave::Result r = weave::explore(o, ProducerConsumerThenDeadlock);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.trace_paths.empty());
  EXPECT_FALSE(std::filesystem::exists(dir + "/Trace.Deadlock.trace"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/Trace.Deadlock.schedule"));
}

TEST(TraceRecording, AReplayWritesItsTraceOnDemandEvenWhenItPasses) {
  const std::string dir = FreshDir("on-demand");
  weave::Schedule schedule;
  {
    // Record a passing run's schedule by failing it on purpose at the end, then replay a body
    // that passes: the replay asks for its trace with write_trace.
    weave::Options o = TraceOptions(dir);
    o.test_name = "Trace.OnDemand";
    o.trace = weave::TraceMode::kOff;
    const weave::Result r = weave::explore(o, [] {
      auto t = weave::spawn("worker", [] { weave::this_task::yield(); });
      t.join();
      weave::check(false, "record this schedule");
    });
    ASSERT_FALSE(r.ok());
    schedule = r.schedule;
  }
  weave::Options replay = TraceOptions(dir);
  replay.test_name = "Trace.OnDemand";
  replay.write_trace = true;
  const weave::Result r = weave::replay(replay, schedule, [] {
    auto t = weave::spawn("worker", [] { weave::this_task::yield(); });
    t.join();
  });
  EXPECT_TRUE(r.ok()) << r;  // every decision was replayed; the body passes now
  ASSERT_EQ(r.trace_paths.size(), 4u) << r.trace_write_error;
  absl::StatusOr<Trace> t = weave::ReadTraceFile(r.trace_paths[0]);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->tasks.size(), 2u);
  EXPECT_EQ(t->tasks[1].name, "worker");
}

TEST(TraceRecording, CoroutineTasksAppearWithTheirKind) {
  const std::string dir = FreshDir("coroutine");
  weave::Options o = TraceOptions(dir);
  o.test_name = "Trace.Coroutine";
  const weave::Result r = weave::explore(o, [] {
    weave::channel<int> ch{1, "ch"};
    auto t = weave::co_spawn(
        "sender", [](weave::channel<int>& c) -> weave::task<> { co_await c.co_send(1); }(ch));
    t.join();
    weave::check(false, "stop here");
  });
  ASSERT_FALSE(r.ok());
  absl::StatusOr<Trace> t = weave::ReadTraceFile(r.trace_paths.at(0));
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->tasks.size(), 2u);
  EXPECT_EQ(t->tasks[1].kind, "coroutine");
  EXPECT_EQ(EventsOf(*t, TraceEventKind::kSend).size(), 1u);
  EXPECT_EQ(EventsOf(*t, TraceEventKind::kFinish).front().task, 1);
}

TEST(TraceRecording, AnUnwritableDirectoryIsReportedNotFatal) {
  const std::string dir = FreshDir("unwritable");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/file") << "not a directory";
  weave::Options o = TraceOptions(dir + "/file");
  const weave::Result r = weave::explore(o, ProducerConsumerThenDeadlock);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.trace_paths.empty());
  EXPECT_THAT(r.trace_write_error, HasSubstr("cannot create directory"));
}

}  // namespace
