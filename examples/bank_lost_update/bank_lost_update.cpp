// A bank that moves money between accounts without a lock.
//
// Each transfer reads a balance, computes, and writes it back. When two transfers touch the
// same account at the same time, one write overwrites the other (a lost update) and the
// bank's total changes. The test passes almost every time it runs on real threads; weave
// explores the interleavings and finds one that breaks it.
#include <string_view>

#include <weave/gtest.hpp>
#include <weave/weave.hpp>

namespace {

class Account {
 public:
  Account(std::string_view owner, int opening_balance) : balance_(opening_balance, owner) {}

  int balance() const { return balance_; }
  void deposit(int amount) { balance_ = balance_ + amount; }
  // Takes `amount` out if the account holds that much.
  bool withdraw(int amount) {
    const int current = balance_;
    if (current < amount) return false;
    balance_ = current - amount;
    return true;
  }

 private:
  // Where production code has a plain int: a weave::shared<int> makes every read and write
  // a point where weave may switch to another task.
  weave::shared<int> balance_;
};

class Bank {
 public:
  // Moves `amount` from `from` to `to`. False (and nothing moved) if `from` lacks the funds.
  bool transfer(Account& from, Account& to, int amount) {
    if (!from.withdraw(amount)) return false;
    to.deposit(amount);
    return true;
  }
};

}  // namespace

WEAVE_TEST(Bank, ConcurrentTransfersKeepTheTotal) {
  Account alice("alice", 100);
  Account bob("bob", 50);
  Account carol("carol", 0);
  Bank bank;

  weave::join_handle rent = weave::spawn("alice->bob", [&] { bank.transfer(alice, bob, 30); });
  weave::join_handle loan = weave::spawn("bob->carol", [&] { bank.transfer(bob, carol, 20); });
  rent.join();
  loan.join();

  EXPECT_EQ(alice.balance() + bob.balance() + carol.balance(), 150)
      << "alice " << alice.balance() << ", bob " << bob.balance() << ", carol " << carol.balance();
}
