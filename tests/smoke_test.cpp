#include "weave/gtest.hpp"

TEST(Smoke, SpawnAndJoin) {
  weave::Options o;
  o.iterations = 100;
  int ran = 0;
  weave::Result r = weave::explore(o, [&] {
    int x = 0;
    auto t = weave::spawn("t", [&] { x = 1; });
    t.join();
    EXPECT_EQ(x, 1);
    ++ran;
  });
  EXPECT_TRUE(r.ok()) << r;
  EXPECT_EQ(ran, 100);
}

TEST(Smoke, LostUpdateIsFound) {
  weave::Options o;
  o.iterations = 1000;
  // The race detector reports the two unordered increments before any value is lost.
  EXPECT_WEAVE_FAILURE(weave::FailureKind::kDataRace, o, [] {
    weave::shared<int> n{0, "n"};
    auto t = weave::spawn("inc", [&] { n = n + 1; });
    n = n + 1;
    t.join();
    EXPECT_EQ(n.load(), 2);
  });
}
