// weave::promise and weave::future: one value handed over, got by fibers, awaited by coroutines.
#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"

#include "weave/coro.hpp"
#include "weave/gtest.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using weave::FailureKind;
using weave_test::FailureOf;
using weave_test::Now;
using weave_test::Ns;
using weave_test::Runs;

// The std::future_errc of a std::future_error thrown by `f`, or nullopt.
template <class F>
std::optional<std::future_errc> FutureErrorOf(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const std::future_error& e) {
    return static_cast<std::future_errc>(e.code().value());
  }
  return std::nullopt;
}

// --- blocking forms -----------------------------------------------------------------------------

TEST(Future, GetBlocksUntilTheValueIsSet) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::promise<int> p{"answer"};
    weave::future<int> f = p.get_future();
    EXPECT_TRUE(f.valid());
    auto producer = weave::spawn("producer", [&] {
      weave::this_task::sleep_for(1s);
      p.set_value(42);
    });
    EXPECT_EQ(f.get(), 42);
    EXPECT_EQ(Now(), Ns(1s));
    EXPECT_FALSE(f.valid()) << "get() releases the shared state";
    producer.join();
  });
}

TEST(Future, EveryHandOffArrivesWhateverTheOrderOfSetAndGet) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::shared<int> side{0, "side"};
    std::vector<weave::promise<std::string>> promises(3);
    std::vector<weave::future<std::string>> futures;
    futures.reserve(promises.size());
    for (auto& p : promises) futures.push_back(p.get_future());
    std::vector<weave::join_handle> producers;
    producers.reserve(promises.size());
    for (int i = 0; i < 3; ++i) {
      producers.push_back(weave::spawn("producer", [&, i] {
        if (i == 0) side = 1;
        promises[i].set_value(std::to_string(i));
      }));
    }
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(futures[i].get(), std::to_string(i));
      if (i == 0) {
        EXPECT_EQ(side.load(), 1) << "what the producer wrote before set_value";
      }
    }
    for (auto& h : producers) h.join();
  });
}

TEST(Future, VoidAndReferenceFuturesWork) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::promise<void> done{"done"};
    weave::future<void> done_f = done.get_future();
    int target = 1;
    weave::promise<int&> ref{"ref"};
    weave::future<int&> ref_f = ref.get_future();
    auto producer = weave::spawn("producer", [&] {
      ref.set_value(target);
      done.set_value();
    });
    done_f.get();
    int& r = ref_f.get();
    EXPECT_EQ(&r, &target);
    producer.join();
  });
}

TEST(Future, AMoveOnlyValueIsMovedOut) {
  EXPECT_WEAVE_OK(Runs(50), [] {
    weave::promise<std::unique_ptr<int>> p;
    auto f = p.get_future();
    auto producer = weave::spawn("producer", [&] { p.set_value(std::make_unique<int>(5)); });
    std::unique_ptr<int> v = f.get();
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(*v, 5);
    producer.join();
  });
}

TEST(Future, WaitAndIsReadyLeaveTheValueForGet) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::promise<int> p{"p"};
    weave::future<int> f = p.get_future();
    auto producer = weave::spawn("producer", [&] {
      weave::this_task::sleep_for(1s);
      p.set_value(3);
    });
    EXPECT_FALSE(f.is_ready());
    f.wait();
    EXPECT_EQ(Now(), Ns(1s));
    EXPECT_TRUE(f.is_ready());
    EXPECT_TRUE(f.valid());
    EXPECT_EQ(f.get(), 3);
    producer.join();
  });
}

TEST(Future, WaitForAndWaitUntilTimeOutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::promise<int> p{"slow"};
    weave::future<int> f = p.get_future();
    auto producer = weave::spawn("producer", [&] {
      weave::this_task::sleep_for(5s);
      p.set_value(1);
    });
    EXPECT_EQ(f.wait_for(2s), std::future_status::timeout);
    EXPECT_EQ(Now(), Ns(2s));
    EXPECT_EQ(f.wait_until(weave::clock::time_point(3s)), std::future_status::timeout);
    EXPECT_EQ(Now(), Ns(3s));
    EXPECT_EQ(f.wait_for(1h), std::future_status::ready);
    EXPECT_EQ(Now(), Ns(5s)) << "woken by set_value, not by the deadline";
    EXPECT_EQ(f.wait_for(0s), std::future_status::ready);
    EXPECT_EQ(f.get(), 1);
    producer.join();
  });
}

TEST(Future, GetRethrowsTheStoredException) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::promise<int> p{"failing"};
    weave::future<int> f = p.get_future();
    auto producer = weave::spawn("producer", [&] {
      try {
        throw std::runtime_error("disk full");
      } catch (...) {
        p.set_exception(std::current_exception());
      }
    });
    try {
      f.get();
      ADD_FAILURE() << "get() returned instead of throwing";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "disk full");
    }
    EXPECT_FALSE(f.valid());
    producer.join();
  });
}

