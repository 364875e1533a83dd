// The fault table: every way a task can take the process down (a segfault in a fiber, a coroutine
// or a thread; abort; std::terminate; a stack overflow; an exception thrown out of a destructor;
// a division by zero), and for each, the three promises of the crash handler:
//  - the schedule is on disk before the process dies (failure kind "crash", naming the task), and
//    so is the trace of the run so far;
//  - the report names the task and its last scheduling point;
//  - replaying the saved schedule runs into the same crash.
// Each body faults only when choose(3) picks 2, so the schedule (not luck) decides the crash and
// the replay has something to reproduce.
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "test_support.hpp"
#include <sys/mman.h>

#include "weave/coro.hpp"
#include "weave/gtest.hpp"
#include "weave/thread.hpp"

namespace {

using weave_test::kAddressSanitizer;
using weave_test::kThreadSanitizer;

// Whether this run is the one that faults. A scheduling point of its own (choose), so the last
// scheduling point the report names is this choice.
bool FaultNow() { return weave::choose(3) == 2; }

int* UnmappedAddress() {
  static void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return static_cast<int*>(page);
}

void Segfault() {
  int* volatile p = UnmappedAddress();
  weave::check(*p == 42, "never reached");
}

// Uses about `depth` KiB of stack; noinline and the volatile buffer keep every frame real.
[[gnu::noinline]] int UseStack(int depth) {
  volatile char buffer[1024];
  for (volatile char& c : buffer) c = static_cast<char>(depth);
  if (depth <= 0) return buffer[0];
  return UseStack(depth - 1) + buffer[depth % sizeof(buffer)];
}

// Integer division by zero raises SIGFPE on x86-64. UndefinedBehaviorSanitizer would report it
// first (and exit without the signal): the table is about the signal, so it looks away here.
#if defined(__clang__)
[[clang::no_sanitize("integer-divide-by-zero")]]
#else
[[gnu::no_sanitize_undefined]]
#endif
[[gnu::noinline]] int
Divide(int a, int b) {
  return a / b;
}

[[noreturn]] void ThrowClosingFailed() { throw std::runtime_error("closing the log failed"); }

// A destructor is noexcept: an exception out of it is std::terminate, not a task failure.
struct ClosesOnDestruction {
  bool fail = false;
  ~ClosesOnDestruction() {
    if (fail) ThrowClosingFailed();
  }
};

constexpr std::size_t kStackSize = std::size_t{64} * 1024;

void SegfaultInAFiber() {
  auto t = weave::spawn("fiber-user", [] {
    if (FaultNow()) Segfault();
  });
  t.join();
}

weave::task<> SegfaultingCoroutine() {
  co_await weave::yield();
  if (FaultNow()) Segfault();
}

void SegfaultInACoroutine() {
  auto t = weave::co_spawn("co-user", SegfaultingCoroutine());
  t.join();
}

void SegfaultInAThread() {
  weave::thread t = weave::thread::named("thread-user", [] {
    if (FaultNow()) Segfault();
  });
  t.join();
}

void AbortInAFiber() {
  auto t = weave::spawn("aborter", [] {
    if (FaultNow()) std::abort();
  });
  t.join();
}

void TerminateInAFiber() {
  auto t = weave::spawn("terminator", [] {
    if (FaultNow()) std::terminate();
  });
  t.join();
}

void ThrowFromADestructorInAFiber() {
  auto t = weave::spawn("closer", [] {
    ClosesOnDestruction log;
    log.fail = FaultNow();
  });
  t.join();
}

void ThrowFromADestructorInAThread() {
  weave::thread t = weave::thread::named("thread-closer", [] {
    ClosesOnDestruction log;
    log.fail = FaultNow();
  });
  t.join();
}

void OverflowAFiberStack() {
  auto t = weave::spawn("deep", [] {
    if (FaultNow()) static_cast<void>(UseStack(1000));  // ~1 MB on a 64 KiB stack
  });
  t.join();
}

weave::task<> OverflowingCoroutine() {
  co_await weave::yield();
  if (FaultNow()) static_cast<void>(UseStack(1000));
}

void OverflowACarrierStack() {
  auto t = weave::co_spawn("co-deep", OverflowingCoroutine());
  t.join();
}

void DivideByZeroInAFiber() {
  auto t = weave::spawn("divider", [] {
    const int divisor = FaultNow() ? 0 : 1;
    weave::check(Divide(7, divisor) >= 0, "never fails");
  });
  t.join();
}

struct Fault {
  const char* name;  // the test's and the schedule file's name
  void (*body)();
  const char* task;    // the task the report must name
  const char* report;  // what the first report line says after "crash: " (a regex)
  // An extra line the report must have (a regex; "" for none).
  const char* advice;
  // Whether the sanitizers report this fault too (after weave) and end the process their way.
  bool sanitizers_report_it_too;
};

const Fault kFaults[] = {
    {"SegfaultInAFiber", SegfaultInAFiber, "fiber-user", "SIGSEGV", "", false},
    {"SegfaultInACoroutine", SegfaultInACoroutine, "co-user", "SIGSEGV", "", false},
    {"SegfaultInAThread", SegfaultInAThread, "thread-user", "SIGSEGV", "", false},
    {"Abort", AbortInAFiber, "aborter", "SIGABRT", "", false},
    {"Terminate", TerminateInAFiber, "terminator",
     "std::terminate called without an active exception", "", false},
    {"ThrowFromADestructor", ThrowFromADestructorInAFiber, "closer",
     "std::terminate: an exception of type std::runtime_error escaped a noexcept function "
     "\\(a destructor\\?\\): closing the log failed",
     "", false},
    {"ThrowFromADestructorInAThread", ThrowFromADestructorInAThread, "thread-closer",
     "std::terminate: an exception of type std::runtime_error escaped", "", false},
    {"StackOverflowInAFiber", OverflowAFiberStack, "deep", "stack overflow",
     "the task's fiber stack has 65536 bytes: raise it with --weave_stack_size=SIZE", true},
    {"StackOverflowInACoroutine", OverflowACarrierStack, "co-deep", "stack overflow",
     "the carrier fiber's stack has 65536 bytes", true},
    {"DivisionByZero", DivideByZeroInAFiber, "divider", "SIGFPE", "", false},
};

std::string OutDir(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("weave_fault_test_" + name)).string();
}

