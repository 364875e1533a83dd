// Allocation counting for the benchmark programs: replacing the global operator new in the
// executable counts every allocation made on this thread, by the benchmark's own code, the weave
// libraries linked statically into it, and libstdc++. Benchmarks read the counters around their
// measured region only.
#include "bench_support.hpp"

#include <cstdlib>
#include <ctime>
#include <new>

namespace {
thread_local std::uint64_t t_allocations = 0;
thread_local std::uint64_t t_allocated_bytes = 0;

void* CountedAlloc(std::size_t size) {
  ++t_allocations;
  t_allocated_bytes += size;
  if (size == 0) size = 1;
  if (void* p = std::malloc(size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return CountedAlloc(size); }
void* operator new[](std::size_t size) { return CountedAlloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace bench {

std::uint64_t Allocations() { return t_allocations; }
std::uint64_t AllocatedBytes() { return t_allocated_bytes; }

double ThreadCpuNanos() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

}  // namespace bench
