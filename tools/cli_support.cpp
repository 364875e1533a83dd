#include "cli_support.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include <sys/stat.h>

namespace weave::cli {

absl::Status UsageError(std::string_view message) {
  return absl::InvalidArgumentError(AV(message));
}

// --- the command line ---------------------------------------------------------------------------

bool ParsedArgs::Has(std::string_view name) const {
  for (const auto& [key, value] : options) {
    if (key == name) return true;
  }
  return false;
}

std::string ParsedArgs::Last(std::string_view name, const std::string& fallback) const {
  // The last occurrence wins, as on most command lines.
  const auto it = std::find_if(options.rbegin(), options.rend(),
                               [&](const auto& option) { return option.first == name; });
  return it != options.rend() ? it->second : fallback;
}

std::vector<std::string> ParsedArgs::All(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : options) {
    if (key == name) out.push_back(value);
  }
  return out;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<OptionSpec>& specs) {
  ParsedArgs out;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg == "-" || arg.empty() || arg[0] != '-') {
      out.positionals.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    const OptionSpec* spec = nullptr;
    std::string value;
    bool has_value = false;
    std::string shown;  // the option as the user wrote it, for messages
    if (arg.size() > 2 && arg[1] == '-') {
      const std::size_t eq = arg.find('=');
      const std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
      shown = "--" + name;
      for (const OptionSpec& s : specs) {
        if (s.name == name) spec = &s;
      }
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        has_value = true;
      }
    } else {
      shown = arg.substr(0, 2);
      for (const OptionSpec& s : specs) {
        if (s.short_name != '\0' && s.short_name == arg[1]) spec = &s;
      }
      if (arg.size() > 2) {  // -oFILE
        value = arg.substr(2);
        has_value = true;
      }
    }
    if (spec == nullptr) {
      return UsageError(absl::StrCat("unknown option '", Printable(shown), "'"));
    }
    switch (spec->value) {
      case OptionSpec::kNone:
        if (has_value) {
          return UsageError(absl::StrCat("option '", shown, "' takes no value"));
        }
        break;
      case OptionSpec::kRequired:
        if (!has_value) {
          if (i + 1 >= args.size()) {
            return UsageError(absl::StrCat("option '", shown, "' needs a value"));
          }
          value = args[++i];
        }
        break;
      case OptionSpec::kAttached:
        if (!has_value) value = std::string(spec->implied);
        break;
    }
    out.options.emplace_back(std::string(spec->name), std::move(value));
  }
  return out;
}

absl::StatusOr<std::string> SingleFile(const ParsedArgs& args) {
  if (args.positionals.empty()) return UsageError("missing the trace FILE");
  if (args.positionals.size() > 1) {
    return UsageError(absl::StrCat("unexpected argument '", Printable(args.positionals[1]), "'"));
  }
  return args.positionals[0];
}

absl::StatusOr<std::int64_t> ParseStep(std::string_view option, std::string_view text) {
  std::int64_t step = 0;
  if (!absl::SimpleAtoi(AV(text), &step) || step < 0 || text.empty() ||
      !absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) {
    return UsageError(absl::StrCat("option '--", AV(option), "' expects a step number, got '",
                                   Printable(text), "'"));
  }
  return step;
}

// --- reading a trace ----------------------------------------------------------------------------

namespace {

// Larger inputs are refused: a trace of this size would take minutes to read, and a device such
// as /dev/zero would otherwise be read until memory runs out.
constexpr std::size_t kMaxTraceBytes = std::size_t{4} << 30;

absl::Status ReadError(const std::string& path, int error) {
  const std::string message =
      absl::StrCat("cannot read ", Printable(path), ": ", std::strerror(error));
  return error == ENOENT ? absl::NotFoundError(message) : absl::UnavailableError(message);
}

absl::StatusOr<std::string> ReadAll(int fd, const std::string& path) {
  std::string text;
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == 0) return text;
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadError(path, errno);
    }
    if (text.size() + static_cast<std::size_t>(n) > kMaxTraceBytes) {
      return absl::FailedPreconditionError(absl::StrCat(
          Printable(path), ": larger than ", kMaxTraceBytes >> 30, " GiB; not a weave trace?"));
    }
    text.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

absl::StatusOr<Trace> LoadTrace(const std::string& path) {
  const bool from_stdin = path == "-";
  const std::string source = from_stdin ? "<stdin>" : path;
  const int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ReadError(path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    if (!from_stdin) ::close(fd);
    return ReadError(path, error);
  }
  // A device named as the FILE (/dev/zero) could be read forever; standard input may be a
  // terminal or /dev/null.
  if (S_ISDIR(st.st_mode) || (!from_stdin && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))) {
    if (!from_stdin) ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", Printable(source), ": ",
                     S_ISDIR(st.st_mode) ? "it is a directory" : "it is a device, not a file"));
  }
  absl::StatusOr<std::string> text = ReadAll(fd, source);
  if (!from_stdin) ::close(fd);
  if (!text.ok()) return text.status();
  absl::StatusOr<Trace> trace = ParseTrace(*text, source);
  // The parser says InvalidArgument for a bad file; to main() that would be a usage error.
  if (!trace.ok()) return absl::DataLossError(trace.status().message());
  return trace;
}

