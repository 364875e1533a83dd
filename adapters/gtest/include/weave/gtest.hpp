// weave/gtest.hpp: weave inside GoogleTest.
//
// WEAVE_TEST(Suite, Name) defines a gtest test whose body runs under many schedules. gtest
// assertions anywhere in the body or its tasks fail the schedule in which they fire; the test then
// fails once, with the failure report, the schedule file and the command that replays it. The
// --weave_* flags (and WEAVE_* environment variables) configure it; --weave_help lists them.
//
//   WEAVE_TEST(Counter, TwoIncrementsMakeTwo) {
//     weave::shared<int> n{0, "n"};
//     auto t = weave::spawn("inc", [&] { n = n + 1; });
//     n = n + 1; t.join(); EXPECT_EQ(n, 2);
//   }
//
// WEAVE_TEST_WITH(Suite, Name, configure) takes a callable that adjusts weave::Options before the
// flags apply. EXPECT_WEAVE_FAILURE(kind, options, body) explores `body` and expects a failure of
// `kind`; EXPECT_WEAVE_OK(options, body) expects none.
#pragma once

#include <functional>
#include <string_view>

#include "gtest/gtest.h"

#include "weave/weave.hpp"

namespace weave::gtest {

// Options for the running test: `configure` (may be empty) then WEAVE_* variables and --weave_*
// flags. A bad flag is returned as an error naming it.
absl::StatusOr<Options> OptionsForTest(std::string_view test_name,
                                       const std::function<void(Options&)>& configure);

// Runs a WEAVE_TEST: explores `body` and reports a failing schedule as one gtest failure.
void RunTest(std::string_view test_name, const std::function<void(Options&)>& configure,
             const std::function<void()>& body, const char* file, int line);

namespace detail {
// Registers the observer that routes gtest assertion failures into the current schedule.
bool RegisterObserver();
inline const bool kObserverRegistered = RegisterObserver();
}  // namespace detail

}  // namespace weave::gtest

#define WEAVE_DETAIL_BODY_NAME(suite, name) WeaveBody_##suite##_##name

#define WEAVE_TEST_WITH(suite, name, ...)                                                        \
  static void WEAVE_DETAIL_BODY_NAME(suite, name)();                                             \
  TEST(suite, name) {                                                                            \
    ::weave::gtest::RunTest(#suite "." #name, __VA_ARGS__, &WEAVE_DETAIL_BODY_NAME(suite, name), \
                            __FILE__, __LINE__);                                                 \
  }                                                                                              \
  static void WEAVE_DETAIL_BODY_NAME(suite, name)()

#define WEAVE_TEST(suite, name) \
  WEAVE_TEST_WITH(suite, name, std::function<void(::weave::Options&)>())

#define EXPECT_WEAVE_FAILURE(expected_kind, options, ...)                                 \
  do {                                                                                    \
    const ::weave::Result weave_result_ = ::weave::explore((options), __VA_ARGS__);       \
    EXPECT_TRUE(!weave_result_.ok() && weave_result_.input_error.ok() &&                  \
                weave_result_.failure().kind == (expected_kind))                          \
        << "expected a " << ::weave::FailureKindName(expected_kind) << " failure; got:\n" \
        << weave_result_;                                                                 \
  } while (false)

#define EXPECT_WEAVE_OK(options, ...)                                               \
  do {                                                                              \
    const ::weave::Result weave_result_ = ::weave::explore((options), __VA_ARGS__); \
    EXPECT_TRUE(weave_result_.ok()) << weave_result_;                               \
  } while (false)
