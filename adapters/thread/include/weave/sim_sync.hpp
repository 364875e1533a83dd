// weave/sim_sync.hpp: weave's models as a sync policy, to test code written against one.
//
// weave::sim_sync has the member names of weave::std_sync (see <weave/sync_policy.hpp>) and names
// weave's models of them: weave::mutex for std::mutex, weave::thread for std::thread,
// weave::clock (virtual time) for std::chrono::steady_clock, and so on. A class template written
// against a policy is tested unchanged by instantiating it with sim_sync inside a simulation.
//
//   WEAVE_TEST(Cache, ConcurrentGets) {
//     Cache<weave::sim_sync> cache;   // production uses Cache<weave::std_sync>
//     weave::sim_sync::thread a([&] { cache.get(1); }), b([&] { cache.get(1); });
//     a.join(); b.join();
//   }
//
// Everything sim_sync names works only inside a simulation (WEAVE_TEST or weave::explore) and
// needs weave linked (weave::weave); production code includes <weave/sync_policy.hpp> only.
// Differences from std_sync that tested code may notice, each weave's on purpose: misuse that std
// punishes with undefined behaviour or std::terminate is a reported failure; condition variables
// may wake spuriously when Options::spurious_wakeups is on; thread::hardware_concurrency() is a
// constant; atomics are sequentially consistent whatever memory order is asked for.
// Determinism: every operation is a scheduling point of the simulation.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <cstddef>

#include "weave/atomic.hpp"
#include "weave/barrier.hpp"
#include "weave/clock.hpp"
#include "weave/condition_variable.hpp"
#include "weave/latch.hpp"
#include "weave/mutex.hpp"
#include "weave/semaphore.hpp"
#include "weave/shared_mutex.hpp"
#include "weave/sync_policy.hpp"
#include "weave/thread.hpp"

namespace weave {

// weave's models: what code written against a policy runs on under test.
struct sim_sync {
  using mutex = weave::mutex;
  using timed_mutex = weave::timed_mutex;
  using shared_mutex = weave::shared_mutex;
  using condition_variable = weave::condition_variable;
  using condition_variable_any = weave::condition_variable_any;
  using thread = weave::thread;
  template <class T>
  using atomic = weave::atomic<T>;
  using clock = weave::clock;
  template <std::ptrdiff_t LeastMaxValue =
                detail::LeastMaxValueOf<weave::counting_semaphore<>>::value>
  using counting_semaphore = weave::counting_semaphore<LeastMaxValue>;
  using binary_semaphore = weave::binary_semaphore;
  using latch = weave::latch;
  template <class CompletionFunction = detail::CompletionOf<weave::barrier<>>::type>
  using barrier = weave::barrier<CompletionFunction>;

  // weave::this_thread: scheduling points and virtual time.
  struct this_thread {
    static void yield() { weave::this_thread::yield(); }
    static thread::id get_id() noexcept { return weave::this_thread::get_id(); }
    template <class Rep, class Period>
    static void sleep_for(std::chrono::duration<Rep, Period> d) {
      weave::this_thread::sleep_for(d);
    }
    template <class Duration>
    static void sleep_until(std::chrono::time_point<clock, Duration> t) {
      weave::this_thread::sleep_until(t);
    }
  };
};

static_assert(sync_policy<sim_sync>);

}  // namespace weave