weave::Options FaultOptions(const Fault& fault) {
  weave::Options o;
  o.iterations = 200;
  o.test_name = std::string("Fault.") + fault.name;
  o.out_dir = OutDir(fault.name);  // not cleared: see crash_test.cpp (threadsafe death tests)
  o.stack_size = kStackSize;
  return o;
}

class FaultTableDeathTest : public ::testing::TestWithParam<Fault> {};

TEST_P(FaultTableDeathTest, ScheduleSavedReportNamesTheTaskReplayReproduces) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const Fault& fault = GetParam();
  const weave::Options o = FaultOptions(fault);
  const std::string file = o.out_dir + "/Fault." + fault.name + ".schedule";
  // Not removed first: a threadsafe death test re-runs this test from the top in its child, which
  // would delete what the first death statement wrote before the replay reads it. The first
  // death statement overwrites whatever an earlier run left.
  const std::string names_the_task = std::string(" in task [0-9]+ '") + fault.task + "' at step";
  std::string report = std::string("weave: failure: crash: ") + fault.report + ".*" +
                       names_the_task + "(.|\n)*weave: its last scheduling point: choose";
  if (fault.advice[0] != '\0') report += std::string("(.|\n)*") + fault.advice;
  report += "(.|\n)*weave: schedule written to .*Fault." + std::string(fault.name) + ".schedule";
  if ((kAddressSanitizer || kThreadSanitizer) && fault.sanitizers_report_it_too) {
    // weave reports first, then hands the signal on to the sanitizer, which reports its own
    // stack overflow and ends the process its own way.
    report += "(.|\n)*stack-overflow";
  }
  EXPECT_DEATH(weave::explore(o, fault.body), report);

  // On disk before the process died.
  absl::StatusOr<weave::Schedule> saved = weave::ReadScheduleFile(file);
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->failure, weave::FailureKind::kCrash);
  EXPECT_THAT(saved->failure_message,
              testing::ContainsRegex(std::string("in task [0-9]+ '") + fault.task + "'"));
  ASSERT_GT(saved->size(), 0u);
  const weave::Decision& last = saved->decision(saved->size() - 1);
  EXPECT_EQ(last.kind, weave::Decision::Kind::kChoice);
  EXPECT_EQ(last.value, 2u) << "the last decision is the choice that led to the fault";

  // So is the trace so far (the default ring), written by the same handler: the tasks, the
  // objects and the events up to the crash, without stacks.
  absl::StatusOr<weave::Trace> trace =
      weave::ReadTraceFile(o.out_dir + "/Fault." + fault.name + ".trace");
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_TRUE(trace->failure.has_value());
  EXPECT_EQ(trace->failure->kind, weave::FailureKind::kCrash);
  EXPECT_EQ(trace->failure->message, saved->failure_message);
  ASSERT_GE(trace->failure->task, 0);
  ASSERT_LT(static_cast<std::size_t>(trace->failure->task), trace->tasks.size());
  EXPECT_EQ(trace->tasks[static_cast<std::size_t>(trace->failure->task)].name, fault.task);
  ASSERT_FALSE(trace->events.empty());
  EXPECT_EQ(trace->events.back().operation, weave::TraceOperation::kChoose)
      << "the last event is the task's choice that led to the fault";

  // Replaying the file runs into the same crash, and leaves the file alone.
  weave::Options replay = o;
  replay.replay_file = file;
  EXPECT_DEATH(weave::explore(replay, fault.body), std::string("weave: failure: crash: ") +
                                                       fault.report + ".*" + names_the_task +
                                                       "(.|\n)*while replaying");
  absl::StatusOr<weave::Schedule> after = weave::ReadScheduleFile(file);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->size(), saved->size());
  std::filesystem::remove_all(o.out_dir);
}

INSTANTIATE_TEST_SUITE_P(EveryFault, FaultTableDeathTest, ::testing::ValuesIn(kFaults),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           return std::string(info.param.name);
                         });

// The same bodies when the fault is not chosen: no crash, no file.
TEST(FaultTable, BodiesThatDoNotFaultLeaveNoFileBehind) {
  for (const Fault& fault : kFaults) {
    weave::Options o = FaultOptions(fault);
    // A directory of its own: ctest runs the death tests at the same time, in other processes.
    o.out_dir = OutDir(std::string(fault.name) + "_clean");
    o.strategy = weave::Strategy::RoundRobin();  // choose() answers 0 under round robin
    o.iterations = 1;
    std::filesystem::remove_all(o.out_dir);
    SCOPED_TRACE(fault.name);
    EXPECT_WEAVE_OK(o, fault.body);
    EXPECT_FALSE(std::filesystem::exists(o.out_dir)) << fault.name;
  }
}

}  // namespace
