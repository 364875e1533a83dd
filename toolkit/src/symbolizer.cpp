// Native stacks to readable frames: function names and file:line from the process's own ELF and
// DWARF, through elfutils' libdwfl.
//
// libdwfl reads /proc/self/maps and each module's symbol table and line table once; a DWARF line
// lookup then costs microseconds. Results are cached per address for the life of the process
// (DESIGN: symbolize lazily, once per distinct address). One lock serializes all of it: stacks
// are symbolized when a report is written, never per step.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "internal/demangle.hpp"
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "weave/task_backend.hpp"

namespace weave::detail {
namespace {

class Symbolizer {
 public:
  static Symbolizer& Get() {
    static auto* instance = new Symbolizer();  // never destroyed: used until exit
    return *instance;
  }

  StackFrame Symbolize(std::uintptr_t address) {
    std::scoped_lock lock(mu_);
    auto it = cache_.find(address);
    if (it != cache_.end()) return it->second;
    StackFrame frame = Lookup(address);
    cache_.emplace(address, frame);
    return frame;
  }

 private:
  Symbolizer() {
    callbacks_.find_elf = dwfl_linux_proc_find_elf;
    callbacks_.find_debuginfo = dwfl_standard_find_debuginfo;
    callbacks_.debuginfo_path = nullptr;
  }

  // Reports the process's modules on first use, and again when an address falls outside all of
  // them (a library loaded since).
  Dwfl* Session(std::uintptr_t address) {
    if (dwfl_ != nullptr && dwfl_addrmodule(dwfl_, static_cast<Dwarf_Addr>(address)) != nullptr) {
      return dwfl_;
    }
    if (dwfl_ != nullptr) dwfl_end(dwfl_);
    dwfl_ = dwfl_begin(&callbacks_);
    if (dwfl_ == nullptr) return nullptr;
    dwfl_report_begin(dwfl_);
    if (dwfl_linux_proc_report(dwfl_, getpid()) != 0 ||
        dwfl_report_end(dwfl_, nullptr, nullptr) != 0) {
      dwfl_end(dwfl_);
      dwfl_ = nullptr;
    }
    return dwfl_;
  }

  StackFrame Lookup(std::uintptr_t address) {
    StackFrame frame;
    Dwfl* dwfl = Session(address);
    Dwfl_Module* module =
        dwfl != nullptr ? dwfl_addrmodule(dwfl, static_cast<Dwarf_Addr>(address)) : nullptr;
    if (module == nullptr) {
      frame.function = absl::StrFormat("?? (0x%x)", address);
      return frame;
    }
    const char* name = dwfl_module_addrname(module, static_cast<Dwarf_Addr>(address));
    if (name != nullptr) {
      frame.function = Demangle(name);
    } else {
      Dwarf_Addr base = 0;
      const char* file =
          dwfl_module_info(module, nullptr, &base, nullptr, nullptr, nullptr, nullptr, nullptr);
      frame.function = absl::StrFormat("?? (%s+0x%x)", file != nullptr ? file : "?",
                                       static_cast<std::uintptr_t>(address - base));
    }
    if (Dwfl_Line* line = dwfl_module_getsrc(module, static_cast<Dwarf_Addr>(address))) {
      int line_number = 0;
      if (const char* file =
              dwfl_lineinfo(line, nullptr, &line_number, nullptr, nullptr, nullptr)) {
        frame.where = {file, line_number};
      }
    } else {
      frame.where = LookupWithoutAranges(module, static_cast<Dwarf_Addr>(address));
    }
    return frame;
  }

  // libdw finds an address's compilation unit through .debug_aranges, which clang does not emit
  // by default: then look through the units' own address ranges, one by one.
  static SourcePosition LookupWithoutAranges(Dwfl_Module* module, Dwarf_Addr address) {
    Dwarf_Addr bias = 0;
    Dwarf* dwarf = dwfl_module_getdwarf(module, &bias);
    if (dwarf == nullptr) return {};
    const Dwarf_Addr relative = address - bias;
    Dwarf_CU* unit = nullptr;
    Dwarf_Die unit_die;
    Dwarf_Half version = 0;
    std::uint8_t unit_type = 0;
    while (dwarf_get_units(dwarf, unit, &unit, &version, &unit_type, &unit_die, nullptr) == 0) {
      if (dwarf_haspc(&unit_die, relative) <= 0) continue;
      Dwarf_Line* line = dwarf_getsrc_die(&unit_die, relative);
      int line_number = 0;
      const char* file = line != nullptr ? dwarf_linesrc(line, nullptr, nullptr) : nullptr;
      if (file == nullptr || dwarf_lineno(line, &line_number) != 0) return {};
      return {file, line_number};
    }
    return {};
  }

  std::mutex mu_;
  Dwfl_Callbacks callbacks_{};
  Dwfl* dwfl_ = nullptr;
  absl::flat_hash_map<std::uintptr_t, StackFrame> cache_;
};

}  // namespace

std::vector<StackFrame> SymbolizeNativeStack(void* const* addresses, int count,
                                             bool first_is_exact) {
  std::vector<StackFrame> frames;
  frames.reserve(count > 0 ? static_cast<std::size_t>(count) : 0);
  for (int i = 0; i < count; ++i) {
    auto address = reinterpret_cast<std::uintptr_t>(addresses[i]);
    if (address == 0) continue;
    // A return address points after its call, possibly at the next line or function: look up
    // the call itself. Only an interrupted instruction (a signal's frame) is exact.
    if (i > 0 || !first_is_exact) --address;
    frames.push_back(Symbolizer::Get().Symbolize(address));
  }
  return frames;
}

}  // namespace weave::detail
