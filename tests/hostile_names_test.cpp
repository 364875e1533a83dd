// Hostile names: task, object, test and failure texts with quotes, angle brackets, newlines,
// terminal escapes, NUL and non-UTF-8 bytes, and 10,000 characters. One real exploration fails
// with all of them in play, and every output of it must hold up:
//  - the schedule file and the trace file round-trip every name byte for byte;
//  - the Chrome trace JSON parses (valid UTF-8 included);
//  - the DOT has no raw line break or quote inside a label, and Graphviz renders it (if present);
//  - the HTML report shows the names escaped (no markup or script of theirs survives);
//  - the terminal report and every trace line stay one line, with no control characters.
#include <algorithm>
#include <filesystem>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "nlohmann/json.hpp"
#include "test_support.hpp"

#include "weave/gtest.hpp"
#include "weave/trace_export.hpp"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kQuotes = R"(say "hi" to 'them' \ back`tick`)";
const std::string kMarkup = "<script>alert('owned')</script><b onload=x>&amp;";
const std::string kLineBreaks = "first line\nsecond line\r\n\tthird\x0b\x0c";
const std::string kTerminal = "\x1b[2J\x1b[31mred\x1b[0m\x07 bell";
constexpr char kBytesLiteral[] = "nul\0byte \xff\xfe \xc3 \xed\xa0\x80 end";
const std::string kBytes(kBytesLiteral, sizeof(kBytesLiteral) - 1);  // the NUL included
const std::string kLong = std::string(10000, 'w') + "<end>";

std::vector<std::string> HostileNames() {
  return {kQuotes, kMarkup, kLineBreaks, kTerminal, kBytes, kLong};
}

// Each hostile name names a task that locks a mutex and writes a shared variable of the same
// name; then the body fails with a message made of all of them.
void HostileBody() {
  const std::vector<std::string> names = HostileNames();
  std::vector<std::unique_ptr<weave::mutex>> locks;
  std::vector<std::unique_ptr<weave::shared<int>>> cells;
  std::vector<weave::join_handle> tasks;
  for (const std::string& name : names) {
    locks.push_back(std::make_unique<weave::mutex>(name));
    cells.push_back(std::make_unique<weave::shared<int>>(0, name));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    tasks.push_back(weave::spawn(names[i], [&, i] {
      std::scoped_lock lock(*locks[i]);
      *cells[i] = static_cast<int>(i);
    }));
  }
  for (weave::join_handle& t : tasks) t.join();
  weave::check(false, kMarkup + kLineBreaks + kTerminal + kBytes);
}

// One per test: ctest runs the tests of this file in parallel, each in its own process.
std::string OutDir() {
  const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  return (std::filesystem::temp_directory_path() / ("weave_hostile_names_test_" + test)).string();
}

// True if `text` has a byte a terminal would act on (C0 controls but none, DEL, CSI).
bool HasControlCharacters(const std::string& text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::vector<std::string> Lines(const std::string& text) { return absl::StrSplit(text, '\n'); }

class HostileNamesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::remove_all(OutDir());
    weave::Options o;
    o.iterations = 1;
    o.strategy = weave::Strategy::RoundRobin();
    o.test_name = "Hostile." + kQuotes + kMarkup + kLineBreaks + kBytes;
    o.out_dir = OutDir();
    o.trace = weave::TraceMode::kFull;
    o.minimize = false;
    result_ = weave::explore(o, HostileBody);
    ASSERT_FALSE(result_.ok());
    ASSERT_EQ(result_.failure().kind, weave::FailureKind::kAssertion);
    test_name_ = o.test_name;
  }
  void TearDown() override { std::filesystem::remove_all(OutDir()); }

  std::string PathEndingWith(const std::string& extension) const {
    for (const std::string& path : result_.trace_paths) {
      if (path.size() >= extension.size() &&
          path.compare(path.size() - extension.size(), extension.size(), extension) == 0) {
        return path;
      }
    }
    return "";
  }

  weave::Result result_;
  std::string test_name_;
};

TEST_F(HostileNamesTest, TheScheduleFileRoundTripsTheTestNameAndTheMessage) {
  ASSERT_FALSE(result_.schedule_path.empty()) << result_.schedule_write_error;
  absl::StatusOr<weave::Schedule> schedule = weave::ReadScheduleFile(result_.schedule_path);
  ASSERT_TRUE(schedule.ok()) << schedule.status() << " path " << result_.schedule_path;
  EXPECT_EQ(schedule->test_name, test_name_);
  EXPECT_EQ(schedule->failure_message, result_.failure().message);
  ASSERT_EQ(schedule->size(), result_.schedule.size());
  for (std::size_t i = 0; i < schedule->size(); ++i) {
    EXPECT_EQ(schedule->decision(i).value, result_.schedule.decision(i).value) << i;
  }
  // Every line of the file is one record: the names' line breaks are escaped.
  const std::string text = weave_test::ReadFile(result_.schedule_path);
  for (const std::string& line : Lines(text)) {
    EXPECT_FALSE(absl::StartsWith(line, "second line")) << "a raw line break started a line";
  }
}

