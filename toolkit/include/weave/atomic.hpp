// weave/atomic.hpp: Model of std::atomic<T>, sequentially consistent.
//
// Every operation is a scheduling point, so interleavings between atomic operations are explored.
// Memory orders are accepted for source compatibility and treated as seq_cst (weaker orders are
// not modelled yet). wait()/notify_one()/notify_all() block in the simulation; co_wait() is the
// awaitable wait() for coroutines, run by the same code.
//
//   weave::atomic<int> hits{0, "hits"};
//   hits.fetch_add(1);
//   if (hits.load() == 2) { ... }
//   co_await hits.co_wait(2);   // a coroutine: resumes once notified with hits != 2
//
// Happens-before: every operation is seq_cst, so each store and successful read-modify-write
// happens before every later load, read-modify-write (a failed compare_exchange included) and
// wait() return on the same atomic: a load is ordered after all earlier stores, not only after
// the one whose value it reads. A failed compare_exchange is a load and publishes nothing.
// Determinism: notify_one wakes the longest waiter, notify_all every waiter; the strategy orders
// who runs.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {

template <class T>
class atomic : public detail::SyncObject {
  static_assert(std::is_trivially_copyable_v<T>,
                "weave::atomic<T> requires a trivially copyable T");

 public:
  using value_type = T;
  static constexpr bool is_always_lock_free = true;

  atomic() noexcept(std::is_nothrow_default_constructible_v<T>)
      : SyncObject(detail::ObjectKind::kAtomic, {}), value_() {}
  constexpr explicit(false) atomic(T desired, std::string_view name = {})
      : SyncObject(detail::ObjectKind::kAtomic, name), value_(desired) {}
  ~atomic() override {
    detail::CheckDestroyed(*this, waiters_, waiters_.empty() ? "" : "while tasks wait on it");
  }

  bool is_lock_free() const noexcept { return true; }