// --- writing ------------------------------------------------------------------------------------

namespace {

// Writes all of `text` to `fd`; the errno of a failure, or 0.
int WriteAll(int fd, std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

void StdoutWriter::Write(std::string_view text) {
  buffer_.append(text);
  if (buffer_.size() >= (1 << 16)) Flush();
}

void StdoutWriter::Flush() {
  if (error_ == 0) error_ = WriteAll(STDOUT_FILENO, buffer_);
  buffer_.clear();
}

absl::Status StdoutWriter::Finish() {
  Flush();
  if (error_ != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot write to standard output: ", std::strerror(error_)));
  }
  return absl::OkStatus();
}

absl::Status WriteOutput(const std::string& path, std::string_view text) {
  if (path == "-") {
    StdoutWriter out;
    out.Write(text);
    return out.Finish();
  }
  const auto fail = [&](int error) {
    return absl::UnavailableError(
        absl::StrCat("cannot write ", Printable(path), ": ", std::strerror(error)));
  };
  struct stat st {};
  const bool special =
      ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
  // A device or a pipe is written in place: renaming a file over it would replace it (think of
  // /dev/null).
  const std::string target = special ? path : absl::StrCat(path, ".tmp.", ::getpid());
  const int fd = special ? ::open(target.c_str(), O_WRONLY | O_CLOEXEC)
                         : ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail(errno);
  int error = WriteAll(fd, text);
  if (::close(fd) != 0 && error == 0) error = errno;
  if (!special && error == 0 && ::rename(target.c_str(), path.c_str()) != 0) error = errno;
  if (error != 0) {
    if (!special) ::unlink(target.c_str());
    return fail(error);
  }
  return absl::OkStatus();
}

// --- text ---------------------------------------------------------------------------------------

namespace {

// The length of the well-formed UTF-8 sequence at the start of `s` and its code point, or 0.
std::size_t DecodeUtf8(std::string_view s, char32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  std::size_t length = 0;
  char32_t min = 0;
  if (b0 < 0x80) {
    code_point = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    code_point = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    code_point = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    code_point = b0 & 0x07;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  if (code_point < min || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

// Code points a terminal would act on rather than show: C1 controls, and the line separators and
// bidirectional overrides that can make text read differently from what it is.
bool IsInvisibleControl(char32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string Printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      default:
        break;
    }
    char32_t code_point = 0;
    const std::size_t length = c >= 0x80 ? DecodeUtf8(text.substr(i), code_point) : 0;
    if (length == 0) {
      absl::StrAppend(&out, absl::StrFormat("\\x%02x", c));
      ++i;
    } else if (IsInvisibleControl(code_point)) {
      absl::StrAppend(&out, absl::StrFormat("\\u%04x", static_cast<std::uint32_t>(code_point)));
      i += length;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::size_t DisplayWidth(std::string_view text) {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Truncate(std::string_view text, std::size_t width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  const std::size_t keep = width >= 3 ? width - 3 : width;
  std::size_t columns = 0;
  std::size_t end = 0;
  while (end < text.size()) {
    std::size_t next = end + 1;
    while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
    if (columns + 1 > keep) break;
    ++columns;
    end = next;
  }
  return absl::StrCat(AV(text.substr(0, end)), width >= 3 ? "..." : "");
}

std::string PadRight(std::string_view text, std::size_t width) {
  std::string out(text);
  const std::size_t w = DisplayWidth(text);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::string PadLeft(std::string_view text, std::size_t width) {
  const std::size_t w = DisplayWidth(text);
  std::string out(w < width ? width - w : 0, ' ');
  out.append(text);
  return out;
}

std::string FormatDuration(std::int64_t ns) {
  // Unsigned, so that the magnitude of INT64_MIN is representable.
  const bool negative = ns < 0;
  const std::uint64_t magnitude =
      negative ? ~static_cast<std::uint64_t>(ns) + 1 : static_cast<std::uint64_t>(ns);
  struct Unit {
    std::uint64_t ns;
    int decimals;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {1'000'000'000, 9, "s"}, {1'000'000, 6, "ms"}, {1'000, 3, "us"}};
  std::string out = negative ? "-" : "";
  for (const Unit& unit : kUnits) {
    if (magnitude < unit.ns) continue;
    absl::StrAppend(&out, magnitude / unit.ns);
    if (const std::uint64_t rest = magnitude % unit.ns; rest != 0) {
      std::string fraction = absl::StrFormat("%0*d", unit.decimals, rest);
      while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
      absl::StrAppend(&out, ".", fraction);
    }
    absl::StrAppend(&out, unit.name);
    return out;
  }
  absl::StrAppend(&out, magnitude, "ns");
  return out;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      char32_t code_point = 0;
      const std::size_t length = DecodeUtf8(text.substr(i), code_point);
      if (length == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          absl::StrAppend(&out, absl::StrFormat("\\u%04x", c));
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::int64_t SaturatingSub(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (!__builtin_sub_overflow(a, b, &out)) return out;
  return b < 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

std::int64_t SaturatingAdd(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (!__builtin_add_overflow(a, b, &out)) return out;
  return b > 0 ? std::numeric_limits<std::int64_t>::max()
               : std::numeric_limits<std::int64_t>::min();
}

}  // namespace weave::cli
