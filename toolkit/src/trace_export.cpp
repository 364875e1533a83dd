#include "weave/trace_export.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "internal/file_io.hpp"
#include <sys/wait.h>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX declares it nowhere

namespace weave {

absl::StatusOr<std::string> RenderDotToSvg(const std::string& dot) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path temp = fs::temp_directory_path(ec);
  if (ec) return absl::UnavailableError(absl::StrCat("no temporary directory: ", ec.message()));
  // A private directory (mkdtemp: mode 0700, a fresh name), so that nobody can plant a file or a
  // symbolic link under the names used below.
  std::string dir_template = (temp / "weave-dot-XXXXXX").string();
  if (::mkdtemp(dir_template.data()) == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot create a temporary directory in ",
                                               temp.string(), ": ", std::strerror(errno)));
  }
  const std::string dir = dir_template;
  const std::string input = dir + "/graph.dot";
  const std::string output = dir + "/graph.svg";
  const std::string errors = dir + "/dot.err";
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{dir};
  if (absl::Status st = detail::WriteFileAtomically(input, dot); !st.ok()) return st;

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errors.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::string arg0 = "dot";
  std::string arg1 = "-Tsvg";
  std::string arg2 = "-o";
  std::string arg3 = output;
  std::string arg4 = input;
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), arg3.data(), arg4.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, "dot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return absl::NotFoundError(absl::StrCat(
        "cannot run Graphviz's 'dot' (", std::strerror(spawned),
        "): install it (Debian: apt-get install graphviz) or write the .dot file instead"));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::InternalError(absl::StrCat("waitpid: ", std::strerror(errno)));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return absl::NotFoundError(
        "Graphviz's 'dot' is not installed (Debian: apt-get install graphviz)");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    absl::StatusOr<std::string> message = detail::ReadWholeFile(errors, "dot's error output");
    std::string text = message.ok() ? *message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return absl::InternalError(absl::StrCat("dot failed", text.empty() ? "" : ": ", text));
  }
  return detail::ReadWholeFile(output, "dot's SVG output");
}

absl::StatusOr<std::vector<std::string>> WriteTraceFiles(const Trace& trace,
                                                         const std::string& base) {
  std::vector<std::string> written;
  const auto write = [&](const std::string& suffix, const std::string& text) {
    std::string path = base + suffix;
    absl::Status st = detail::WriteFileAtomically(path, text);
    if (st.ok()) written.push_back(std::move(path));
    return st;
  };
  if (absl::Status st = write(".trace", FormatTrace(trace)); !st.ok()) return st;
  if (absl::Status st = write(".trace.json", ToChromeTraceJson(trace)); !st.ok()) return st;
  if (absl::Status st = write(".dot", ToDot(trace)); !st.ok()) return st;
  if (absl::Status st = write(".html", ToHtmlReport(trace)); !st.ok()) return st;
  return written;
}

}  // namespace weave
