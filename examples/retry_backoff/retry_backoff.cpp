// A client that retries a flaky service with exponential backoff, tested through a 24-hour
// outage in virtual time.
//
// The service is down for its first 24 hours; after that each call may still fail (an
// injected fault: weave::choose(2), so weave explores both outcomes and replays the choice).
// Two clients retry with exponential backoff (1 s doubling, capped at 1 h). Every
// this_task::sleep_for is virtual: when all tasks sleep, weave's clock jumps to the next
// wakeup, so each schedule sleeps through a day in well under a millisecond of wall time.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <weave/gtest.hpp>
#include <weave/weave.hpp>

using namespace std::chrono_literals;

namespace {

class FlakyService {
 public:
  explicit FlakyService(weave::clock::duration outage) : back_at_(weave::clock::now() + outage) {}

  // True when the call succeeds.
  bool call() {
    calls_.fetch_add(1);
    if (weave::clock::now() < back_at_) return false;  // down for maintenance
    return weave::choose(2) == 1;                      // injected fault: connection reset
  }
  int calls() const { return calls_.load(); }

 private:
  const weave::clock::time_point back_at_;
  weave::atomic<int> calls_{0, "calls"};
};

struct RetryPolicy {
  weave::clock::duration initial_backoff = 1s;
  weave::clock::duration max_backoff = 1h;
  int max_attempts = 100;
};

// Calls `service` until it succeeds, sleeping between attempts; returns the attempts made,
// or 0 if it gave up.
int CallWithRetry(FlakyService& service, const RetryPolicy& policy) {
  weave::clock::duration backoff = policy.initial_backoff;
  for (int attempt = 1; attempt <= policy.max_attempts; ++attempt) {
    if (service.call()) return attempt;
    weave::this_task::sleep_for(backoff);
    backoff = std::min(backoff * 2, policy.max_backoff);
  }
  return 0;
}

}  // namespace

WEAVE_TEST(Retry, ClientsRideOutADayLongOutage) {
  const weave::clock::time_point start = weave::clock::now();
  FlakyService service(24h);
  RetryPolicy policy;
  int attempts[2] = {0, 0};

  weave::join_handle a =
      weave::spawn("client-a", [&] { attempts[0] = CallWithRetry(service, policy); });
  weave::join_handle b =
      weave::spawn("client-b", [&] { attempts[1] = CallWithRetry(service, policy); });
  a.join();
  b.join();

  const weave::clock::duration waited = weave::clock::now() - start;
  EXPECT_GT(attempts[0], 0) << "client-a gave up";
  EXPECT_GT(attempts[1], 0) << "client-b gave up";
  EXPECT_GE(waited, 24h) << "no client can succeed before the outage ends";
  EXPECT_LT(waited, 48h) << "backoff is capped at 1h: both should be done a day after the outage";

  static bool shown = false;  // one line for the first schedule, not one per schedule
  if (!shown) {
    shown = true;
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(waited).count();
    std::cout << "first schedule: client-a succeeded on attempt " << attempts[0] << ", client-b on "
              << attempts[1] << ", after " << minutes / 60 << "h" << minutes % 60
              << "m of virtual time (" << service.calls() << " calls)\n";
  }
}
