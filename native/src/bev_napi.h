// N-API plumbing shared by the BEV, clustering and association bindings: argument readers that
// re-check what memory safety needs (friendly validation lives in TypeScript), backend parsing,
// and one sync/async runner so every kernel gets both variants from a single parse function.
#pragma once

#include <napi.h>

#include <cmath>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backends.h"
#include "bev_common.h"

namespace percept {
namespace napi_util {

enum class Backend { kCpu, kCuda };

#ifndef PERCEPT_CUDA_REASON
#define PERCEPT_CUDA_REASON 2
#endif

inline std::string CudaUnavailableReason() {
#ifdef PERCEPT_WITH_CUDA
  return ProbeCuda().reason;
#else
  return PERCEPT_CUDA_REASON == 1
             ? "CUDA not compiled in: the build was forced CPU-only with PERCEPT_CPU_ONLY=1"
             : "CUDA not compiled in: nvcc was not found at build time";
#endif
}

inline bool CudaUsable() {
#ifdef PERCEPT_WITH_CUDA
  return ProbeCuda().available;
#else
  return false;
#endif
}

inline Backend ParseBackend(Napi::Env env, const Napi::Value& value) {
  const std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "auto";
  if (name == "cpu") return Backend::kCpu;
  if (name != "cuda" && name != "auto") {
    throw Napi::TypeError::New(env, "backend must be 'cpu', 'cuda' or 'auto', got '" + name + "'");
  }
  if (name == "auto") return CudaUsable() ? Backend::kCuda : Backend::kCpu;
  if (!CudaUsable()) throw Napi::Error::New(env, "CUDA backend requested but unavailable: " + CudaUnavailableReason());
  return Backend::kCuda;
}

template <typename T>
T Typed(const Napi::CallbackInfo& info, std::size_t i, napi_typedarray_type type, const char* name) {
  const Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(info.Env(), std::string("argument ") + name + " has the wrong typed-array type");
  }
  return v.As<T>();
}

inline Napi::Float32Array F32(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  return Typed<Napi::Float32Array>(info, i, napi_float32_array, name);
}
inline Napi::Float64Array F64(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  return Typed<Napi::Float64Array>(info, i, napi_float64_array, name);
}
inline Napi::Int32Array I32(const Napi::CallbackInfo& info, std::size_t i, const char* name) {
  return Typed<Napi::Int32Array>(info, i, napi_int32_array, name);
}

// A non-negative integer argument no larger than `max`.
inline std::size_t Count(const Napi::CallbackInfo& info, std::size_t i, const char* name, double max) {
  const Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max) || d != std::floor(d)) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer in [0, " + std::to_string(max) + "]");
  }
  return static_cast<std::size_t>(d);
}

inline void Require(Napi::Env env, bool ok, const std::string& message) {
  if (!ok) throw Napi::RangeError::New(env, message);
}

// Grids are passed as Float64Array [xMin, yMin, resolution, width, height].
constexpr double kMaxCells = 1 << 27;
inline BevGrid ParseGrid(const Napi::CallbackInfo& info, std::size_t i) {
  Napi::Float64Array a = F64(info, i, "grid");
  Require(info.Env(), a.ElementLength() == 5, "grid must have 5 elements");
  const double* g = a.Data();
  Require(info.Env(), std::isfinite(g[0]) && std::isfinite(g[1]) && std::isfinite(g[2]) && g[2] > 0,
          "grid origin and resolution must be finite, resolution > 0");
  Require(info.Env(), g[3] >= 1 && g[4] >= 1 && g[3] == std::floor(g[3]) && g[4] == std::floor(g[4]) &&
                          g[3] * g[4] <= kMaxCells,
          "grid width and height must be integers >= 1 with width * height <= 2^27");
  BevGrid grid;
  grid.xMin = g[0];
  grid.yMin = g[1];
  grid.resolution = g[2];
  grid.width = static_cast<int32_t>(g[3]);
  grid.height = static_cast<int32_t>(g[4]);
  return grid;
}

// One kernel call: `work` runs on the JS thread (sync) or a libuv worker (async) and must not
// touch N-API; `result` builds the JS return value afterwards. `keep` holds the typed arrays the
// work reads and writes so they cannot be collected while a worker uses their memory.
struct Task {
  std::function<std::string()> work;
  std::function<Napi::Value(Napi::Env)> result;
  std::vector<Napi::Reference<Napi::Value>> keep;
};

inline std::string RunGuarded(const std::function<std::string()>& work) {
  try {
    return work();
  } catch (const std::exception& e) {  // std::thread creation or allocation can fail
    return std::string("native kernel failed: ") + e.what();
  }
}

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, Task task)
      : Napi::AsyncWorker(env, "percept:kernel"), task_(std::move(task)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const std::string failure = RunGuarded(task_.work);
    if (!failure.empty()) SetError(failure);
  }
  void OnOK() override { deferred_.Resolve(task_.result(Env())); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Task task_;
  Napi::Promise::Deferred deferred_;
};

using Parser = Task (*)(const Napi::CallbackInfo& info);

inline Napi::Value RunSync(const Napi::CallbackInfo& info, Parser parse) {
  Task task = parse(info);
  const std::string failure = RunGuarded(task.work);
  if (!failure.empty()) throw Napi::Error::New(info.Env(), failure);
  return task.result(info.Env());
}

// Argument errors reject the promise rather than throwing, so callers have one failure channel.
inline Napi::Value RunAsync(const Napi::CallbackInfo& info, Parser parse) {
  Napi::Env env = info.Env();
  Task task;
  try {
    task = parse(info);
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
  auto* worker = new TaskWorker(env, std::move(task));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

inline Napi::Reference<Napi::Value> Keep(const Napi::Value& v) { return Napi::Persistent(v); }

}  // namespace napi_util
}  // namespace percept
