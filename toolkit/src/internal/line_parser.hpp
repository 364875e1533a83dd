// Internal: a reader of weave's line-oriented text files (schedules, traces).
//
// Lines are "key value" fields or free-form records; '#' starts a comment line; a final CR is
// ignored. Every error names the source, the line number and what was expected, and says
// "truncated?" at an unexpected end of file.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "internal/strings.hpp"

namespace weave::detail {

class LineParser {
 public:
  LineParser(absl::string_view text, absl::string_view source) : source_(source) {
    lines_ = absl::StrSplit(text, '\n');
    // A final newline yields one empty trailing piece.
    if (!lines_.empty() && lines_.back().empty()) lines_.pop_back();
  }

  // The offending line is quoted (its first 80 bytes) with control characters escaped: the
  // error stays one line, and a file's bytes cannot drive the terminal that shows it.
  absl::Status Error(absl::string_view expected, absl::string_view got) const {
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ":", line_no_, ": expected ", expected, got.empty() ? "" : ", got '",
                     EscapeControlCharacters(SV(got.substr(0, 80))), got.empty() ? "" : "'"));
  }

  // Returns the next non-comment line, or an error naming `expected` at end of input.
  absl::StatusOr<absl::string_view> Next(absl::string_view expected) {
    while (index_ < lines_.size()) {
      absl::string_view line = lines_[index_++];
      line_no_ = static_cast<int>(index_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.front() == '#') continue;
      return line;
    }
    line_no_ = static_cast<int>(lines_.size()) + 1;
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line_no_, ": expected ", expected,
                                                   ", got end of file (truncated?)"));
  }

  // Whether the next non-comment line starts with `prefix` (consumes nothing).
  bool PeekStartsWith(absl::string_view prefix) const {
    for (std::size_t i = index_; i < lines_.size(); ++i) {
      absl::string_view line = lines_[i];
      if (line.empty() || line.front() == '#') continue;
      return absl::StartsWith(line, prefix);
    }
    return false;
  }

  // Reads "key value" and returns value.
  absl::StatusOr<absl::string_view> Field(absl::string_view key) {
    const std::string expected = absl::StrCat("'", key, " <value>'");
    auto line = Next(expected);
    if (!line.ok()) return line.status();
    absl::string_view l = *line;
    if (!absl::ConsumePrefix(&l, key) || (!l.empty() && !absl::ConsumePrefix(&l, " "))) {
      return Error(expected, *line);
    }
    return l;
  }

  template <class Int>
  absl::StatusOr<Int> IntField(absl::string_view key) {
    auto v = Field(key);
    if (!v.ok()) return v.status();
    Int out{};
    if (!absl::SimpleAtoi(*v, &out)) {
      return Error(absl::StrCat("an integer after '", key, "'"), lines_[index_ - 1]);
    }
    return out;
  }

  absl::StatusOr<std::string> TextField(absl::string_view key) {
    auto v = Field(key);
    if (!v.ok()) return v.status();
    std::string out;
    std::string error;
    if (!absl::CUnescape(*v, &out, &error)) {
      // Abseil's message quotes the bad escape, bytes and all.
      return Error(absl::StrCat("a C-escaped string after '", key, "' (",
                                EscapeControlCharacters(SV(error)), ")"),
                   lines_[index_ - 1]);
    }
    return out;
  }

  int line_no() const { return line_no_; }
  // Lines not read yet (an upper bound on the records a count may announce).
  std::size_t lines_left() const { return lines_.size() - index_; }
  absl::string_view current_line() const { return lines_[index_ - 1]; }

 private:
  absl::string_view source_;
  std::vector<absl::string_view> lines_;
  std::size_t index_ = 0;
  int line_no_ = 0;
};

}  // namespace weave::detail
