// The bank of examples/bank_lost_update, fixed: each account has a mutex, and a transfer
// holds both accounts' mutexes while it moves the money.
//
// std::scoped_lock takes the two locks with std::lock's deadlock-avoidance algorithm, so
// transfers in opposite directions (alice->bob and bob->alice) cannot deadlock either; compare
// examples/lock_order_deadlock, which takes them one after the other. weave explores 10,000
// schedules of three concurrent transfers and finds no failure.
#include <mutex>
#include <string>
#include <string_view>

#include <weave/gtest.hpp>
#include <weave/weave.hpp>

namespace {

class Account {
 public:
  Account(std::string_view owner, int opening_balance)
      : mutex_(std::string(owner) + ".mutex"), balance_(opening_balance, owner) {}

  weave::mutex& mutex() { return mutex_; }
  // The callers hold mutex().
  int balance() const { return balance_; }
  void deposit(int amount) { balance_ = balance_ + amount; }
  bool withdraw(int amount) {
    const int current = balance_;
    if (current < amount) return false;
    balance_ = current - amount;
    return true;
  }

 private:
  weave::mutex mutex_;
  weave::shared<int> balance_;  // guarded by mutex_
};

class Bank {
 public:
  // Moves `amount` from `from` to `to`. False (and nothing moved) if `from` lacks the funds.
  bool transfer(Account& from, Account& to, int amount) {
    std::scoped_lock lock(from.mutex(), to.mutex());
    if (!from.withdraw(amount)) return false;
    to.deposit(amount);
    return true;
  }

  int total(Account& a, Account& b, Account& c) {
    std::scoped_lock lock(a.mutex(), b.mutex(), c.mutex());
    return a.balance() + b.balance() + c.balance();
  }
};

}  // namespace

WEAVE_TEST(Bank, ConcurrentTransfersKeepTheTotal) {
  Account alice("alice", 100);
  Account bob("bob", 50);
  Account carol("carol", 0);
  Bank bank;

  weave::join_handle rent = weave::spawn("alice->bob", [&] { bank.transfer(alice, bob, 30); });
  weave::join_handle refund = weave::spawn("bob->alice", [&] { bank.transfer(bob, alice, 10); });
  weave::join_handle loan = weave::spawn("bob->carol", [&] { bank.transfer(bob, carol, 20); });
  // An auditor reads the total while the transfers run: it must never see money in flight.
  EXPECT_EQ(bank.total(alice, bob, carol), 150);
  rent.join();
  refund.join();
  loan.join();

  EXPECT_EQ(bank.total(alice, bob, carol), 150);
  EXPECT_GE(alice.balance(), 0);
  EXPECT_GE(bob.balance(), 0);
}
