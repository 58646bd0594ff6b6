#pragma once
// Each kernel's binding file registers its exports here at load time, so adding a kernel never
// means editing addon.cc: `static percept::RegisterExports reg(&MyInit);` at namespace scope.
#include <napi.h>

#include <vector>

namespace percept {

using ExportFn = void (*)(Napi::Env env, Napi::Object exports);

std::vector<ExportFn>& ExportRegistry();

struct RegisterExports {
  explicit RegisterExports(ExportFn fn) { ExportRegistry().push_back(fn); }
};

}  // namespace percept
