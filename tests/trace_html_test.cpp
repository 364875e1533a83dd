// The HTML report (weave/trace_export.hpp): escaping, determinism, no network, a size bound for big
// traces, and, when Chromium is installed, the page rendered by a real browser: its script runs
// without error and the DOM has one timeline row per task, the failure, the stacks and the replay
// command.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_support.hpp"
#include "trace_fixture.hpp"
#include <sys/wait.h>

#include "weave/trace.hpp"
#include "weave/trace_export.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace {

using weave_test::ReadFile;
using weave_test::WriteFile;

using ::testing::HasSubstr;
using ::testing::Not;

std::size_t Count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::string FreshDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("weave_trace_html_test_" + std::to_string(::getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A trace with `events` events: `tasks` tasks taking turns, each turn a run and an operation on
// one of a few mutexes, every 100th turn a send and receive, virtual time advancing now and then,
// failing near the end.
weave::Trace BigTrace(std::int64_t events, int tasks) {
  using K = weave::TraceEventKind;
  using Op = weave::TraceOperation;
  weave::Trace t;
  t.test_name = "Big.Trace";
  t.strategy = "pct:3";
  t.seed = 99;
  t.mode = weave::TraceMode::kRing;
  t.dropped_events = 12345;
  for (int i = 0; i < tasks; ++i) {
    t.tasks.push_back({i, "worker " + std::to_string(i), "fiber", i == 0 ? weave::kNoTask : 0});
  }
  t.objects = {{0, "mutex", "a"}, {1, "mutex", "b"}, {2, "channel", "q"}};
  std::int64_t step = 1000;
  std::int64_t messages = 0;
  int previous = -1;
  while (static_cast<std::int64_t>(t.events.size()) < events) {
    const int task = static_cast<int>(step % tasks);
    const std::int64_t time = step / 7 * 1000;
    t.events.push_back(weave_test::MakeEvent(step, time, task, K::kRun, Op::kStart, -1, previous));
    if (step % 100 == 0) {
      t.events.push_back(weave_test::MakeEvent(step, time, task, K::kSend, Op::kSend, 2, messages));
      t.events.push_back(weave_test::MakeEvent(step, time, (task + 1) % tasks, K::kReceive,
                                               Op::kReceive, 2, messages));
      ++messages;
    } else {
      t.events.push_back(weave_test::MakeEvent(step, time, task, K::kPoint, Op::kLock,
                                               static_cast<std::int32_t>(step % 2), -1));
    }
    previous = task;
    ++step;
  }
  t.steps = step;
  t.end_time_ns = step / 7 * 1000;
  weave::TraceFailure f;
  f.kind = weave::FailureKind::kAssertion;
  f.message = "balance went negative";
  f.step = step - 100;
  f.task = 1;
  f.tasks = {1};
  t.failure = f;
  return t;
}

TEST(HtmlReport, ReplacesBytesThatAreNotUtf8) {
  weave::Trace t = weave_test::SampleTrace();
  t.objects[0].name = "bad\xff\xfe<b> \xc3\xa9";  // two stray bytes, then a valid "é"
  t.tasks[1].name = "cut\xe2\x82";                // a sequence cut short
  const std::string html = weave::ToHtmlReport(t);
  EXPECT_EQ(html.find('\xff'), std::string::npos);
  EXPECT_EQ(html.find('\xfe'), std::string::npos);
  EXPECT_EQ(html.find("cut\xe2\x82"), std::string::npos);
  EXPECT_THAT(html, HasSubstr("bad&#xFFFD;&#xFFFD;&lt;b&gt; \xc3\xa9"));
  EXPECT_THAT(html, HasSubstr("cut&#xFFFD;&#xFFFD;"));
}

TEST(HtmlReport, EscapesAwkwardNamesInTextAndAttributes) {
  const std::string html = weave::ToHtmlReport(weave_test::SampleTrace(/*awkward_names=*/true));
  // Names carry <b>, quotes, & and newlines: none may reach the page as markup.
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<waits>")));
  EXPECT_THAT(html, Not(HasSubstr("m<1>")));
  EXPECT_THAT(html, HasSubstr("prod&quot;ucer &lt;b&gt;&amp;amp;"));
  EXPECT_THAT(html, HasSubstr("m&lt;1&gt;&amp;&quot;"));
  EXPECT_THAT(html, HasSubstr("consumer&#39;s {task} -&gt; &quot;q&quot;"));
  EXPECT_THAT(html,
              HasSubstr("deadlock: task 0 &lt;waits&gt; for &quot;consumer&quot; &amp; more"));
  EXPECT_THAT(html, HasSubstr("run&lt;std::vector&lt;int&gt;&gt;() [with T = &quot;x&quot;]"));
  // Every '<' left is markup this file wrote: a tag name or a comment, never a name's text.
  for (std::size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
    const char next = at + 1 < html.size() ? html[at + 1] : '\0';
    const bool tag = std::isalpha(static_cast<unsigned char>(next)) || next == '/' || next == '!';
    ASSERT_TRUE(tag) << "stray '<' at " << at << ": " << html.substr(at, 40);
  }
}

TEST(HtmlReport, IsByteIdenticalForTheSameTrace) {
  for (const bool awkward : {false, true}) {
    const weave::Trace trace = weave_test::SampleTrace(awkward);
    const weave::Trace copy = trace;
    EXPECT_EQ(weave::ToHtmlReport(trace), weave::ToHtmlReport(trace));
    EXPECT_EQ(weave::ToHtmlReport(trace), weave::ToHtmlReport(copy));
  }
}

TEST(HtmlReport, NeedsNoNetwork) {
  for (const bool awkward : {false, true}) {
    const std::string html = weave::ToHtmlReport(weave_test::SampleTrace(awkward));
    EXPECT_THAT(html, Not(HasSubstr("http://")));
    EXPECT_THAT(html, Not(HasSubstr("https://")));
    EXPECT_THAT(html, Not(HasSubstr("<link")));
    EXPECT_THAT(html, Not(HasSubstr(" src=")));
    EXPECT_THAT(html, Not(HasSubstr("@import")));
  }
}

TEST(HtmlReport, ShowsEveryPartOfTheSampleTrace) {
  const weave::Trace trace = weave_test::SampleTrace();
  const std::string html = weave::ToHtmlReport(trace);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Header.
  EXPECT_THAT(html, HasSubstr("Sample.Deadlock"));
  EXPECT_THAT(html, HasSubstr("<dt>strategy</dt><dd>random</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>seed</dt><dd>7</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>iteration</dt><dd>3</dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>trace mode</dt><dd>full</dd>"));
  // Failure, replay.
  EXPECT_THAT(html, HasSubstr("<section id=\"failure\" data-kind=\"deadlock\">"));
  EXPECT_THAT(html,
              HasSubstr("deadlock: task 0 &#39;main&#39; waits for task 2 &#39;consumer&#39;"));
  EXPECT_THAT(html,
              HasSubstr("<pre id=\"failure-details\">task 0 &#39;main&#39;: blocked on join"));
  EXPECT_THAT(html, HasSubstr("<code id=\"replay-command\">./sample_test "
                              "--gtest_filter=Sample.Deadlock"));
  EXPECT_THAT(html, HasSubstr("<code id=\"schedule-path\">weave-out/Sample.Deadlock.schedule"));
  // Timeline: a row per task, the failure's tasks highlighted, a failure line, edges of every kind.
  EXPECT_EQ(Count(html, "<g class=\"task-row"), trace.tasks.size());
  EXPECT_THAT(html, HasSubstr("<g class=\"task-row involved\" data-task=\"0\">"));
  EXPECT_THAT(html, HasSubstr("<g class=\"task-row\" data-task=\"1\">"));
  EXPECT_THAT(html, HasSubstr("<g class=\"task-row involved\" data-task=\"2\">"));
  EXPECT_THAT(html, HasSubstr("id=\"failure-marker\""));
  for (const char* kind : {"spawn", "join", "wake", "message"}) {
    EXPECT_THAT(html, HasSubstr(std::string("<line class=\"edge ") + kind)) << kind;
  }
  EXPECT_THAT(html, HasSubstr("class=\"blocked\""));
  EXPECT_THAT(html, HasSubstr("class=\"m-point\""));
  EXPECT_THAT(html, HasSubstr("<title>step 10  t=1000ns  task 2 &#39;consumer&#39;  blocks: lock"));
  // Task graph: a box per task, the failure's mutex in red.
  EXPECT_THAT(html, HasSubstr("<svg id=\"task-graph\""));
  EXPECT_EQ(Count(html, "<g class=\"node task"), trace.tasks.size());
  EXPECT_THAT(html, HasSubstr("<g class=\"node object involved\" data-object=\"0\">"));
  // Tables, stacks (internal frames folded), event log.
  EXPECT_THAT(html, HasSubstr("<table id=\"task-table\">"));
  EXPECT_THAT(html, HasSubstr("<table id=\"object-table\">"));
  EXPECT_THAT(html, HasSubstr("<section id=\"stacks\">"));
  EXPECT_EQ(Count(html, "<article class=\"stack"), trace.stacks.size());
  EXPECT_THAT(html, HasSubstr("<details class=\"internal\"><summary>1 internal frame</summary>"));
  EXPECT_THAT(html, HasSubstr("<code>produce(Queue&amp;)</code> <span class=\"loc\">at "
                              "src/producer.cpp:42</span>"));
  EXPECT_EQ(Count(html, "<tr class=\"ev-"), trace.events.size());
  EXPECT_THAT(html, Not(HasSubstr("events-truncated")));
  EXPECT_THAT(html, Not(HasSubstr("timeline-thinned")));
  EXPECT_THAT(html, HasSubstr("<body data-weave-tasks=\"3\" data-weave-events=\"24\""));
}

TEST(HtmlReport, NamesDroppedEventsOfARingTrace) {
  weave::Trace trace = weave_test::SampleTrace();
  trace.mode = weave::TraceMode::kRing;
  trace.dropped_events = 42;
  EXPECT_THAT(weave::ToHtmlReport(trace),
              HasSubstr("<dt>trace mode</dt><dd>ring: first 42 events dropped</dd>"));
}

TEST(HtmlReport, RendersATraceWithoutEventsOrFailure) {
  weave::Trace trace;
  trace.test_name = "Empty.Run";
  const std::string html = weave::ToHtmlReport(trace);
  EXPECT_THAT(html, HasSubstr("The run did not fail."));
  EXPECT_THAT(html, Not(HasSubstr("id=\"failure\"")));
  EXPECT_THAT(html, HasSubstr("No stacks were recorded"));
  EXPECT_THAT(html, HasSubstr("</html>\n"));
}

TEST(HtmlReport, ThinsOutABigTraceAndStaysSmall) {
  const weave::Trace trace = BigTrace(50'000, 8);
  ASSERT_TRUE(trace.Validate("big").ok()) << trace.Validate("big");
  const auto start = std::chrono::steady_clock::now();
  const std::string html = weave::ToHtmlReport(trace);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(html.size(), 4u << 20) << "the report of 50,000 events should stay under 4 MB";
  EXPECT_LT(elapsed, std::chrono::seconds(10));
  EXPECT_THAT(html, HasSubstr("id=\"timeline-thinned\""));
  EXPECT_THAT(html, HasSubstr("id=\"events-truncated\""));
  EXPECT_THAT(html, HasSubstr("ring: first 12345 events dropped"));
  EXPECT_EQ(Count(html, "<tr class=\"ev-"), 2000u);
  EXPECT_EQ(Count(html, "<g class=\"task-row"), trace.tasks.size());
  // The window is the failure's: its step is in the log.
  EXPECT_THAT(html, HasSubstr("data-step=\"" + std::to_string(trace.failure->step) + "\""));
}

// --- Chromium ------------------------------------------------------------------------------------

std::optional<std::string> FindChromium() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path == nullptr ? "/usr/bin:/bin" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return std::nullopt;
}

struct BrowserRun {
  bool ok = false;
  std::string stdout_text;
  std::string error;  // why it failed, with Chromium's stderr
};

// Runs Chromium headless on `url` with `extra` flags, killed (its whole process group) after
// `timeout`. The child's environment drops the sanitizer runtime's variables: a sanitized test
// binary must not preload or configure its runtime into the browser.
BrowserRun RunChromium(const std::string& chromium, const std::string& dir,
                       const std::vector<std::string>& extra, const std::string& url,
                       std::chrono::seconds timeout = std::chrono::seconds(60)) {
  static int runs = 0;
  const std::string tag = std::to_string(runs++);
  const std::string out_path = dir + "/chromium-" + tag + ".out";
  const std::string err_path = dir + "/chromium-" + tag + ".err";
  std::vector<std::string> args = {
      chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
      // No background services: faster, and nothing goes online.
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-default-apps", "--disable-breakpad", "--no-pings",
      "--user-data-dir=" + dir + "/profile-" + tag};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(url);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool drop = false;
    for (const std::string_view name : {"LD_PRELOAD=", "ASAN_OPTIONS=", "TSAN_OPTIONS=",
                                        "UBSAN_OPTIONS=", "LSAN_OPTIONS=", "MSAN_OPTIONS="}) {
      drop = drop || entry.substr(0, name.size()) == name;
    }
    if (!drop) env.emplace_back(entry);
  }
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so that a hang can be ended with the renderer and GPU children.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawn(&pid, chromium.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  BrowserRun run;
  if (spawned != 0) {
    run.error = "cannot start " + chromium + ": " + std::strerror(spawned);
    return run;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  bool timed_out = false;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      run.error = std::string("waitpid: ") + std::strerror(errno);
      return run;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.stdout_text = ReadFile(out_path);
  const std::string errors = ReadFile(err_path);
  if (timed_out) {
    run.error = "Chromium did not finish within " + std::to_string(timeout.count()) +
                " s; its stderr:\n" + errors;
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    run.error = "Chromium failed (" +
                (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                   : "signal " + std::to_string(WTERMSIG(status))) +
                "); its stderr:\n" + errors;
  } else {
    run.ok = true;
  }
  return run;
}

class HtmlReportInChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::optional<std::string> found = FindChromium();
    if (!found) {
      GTEST_SKIP() << "Chromium not installed (Debian: apt-get install chromium): skipping the "
                      "HTML rendering test";
    }
    chromium_ = *found;
    dir_ = FreshDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    if (!dir_.empty() && !HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Writes the report of `trace` and returns its file:// URL.
  std::string WriteReport(const weave::Trace& trace, const std::string& name) {
    const std::string path = dir_ + "/" + name + ".html";
    WriteFile(path, weave::ToHtmlReport(trace));
    return "file://" + path;
  }

  std::string chromium_;
  std::string dir_;
};

TEST_F(HtmlReportInChromium, RunsItsScriptAndShowsEveryPart) {
  for (const bool awkward : {false, true}) {
    SCOPED_TRACE(awkward ? "awkward names" : "plain names");
    const weave::Trace trace = weave_test::SampleTrace(awkward);
    const BrowserRun run =
        RunChromium(chromium_, dir_, {"--dump-dom"}, WriteReport(trace, awkward ? "b" : "a"));
    ASSERT_TRUE(run.ok) << run.error;
    const std::string& dom = run.stdout_text;
    // The script checked the page (rows, boxes, log, stacks) and said so.
    ASSERT_THAT(dom, HasSubstr("data-weave-report=\"ready\"")) << dom.substr(0, 2000);
    EXPECT_THAT(dom, Not(HasSubstr("data-weave-error")));
    EXPECT_EQ(Count(dom, "<g class=\"task-row"), trace.tasks.size());
    for (std::size_t task = 0; task < trace.tasks.size(); ++task) {
      EXPECT_THAT(dom,
                  HasSubstr("data-task=\"" + std::to_string(task) + "\"><rect class=\"row-bg"));
    }
    // The failure, with its message as text (the browser re-escapes only &, < and >).
    EXPECT_THAT(dom, HasSubstr("<section id=\"failure\" data-kind=\"deadlock\">"));
    EXPECT_THAT(dom,
                HasSubstr(awkward ? "deadlock: task 0 &lt;waits&gt; for \"consumer\" &amp; more"
                                  : "deadlock: task 0 'main' waits for task 2 'consumer'"));
    EXPECT_THAT(dom, Not(HasSubstr("<waits>")));
    EXPECT_THAT(dom, Not(HasSubstr("<b>")));
    EXPECT_THAT(dom, HasSubstr("<section id=\"stacks\">"));
    EXPECT_EQ(Count(dom, "<article class=\"stack"), trace.stacks.size());
    EXPECT_THAT(dom, HasSubstr("<code id=\"replay-command\">" + trace.replay_command + "</code>"));
    // The script showed the copy button.
    EXPECT_THAT(dom, HasSubstr("<button type=\"button\" id=\"copy-replay\">Copy</button>"));
  }
}

TEST_F(HtmlReportInChromium, PaintsAScreenshotThatIsNotBlank) {
  const std::string png = dir_ + "/report.png";
  const BrowserRun run =
      RunChromium(chromium_, dir_, {"--screenshot=" + png, "--window-size=1280,2000"},
                  WriteReport(weave_test::SampleTrace(/*awkward_names=*/true), "shot"));
  ASSERT_TRUE(run.ok) << run.error;
  const std::string image = ReadFile(png);
  ASSERT_GE(image.size(), 8u) << "no screenshot at " << png;
  EXPECT_EQ(image.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // A blank 1280x2000 page compresses to a few kilobytes; the report paints far more.
  EXPECT_GT(image.size(), 40'000u);
}

}  // namespace
