// weave/weave.hpp: everything a test body needs, in one include.
//
// The simulation (explore, options, results, schedules), fiber tasks (spawn, join_handle,
// this_task), virtual time (clock) and every primitive. Link weave::weave.
//
//   #include <weave/weave.hpp>
//   weave::Result r = weave::explore({}, [] { auto t = weave::spawn("t", [] {}); t.join(); });
//   std::cout << r;
#pragma once

#include "weave/access.hpp"
#include "weave/atomic.hpp"
#include "weave/barrier.hpp"
#include "weave/channel.hpp"
#include "weave/check.hpp"
#include "weave/clock.hpp"
#include "weave/condition_variable.hpp"
#include "weave/event.hpp"
#include "weave/explore.hpp"
#include "weave/failure.hpp"
#include "weave/flags.hpp"
#include "weave/future.hpp"
#include "weave/join_handle.hpp"
#include "weave/latch.hpp"
#include "weave/mutex.hpp"
#include "weave/options.hpp"
#include "weave/result.hpp"
#include "weave/schedule.hpp"
#include "weave/semaphore.hpp"
#include "weave/shared.hpp"
#include "weave/shared_mutex.hpp"
#include "weave/spawn.hpp"
#include "weave/strategy.hpp"
#include "weave/this_task.hpp"
