// weave/access.hpp: race checking for memory whose type cannot change.
//
// weave::shared<T> tracks a variable by its type. Code under test that keeps a plain `int`, a
// struct field or a buffer can say where it reads and writes instead: weave::read(&x, "x") and
// weave::write(&x, "x") are tracked accesses to the memory at that address, exactly as a
// shared<T> access (a scheduling point, then the happens-before check). The address identifies
// the variable within a run; `name` is what reports call it.
//
//   int hits = 0;                       // shared by tasks, cannot become weave::shared<int>
//   weave::write(&hits, "hits");        // say so before each write...
//   ++hits;
//   weave::read(&hits, "hits");         // ...and each read
//
// Outside a simulation both do nothing. An access is checked at its address only: annotate a
// struct's fields one by one (or the struct's address for all of it, consistently). The address
// names the variable for the whole run: memory freed and allocated again at the same address
// (a node deleted by one task, a new one made by another) keeps the old history, and can be
// reported as racing with it. Use weave::shared<T> for such objects.
#pragma once

#include <string_view>

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {

// A tracked read of the memory at `address`.
[[gnu::always_inline]] inline void read(
    const volatile void* address, std::string_view name = {},
    const weave::source_location& where = weave::source_location::current()) {
  if (detail::t_simulation != nullptr) {
    detail::TrackedRawAccessIn(*detail::t_simulation, detail::Operation::kRead,
                               const_cast<const void*>(address), name, where);
  }
}

// A tracked write of the memory at `address`.
[[gnu::always_inline]] inline void write(
    const volatile void* address, std::string_view name = {},
    const weave::source_location& where = weave::source_location::current()) {
  if (detail::t_simulation != nullptr) {
    detail::TrackedRawAccessIn(*detail::t_simulation, detail::Operation::kWrite,
                               const_cast<const void*>(address), name, where);
  }
}

}  // namespace weave