TEST_F(HostileNamesTest, TheTraceFileRoundTripsEveryName) {
  const std::string path = PathEndingWith(".trace");
  ASSERT_FALSE(path.empty());
  absl::StatusOr<weave::Trace> trace = weave::ReadTraceFile(path);
  ASSERT_TRUE(trace.ok()) << trace.status();
  std::vector<std::string> task_names;
  for (const weave::TraceTask& t : trace->tasks) task_names.push_back(t.name);
  std::vector<std::string> object_names;
  for (const weave::TraceObject& o : trace->objects) object_names.push_back(o.name);
  for (const std::string& name : HostileNames()) {
    EXPECT_THAT(task_names, testing::Contains(name));
    EXPECT_THAT(object_names, testing::Contains(name));
  }
  EXPECT_EQ(trace->test_name, test_name_);
  ASSERT_TRUE(trace->failure.has_value());
  EXPECT_EQ(trace->failure->message, result_.failure().message);
}

TEST_F(HostileNamesTest, TheChromeJsonIsValid) {
  const std::string path = PathEndingWith(".trace.json");
  ASSERT_FALSE(path.empty());
  const std::string text = weave_test::ReadFile(path);
  ASSERT_FALSE(text.empty());
  nlohmann::json doc;
  ASSERT_NO_THROW(doc = nlohmann::json::parse(text));  // throws on invalid UTF-8 too
  EXPECT_TRUE(doc.contains("traceEvents"));
  // The long name arrives whole.
  EXPECT_THAT(text, HasSubstr(kLong));
}

// Each statement of weave's DOT is one line; a label is one quoted string with every quote and
// backslash escaped. A raw line break or an unescaped quote in a name would break that.
TEST_F(HostileNamesTest, TheDotIsValid) {
  const std::string path = PathEndingWith(".dot");
  ASSERT_FALSE(path.empty());
  const std::string dot = weave_test::ReadFile(path);
  ASSERT_FALSE(dot.empty());
  for (const std::string& line : Lines(dot)) {
    EXPECT_FALSE(HasControlCharacters(line)) << line.substr(0, 200);
    bool in_string = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && in_string) {
        ++i;  // an escaped character
      } else if (line[i] == '"') {
        in_string = !in_string;
      }
    }
    EXPECT_FALSE(in_string) << "a quoted string runs past the end of line: " << line.substr(0, 200);
  }
  const absl::StatusOr<std::string> svg = weave::RenderDotToSvg(dot);
  if (absl::IsNotFound(svg.status())) GTEST_SKIP() << "Graphviz's dot is not installed";
  ASSERT_TRUE(svg.ok()) << svg.status();
  EXPECT_THAT(*svg, Not(HasSubstr("<script>")));
}

TEST_F(HostileNamesTest, TheHtmlReportEscapesThem) {
  const std::string path = PathEndingWith(".html");
  ASSERT_FALSE(path.empty());
  const std::string html = weave_test::ReadFile(path);
  ASSERT_FALSE(html.empty());
  // The report's own markup has no script of the names, escaped or not in a way that runs.
  EXPECT_THAT(html, Not(HasSubstr("<script>alert")));
  EXPECT_THAT(html, Not(HasSubstr("<b onload")));
  EXPECT_THAT(html, Not(HasSubstr("</script><b")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert("));
}

TEST_F(HostileNamesTest, TheTerminalReportAndTraceLinesStayOneLineWithoutControls) {
  weave::Trace trace;
  {
    absl::StatusOr<weave::Trace> read = weave::ReadTraceFile(PathEndingWith(".trace"));
    ASSERT_TRUE(read.ok()) << read.status();
    trace = *std::move(read);
  }
  ASSERT_FALSE(trace.events.empty());
  for (const weave::TraceEvent& event : trace.events) {
    const std::string line = trace.Describe(event);
    EXPECT_FALSE(HasControlCharacters(line)) << line.substr(0, 200);
  }
  // The failure report: every line is free of terminal escapes (the names' line breaks and
  // escapes are shown escaped, never acted on).
  std::ostringstream report;
  report << result_;
  for (const std::string& line : Lines(report.str())) {
    std::string without_tabs(line);
    std::replace(without_tabs.begin(), without_tabs.end(), '\t', ' ');
    EXPECT_FALSE(HasControlCharacters(without_tabs)) << without_tabs.substr(0, 200);
  }
  // The user's line breaks never start a line of the report: the message is one line.
  for (const std::string& line : Lines(report.str())) {
    EXPECT_FALSE(absl::StartsWith(line, "second line")) << line.substr(0, 200);
  }
  EXPECT_THAT(report.str(), HasSubstr("first line\\nsecond line\\r\\n\\tthird"));
}

}  // namespace
