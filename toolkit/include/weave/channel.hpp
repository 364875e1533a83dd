// weave/channel.hpp: a multi-producer, multi-consumer channel.
//
// Bounded (send blocks while full), unbounded (the default) or rendezvous (capacity 0: send blocks
// until a receiver has taken the value). close() ends the stream: receivers drain what is buffered
// and then get std::nullopt; sends after close return false. receive_for/receive_until and
// send_for/send_until wait in virtual time. Closing twice is reported as misuse; a receiver of a
// channel nobody closes is reported as a deadlock once nothing else can run.
//
//   weave::channel<int> jobs{8, "jobs"};                       // bounded, capacity 8
//   weave::spawn("producer", [&] { jobs.send(42); jobs.close(); });
//   while (std::optional<int> job = jobs.receive()) handle(*job);              // a fiber
//   while (std::optional<int> job = co_await jobs.co_receive()) handle(*job);  // a coroutine
//
// The awaitable forms (co_send, co_send_for/until, co_receive, co_receive_for/until) run the same
// code as the blocking ones: coroutines and fibers send to and receive from each other alike.
// Cancellation: a coroutine task cancelled while its co_send waits gets weave::task_cancelled and
// its value is not sent (on a rendezvous channel it is taken back unless a receiver took it).
// Happens-before: a send happens before the receive that takes its value; on a rendezvous
// channel that receive also happens before the send returns; close() happens before every
// receive that returns nullopt because the channel is closed.
// Determinism: every operation is a scheduling point; a send or receive wakes every waiter of the
// other side and the strategy picks who goes on.
// Thread-safety: like every weave primitive, used only by tasks of one simulation.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

