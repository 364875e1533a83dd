// Resource hygiene: a long exploration keeps memory and file descriptors flat, and a body that
// leaks is reported, not silently accumulated.
//  - 1,000,000 schedules of a small body in one process (100,000 under ASan, whose quarantine
//    is turned off below, and 20,000 under TSan, which are slower): the resident
//    set grows by less than a few MB after the first 10% (the pools, caches and sketches are
//    sized by then), and not one file descriptor stays open;
//  - a body that leaks a task (a fiber or coroutine left blocked at the end), or ends holding a
//    lock it destroys, is reported by its first schedule; 2,000 such explorations in a row leave
//    memory as flat as correct ones (abandoned stacks go back to the pool).
#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "gmock/gmock.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/gtest.hpp"

// AddressSanitizer keeps freed memory in a quarantine (256 MB by default) to catch use after free:
// resident memory would grow by that much for reasons of its own. This binary turns it off.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=0"; }

namespace {

using weave_test::kAddressSanitizer;
using weave_test::kThreadSanitizer;

// Resident set size in KiB (/proc/self/status, VmRSS).
long ResidentKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// Open file descriptors (entries of /proc/self/fd, less the one that lists them).
int OpenFileDescriptors() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n - 1;
}

// Two fibers and a coroutine contend on a mutex and a channel, with a choice: many distinct
// schedules (the distinct-schedule count must not grow with them).
void SmallBody() {
  weave::mutex m{"m"};
  weave::channel<int> c{1, "c"};
  int total = 0;
  auto a = weave::spawn("a", [&] {
    std::scoped_lock lock(m);
    total += static_cast<int>(weave::choose(3));
  });
  auto b = weave::spawn("b", [&] {
    c.send(1);
    std::scoped_lock lock(m);
    ++total;
  });
  auto co = weave::co_spawn("co", [](weave::channel<int>& in) -> weave::task<int> {
    auto v = co_await in.co_receive();
    co_return v.value_or(0);
  }(c));
  a.join();
  b.join();
  weave::check(co.join() == 1, "the value arrives");
}

weave::Options LongRun(std::int64_t iterations, std::uint64_t seed) {
  weave::Options o;
  o.iterations = iterations;
  o.seed = seed;
  o.trace = weave::TraceMode::kOff;
  o.progress_interval = absl::ZeroDuration();
  o.test_name = "Resource.Long";
  return o;
}

TEST(ResourceHygiene, AMillionSchedulesKeepMemoryAndFileDescriptorsFlat) {
  // ThreadSanitizer makes each switch some 30 times slower: 20,000 keep it to seconds.
  const std::int64_t total = kThreadSanitizer ? 20'000 : kAddressSanitizer ? 100'000 : 1'000'000;
  const int fds_before = OpenFileDescriptors();
  // Warm up: pools, caches, the recording buffers and the exact distinct-schedule set fill.
  const weave::Result warm = weave::explore(LongRun(total / 10, 1), SmallBody);
  ASSERT_TRUE(warm.ok()) << warm;
  const long rss_warm = ResidentKiB();
  const weave::Result long_run = weave::explore(LongRun(total, 2), SmallBody);
  ASSERT_TRUE(long_run.ok()) << long_run;
  const long rss_after = ResidentKiB();
  EXPECT_EQ(long_run.schedules, total);
  std::printf(
      "weave resource figures: %lld schedules; RSS %ld KiB after %lld, %ld KiB after "
      "%lld more (%+ld KiB); %lld distinct%s; fds %d -> %d\n",
      static_cast<long long>(total), rss_warm, static_cast<long long>(total / 10), rss_after,
      static_cast<long long>(total), rss_after - rss_warm,
      static_cast<long long>(long_run.distinct_schedules),
      long_run.distinct_schedules_estimated ? " (estimated)" : "", fds_before,
      OpenFileDescriptors());
  // Flat: a few MB of allocator noise at most, nothing that scales with the schedules run.
  EXPECT_LT(rss_after - rss_warm, 4 * 1024) << "KiB";
  EXPECT_EQ(OpenFileDescriptors(), fds_before);
}

