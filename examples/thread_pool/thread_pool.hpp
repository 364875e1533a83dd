// A thread pool written once against a sync policy: production runs it on std's types, the tests
// run the very same class on weave's.
//
// ThreadPool<Sync> keeps a queue of jobs and N worker threads (`typename Sync::thread`) that wait
// on a condition variable for work. submit() queues a job and wakes a worker; shutdown() (or the
// destructor) tells the workers to stop, lets them finish the jobs already queued and joins them.
//
//   ThreadPool<weave::std_sync> pool(4);     // thread_pool_production.cpp: real threads
//   ThreadPool<weave::sim_sync> pool(2);     // thread_pool_fixed.cpp: weave explores it
//   pool.submit([&] { total.fetch_add(1); });
//
// The second template argument says how shutdown() raises the stop flag. The flag is an
// atomic, so it looks safe to set without the mutex (Shutdown::kAtomicFlagWithoutMutex): that is
// the bug. A worker checks the wait predicate under the mutex (queue empty, not stopping) and is
// about to block; in that instant shutdown() sets the flag and notifies, and nobody waits yet, so
// the notify is lost; the worker then blocks for ever and shutdown()'s join() hangs. Production
// hangs on exit, rarely. Setting the flag while holding the mutex
// (Shutdown::kFlagUnderMutex, the default) closes the window: the worker either sees the flag or
// already waits when the notify comes.
//
// This header needs only <weave/sync_policy.hpp>, which includes standard headers only: the
// production program links no weave library.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include <weave/sync_policy.hpp>

namespace pool {

// How shutdown() raises the stop flag.
enum class Shutdown {
  kFlagUnderMutex,          // the fix: under the mutex the workers check it with
  kAtomicFlagWithoutMutex,  // the bug: "it is atomic", but the check-then-wait is not
};

template <weave::sync_policy Sync, Shutdown kShutdown = Shutdown::kFlagUnderMutex>
class ThreadPool {
 public:
  // Starts `workers` threads that wait for jobs.
  explicit ThreadPool(std::size_t workers) {
    workers_.reserve(workers);
    try {
      for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
    } catch (...) {
      shutdown();  // a std::thread that is still joinable would std::terminate
      throw;
    }
  }
  // Calls shutdown() (which has nothing left to do if it was called already).
  ~ThreadPool() { shutdown(); }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `job`; one of the workers runs it. Not after shutdown().
  void submit(std::function<void()> job) {
    {
      std::scoped_lock lock(mutex_);
      queue_.push_back(std::move(job));
    }
    work_or_stop_.notify_one();
  }

  // Lets the workers run every job submitted so far, then stops and joins them. Call it from the
  // thread that owns the pool; a second call does nothing.
  void shutdown() {
    if constexpr (kShutdown == Shutdown::kFlagUnderMutex) {
      std::scoped_lock lock(mutex_);
      stopping_.store(true);
    } else {
      stopping_.store(true);  // BUG: a worker between its check and its wait misses this
    }
    work_or_stop_.notify_all();
    for (auto& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }

 private:
  // A worker: runs jobs until the pool stops and the queue is empty.
  void Work() {
    for (;;) {
      std::unique_lock<typename Sync::mutex> lock(mutex_);
      work_or_stop_.wait(lock, [this] { return stopping_.load() || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job has been taken
      std::function<void()> job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job();
    }
  }

  typename Sync::mutex mutex_;
  typename Sync::condition_variable work_or_stop_;  // a job was queued, or the pool stops
  std::deque<std::function<void()>> queue_;         // guarded by mutex_
  typename Sync::template atomic<bool> stopping_{false};
  std::vector<typename Sync::thread> workers_;  // last: started once everything else exists
};

}  // namespace pool
