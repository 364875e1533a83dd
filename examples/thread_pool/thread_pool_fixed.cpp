// The thread pool of thread_pool.hpp as production runs it (Shutdown::kFlagUnderMutex), explored
// by weave under sim_sync: shutdown() sets the stop flag while holding the mutex the workers
// check it under, so a worker either sees the flag or is already waiting when notify_all() comes.
// weave explores 2,000 schedules (as ctest runs it) and finds no failure: every job submitted
// before shutdown() runs, and every worker is joined. thread_pool_production.cpp runs the same
// class with weave::std_sync on real threads.
#include "thread_pool.hpp"

#include <weave/gtest.hpp>
#include <weave/sim_sync.hpp>

// The pool shuts down in its destructor, as it does in production: the joins happen there.
WEAVE_TEST(ThreadPool, ShutdownRunsEveryJobAndJoinsTheWorkers) {
  weave::sim_sync::atomic<int> sum{0, "sum"};
  {
    pool::ThreadPool<weave::sim_sync> workers(2);
    for (int job = 1; job <= 3; ++job) workers.submit([&sum, job] { sum.fetch_add(job); });
  }  // ~ThreadPool: shutdown() and the joins
  EXPECT_EQ(sum.load(), 1 + 2 + 3);
}