TEST(Promise, APromiseDestroyedUnsetBreaksItsFuture) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::future<int> f;
    {
      auto p = std::make_unique<weave::promise<int>>("dropped");
      f = p->get_future();
      auto owner = weave::spawn("owner", [p = std::move(p)]() mutable {
        weave::this_task::yield();
        p.reset();  // gives up without a value
      });
      EXPECT_EQ(FutureErrorOf([&] { f.get(); }), std::future_errc::broken_promise);
      owner.join();
    }
    EXPECT_EQ(Now(), 0);
  });
}

TEST(Promise, AMovedPromiseKeepsItsStateAndAssigningOverOneBreaksIt) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::promise<int> a{"a"};
    weave::future<int> fa = a.get_future();
    weave::promise<int> b{"b"};
    weave::future<int> fb = b.get_future();
    weave::promise<int> moved = std::move(a);
    moved.set_value(1);
    EXPECT_EQ(fa.get(), 1);
    moved = std::move(b);  // moved's own state is satisfied: nothing breaks
    weave::promise<int> c{"c"};
    weave::future<int> fc = c.get_future();
    c = std::move(moved);  // c's state is not: its future is broken
    EXPECT_EQ(FutureErrorOf([&] { fc.get(); }), std::future_errc::broken_promise);
    c.set_value(2);
    EXPECT_EQ(fb.get(), 2);
  });
}

TEST(Future, OutsideASimulationItBehavesLikeStd) {
  weave::promise<int> p;
  weave::future<int> f = p.get_future();
  EXPECT_EQ(FutureErrorOf([&] { (void)p.get_future(); }),
            std::future_errc::future_already_retrieved);
  EXPECT_THROW(f.get(), std::logic_error) << "would block forever";
  EXPECT_TRUE(f.valid()) << "a get() that did not return keeps the state";
  weave::future<int> g = std::move(f);
  EXPECT_FALSE(f.valid());  // NOLINT(bugprone-use-after-move): testing the moved-from state
  EXPECT_EQ(FutureErrorOf([&] { f.get(); }), std::future_errc::no_state);
  p.set_value(9);
  EXPECT_EQ(FutureErrorOf([&] { p.set_value(10); }), std::future_errc::promise_already_satisfied);
  EXPECT_TRUE(g.valid());
}

// --- awaitable forms ----------------------------------------------------------------------------

weave::task<int> AwaitValue(weave::future<int> f) { co_return co_await std::move(f); }

TEST(CoroutineFuture, CoAwaitGivesTheValueUnderEverySchedule) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::promise<int> p{"answer"};
    auto consumer = weave::co_spawn("consumer", AwaitValue(p.get_future()));
    auto producer = weave::spawn("producer", [&] {
      weave::this_task::yield();
      p.set_value(42);
    });
    EXPECT_EQ(consumer.join(), 42);
    producer.join();
  });
}

weave::task<std::string> AwaitError(weave::future<int>& f) {
  try {
    co_await f;  // the lvalue form: takes the state out of f
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "no exception";
}

TEST(CoroutineFuture, CoAwaitRethrowsTheStoredException) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    weave::promise<int> p{"failing"};
    weave::future<int> f = p.get_future();
    auto consumer = weave::co_spawn("consumer", AwaitError(f));
    auto producer = weave::spawn("producer", [&] {
      p.set_exception(std::make_exception_ptr(std::runtime_error("timeout")));
    });
    EXPECT_EQ(consumer.join(), "timeout");
    EXPECT_FALSE(f.valid()) << "co_await releases the shared state";
    producer.join();
  });
}

weave::task<bool> AwaitBroken(weave::future<void> f) {
  try {
    co_await std::move(f);
  } catch (const std::future_error& e) {
    co_return e.code() == std::future_errc::broken_promise;
  }
  co_return false;
}

TEST(CoroutineFuture, CoAwaitOnABrokenPromiseThrowsBrokenPromise) {
  EXPECT_WEAVE_OK(Runs(300), [] {
    auto p = std::make_unique<weave::promise<void>>("dropped");
    auto consumer = weave::co_spawn("consumer", AwaitBroken(p->get_future()));
    auto owner = weave::spawn("owner", [p = std::move(p)]() mutable { p.reset(); });
    EXPECT_TRUE(consumer.join());
    owner.join();
  });
}

weave::task<> CoWaitOnly(const weave::future<int>& f, int& woken) {
  co_await f.co_wait();
  ++woken;
}

