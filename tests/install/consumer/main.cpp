// Built against an installed weave by the install.find_package_consumer test.
#include <mutex>  // std::scoped_lock

#include <weave/gtest.hpp>
#include <weave/weave.hpp>

WEAVE_TEST(Consumer, MutexKeepsCounterExact) {
  weave::mutex m;
  int counter = 0;
  auto a = weave::spawn("a", [&] {
    std::scoped_lock l(m);
    ++counter;
  });
  auto b = weave::spawn("b", [&] {
    std::scoped_lock l(m);
    ++counter;
  });
  a.join();
  b.join();
  EXPECT_EQ(counter, 2);
}
