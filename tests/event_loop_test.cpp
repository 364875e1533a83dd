// Options::event_loop: coroutine tasks as on a single-threaded event loop. Code between two
// co_awaits is not interleaved; every co_await still is a scheduling point; replays keep the mode.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using weave::FailureKind;

weave::Options EventLoop(bool on, std::int64_t iterations = 1000) {
  weave::Options o = weave_test::Runs(iterations);
  o.event_loop = on;
  return o;
}

// Two coroutine tasks add 1 to a tracked counter three times each; with `await_inside`, they
// await between the read and the write.
void Increments(bool await_inside) {
  weave::shared<int> counter{0, "counter"};
  auto work = [&]() -> weave::task<> {
    for (int i = 0; i < 3; ++i) {
      const int seen = counter.load();
      if (await_inside) co_await weave::yield();
      counter = seen + 1;
      co_await weave::yield();
    }
  };
  auto a = weave::co_spawn("a", work());
  auto b = weave::co_spawn("b", work());
  a.join();
  b.join();
  weave::check(counter.load() == 6, "lost update");
}

TEST(EventLoop, CodeBetweenAwaitsInterleavesByDefault) {
  // Without the race detector, which would report the unordered increments first.
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, weave_test::WithoutRaceDetection(EventLoop(false)),
                       [] { Increments(false); });
}

TEST(EventLoop, CodeBetweenAwaitsRunsWholeOnAnEventLoop) {
  EXPECT_WEAVE_OK(EventLoop(true), [] { Increments(false); });
}

TEST(EventLoop, AnAwaitBetweenReadAndWriteStillLosesAnUpdateOnAnEventLoop) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, EventLoop(true), [] { Increments(true); });
}

TEST(EventLoop, FibersStillInterleaveEverywhere) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, weave_test::WithoutRaceDetection(EventLoop(true)),
                       [] {
                         weave::shared<int> counter{0, "counter"};
                         auto add = [&] { counter = counter.load() + 1; };
                         auto f = weave::spawn("fiber", add);
                         add();
                         f.join();
                         weave::check(counter.load() == 2, "lost update");
                       });
}

TEST(EventLoop, TheScheduleRecordsTheModeAndTheReplayUsesIt) {
  weave::Options o = EventLoop(true);
  o.test_name = "EventLoop.Replay";
  o.out_dir = (std::filesystem::temp_directory_path() / "weave_event_loop_test").string();
  const weave::Result found = weave::explore(o, [] { Increments(true); });
  ASSERT_FALSE(found.ok());
  ASSERT_FALSE(found.schedule_path.empty()) << found.schedule_write_error;
  std::ifstream file(found.schedule_path);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("\nevent-loop 1\n"));
  weave::Options replay = o;
  replay.event_loop = false;  // the file's setting wins
  replay.replay_file = found.schedule_path;
  const weave::Result again = weave::explore(replay, [] { Increments(true); });
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.failure().kind, FailureKind::kAssertion) << again;
}

TEST(EventLoop, TheFlagSetsIt) {
  weave::Options o;
  ASSERT_TRUE(weave::ApplyFlag("event_loop", "true", o).ok());
  EXPECT_TRUE(o.event_loop);
  EXPECT_FALSE(weave::ApplyFlag("event_loop", "sometimes", o).ok());
}

}  // namespace
