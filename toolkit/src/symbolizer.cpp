// Native stacks to readable frames: function names and file:line from the process's own ELF and
// DWARF, through elfutils' libdwfl.
//
// libdwfl reads /proc/self/maps and each module's symbol table and line table once; a DWARF line
// lookup then costs microseconds. Results are cached per address for the life of the process
// (DESIGN: symbolize lazily, once per distinct address). One lock serializes all of it: stacks
// are symbolized when a report is written, never per step.
#include <dwarf.h>
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

  // The frames of one address: the function it is in, and before it every function inlined
  // there (innermost first), each at its own line.
  std::vector<StackFrame> Symbolize(std::uintptr_t address) {
    std::scoped_lock lock(mu_);
    auto it = cache_.find(address);
    if (it != cache_.end()) return it->second;
    std::vector<StackFrame> frames = Lookup(address);
    cache_.emplace(address, frames);
    return frames;
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

  std::vector<StackFrame> Lookup(std::uintptr_t address) {
    StackFrame frame;
    Dwfl* dwfl = Session(address);
    Dwfl_Module* module =
        dwfl != nullptr ? dwfl_addrmodule(dwfl, static_cast<Dwarf_Addr>(address)) : nullptr;
    if (module == nullptr) {
      frame.function = absl::StrFormat("?? (0x%x)", address);
      return {frame};
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
    Dwarf_Die unit;
    Dwarf_Addr bias = 0;
    if (!FindUnit(module, static_cast<Dwarf_Addr>(address), &unit, &bias)) return {frame};
    const Dwarf_Addr relative = static_cast<Dwarf_Addr>(address) - bias;
    if (Dwarf_Line* line = dwarf_getsrc_die(&unit, relative)) {
      int line_number = 0;
      const char* file = dwarf_linesrc(line, nullptr, nullptr);
      if (file != nullptr && dwarf_lineno(line, &line_number) == 0)
        frame.where = {file, line_number};
    }
    std::vector<StackFrame> chain = InlineChain(&unit, relative, frame);
    if (chain.empty()) chain.push_back(std::move(frame));
    return chain;
  }

  // The compilation unit that holds `address`. libdw finds it through .debug_aranges, which clang
  // does not emit by default: then look through the units' own address ranges, one by one.
  static bool FindUnit(Dwfl_Module* module, Dwarf_Addr address, Dwarf_Die* unit, Dwarf_Addr* bias) {
    if (Dwarf_Die* die = dwfl_module_addrdie(module, address, bias)) {
      *unit = *die;
      return true;
    }
    Dwarf* dwarf = dwfl_module_getdwarf(module, bias);
    if (dwarf == nullptr) return false;
    Dwarf_CU* cu = nullptr;
    Dwarf_Half version = 0;
    std::uint8_t unit_type = 0;
    while (dwarf_get_units(dwarf, cu, &cu, &version, &unit_type, unit, nullptr) == 0) {
      if (dwarf_haspc(unit, address - *bias) > 0) return true;
    }
    return false;
  }

  // A function's name as DWARF knows it: its demangled linkage name, else its plain name.
  static std::string ScopeName(Dwarf_Die* scope) {
    Dwarf_Attribute attribute;
    for (int name : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
      if (dwarf_attr_integrate(scope, name, &attribute) != nullptr) {
        if (const char* linkage = dwarf_formstring(&attribute)) return Demangle(linkage);
      }
    }
    const char* plain = dwarf_diename(scope);
    return plain != nullptr ? plain : "??";
  }

  // The innermost function, inlined call or block whose code holds `address`, searching every
  // DIE under `parent`. dwarf_getscopes (libdw 0.188) descends only into scopes that hold the
  // address, so it misses a function defined inside another one, such as the operator() of a
  // lambda in a test body (GCC nests its out-of-line DIE in the enclosing function's): with
  // everything inlined into that lambda, a stack would lose every user frame there.
  static bool FindInnermostScope(Dwarf_Die* parent, Dwarf_Addr address, Dwarf_Die* out) {
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0) return false;
    do {
      const int tag = dwarf_tag(&child);
      const bool code = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
                        tag == DW_TAG_lexical_block;
      if (code && dwarf_haspc(&child, address) > 0) {
        *out = child;
        Dwarf_Die inner;
        if (FindInnermostScope(&child, address, &inner)) *out = inner;
        return true;
      }
      if (dwarf_haschildren(&child) > 0 && FindInnermostScope(&child, address, out)) return true;
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
  }

  // addr2line -i: the functions inlined at `address`, innermost first, each at the line where the
  // next inner one was inlined, then the function that contains them all (named as `outer`, by
  // its ELF symbol). Empty when DWARF has no scopes for the address.
  static std::vector<StackFrame> InlineChain(Dwarf_Die* unit, Dwarf_Addr address,
                                             const StackFrame& outer) {
    Dwarf_Die* found = nullptr;
    Dwarf_Die innermost;
    if (dwarf_getscopes(unit, address, &found) > 0) {
      // dwarf_getscopes follows an inlined function into its abstract definition; the chain of
      // callers is the innermost scope's physical nesting.
      innermost = found[0];
      std::free(found);
    } else {
      std::free(found);
      if (!FindInnermostScope(unit, address, &innermost)) return {};
    }
    Dwarf_Die* scopes = nullptr;
    const int count = dwarf_getscopes_die(&innermost, &scopes);
    if (count <= 0) return {};
    Dwarf_Files* files = nullptr;
    std::size_t file_count = 0;
    if (dwarf_getsrcfiles(unit, &files, &file_count) != 0) files = nullptr;
    std::vector<StackFrame> chain;
    SourcePosition where = outer.where;
    bool reached_function = false;
    for (int i = 0; i < count && !reached_function; ++i) {
      Dwarf_Die* scope = &scopes[i];
      const int tag = dwarf_tag(scope);
      if (tag == DW_TAG_subprogram) {
        chain.push_back({outer.function, where});
        reached_function = true;
      } else if (tag == DW_TAG_inlined_subroutine) {
        chain.push_back({ScopeName(scope), where});
        // The next frame out is where this one was inlined.
        Dwarf_Attribute attribute;
        Dwarf_Word file_index = 0;
        Dwarf_Word line = 0;
        where = {};
        if (files != nullptr &&
            dwarf_formudata(dwarf_attr(scope, DW_AT_call_file, &attribute), &file_index) == 0 &&
            dwarf_formudata(dwarf_attr(scope, DW_AT_call_line, &attribute), &line) == 0) {
          if (const char* file = dwarf_filesrc(files, file_index, nullptr, nullptr)) {
            where = {file, static_cast<int>(line)};
          }
        }
      }
    }
    std::free(scopes);
    if (!reached_function) chain.push_back({outer.function, where});
    return chain;
  }

  std::mutex mu_;
  Dwfl_Callbacks callbacks_{};
  Dwfl* dwfl_ = nullptr;
  absl::flat_hash_map<std::uintptr_t, std::vector<StackFrame>> cache_;
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
    for (StackFrame& frame : Symbolizer::Get().Symbolize(address)) {
      frames.push_back(std::move(frame));
    }
  }
  return frames;
}

}  // namespace weave::detail
