// The async cache with one lock per user: a request for a user that is being fetched waits.
//
// UserCache::Get takes the user's own lock (co_lock: the request suspends, it blocks no thread)
// before the check, and keeps it across the fetch and the insert: a second request for the same
// user waits and then finds the profile cached. Requests for other users are not held up. weave
// explores 10,000 schedules and finds no double fetch.
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
    // One lock per user (std::map nodes do not move, so the reference stays valid).
    auto guard = co_await locks_[user].co_lock();
    if (auto it = profiles_.find(user); it != profiles_.end()) co_return it->second;
    std::string profile = co_await backend_.Fetch(user);
    profiles_.emplace(user, profile);
    co_return profile;
  }

 private:
  ProfileBackend& backend_;
  std::map<int, std::string> profiles_;
  std::map<int, weave::mutex> locks_;
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
