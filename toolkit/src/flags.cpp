#include "weave/flags.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "internal/strings.hpp"

namespace weave {

namespace {

absl::Status ApplyFlagImpl(absl::string_view name, absl::string_view value, Options& o);

struct FlagInfo {
  absl::string_view name;
  absl::string_view help;
};

constexpr FlagInfo kFlags[] = {
    {"iterations", "schedules to explore at most (default 1000)"},
    {"seed", "seed of the random strategies (default 1)"},
    {"strategy",
     "portfolio | random | pct[:DEPTH] | pos | cpos | urw | surw | dfs[:DEVIATIONS] | rr (default "
     "portfolio)"},
    {"replay", "replay this schedule file once instead of exploring"},
    {"shard",
     "explore shard I of N (I/N, 0-based): its share of the iterations, with its own seed "
     "(default 0/1; GTEST_SHARD_INDEX and GTEST_TOTAL_SHARDS under WEAVE_TEST)"},
    {"out", "directory for failing schedules (default weave-out)"},
    {"time_budget", "stop exploring after this much wall time, e.g. 30s, 5m (default none)"},
    {"max_steps", "scheduling steps per run before it is a livelock (default 100000)"},
    {"stack_size", "fiber stack size, e.g. 256K, 1M (default 256K)"},
    {"spurious_wakeups",
     "let condition_variable waits wake spuriously: true|false (default false)"},
    {"event_loop",
     "coroutine tasks run as on a single-threaded event loop: no interleaving between two "
     "co_awaits: true|false (default false)"},
    {"fair",
     "a task that yields twice in a row waits until the other runnable tasks have run, so spin "
     "loops around yield() end: true|false (default true)"},
    {"detect_races", "report data races (happens-before): true|false (default true)"},
    {"detect_lock_order",
     "report lock-order inversions (potential deadlocks): true|false (default true)"},
    {"suppress",
     "comma-separated variable, lock or function names whose races and inversions are not "
     "reported (default none)"},
    {"survey",
     "report every distinct data race without stopping, then a table: true|false (default "
     "false)"},
    {"trace",
     "what each run's event log keeps: off | ring (the last --weave_trace_ring events) | full "
     "(default ring; replays trace in full)"},
    {"trace_ring", "events the ring keeps (default 10000)"},
    {"trace_step_stacks",
     "full traces: a stack at every scheduling point, not only where tasks block: true|false "
     "(default false)"},
    {"write_trace",
     "write the trace files even when no schedule fails (a replay's, the last run's): "
     "true|false (default false)"},
    {"progress", "print progress this often on long explorations, 0 to disable (default 10s)"},
    {"watchdog",
     "report a task that runs this long (wall time) without a scheduling point, 0 to disable "
     "(default 2s)"},
    {"minimize",
     "after a failure, shrink its schedule to fewer preemptions and steps and write "
     "NAME.min.schedule: true|false (default true)"},
    {"minimize_time", "wall time shrinking may take, 0 to turn it off (default 10s)"},
    {"minimize_schedule",
     "shrink this failing schedule file instead of exploring; writes FILE.min.schedule (what "
     "`weave minimize` runs)"},
};

// Names and values are quoted with control characters escaped: an error stays one line.
absl::Status Bad(absl::string_view name, absl::string_view value, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("--weave_", detail::EscapeControlCharacters(detail::SV(name)), "=",
                   detail::EscapeControlCharacters(detail::SV(value)), ": expected ", expected));
}

bool ParseBool(absl::string_view v, bool& out) {
  const std::string s = absl::AsciiStrToLower(v);
  if (s == "1" || s == "true" || s == "yes" || s == "on") {
    out = true;
    return true;
  }
  if (s == "0" || s == "false" || s == "no" || s == "off") {
    out = false;
    return true;
  }
  return false;
}

bool ParseSize(absl::string_view v, std::size_t& out) {
  std::uint64_t multiplier = 1;
  if (absl::ConsumeSuffix(&v, "K") || absl::ConsumeSuffix(&v, "k"))
    multiplier = 1024;
  else if (absl::ConsumeSuffix(&v, "M") || absl::ConsumeSuffix(&v, "m"))
    multiplier = std::uint64_t{1024} * 1024;
  std::uint64_t n = 0;
  if (!absl::SimpleAtoi(v, &n) || n > (std::uint64_t{1} << 40) / multiplier) return false;
  out = static_cast<std::size_t>(n * multiplier);
  return true;
}

// A non-negative duration ("10s", "500ms"), or a bare 0 meaning "off".
bool ParseDurationOrZero(absl::string_view v, absl::Duration& out) {
  absl::Duration d;
  if (v == "0") {
    d = absl::ZeroDuration();
  } else if (!absl::ParseDuration(v, &d) || d < absl::ZeroDuration()) {
    return false;
  }
  out = d;
  return true;
}

}  // namespace

