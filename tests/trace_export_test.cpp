// Tests of weave/trace_export.hpp: the Chrome trace JSON and the Graphviz task graph.
//
// The JSON is checked the way Perfetto and chrome://tracing read it: parsed (nlohmann/json), then
// its slices, instants and flow arrows checked against each other. The DOT is checked as text and
// rendered by Graphviz when `dot` is installed.
#include "weave/trace_export.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "trace_fixture.hpp"

#include "weave/trace.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using K = weave::TraceEventKind;
using Op = weave::TraceOperation;
using weave_test::MakeEvent;
using weave_test::SampleTrace;

// --- reading the JSON back

// A timestamp or duration (microseconds with three decimals) in whole nanoseconds.
std::int64_t Ns(const json& micros) { return std::llround(micros.get<double>() * 1000.0); }

json ParseChromeTrace(const weave::Trace& trace) {
  const std::string text = weave::ToChromeTraceJson(trace);
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << "not JSON:\n" << text;
  return doc;
}

std::vector<json> EventsWithPhase(const json& doc, const std::string& ph) {
  std::vector<json> out;
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == ph) out.push_back(e);
  }
  return out;
}

struct Slice {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

// The "running" slices of each track, by tid.
std::map<std::int64_t, std::vector<Slice>> SlicesByTid(const json& doc) {
  std::map<std::int64_t, std::vector<Slice>> out;
  for (const json& e : EventsWithPhase(doc, "X")) {
    const std::int64_t start = Ns(e["ts"]);
    out[e["tid"].get<std::int64_t>()].push_back({start, start + Ns(e["dur"])});
  }
  return out;
}

// Whether a flow end at `ts` on `tid` lies in a slice the way viewers bind it: from the slice's
// start, up to (not including) its end.
bool InsideASlice(const std::map<std::int64_t, std::vector<Slice>>& slices, std::int64_t tid,
                  std::int64_t ts) {
  auto it = slices.find(tid);
  if (it == slices.end()) return false;
  // The last slice starting at or before ts (a track's slices are in order, never overlapping).
  const std::vector<Slice>& list = it->second;
  auto after = std::upper_bound(list.begin(), list.end(), ts,
                                [](std::int64_t t, const Slice& s) { return t < s.start; });
  return after != list.begin() && ts < std::prev(after)->end;
}

// Checks what every viewer relies on: the fields of each event, one "s" and one "f" per flow id,
// each bound inside a running slice of its track, and slices that do not overlap on a track.
// Returns the flows by category.
std::multiset<std::string> ExpectWellFormed(const json& doc) {
  EXPECT_TRUE(doc.is_object());
  EXPECT_EQ(doc["displayTimeUnit"], "ns");
  EXPECT_TRUE(doc["otherData"].is_object());
  EXPECT_TRUE(doc["traceEvents"].is_array());
  std::map<std::int64_t, std::pair<int, int>> flow_ends;  // id -> (starts, finishes)
  std::multiset<std::string> categories;
  const auto slices = SlicesByTid(doc);
  for (const json& e : doc["traceEvents"]) {
    SCOPED_TRACE(e.dump());
    // (Reading a missing key of a const json is undefined: check before reading.)
    bool complete = true;
    for (const char* field : {"ph", "ts", "pid", "tid", "name"}) {
      EXPECT_TRUE(e.contains(field)) << field;
      complete = complete && e.contains(field);
    }
    if (!complete) continue;
    EXPECT_TRUE(e["name"].is_string());
    EXPECT_TRUE(e["ts"].is_number());
    EXPECT_EQ(e["pid"], 1);
    EXPECT_GE(e["tid"].get<std::int64_t>(), 1) << "tid 0 is not a task";
    const std::string ph = e["ph"];
    if (ph == "X") {
      EXPECT_TRUE(e.contains("dur"));
      if (e.contains("dur")) {
        EXPECT_GT(Ns(e["dur"]), 0) << "an empty slice can hold nothing";
      }
    } else if (ph == "i") {
      EXPECT_TRUE(e.contains("s"));
      if (e.contains("s")) {
        EXPECT_THAT(e["s"].get<std::string>(), ::testing::AnyOf("t", "p", "g"));
      }
    } else if (ph == "s" || ph == "f") {
      EXPECT_EQ(e.value("bp", ""), "e");
      EXPECT_TRUE(e.contains("id") && e.contains("cat"));
      if (!e.contains("id") || !e.contains("cat")) continue;
      auto& [starts, finishes] = flow_ends[e["id"].get<std::int64_t>()];
      ++(ph == "s" ? starts : finishes);
      if (ph == "s") categories.insert(e["cat"].get<std::string>());
      EXPECT_TRUE(InsideASlice(slices, e["tid"], Ns(e["ts"])))
          << "a flow end outside every running slice of its track";
    } else {
      EXPECT_EQ(ph, "M");
    }
  }
  for (const auto& [id, ends] : flow_ends) {
    EXPECT_EQ(ends, std::make_pair(1, 1)) << "flow " << id;
  }
  for (const auto& [tid, list] : slices) {
    for (std::size_t k = 1; k < list.size(); ++k) {
      EXPECT_LE(list[k - 1].end, list[k].start) << "overlapping slices on tid " << tid;
    }
  }
  return categories;
}

// --- the Chrome trace

TEST(ChromeTraceJson, ParsesWithTheFieldsViewersNeed) {
  for (bool awkward : {false, true}) {
    SCOPED_TRACE(awkward ? "awkward names" : "plain names");
    const json doc = ParseChromeTrace(SampleTrace(awkward));
    ExpectWellFormed(doc);
    EXPECT_EQ(doc["otherData"]["test"], "Sample.Deadlock");
    EXPECT_EQ(doc["otherData"]["seed"], "7");
  }
}

TEST(ChromeTraceJson, NamesOneTrackPerTaskAndTheProcessAfterTheTest) {
  for (bool awkward : {false, true}) {
    const weave::Trace trace = SampleTrace(awkward);
    const json doc = ParseChromeTrace(trace);
    std::map<std::int64_t, std::vector<std::string>> names;
    std::map<std::int64_t, std::int64_t> sort_index;
    std::vector<std::string> process_names;
    for (const json& e : EventsWithPhase(doc, "M")) {
      if (e["name"] == "thread_name") names[e["tid"]].push_back(e["args"]["name"]);
      if (e["name"] == "thread_sort_index") sort_index[e["tid"]] = e["args"]["sort_index"];
      if (e["name"] == "process_name") process_names.push_back(e["args"]["name"]);
    }
    EXPECT_THAT(process_names, ::testing::ElementsAre("Sample.Deadlock"));
    ASSERT_EQ(names.size(), trace.tasks.size());
    for (weave::TaskId id = 0; id < 3; ++id) {
      EXPECT_THAT(names[id + 1], ::testing::ElementsAre(trace.TaskLabel(id)));
      EXPECT_EQ(sort_index[id + 1], id);
    }
  }
  EXPECT_THAT(weave::ToChromeTraceJson(SampleTrace()),
              HasSubstr(R"("args":{"name":"task 2 'consumer'"})"));
}

TEST(ChromeTraceJson, DrawsASliceFromEachRunUntilTheSwitchOrBlock) {
  const json doc = ParseChromeTrace(SampleTrace());
  auto slices = SlicesByTid(doc);
  // Stamps are virtual ns + step. The consumer (tid 3) runs from step 5 until it sleeps at step
  // 8, from its wake-up at t=1000 (step 9) until it blocks on the mutex at step 10, and from step
  // 12 until main runs at t=2000.
  ASSERT_EQ(slices[3].size(), 3u);
  EXPECT_EQ(slices[3][0].start, 5);
  EXPECT_EQ(slices[3][0].end, 9);
  EXPECT_EQ(slices[3][1].start, 1009);
  EXPECT_EQ(slices[3][1].end, 1011);
  EXPECT_EQ(slices[3][2].start, 1012);
  EXPECT_EQ(slices[3][2].end, 2012);
  // Main (tid 1): until the producer runs; then from t=2000 until it blocks on the join.
  ASSERT_EQ(slices[1].size(), 2u);
  EXPECT_EQ(slices[1][0].start, 0);
  EXPECT_EQ(slices[1][0].end, 3);
  EXPECT_EQ(slices[1][1].start, 2012);
  EXPECT_EQ(slices[1][1].end, 2014);
  // The producer's last slice covers its finish, which shares step 12 with the next run.
  ASSERT_EQ(slices[2].size(), 2u);
  EXPECT_EQ(slices[2][1].start, 1011);
  EXPECT_EQ(slices[2][1].end, 1013);
  for (const json& e : EventsWithPhase(doc, "X")) {
    EXPECT_EQ(e["name"], "running");
    EXPECT_TRUE(e["args"].contains("first_step"));
    EXPECT_TRUE(e["args"].contains("start_time_ns"));
  }
}

TEST(ChromeTraceJson, WritesTimestampsAsExactMicroseconds) {
  weave::Trace trace = SampleTrace();
  const std::string text = weave::ToChromeTraceJson(trace);
  EXPECT_THAT(text, HasSubstr(R"("ph":"X","ts":1.009,"pid":1,"tid":3,"dur":0.002)"));
  EXPECT_THAT(text, HasSubstr(R"("ts":0.000,)"));
  // Far beyond what a double prints exactly with default formatting.
  trace.events = {MakeEvent(5, 123456789012345, 0, K::kRun, Op::kStart, -1, -1),
                  MakeEvent(6, 123456789012345, 0, K::kPoint, Op::kYield, -1, -1)};
  trace.failure.reset();
  const std::string big = weave::ToChromeTraceJson(trace);
  EXPECT_THAT(big, HasSubstr(R"("ts":123456789012.350,)"));
  EXPECT_THAT(big, HasSubstr(R"("ts":123456789012.351,)"));
  EXPECT_THAT(big, Not(HasSubstr("e+")));
}

TEST(ChromeTraceJson, ShowsOperationsAsInstantsOnTheirTasksTracks) {
  const json doc = ParseChromeTrace(SampleTrace());
  std::map<std::string, json> by_name;  // the first instant of each name
  for (const json& e : EventsWithPhase(doc, "i")) by_name.emplace(e["name"], e);
  ASSERT_TRUE(by_name.count("lock mutex 'm' (#0)"));
  EXPECT_EQ(by_name["lock mutex 'm' (#0)"]["tid"], 2);
  EXPECT_EQ(by_name["lock mutex 'm' (#0)"]["args"]["object"], "mutex 'm' (#0)");
  EXPECT_EQ(by_name["lock mutex 'm' (#0)"]["args"]["step"], 3);
  ASSERT_TRUE(by_name.count("block: join task 2 'consumer'"));
  EXPECT_EQ(by_name["block: join task 2 'consumer'"]["tid"], 1);
  // The block's stack: the user's frames only, innermost first.
  EXPECT_EQ(by_name["block: join task 2 'consumer'"]["args"]["stack"],
            json::array({"produce(Queue&) at src/producer.cpp:42", "run() at src/main.cpp:10"}));
  ASSERT_TRUE(by_name.count("send #0 on channel 'jobs' (#1)"));
  ASSERT_TRUE(by_name.count("receive #0 from channel 'jobs' (#1)"));
  ASSERT_TRUE(by_name.count("choose -> 1"));
  ASSERT_TRUE(by_name.count("finish"));
  ASSERT_TRUE(by_name.count("spawn task 1 'producer'"));
  ASSERT_TRUE(by_name.count("join task 1 'producer'"));
  ASSERT_TRUE(by_name.count("wake task 2 'consumer' (lock mutex 'm' (#0))"));
  // A timeout happens to no running task: it shows on the woken task's track, outside its slices.
  ASSERT_TRUE(by_name.count("timeout (sleep)"));
  const json& timeout = by_name["timeout (sleep)"];
  EXPECT_EQ(timeout["tid"], 3);
  EXPECT_EQ(timeout["s"], "t");
  EXPECT_EQ(Ns(timeout["ts"]), 1009);
}

TEST(ChromeTraceJson, PairsEveryFlowInsideRunningSlices) {
  const json doc = ParseChromeTrace(SampleTrace());
  const std::multiset<std::string> categories = ExpectWellFormed(doc);
  EXPECT_EQ(categories, (std::multiset<std::string>{"spawn", "spawn", "message", "wake", "join"}));
  // The join arrow: from the producer's finish (tid 2, step 12) to main's join (tid 1, step 13).
  std::map<std::int64_t, std::vector<json>> by_id;
  for (const json& e : doc["traceEvents"]) {
    if (e["ph"] == "s" || e["ph"] == "f") by_id[e["id"]].push_back(e);
  }
  bool found_join = false;
  for (const auto& [id, ends] : by_id) {
    ASSERT_EQ(ends.size(), 2u);
    EXPECT_EQ(ends[0]["ph"], "s");
    EXPECT_EQ(ends[1]["ph"], "f");
    EXPECT_EQ(ends[0]["name"], ends[1]["name"]);
    EXPECT_EQ(ends[0]["cat"], ends[1]["cat"]);
    EXPECT_LE(Ns(ends[0]["ts"]), Ns(ends[1]["ts"]));
    if (ends[0]["cat"] == "join") {
      found_join = true;
      EXPECT_EQ(ends[0]["tid"], 2);
      EXPECT_EQ(Ns(ends[0]["ts"]), 1012);
      EXPECT_EQ(ends[1]["tid"], 1);
      EXPECT_EQ(Ns(ends[1]["ts"]), 2013);
    }
  }
  EXPECT_TRUE(found_join);
}

TEST(ChromeTraceJson, KeepsEachTracksEventsInTimeOrder) {
  const json doc = ParseChromeTrace(SampleTrace());
  std::map<std::int64_t, std::int64_t> last_instant;  // by tid
  std::map<std::int64_t, std::int64_t> last_slice;
  for (const json& e : doc["traceEvents"]) {
    const std::int64_t tid = e["tid"];
    const std::int64_t ts = Ns(e["ts"]);
    if (e["ph"] == "i" && e["s"] == "t") {
      if (last_instant.count(tid)) {
        EXPECT_LE(last_instant[tid], ts) << e.dump();
      }
      last_instant[tid] = ts;
    } else if (e["ph"] == "X") {
      if (last_slice.count(tid)) {
        EXPECT_LT(last_slice[tid], ts) << e.dump();
      }
      last_slice[tid] = ts;
    }
  }
  EXPECT_EQ(last_slice.size(), 3u);
}

TEST(ChromeTraceJson, ShowsTheFailureOnItsTaskAndForTheWholeProcess) {
  const weave::Trace trace = SampleTrace();
  const json doc = ParseChromeTrace(trace);
  std::vector<json> failures;
  for (const json& e : EventsWithPhase(doc, "i")) {
    if (e["name"] == "FAILURE: deadlock") failures.push_back(e);
  }
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0]["s"], "t");
  EXPECT_EQ(failures[0]["tid"], 1);
  EXPECT_EQ(failures[0]["args"]["message"], trace.failure->message);
  EXPECT_EQ(failures[1]["s"], "p");
  EXPECT_EQ(failures[1]["args"]["message"], trace.failure->message);
  EXPECT_EQ(failures[1]["args"]["details"], trace.failure->details);
  EXPECT_EQ(failures[1]["args"]["tasks"], json::array({"task 0 'main'", "task 2 'consumer'"}));
  EXPECT_EQ(Ns(failures[1]["ts"]), 2014);

  // Without its event (dropped, or a trace written by hand) the failure still shows, at the end.
  weave::Trace without = trace;
  without.events.pop_back();
  std::vector<json> late;
  for (const json& e : EventsWithPhase(ParseChromeTrace(without), "i")) {
    if (e["name"] == "FAILURE: deadlock") late.push_back(e);
  }
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]["s"], "p");
}

