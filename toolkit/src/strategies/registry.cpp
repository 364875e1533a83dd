// The one place that maps strategy names to implementations.
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal/strategies.hpp"
#include "internal/strings.hpp"

#include "weave/strategy.hpp"

namespace weave {

absl::StatusOr<Strategy> Strategy::Parse(std::string_view text) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(detail::AV(text)));
  if (name == "random") return Random();
  if (name == "rr" || name == "round-robin") return RoundRobin();
  return absl::InvalidArgumentError(
      absl::StrCat("unknown strategy '", detail::AV(text), "': expected one of random, rr"));
}

std::string Strategy::ToString() const {
  switch (kind_) {
    case Kind::kRandom:
      return "random";
    case Kind::kRoundRobin:
      return "rr";
  }
  return "random";
}

namespace detail {
std::unique_ptr<SchedulingStrategy> MakeRecordingStrategy(const Strategy& spec, std::uint64_t seed,
                                                          Schedule& out) {
  switch (spec.kind()) {
    case Strategy::Kind::kRandom:
      return std::make_unique<RecordingStrategy<RandomStrategy>>(out, seed);
    case Strategy::Kind::kRoundRobin:
      return std::make_unique<RecordingStrategy<RoundRobinStrategy>>(out);
  }
  return std::make_unique<RecordingStrategy<RandomStrategy>>(out, seed);
}
}  // namespace detail

std::unique_ptr<SchedulingStrategy> MakeStrategy(const Strategy& spec, std::uint64_t seed) {
  switch (spec.kind()) {
    case Strategy::Kind::kRandom:
      return std::make_unique<detail::RandomStrategy>(seed);
    case Strategy::Kind::kRoundRobin:
      return std::make_unique<detail::RoundRobinStrategy>();
  }
  return std::make_unique<detail::RandomStrategy>(seed);
}

}  // namespace weave