#include "weave/detail/operation.hpp"
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
    return SendUntil(std::move(value), detail::kNoDeadline, where);
  }
  // Sends only if that needs no waiting (never succeeds on a rendezvous channel).
  bool try_send(T value, weave::source_location where = weave::source_location::current());
  // send() that gives up after `d` of virtual time: false if the value was not accepted by then
  // (on a rendezvous channel: not taken by a receiver; it is taken back).
  template <class Rep, class Period>
  bool send_for(T value, std::chrono::duration<Rep, Period> d,
                weave::source_location where = weave::source_location::current()) {
    return SendUntil(std::move(value), detail::DeadlineAfter(d), where);
  }
  // send() that gives up at `t` (a weave::clock time point, or another clock's, taken relative).
  template <class Clock, class Duration>
  bool send_until(T value, std::chrono::time_point<Clock, Duration> t,
                  weave::source_location where = weave::source_location::current()) {
    return SendUntil(std::move(value), detail::DeadlineAt(t), where);
  }

  // Receives the next value, blocking while the channel is empty and open. nullopt once the
  // channel is closed and drained.
  std::optional<T> receive(weave::source_location where = weave::source_location::current()) {
    return ReceiveUntil(detail::kNoDeadline, where);
  }
  // Receives only if a value is buffered; never blocks.
  std::optional<T> try_receive(weave::source_location where = weave::source_location::current());
  // nullopt on timeout or when closed and drained (closed() tells which).
  template <class Rep, class Period>
  std::optional<T> receive_for(std::chrono::duration<Rep, Period> d,
                               weave::source_location where = weave::source_location::current()) {
    return ReceiveUntil(detail::DeadlineAfter(d), where);
  }
  template <class Clock, class Duration>
  std::optional<T> receive_until(std::chrono::time_point<Clock, Duration> t,
                                 weave::source_location where = weave::source_location::current()) {
    return ReceiveUntil(detail::DeadlineAt(t), where);
  }

  // Awaitable send(): `bool sent = co_await ch.co_send(v);` (false: the channel is closed).
  auto co_send(T value, weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<SendOperation>(*this, std::move(value), detail::kNoDeadline, where);
  }
  // Awaitable send_for.
  template <class Rep, class Period>
  auto co_send_for(T value, std::chrono::duration<Rep, Period> d,
                   weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<SendOperation>(*this, std::move(value), detail::DeadlineAfter(d),
                                            where);
  }
  // Awaitable send_until.
  template <class Clock, class Duration>
  auto co_send_until(T value, std::chrono::time_point<Clock, Duration> t,
                     weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<SendOperation>(*this, std::move(value), detail::DeadlineAt(t), where);
  }
  // Awaitable receive(): `std::optional<T> v = co_await ch.co_receive();`.
  auto co_receive(weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<ReceiveOperation>(*this, detail::kNoDeadline, where);
  }
  // Awaitable receive_for.
  template <class Rep, class Period>
  auto co_receive_for(std::chrono::duration<Rep, Period> d,
                      weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<ReceiveOperation>(*this, detail::DeadlineAfter(d), where);
  }
  // Awaitable receive_until.
  template <class Clock, class Duration>
  auto co_receive_until(std::chrono::time_point<Clock, Duration> t,
                        weave::source_location where = weave::source_location::current()) {
    return detail::Awaitable<ReceiveOperation>(*this, detail::DeadlineAt(t), where);
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
    detail::HappensBeforeRelease(*this, kCloseSlot);  // for receivers that find it closed
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

  // Sending one value, for send() and co_send() alike. Phase one waits (until the deadline)
  // while the channel is full and open, then buffers the value; on a rendezvous channel phase
  // two waits until a receiver has taken it (or the channel is closed). Result(): whether the
  // value was sent.
  class SendOperation final : public detail::BlockingOperation {
   public:
    SendOperation(channel& ch, T value, detail::Nanos deadline, const weave::source_location& where)
        : BlockingOperation(detail::Operation::kSend, &ch, where),
          channel_(ch),
          value_(std::move(value)),
          deadline_(deadline) {}

    Outcome Attempt() override {
      channel& ch = channel_;
      if (ticket_ == 0) {  // phase one: room
        if (!ch.closed_ && !ch.HasRoom()) {
          RequireSimulation();
          WaitOn(ch.senders_, deadline_);
          return Outcome::kWait;
        }
        if (ch.closed_) return Outcome::kDone;
        ch.items_.push_back(std::move(value_));
        detail::HappensBeforeSend(ch);
        ticket_ = ++ch.sent_;
        detail::WakeAll(ch.receivers_);
        if (ch.capacity_ != 0) {
          sent_ = true;
          return Outcome::kDone;
        }
      }
      // Phase two, rendezvous: wait until a receiver has taken this value.
      if (ch.received_ >= ticket_ || ch.closed_) {
        if (ch.received_ >= ticket_) ch.ReceiptHappenedBefore();
        sent_ = true;
        return Outcome::kDone;
      }
      WaitOn(ch.senders_, deadline_);
      return Outcome::kWait;
    }

    bool OnWaitEnded(detail::WakeReason reason) override {
      if (ticket_ != 0) {  // phase two, rendezvous
        channel& ch = channel_;
        const bool settled = ch.received_ >= ticket_ || ch.closed_;
        if (settled && reason == detail::WakeReason::kTimedOut) return false;  // sent after all
        if (settled || reason == detail::WakeReason::kAborted) {
          sent_ = true;  // a stopping run leaves the value buffered, as a plain send does
          if (ch.received_ >= ticket_ && reason == detail::WakeReason::kCancelled) {
            ch.ReceiptHappenedBefore();
          }
        } else {
          // Timed out or cancelled before any receiver took the value: take it back. It is the
          // only item: a rendezvous channel buffers one value at a time.
          ch.items_.pop_back();
          detail::HappensBeforeUnsend(ch);
          --ch.sent_;
          detail::WakeAll(ch.senders_);  // there is room again
        }
      }
      return BlockingOperation::OnWaitEnded(reason);
    }

    bool Result() const { return sent_; }

   private:
    channel& channel_;
    T value_;
    detail::Nanos deadline_;
    std::uint64_t ticket_ = 0;  // this value's number once buffered (0: not yet)
    bool sent_ = false;
  };

  // Receiving one value, for receive() and co_receive() alike: wait (until the deadline) while
  // the channel is empty and open. Result(): the value, or nullopt (closed and drained, or timed
  // out).
  class ReceiveOperation final : public detail::BlockingOperation {
   public:
    ReceiveOperation(channel& ch, detail::Nanos deadline, const weave::source_location& where)
        : BlockingOperation(detail::Operation::kReceive, &ch, where),
          channel_(ch),
          deadline_(deadline) {}

    Outcome Attempt() override {
      channel& ch = channel_;
      if (ch.items_.empty()) {
        if (ch.closed_) {
          detail::HappensBeforeAcquire(ch, kCloseSlot);  // it returns nullopt for the close
          return Outcome::kDone;
        }
        RequireSimulation();
        WaitOn(ch.receivers_, deadline_);
        return Outcome::kWait;
      }
      value_.emplace(std::move(ch.items_.front()));
      ch.items_.pop_front();
      ch.Received();
      ++ch.received_;
      detail::WakeAll(ch.senders_);
      return Outcome::kDone;
    }

    std::optional<T> Result() { return std::move(value_); }

   private:
    channel& channel_;
    detail::Nanos deadline_;
    std::optional<T> value_;
  };

  bool SendUntil(T value, detail::Nanos deadline, weave::source_location where) {
    SendOperation operation(*this, std::move(value), deadline, where);
    detail::Perform(operation);
    return operation.Result();
  }

  std::optional<T> ReceiveUntil(detail::Nanos deadline, weave::source_location where) {
    ReceiveOperation operation(*this, deadline, where);
    detail::Perform(operation);
    return operation.Result();
  }

  // The race detector's edges of a receive that took the oldest item: its send happens before
  // the receive; on a rendezvous channel the receive also happens before that send returns.
  void Received() const {
    detail::HappensBeforeReceive(*this, items_.size() + 1);  // called after the pop
    if (capacity_ == 0) detail::HappensBeforeRelease(*this, kReceiptSlot);
  }
  // A rendezvous send completes: the receipt of its value happens before the send returns.
  void ReceiptHappenedBefore() const { detail::HappensBeforeAcquire(*this, kReceiptSlot); }

  static void RequireSimulation() {
    if (!detail::InSimulation()) {
      throw std::logic_error("weave::channel: operation would block outside a simulation");
    }
  }

  // Two kinds of edges kept apart: close() to the receivers that find the channel closed, and
  // (rendezvous) receipts to the senders that wait for them. Messages have a queue of their own.
  static constexpr detail::ClockSlot kCloseSlot = detail::ClockSlot::kPrimary;
  static constexpr detail::ClockSlot kReceiptSlot = detail::ClockSlot::kSecondary;

  std::size_t capacity_;
  bool closed_ = false;
  std::deque<T> items_;
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  detail::WaitQueue senders_;
  detail::WaitQueue receivers_;
};

template <class T>
bool channel<T>::try_send(T value, weave::source_location /*where*/) {
  detail::SchedulingPoint(detail::Operation::kSend, this);
  // Never on a rendezvous channel: no receiver can have taken the value yet.
  if (closed_ || !HasRoom() || capacity_ == 0) return false;
  items_.push_back(std::move(value));
  detail::HappensBeforeSend(*this);
  ++sent_;
  detail::WakeAll(receivers_);
  return true;
}

template <class T>
std::optional<T> channel<T>::try_receive(weave::source_location /*where*/) {
  detail::SchedulingPoint(detail::Operation::kReceive, this);
  if (items_.empty()) {
    if (closed_) detail::HappensBeforeAcquire(*this, kCloseSlot);
    return std::nullopt;
  }
  std::optional<T> out(std::move(items_.front()));
  items_.pop_front();
  Received();
  ++received_;
  detail::WakeAll(senders_);
  return out;
}

}  // namespace weave
