// weave/condition_variable.hpp: Model of std::condition_variable (and _any).
//
// Waits on any Lockable, most often std::unique_lock<weave::mutex>. wait() atomically releases the
// lock and blocks; notify_one() wakes one waiter (which one is a choice the strategy explores),
// notify_all() wakes all. With Options::spurious_wakeups each wait may also return without a
// notify, as the standard allows: code that waits without a predicate loop is then caught.
// Timed waits run in virtual time. Waiting without holding the lock is reported as misuse.
//
//   std::unique_lock lock(m);
//   cv.wait(lock, [&] { return !queue.empty(); });
//   auto item = queue.front();
#pragma once

#include <chrono>
#include <condition_variable>
#include <string_view>

#include "absl/functional/function_ref.h"

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {

class condition_variable : public detail::SyncObject {
 public:
  explicit condition_variable(std::string_view name = {})
      : SyncObject(detail::ObjectKind::kConditionVariable, name) {}
  ~condition_variable() override;

  void notify_one(weave::source_location where = weave::source_location::current());
  void notify_all(weave::source_location where = weave::source_location::current());

  template <class Lock>
  void wait(Lock& lock, weave::source_location where = weave::source_location::current()) {
    WaitUntilDeadline(lock, detail::kNoDeadline, where);
  }
  template <class Lock, class Predicate>
  void wait(Lock& lock, Predicate pred,
            weave::source_location where = weave::source_location::current()) {
    while (!pred()) WaitUntilDeadline(lock, detail::kNoDeadline, where);
  }

  template <class Lock, class Rep, class Period>
  std::cv_status wait_for(Lock& lock, std::chrono::duration<Rep, Period> d,
                          weave::source_location where = weave::source_location::current()) {
    return WaitUntilDeadline(lock, detail::DeadlineAfter(d), where);
  }
  template <class Lock, class Rep, class Period, class Predicate>
  bool wait_for(Lock& lock, std::chrono::duration<Rep, Period> d, Predicate pred,
                weave::source_location where = weave::source_location::current()) {
    return WaitWithPredicate(lock, detail::DeadlineAfter(d), pred, where);
  }

  template <class Lock, class Clock, class Duration>
  std::cv_status wait_until(Lock& lock, std::chrono::time_point<Clock, Duration> t,
                            weave::source_location where = weave::source_location::current()) {
    return WaitUntilDeadline(lock, detail::DeadlineAt(t), where);
  }
  template <class Lock, class Clock, class Duration, class Predicate>
  bool wait_until(Lock& lock, std::chrono::time_point<Clock, Duration> t, Predicate pred,
                  weave::source_location where = weave::source_location::current()) {
    return WaitWithPredicate(lock, detail::DeadlineAt(t), pred, where);
  }

 protected:
  void ForgetEarlierRun() override { waiters_.Forget(); }

 private:
  template <class Lock>
  std::cv_status WaitUntilDeadline(Lock& lock, detail::Nanos deadline,
                                   weave::source_location where) {
    bool holds = true;
    if constexpr (requires { lock.owns_lock(); }) holds = lock.owns_lock();
    return WaitImpl(
        holds, [&] { lock.unlock(); }, [&] { lock.lock(); }, deadline, where);
  }
  template <class Lock, class Predicate>
  bool WaitWithPredicate(Lock& lock, detail::Nanos deadline, Predicate& pred,
                         weave::source_location where) {
    while (!pred()) {
      if (WaitUntilDeadline(lock, deadline, where) == std::cv_status::timeout) return pred();
    }
    return true;
  }
  std::cv_status WaitImpl(bool holds_lock, absl::FunctionRef<void()> unlock,
                          absl::FunctionRef<void()> relock, detail::Nanos deadline,
                          weave::source_location where);

  detail::WaitQueue waiters_;
};

// std::condition_variable_any's name, for code that spells it so.
using condition_variable_any = condition_variable;

}  // namespace weave
