// An async cache whose "check, await the fetch, insert" lets two requests fetch the same key.
//
// UserCache::Get looks the user up, and on a miss awaits the backend and inserts the answer. The
// check and the insert are separated by a co_await, and other requests run during it: two
// requests for the same user both miss and both call the backend. On a real server this doubles
// the load on the backend exactly when it is slow (a thundering herd), and it passes every unit
// test that sends one request at a time. weave runs the requests as concurrent coroutine tasks and
// reports the schedule in which the backend is called twice. async_cache_fixed.cpp is the fix.
#include <map>
#include <string>

#include <weave/coro.hpp>
#include <weave/gtest.hpp>

namespace {

using namespace std::chrono_literals;

// A slow remote service that counts its calls.
class ProfileBackend {
 public:
  weave::task<std::string> Fetch(int user) {
    ++calls_[user];
    co_await weave::sleep_for(20ms);  // the network round trip, in virtual time
    co_return "profile-" + std::to_string(user);
  }
  int calls(int user) const {
    auto it = calls_.find(user);
    return it == calls_.end() ? 0 : it->second;
  }

 private:
  std::map<int, int> calls_;
};

class UserCache {
 public:
  explicit UserCache(ProfileBackend& backend) : backend_(backend) {}

  weave::task<std::string> Get(int user) {
    if (auto it = profiles_.find(user); it != profiles_.end()) co_return it->second;
    // BUG: other requests run while this one awaits the backend; one for the same user misses
    // too and fetches again.
    std::string profile = co_await backend_.Fetch(user);
    profiles_.emplace(user, profile);
    co_return profile;
  }

 private:
  ProfileBackend& backend_;
  std::map<int, std::string> profiles_;
};

weave::task<std::string> Request(UserCache& cache, int user, std::chrono::milliseconds delay) {
  co_await weave::sleep_for(delay);
  co_return co_await cache.Get(user);
}

}  // namespace

WEAVE_TEST(AsyncCache, EachUserIsFetchedOnce) {
  ProfileBackend backend;
  UserCache cache(backend);
  auto a = weave::co_spawn("request-a", Request(cache, 7, 0ms));
  auto b = weave::co_spawn("request-b", Request(cache, 7, 5ms));
  auto c = weave::co_spawn("request-c", Request(cache, 8, 0ms));
  EXPECT_EQ(a.join(), "profile-7");
  EXPECT_EQ(b.join(), "profile-7");
  EXPECT_EQ(c.join(), "profile-8");
  EXPECT_EQ(backend.calls(7), 1) << "user 7 was fetched more than once";
  EXPECT_EQ(backend.calls(8), 1);
}
