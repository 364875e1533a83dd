// The one place that maps strategy names to implementations.
#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "internal/strategies.hpp"
#include "internal/strings.hpp"

#include "weave/strategy.hpp"

namespace weave {

namespace {
std::string Accepted() {
  return absl::StrCat("portfolio, random, pct, pct:DEPTH (1-", Strategy::kMaxPctDepth,
                      "), pos, cpos, urw, surw, dfs, dfs:DEVIATIONS (0-",
                      Strategy::kMaxDeviationBound, "), rr");
}

// "name" or "name:N" with N in [low, high]; `fallback` when there is no ":N".
bool ParseParameter(std::string_view text, std::string_view name, int low, int high, int fallback,
                    int& out) {
  if (text == name) {
    out = fallback;
    return true;
  }
  if (text.size() <= name.size() + 1 || !text.starts_with(name) || text[name.size()] != ':') {
    return false;
  }
  const std::string_view digits = text.substr(name.size() + 1);
  int value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value < low || value > high) {
    return false;
  }
  out = value;
  return true;
}
}  // namespace

absl::StatusOr<Strategy> Strategy::Parse(std::string_view text) {
  const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(detail::AV(text)));
  int parameter = 0;
  if (name == "portfolio" || name == "default") return Portfolio();
  if (name == "random") return Random();
  if (name == "rr" || name == "round-robin") return RoundRobin();
  if (name == "pos") return Pos();
  if (name == "cpos") return ConflictPos();
  if (name == "urw") return UniformRandomWalk();
  if (name == "surw") return SelectiveUniformRandomWalk();
  if (ParseParameter(name, "pct", 1, kMaxPctDepth, 3, parameter)) return Pct(parameter);
  if (ParseParameter(name, "dfs", 0, kMaxDeviationBound, 2, parameter)) {
    return BoundedExhaustive(parameter);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown strategy '",
                                                 detail::EscapeControlCharacters(text),
                                                 "': expected one of ", Accepted()));
}

std::string Strategy::ToString() const {
  switch (kind_) {
    case Kind::kRandom:
      return "random";
    case Kind::kRoundRobin:
      return "rr";
    case Kind::kPct:
      return absl::StrCat("pct:", parameter_);
    case Kind::kPos:
      return "pos";
    case Kind::kConflictPos:
      return "cpos";
    case Kind::kUniformRandomWalk:
      return "urw";
    case Kind::kSelectiveUniformRandomWalk:
      return "surw";
    case Kind::kBoundedExhaustive:
      return absl::StrCat("dfs:", parameter_);
    case Kind::kPortfolio:
      return "portfolio";
  }
  return "portfolio";
}

namespace detail {
namespace {
// The portfolio's members, chosen by bench/strategy_comparison.cpp (README, "Choosing a
// strategy"): the selective uniform walk finds most bugs first; conflict-driven POS holds a task
// back through the others' private work; PCT brings its guarantee for bugs of depth 3 and fewer.
// Taking turns, the portfolio's mean is at most about three times its best member's.
std::vector<std::unique_ptr<SchedulingStrategy>> PortfolioMembers(std::uint64_t seed) {
  std::vector<std::unique_ptr<SchedulingStrategy>> members;
  members.push_back(std::make_unique<UniformRandomWalkStrategy>(DeriveSeed(seed, 1), true));
  members.push_back(std::make_unique<PosStrategy>(DeriveSeed(seed, 2), true));
  members.push_back(std::make_unique<PctStrategy>(DeriveSeed(seed, 3), 3));
  return members;
}

template <class Make>
auto WithStrategy(const Strategy& spec, std::uint64_t seed, Make make) {
  switch (spec.kind()) {
    case Strategy::Kind::kRandom:
      return make.template operator()<RandomStrategy>(seed);
    case Strategy::Kind::kRoundRobin:
      return make.template operator()<RoundRobinStrategy>();
    case Strategy::Kind::kPct:
      return make.template operator()<PctStrategy>(seed, spec.parameter());
    case Strategy::Kind::kPos:
      return make.template operator()<PosStrategy>(seed, false);
    case Strategy::Kind::kConflictPos:
      return make.template operator()<PosStrategy>(seed, true);
    case Strategy::Kind::kUniformRandomWalk:
      return make.template operator()<UniformRandomWalkStrategy>(seed, false);
    case Strategy::Kind::kSelectiveUniformRandomWalk:
      return make.template operator()<UniformRandomWalkStrategy>(seed, true);
    case Strategy::Kind::kBoundedExhaustive:
      return make.template operator()<BoundedExhaustiveStrategy>(spec.parameter());
    case Strategy::Kind::kPortfolio:
      break;
  }
  return make.template operator()<PortfolioStrategy>(PortfolioMembers(seed));
}
}  // namespace

std::unique_ptr<SchedulingStrategy> MakeRecordingStrategy(const Strategy& spec, std::uint64_t seed,
                                                          Schedule& out) {
  return WithStrategy(spec, seed, [&]<class Inner, class... Args>(Args&&... args) {
    return std::unique_ptr<SchedulingStrategy>(
        std::make_unique<RecordingStrategy<Inner>>(out, std::forward<Args>(args)...));
  });
}
}  // namespace detail

std::unique_ptr<SchedulingStrategy> MakeStrategy(const Strategy& spec, std::uint64_t seed) {
  return detail::WithStrategy(spec, seed, []<class Inner, class... Args>(Args&&... args) {
    return std::unique_ptr<SchedulingStrategy>(
        std::make_unique<Inner>(std::forward<Args>(args)...));
  });
}

}  // namespace weave
