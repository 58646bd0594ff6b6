// N-API argument helpers shared by the project and paint bindings. Friendly validation lives in
// native/project.ts and native/paint.ts; these checks only guarantee memory safety (and a clear
// error) when the addon is called directly.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "backends.h"
#include "project_math.h"

namespace percept {
namespace project_napi {

enum class Device { kCpu, kCuda };

template <typename T>
T TypedArg(const Napi::CallbackInfo& info, std::size_t index, napi_typedarray_type type,
           const char* name) {
  const Napi::Value v = info.Length() > index ? info[index] : info.Env().Undefined();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("argument ") + name + " has the wrong type");
  }
  return v.As<T>();
}

inline double NumberArg(const Napi::CallbackInfo& info, std::size_t index, const char* name) {
  const Napi::Value v = info.Length() > index ? info[index] : info.Env().Undefined();
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A whole number in [lo, hi], else RangeError.
inline std::size_t CountArg(const Napi::CallbackInfo& info, std::size_t index, const char* name,
                            double lo, double hi) {
  const double x = NumberArg(info, index, name);
  if (!(x >= lo && x <= hi) || std::floor(x) != x) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " is out of range");
  }
  return static_cast<std::size_t>(x);
}

constexpr double kMaxImageSide = 1 << 16;

// Cameras packed kCameraParamCount doubles each; width and height are what the kernels index
// with, so they are re-checked here; the rest only affects values, never addresses.
inline std::vector<ProjectionCamera> CamerasArg(const Napi::CallbackInfo& info, std::size_t index) {
  auto packed = TypedArg<Napi::Float64Array>(info, index, napi_float64_array, "cameras");
  if (packed.ElementLength() % kCameraParamCount != 0) {
    throw Napi::RangeError::New(info.Env(), "cameras length must be a multiple of 23");
  }
  std::vector<ProjectionCamera> cameras;
  for (std::size_t c = 0; c < packed.ElementLength() / kCameraParamCount; ++c) {
    const double* p = packed.Data() + c * kCameraParamCount;
    for (std::size_t k = 0; k < 2; ++k) {
      if (!(p[k] >= 1 && p[k] <= kMaxImageSide) || std::floor(p[k]) != p[k]) {
        throw Napi::RangeError::New(info.Env(), "camera width and height must be integers in [1, 65536]");
      }
    }
    cameras.push_back(UnpackCamera(p));
  }
  return cameras;
}

inline Device DeviceArg(const Napi::CallbackInfo& info, std::size_t index) {
  Napi::Env env = info.Env();
  const Napi::Value v = info.Length() > index ? info[index] : env.Undefined();
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name == "cpu") return Device::kCpu;
  if (name != "cuda") throw Napi::TypeError::New(env, "backend must be 'cpu' or 'cuda'");
#ifdef PERCEPT_WITH_CUDA
  const CudaProbe& probe = ProbeCuda();
  if (!probe.available) {
    throw Napi::Error::New(env, "CUDA backend requested but unavailable: " + probe.reason);
  }
  return Device::kCuda;
#else
  throw Napi::Error::New(env, "CUDA backend requested but unavailable: CUDA not compiled in");
#endif
}

// Counted so the bindings can refuse an output shorter than what the kernel writes.
template <typename T>
void RequireLength(Napi::Env env, const T& array, std::size_t needed, const char* name) {
  if (array.ElementLength() < needed) {
    throw Napi::RangeError::New(env, std::string(name) + " is too short for the result");
  }
}

}  // namespace project_napi
}  // namespace percept
