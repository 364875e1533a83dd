// An async cache whose "check, await the fetch, insert" lets two requests fetch the same key.
//
// UserCache<Locking::kNone> (async_cache.hpp) checks the cache, awaits the backend and inserts,
// with other requests running during the await. weave runs the requests as concurrent coroutine
// tasks and reports the schedule in which the backend is called twice for one user.
// async_cache_fixed.cpp runs the same requests against the cache with a lock per user.
#include "async_cache.hpp"

#include <weave/gtest.hpp>

WEAVE_TEST(AsyncCache, EachUserIsFetchedOnce) {
  using namespace std::chrono_literals;
  using async_cache::Request;
  async_cache::ProfileBackend backend;
  async_cache::UserCache<async_cache::Locking::kNone> cache(backend);
  auto a = weave::co_spawn("request-a", Request(cache, 7, 0ms));
  auto b = weave::co_spawn("request-b", Request(cache, 7, 5ms));
  auto c = weave::co_spawn("request-c", Request(cache, 8, 0ms));
  EXPECT_EQ(a.join(), "profile-7");
  EXPECT_EQ(b.join(), "profile-7");
  EXPECT_EQ(c.join(), "profile-8");
  EXPECT_EQ(backend.calls(7), 1) << "user 7 was fetched more than once";
  EXPECT_EQ(backend.calls(8), 1);
}