TEST(ChromeTraceJson, EscapesNamesAndReplacesBrokenUtf8) {
  weave::Trace trace = SampleTrace(true);
  trace.tasks[0].name = std::string("bad \xC3\x28 \xED\xA0\x80 tail \xE2\x82", 18) + "\x01";
  trace.objects[2].name = "caf\xC3\xA9 \xF0\x9F\x90\x8D";  // valid: kept as is
  const std::string text = weave::ToChromeTraceJson(trace);
  EXPECT_THAT(text, HasSubstr(R"(\u0001)"));
  EXPECT_THAT(text, HasSubstr(R"(prod\"ucer <b>&amp;\n\\x)"));
  EXPECT_THAT(text, HasSubstr(R"(jobs\t\"x\")"));
  const json doc = json::parse(text);  // throws on invalid UTF-8
  ExpectWellFormed(doc);
  std::string main_name;
  for (const json& e : EventsWithPhase(doc, "M")) {
    if (e["name"] == "thread_name" && e["tid"] == 1) main_name = e["args"]["name"];
  }
  EXPECT_EQ(main_name,
            "task 0 'bad \xEF\xBF\xBD( \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD tail "
            "\xEF\xBF\xBD\xEF\xBF\xBD\x01'");
  EXPECT_THAT(text, HasSubstr("caf\xC3\xA9 \xF0\x9F\x90\x8D"));
}

