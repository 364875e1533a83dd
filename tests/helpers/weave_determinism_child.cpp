// A child process for replay_test: explores or replays one buggy body and prints the failure.
//
//   weave_determinism_child explore SEED OUT_DIR   -> writes OUT_DIR/Child.Pipeline.schedule
//   weave_determinism_child replay FILE
//   weave_determinism_child explore-async SEED OUT_DIR -> OUT_DIR/Child.AsyncPipeline.schedule
//   weave_determinism_child replay-async FILE
//   weave_determinism_child explore-thread SEED OUT_DIR -> OUT_DIR/Child.ThreadPipeline.schedule
//   weave_determinism_child replay-thread FILE
//   weave_determinism_child stress FIRST_SEED COUNT OUT_DIR
//       for each seed: one schedule of a mixed fiber/coroutine/thread body with timers and
//       channels, then a replay of its schedule file; the two traces are compared byte for byte.
//       Prints "seeds N divergences D steps S digest X" (X hashes every schedule and trace) and,
//       for each divergence, its seed. Exit 0 when D == 0.
// Prints the failure report (deterministic: no wall-clock figures) and exits 0 when a failure was
// found or reproduced, 1 when not, 2 on bad usage.
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>

#include "absl/strings/str_replace.h"

#include "weave/coro.hpp"
#include "weave/thread.hpp"
#include "weave/weave.hpp"

