// A connection pool whose timeout path gives back a connection it never got.
//
// Lease<Release::kAlways> (connection_pool.hpp) releases its slot in its destructor even when
// Acquire timed out. weave explores the schedules in which the backend is slow enough for a
// request to time out, and reports the request that then finds the pool oversubscribed.
// connection_pool_fixed.cpp runs the same requests with the lease that releases only what it got.
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
                                       connection_pool::Request<Release::kAlways>(pool, i)));
  }
  for (auto& r : requests) (void)r.join();
}
