#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest-spi.h"

#include "weave/detail/runtime.hpp"
#include "weave/gtest.hpp"

namespace weave::gtest {
namespace {

// Routes gtest results produced during an exploration: failures inside a simulation fail the
// current schedule; anything else is kept and re-reported to gtest when the exploration ends.
class AssertionRouter : public ::testing::ScopedFakeTestPartResultReporter {
 public:
  AssertionRouter() : ScopedFakeTestPartResultReporter(INTERCEPT_ONLY_CURRENT_THREAD, &unused_) {}
  ~AssertionRouter() override {
    for (const ::testing::TestPartResult& r : outside_) {
      if (r.failed()) {
        ADD_FAILURE_AT(r.file_name() != nullptr ? r.file_name() : "unknown",
                       r.line_number() > 0 ? r.line_number() : 0)
            << r.message();
      }
    }
  }

  void ReportTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    if (!weave::detail::InSimulation()) {
      outside_.push_back(result);
      return;
    }
    const std::string message = result.message();
    // One line for the summary: gtest's message with its line breaks and indentation folded.
    std::string one_line;
    for (absl::string_view piece : absl::StrSplit(message, '\n', absl::SkipWhitespace())) {
      absl::StrAppend(&one_line, one_line.empty() ? "" : " ", absl::StripAsciiWhitespace(piece));
    }
    if (one_line.size() > 240) one_line = absl::StrCat(one_line.substr(0, 237), "...");
    SourcePosition where;
    if (result.file_name() != nullptr) where = {result.file_name(), result.line_number()};
    weave::detail::ReportFailure(
        FailureKind::kAssertion,
        absl::StrCat(result.fatally_failed() ? "fatal " : "", "gtest assertion failed: ", one_line),
        message.find('\n') != std::string::npos ? message : "", where, /*stop_now=*/false);
  }

 private:
  ::testing::TestPartResultArray unused_;
  std::vector<::testing::TestPartResult> outside_;
};

std::string ShellQuote(std::string_view s) {
  const bool plain =
      !s.empty() && s.find_first_not_of(
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                        "OPQRSTUVWXYZ0123456789_-./=:,+@%") == std::string_view::npos;
  if (plain) return std::string(s);
  const bool controls = std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7f;
  });
  if (controls) {
    // Bash's $'...' quoting: the command stays on one line, and a terminal shows no raw control
    // character (a line break or an escape sequence in a test's name).
    std::string out = "$'";
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\\' || c == '\'') {
        out += '\\';
        out += c;
      } else if (u < 0x20 || u == 0x7f) {
        out += absl::StrFormat("\\x%02x", u);
      } else {
        out += c;
      }
    }
    return out + "'";
  }
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

class GTestObserver : public weave::detail::ExplorationObserver {
 public:
  void OnExplorationBegin(const Options& /*options*/) override {
    // Only inside a running gtest test; a plain program that links weave::gtest is unaffected.
    if (::testing::UnitTest::GetInstance()->current_test_info() == nullptr) {
      routers_.push_back(nullptr);
      return;
    }
    routers_.push_back(std::make_unique<AssertionRouter>());
  }
  void OnExplorationEnd() override {
    if (!routers_.empty()) routers_.pop_back();
  }
  std::string ReplayCommand(const std::string& test_name,
                            const std::string& schedule_path) override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    if (info == nullptr) return {};
    const std::vector<std::string> argv = ::testing::internal::GetArgvs();
    const std::string program = argv.empty() ? "<test binary>" : argv[0];
    return absl::StrCat(ShellQuote(program), " ", ShellQuote("--gtest_filter=" + test_name), " ",
                        ShellQuote("--weave_replay=" + schedule_path));
  }

 private:
  std::vector<std::unique_ptr<AssertionRouter>> routers_;
};