TEST(ChromeTraceJson, ExportsAnEmptyTrace) {
  const json doc = ParseChromeTrace(weave::Trace{});
  ExpectWellFormed(doc);
  EXPECT_TRUE(EventsWithPhase(doc, "X").empty());
}

TEST(ChromeTraceJson, RingTraceWithEarlyEventsDroppedHasOnlyMatchedFlows) {
  const weave::Trace full = SampleTrace();
  for (std::size_t dropped = 0; dropped <= full.events.size(); ++dropped) {
    SCOPED_TRACE(::testing::Message() << dropped << " events dropped");
    weave::Trace ring = full;
    ring.mode = weave::TraceMode::kRing;
    ring.dropped_events = static_cast<std::int64_t>(dropped);
    ring.events.erase(ring.events.begin(),
                      ring.events.begin() + static_cast<std::ptrdiff_t>(dropped));
    const json doc = ParseChromeTrace(ring);
    const std::multiset<std::string> flows = ExpectWellFormed(doc);
    EXPECT_LE(flows.size(), 5u);
    EXPECT_EQ(doc["otherData"]["dropped_events"], std::to_string(dropped));
    const std::string dot = weave::ToDot(ring);
    EXPECT_THAT(dot, HasSubstr("t2 [shape=box"));
  }
}

