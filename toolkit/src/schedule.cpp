#include "weave/schedule.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "internal/file_io.hpp"
#include "internal/line_parser.hpp"
#include "internal/strings.hpp"

namespace weave {

void Schedule::Clear() {
  decisions_.clear();
  runnable_pool_.clear();
  last_set_offset_ = 0;
  last_set_size_ = ~std::size_t{0};
  last_set_fingerprint_ = 0;
}

void Schedule::AddSummarizedTaskDecision(TaskId picked, std::size_t size,
                                         std::uint64_t fingerprint) {
  Decision d;
  d.value = static_cast<std::uint64_t>(picked);
  d.bound = size;
  d.runnable_offset = static_cast<std::uint32_t>(runnable_pool_.size());
  runnable_pool_.push_back(static_cast<TaskId>(fingerprint >> 32));
  runnable_pool_.push_back(static_cast<TaskId>(fingerprint & 0xFFFFFFFFu));
  last_set_size_ = ~std::size_t{0};  // the next decision stores its own set
  decisions_.push_back(d);
}

void Schedule::AddChoiceDecision(std::uint64_t value, std::uint64_t n) {
  Decision d;
  d.kind = Decision::Kind::kChoice;
  d.value = value;
  d.bound = n;
  decisions_.push_back(d);
}

bool operator==(const Schedule& a, const Schedule& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Decision& x = a.decision(i);
    const Decision& y = b.decision(i);
    if (x.kind != y.kind || x.value != y.value || x.bound != y.bound) return false;
    if (x.kind == Decision::Kind::kTask) {
      auto rx = a.runnable(x);
      auto ry = b.runnable(y);
      if (!std::equal(rx.begin(), rx.end(), ry.begin(), ry.end())) return false;
      if (!Schedule::Listed(x) && a.fingerprint(x) != b.fingerprint(y)) return false;
    }
  }
  return a.test_name == b.test_name && a.strategy == b.strategy && a.seed == b.seed &&
         a.iteration == b.iteration && a.max_steps == b.max_steps &&
         a.spurious_wakeups == b.spurious_wakeups && a.event_loop == b.event_loop &&
         a.fair == b.fair && a.failure == b.failure;
}

std::string FormatTaskSet(std::span<const TaskId> ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (!out.empty()) out += ',';
    absl::StrAppend(&out, ids[i]);
    if (j > i) absl::StrAppend(&out, "-", ids[j]);
    i = j + 1;
  }
  return out;
}

std::string FormatTaskSet(const Schedule& schedule, const Decision& d) {
  if (Schedule::Listed(d)) return FormatTaskSet(schedule.runnable(d));
  return absl::StrFormat("#%d:%016x", d.bound, schedule.fingerprint(d));
}

std::string FormatSchedule(const Schedule& s) {
  std::string out;
  absl::StrAppend(&out, "weave-schedule ", Schedule::kFormatVersion, "\n");
  absl::StrAppend(&out, "test ", absl::CEscape(s.test_name), "\n");
  absl::StrAppend(&out, "strategy ", absl::CEscape(s.strategy), "\n");
  absl::StrAppend(&out, "seed ", s.seed, "\n");
  absl::StrAppend(&out, "iteration ", s.iteration, "\n");
  absl::StrAppend(&out, "max-steps ", s.max_steps, "\n");
  absl::StrAppend(&out, "spurious-wakeups ", s.spurious_wakeups ? 1 : 0, "\n");
  // Optional, so that files of runs without it read the same as before it existed.
  if (s.event_loop) absl::StrAppend(&out, "event-loop 1\n");
  if (!s.fair) absl::StrAppend(&out, "fair 0\n");
  absl::StrAppend(&out, "failure ", s.failure ? detail::AV(FailureKindName(*s.failure)) : "none",
                  "\n");
  absl::StrAppend(&out, "message ", absl::CEscape(s.failure_message), "\n");
  absl::StrAppend(&out, "decisions ", s.size(), "\n");
  absl::StrAppend(&out, "# t <picked task> <runnable tasks> | c <value> <n of choose(n)>\n");
  for (std::size_t i = 0; i < s.size(); ++i) {
    const Decision& d = s.decision(i);
    if (d.kind == Decision::Kind::kTask) {
      absl::StrAppend(&out, "t ", d.value, " ", FormatTaskSet(s, d), "\n");
    } else {
      absl::StrAppend(&out, "c ", d.value, " ", d.bound, "\n");
    }
  }
  out += "end\n";
  return out;
}

