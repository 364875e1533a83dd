// weave/future.hpp: Model of std::promise and std::future, for fibers and coroutines alike.
//
// One value (or one exception) handed from the task that computes it to the task that needs it.
// The promise sets it once; the future waits for it and takes it once, with get() in a fiber or
// the body, or with `co_await` in a coroutine. T may be void or a reference, as in std.
// What std makes an exception or undefined behaviour is a reported misuse here (then the
// std::future_error std would throw is thrown): calling get_future() twice, setting a value
// twice, using a future with no state (default-constructed, moved from, or already retrieved). A
// promise destroyed without a value makes get() throw std::future_error(broken_promise), as in
// std. An exception stored in a promise that nobody retrieves (with get() or co_await) before the
// shared state is destroyed is reported as an uncaught exception: it was lost.
//
//   weave::promise<int> p{"answer"};  weave::future<int> f = p.get_future();
//   int v = f.get();                  // a fiber or the body; elsewhere: p.set_value(42);
//   int w = co_await std::move(f);    // a coroutine (instead of get())
//
// Waiting runs the same code for every task kind: a coroutine and a fiber waiting on the same
// future are woken by the same set_value.
// Happens-before: set_value, set_exception (and a promise's destruction that breaks it) happen
// before every get(), wait, co_await or is_ready() that finds the state ready.
// Determinism: setting and getting are scheduling points; set_value wakes every waiter and the
// strategy orders who runs. Timed waits use virtual time.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "weave/detail/operation.hpp"
#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {

template <class T>
class future;
template <class T>
class promise;

namespace detail {

// The state a promise shares with its future: whether it is ready, the exception if any, and
// the tasks waiting for it. Heap-allocated and shared (std::shared_ptr) by promise and future;
// known to the simulation as a "future" object, named after the promise.
class FutureStateBase : public SyncObject {
 public:
  explicit FutureStateBase(std::string_view name) : SyncObject(ObjectKind::kFuture, name) {}
  // Reports an exception nobody retrieved (uncaught-exception), then detaches any waiters.
  ~FutureStateBase() override;

  // --- the promise's side ---
  // get_future(): misuse (then future_already_retrieved) on the second call.
  void TakeFuture(const weave::source_location& where);
  // The scheduling point of set_value and set_exception; misuse (then promise_already_satisfied)
  // when the state is ready already. `what` names the call in the report.
  void BeginSet(std::string_view what, const weave::source_location& where);
  // Makes the state ready (the derived state holds the value) and wakes every waiter.
  void MakeReady();
  // set_exception: BeginSet, then stores `error` (misuse if null) and makes the state ready.
  void SetException(std::exception_ptr error, const weave::source_location& where);
  // The promise is going away: unless ready, store broken_promise and wake the waiters.
  // No scheduling point (called from destructors).
  void Abandon() noexcept;

  // --- the future's side ---
  // Whether the state is ready. A scheduling point.
  bool IsReady();
  // Rethrows the stored exception, if any, marking it retrieved.
  void RethrowError();
  bool ready() const { return ready_; }

 private:
  friend class FutureWait;
  void ForgetEarlierRun() override { waiters_.Forget(); }

  WaitQueue waiters_;
  std::exception_ptr error_;             // Invariant: set only when ready_.
  weave::source_location error_set_at_;  // where set_exception was called
  bool ready_ = false;
  bool future_taken_ = false;
  bool error_retrieved_ = false;  // a get() or co_await rethrew error_
  bool broken_ = false;           // error_ is the broken_promise of an abandoned promise
};

// What a FutureState<void> holds once ready.
struct FutureVoid {};

template <class T>
class FutureState final : public FutureStateBase {
 public:
  using FutureStateBase::FutureStateBase;

  // Stores the value (the state is made ready separately, after the value is in place).
  template <class... Args>
  void Store(Args&&... args) {
    if constexpr (std::is_reference_v<T>) {
      value_.emplace(std::addressof(args)...);
    } else {
      value_.emplace(std::forward<Args>(args)...);
    }
  }
  // The value, or rethrows the exception. Call once, when ready.
  T Take() {
    RethrowError();
    if (!value_) throw std::logic_error("weave::future: no value (the wait was interrupted)");
    if constexpr (std::is_void_v<T>) {
      return;
    } else if constexpr (std::is_reference_v<T>) {
      return static_cast<T>(**value_);
    } else {
      return std::move(*value_);
    }
  }

 private:
  using Stored = std::conditional_t<
      std::is_void_v<T>, FutureVoid,
      std::conditional_t<std::is_reference_v<T>, std::remove_reference_t<T>*, T>>;
  std::optional<Stored> value_;
};

// Waiting until a shared state is ready or `deadline`, for every task kind. Keeps the state alive.
class FutureWait : public BlockingOperation {
 public:
  FutureWait(std::shared_ptr<FutureStateBase> state, Nanos deadline,
             const weave::source_location& where)
      : BlockingOperation(Operation::kWait, state.get(), where),
        state_(std::move(state)),
        deadline_(deadline) {}
  Outcome Attempt() final;
  bool ready() const { return state_->ready(); }

