// An async cache of user profiles in front of a slow backend, written once for the buggy and the
// fixed example (async_cache_buggy.cpp, async_cache_fixed.cpp).
//
// UserCache::Get looks the user up, and on a miss awaits the backend and inserts the answer. The
// bug (Locking::kNone): the check and the insert are separated by a co_await, and other requests
// run during it, so two requests for the same user both miss and both call the backend. On a real
// server this doubles the load on the backend exactly when it is slow (a thundering herd), and it
// passes every unit test that sends one request at a time. The fix (Locking::kPerUser, the
// default): Get takes the user's own lock (co_lock: the request suspends, it blocks no thread)
// before the check and keeps it across the fetch and the insert.
//
//   async_cache::UserCache<async_cache::Locking::kNone> cache(backend);   // the bug
//   std::string profile = co_await cache.Get(7);
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include <weave/coro.hpp>

namespace async_cache {

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

// How Get keeps two requests for one user apart.
enum class Locking {
  kPerUser,  // the fix: a lock per user, held across check, fetch and insert
  kNone,     // the bug: nothing, across a co_await
};

template <Locking kLocking = Locking::kPerUser>
class UserCache {
 public:
  explicit UserCache(ProfileBackend& backend) : backend_(backend) {}

  weave::task<std::string> Get(int user) {
    std::unique_lock<weave::mutex> guard;
    if constexpr (kLocking == Locking::kPerUser) {
      // One lock per user (std::map nodes do not move, so the reference stays valid).
      guard = co_await locks_[user].co_lock();
    }
    if (auto it = profiles_.find(user); it != profiles_.end()) co_return it->second;
    // BUG with Locking::kNone: other requests run while this one awaits the backend; one for the
    // same user misses too and fetches again.
    std::string profile = co_await backend_.Fetch(user);
    profiles_.emplace(user, profile);
    co_return profile;
  }

 private:
  ProfileBackend& backend_;
  std::map<int, std::string> profiles_;
  std::map<int, weave::mutex> locks_;
};

// A request for `user` that arrives after `delay`.
template <class Cache>
weave::task<std::string> Request(Cache& cache, int user, std::chrono::milliseconds delay) {
  co_await weave::sleep_for(delay);
  co_return co_await cache.Get(user);
}

}  // namespace async_cache