  T load(std::memory_order = std::memory_order_seq_cst) const {
    Point(Sync::kAcquire);
    return value_;
  }
  operator T() const { return load(); }
  void store(T desired, std::memory_order = std::memory_order_seq_cst) {
    Point(Sync::kRelease);
    value_ = desired;
  }
  // Returns T, not atomic&, exactly as std::atomic does.
  T operator=(T desired) {  // NOLINT(misc-unconventional-assign-operator)
    store(desired);
    return desired;
  }
  T exchange(T desired, std::memory_order = std::memory_order_seq_cst) {
    Point(Sync::kAcquireRelease);
    T old = value_;
    value_ = desired;
    return old;
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order = std::memory_order_seq_cst,
                               std::memory_order = std::memory_order_seq_cst) {
    Point(Sync::kAcquire);  // a failed exchange is a load: it publishes nothing
    if (Equal(value_, expected)) {
      value_ = desired;
      detail::HappensBeforeRelease(*this);
      return true;
    }
    expected = value_;
    return false;
  }
  // Never fails spuriously in this model.
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order order = std::memory_order_seq_cst,
                             std::memory_order failure = std::memory_order_seq_cst) {
    return compare_exchange_strong(expected, desired, order, failure);
  }

  T fetch_add(T arg,
              std::memory_order = std::memory_order_seq_cst) requires(std::is_integral_v<T>) {
    return Modify([&](T v) { return static_cast<T>(v + arg); });
  }
  // Pointers move by whole elements, as with std::atomic<T*>.
  T fetch_add(std::ptrdiff_t arg,
              std::memory_order = std::memory_order_seq_cst) requires(std::is_pointer_v<T>) {
    return Modify([&](T v) { return v + arg; });
  }
  T fetch_sub(std::ptrdiff_t arg,
              std::memory_order = std::memory_order_seq_cst) requires(std::is_pointer_v<T>) {
    return Modify([&](T v) { return v - arg; });
  }
  T fetch_sub(T arg,
              std::memory_order = std::memory_order_seq_cst) requires(std::is_integral_v<T>) {
    return Modify([&](T v) { return static_cast<T>(v - arg); });
  }
  T fetch_and(T arg,
              std::memory_order = std::memory_order_seq_cst) requires(std::is_integral_v<T>) {
    return Modify([&](T v) { return static_cast<T>(v & arg); });
  }
  T fetch_or(T arg, std::memory_order = std::memory_order_seq_cst) requires(std::is_integral_v<T>) {
    return Modify([&](T v) { return static_cast<T>(v | arg); });
  }
  T fetch_xor(T arg,
              std::memory_order = std::memory_order_seq_cst) requires(std::is_integral_v<T>) {
    return Modify([&](T v) { return static_cast<T>(v ^ arg); });
  }
  T operator++() requires(std::is_integral_v<T>) { return static_cast<T>(fetch_add(1) + 1); }
  T operator++(int) requires(std::is_integral_v<T>) { return fetch_add(1); }
  T operator--() requires(std::is_integral_v<T>) { return static_cast<T>(fetch_sub(1) - 1); }
  T operator--(int) requires(std::is_integral_v<T>) { return fetch_sub(1); }
  T operator+=(T arg) requires(std::is_integral_v<T>) {
    return static_cast<T>(fetch_add(arg) + arg);
  }
  T operator-=(T arg) requires(std::is_integral_v<T>) {
    return static_cast<T>(fetch_sub(arg) - arg);
  }

  // Blocks while the value equals `old` (C++20 atomic wait).
  void wait(T old, std::memory_order = std::memory_order_seq_cst) const {
    WaitOperation operation(*this, old, weave::source_location());
    detail::Perform(operation);
  }
  // Awaitable wait(old): `co_await flag.co_wait(false);`.
  auto co_wait(T old, weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<WaitOperation>(*this, old, where);
  }
  // Wakes the longest waiter of wait()/co_wait().
  void notify_one() {
    Point(Sync::kNone);
    detail::WakeOne(waiters_);
  }
  // Wakes every waiter.
  void notify_all() {
    Point(Sync::kNone);
    detail::WakeAll(waiters_);
  }

 protected:
  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
  // wait(old), for the blocking and the awaitable forms alike: the atomic's scheduling point,
  // then waits until notified with a value other than `old`.
  class WaitOperation final : public detail::BlockingOperation {
   public:
    WaitOperation(const atomic& a, T old, const weave::source_location& where)
        : BlockingOperation(detail::Operation::kAtomic, &a, where), atomic_(a), old_(old) {
      ShowWaitAs(detail::Operation::kWait, &a);
    }
    Outcome Attempt() override {
      if (!Equal(atomic_.value_, old_)) {
        detail::HappensBeforeAcquire(atomic_);  // it read the value it returns for
        return Outcome::kDone;
      }
      WaitOn(atomic_.waiters_);
      return Outcome::kWait;
    }
    void Result() const {}

   private:
    const atomic& atomic_;
    T old_;
  };

  static bool Equal(const T& a, const T& b) {
    if constexpr (requires { a == b; }) {
      return a == b;
    } else {
      return std::memcmp(&a, &b, sizeof(T)) == 0;
    }
  }
  // What an operation is to the race detector. Every operation is seq_cst for now: a load
  // acquires what earlier stores released, a store releases, a read-modify-write does both.
  // (A notify orders nothing by itself; the load that sees the new value does.)
  enum class Sync : std::uint8_t { kNone, kAcquire, kRelease, kAcquireRelease };
  // Every operation's scheduling point, then its happens-before edges.
  void Point(Sync sync) const {
    detail::SchedulingPoint(detail::Operation::kAtomic, this);
    if (sync == Sync::kAcquire || sync == Sync::kAcquireRelease) {
      detail::HappensBeforeAcquire(*this);
    }
    if (sync == Sync::kRelease || sync == Sync::kAcquireRelease) {
      detail::HappensBeforeRelease(*this);
    }
  }
  template <class F>
  T Modify(F f) {
    Point(Sync::kAcquireRelease);
    T old = value_;
    value_ = f(old);
    return old;
  }

  T value_;
  mutable detail::WaitQueue waiters_;
};

}  // namespace weave