TEST(CoroutineFuture, ACoroutineAndAFiberWaitingOnOneFutureAreWokenByOneSet) {
  EXPECT_WEAVE_OK(Runs(500), [] {
    weave::promise<int> p{"shared"};
    weave::future<int> f = p.get_future();
    int woken = 0;
    auto co = weave::co_spawn("coroutine", CoWaitOnly(f, woken));
    auto fiber = weave::spawn("fiber", [&] {
      f.wait();
      ++woken;
    });
    weave::this_task::sleep_for(1s);
    EXPECT_EQ(woken, 0);
    p.set_value(11);
    co.join();
    fiber.join();
    EXPECT_EQ(woken, 2);
    EXPECT_EQ(Now(), Ns(1s));
    EXPECT_EQ(f.get(), 11) << "waiting left the value in place";
  });
}

weave::task<std::future_status> CoWaitFor(const weave::future<int>& f, std::chrono::seconds d) {
  co_return co_await f.co_wait_for(d);
}

TEST(CoroutineFuture, CoWaitForAndCoWaitUntilTimeOutInVirtualTime) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::promise<int> p{"slow"};
    weave::future<int> f = p.get_future();
    auto producer = weave::spawn("producer", [&] {
      weave::this_task::sleep_for(5s);
      p.set_value(1);
    });
    EXPECT_EQ(weave::sync_wait(CoWaitFor(f, 2s)), std::future_status::timeout);
    EXPECT_EQ(Now(), Ns(2s));
    auto until = [](const weave::future<int>& fut) -> weave::task<std::future_status> {
      co_return co_await fut.co_wait_until(weave::clock::time_point(3s));
    };
    EXPECT_EQ(weave::co_spawn("until", until(f)).join(), std::future_status::timeout);
    EXPECT_EQ(Now(), Ns(3s));
    EXPECT_EQ(weave::co_spawn("waiter", CoWaitFor(f, 1h)).join(), std::future_status::ready);
    EXPECT_EQ(Now(), Ns(5s));
    producer.join();
    EXPECT_EQ(f.get(), 1);
  });
}

TEST(CoroutineFuture, AwaitingAFutureNobodySetsIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(50), [] {
    weave::promise<int> p{"never"};
    auto consumer = weave::co_spawn("consumer", AwaitValue(p.get_future()));
    (void)consumer.join();
  });
  EXPECT_THAT(f.details, HasSubstr("future 'never'"));
}

TEST(Future, GettingAFutureNobodySetsIsADeadlock) {
  const weave::Failure f = FailureOf(FailureKind::kDeadlock, Runs(50), [] {
    weave::promise<int> p{"never"};
    weave::future<int> fut = p.get_future();
    auto waiter = weave::spawn("waiter", [&] { fut.wait(); });
    waiter.join();
  });
  EXPECT_THAT(f.details, HasSubstr("future 'never'"));
}

// --- misuse -------------------------------------------------------------------------------------

TEST(PromiseMisuse, GetFutureTwiceIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::promise<int> p{"p"};
    auto f1 = p.get_future();
    auto f2 = p.get_future();
  });
  EXPECT_THAT(f.message, HasSubstr("get_future() called twice"));
  EXPECT_THAT(f.message, HasSubstr("future 'p'"));
  EXPECT_THAT(f.where.file, HasSubstr("future_test.cpp"));
}

TEST(PromiseMisuse, SettingAValueTwiceIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(100), [] {
    weave::promise<int> p{"p"};
    auto fut = p.get_future();
    auto a = weave::spawn("a", [&] { p.set_value(1); });
    auto b = weave::spawn("b", [&] { p.set_value(2); });
    a.join();
    b.join();
  });
  EXPECT_THAT(f.message, HasSubstr("set_value() on the promise of future 'p'"));
  EXPECT_THAT(f.message, HasSubstr("promise_already_satisfied"));
}

TEST(PromiseMisuse, SettingAnExceptionAfterAValueIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::promise<void> p{"p"};
    p.set_value();
    p.set_exception(std::make_exception_ptr(std::runtime_error("late")));
  });
  EXPECT_THAT(f.message, HasSubstr("set_exception() on the promise of future 'p'"));
}

TEST(PromiseMisuse, SettingANullExceptionIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::promise<int> p{"p"};
    p.set_exception(nullptr);
  });
  EXPECT_THAT(f.message, HasSubstr("set_exception(nullptr)"));
}

TEST(PromiseMisuse, UsingAMovedFromPromiseIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::promise<int> p{"p"};
    weave::promise<int> q = std::move(p);
    p.set_value(1);  // NOLINT(bugprone-use-after-move): the misuse under test
  });
  EXPECT_THAT(f.message, HasSubstr("no shared state"));
}

