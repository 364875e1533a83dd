// The thread pool of thread_pool.hpp with its shutdown bug, explored by weave under sim_sync.
//
// ThreadPool<weave::sim_sync, Shutdown::kAtomicFlagWithoutMutex> is the class production would
// run as ThreadPool<weave::std_sync, ...>, unchanged: its threads are weave::threads (real OS
// threads that weave runs one at a time), its mutex, condition variable and atomic are weave's.
// shutdown() sets the atomic stop flag without the mutex; when a worker has just found the
// queue empty and the flag clear but has not blocked yet, shutdown()'s notify_all() wakes
// nobody and the worker then waits for ever. weave reports a deadlock: the body blocked in
// join(), the worker blocked on the condition variable with no task left that could wake it.
// thread_pool_fixed.cpp runs the same test on the fixed pool.
#include "thread_pool.hpp"

#include <weave/gtest.hpp>
#include <weave/sim_sync.hpp>

// The pool shuts down in its destructor, as it does in production: the joins happen there.
WEAVE_TEST(ThreadPool, ShutdownRunsEveryJobAndJoinsTheWorkers) {
  weave::sim_sync::atomic<int> sum{0, "sum"};
  {
    pool::ThreadPool<weave::sim_sync, pool::Shutdown::kAtomicFlagWithoutMutex> workers(2);
    for (int job = 1; job <= 3; ++job) workers.submit([&sum, job] { sum.fetch_add(job); });
  }  // ~ThreadPool: shutdown() and the joins
  EXPECT_EQ(sum.load(), 1 + 2 + 3);
}