// Corrupt and unusual traces (ids out of range, time going back, tasks running twice in a row)
// still give JSON that parses with only matched, bound flows.
TEST(ChromeTraceJson, SurvivesCorruptTraces) {
  std::mt19937 random(12345);
  const auto pick = [&](int low, int high) {
    return std::uniform_int_distribution<int>(low, high)(random);
  };
  for (int round = 0; round < 200; ++round) {
    SCOPED_TRACE(::testing::Message() << "round " << round);
    weave::Trace trace = SampleTrace(round % 2 == 0);
    if (round % 3 == 0) trace.failure.reset();
    trace.events.clear();
    std::int64_t step = 0;
    std::int64_t time = 0;
    const int count = pick(0, 60);
    for (int i = 0; i < count; ++i) {
      step += pick(-1, 2);
      time += pick(0, 3) == 0 ? pick(-5, 1000) : 0;
      trace.events.push_back(MakeEvent(step, time, pick(-2, 4), static_cast<K>(pick(0, 10)),
                                       static_cast<Op>(pick(0, 22)), pick(-2, 4), pick(-3, 4),
                                       pick(-2, 2)));
    }
    const std::string text = weave::ToChromeTraceJson(trace);
    const json doc = json::parse(text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << text;
    std::map<std::int64_t, std::pair<int, int>> flow_ends;
    for (const json& e : doc["traceEvents"]) {
      if (e["ph"] == "s") ++flow_ends[e["id"]].first;
      if (e["ph"] == "f") ++flow_ends[e["id"]].second;
    }
    for (const auto& [id, ends] : flow_ends) EXPECT_EQ(ends, std::make_pair(1, 1));
    auto slices = SlicesByTid(doc);
    for (const json& e : doc["traceEvents"]) {
      if (e["ph"] == "s" || e["ph"] == "f") {
        // Linear: a corrupt trace's slices may be out of order.
        const std::vector<Slice>& list = slices[e["tid"].get<std::int64_t>()];
        const std::int64_t ts = Ns(e["ts"]);
        EXPECT_TRUE(std::any_of(list.begin(), list.end(), [&](const Slice& s) {
          return s.start <= ts && ts < s.end;
        })) << e.dump();
      }
    }
    EXPECT_FALSE(weave::ToDot(trace).empty());
  }
}

TEST(ChromeTraceJson, ExportsALongTraceWithAllItsFlows) {
  // Two tasks ping-pong messages on a channel and wake each other: 8,000 steps.
  weave::Trace trace;
  trace.test_name = "Long.PingPong";
  trace.tasks = {{0, "ping", "body", weave::kNoTask}, {1, "pong", "fiber", 0}};
  trace.objects = {{0, "channel", "ball"}};
  constexpr int kRounds = 2000;
  std::int64_t step = 0;
  trace.events.push_back(MakeEvent(step, 0, 0, K::kRun, Op::kStart, -1, -1));
  trace.events.push_back(MakeEvent(++step, 0, 0, K::kSpawn, Op::kSpawn, -1, 1));
  for (int r = 0; r < kRounds; ++r) {
    const weave::TaskId from = r % 2;
    const weave::TaskId to = 1 - from;
    trace.events.push_back(MakeEvent(++step, r, from, K::kSend, Op::kSend, 0, r));
    trace.events.push_back(MakeEvent(step, r, from, K::kWake, Op::kReceive, 0, to));
    trace.events.push_back(MakeEvent(++step, r, from, K::kBlock, Op::kReceive, 0, -1));
    trace.events.push_back(MakeEvent(step, r, to, K::kRun, Op::kStart, -1, from));
    trace.events.push_back(MakeEvent(++step, r, to, K::kReceive, Op::kReceive, 0, r));
    ++step;
  }
  trace.steps = step + 1;
  const json doc = ParseChromeTrace(trace);
  const std::multiset<std::string> flows = ExpectWellFormed(doc);
  EXPECT_EQ(flows.count("message"), static_cast<std::size_t>(kRounds));
  EXPECT_EQ(flows.count("wake"), static_cast<std::size_t>(kRounds));
  EXPECT_EQ(flows.count("spawn"), 1u);
}

// --- the DOT task graph

// The line of `dot` that starts with `prefix` (after indentation), or "".
std::string LineStartingWith(const std::string& dot, const std::string& prefix) {
  std::size_t at = dot.find("\n  " + prefix);
  if (at == std::string::npos) return "";
  at += 3;
  return dot.substr(at, dot.find('\n', at) - at);
}

TEST(Dot, DrawsABoxPerTaskAndAnEllipsePerObjectInUse) {
  weave::Trace trace = SampleTrace();
  trace.objects.push_back({3, "semaphore", "unused"});
  const std::string dot = weave::ToDot(trace);
  EXPECT_THAT(dot, ::testing::StartsWith("digraph weave {\n"));
  EXPECT_THAT(LineStartingWith(dot, "t0 "), HasSubstr(R"(shape=box, label="0: main\nbody")"));
  EXPECT_THAT(LineStartingWith(dot, "t1 "), HasSubstr(R"(label="1: producer\nfiber")"));
  EXPECT_THAT(LineStartingWith(dot, "t2 "), HasSubstr(R"(label="2: consumer\ncoroutine")"));
  EXPECT_THAT(LineStartingWith(dot, "o0 "),
              HasSubstr(R"dot(shape=ellipse, label="mutex 'm' (#0)")dot"));
  EXPECT_THAT(LineStartingWith(dot, "o1 "), HasSubstr(R"dot(label="channel 'jobs' (#1)")dot"));
  EXPECT_THAT(LineStartingWith(dot, "o2 "), HasSubstr(R"(label="shared #2")"));
  EXPECT_EQ(LineStartingWith(dot, "o3 "), "") << "no event touches the semaphore";
}

TEST(Dot, DrawsSpawnJoinWakeMessageAndUsesEdges) {
  const std::string dot = weave::ToDot(SampleTrace());
  EXPECT_THAT(dot, HasSubstr(R"(t0 -> t1 [label="spawn"];)"));
  EXPECT_THAT(dot, HasSubstr(R"(t0 -> t2 [label="spawn"];)"));
  EXPECT_THAT(dot, HasSubstr(R"(t1 -> t0 [label="join", style="dashed"];)"));
  EXPECT_THAT(dot, HasSubstr(R"dot(t1 -> t2 [label="wake: mutex 'm' (#0)", color="blue")dot"));
  EXPECT_THAT(
      dot, HasSubstr(R"dot(t1 -> t2 [label="message: channel 'jobs' (#1)", color="darkgreen")dot"));
  EXPECT_THAT(dot, HasSubstr(R"(t1 -> o0 [label="lock, unlock", color="gray60")"));
  EXPECT_THAT(dot, HasSubstr(R"(t2 -> o2 [label="write", color="gray60")"));
}

TEST(Dot, MergesRepeatedWakesIntoOneCountedEdge) {
  weave::Trace trace = SampleTrace();
  trace.failure.reset();
  const weave::TraceEvent wake = trace.events[17];
  ASSERT_EQ(wake.kind, K::kWake);
  trace.events.insert(trace.events.begin() + 18, {wake, wake});
  const std::string dot = weave::ToDot(trace);
  EXPECT_THAT(dot, HasSubstr(R"dot(t1 -> t2 [label="wake: mutex 'm' (#0) x3")dot"));
  EXPECT_EQ(dot.find("t1 -> t2 [label=\"wake"), dot.rfind("t1 -> t2 [label=\"wake"));
}

TEST(Dot, HighlightsTheFailuresTasksObjectsAndDeadlock) {
  const weave::Trace trace = SampleTrace();
  const std::string dot = weave::ToDot(trace);
  EXPECT_THAT(LineStartingWith(dot, "t0 "), HasSubstr(R"(color="red")"));
  EXPECT_THAT(LineStartingWith(dot, "t2 "), HasSubstr(R"(color="red")"));
  EXPECT_THAT(LineStartingWith(dot, "t2 "), HasSubstr(R"(style="bold")"));
  EXPECT_THAT(LineStartingWith(dot, "t1 "), Not(HasSubstr(R"("red")")));
  EXPECT_THAT(LineStartingWith(dot, "o0 "), HasSubstr(R"(color="red")"));
  EXPECT_THAT(LineStartingWith(dot, "o1 "), Not(HasSubstr(R"("red")")));
  EXPECT_THAT(LineStartingWith(dot, "graph "),
              HasSubstr("FAILURE (deadlock): " + trace.failure->message));
  // What each deadlocked task waits on: main the consumer (a join), the consumer the mutex.
  EXPECT_THAT(dot, HasSubstr(R"(t0 -> t2 [label="waits: join", color="red")"));
  EXPECT_THAT(dot, HasSubstr(R"(t2 -> o0 [label="waits: lock", color="red")"));

  weave::Trace passed = trace;
  passed.failure.reset();
  EXPECT_THAT(weave::ToDot(passed), Not(HasSubstr(R"("red")")));
}

TEST(Dot, EscapesLabels) {
  weave::Trace trace = SampleTrace(true);
  trace.tasks[0].name = "a\\lb\x01";
  const std::string dot = weave::ToDot(trace);
  // A quote and a backslash escaped, a newline as \n, an entity kept literal.
  EXPECT_THAT(LineStartingWith(dot, "t1 "),
              HasSubstr(R"(label="1: prod\"ucer <b>&amp;amp;\n\\x\nfiber")"));
  // \l would be a left-justified line break: it stays a backslash and an l.
  EXPECT_THAT(LineStartingWith(dot, "t0 "), HasSubstr(R"(label="0: a\\lb\\x01\nbody")"));
  EXPECT_THAT(LineStartingWith(dot, "o1 "),
              HasSubstr(R"dot(label="channel 'jobs \"x\"' (#1)")dot"));
  // No raw newline or tab inside any label: one statement per line.
  for (char c : {'\t', '\x01'}) EXPECT_EQ(dot.find(c), std::string::npos);
}

// The SVG group of node `name`: from its <title> to the end of the group.
std::string SvgNode(const std::string& svg, const std::string& name) {
  const std::size_t at = svg.find("<title>" + name + "</title>");
  if (at == std::string::npos) return "";
  return svg.substr(at, svg.find("</g>", at) - at);
}

TEST(Dot, RendersWithGraphviz) {
  const absl::StatusOr<std::string> svg = weave::RenderDotToSvg(weave::ToDot(SampleTrace()));
  if (absl::IsNotFound(svg.status())) {
    GTEST_SKIP() << "Graphviz's dot is not installed: " << svg.status().message();
  }
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, HasSubstr("<svg"));
  for (const char* name : {"main", "producer", "consumer", "mutex &#39;m&#39;"}) {
    EXPECT_THAT(*svg, HasSubstr(name));
  }
  EXPECT_THAT(SvgNode(*svg, "t0"), HasSubstr(R"(stroke="red")"));
  EXPECT_THAT(SvgNode(*svg, "t2"), HasSubstr(R"(stroke="red")"));
  EXPECT_THAT(SvgNode(*svg, "o0"), HasSubstr(R"(stroke="red")"));
  EXPECT_THAT(SvgNode(*svg, "t1"), Not(HasSubstr(R"("red")")));

  // Awkward names render too, exactly as written.
  const absl::StatusOr<std::string> awkward =
      weave::RenderDotToSvg(weave::ToDot(SampleTrace(true)));
  ASSERT_TRUE(awkward.ok()) << awkward.status();
  EXPECT_THAT(*awkward, HasSubstr("&amp;amp;"));
  EXPECT_THAT(*awkward, HasSubstr("\\x"));
}

// --- both

TEST(TraceExport, IsByteIdenticalAcrossCallsAndCopies) {
  for (bool awkward : {false, true}) {
    const weave::Trace trace = SampleTrace(awkward);
    const weave::Trace copy = trace;
    EXPECT_EQ(weave::ToChromeTraceJson(trace), weave::ToChromeTraceJson(trace));
    EXPECT_EQ(weave::ToChromeTraceJson(trace), weave::ToChromeTraceJson(copy));
    EXPECT_EQ(weave::ToDot(trace), weave::ToDot(trace));
    EXPECT_EQ(weave::ToDot(trace), weave::ToDot(copy));
    // And through the .trace file format.
    const absl::StatusOr<weave::Trace> parsed =
        weave::ParseTrace(weave::FormatTrace(trace), "sample");
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(weave::ToChromeTraceJson(*parsed), weave::ToChromeTraceJson(trace));
    EXPECT_EQ(weave::ToDot(*parsed), weave::ToDot(trace));
  }
}

}  // namespace
