// weave/shared.hpp: a tracked shared variable.
//
// weave::shared<T> holds a value that several tasks read and write. Every read and every write is
// a scheduling point, so weave explores interleavings between them (a lost update such as
// `a = a - 10` racing with another writer is found). The race detector (a later issue) checks
// these accesses for happens-before; until then they are only scheduling points.
//
//   weave::shared<int> balance{100, "balance"};
//   balance = balance - 10;       // a read, then a write: two scheduling points
//   int now = balance.load();
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
      : SyncObject(detail::ObjectKind::kShared, name),
        value_(std::move(initial)),
        declared_(declared) {}

  // A tracked read.
  T load() const {
    detail::SchedulingPoint(detail::Operation::kRead, this);
    return value_;
  }
  operator T() const { return load(); }
  // A tracked write.
  void store(T value) {
    detail::SchedulingPoint(detail::Operation::kWrite, this);
    value_ = std::move(value);
  }
  shared& operator=(T value) {
    store(std::move(value));
    return *this;
  }
  shared(const shared&) = delete;
  shared& operator=(const shared&) = delete;

  // Where the variable was declared (race reports name it).
  const weave::source_location& declared() const { return declared_; }

 private:
  T value_;
  weave::source_location declared_;
};

}  // namespace weave
