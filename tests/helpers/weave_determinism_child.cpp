// A child process for replay_test: explores or replays one buggy body and prints the failure.
//
//   weave_determinism_child explore SEED OUT_DIR   -> writes OUT_DIR/Child.Pipeline.schedule
//   weave_determinism_child replay FILE
// Prints the failure report (deterministic: no wall-clock figures) and exits 0 when a failure was
// found or reproduced, 1 when not, 2 on bad usage.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>

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

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  weave::Options o;
  o.test_name = "Child.Pipeline";
  o.iterations = 5000;
  o.progress_interval = absl::ZeroDuration();
  if (mode == "explore" && argc == 4) {
    o.seed = std::strtoull(argv[2], nullptr, 10);
    o.out_dir = argv[3];
  } else if (mode == "replay" && argc == 3) {
    o.replay_file = argv[2];
  } else {
    std::cerr << "usage: weave_determinism_child explore SEED OUT_DIR | replay FILE\n";
    return 2;
  }
  const weave::Result r = weave::explore(o, Pipeline);
  if (!r.input_error.ok()) {
    std::cerr << r.Summary() << "\n";
    return 2;
  }
  if (r.ok()) return 1;
  std::cout << r.failure();
  return 0;
}
