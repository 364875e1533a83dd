// Helpers shared by weave's own tests (not part of the library).
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

#include "weave/weave.hpp"

namespace weave_test {

// Whether this build runs under AddressSanitizer / ThreadSanitizer (GCC defines a macro; clang
// answers __has_feature).
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
inline constexpr bool kAddressSanitizer = __has_feature(address_sanitizer);
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
inline constexpr bool kThreadSanitizer = __has_feature(thread_sanitizer);
#else
inline constexpr bool kThreadSanitizer = false;
#endif

// The whole file at `path` ("" when it cannot be read), and writing one.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
inline void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Virtual time of the run in nanoseconds (every run starts at 0); numbers print readably.
inline std::int64_t Now() { return weave::clock::now().time_since_epoch().count(); }
constexpr std::int64_t Ns(std::chrono::nanoseconds d) { return d.count(); }

// Options that explore `iterations` schedules.
inline weave::Options Runs(std::int64_t iterations) {
  weave::Options o;
  o.iterations = iterations;
  return o;
}

// `o` without the race detector: for tests of interleavings themselves, which need the wrong value
// to happen (with the detector on, the unordered accesses are reported first, as a data race).
inline weave::Options WithoutRaceDetection(weave::Options o) {
  o.detect_races = false;
  return o;
}
// `o` without the lock-order detector: for tests of real deadlocks, which it would report first
// (as a potential deadlock) in the schedule where the orders first conflict.
inline weave::Options WithoutLockOrderDetection(weave::Options o) {
  o.detect_lock_order = false;
  return o;
}

// Explores `body`, which must fail with `kind`; returns the failure for closer checks.
inline weave::Failure FailureOf(weave::FailureKind kind, const weave::Options& o,
                                const std::function<void()>& body) {
  const weave::Result r = weave::explore(o, body);
  EXPECT_FALSE(r.ok()) << "expected a " << kind << " failure, but every schedule passed";
  if (r.ok()) return {};
  EXPECT_EQ(r.failure().kind, kind) << r;
  return r.failure();
}

}  // namespace weave_test