namespace {
absl::Status ApplyFlagImpl(absl::string_view name, absl::string_view value, Options& o) {
  if (name == "iterations") {
    std::int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < 1) return Bad(name, value, "a positive integer");
    o.iterations = n;
  } else if (name == "seed") {
    std::uint64_t n = 0;
    if (!absl::SimpleAtoi(value, &n)) return Bad(name, value, "an unsigned 64-bit integer");
    o.seed = n;
  } else if (name == "strategy") {
    absl::StatusOr<Strategy> s = Strategy::Parse(detail::SV(value));
    if (!s.ok()) {
      return Bad(name, value,
                 "one of portfolio, random, pct, pct:DEPTH (1-10), pos, cpos, urw, surw, dfs, "
                 "dfs:DEVIATIONS (0-100), rr");
    }
    o.strategy = *s;
  } else if (name == "shard") {
    std::int64_t index = 0;
    std::int64_t count = 0;
    const std::size_t slash = value.find('/');
    // Digits only: SimpleAtoi would also take " 1" and "+1".
    const auto digits = [](absl::string_view s) {
      return !s.empty() && std::all_of(s.begin(), s.end(), absl::ascii_isdigit);
    };
    if (slash == absl::string_view::npos || !digits(value.substr(0, slash)) ||
        !digits(value.substr(slash + 1)) || !absl::SimpleAtoi(value.substr(0, slash), &index) ||
        !absl::SimpleAtoi(value.substr(slash + 1), &count) || count < 1 || count > 1'000'000 ||
        index < 0 || index >= count) {
      return Bad(name, value, "I/N with 0 <= I < N <= 1000000, such as 0/4");
    }
    o.shard_index = index;
    o.shard_count = count;
  } else if (name == "replay") {
    if (value.empty()) return Bad(name, value, "a schedule file path");
    o.replay_file = std::string(value);
  } else if (name == "out") {
    if (value.empty()) return Bad(name, value, "a directory path");
    o.out_dir = std::string(value);
  } else if (name == "time_budget") {
    absl::Duration d;
    if (!absl::ParseDuration(value, &d) || d <= absl::ZeroDuration()) {
      return Bad(name, value, "a positive duration such as 30s or 5m");
    }
    o.time_budget = d;
  } else if (name == "max_steps") {
    std::int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < 1) return Bad(name, value, "a positive integer");
    o.max_steps = n;
  } else if (name == "stack_size") {
    std::size_t n = 0;
    if (!ParseSize(value, n) || n < std::size_t{16} * 1024) {
      return Bad(name, value, "a size of at least 16K, such as 256K or 1M");
    }
    o.stack_size = n;
  } else if (name == "spurious_wakeups") {
    if (!ParseBool(value, o.spurious_wakeups)) return Bad(name, value, "true or false");
  } else if (name == "event_loop") {
    if (!ParseBool(value, o.event_loop)) return Bad(name, value, "true or false");
  } else if (name == "fair") {
    if (!ParseBool(value, o.fair)) return Bad(name, value, "true or false");
  } else if (name == "detect_races") {
    if (!ParseBool(value, o.detect_races)) return Bad(name, value, "true or false");
  } else if (name == "detect_lock_order") {
    if (!ParseBool(value, o.detect_lock_order)) return Bad(name, value, "true or false");
  } else if (name == "survey") {
    if (!ParseBool(value, o.survey)) return Bad(name, value, "true or false");
  } else if (name == "trace") {
    std::optional<TraceMode> mode = ParseTraceMode(detail::SV(value));
    if (!mode) return Bad(name, value, "off, ring or full");
    o.trace = *mode;
  } else if (name == "trace_ring") {
    std::int64_t n = 0;
    if (!absl::SimpleAtoi(value, &n) || n < 1 || n > 10'000'000) {
      return Bad(name, value, "a number of events between 1 and 10000000");
    }
    o.trace_ring_events = n;
  } else if (name == "trace_step_stacks") {
    if (!ParseBool(value, o.trace_step_stacks)) return Bad(name, value, "true or false");
  } else if (name == "write_trace") {
    if (!ParseBool(value, o.write_trace)) return Bad(name, value, "true or false");
  } else if (name == "suppress") {
    std::vector<std::string> names;
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      part = absl::StripAsciiWhitespace(part);
      if (part.empty()) return Bad(name, value, "comma-separated names, none empty");
      names.emplace_back(part);
    }
    o.suppressions = std::move(names);
  } else if (name == "progress") {
    if (!ParseDurationOrZero(value, o.progress_interval)) {
      return Bad(name, value, "a duration such as 10s, or 0");
    }
  } else if (name == "watchdog") {
    // Below 10ms ordinary preemption by the OS would read as a stall.
    if (!ParseDurationOrZero(value, o.watchdog) ||
        (o.watchdog > absl::ZeroDuration() && o.watchdog < absl::Milliseconds(10))) {
      return Bad(name, value, "a duration of at least 10ms such as 2s or 500ms, or 0 (off)");
    }
  } else if (name == "minimize") {
    if (!ParseBool(value, o.minimize)) return Bad(name, value, "true or false");
  } else if (name == "minimize_time") {
    if (!ParseDurationOrZero(value, o.minimize_time)) {
      return Bad(name, value, "a duration such as 10s or 1m, or 0 (off)");
    }
  } else if (name == "minimize_schedule") {
    if (value.empty()) return Bad(name, value, "a schedule file path");
    o.minimize_schedule = std::string(value);
  } else {
    std::string known;
    for (const FlagInfo& f : kFlags) absl::StrAppend(&known, known.empty() ? "" : ", ", f.name);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown flag --weave_", detail::EscapeControlCharacters(detail::SV(name)),
                     " (known: ", known, "; see --weave_help)"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status ApplyFlag(std::string_view name, std::string_view value, Options& options) {
  return ApplyFlagImpl(detail::AV(name), detail::AV(value), options);
}

absl::Status ApplyEnvironmentAndFlags(std::span<const std::string> args, Options& options) {
  for (const FlagInfo& f : kFlags) {
    const std::string var = absl::StrCat("WEAVE_", absl::AsciiStrToUpper(f.name));
    if (const char* value = std::getenv(var.c_str()); value != nullptr) {
      if (absl::Status s = ApplyFlagImpl(f.name, value, options); !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("environment variable ", var, ": ", s.message()));
      }
    }
  }
  for (const std::string& arg : args) {
    absl::string_view a = arg;
    if (!absl::ConsumePrefix(&a, "--weave_")) continue;
    if (a == "help") continue;
    const std::size_t eq = a.find('=');
    const absl::string_view name = a.substr(0, eq);
    // A bare boolean flag (--weave_event_loop) means true; an empty value (--weave_event_loop=,
    // or WEAVE_EVENT_LOOP set to nothing) is rejected like any other bad value.
    const bool boolean = name == "spurious_wakeups" || name == "event_loop" || name == "fair" ||
                         name == "detect_races" || name == "detect_lock_order" ||
                         name == "survey" || name == "trace_step_stacks" || name == "write_trace" ||
                         name == "minimize";
    const absl::string_view value = eq != absl::string_view::npos ? a.substr(eq + 1)
                                    : boolean                     ? "true"
                                                                  : "";
    if (eq == absl::string_view::npos && !boolean) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--weave_", detail::EscapeControlCharacters(detail::SV(name)), ": expected --weave_",
          detail::EscapeControlCharacters(detail::SV(name)), "=VALUE"));
    }
    if (absl::Status s = ApplyFlagImpl(name, value, options); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool WantsFlagsHelp(std::span<const std::string> args) {
  for (const std::string& a : args) {
    if (a == "--weave_help") return true;
  }
  return false;
}

std::string FlagsHelp() {
  std::string out =
      "weave flags (each also as an environment variable, e.g. WEAVE_ITERATIONS; flags win):\n";
  for (const FlagInfo& f : kFlags) {
    std::string flag = absl::StrCat("  --weave_", f.name, "=...");
    flag.resize(std::max<std::size_t>(flag.size() + 1, 32), ' ');
    absl::StrAppend(&out, flag, f.help, "\n");
  }
  std::string help_flag = "  --weave_help";
  help_flag.resize(32, ' ');
  absl::StrAppend(&out, help_flag, "print this list and exit\n");
  return out;
}

}  // namespace weave
