// The connection pool with a lease that gives back only what it acquired.
//
// Lease remembers whether Acquire got a connection and releases only then. The same five
// requests, with timeouts happening in many of the schedules, never find the pool
// oversubscribed: weave explores 10,000 schedules and finds no failure.
#include <chrono>
#include <string>
#include <vector>

#include <weave/coro.hpp>
#include <weave/gtest.hpp>

namespace {

using namespace std::chrono_literals;
constexpr int kCapacity = 2;

class ConnectionPool {
 public:
  // Waits up to `timeout` for a free connection.
  auto TryAcquire(std::chrono::milliseconds timeout) { return slots_.co_try_acquire_for(timeout); }
  void Release() { slots_.release(); }

  // Every request checks this while it uses a connection.
  int in_use = 0;

 private:
  weave::counting_semaphore<> slots_{kCapacity, "pool.slots"};
};

class Lease {
 public:
  explicit Lease(ConnectionPool& pool) : pool_(pool) {}
  ~Lease() {
    if (acquired_) pool_.Release();
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  weave::task<bool> Acquire(std::chrono::milliseconds timeout) {
    acquired_ = co_await pool_.TryAcquire(timeout);
    co_return acquired_;
  }

 private:
  ConnectionPool& pool_;
  bool acquired_ = false;
};

// One request: get a connection (or give up after 30ms), use it, give it back.
weave::task<bool> HandleRequest(ConnectionPool& pool, std::chrono::milliseconds work) {
  Lease lease(pool);
  if (!co_await lease.Acquire(30ms)) co_return false;  // the client sees "busy, retry later"
  ++pool.in_use;
  weave::check(pool.in_use <= kCapacity, "more requests hold a connection than the pool has");
  co_await weave::sleep_for(work);
  --pool.in_use;
  co_return true;
}

}  // namespace

WEAVE_TEST(ConnectionPool, NeverHandsOutMoreConnectionsThanItHas) {
  ConnectionPool pool;
  std::vector<weave::task_handle<bool>> requests;
  for (int i = 0; i < 6; ++i) {
    // Requests arrive 10ms apart and use their connection for 40, 50 or 60ms.
    auto request = [](ConnectionPool& pool, int i) -> weave::task<bool> {
      co_await weave::sleep_for(std::chrono::milliseconds(10 * i));
      co_return co_await HandleRequest(pool, std::chrono::milliseconds(40 + 10 * (i % 3)));
    };
    requests.push_back(weave::co_spawn("request-" + std::to_string(i), request(pool, i)));
  }
  for (auto& r : requests) (void)r.join();
}
