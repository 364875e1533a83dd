// The thread pool of thread_pool.hpp in a plain program: ThreadPool<weave::std_sync>, the class
// weave tested in thread_pool_fixed.cpp, here on std::thread, std::mutex and
// std::condition_variable. It includes <weave/sync_policy.hpp> (standard headers only) through
// thread_pool.hpp and links no weave library: no simulation is involved.
//
// It counts the primes below 2,000,000 in 200 jobs on a pool of hardware_concurrency() workers
// (at least 2), checks the total against a count made on this thread alone, then starts and
// shuts down 500 small pools, the path the bug was on. Exits 0 when every count is right.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>

#include "thread_pool.hpp"

namespace {

bool IsPrime(std::int64_t n) {
  if (n < 2) return false;
  for (std::int64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

std::int64_t CountPrimes(std::int64_t from, std::int64_t to) {
  std::int64_t count = 0;
  for (std::int64_t n = from; n < to; ++n) count += IsPrime(n) ? 1 : 0;
  return count;
}

}  // namespace

int main() {
  using Pool = pool::ThreadPool<weave::std_sync>;
  constexpr std::int64_t kLimit = 2'000'000;
  constexpr std::int64_t kJobs = 200;
  constexpr std::int64_t kChunk = kLimit / kJobs;
  const unsigned workers = std::max(2u, weave::std_sync::thread::hardware_concurrency());

  std::atomic<std::int64_t> primes{0};
  {
    Pool pool(workers);
    for (std::int64_t job = 0; job < kJobs; ++job) {
      pool.submit(
          [&primes, job] { primes.fetch_add(CountPrimes(job * kChunk, (job + 1) * kChunk)); });
    }
  }  // ~ThreadPool: runs what is queued, stops the workers, joins them
  const std::int64_t expected = CountPrimes(0, kLimit);
  std::printf("thread pool of %u workers: %lld primes below %lld in %lld jobs (one thread: %lld)\n",
              workers, static_cast<long long>(primes.load()), static_cast<long long>(kLimit),
              static_cast<long long>(kJobs), static_cast<long long>(expected));

  // Shutdown, again and again: each pool gets a few jobs and is destroyed at once.
  constexpr int kPools = 500;
  std::atomic<int> ran{0};
  for (int i = 0; i < kPools; ++i) {
    Pool pool(2);
    for (int job = 0; job < 3; ++job) pool.submit([&ran] { ran.fetch_add(1); });
  }
  std::printf("%d pools started and shut down: %d of %d jobs ran\n", kPools, ran.load(),
              kPools * 3);

  const bool ok = primes.load() == expected && ran.load() == kPools * 3;
  std::printf("%s\n", ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
