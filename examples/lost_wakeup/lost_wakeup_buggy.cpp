// A bounded queue with a lock-free "fast path" in pop() that loses wakeups.
//
// pop() first looks at an atomic item count without taking the mutex; if it reads 0 it locks
// and waits on `not_empty_`. But between reading 0 and starting to wait, the producer can push
// an item and call notify_one() while nobody waits yet: the notify is lost. The consumer then
// waits for a notify that never comes. weave reports it as a deadlock, with the wait-for graph.
// The stray notify can also land late: it then wakes a wait it was not meant for, and pop()
// finds the queue empty (weave::check reports it; front() on an empty deque would be undefined).
// lost_wakeup_fixed.cpp is the same queue with the check made under the mutex.
#include <cstddef>
#include <deque>
#include <mutex>

#include <weave/gtest.hpp>
#include <weave/weave.hpp>

namespace {

template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  // Blocks while the queue is full.
  void push(T item) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(item));
    size_.store(items_.size());
    lock.unlock();
    not_empty_.notify_one();
  }

  // Blocks while the queue is empty. (One consumer.)
  T pop() {
    // BUG: the emptiness check is made without the mutex, so it and the wait are not atomic
    // with respect to push(): its notify_one() can fall between them and be lost.
    if (size_.load() == 0) {
      std::unique_lock lock(mutex_);
      not_empty_.wait(lock);
    }
    std::unique_lock lock(mutex_);
    // The same race seen from the other side: a notify_one() meant for an item this consumer
    // already took can be the one that wakes the wait above, with the queue empty again.
    weave::check(!items_.empty(), "pop() woke up to an empty queue");
    T item = std::move(items_.front());
    items_.pop_front();
    size_.store(items_.size());
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

 private:
  const std::size_t capacity_;
  weave::mutex mutex_{"queue.mutex"};
  weave::condition_variable not_empty_{"not_empty"};
  weave::condition_variable not_full_{"not_full"};
  std::deque<T> items_;                         // guarded by mutex_
  weave::atomic<std::size_t> size_{0, "size"};  // items_.size(), readable without the mutex
};

}  // namespace

WEAVE_TEST(BoundedQueue, ConsumerGetsEveryItem) {
  BoundedQueue<int> queue(2);
  constexpr int kItems = 3;

  weave::join_handle producer = weave::spawn("producer", [&] {
    for (int i = 1; i <= kItems; ++i) queue.push(i);
  });
  weave::join_handle consumer = weave::spawn("consumer", [&] {
    int sum = 0;
    for (int i = 1; i <= kItems; ++i) sum += queue.pop();
    EXPECT_EQ(sum, 1 + 2 + 3);
  });
  producer.join();
  consumer.join();
}
