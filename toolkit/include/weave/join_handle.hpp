// weave/join_handle.hpp: the handle of a spawned task.
//
// weave::spawn returns a join_handle. join() blocks the caller (in virtual time) until the task has
// finished and orders everything the task did before everything after the join. Dropping a handle
// without joining detaches the task; a task still alive when the body returns is reported as a
// leak.
//
//   weave::join_handle h = weave::spawn("worker", [&] { work(); });
//   h.join();
#pragma once

#include <cstdint>

#include "weave/detail/source_location.hpp"
#include "weave/failure.hpp"

namespace weave {

class join_handle {
 public:
  join_handle() = default;
  join_handle(TaskId id, std::uint64_t run_serial) : id_(id), run_serial_(run_serial) {}
  join_handle(join_handle&& other) noexcept
      : id_(other.id_), run_serial_(other.run_serial_), joined_(other.joined_) {
    other.id_ = kNoTask;
  }
  join_handle& operator=(join_handle&& other) noexcept {
    id_ = other.id_;
    run_serial_ = other.run_serial_;
    joined_ = other.joined_;
    other.id_ = kNoTask;
    return *this;
  }

  // Blocks until the task has finished. Joining twice, joining an empty handle, or joining a
  // handle from another run is reported as misuse; a task joining itself is a deadlock.
  void join(weave::source_location where = weave::source_location::current());
  // True until join() or detach().
  bool joinable() const { return id_ != kNoTask && !joined_; }
  // Lets the task run on unjoined (it must still finish before the body returns).
  void detach() { id_ = kNoTask; }
  // The task's id in its run (kNoTask when empty).
  TaskId id() const { return id_; }

 private:
  TaskId id_ = kNoTask;
  std::uint64_t run_serial_ = 0;
  bool joined_ = false;
};

}  // namespace weave