TEST(FutureMisuse, GetTwiceIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::promise<int> p{"p"};
    auto fut = p.get_future();
    p.set_value(1);
    EXPECT_EQ(fut.get(), 1);
    fut.get();
  });
  EXPECT_THAT(f.message, HasSubstr("get() on a future with no shared state"));
  EXPECT_THAT(f.where.file, HasSubstr("future_test.cpp"));
}

TEST(FutureMisuse, WaitingOnADefaultConstructedFutureIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::future<int> fut;
    EXPECT_FALSE(fut.valid());
    fut.wait();
  });
  EXPECT_THAT(f.message, HasSubstr("wait() on a future with no shared state"));
}

TEST(FutureMisuse, TimedWaitAndIsReadyOnAnInvalidFutureAreMisuse) {
  const weave::Failure timed = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::future<int> fut;
    (void)fut.wait_for(1s);
  });
  EXPECT_THAT(timed.message, HasSubstr("wait_for() on a future with no shared state"));
  const weave::Failure ready = FailureOf(FailureKind::kMisuse, Runs(1), [] {
    weave::future<int> fut;
    (void)fut.is_ready();
  });
  EXPECT_THAT(ready.message, HasSubstr("is_ready() on a future with no shared state"));
}

weave::task<int> AwaitTwice(weave::future<int>& f) {
  const int first = co_await f;
  const int second = co_await f;
  co_return first + second;
}

TEST(FutureMisuse, CoAwaitingAFutureTwiceIsMisuse) {
  const weave::Failure f = FailureOf(FailureKind::kMisuse, Runs(20), [] {
    weave::promise<int> p{"p"};
    weave::future<int> fut = p.get_future();
    p.set_value(1);
    auto h = weave::co_spawn("twice", AwaitTwice(fut));
    (void)h.join();
  });
  EXPECT_THAT(f.message, HasSubstr("co_await() on a future with no shared state"));
}

// --- exceptions nobody retrieved ----------------------------------------------------------------

TEST(FutureUnretrievedException, AnExceptionStoredAndNeverRetrievedIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(100), [] {
    weave::promise<int> p{"result"};
    weave::future<int> fut = p.get_future();
    auto worker = weave::spawn("worker", [&] {
      p.set_exception(std::make_exception_ptr(std::runtime_error("lost error")));
    });
    worker.join();
    fut.wait();  // waiting is not retrieving
  });
  EXPECT_THAT(f.message, HasSubstr("future 'result'"));
  EXPECT_THAT(f.message, HasSubstr("nobody retrieved"));
  EXPECT_THAT(f.message, HasSubstr("runtime_error"));
  EXPECT_THAT(f.message, HasSubstr("lost error"));
  EXPECT_THAT(f.where.file, HasSubstr("future_test.cpp")) << "where set_exception was called";
}

TEST(FutureUnretrievedException, AnExceptionInAPromiseWhoseFutureWasNeverTakenIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(20), [] {
    weave::promise<void> p{"fire-and-forget"};
    p.set_exception(std::make_exception_ptr(std::logic_error("nobody listens")));
  });
  EXPECT_THAT(f.message, HasSubstr("nobody listens"));
}

TEST(FutureUnretrievedException, AnAwaitedFutureThatWasDroppedIsReported) {
  const weave::Failure f = FailureOf(FailureKind::kUncaughtException, Runs(100), [] {
    weave::promise<int> p{"dropped"};
    auto drop = [](weave::future<int> fut) -> weave::task<> {
      co_await fut.co_wait();  // sees it is ready, never takes the exception
    };
    auto h = weave::co_spawn("dropper", drop(p.get_future()));
    p.set_exception(std::make_exception_ptr(std::runtime_error("dropped error")));
    h.join();
  });
  EXPECT_THAT(f.message, HasSubstr("dropped error"));
}

TEST(FutureUnretrievedException, AnExceptionRetrievedByGetOrCoAwaitIsNotReported) {
  EXPECT_WEAVE_OK(Runs(200), [] {
    weave::promise<int> a{"a"};
    weave::promise<int> b{"b"};
    weave::future<int> fa = a.get_future();
    weave::future<int> fb = b.get_future();
    auto h = weave::co_spawn("awaiter", AwaitError(fb));
    auto worker = weave::spawn("worker", [&] {
      a.set_exception(std::make_exception_ptr(std::runtime_error("a")));
      b.set_exception(std::make_exception_ptr(std::runtime_error("b")));
    });
    EXPECT_THROW(fa.get(), std::runtime_error);
    EXPECT_EQ(h.join(), "b");
    worker.join();
  });
}

TEST(FutureUnretrievedException, ABrokenPromiseNobodyAskedAboutIsNotReported) {
  EXPECT_WEAVE_OK(Runs(20), [] {
    weave::promise<int> p{"unused"};
    weave::future<int> fut = p.get_future();
    weave::this_task::yield();
  });
}

}  // namespace
