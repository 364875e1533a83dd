// weave::channel<T>: bounded, unbounded and rendezvous channels, close, timed receives in virtual
// time, and closing twice reported as misuse.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

TEST(Channel, AnUnboundedChannelNeverBlocksTheSender) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::channel<int> ch{weave::channel<int>::kUnbounded, "ch"};
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(ch.send(i));
    EXPECT_EQ(ch.size(), 1000u);
    EXPECT_EQ(Now(), 0);
    for (int i = 0; i < 1000; ++i) EXPECT_THAT(ch.receive(), Optional(i));
  });
}

TEST(Channel, ABoundedChannelBlocksTheSenderWhileFull) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{2, "ch"};
    std::vector<std::int64_t> sent_at;
    auto producer = weave::spawn("producer", [&] {
      for (int i = 1; i <= 3; ++i) {
        EXPECT_TRUE(ch.send(i));
        sent_at.push_back(Now());
      }
    });
    weave::this_task::sleep_for(1h);
    EXPECT_EQ(ch.size(), 2u);
    EXPECT_FALSE(ch.try_send(99));
    EXPECT_THAT(ch.receive(), Optional(1));
    producer.join();
    EXPECT_THAT(sent_at, ElementsAre(0, 0, Ns(1h)));
    EXPECT_THAT(ch.receive(), Optional(2));
    EXPECT_THAT(ch.receive(), Optional(3));
  });
}

TEST(Channel, ARendezvousSendBlocksUntilAReceiverTookTheValue) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{0, "ch"};
    std::int64_t sent_at = -1;
    auto producer = weave::spawn("producer", [&] {
      EXPECT_TRUE(ch.send(7));
      sent_at = Now();
    });
    weave::this_task::sleep_for(1h);
    EXPECT_EQ(sent_at, -1);
    EXPECT_FALSE(ch.try_send(8));
    EXPECT_THAT(ch.receive(), Optional(7));
    producer.join();
    EXPECT_EQ(sent_at, Ns(1h));
  });
}

TEST(Channel, ValuesArriveInTheOrderTheyWereSent) {
  EXPECT_WEAVE_OK(Runs(1000), [] {
    weave::channel<int> ch{1, "ch"};
    auto producer = weave::spawn("producer", [&] {
      for (int i = 0; i < 5; ++i) ch.send(i);
      ch.close();
    });
    std::vector<int> got;
    while (std::optional<int> v = ch.receive()) got.push_back(*v);
    EXPECT_THAT(got, ElementsAre(0, 1, 2, 3, 4));
    producer.join();
  });
}

TEST(Channel, EveryValueOfTwoProducersReachesExactlyOneOfTwoConsumers) {
  EXPECT_WEAVE_OK(Runs(1000), [] {
    weave::channel<int> ch{1, "ch"};
    std::array<int, 6> received{};
    auto produce = [&](int first) {
      return [&, first] {
        for (int v = first; v < first + 3; ++v) ch.send(v);
      };
    };
    auto consume = [&] {
      while (std::optional<int> v = ch.receive()) ++received[*v];
    };
    auto p1 = weave::spawn("producer-1", produce(0));
    auto p2 = weave::spawn("producer-2", produce(3));
    auto c1 = weave::spawn("consumer-1", consume);
    auto c2 = weave::spawn("consumer-2", consume);
    p1.join();
    p2.join();
    ch.close();
    c1.join();
    c2.join();
    EXPECT_THAT(received, ::testing::Each(1));
  });
}

TEST(Channel, CloseLetsReceiversDrainThenGivesNullopt) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::channel<int> ch{4, "ch"};
    ch.send(1);
    ch.send(2);
    ch.close();
    EXPECT_TRUE(ch.closed());
    EXPECT_THAT(ch.receive(), Optional(1));
    EXPECT_THAT(ch.receive(), Optional(2));
    EXPECT_EQ(ch.receive(), std::nullopt);
    EXPECT_EQ(ch.receive(), std::nullopt);
  });
}

TEST(Channel, SendAfterCloseReturnsFalse) {
  EXPECT_WEAVE_OK(Runs(1), [] {
    weave::channel<int> ch{4, "ch"};
    ch.close();
    EXPECT_FALSE(ch.send(1));
    EXPECT_FALSE(ch.try_send(2));
    EXPECT_EQ(ch.size(), 0u);
  });
}

TEST(Channel, CloseWakesBlockedReceiversAndSenders) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> empty{1, "empty"};
    weave::channel<int> full{1, "full"};
    full.send(0);
    auto receiver = weave::spawn("receiver", [&] { EXPECT_EQ(empty.receive(), std::nullopt); });
    auto sender = weave::spawn("sender", [&] { EXPECT_FALSE(full.send(1)); });
    weave::this_task::sleep_for(1s);  // both block
    empty.close();
    full.close();
    receiver.join();
    sender.join();
    EXPECT_EQ(Now(), Ns(1s));
  });
}

TEST(Channel, ReceiveForTimesOutAfterExactlyTheTimeoutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::channel<int> ch{1, "ch"};
    weave::this_task::sleep_for(1h);
    const std::int64_t t0 = Now();
    EXPECT_EQ(ch.receive_for(3s), std::nullopt);
    EXPECT_EQ(Now() - t0, Ns(3s));
    EXPECT_FALSE(ch.closed());
  });
}

TEST(Channel, ASendBeforeTheDeadlineWins) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::channel<int> ch{1, "ch"};
    auto producer = weave::spawn("producer", [&] {
      weave::this_task::sleep_for(1s);
      ch.send(5);
    });
    EXPECT_THAT(ch.receive_for(3s), Optional(5));
    EXPECT_EQ(Now(), Ns(1s));
    producer.join();
  });
}

TEST(Channel, ReceiveUntilGivesUpAtTheVirtualTimePoint) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::channel<int> ch{weave::channel<int>::kUnbounded, "ch"};
    EXPECT_EQ(ch.receive_until(weave::clock::time_point(2min)), std::nullopt);
    EXPECT_EQ(Now(), Ns(2min));
  });
}

TEST(Channel, ClosingTwiceIsReportedAsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::channel<int> ch{1, "ch"};
    ch.close();
    ch.close();
  });
  EXPECT_THAT(f.message, HasSubstr("'ch'"));
  EXPECT_THAT(f.message, HasSubstr("closed twice"));
}

TEST(Channel, AReceiverOfAChannelNobodyClosesIsReportedAsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(100), [] {
    weave::channel<int> ch{1, "ch"};
    auto producer = weave::spawn("producer", [&] { ch.send(1); });  // forgets close()
    while (ch.receive()) {
    }
    producer.join();
  });
  EXPECT_THAT(f.details, HasSubstr("channel 'ch'"));
}

}  // namespace