 protected:
  FutureStateBase& state() const { return *state_; }

 private:
  std::shared_ptr<FutureStateBase> state_;
  Nanos deadline_;
};
// co_wait(): nothing.
class FutureWaitVoid final : public FutureWait {
 public:
  using FutureWait::FutureWait;
  void Result() const {}
};
// co_wait_for / co_wait_until: ready or timeout.
class FutureWaitStatus final : public FutureWait {
 public:
  using FutureWait::FutureWait;
  std::future_status Result() const {
    return ready() ? std::future_status::ready : std::future_status::timeout;
  }
};
// co_await on a future: the value, or the exception rethrown.
template <class T>
class FutureGet final : public FutureWait {
 public:
  using FutureWait::FutureWait;
  T Result() { return static_cast<FutureState<T>&>(state()).Take(); }
};

// Blocks the current stackful task until `state` is ready or `deadline`; whether it is ready.
// A scheduling point. Outside a simulation: std::logic_error if it would block.
bool WaitForFuture(std::shared_ptr<FutureStateBase> state, Nanos deadline,
                   const weave::source_location& where);
// Misuse of a promise or future: reported (inside a simulation), then std::future_error(code).
[[noreturn]] void FailFuture(std::future_errc code, const std::string& message,
                             const weave::source_location& where);

// What promise<T>, promise<T&> and promise<void> share: everything but set_value.
template <class T>
class PromiseBase {
 public:
  PromiseBase(const PromiseBase&) = delete;
  PromiseBase& operator=(const PromiseBase&) = delete;

  // The future that receives this promise's value. Once: a second call is misuse.
  future<T> get_future(weave::source_location where = weave::source_location::current()) {
    State("get_future", where).TakeFuture(where);
    return future<T>(state_);
  }

  // Stores `error` for the future's get() to rethrow. A scheduling point. Setting twice (value or
  // exception) is misuse; so is a null `error`.
  void set_exception(std::exception_ptr error,
                     weave::source_location where = weave::source_location::current()) {
    State("set_exception", where).SetException(std::move(error), where);
  }

  void swap(PromiseBase& other) noexcept { state_.swap(other.state_); }

 protected:
  PromiseBase() : PromiseBase(std::string_view{}) {}
  explicit PromiseBase(std::string_view name) : state_(std::make_shared<FutureState<T>>(name)) {}
  PromiseBase(PromiseBase&& other) noexcept = default;
  PromiseBase& operator=(PromiseBase&& other) noexcept {
    if (this != &other) {
      if (state_) state_->Abandon();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  // A promise destroyed unsatisfied breaks its promise: get() throws broken_promise.
  ~PromiseBase() {
    if (state_) state_->Abandon();
  }

  // The shared state; misuse (no_state) when there is none (moved from).
  FutureState<T>& State(std::string_view what, const weave::source_location& where) {
    if (!state_) {
      FailFuture(std::future_errc::no_state,
                 std::string(what) + "() on a promise with no shared state (moved from)", where);
    }
    return *state_;
  }
  // set_value: the scheduling point and checks, then the value, then ready.
  template <class... Args>
  void SetValue(const weave::source_location& where, Args&&... args) {
    FutureState<T>& state = State("set_value", where);
    state.BeginSet("set_value", where);
    state.Store(std::forward<Args>(args)...);
    state.MakeReady();
  }

 private:
  std::shared_ptr<FutureState<T>> state_;
};

}  // namespace detail

// Model of std::future<T>: the receiving end. Move-only; valid() until get() or co_await takes
// the value.
template <class T>
class future {
 public:
  // An invalid future (no shared state).
  future() noexcept = default;
  future(future&&) noexcept = default;
  future& operator=(future&&) noexcept = default;
  future(const future&) = delete;
  future& operator=(const future&) = delete;
  ~future() = default;

  // Whether this future has a shared state (false once get() or co_await took the value).
  bool valid() const noexcept { return state_ != nullptr; }

  // Blocks until ready, then returns the value or rethrows the stored exception. Releases the
  // shared state: a second get() is misuse.
  T get(weave::source_location where = weave::source_location::current()) {
    detail::WaitForFuture(State("get", where), detail::kNoDeadline, where);
    const std::shared_ptr<detail::FutureState<T>> state = std::move(state_);
    return state->Take();
  }

