// What every input to weave's readers must satisfy, checked by the libFuzzer targets beside this
// file and, on the inputs the fuzzers once broke, by tests/fuzz_regression_test.cpp.
//
// Each Check* function feeds one input to one reader and returns "" when the reader behaved, or
// what went wrong. Crashes, hangs and sanitizer reports are the fuzzer's to catch; these are the
// properties beyond "does not crash":
//  - a rejection is one line naming the file and the line ("f.schedule:3: expected ..."), with no
//    control character a terminal would act on (the input is quoted in it);
//  - an accepted file written back and read again gives the same text (a round trip);
//  - an accepted trace can be exported (JSON, DOT, HTML, one line per event) without failing.
//
//   std::string problem = weave_fuzz::CheckScheduleReader(bytes);
//   if (!problem.empty()) { report(problem); }
#pragma once

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weave/flags.hpp"
#include "weave/options.hpp"
#include "weave/schedule.hpp"
#include "weave/strategy.hpp"
#include "weave/trace.hpp"
#include "weave/trace_export.hpp"

namespace weave_fuzz {

inline bool HasControlCharacter(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// "" when `message` is one line that starts with "<source>:<line>: ".
inline std::string CheckRejection(std::string_view message, std::string_view source) {
  const std::string shown(message.substr(0, 300));
  if (HasControlCharacter(message)) return "the error holds a control character: " + shown;
  if (message.substr(0, source.size()) != source || message.size() <= source.size() ||
      message[source.size()] != ':') {
    return "the error does not start with the file name: " + shown;
  }
  std::size_t i = source.size() + 1;
  const std::size_t digits_start = i;
  while (i < message.size() && std::isdigit(static_cast<unsigned char>(message[i])) != 0) ++i;
  if (i == digits_start || i + 1 >= message.size() || message[i] != ':' || message[i + 1] != ' ') {
    return "the error does not name the line: " + shown;
  }
  return "";
}

// Reads `input` as a `what` ("schedule", "trace") named `source` with `parse`: "" and the value
// in `accepted` when it passes the rejection and round-trip properties, else what broke.
template <class T, class Parse, class Format>
std::string CheckReader(std::string_view input, std::string_view source, std::string_view what,
                        Parse parse, Format format, std::optional<T>& accepted) {
  absl::StatusOr<T> value = parse(input, source);
  if (!value.ok()) {
    return CheckRejection({value.status().message().data(), value.status().message().size()},
                          source);
  }
  const std::string written = format(*value);
  const absl::StatusOr<T> again = parse(written, source);
  if (!again.ok()) {
    return "an accepted " + std::string(what) +
           ", written back, is rejected: " + std::string(again.status().message());
  }
  if (format(*again) != written) return "the " + std::string(what) + " does not round-trip";
  accepted = *std::move(value);
  return "";
}

inline std::string CheckScheduleReader(std::string_view input) {
  std::optional<weave::Schedule> schedule;
  return CheckReader(input, "fuzz.schedule", "schedule", weave::ParseSchedule,
                     weave::FormatSchedule, schedule);
}

inline std::string CheckTraceReader(std::string_view input) {
  std::optional<weave::Trace> trace;
  const std::string problem =
      CheckReader(input, "fuzz.trace", "trace", weave::ParseTrace, weave::FormatTrace, trace);
  if (!problem.empty() || !trace) return problem;
  // The exporters take any trace the reader accepts.
  static_cast<void>(weave::ToChromeTraceJson(*trace));
  static_cast<void>(weave::ToDot(*trace));
  static_cast<void>(weave::ToHtmlReport(*trace));
  for (const weave::TraceEvent& event : trace->events) {
    const std::string line = trace->Describe(event);
    if (HasControlCharacter(line)) return "an event's line holds a control character";
  }
  return "";
}

// The input is one flag per line, "NAME=VALUE" (as after "--weave_"); a line without '=' is a
// name with an empty value. Every flag is applied to one Options, and strategy values are parsed
// on their own too.
inline std::string CheckFlagParser(std::string_view input) {
  weave::Options options;
  std::size_t start = 0;
  while (start <= input.size()) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    start = end + 1;
    const std::size_t equals = line.find('=');
    const std::string_view name = line.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : line.substr(equals + 1);
    const absl::Status status = weave::ApplyFlag(name, value, options);
    const std::string_view message(status.message().data(), status.message().size());
    if (!status.ok() && (message.empty() || HasControlCharacter(message))) {
      return "a flag error is empty or holds a control character: " +
             std::string(message.substr(0, 300));
    }
    const absl::StatusOr<weave::Strategy> strategy = weave::Strategy::Parse(value);
    if (strategy.ok()) {
      const absl::StatusOr<weave::Strategy> again = weave::Strategy::Parse(strategy->ToString());
      if (!again.ok() || again->ToString() != strategy->ToString()) {
        return "a strategy does not round-trip: " + strategy->ToString();
      }
    } else if (HasControlCharacter(
                   {strategy.status().message().data(), strategy.status().message().size()})) {
      return "a strategy error holds a control character";
    }
  }
  return "";
}

}  // namespace weave_fuzz
