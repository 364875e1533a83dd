// weave/shared.hpp: a tracked shared variable.
//
// weave::shared<T> holds a value that several tasks read and write. Every read and every write is
// a scheduling point, so weave explores interleavings between them (a lost update such as
// `a = a - 10` racing with another writer is found), and the race detector checks each access
// against the happens-before order: two accesses, at least one a write, that no lock, atomic,
// channel, join or other synchronization orders are a data race, reported in the first schedule
// where they occur whether or not a wrong value results.
//
//   weave::shared<int> balance{100, "balance"};
//   balance = balance - 10;       // a read, then a write: two scheduling points, two checks
//   int now = balance.load();
//
// For memory whose type cannot change, weave::read / weave::write (weave/access.hpp) do the same.
#pragma once

#include <string_view>
#include <utility>

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {

template <class T>
class shared : public detail::SyncObject {
 public:
  explicit(false) shared(T initial = T(), std::string_view name = {},
                         weave::source_location declared = weave::source_location::current())
      : SyncObject(detail::ObjectKind::kShared, name, declared), value_(std::move(initial)) {}

  // Each accessor is a function of its own (never inlined), so that its return address is in the
  // user's code that made the access: reports name that line, in any build.

  // A tracked read.
  [[gnu::noinline]] T load() const { return Read(__builtin_return_address(0)); }
  [[gnu::noinline]] operator T() const { return Read(__builtin_return_address(0)); }
  // A tracked write.
  [[gnu::noinline]] void store(T value) { Write(std::move(value), __builtin_return_address(0)); }
  [[gnu::noinline]] shared& operator=(T value) {
    Write(std::move(value), __builtin_return_address(0));
    return *this;
  }
  shared(const shared&) = delete;
  shared& operator=(const shared&) = delete;

 private:
  [[gnu::always_inline]] T Read(const void* pc) const {
    if (detail::t_simulation != nullptr) {
      detail::TrackedAccessIn(*detail::t_simulation, detail::Operation::kRead, *this, pc);
    }
    return value_;
  }
  [[gnu::always_inline]] void Write(T value, const void* pc) {
    if (detail::t_simulation != nullptr) {
      detail::TrackedAccessIn(*detail::t_simulation, detail::Operation::kWrite, *this, pc);
    }
    value_ = std::move(value);
  }

  T value_;
};

}  // namespace weave
