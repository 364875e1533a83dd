// The fuzzers' seed corpus and every input that once broke a reader (tests/fuzz/regressions/),
// replayed through the same properties the libFuzzer targets check (tests/fuzz/parser_
// properties.hpp): no crash, a rejection is one line naming the file and line with no control
// characters, an accepted file round-trips. Runs in every preset, so a fixed finding stays fixed
// without clang or libFuzzer.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/parser_properties.hpp"
#include "gmock/gmock.h"

namespace {

namespace fs = std::filesystem;

// The files of tests/fuzz/<kind>/<target>/, sorted (the order of a directory listing is not).
std::vector<fs::path> InputsOf(const std::string& kind, const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(WEAVE_FUZZ_DIR) / kind / target;
  if (!fs::is_directory(dir)) return files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string Contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Target {
  std::string name;
  std::string (*check)(std::string_view);
};

const Target kTargets[] = {{"schedule_reader", weave_fuzz::CheckScheduleReader},
                           {"trace_reader", weave_fuzz::CheckTraceReader},
                           {"flag_parser", weave_fuzz::CheckFlagParser}};

TEST(FuzzRegression, TheSeedCorpusIsAcceptedAndRoundTrips) {
  for (const Target& target : kTargets) {
    const std::vector<fs::path> inputs = InputsOf("corpus", target.name);
    EXPECT_FALSE(inputs.empty()) << "no seed corpus for " << target.name;
    for (const fs::path& input : inputs) {
      EXPECT_EQ(target.check(Contents(input)), "") << input;
    }
  }
  // The seeds are real files: the readers accept them (a rejected seed would teach the fuzzer
  // little beyond the header).
  for (const fs::path& input : InputsOf("corpus", "schedule_reader")) {
    EXPECT_TRUE(weave::ParseSchedule(Contents(input), "seed").ok()) << input;
  }
  for (const fs::path& input : InputsOf("corpus", "trace_reader")) {
    EXPECT_TRUE(weave::ParseTrace(Contents(input), "seed").ok()) << input;
  }
}

TEST(FuzzRegression, EveryInputThatOnceBrokeAReaderNowKeepsItsProperties) {
  std::size_t replayed = 0;
  for (const Target& target : kTargets) {
    for (const fs::path& input : InputsOf("regressions", target.name)) {
      EXPECT_EQ(target.check(Contents(input)), "") << input;
      ++replayed;
    }
  }
  EXPECT_GT(replayed, 0u);
}

// The properties themselves bite: an error without a line, or with a raw control character, is
// caught.
TEST(FuzzRegression, ThePropertiesRejectAnErrorWithoutALineOrWithAControlCharacter) {
  EXPECT_EQ(weave_fuzz::CheckRejection("f.trace:3: expected 'end'", "f.trace"), "");
  EXPECT_THAT(weave_fuzz::CheckRejection("f.trace: event 2 goes back", "f.trace"),
              testing::HasSubstr("does not name the line"));
  EXPECT_THAT(weave_fuzz::CheckRejection("f.trace:3: got 'a\x1b[2Jb'", "f.trace"),
              testing::HasSubstr("control character"));
  EXPECT_THAT(weave_fuzz::CheckRejection("other:3: expected", "f.trace"),
              testing::HasSubstr("file name"));
}

}  // namespace