  // Blocks until ready.
  void wait(weave::source_location where = weave::source_location::current()) const {
    detail::WaitForFuture(State("wait", where), detail::kNoDeadline, where);
  }
  // Blocks until ready or `d` of virtual time has passed. Never std::future_status::deferred.
  template <class Rep, class Period>
  std::future_status wait_for(
      std::chrono::duration<Rep, Period> d,
      weave::source_location where = weave::source_location::current()) const {
    return WaitUntil(State("wait_for", where),
                     detail::InSimulation() ? detail::DeadlineAfter(d) : detail::kNoDeadline,
                     where);
  }
  // Blocks until ready or virtual time reaches `t`.
  template <class Clock, class Duration>
  std::future_status wait_until(
      std::chrono::time_point<Clock, Duration> t,
      weave::source_location where = weave::source_location::current()) const {
    return WaitUntil(State("wait_until", where),
                     detail::InSimulation() ? detail::DeadlineAt(t) : detail::kNoDeadline, where);
  }
  // Whether the value (or exception) is there: get() would not block. A scheduling point.
  bool is_ready(weave::source_location where = weave::source_location::current()) const {
    return State("is_ready", where)->IsReady();
  }

  // `T v = co_await std::move(f);` (or `co_await f`): waits without a stack, then gives the value
  // or rethrows, like get(). Takes the shared state: the future is invalid afterwards.
  auto operator co_await() && {
    return detail::Awaitable<detail::FutureGet<T>>(Release("co_await", kAwait), detail::kNoDeadline,
                                                   kAwait);
  }
  auto operator co_await() & { return std::move(*this).operator co_await(); }

  // Awaitable wait(): leaves the value in place for a later get() or co_await.
  auto co_wait(weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<detail::FutureWaitVoid>(State("co_wait", where), detail::kNoDeadline,
                                                     where);
  }
  // Awaitable wait_for(): std::future_status::ready or ::timeout.
  template <class Rep, class Period>
  auto co_wait_for(std::chrono::duration<Rep, Period> d,
                   weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<detail::FutureWaitStatus>(State("co_wait_for", where),
                                                       detail::DeadlineAfter(d), where);
  }
  // Awaitable wait_until().
  template <class Clock, class Duration>
  auto co_wait_until(std::chrono::time_point<Clock, Duration> t,
                     weave::source_location where = weave::source_location::current()) const {
    return detail::Awaitable<detail::FutureWaitStatus>(State("co_wait_until", where),
                                                       detail::DeadlineAt(t), where);
  }

 private:
  friend class detail::PromiseBase<T>;
  static constexpr weave::source_location kAwait{};

  explicit future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}

  // The shared state (kept alive by the copy while waiting); misuse when there is none.
  const std::shared_ptr<detail::FutureState<T>>& State(std::string_view what,
                                                       const weave::source_location& where) const {
    if (!state_) detail::FailFuture(std::future_errc::no_state, NoStateMessage(what), where);
    return state_;
  }
  // Takes the shared state out (co_await); misuse when there is none.
  std::shared_ptr<detail::FutureState<T>> Release(std::string_view what,
                                                  const weave::source_location& where) {
    State(what, where);
    return std::move(state_);
  }
  static std::future_status WaitUntil(std::shared_ptr<detail::FutureState<T>> state,
                                      detail::Nanos deadline, const weave::source_location& where) {
    return detail::WaitForFuture(std::move(state), deadline, where) ? std::future_status::ready
                                                                    : std::future_status::timeout;
  }
  static std::string NoStateMessage(std::string_view what) {
    return std::string(what) +
           "() on a future with no shared state (default-constructed, moved from, or its value "
           "was taken already by get() or co_await)";
  }

  std::shared_ptr<detail::FutureState<T>> state_;
};

// Model of std::promise<T>: the sending end. Move-only.
//
//   weave::promise<std::string> p{"reply"};   // the name shows in reports
//   auto f = p.get_future();
//   p.set_value("ok");                          // or p.set_exception(std::current_exception())
template <class T>
class promise : public detail::PromiseBase<T> {
 public:
  promise() = default;
  explicit promise(std::string_view name) : detail::PromiseBase<T>(name) {}

  // Stores the value and wakes the waiters. A scheduling point; setting twice is misuse.
  void set_value(const T& value, weave::source_location where = weave::source_location::current()) {
    this->SetValue(where, value);
  }
  void set_value(T&& value, weave::source_location where = weave::source_location::current()) {
    this->SetValue(where, std::move(value));
  }
};

template <class T>
class promise<T&> : public detail::PromiseBase<T&> {
 public:
  promise() = default;
  explicit promise(std::string_view name) : detail::PromiseBase<T&>(name) {}

  // Stores a reference to `value` (which must outlive its use) and wakes the waiters.
  void set_value(T& value, weave::source_location where = weave::source_location::current()) {
    this->SetValue(where, value);
  }
};

template <>
class promise<void> : public detail::PromiseBase<void> {
 public:
  promise() = default;
  explicit promise(std::string_view name) : detail::PromiseBase<void>(name) {}

  // Makes the future ready and wakes the waiters.
  void set_value(weave::source_location where = weave::source_location::current()) {
    this->SetValue(where);
  }
};

template <class T>
void swap(promise<T>& a, promise<T>& b) noexcept {
  a.swap(b);
}

}  // namespace weave
