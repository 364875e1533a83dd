// Fiber stacks: their size is an option, and overflowing one hits a guard page (a crash at the
// overflow, never silent corruption of a neighbouring stack).
#include <csignal>
#include <cstring>

#include "gmock/gmock.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

// Uses about `depth` KiB of stack. noinline + the volatile buffer keep the frames real.
[[gnu::noinline]] int UseStack(int depth) {
  volatile char buffer[1024];
  std::memset(const_cast<char*>(buffer), depth & 0xff, sizeof(buffer));
  if (depth <= 0) return buffer[0];
  return UseStack(depth - 1) + buffer[depth % sizeof(buffer)];
}

weave::Options WithStack(std::size_t bytes) {
  weave::Options o;
  o.iterations = 3;
  o.stack_size = bytes;
  return o;
}

void RecurseInATask(int kib) {
  int result = 0;
  auto t = weave::spawn("deep", [&] { result = UseStack(kib); });
  t.join();
  weave::check(result != -1, "recursion finished");
}

TEST(FiberStack, RecursionWithinTheConfiguredSizeWorks) {
  EXPECT_WEAVE_OK(WithStack(1024 * 1024), [] { RecurseInATask(600); });
}

TEST(FiberStack, ALargerStackSizeAllowsDeeperRecursion) {
  EXPECT_WEAVE_OK(WithStack(8 * 1024 * 1024), [] { RecurseInATask(6000); });
}

using FiberStackDeathTest = ::testing::Test;

using weave_test::kAddressSanitizer;
using weave_test::kThreadSanitizer;

TEST_F(FiberStackDeathTest, OverflowHitsTheGuardPage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto overflow = [] { weave::explore(WithStack(64 * 1024), [] { RecurseInATask(1000); }); };
  if (kAddressSanitizer || kThreadSanitizer) {
    // weave reports, then hands the signal on to the sanitizer, which reports a stack overflow
    // too and ends the process its own way, not by SIGSEGV.
    EXPECT_DEATH(overflow(), "stack overflow in task 1 'deep'(.|\n)*stack-overflow");
  } else {
    EXPECT_EXIT(overflow(), ::testing::KilledBySignal(SIGSEGV),
                "crash: stack overflow in task 1 'deep'(.|\n)*the task's fiber stack has 65536 "
                "bytes: raise it with --weave_stack_size");
  }
}

}  // namespace
