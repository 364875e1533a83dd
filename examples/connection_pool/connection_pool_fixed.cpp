// The connection pool with a lease that gives back only what it acquired.
//
// Lease<Release::kIfAcquired> (connection_pool.hpp) remembers whether Acquire got a connection
// and releases only then. The same six requests, with timeouts happening in many of the
// schedules, never find the pool oversubscribed: weave explores 10,000 schedules and finds no
// failure.
#include <string>
#include <vector>

#include "connection_pool.hpp"

#include <weave/gtest.hpp>

WEAVE_TEST(ConnectionPool, NeverHandsOutMoreConnectionsThanItHas) {
  using connection_pool::Release;
  connection_pool::ConnectionPool pool;
  std::vector<weave::task_handle<bool>> requests;
  for (int i = 0; i < 6; ++i) {
    requests.push_back(weave::co_spawn("request-" + std::to_string(i),
                                       connection_pool::Request<Release::kIfAcquired>(pool, i)));
  }
  for (auto& r : requests) (void)r.join();
}