// Beyond 65,536 distinct schedules the count is estimated in fixed memory: every schedule of this
// body is distinct (one choice among 2^40), so the estimate must come close to the runs.
TEST(ResourceHygiene, TheDistinctScheduleCountStaysAccurateBeyondItsExactRange) {
  const std::int64_t runs = kAddressSanitizer || kThreadSanitizer ? 100'000 : 300'000;
  weave::Options o = LongRun(runs, 3);
  const weave::Result small = weave::explore(LongRun(1000, 3), [] { weave::choose(1ULL << 40); });
  EXPECT_EQ(small.distinct_schedules, 1000);  // exact below the limit
  EXPECT_FALSE(small.distinct_schedules_estimated);
  const weave::Result r = weave::explore(o, [] { weave::choose(1ULL << 40); });
  ASSERT_TRUE(r.ok()) << r;
  EXPECT_TRUE(r.distinct_schedules_estimated);
  EXPECT_NEAR(static_cast<double>(r.distinct_schedules), static_cast<double>(runs), 0.03 * runs);
}

// Each of these explorations fails in its first schedule with a leak report: the task waits for
// an event nobody sets (the task owns it, so that it outlives the body) when the body returns.
void LeakAFiber() {
  auto never = std::make_shared<weave::event>("never");
  auto t = weave::spawn("stuck", [never] { never->wait(); });
  static_cast<void>(t);  // never joined
}

// A coroutine asleep for an hour when the body returns. It owns nothing: an abandoned coroutine
// task's frame is freed without running its destructors (its references may dangle by then), so
// what its locals own would not be given back.
void LeakACoroutine() {
  auto t = weave::co_spawn(
      "stuck-co", []() -> weave::task<> { co_await weave::sleep_for(std::chrono::hours(1)); }());
  static_cast<void>(t);
}

// A lock taken and never released, then destroyed with the body's frame.
void LeakALock() {
  weave::mutex m{"forgotten"};
  auto t = weave::spawn("locker", [&] { m.lock(); });
  t.join();
}

// Options for a body that fails at once: no shrinking, no trace, files in the test's temp dir.
weave::Options FailingRun(std::int64_t iterations) {
  weave::Options o;
  o.iterations = iterations;
  o.minimize = false;
  o.trace = weave::TraceMode::kOff;
  // One directory per test: ctest runs this file's tests at the same time.
  o.out_dir = ::testing::TempDir() + "/weave_resource_test_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
  return o;
}

TEST(ResourceHygiene, ALockLeftHeldIsReported) {
  const weave::Result r = weave::explore(FailingRun(10), LeakALock);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, weave::FailureKind::kMisuse) << r;
  EXPECT_THAT(r.failure().message, testing::HasSubstr("'forgotten'")) << r;
  EXPECT_EQ(r.failing_iteration, 0);
}

TEST(ResourceHygiene, ALeakedTaskIsReportedNotAccumulated) {
  for (auto* body : {LeakAFiber, LeakACoroutine}) {
    const weave::Result r = weave::explore(FailingRun(10), body);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.failure().kind, weave::FailureKind::kLeakedTask) << r;
    EXPECT_EQ(r.failing_iteration, 0);
  }
  // Thousands of leaking explorations: the abandoned tasks' stacks and frames are reclaimed.
  const int rounds = kAddressSanitizer || kThreadSanitizer ? 200 : 2000;
  long rss_warm = 0;
  for (int i = 0; i < rounds; ++i) {
    if (i == rounds / 10) rss_warm = ResidentKiB();
    const weave::Result r = weave::explore(FailingRun(1), i % 2 == 0 ? LeakAFiber : LeakACoroutine);
    ASSERT_EQ(r.failure().kind, weave::FailureKind::kLeakedTask);
  }
  EXPECT_LT(ResidentKiB() - rss_warm, 4 * 1024) << "KiB after " << rounds << " leaking runs";
}

}  // namespace