namespace {

// Parses a listed set; fails on a set of more than Schedule::kMaxListedSet tasks before it
// expands it, so a hostile line cannot make it allocate much.
bool ParseTaskSet(absl::string_view text, std::vector<TaskId>& out) {
  out.clear();
  if (text.empty()) return false;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::pair<absl::string_view, absl::string_view> range = absl::StrSplit(part, '-');
    TaskId lo = 0;
    TaskId hi = 0;
    if (!absl::SimpleAtoi(range.first, &lo) || lo < 0) return false;
    hi = lo;
    if (!range.second.empty() && (!absl::SimpleAtoi(range.second, &hi) || hi < lo)) return false;
    if (!out.empty() && lo <= out.back()) return false;  // strictly ascending
    if (static_cast<std::size_t>(hi - lo) >= Schedule::kMaxListedSet - out.size()) return false;
    for (TaskId id = lo; id <= hi; ++id) out.push_back(id);
  }
  return true;
}

}  // namespace

absl::StatusOr<Schedule> ParseSchedule(std::string_view text_in, std::string_view source_in) {
  const absl::string_view text = detail::AV(text_in);
  detail::LineParser p(text, detail::AV(source_in));
  Schedule s;
  const std::string header = absl::StrCat("weave-schedule ", Schedule::kFormatVersion);
  auto first = p.Next(absl::StrCat("'", header, "'"));
  if (!first.ok()) return first.status();
  {
    absl::string_view l = *first;
    int version = 0;
    if (!absl::ConsumePrefix(&l, "weave-schedule ") || !absl::SimpleAtoi(l, &version)) {
      return p.Error(absl::StrCat("'", header, "' (is this a weave schedule file?)"), *first);
    }
    if (version != Schedule::kFormatVersion) {
      return p.Error(absl::StrCat("format version ", Schedule::kFormatVersion,
                                  " (this build reads only that version)"),
                     *first);
    }
  }
  auto test = p.TextField("test");
  if (!test.ok()) return test.status();
  s.test_name = *test;
  auto strategy = p.TextField("strategy");
  if (!strategy.ok()) return strategy.status();
  s.strategy = *strategy;
  auto seed = p.IntField<std::uint64_t>("seed");
  if (!seed.ok()) return seed.status();
  s.seed = *seed;
  auto iteration = p.IntField<std::int64_t>("iteration");
  if (!iteration.ok()) return iteration.status();
  s.iteration = *iteration;
  auto max_steps = p.IntField<std::int64_t>("max-steps");
  if (!max_steps.ok()) return max_steps.status();
  if (*max_steps <= 0) return p.Error("a positive max-steps", p.current_line());
  s.max_steps = *max_steps;
  auto spurious = p.IntField<int>("spurious-wakeups");
  if (!spurious.ok()) return spurious.status();
  if (*spurious != 0 && *spurious != 1) return p.Error("spurious-wakeups 0 or 1", p.current_line());
  s.spurious_wakeups = *spurious == 1;
  if (p.PeekStartsWith("event-loop ")) {
    auto event_loop = p.IntField<int>("event-loop");
    if (!event_loop.ok()) return event_loop.status();
    if (*event_loop != 0 && *event_loop != 1) {
      return p.Error("event-loop 0 or 1", p.current_line());
    }
    s.event_loop = *event_loop == 1;
  }
  if (p.PeekStartsWith("fair ")) {
    auto fair = p.IntField<int>("fair");
    if (!fair.ok()) return fair.status();
    if (*fair != 0 && *fair != 1) return p.Error("fair 0 or 1", p.current_line());
    s.fair = *fair == 1;
  }
  auto failure = p.Field("failure");
  if (!failure.ok()) return failure.status();
  if (*failure != "none") {
    s.failure = ParseFailureKind(detail::SV(*failure));
    if (!s.failure) {
      return p.Error("a failure kind (none, assertion, deadlock, ...)", p.current_line());
    }
  }
  auto message = p.TextField("message");
  if (!message.ok()) return message.status();
  s.failure_message = *message;
  auto count = p.IntField<std::int64_t>("decisions");
  if (!count.ok()) return count.status();
  if (*count < 0 || *count > 100'000'000) return p.Error("a decision count", p.current_line());

  std::vector<TaskId> set;
  for (std::int64_t i = 0; i < *count; ++i) {
    auto line = p.Next(absl::StrCat("decision ", i + 1, " of ", *count));
    if (!line.ok()) return line.status();
    std::vector<absl::string_view> f = absl::StrSplit(*line, ' ');
    if (f.size() == 3 && f[0] == "t" && absl::StartsWith(f[2], "#")) {
      // A large set, by size and fingerprint: "#<size>:<16 hex digits>".
      TaskId picked = 0;
      std::size_t size = 0;
      std::uint64_t fingerprint = 0;
      const std::size_t colon = f[2].find(':');
      if (!absl::SimpleAtoi(f[1], &picked) || picked < 0 || colon == absl::string_view::npos ||
          !absl::SimpleAtoi(f[2].substr(1, colon - 1), &size) || size <= Schedule::kMaxListedSet ||
          f[2].size() - colon - 1 != 16 ||
          !absl::c_all_of(f[2].substr(colon + 1), absl::ascii_isxdigit) ||
          !absl::SimpleHexAtoi(f[2].substr(colon + 1), &fingerprint)) {
        return p.Error(
            absl::StrCat("'t <task> #<size above ", Schedule::kMaxListedSet, ">:<16 hex digits>'"),
            *line);
      }
      s.AddSummarizedTaskDecision(picked, size, fingerprint);
    } else if (f.size() == 3 && f[0] == "t") {
      TaskId picked = 0;
      if (!absl::SimpleAtoi(f[1], &picked) || picked < 0 || !ParseTaskSet(f[2], set)) {
        return p.Error(absl::StrCat("'t <task> <ascending task set like 0-2,5, of at most ",
                                    Schedule::kMaxListedSet,
                                    " tasks (larger ones are written #<size>:<fingerprint>)>'"),
                       *line);
      }
      if (!std::binary_search(set.begin(), set.end(), picked)) {
        return p.Error("a picked task that is in the runnable set", *line);
      }
      s.AddTaskDecision(picked, set);
    } else if (f.size() == 3 && f[0] == "c") {
      std::uint64_t value = 0;
      std::uint64_t n = 0;
      if (!absl::SimpleAtoi(f[1], &value) || !absl::SimpleAtoi(f[2], &n) || n == 0 || value >= n) {
        return p.Error("'c <value> <n>' with value < n", *line);
      }
      s.AddChoiceDecision(value, n);
    } else {
      return p.Error("a decision 't <task> <set>' or 'c <value> <n>'", *line);
    }
  }
  auto end = p.Next("'end'");
  if (!end.ok()) return end.status();
  if (*end != "end") {
    return p.Error(absl::StrCat("'end' after ", *count, " decisions"), *end);
  }
  return s;
}

absl::StatusOr<Schedule> ReadScheduleFile(const std::string& path) {
  absl::StatusOr<std::string> text = detail::ReadWholeFile(path, "schedule file");
  if (!text.ok()) return text.status();
  return ParseSchedule(*text, path);
}

absl::Status WriteScheduleFile(const Schedule& schedule, const std::string& path) {
  return detail::WriteFileAtomically(path, FormatSchedule(schedule));
}

}  // namespace weave