namespace {

// A pipeline with fibers, timers, a channel, a mutex, a condition variable, an injected fault and
// a lost update on `processed` (two workers read-modify-write it without the mutex).
void Pipeline() {
  using namespace std::chrono_literals;
  weave::channel<int> jobs{2, "jobs"};
  weave::mutex m{"m"};
  weave::condition_variable done_cv{"done"};
  weave::shared<int> processed{0, "processed"};
  int finished = 0;
  auto worker = [&] {
    while (jobs.receive()) {
      weave::this_task::sleep_for(std::chrono::milliseconds(10));  // equal: wake-ups tie
      processed = processed + 1;                                   // the bug: not under m
    }
    std::scoped_lock lock(m);
    ++finished;
    done_cv.notify_all();
  };
  auto w1 = weave::spawn("worker-1", [&] { worker(); });
  auto w2 = weave::spawn("worker-2", [&] { worker(); });
  auto producer = weave::spawn("producer", [&] {
    for (int i = 0; i < 4; ++i) {
      if (weave::choose(4) == 0) weave::this_task::sleep_for(1s);  // injected delay
      jobs.send(i);
    }
    jobs.close();
  });
  {
    std::unique_lock lock(m);
    done_cv.wait_for(lock, 1h, [&] { return finished == 2; });
  }
  producer.join();
  w1.join();
  w2.join();
  weave::check(processed.load() == 4, "every job is counted once");
}

// The same pipeline with coroutines: coroutine workers in a task_group awaiting a channel, a
// fiber producer, an event, virtual time, an injected fault and a lost update across a co_await.
weave::task<> AsyncWorker(weave::channel<int>& jobs, int& processed) {
  while (auto job = co_await jobs.co_receive()) {
    const int seen = processed;
    co_await weave::sleep_for(std::chrono::milliseconds(10));  // the bug: read, await, write
    processed = seen + 1;
  }
}

void AsyncPipeline() {
  using namespace std::chrono_literals;
  weave::channel<int> jobs{2, "jobs"};
  weave::event started{"started"};
  int processed = 0;
  auto producer = weave::spawn("producer", [&] {
    started.wait();
    for (int i = 0; i < 4; ++i) {
      if (weave::choose(4) == 0) weave::this_task::sleep_for(1s);  // injected delay
      jobs.send(i);
    }
    jobs.close();
  });
  weave::sync_wait([&]() -> weave::task<> {
    weave::task_group workers("workers");
    workers.spawn("worker-1", AsyncWorker(jobs, processed));
    workers.spawn("worker-2", AsyncWorker(jobs, processed));
    started.set();
    co_await workers.wait();
  }());
  producer.join();
  weave::check(processed == 4, "every job is counted once");
}

// The pipeline once more with every kind of task at once: two weave::threads as workers (each
// with thread_local state), a fiber producer and a coroutine that watches the count.
void ThreadPipeline() {
  using namespace std::chrono_literals;
  weave::channel<int> jobs{2, "jobs"};
  weave::shared<int> processed{0, "processed"};
  auto worker = [&] {
    static thread_local int mine = 0;  // fresh on each OS thread
    while (jobs.receive()) {
      ++mine;
      weave::this_thread::sleep_for(std::chrono::milliseconds(10));
      processed = processed + 1;  // the bug: a read-modify-write with no lock
    }
    weave::check(mine <= 4, "thread_local state is per thread");
  };
  weave::thread w1 = weave::thread::named("worker-1", worker);
  weave::thread w2 = weave::thread::named("worker-2", worker);
  auto producer = weave::spawn("producer", [&] {
    for (int i = 0; i < 4; ++i) {
      if (weave::choose(4) == 0) weave::this_task::sleep_for(1s);  // injected delay
      jobs.send(i);
    }
    jobs.close();
  });
  auto watcher = weave::co_spawn("watcher", [](weave::shared<int>& n) -> weave::task<int> {
    co_await weave::sleep_for(500ms);
    co_return n.load();
  }(processed));
  producer.join();
  w1.join();
  w2.join();
  (void)watcher.join();
  weave::check(processed.load() == 4, "every job is counted once");
}

// The stress body: every kind of task, timers and a bounded channel, with work that depends on
// choose() and on the order of deliveries, and a correct result (no bug: every run goes to the
// end, where a final check fails on purpose so that explore writes the schedule and its trace).
void MixedBody() {
  using namespace std::chrono_literals;
  weave::channel<int> jobs{1, "jobs"};
  weave::channel<int> results{4, "results"};
  weave::mutex m{"m"};
  weave::shared<int> total{0, "total"};
  auto fiber_worker = weave::spawn("fiber-worker", [&] {
    while (auto job = jobs.receive()) {
      weave::this_task::sleep_for(std::chrono::milliseconds(1 + *job % 3));
      std::scoped_lock lock(m);
      total = total + *job;
      results.send(*job);
    }
  });
  weave::thread thread_worker = weave::thread::named("thread-worker", [&] {
    while (auto job = jobs.receive()) {
      weave::this_thread::sleep_for(std::chrono::milliseconds(2));
      std::scoped_lock lock(m);
      total = total + *job;
      results.send(*job);
    }
  });
  auto coroutine = weave::co_spawn("co-collector", [](weave::channel<int>& in) -> weave::task<int> {
    int sum = 0;
    for (int i = 0; i < 4; ++i) {
      auto value = co_await in.co_receive();
      if (!value) break;
      sum += *value;
      co_await weave::sleep_for(std::chrono::microseconds(500));
    }
    co_return sum;
  }(results));
  for (int i = 1; i <= 4; ++i) {
    if (weave::choose(3) == 0) weave::this_task::sleep_for(1ms);
    jobs.send(i);
  }
  jobs.close();
  fiber_worker.join();
  thread_worker.join();
  const int collected = coroutine.join();
  weave::check(collected == 10 && total.load() == 10, "every job is counted once");
  weave::check(false, "end of the stress run");
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int Stress(std::uint64_t first, std::uint64_t count, const std::string& out_dir) {
  std::uint64_t digest = 0xcbf29ce484222325;  // FNV-1a over every schedule and trace
  const auto mix = [&](const std::string& text) {
    for (const char c : text) digest = (digest ^ static_cast<unsigned char>(c)) * 0x100000001b3;
  };
  std::uint64_t divergences = 0;
  std::int64_t steps = 0;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    weave::Options o;
    o.test_name = "Child.Stress";
    o.seed = seed;
    o.iterations = 1;
    o.trace = weave::TraceMode::kFull;
    o.minimize = false;
    o.out_dir = out_dir;
    o.progress_interval = absl::ZeroDuration();
    const weave::Result explored = weave::explore(o, MixedBody);
    const std::string schedule_path = out_dir + "/Child.Stress.schedule";
    const std::string trace_path = out_dir + "/Child.Stress.trace";
    const std::string schedule = ReadWhole(schedule_path);
    const std::string trace = ReadWhole(trace_path);
    // Gone before the replay, so that a replay that writes no trace cannot pass for one that
    // wrote the same.
    std::remove(trace_path.c_str());
    weave::Options replay = o;
    replay.replay_file = schedule_path;
    const weave::Result replayed = weave::explore(replay, MixedBody);
    const bool same = !explored.ok() && !replayed.ok() && !trace.empty() &&
                      explored.failure().message == "weave::check failed: end of the stress run" &&
                      replayed.failure().message == explored.failure().message &&
                      replayed.failure().step == explored.failure().step &&
                      ReadWhole(trace_path) == trace;
    if (!same) {
      ++divergences;
      std::cout << "divergence at seed " << seed << "\n";
    }
    steps += explored.total_steps;
    mix(schedule);
    // The trace names its schedule file (and the replay command does): the one part that depends
    // on OUT_DIR, which differs between two children running at once.
    mix(absl::StrReplaceAll(trace, {{out_dir, "OUT_DIR"}}));
  }
  std::printf("seeds %" PRIu64 " divergences %" PRIu64 " steps %" PRId64 " digest %016" PRIx64 "\n",
              count, divergences, steps, digest);
  return divergences == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "stress") {
    if (argc != 5) {
      std::cerr << "usage: weave_determinism_child stress FIRST_SEED COUNT OUT_DIR\n";
      return 2;
    }
    return Stress(std::strtoull(argv[2], nullptr, 10), std::strtoull(argv[3], nullptr, 10),
                  argv[4]);
  }
  weave::Options o;
  o.test_name = "Child.Pipeline";
  o.iterations = 5000;
  o.progress_interval = absl::ZeroDuration();
  void (*body)() = Pipeline;
  if (mode.ends_with("-async")) {
    o.test_name = "Child.AsyncPipeline";
    body = AsyncPipeline;
  } else if (mode.ends_with("-thread")) {
    o.test_name = "Child.ThreadPipeline";
    body = ThreadPipeline;
  }
  if (mode.starts_with("explore") && argc == 4) {
    o.seed = std::strtoull(argv[2], nullptr, 10);
    o.out_dir = argv[3];
  } else if (mode.starts_with("replay") && argc == 3) {
    o.replay_file = argv[2];
  } else {
    std::cerr << "usage: weave_determinism_child explore[-async|-thread] SEED OUT_DIR | "
                 "replay[-async|-thread] FILE\n";
    return 2;
  }
  const weave::Result r = weave::explore(o, body);
  if (!r.input_error.ok()) {
    std::cerr << r.Summary() << "\n";
    return 2;
  }
  if (r.ok()) return 1;
  std::cout << r.failure();
  return 0;
}
