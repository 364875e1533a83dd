// weave/shared_mutex.hpp: Model of std::shared_mutex.
//
// A reader-writer lock: any number of tasks may hold it shared, or one task exclusively. Meets
// SharedLockable, so std::shared_lock and std::unique_lock work. Every acquisition is a scheduling
// point; releasing what the task does not hold is reported as misuse.
//
//   weave::shared_mutex rw{"config"};
//   { std::shared_lock read(rw); use(config); }
//   { std::unique_lock write(rw); config = next; }
#pragma once

#include <string_view>
#include <vector>

#include "weave/detail/runtime.hpp"
#include "weave/detail/source_location.hpp"

namespace weave {

class shared_mutex : public detail::SyncObject {
 public:
  explicit shared_mutex(std::string_view name = {})
      : SyncObject(detail::ObjectKind::kSharedMutex, name) {}
  ~shared_mutex() override;

  void lock(weave::source_location where = weave::source_location::current());
  bool try_lock(weave::source_location where = weave::source_location::current());
  void unlock(weave::source_location where = weave::source_location::current());

  void lock_shared(weave::source_location where = weave::source_location::current());
  bool try_lock_shared(weave::source_location where = weave::source_location::current());
  void unlock_shared(weave::source_location where = weave::source_location::current());

  void AppendHolders(std::vector<TaskId>& holders) const override;

 protected:
  void ForgetEarlierRun() override;

 private:
  void RequireSimulation(const char* what) const;
  TaskId writer_ = kNoTask;      // Invariant: writer_ != kNoTask implies readers_ is empty.
  std::vector<TaskId> readers_;  // one entry per shared hold (a task may appear more than once)
  detail::WaitQueue waiters_;
};

}  // namespace weave
