#include "internal/strategies.hpp"

namespace weave::detail {

bool RandomStrategy::BeginRun() {
  random_.Seed(MixSeed(seed_) ^ MixSeed(run_ + 0x51ed));
  ++run_;
  return true;
}

std::uint64_t RandomStrategy::PickChoice(std::uint64_t n) { return n <= 1 ? 0 : random_.Below(n); }

}  // namespace weave::detail
