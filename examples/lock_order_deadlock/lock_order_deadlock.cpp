// A bank whose transfer locks the source account, then the destination account.
//
// A transfer from alice to bob locks alice then bob; a transfer from bob to alice locks bob
// then alice. If each takes its first lock before the other takes its second, both wait for
// ever. On real threads the window is a few instructions wide and the test hangs once in a
// blue moon; weave finds the schedule, reports the deadlock with its wait-for graph, and
// writes the schedule so it can be replayed.
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
    // BUG: the locks are taken in argument order, so two transfers in opposite directions
    // take them in opposite orders. Fix: std::scoped_lock lock(from.mutex(), to.mutex());
    std::scoped_lock from_lock(from.mutex());
    std::scoped_lock to_lock(to.mutex());
    if (!from.withdraw(amount)) return false;
    to.deposit(amount);
    return true;
  }
};

}  // namespace

WEAVE_TEST(Bank, OppositeTransfersDoNotDeadlock) {
  Account alice("alice", 100);
  Account bob("bob", 50);
  Bank bank;

  weave::join_handle rent = weave::spawn("alice->bob", [&] { bank.transfer(alice, bob, 30); });
  weave::join_handle refund = weave::spawn("bob->alice", [&] { bank.transfer(bob, alice, 10); });
  rent.join();
  refund.join();

  EXPECT_EQ(alice.balance() + bob.balance(), 150);
}
