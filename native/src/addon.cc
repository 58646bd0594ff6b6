// N-API surface of percept_native. Friendly argument validation lives in native/index.ts;
// the checks here only guarantee memory safety when the addon is called directly.
#include <napi.h>

#include <cstring>
#include <string>
#include <utility>

#include "backends.h"
#include "export_registry.h"

namespace percept {
namespace {

enum class Backend { kCpu, kCuda };

// Why CUDA is missing from this binary, fixed at build time by binding.gyp (detect-cuda.cjs).
#ifndef PERCEPT_CUDA_REASON
#define PERCEPT_CUDA_REASON 2
#endif

[[maybe_unused]] const char* NotCompiledReason() {
  return PERCEPT_CUDA_REASON == 1
             ? "CUDA not compiled in: the build was forced CPU-only with PERCEPT_CPU_ONLY=1"
             : "CUDA not compiled in: nvcc was not found at build time";
}

constexpr bool kCudaCompiled =
#ifdef PERCEPT_WITH_CUDA
    true;
#else
    false;
#endif

CudaProbe CurrentCudaProbe() {
#ifdef PERCEPT_WITH_CUDA
  return ProbeCuda();
#else
  CudaProbe probe;
  probe.reason = NotCompiledReason();
  return probe;
#endif
}

struct Job {
  const float* in = nullptr;
  float* out = nullptr;
  std::size_t count = 0;
  std::size_t stride = 0;
  Affine34 transform{};
  Backend backend = Backend::kCpu;
};

// Empty string on success. Runs on either the JS thread or a libuv worker, so it must not
// touch N-API.
std::string RunJob(const Job& job) {
  if (job.backend == Backend::kCuda) {
#ifdef PERCEPT_WITH_CUDA
    return TransformPointsCuda(job.in, job.out, job.count, job.stride, job.transform);
#else
    return NotCompiledReason();
#endif
  }
  try {
    TransformPointsCpu(job.in, job.out, job.count, job.stride, job.transform);
  } catch (const std::exception& e) {  // std::thread creation can fail under resource limits
    return std::string("CPU transform failed: ") + e.what();
  }
  return {};
}

Backend ResolveBackend(Napi::Env env, const Napi::Value& value) {
  const std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "auto";
  if (name == "cpu") return Backend::kCpu;
  if (name != "cuda" && name != "auto") {
    throw Napi::TypeError::New(env, "backend must be 'cpu', 'cuda' or 'auto', got '" + name + "'");
  }
  const CudaProbe probe = CurrentCudaProbe();
  if (name == "auto") return probe.available ? Backend::kCuda : Backend::kCpu;
  if (!probe.available) {
    throw Napi::Error::New(env, "CUDA backend requested but unavailable: " + probe.reason);
  }
  return Backend::kCuda;
}

// Args: (points: Float32Array, stride: number, matrix: Float64Array(16), out: Float32Array,
// backend: 'cpu' | 'cuda' | 'auto').
Job ParseJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto isF32 = [](const Napi::Value& v) {
    return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  };
  if (info.Length() < 4 || !isF32(info[0]) || !info[1].IsNumber() || !info[2].IsTypedArray() ||
      info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array || !isF32(info[3])) {
    throw Napi::TypeError::New(
        env, "expected (points: Float32Array, stride: number, matrix: Float64Array, out: Float32Array, backend)");
  }
  auto points = info[0].As<Napi::Float32Array>();
  auto matrix = info[2].As<Napi::Float64Array>();
  auto out = info[3].As<Napi::Float32Array>();
  const double stride = info[1].As<Napi::Number>().DoubleValue();
  if (!(stride >= 3) || stride != static_cast<double>(static_cast<std::size_t>(stride))) {
    throw Napi::RangeError::New(env, "stride must be an integer >= 3");
  }
  Job job;
  job.stride = static_cast<std::size_t>(stride);
  if (points.ElementLength() % job.stride != 0) {
    throw Napi::RangeError::New(env, "points length must be a multiple of stride");
  }
  if (matrix.ElementLength() != 16) throw Napi::RangeError::New(env, "matrix must have 16 elements");
  if (out.ElementLength() < points.ElementLength()) {
    throw Napi::RangeError::New(env, "out is shorter than points");
  }
  job.count = points.ElementLength() / job.stride;
  job.in = points.Data();
  job.out = out.Data();
  // Copied now so that async callers may reuse their matrix while the work runs.
  std::memcpy(job.transform.m, matrix.Data(), sizeof(job.transform.m));
  job.backend = ResolveBackend(env, info.Length() > 4 ? info[4] : env.Undefined());
  return job;
}

Napi::Value TransformPoints(const Napi::CallbackInfo& info) {
  const Job job = ParseJob(info);
  const std::string failure = RunJob(job);
  if (!failure.empty()) throw Napi::Error::New(info.Env(), failure);
  return info[3];
}

class TransformWorker : public Napi::AsyncWorker {
 public:
  TransformWorker(Napi::Env env, const Job& job, Napi::Float32Array points, Napi::Float32Array out)
      : Napi::AsyncWorker(env, "percept:transformPointsAsync"),
        job_(job),
        deferred_(Napi::Promise::Deferred::New(env)),
        // The worker reads and writes raw pointers into these buffers off the JS thread; the
        // references keep them from being collected until the promise settles.
        points_(Napi::Persistent(points)),
        out_(Napi::Persistent(out)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const std::string failure = RunJob(job_);
    if (!failure.empty()) SetError(failure);
  }
  void OnOK() override { deferred_.Resolve(out_.Value()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Job job_;
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Float32Array> points_;
  Napi::Reference<Napi::Float32Array> out_;
};

Napi::Value TransformPointsAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Argument errors become a rejected promise rather than a synchronous throw, so callers only
  // have one failure channel to handle.
  Job job;
  try {
    job = ParseJob(info);
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
  auto* worker = new TransformWorker(env, job, info[0].As<Napi::Float32Array>(),
                                     info[3].As<Napi::Float32Array>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // AsyncWorker deletes itself after OnOK/OnError
  return promise;
}

Napi::Value BackendInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CudaProbe probe = CurrentCudaProbe();
  Napi::Object result = Napi::Object::New(env);
  result.Set("cudaCompiled", kCudaCompiled);
  result.Set("cudaAvailable", probe.available);
  result.Set("reason", probe.reason);
  if (!probe.deviceName.empty()) result.Set("deviceName", probe.deviceName);
  result.Set("deviceCount", probe.deviceCount);
  result.Set("cpuThreads", CpuThreadCount());
  return result;
}

}  // namespace
}  // namespace percept

namespace percept {
std::vector<ExportFn>& ExportRegistry() {
  static std::vector<ExportFn> registry;
  return registry;
}
}  // namespace percept

// At global scope: NODE_API_MODULE token-pastes the function name, so it cannot be qualified.
static Napi::Object InitPerceptNative(Napi::Env env, Napi::Object exports) {
  for (percept::ExportFn fn : percept::ExportRegistry()) fn(env, exports);
  using namespace percept;
  exports.Set("backendInfo", Napi::Function::New(env, BackendInfo, "backendInfo"));
  exports.Set("transformPoints", Napi::Function::New(env, TransformPoints, "transformPoints"));
  exports.Set("transformPointsAsync",
              Napi::Function::New(env, TransformPointsAsync, "transformPointsAsync"));
  return exports;
}

NODE_API_MODULE(percept_native, InitPerceptNative)
