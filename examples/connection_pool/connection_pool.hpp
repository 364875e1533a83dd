// A connection pool with a lease whose destructor gives its connection back, written once for
// the buggy and the fixed example (connection_pool_buggy.cpp, connection_pool_fixed.cpp).
//
// ConnectionPool hands out at most kCapacity connections; a request waits for a free one up to a
// timeout (virtual time) and fails if none comes. Lease is the RAII handle a request holds. The
// bug (Release::kAlways): the lease gives its slot back in its destructor whether or not Acquire
// succeeded, so a request that timed out releases a slot that belongs to someone else. From then
// on the pool lets one more request in than it has connections. It only happens when a timeout
// happens, which in tests with a quiet backend is never. The fix (Release::kIfAcquired, the
// default): the lease remembers whether Acquire got a connection and releases only then.
//
//   co_await connection_pool::Request<connection_pool::Release::kAlways>(pool, 3);  // the bug
#pragma once

#include <chrono>

#include <weave/coro.hpp>

namespace connection_pool {

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

// What a Lease gives back when it is destroyed.
enum class Release {
  kIfAcquired,  // the fix: only a connection it got
  kAlways,      // the bug: even after Acquire timed out
};

template <Release kRelease = Release::kIfAcquired>
class Lease {
 public:
  explicit Lease(ConnectionPool& pool) : pool_(pool) {}
  ~Lease() {
    if constexpr (kRelease == Release::kAlways) {
      pool_.Release();  // BUG: releases even when Acquire timed out and nothing was acquired
    } else {
      if (acquired_) pool_.Release();
    }
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

// One request: get a connection (or give up after 30ms), use it for `work`, give it back.
template <Release kRelease>
weave::task<bool> HandleRequest(ConnectionPool& pool, std::chrono::milliseconds work) {
  Lease<kRelease> lease(pool);
  if (!co_await lease.Acquire(30ms)) co_return false;  // the client sees "busy, retry later"
  ++pool.in_use;
  weave::check(pool.in_use <= kCapacity, "more requests hold a connection than the pool has");
  co_await weave::sleep_for(work);
  --pool.in_use;
  co_return true;
}

// Request number i: arrives at 10ms * i and uses its connection for 40, 50 or 60ms.
template <Release kRelease>
weave::task<bool> Request(ConnectionPool& pool, int i) {
  co_await weave::sleep_for(std::chrono::milliseconds(10 * i));
  co_return co_await HandleRequest<kRelease>(pool, std::chrono::milliseconds(40 + 10 * (i % 3)));
}

}  // namespace connection_pool