// GoogleTest sharding, taken over. gtest would run each test on one shard only; weave instead
// runs every test on every shard and splits each exploration's iterations and seeds among them
// (Options::shard_index), so one WEAVE_TEST is explored on all the machines. Read, and removed
// from the environment, before main() runs (gtest reads it in RUN_ALL_TESTS). Plain TESTs then
// run on every shard too. Bazel's GTEST_SHARD_STATUS_FILE is touched, as gtest would, to say the
// binary supports sharding.
struct GTestSharding {
  bool active = false;
  std::int64_t index = 0;
  std::int64_t count = 1;
  std::string error;  // a malformed pair: reported by every WEAVE_TEST
};

GTestSharding TakeOverGTestSharding() {
  GTestSharding sharding;
  const char* total = std::getenv("GTEST_TOTAL_SHARDS");
  const char* index = std::getenv("GTEST_SHARD_INDEX");
  if (total == nullptr && index == nullptr) return sharding;
  std::int64_t count = 0;
  std::int64_t i = 0;
  if (total == nullptr || index == nullptr || !absl::SimpleAtoi(total, &count) ||
      !absl::SimpleAtoi(index, &i) || count < 1 || i < 0 || i >= count) {
    // Left to gtest, which rejects it with its own message.
    sharding.error = absl::StrCat("GTEST_TOTAL_SHARDS=", total == nullptr ? "(unset)" : total,
                                  " GTEST_SHARD_INDEX=", index == nullptr ? "(unset)" : index,
                                  ": expected 0 <= GTEST_SHARD_INDEX < GTEST_TOTAL_SHARDS");
    return sharding;
  }
  sharding.active = true;
  sharding.index = i;
  sharding.count = count;
  unsetenv("GTEST_TOTAL_SHARDS");
  unsetenv("GTEST_SHARD_INDEX");
  if (const char* status = std::getenv("GTEST_SHARD_STATUS_FILE"); status != nullptr) {
    std::ofstream touch(status, std::ios::app);
  }
  return sharding;
}

const GTestSharding& Sharding() {
  static const GTestSharding sharding = TakeOverGTestSharding();
  return sharding;
}

}  // namespace

absl::StatusOr<Options> OptionsForTest(std::string_view test_name,
                                       const std::function<void(Options&)>& configure) {
  Options options;
  options.test_name = std::string(test_name);
  if (!Sharding().error.empty()) return absl::InvalidArgumentError(Sharding().error);
  if (Sharding().active) {
    options.shard_index = Sharding().index;
    options.shard_count = Sharding().count;
  }
  if (configure) configure(options);
  const std::vector<std::string> args = ::testing::internal::GetArgvs();
  if (absl::Status s = ApplyEnvironmentAndFlags(args, options); !s.ok()) return s;
  return options;
}

void RunTest(std::string_view test_name, const std::function<void(Options&)>& configure,
             const std::function<void()>& body, const char* file, int line) {
  const std::vector<std::string> args = ::testing::internal::GetArgvs();
  if (WantsFlagsHelp(args)) {
    // Like --help: print and stop, whichever test reached here first.
    std::cout << FlagsHelp() << std::flush;
    std::exit(0);
  }
  absl::StatusOr<Options> options = OptionsForTest(test_name, configure);
  if (!options.ok()) {
    ADD_FAILURE_AT(file, line) << "weave: " << options.status().message();
    return;
  }
  const Result result = explore(*options, body);
  if (result.ok()) {
    std::cout << result.Summary() << std::endl;
    return;
  }
  if (!result.input_error.ok()) {
    ADD_FAILURE_AT(file, line) << result.Summary();
    return;
  }
  const Failure& f = result.failure();
  const bool located = f.where.known();
  ADD_FAILURE_AT(located ? f.where.file.c_str() : file, located ? f.where.line : line) << result;
}

namespace detail {
bool RegisterObserver() {
  static const bool registered = [] {
    (void)Sharding();  // before gtest's main reads the variables
    weave::detail::AddExplorationObserver(new GTestObserver());
    return true;
  }();
  return registered;
}
}  // namespace detail

}  // namespace weave::gtest
