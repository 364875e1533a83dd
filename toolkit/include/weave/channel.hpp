// weave/channel.hpp: a multi-producer, multi-consumer channel.
//
// Bounded (send blocks while full), unbounded (the default) or rendezvous (capacity 0: send blocks
// until a receiver has taken the value). close() ends the stream: receivers drain what is buffered
// and then get std::nullopt; sends after close return false. receive_for/receive_until wait in
// virtual time. Closing twice is reported as misuse.
//
//   weave::channel<int> jobs{8, "jobs"};                       // bounded, capacity 8
//   weave::spawn("producer", [&] { jobs.send(42); jobs.close(); });
//   while (std::optional<int> job = jobs.receive()) handle(*job);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"
#include "weave/detail/time.hpp"

namespace weave {

template <class T>
class channel : public detail::SyncObject {
 public:
  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

  explicit channel(std::size_t capacity = kUnbounded, std::string_view name = {})
      : SyncObject(detail::ObjectKind::kChannel, name), capacity_(capacity) {}
  ~channel() override {
    detail::CheckDestroyed(*this, senders_, senders_.empty() ? "" : "while tasks wait to send");
    detail::CheckDestroyed(*this, receivers_,
                           receivers_.empty() ? "" : "while tasks wait to receive");
  }

  // Sends `value`, blocking while the channel is full (or, for capacity 0, until a receiver has
  // taken it). Returns false if the channel is or gets closed before the value is accepted. On a
  // rendezvous channel closed while the value waits to be taken, send returns true: the value
  // stays buffered and receivers drain it like any other.
  bool send(T value, weave::source_location where = weave::source_location::current()) {
    return SendUntil(std::move(value), detail::kNoDeadline, /*block=*/true, where);
  }
  // Sends only if that needs no waiting (never succeeds on a rendezvous channel).
  bool try_send(T value, weave::source_location where = weave::source_location::current()) {
    return SendUntil(std::move(value), detail::kNoDeadline, /*block=*/false, where);
  }

  // Receives the next value, blocking while the channel is empty and open. nullopt once the
  // channel is closed and drained.
  std::optional<T> receive(weave::source_location where = weave::source_location::current()) {
    return ReceiveUntil(detail::kNoDeadline, true, where);
  }
  std::optional<T> try_receive(weave::source_location where = weave::source_location::current()) {
    return ReceiveUntil(detail::kNoDeadline, false, where);
  }
  // nullopt on timeout or when closed and drained (closed() tells which).
  template <class Rep, class Period>
  std::optional<T> receive_for(std::chrono::duration<Rep, Period> d,
                               weave::source_location where = weave::source_location::current()) {
    return ReceiveUntil(detail::DeadlineAfter(d), true, where);
  }
  template <class Clock, class Duration>
  std::optional<T> receive_until(std::chrono::time_point<Clock, Duration> t,
                                 weave::source_location where = weave::source_location::current()) {
    return ReceiveUntil(detail::DeadlineAt(t), true, where);
  }

  // Closes the channel and wakes every waiter.
  void close(weave::source_location where = weave::source_location::current()) {
    detail::SchedulingPoint(detail::Operation::kClose, this);
    if (closed_) {
      if (!detail::InSimulation()) throw std::logic_error("weave::channel closed twice");
      detail::ReportMisuse(absl::StrCat(Describe(), " closed twice"), where);
      return;
    }
    closed_ = true;
    detail::WakeAll(senders_);
    detail::WakeAll(receivers_);
  }

  bool closed() const { return closed_; }
  std::size_t size() const { return items_.size(); }
  std::size_t capacity() const { return capacity_; }

 protected:
  void ForgetEarlierRun() override {
    senders_.Forget();
    receivers_.Forget();
  }

 private:
  bool HasRoom() const { return items_.size() < (capacity_ == 0 ? 1 : capacity_); }

  bool SendUntil(T value, detail::Nanos deadline, bool block, weave::source_location where) {
    detail::SchedulingPoint(detail::Operation::kSend, this);
    while (!closed_ && !HasRoom()) {
      if (!block) return false;
      RequireSimulation();
      if (detail::Wait(senders_, detail::Operation::kSend, this, deadline, where) !=
          detail::WakeReason::kNotified) {
        return false;
      }
    }
    if (closed_) return false;
    if (capacity_ == 0 && !block) return false;
    items_.push_back(std::move(value));
    const std::uint64_t ticket = ++sent_;
    detail::WakeAll(receivers_);
    if (capacity_ == 0) {
      // Rendezvous: wait until a receiver has taken this value.
      while (received_ < ticket && !closed_) {
        if (detail::Wait(senders_, detail::Operation::kSend, this, detail::kNoDeadline, where) ==
            detail::WakeReason::kAborted) {
          break;
        }
      }
    }
    return true;
  }

  std::optional<T> ReceiveUntil(detail::Nanos deadline, bool block, weave::source_location where) {
    detail::SchedulingPoint(detail::Operation::kReceive, this);
    while (items_.empty()) {
      if (closed_ || !block) return std::nullopt;
      RequireSimulation();
      if (detail::Wait(receivers_, detail::Operation::kReceive, this, deadline, where) !=
          detail::WakeReason::kNotified) {
        return std::nullopt;
      }
    }
    std::optional<T> out(std::move(items_.front()));
    items_.pop_front();
    ++received_;
    detail::WakeAll(senders_);
    return out;
  }

  static void RequireSimulation() {
    if (!detail::InSimulation()) {
      throw std::logic_error("weave::channel: operation would block outside a simulation");
    }
  }

  std::size_t capacity_;
  bool closed_ = false;
  std::deque<T> items_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  detail::WaitQueue senders_;
  detail::WaitQueue receivers_;
};

}  // namespace weave
