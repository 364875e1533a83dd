// weave::shared<T>: a tracked variable whose every read and write is a scheduling point, so
// unsynchronised read-modify-writes are found to lose updates.
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::Runs;

TEST(Shared, LoadStoreAndConversionsRoundTripTheValue) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::shared<std::string> s{"a", "s"};
    EXPECT_EQ(s.load(), "a");
    s = "b";
    EXPECT_EQ(static_cast<std::string>(s), "b");
    s.store("c");
    EXPECT_EQ(s.load(), "c");
    weave::shared<std::vector<int>> v{{1, 2}, "v"};
    std::vector<int> copy = v;
    copy.push_back(3);
    v = copy;
    EXPECT_THAT(v.load(), ElementsAre(1, 2, 3));
  });
}

TEST(Shared, OutsideASimulationItIsAPlainVariable) {
  weave::shared<int> x{1, "x"};
  x = x + 1;
  EXPECT_EQ(x.load(), 2);
}

TEST(Shared, DeclaredIsWhereTheVariableWasDeclared) {
  const int line = __LINE__ + 1;
  weave::shared<int> x{0, "x"};
  EXPECT_EQ(x.declared().line(), static_cast<unsigned>(line));
  EXPECT_THAT(x.declared().file_name(), HasSubstr("shared_test.cpp"));
}

TEST(Shared, ReadsAndWritesOfTwoIncrementsInterleaveIntoBothPossibleResults) {
  std::set<int> finals;  // over every explored schedule
  // Without the race detector, which reports the unordered increments in the first schedule.
  EXPECT_WEAVE_OK(weave_test::WithoutRaceDetection(Runs(500)), [&] {
    weave::shared<int> n{0, "n"};
    auto t = weave::spawn("inc", [&] { n = n + 1; });
    n = n + 1;
    t.join();
    finals.insert(n.load());
  });
  // 2 when the increments run one after the other, 1 when both read 0 before either writes.
  EXPECT_THAT(finals, ElementsAre(1, 2));
}

// Two tasks each add 1 to a tracked counter, with or without a mutex around the read-modify-write.
void TwoIncrements(bool locked) {
  weave::mutex m{"m"};
  weave::shared<int> n{0, "n"};
  auto increment = [&] {
    std::unique_lock lock(m, std::defer_lock);
    if (locked) lock.lock();
    n = n + 1;
  };
  auto t = weave::spawn("inc", increment);
  increment();
  t.join();
  EXPECT_EQ(n.load(), 2) << "lost update";
}

TEST(Shared, AnUnsynchronisedReadModifyWriteLosesAnUpdateInSomeSchedule) {
  const weave::Result r =
      weave::explore(weave_test::WithoutRaceDetection(Runs(1000)), [] { TwoIncrements(false); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kAssertion) << r;
  EXPECT_THAT(r.failure().message, HasSubstr("lost update"));
}

TEST(Shared, TheRaceDetectorReportsTheUnsynchronisedIncrementsInTheFirstSchedule) {
  const weave::Result r = weave::explore(Runs(1000), [] { TwoIncrements(false); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, FailureKind::kDataRace) << r;
  // Every schedule runs both increments unordered: the first one shows the race.
  EXPECT_EQ(r.failing_iteration, 0);
  EXPECT_THAT(r.failure().message, HasSubstr("data race on shared 'n'"));
  EXPECT_THAT(r.failure().details, HasSubstr("shared_test.cpp"));
}

TEST(Shared, AReadModifyWriteUnderAMutexNeverLosesAnUpdate) {
  EXPECT_WEAVE_OK(Runs(1000), [] { TwoIncrements(true); });
}

// The transfer from the design notes: an auditor must never see money in flight.
void TransferAndAudit(bool locked) {
  weave::mutex m{"m"};
  weave::shared<int> a{100, "a"}, b{0, "b"};
  auto guard = [&] {
    std::unique_lock lock(m, std::defer_lock);
    if (locked) lock.lock();
    return lock;
  };
  auto deposit = weave::spawn("deposit", [&] {
    auto lock = guard();
    a = a - 10;
    b = b + 10;
  });
  auto audit = weave::spawn("audit", [&] {
    auto lock = guard();
    EXPECT_EQ(a + b, 100);
  });
  deposit.join();
  audit.join();
}

TEST(Shared, AnAuditorWithoutTheLockSeesABrokenInvariant) {
  EXPECT_WEAVE_FAILURE(FailureKind::kAssertion, weave_test::WithoutRaceDetection(Runs(1000)),
                       [] { TransferAndAudit(false); });
  EXPECT_WEAVE_FAILURE(FailureKind::kDataRace, Runs(1000), [] { TransferAndAudit(false); });
}

TEST(Shared, AnAuditorHoldingTheLockAlwaysSeesTheTotal) {
  EXPECT_WEAVE_OK(Runs(1000), [] { TransferAndAudit(true); });
}

}  // namespace
