// The bounded queue of lost_wakeup_buggy.cpp, fixed: pop() checks for items while holding the
// mutex and waits with a predicate, so the check and the wait are atomic with respect to
// push(), and a wakeup (spurious or for an item another consumer took) re-checks. weave
// explores 10,000 schedules of a producer and two consumers, with spurious wakeups turned on
// (WEAVE_TEST_WITH), and finds no failure.
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
    lock.unlock();
    not_empty_.notify_one();
  }

  // Blocks while the queue is empty.
  T pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    T item = std::move(items_.front());
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

 private:
  const std::size_t capacity_;
  weave::mutex mutex_{"queue.mutex"};
  weave::condition_variable not_empty_{"not_empty"};
  weave::condition_variable not_full_{"not_full"};
  std::deque<T> items_;  // guarded by mutex_
};

}  // namespace

// Spurious wakeups are allowed by the standard; with them on, weave also explores every wait
// returning without a notify.
WEAVE_TEST_WITH(BoundedQueue, ConsumersGetEveryItem,
                [](weave::Options& options) { options.spurious_wakeups = true; }) {
  BoundedQueue<int> queue(2);
  constexpr int kItems = 4;
  weave::shared<int> sum{0, "sum"};
  weave::mutex sum_mutex{"sum.mutex"};

  weave::join_handle producer = weave::spawn("producer", [&] {
    for (int i = 1; i <= kItems; ++i) queue.push(i);
  });
  auto consume = [&] {
    for (int i = 0; i < kItems / 2; ++i) {
      const int item = queue.pop();
      std::scoped_lock lock(sum_mutex);
      sum = sum + item;
    }
  };
  weave::join_handle consumer1 = weave::spawn("consumer1", consume);
  weave::join_handle consumer2 = weave::spawn("consumer2", consume);
  producer.join();
  consumer1.join();
  consumer2.join();

  EXPECT_EQ(sum.load(), 1 + 2 + 3 + 4);
}
