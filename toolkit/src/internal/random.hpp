// Internal: a small, fast, portable PRNG. std::mt19937 is portable too, but std's distributions
// are not (they differ between standard libraries), and schedules must be identical everywhere.
#pragma once

#include <cstdint>

namespace weave::detail {

// SplitMix64 (Steele, Lea, Flood 2014): used to derive well-mixed seeds.
constexpr std::uint64_t MixSeed(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// xoshiro256** (Blackman, Vigna 2018).
class Random {
 public:
  explicit Random(std::uint64_t seed = 0) { Seed(seed); }
  void Seed(std::uint64_t seed) {
    for (auto& s : state_) s = seed = MixSeed(seed);
  }
  std::uint64_t Next() {
    const std::uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  // A value in [0, n), n >= 1 (Lemire's multiply-shift; the tiny bias is irrelevant here).
  std::uint64_t Below(std::uint64_t n) {
    __extension__ using Wide = unsigned __int128;  // GCC and Clang; silences -Wpedantic
    return static_cast<std::uint64_t>((static_cast<Wide>(Next()) * n) >> 64);
  }

 private:
  static constexpr std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4] = {};
};

}  // namespace weave::detail
