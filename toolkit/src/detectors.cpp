// The detectors' side of the simulation: happens-before bookkeeping, the race check of tracked
// accesses, the lock-order graph's hooks, and the stacks that make their reports (and deadlock
// reports) useful. See internal/race_detector.hpp and internal/lock_order.hpp for the algorithms.
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "internal/simulation.hpp"
#include "internal/strings.hpp"

namespace weave::detail {

// --- stacks
// ---------------------------------------------------------------------------------------

#if defined(__SANITIZE_THREAD__)
#define WEAVE_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEAVE_THREAD_SANITIZER 1
#endif
#endif

void CaptureNativeStack(std::vector<void*>& out) {
  constexpr int kMaxFrames = 48;
  out.resize(kMaxFrames);
#if defined(WEAVE_THREAD_SANITIZER)
  // unw_backtrace's fast path keeps a cache per thread, freed by a thread-specific-data
  // destructor; under ThreadSanitizer that destructor runs after the sanitizer has let go of the
  // exiting thread (a weave::thread's) and crashes in its mutex interceptor. Step frame by frame
  // instead: slower, and only ever done for reports.
  unw_context_t context;
  unw_cursor_t cursor;
  int n = 0;
  if (unw_getcontext(&context) == 0 && unw_init_local(&cursor, &context) == 0) {
    while (n < kMaxFrames && unw_step(&cursor) > 0) {
      unw_word_t ip = 0;
      if (unw_get_reg(&cursor, UNW_REG_IP, &ip) != 0) break;
      out[static_cast<std::size_t>(n++)] = reinterpret_cast<void*>(ip);
    }
  }
#else
  const int n = unw_backtrace(out.data(), kMaxFrames);
#endif
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
}

namespace {

// weave's own code: its headers (in the tree or installed) and its sources. Without debug info,
// its internal namespaces.
bool IsWeaveFrame(const StackFrame& f) {
  const std::string& file = f.where.file;
  // Where every task's stack begins: a fiber's context entry, an OS thread's start, main's.
  static constexpr std::string_view kStackRoots[] = {
      "make_fcontext", "jump_fcontext",          "ontop_fcontext",    "start_thread", "clone",
      "clone3",        "__libc_start_call_main", "__libc_start_main", "_start"};
  for (std::string_view root : kStackRoots) {
    if (f.function == root) return true;
  }
  if (!file.empty()) {
    return absl::StrContains(file, "/include/weave/") || absl::StrContains(file, "/toolkit/src/") ||
           (absl::StrContains(file, "/adapters/") && absl::StrContains(file, "/src/"));
  }
  // (User code does not live in namespace weave; weave's own tests do, in anonymous namespaces.)
  return (absl::StartsWith(f.function, "weave::") &&
          !absl::StartsWith(f.function, "weave::(anonymous namespace)")) ||
         absl::StartsWith(f.function, "boost::context::");
}

// The standard library's and Abseil's inline frames (std::function, std::invoke, scoped_lock):
// they sit between the user's frames and say nothing about them.
bool IsLibraryFrame(const StackFrame& f) {
  const std::string& file = f.where.file;
  return absl::StartsWith(file, "/usr/include/") || absl::StrContains(file, "/include/c++/") ||
         absl::StartsWith(f.function, "std::__invoke") ||
         absl::StartsWith(f.function, "std::_Function_handler");
}

std::string Location(const StackFrame& f) {
  if (f.where.known()) return absl::StrCat(f.where.file, ":", f.where.line);
  return f.function;
}

const char* AccessName(const AccessRecord& a) { return a.write ? "write" : "read"; }

// "    #0 f at file:line" lines.
void AppendStack(std::string& out, const std::vector<StackFrame>& stack) {
  if (stack.empty()) {
    absl::StrAppend(&out, "\n    (no stack: built without frame information)");
    return;
  }
  for (std::size_t i = 0; i < stack.size(); ++i) {
    absl::StrAppend(&out, "\n    #", i, " ", stack[i].function.empty() ? "?" : stack[i].function);
    if (stack[i].where.known()) {
      absl::StrAppend(&out, " at ", stack[i].where.file, ":", stack[i].where.line);
    }
  }
}

// The frame of an access: its source location if it has one, else its program counter's (a
// return address into the user's code).
StackFrame FrameOf(const AccessRecord& access) {
  if (access.file != nullptr) {
    return StackFrame{access.function != nullptr ? access.function : "",
                      {access.file, static_cast<int>(access.line)}};
  }
  // The innermost of the user's frames there (with inlining, one address can stand for several).
  const std::vector<void*> address{const_cast<void*>(access.pc)};
  std::vector<StackFrame> frames = UserFrames(address);
  if (frames.empty()) frames = SymbolizeNativeStack(address.data(), 1, /*first_is_exact=*/false);
  return frames.empty() ? StackFrame{} : frames[0];
}

// The qualified name of a demangled function, without its parameters, qualifiers and
// "(anonymous namespace)::" parts: "(anonymous namespace)::Cache::get(int) const" -> "Cache::get".
std::string QualifiedName(std::string_view function) {
  std::string_view name = function;
  // The parameter list is the last parenthesized group at top level.
  std::size_t end = name.rfind(')');
  if (end != std::string_view::npos) {
    int depth = 0;
    for (std::size_t i = end + 1; i-- > 0;) {
      if (name[i] == ')') ++depth;
      if (name[i] == '(' && --depth == 0) {
        if (i > 0) name = name.substr(0, i);
        break;
      }
    }
  }
  std::string out(name);
  constexpr std::string_view kAnonymous = "(anonymous namespace)::";
  for (std::size_t at; (at = out.find(kAnonymous)) != std::string::npos;) {
    out.erase(at, kAnonymous.size());
  }
  return out;
}

// Whether `entry` names `function`: its qualified name (QualifiedName), or a trailing part of it
// that starts after "::" ("Cache::get" and "get" name "app::Cache::get(int) const").
bool NamesFunction(std::string_view entry, std::string_view function) {
  const std::string name = QualifiedName(function);
  if (name == entry) return true;
  return name.size() > entry.size() + 2 && absl::EndsWith(name, AV(entry)) &&
         name.compare(name.size() - entry.size() - 2, 2, "::") == 0;
}

}  // namespace

std::vector<StackFrame> UserFrames(const std::vector<void*>& stack, bool first_is_exact) {
  std::vector<StackFrame> all =
      SymbolizeNativeStack(stack.data(), static_cast<int>(stack.size()), first_is_exact);
  std::vector<StackFrame> out;
  for (StackFrame& f : all) {
    if (IsWeaveFrame(f)) {
      if (!out.empty()) break;  // the harness: the task's entry, explore(), a thread's start
      continue;
    }
    if (IsLibraryFrame(f)) continue;
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<TraceFrame> TraceFrames(const std::vector<void*>& stack) {
  std::vector<StackFrame> all =
      SymbolizeNativeStack(stack.data(), static_cast<int>(stack.size()), /*first_is_exact=*/false);
  std::vector<TraceFrame> out;
  out.reserve(all.size());
  bool seen_user = false;
  for (StackFrame& f : all) {
    // The harness, even in a stack with no user frame (a failure the run itself reports).
    if (absl::StartsWith(f.function, "weave::detail::Simulation::Run(")) break;
    // In an optimized build the user's function may hold weave's inlined code, and when DWARF
    // gives no inline chain for the address its frame carries the line of that code (a weave
    // header): the function is still the user's, and a reader wants to see it.
    const std::string_view head =
        std::string_view(f.function)
            .substr(0, std::min(f.function.find('('),
                                f.function.find('<')));  // "void weave::f" for templates
    const bool weave_function = head.starts_with("weave::") || head.starts_with("boost::") ||
                                head.find(" weave::") != std::string_view::npos;
    const bool users_function_at_weave_line =
        !f.function.empty() && !weave_function && absl::StrContains(f.where.file, "/weave/");
    const bool weave = IsWeaveFrame(f) && !users_function_at_weave_line;
    // Past the user's outermost frame: the harness (the task's entry, explore(), the test
    // framework), the same in every stack and of no use to anyone reading one.
    if (weave && seen_user) break;
    const bool user = !weave && !IsLibraryFrame(f);
    seen_user = seen_user || user;
    out.push_back({std::move(f.function), std::move(f.where.file), f.where.line, !user});
  }
  // Library frames between the user's outermost frame and the harness (std::function's
  // invokers) are noise of the same kind.
  while (!out.empty() && out.back().internal && seen_user) out.pop_back();
  return out;
}

// --- reports
// --------------------------------------------------------------------------------------

std::string RaceMessage(const RaceReport& r) {
  return absl::StrCat("data race on ", r.variable, ": ", AccessName(r.later), " by task ",
                      r.later_task, " at ", r.later_location, " and ", AccessName(r.earlier),
                      " by task ", r.earlier_task, " at ", r.earlier_location,
                      " are not ordered by happens-before");
}

std::string RaceDetails(const RaceReport& r) {
  std::string out =
      absl::StrCat("variable: ", r.variable,
                   r.declared.empty() ? "" : absl::StrCat(", declared at ", r.declared));
  absl::StrAppend(&out, "\nthis access: ", AccessName(r.later), " by task ", r.later_task,
                  " at step ", r.later.step);
  AppendStack(out, r.later_stack);
  absl::StrAppend(&out, "\nearlier access: ", AccessName(r.earlier), " by task ", r.earlier_task,
                  " at step ", r.earlier.step);
  AppendStack(out, r.earlier_stack);
  absl::StrAppend(&out,
                  "\nneither access happens before the other: no lock, atomic, channel, join or "
                  "other synchronization orders them (both may run at once on real threads)");
  return out;
}

// --- happens-before
// -------------------------------------------------------------------------------

std::int32_t Simulation::ObjectId(const SyncObject& object) const {
  return object.run_serial_ == run_serial_ ? object.id_ : object.id();
}

void Simulation::HappensBeforeRelease(const SyncObject& object, ClockSlot slot) {
  if (!detect_races_ || aborting_) return;
  races_.ObjectClock(ObjectId(object), slot).Join(current_->clock);
  current_->clock.Tick(current_->id);
}

void Simulation::HappensBeforeAcquire(const SyncObject& object, ClockSlot slot) {
  if (!detect_races_ || aborting_) return;
  current_->clock.Join(races_.ObjectClock(ObjectId(object), slot));
}

void Simulation::HappensBeforeSend(const SyncObject& object) {
  if (trace_.on() && !aborting_) {
    const std::int32_t id = ObjectId(object);
    TraceOf(current_->id, TraceEventKind::kSend, Operation::kSend, id, trace_.NextSend(id));
  }
  if (!detect_races_ || aborting_) return;
  races_.Messages(ObjectId(object)).push_back(current_->clock);
  current_->clock.Tick(current_->id);
}

void Simulation::HappensBeforeReceive(const SyncObject& object, std::size_t queued) {
  if (trace_.on() && !aborting_) {
    const std::int32_t id = ObjectId(object);
    TraceOf(current_->id, TraceEventKind::kReceive, Operation::kReceive, id,
            trace_.NextReceive(id, queued));
  }
  if (!detect_races_ || aborting_) return;
  std::deque<VectorClock>& queue = races_.Messages(ObjectId(object));
  // The clocks are those of the newest items; older ones were queued before this run saw them.
  if (queue.size() < queued) return;
  current_->clock.Join(queue.front());
  queue.pop_front();
}

void Simulation::HappensBeforeUnsend(const SyncObject& object) {
  if (trace_.on() && !aborting_) trace_.Unsend(ObjectId(object));
  if (!detect_races_ || aborting_) return;
  std::deque<VectorClock>& queue = races_.Messages(ObjectId(object));
  if (!queue.empty()) queue.pop_back();
}

void Simulation::HappensAfterTask(TaskId id) {
  if (!detect_races_ || aborting_) return;
  current_->clock.Join(task(id).clock);
}

void HappensBeforeReleaseIn(Simulation& sim, const SyncObject& object, ClockSlot slot) {
  sim.HappensBeforeRelease(object, slot);
}
void HappensBeforeAcquireIn(Simulation& sim, const SyncObject& object, ClockSlot slot) {
  sim.HappensBeforeAcquire(object, slot);
}
void HappensBeforeSendIn(Simulation& sim, const SyncObject& object) {
  sim.HappensBeforeSend(object);
}
void HappensBeforeReceiveIn(Simulation& sim, const SyncObject& object, std::size_t queued) {
  sim.HappensBeforeReceive(object, queued);
}
void HappensBeforeUnsendIn(Simulation& sim, const SyncObject& object) {
  sim.HappensBeforeUnsend(object);
}

// --- tracked accesses
// -----------------------------------------------------------------------------

void TrackedAccessIn(Simulation& sim, Operation op, const SyncObject& variable, const void* pc) {
  sim.SchedulingPoint(op, &variable);
  sim.CheckAccess(op == Operation::kWrite, &variable, nullptr, {}, {}, pc);
}

void TrackedRawAccessIn(Simulation& sim, Operation op, const void* address, std::string_view name,
                        const weave::source_location& where) {
  sim.SchedulingPoint(op, nullptr);
  sim.CheckAccess(op == Operation::kWrite, nullptr, address, name, where, nullptr);
}

void Simulation::CheckAccess(bool write, const SyncObject* variable, const void* address,
                             std::string_view name, const weave::source_location& where,
                             const void* pc) {
  if (!detect_races_ || aborting_) return;
  const std::uint64_t index = ++access_index_;
  if (index == capture_access_) [[unlikely]] {
    CaptureNativeStack(captured_stack_);
    captured_task_ = current_->id;
  }
  VariableState* state;
  if (variable != nullptr) {
    state = &races_.Variable(ObjectId(*variable));
  } else {
    bool created = false;
    state = &races_.RawVariable(address, &created);
    if (created) {
      state->name.assign(name.data(), name.size());
      state->first_seen = where;
    }
  }
  AccessRecord access;
  access.pc = pc;
  if (variable == nullptr) {
    access.file = where.file_name();
    access.function = where.function_name();
    access.line = where.line();
  }
  access.step = step_;
  access.index = index;
  access.task = current_->id;
  access.write = write;
  AccessRecord earlier;
  if (!races_.CheckAndRecord(*state, current_->clock, access, &earlier)) [[likely]] {
    return;
  }
  // On an event loop, coroutine tasks share one thread: their accesses cannot be simultaneous.
  if (event_loop_ && current_->kind == TaskKind::kCoroutine &&
      task(earlier.task).kind == TaskKind::kCoroutine) {
    return;
  }
  OnRace(variable, *state, earlier, access);
}

void Simulation::OnRace(const SyncObject* variable, const VariableState& state,
                        const AccessRecord& earlier, const AccessRecord& later) {
  auto site = [](const AccessRecord& a) {
    return a.file != nullptr ? std::pair<const void*, std::uint32_t>{a.file, a.line}
                             : std::pair<const void*, std::uint32_t>{a.pc, 0};
  };
  const RaceSites sites = std::minmax(site(earlier), site(later));
  if (auto known = known_races_.find(sites); known != known_races_.end()) {
    if (known->second.empty()) return;  // suppressed
    if (options_.survey) {
      if (races_this_run_.insert(known->second).second) ++race_runs_[known->second];
      return;
    }
  }
  RaceReport r;
  if (variable != nullptr) {
    r.variable = DescribeObject(ObjectId(*variable));
    r.variable_name = variable->name();
    const weave::source_location& d = variable->declared();
    if (d.line() != 0) r.declared = absl::StrCat(d.file_name(), ":", d.line());
  } else {
    r.variable_name = state.name;
    r.variable = state.name.empty() ? std::string("memory (weave::read/write)")
                                    : absl::StrCat("memory '", state.name, "'");
    if (state.first_seen.line() != 0) {
      absl::StrAppend(&r.variable, " (first annotated at ", state.first_seen.file_name(), ":",
                      state.first_seen.line(), ")");
    }
  }
  r.earlier = earlier;
  r.later = later;
  r.earlier_task = DescribeTask(task(earlier.task));
  r.later_task = DescribeTask(*current_);
  r.later_task_name = current_->name;
  r.run = run_index_;
  std::vector<void*> raw;
  CaptureNativeStack(raw);
  r.later_stack = UserFrames(raw);
  const StackFrame earlier_frame = FrameOf(earlier);
  const StackFrame later_frame = FrameOf(later);
  r.earlier_stack = {earlier_frame};
  r.earlier_location = Location(earlier_frame);
  r.later_location = Location(later_frame);
  r.key = std::min(r.earlier_location, r.later_location) + " / " +
          std::max(r.earlier_location, r.later_location);
  if (Suppressed(r.variable_name, r.later_stack) || Suppressed(r.variable_name, r.earlier_stack)) {
    known_races_[sites].clear();
    return;
  }
  known_races_[sites] = r.key;
  if (!options_.survey) {
    failing_race_ = r;
    if (trace_.on()) {
      std::vector<std::int32_t> objects;
      if (variable != nullptr) objects.push_back(ObjectId(*variable));
      trace_.SetInvolved(
          {std::min(r.earlier.task, r.later.task), std::max(r.earlier.task, r.later.task)},
          std::move(objects));
    }
    ReportFailure(FailureKind::kDataRace, RaceMessage(r), RaceDetails(r), later_frame.where,
                  /*stop_now=*/false);
    return;
  }
  if (!races_this_run_.insert(r.key).second) return;
  if (race_runs_[r.key]++ == 0) surveyed_races_.push_back(std::move(r));
}

std::int64_t Simulation::RaceRuns(const std::string& key) const {
  auto it = race_runs_.find(key);
  return it == race_runs_.end() ? 0 : it->second;
}

bool Simulation::Suppressed(std::string_view name, const std::vector<StackFrame>& stack) const {
  for (const std::string& entry : options_.suppressions) {
    if (!name.empty() && entry == name) return true;
    for (const StackFrame& f : stack) {
      if (NamesFunction(entry, f.function)) return true;
    }
  }
  return false;
}

// --- lock order
// -----------------------------------------------------------------------------------

std::int32_t Simulation::CountInstance(const weave::source_location& where) {
  return instances_[{where.file_name(), where.line()}]++;
}

void SyncObject::CountInstance() {
  if (Simulation* sim = t_simulation) {
    instance_ = sim->CountInstance(declared_);
    instance_run_ = sim->run_serial();
  }
}

std::int32_t Simulation::LockInstance(const SyncObject& lock) {
  if (lock.instance_run_ == run_serial_) return lock.instance_;
  // Created outside this run (a fixture's, a global, or left from an earlier run): number it by
  // first use at its declaration site instead, apart from those counted at creation.
  return -2 - instances_[{lock.declared_.file_name(), lock.declared_.line() | 0x80000000u}]++;
}

const std::string& Simulation::TaskDescription(TaskRecord& t) {
  if (t.description.empty()) t.description = DescribeTask(t);
  return t.description;
}

std::int32_t Simulation::LockNode(const SyncObject& lock) {
  const auto id = static_cast<std::size_t>(ObjectId(lock));
  if (id >= lock_nodes_.size()) lock_nodes_.resize(id + 1, -1);
  std::int32_t& node = lock_nodes_[id];
  if (node >= 0) return node;
  const weave::source_location& d = lock.declared();
  const std::string declared =
      d.line() != 0 ? absl::StrCat(d.file_name(), ":", d.line()) : std::string();
  std::string description(AV(ObjectKindName(lock.kind())));
  if (!lock.name().empty()) absl::StrAppend(&description, " '", lock.name(), "'");
  if (!declared.empty()) absl::StrAppend(&description, " declared at ", declared);
  const std::int32_t instance = LockInstance(lock);
  if (instance > 0) absl::StrAppend(&description, " (instance ", instance, ")");
  if (instance < -2) absl::StrAppend(&description, " (instance ", -2 - instance, " by first use)");
  const std::string key =
      absl::StrCat(AV(ObjectKindName(lock.kind())), "|", lock.name(), "|", declared, "|", instance);
  node = lock_order_.Node(key, description);
  lock_order_.SetNodeName(node, lock.name());
  // Short: the name says which lock it is; only unnamed locks need their declaration.
  lock_order_.SetNodeLabel(node, lock.name().empty() ? description
                                                     : absl::StrCat(AV(ObjectKindName(lock.kind())),
                                                                    " '", lock.name(), "'"));
  return node;
}

void Simulation::LockRequested(const SyncObject& lock) {
  if (!detect_lock_order_ || aborting_) return;
  TaskRecord& me = *current_;
  if (me.held_locks.empty()) return;  // nothing held: no order
  const std::int32_t node = LockNode(lock);
  held_nodes_.clear();
  for (const TaskRecord::HeldLock& h : me.held_locks) {
    held_nodes_.push_back({LockNode(*h.lock), h.shared});
  }
  cycles_.clear();
  lock_order_.Request(
      held_nodes_, node, TaskDescription(me),
      [&] {
        LockOrderGraph::Formation f;
        f.task = TaskDescription(me);
        f.run = run_index_;
        f.step = step_;
        CaptureNativeStack(f.stack);
        return f;
      },
      cycles_);
  for (const LockOrderGraph::Cycle& cycle : cycles_) {
    ReportLockCycle(cycle);
    if (aborting_) break;
  }
}

void Simulation::LockAcquired(const SyncObject& lock, bool shared) {
  if (!detect_lock_order_ || aborting_) return;
  current_->held_locks.push_back({&lock, shared});
}

void Simulation::LockReleased(const SyncObject& lock) {
  if (!detect_lock_order_ || aborting_) return;
  std::vector<TaskRecord::HeldLock>& held = current_->held_locks;
  for (std::size_t i = held.size(); i-- > 0;) {
    if (held[i].lock == &lock) {
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

void Simulation::ReportLockCycle(const LockOrderGraph::Cycle& cycle) {
  const std::vector<LockOrderGraph::Edge>& edges = lock_order_.edges();
  std::vector<std::vector<StackFrame>> stacks;
  for (std::int32_t e : cycle.edges) stacks.push_back(UserFrames(edges[e].first.stack));
  for (std::size_t i = 0; i < cycle.edges.size(); ++i) {
    const LockOrderGraph::Edge& edge = edges[cycle.edges[i]];
    if (Suppressed(lock_order_.NodeName(edge.from), stacks[i]) ||
        Suppressed(lock_order_.NodeName(edge.to), stacks[i])) {
      return;
    }
  }
  std::string path;
  std::vector<std::string> task_names;
  for (std::int32_t e : cycle.edges) {
    absl::StrAppend(&path, lock_order_.Label(edges[e].from), " -> ");
    for (const std::string* task : {&edges[e].first.task, &edges[e].second_task}) {
      if (!task->empty() &&
          std::find(task_names.begin(), task_names.end(), *task) == task_names.end()) {
        task_names.push_back(*task);
      }
    }
  }
  absl::StrAppend(&path, lock_order_.Label(edges[cycle.edges[0]].from));
  std::string tasks;
  for (std::size_t i = 0; i < task_names.size(); ++i) {
    absl::StrAppend(&tasks,
                    i == 0                       ? ""
                    : i + 1 == task_names.size() ? " and "
                                                 : ", ",
                    task_names[i]);
  }
  std::string details = "cycle:";
  for (std::int32_t e : cycle.edges) {
    absl::StrAppend(&details, "\n  ", lock_order_.Describe(edges[e].from));
  }
  for (std::size_t i = 0; i < cycle.edges.size(); ++i) {
    const LockOrderGraph::Edge& edge = edges[cycle.edges[i]];
    absl::StrAppend(&details, "\ntask ", edge.first.task, " acquired ", lock_order_.Label(edge.to),
                    " while holding ", lock_order_.Label(edge.from));
    if (edge.first.run == run_index_) {
      absl::StrAppend(&details, " (this schedule, step ", edge.first.step, ")");
    } else {
      absl::StrAppend(&details, " (schedule ", edge.first.run + 1, " of this exploration, step ",
                      edge.first.step, "; a replay of this schedule alone may not show it)");
    }
    if (!edge.second_task.empty()) absl::StrAppend(&details, "; so did task ", edge.second_task);
    AppendStack(details, stacks[i]);
  }
  absl::StrAppend(&details,
                  "\nno lock is held around all of these acquisitions (such a gate lock would "
                  "make the order safe): tasks taking them at once can deadlock");
  // Where the edge that closed the cycle was formed (the first: the current task's acquisition).
  SourcePosition where;
  for (const StackFrame& f : stacks.front()) {
    if (f.where.known()) {
      where = f.where;
      break;
    }
  }
  ReportFailure(FailureKind::kPotentialDeadlock,
                absl::StrCat("lock-order inversion (potential deadlock): ", path,
                             ", taken in conflicting orders by tasks ", tasks),
                std::move(details), where, /*stop_now=*/false);
}

void LockRequestedIn(Simulation& sim, const SyncObject& lock) { sim.LockRequested(lock); }
void LockAcquiredIn(Simulation& sim, const SyncObject& lock, bool shared) {
  sim.LockAcquired(lock, shared);
}
void LockReleasedIn(Simulation& sim, const SyncObject& lock) { sim.LockReleased(lock); }

// --- deadlock stacks
// ------------------------------------------------------------------------------

void Simulation::CaptureBlockedStacks() {
  // A coroutine task has no stack to switch from; the others are captured by switching to each
  // blocked stackful task, which records its stack and switches straight back (AnswerStackRequest).
  if (current_->kind == TaskKind::kCoroutine) return;
  TaskRecord& requester = *current_;
  CaptureNativeStack(requester.native_stack);
  for (std::size_t i = 0; i < task_count_; ++i) {
    TaskRecord& t = *tasks_[i];
    if (&t == &requester || t.state != TaskState::kBlocked || t.kind == TaskKind::kCoroutine ||
        t.stalled) {
      continue;
    }
    stack_requester_ = &requester;
    SwitchTo(t);
    stack_requester_ = nullptr;
  }
}

void Simulation::AnswerStackRequest() {
  CaptureNativeStack(current_->native_stack);
  SwitchTo(*stack_requester_);
}

std::string Simulation::WaitForCycle() const {
  // Each blocked task waits for the tasks holding its object (or the task it joins). Follow the
  // first such edge from each task; a task met twice closes a cycle.
  auto waits_for = [&](const TaskRecord& t) -> TaskId {
    if (t.state != TaskState::kBlocked) return kNoTask;
    if (t.blocked_on_task != kNoTask) return t.blocked_on_task;
    if (t.blocked_object == nullptr) return kNoTask;
    std::vector<TaskId> holders;
    t.blocked_object->AppendHolders(holders);
    return holders.empty() ? kNoTask : holders.front();
  };
  for (std::size_t start = 0; start < task_count_; ++start) {
    std::vector<TaskId> path;
    auto at = static_cast<TaskId>(start);
    while (at != kNoTask && std::find(path.begin(), path.end(), at) == path.end()) {
      path.push_back(at);
      at = waits_for(*tasks_[static_cast<std::size_t>(at)]);
    }
    if (at == kNoTask) continue;
    // `at` is on the path: the cycle runs from it to the end of the path.
    std::string out;
    auto first = std::find(path.begin(), path.end(), at);
    for (auto it = first; it != path.end(); ++it) {
      const TaskRecord& t = *tasks_[static_cast<std::size_t>(*it)];
      absl::StrAppend(&out, "task ", DescribeTask(t), " -> ");
      if (t.blocked_on_task != kNoTask) {
        absl::StrAppend(&out, "joins -> ");
      } else {
        absl::StrAppend(&out, AV(OperationName(t.blocked_op)), " ", DescribeObject(t.last_object),
                        " held by -> ");
      }
    }
    absl::StrAppend(&out, "task ", DescribeTask(*tasks_[static_cast<std::size_t>(at)]));
    return out;
  }
  return {};
}

}  // namespace weave::detail
