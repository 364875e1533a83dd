// Internal: C++ symbol demangling for reports.
#pragma once

#include <string>
#include <typeinfo>

namespace weave::detail {

// Demangles an Itanium ABI name (e.g. typeid(x).name()); returns it unchanged if it is not one.
std::string Demangle(const char* mangled);
// The type of the exception being handled, or null.
const std::type_info* CurrentExceptionType();

}  // namespace weave::detail
