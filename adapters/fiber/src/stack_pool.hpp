// Internal: fiber stacks with a guard page, pooled per thread.
//
// mmap + mprotect cost microseconds, far more than a whole small run, so stacks are kept after
// their task ends and handed to the next task of the same size. Each stack has one PROT_NONE page
// below it: an overflow faults instead of corrupting memory.
#pragma once

#include <cstddef>
#include <vector>

namespace weave::detail {

struct FiberStack {
  void* mapping = nullptr;  // start of the mapping (the guard page)
  std::size_t mapping_size = 0;
  void* bottom = nullptr;  // lowest usable address (just above the guard page)
  std::size_t size = 0;    // usable bytes
  void* top() const { return static_cast<char*>(bottom) + size; }
  explicit operator bool() const { return mapping != nullptr; }
};

class StackPool {
 public:
  // The calling thread's pool.
  static StackPool& ForThisThread();
  ~StackPool();

  // A stack with at least `size` usable bytes (rounded up to pages). Throws std::bad_alloc when
  // the system refuses the mapping.
  FiberStack Acquire(std::size_t size);
  void Release(FiberStack stack);

 private:
  std::vector<FiberStack> free_;
};

}  // namespace weave::detail
