// Hand-built traces for the tests of the trace file, its exporters and the weave command. Real
// traces (recorded by explorations) are tested as well; these pin down every event kind and the
// awkward names (quotes, markup, newlines) an exporter must escape.
#pragma once

#include <string>
#include <utility>

#include "weave/trace.hpp"

namespace weave_test {

inline weave::TraceEvent MakeEvent(std::int64_t step, std::int64_t time_ns, weave::TaskId task,
                                   weave::TraceEventKind kind, weave::TraceOperation op,
                                   std::int32_t object, std::int64_t value,
                                   std::int32_t stack = -1) {
  weave::TraceEvent e;
  e.step = step;
  e.time_ns = time_ns;
  e.task = task;
  e.kind = kind;
  e.operation = op;
  e.object = object;
  e.value = value;
  e.stack = stack;
  return e;
}

// A producer and a consumer share a mutex and a channel; they end in a deadlock on the mutex and
// a join. Every event kind appears at least once. `awkward_names`: names full of characters that
// JSON, DOT and HTML must escape.
inline weave::Trace SampleTrace(bool awkward_names = false) {
  using K = weave::TraceEventKind;
  using Op = weave::TraceOperation;
  weave::Trace t;
  t.test_name = "Sample.Deadlock";
  t.strategy = "random";
  t.seed = 7;
  t.iteration = 3;
  t.schedule_path = "weave-out/Sample.Deadlock.schedule";
  t.replay_command =
      "./sample_test --gtest_filter=Sample.Deadlock "
      "--weave_replay=weave-out/Sample.Deadlock.schedule";
  t.mode = weave::TraceMode::kFull;
  t.steps = 14;
  t.end_time_ns = 2000;
  t.tasks = {{0, "main", "body", weave::kNoTask},
             {1, awkward_names ? "prod\"ucer <b>&amp;\n\\x" : "producer", "fiber", 0},
             {2, awkward_names ? "consumer's {task} -> \"q\"" : "consumer", "coroutine", 0}};
  t.objects = {{0, "mutex", awkward_names ? "m<1>&\"" : "m"},
               {1, "channel", awkward_names ? "jobs\t\"x\"" : "jobs"},
               {2, "shared", ""}};
  weave::TraceStack blocked;
  blocked.frames = {{"produce(Queue&)", "src/producer.cpp", 42, false},
                    {"weave::detail::Block(...)", "", 0, true},
                    {awkward_names ? "run<std::vector<int>>() [with T = \"x\"]" : "run()",
                     "src/main.cpp", 10, false}};
  weave::TraceStack failed;
  failed.frames = {{"consume()", "src/consumer.cpp", 7, false}};
  t.stacks = {blocked, failed};
  t.events = {
      MakeEvent(0, 0, 0, K::kRun, Op::kStart, -1, weave::kNoTask),
      MakeEvent(1, 0, 0, K::kSpawn, Op::kSpawn, -1, 1),
      MakeEvent(2, 0, 0, K::kSpawn, Op::kSpawn, -1, 2),
      MakeEvent(3, 0, 1, K::kRun, Op::kStart, -1, 0),
      MakeEvent(3, 0, 1, K::kPoint, Op::kLock, 0, -1),
      MakeEvent(4, 0, 1, K::kSend, Op::kSend, 1, 0),
      MakeEvent(5, 0, 2, K::kRun, Op::kStart, -1, 1),
      MakeEvent(5, 0, 2, K::kReceive, Op::kReceive, 1, 0),
      MakeEvent(6, 0, 2, K::kPoint, Op::kChoose, -1, 1),
      MakeEvent(7, 0, 2, K::kPoint, Op::kWrite, 2, -1),
      MakeEvent(8, 0, 2, K::kBlock, Op::kSleep, -1, -1),
      MakeEvent(9, 1000, -1, K::kTimeout, Op::kSleep, -1, 2),
      MakeEvent(9, 1000, 2, K::kRun, Op::kStart, -1, 1),
      MakeEvent(10, 1000, 2, K::kPoint, Op::kLock, 0, -1),
      MakeEvent(10, 1000, 2, K::kBlock, Op::kLock, 0, -1, 1),
      MakeEvent(11, 1000, 1, K::kRun, Op::kStart, -1, 2),
      MakeEvent(11, 1000, 1, K::kPoint, Op::kUnlock, 0, -1),
      MakeEvent(11, 1000, 1, K::kWake, Op::kLock, 0, 2),
      MakeEvent(12, 1000, 1, K::kFinish, Op::kFinish, -1, -1),
      MakeEvent(12, 1000, 2, K::kRun, Op::kStart, -1, 1),
      MakeEvent(12, 2000, 0, K::kRun, Op::kStart, -1, 2),
      MakeEvent(13, 2000, 0, K::kJoin, Op::kJoin, -1, 1),
      MakeEvent(13, 2000, 0, K::kBlock, Op::kJoin, -1, 2, 0),
      MakeEvent(14, 2000, 0, K::kFailure, Op::kJoin, -1,
                static_cast<std::int64_t>(weave::FailureKind::kDeadlock), 0),
  };
  weave::TraceFailure f;
  f.kind = weave::FailureKind::kDeadlock;
  f.message = awkward_names ? "deadlock: task 0 <waits> for \"consumer\" & more"
                            : "deadlock: task 0 'main' waits for task 2 'consumer'";
  f.details = "task 0 'main': blocked on join task 2\ntask 2 'consumer': blocked on lock mutex 'm'";
  f.step = 14;
  f.task = 0;
  f.tasks = {0, 2};
  f.objects = {0};
  t.failure = std::move(f);
  return t;
}

}  // namespace weave_test
