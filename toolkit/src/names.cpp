// Printable names of the toolkit's enums, and demangling.
#include <cxxabi.h>

#include <cstdlib>
#include <memory>

#include "internal/demangle.hpp"

#include "weave/detail/runtime.hpp"
#include "weave/failure.hpp"
#include "weave/task_backend.hpp"

namespace weave {

namespace {
struct KindName {
  FailureKind kind;
  std::string_view name;
};
constexpr KindName kFailureKindNames[] = {
    {FailureKind::kAssertion, "assertion"},
    {FailureKind::kUncaughtException, "uncaught-exception"},
    {FailureKind::kDeadlock, "deadlock"},
    {FailureKind::kLivelock, "livelock"},
    {FailureKind::kLeakedTask, "leaked-task"},
    {FailureKind::kMisuse, "misuse"},
    {FailureKind::kNondeterminism, "nondeterminism"},
    {FailureKind::kDataRace, "data-race"},
    {FailureKind::kPotentialDeadlock, "potential-deadlock"},
    {FailureKind::kCrash, "crash"},
    {FailureKind::kStall, "stall"},
};
}  // namespace

std::string_view FailureKindName(FailureKind kind) {
  for (const auto& k : kFailureKindNames) {
    if (k.kind == kind) return k.name;
  }
  return "unknown";
}

std::optional<FailureKind> ParseFailureKind(std::string_view name) {
  for (const auto& k : kFailureKindNames) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::ostream& operator<<(std::ostream& os, FailureKind kind) { return os << FailureKindName(kind); }

std::string_view TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kBody:
      return "body";
    case TaskKind::kFiber:
      return "fiber";
    case TaskKind::kCoroutine:
      return "coroutine";
    case TaskKind::kThread:
      return "thread";
  }
  return "task";
}

namespace detail {

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kStart:
      return "start";
    case Operation::kSpawn:
      return "spawn";
    case Operation::kJoin:
      return "join";
    case Operation::kYield:
      return "yield";
    case Operation::kSleep:
      return "sleep";
    case Operation::kLock:
      return "lock";
    case Operation::kTryLock:
      return "try_lock";
    case Operation::kUnlock:
      return "unlock";
    case Operation::kLockShared:
      return "lock_shared";
    case Operation::kUnlockShared:
      return "unlock_shared";
    case Operation::kWait:
      return "wait";
    case Operation::kNotify:
      return "notify";
    case Operation::kAcquire:
      return "acquire";
    case Operation::kRelease:
      return "release";
    case Operation::kArrive:
      return "arrive";
    case Operation::kAtomic:
      return "atomic";
    case Operation::kRead:
      return "read";
    case Operation::kWrite:
      return "write";
    case Operation::kSend:
      return "send";
    case Operation::kReceive:
      return "receive";
    case Operation::kClose:
      return "close";
    case Operation::kChoose:
      return "choose";
    case Operation::kFinish:
      return "finish";
  }
  return "operation";
}

std::string_view ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kMutex:
      return "mutex";
    case ObjectKind::kTimedMutex:
      return "timed_mutex";
    case ObjectKind::kSharedMutex:
      return "shared_mutex";
    case ObjectKind::kConditionVariable:
      return "condition_variable";
    case ObjectKind::kSemaphore:
      return "semaphore";
    case ObjectKind::kLatch:
      return "latch";
    case ObjectKind::kBarrier:
      return "barrier";
    case ObjectKind::kAtomic:
      return "atomic";
    case ObjectKind::kChannel:
      return "channel";
    case ObjectKind::kShared:
      return "shared";
    case ObjectKind::kEvent:
      return "event";
    case ObjectKind::kFuture:
      return "future";
    case ObjectKind::kTask:
      return "task";
  }
  return "object";
}

std::string Demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && out ? std::string(out.get()) : std::string(mangled);
}

const std::type_info* CurrentExceptionType() { return abi::__cxa_current_exception_type(); }

}  // namespace detail
}  // namespace weave
