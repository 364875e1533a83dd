#include "stack_pool.hpp"

#include <unistd.h>

#include <new>

#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define WEAVE_UNPOISON(addr, size) ASAN_UNPOISON_MEMORY_REGION(addr, size)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define WEAVE_UNPOISON(addr, size) ASAN_UNPOISON_MEMORY_REGION(addr, size)
#endif
#endif
#ifndef WEAVE_UNPOISON
#define WEAVE_UNPOISON(addr, size) ((void)(addr), (void)(size))
#endif

namespace weave::detail {

namespace {
std::size_t PageSize() {
  static const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return page;
}
}  // namespace

StackPool& StackPool::ForThisThread() {
  thread_local StackPool pool;
  return pool;
}

StackPool::~StackPool() {
  for (const FiberStack& s : free_) ::munmap(s.mapping, s.mapping_size);
}

FiberStack StackPool::Acquire(std::size_t size) {
  const std::size_t page = PageSize();
  const std::size_t usable = (size + page - 1) / page * page;
  for (std::size_t i = free_.size(); i-- > 0;) {
    if (free_[i].size == usable) {
      FiberStack s = free_[i];
      free_[i] = free_.back();
      free_.pop_back();
      // A task abandoned mid-run (a leak) leaves sanitizer poison on its frames.
      WEAVE_UNPOISON(s.bottom, s.size);
      return s;
    }
  }
  FiberStack s;
  s.mapping_size = usable + page;
  s.mapping = ::mmap(nullptr, s.mapping_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (s.mapping == MAP_FAILED) throw std::bad_alloc();
  if (::mprotect(s.mapping, page, PROT_NONE) != 0) {
    ::munmap(s.mapping, s.mapping_size);
    throw std::bad_alloc();
  }
  s.bottom = static_cast<char*>(s.mapping) + page;
  s.size = usable;
  return s;
}

void StackPool::Release(FiberStack stack) {
  if (!stack) return;
  // Keep a bounded number; beyond that give memory back.
  if (free_.size() >= 1024) {
    ::munmap(stack.mapping, stack.mapping_size);
    return;
  }
  free_.push_back(stack);
}

}  // namespace weave::detail
