// N-API binding of the project kernel: projectPoints (sync and AsyncWorker) and depthImage.
// Argument order is fixed by native/project.ts, which validates with friendly messages first.
#include <napi.h>

#include <exception>
#include <string>
#include <vector>

#include "export_registry.h"
#include "project.h"
#include "project_napi.h"

namespace percept {
namespace {

using project_napi::Device;

struct ProjectJob {
  const float* points = nullptr;
  std::size_t count = 0;
  std::size_t stride = 0;
  std::vector<ProjectionCamera> cameras;
  double minDepth = 0;
  ProjectOutputs out{};
  Device device = Device::kCpu;
};

// Args: (points: Float32Array, stride, cameras: Float64Array(23·C), minDepth, u: Float32Array,
// v: Float32Array, depth: Float32Array, inImage: Uint8Array, backend: 'cpu' | 'cuda').
ProjectJob ParseProjectJob(const Napi::CallbackInfo& info) {
  using namespace project_napi;
  Napi::Env env = info.Env();
  auto points = TypedArg<Napi::Float32Array>(info, 0, napi_float32_array, "points");
  ProjectJob job;
  job.stride = CountArg(info, 1, "stride", 3, 1 << 20);
  if (points.ElementLength() % job.stride != 0) {
    throw Napi::RangeError::New(env, "points length must be a multiple of stride");
  }
  job.count = points.ElementLength() / job.stride;
  job.points = points.Data();
  job.cameras = CamerasArg(info, 2);
  job.minDepth = NumberArg(info, 3, "minDepth");
  auto u = TypedArg<Napi::Float32Array>(info, 4, napi_float32_array, "u");
  auto v = TypedArg<Napi::Float32Array>(info, 5, napi_float32_array, "v");
  auto depth = TypedArg<Napi::Float32Array>(info, 6, napi_float32_array, "depth");
  auto inImage = TypedArg<Napi::Uint8Array>(info, 7, napi_uint8_array, "inImage");
  const std::size_t total = job.count * job.cameras.size();
  RequireLength(env, u, total, "u");
  RequireLength(env, v, total, "v");
  RequireLength(env, depth, total, "depth");
  RequireLength(env, inImage, total, "inImage");
  job.out = ProjectOutputs{u.Data(), v.Data(), depth.Data(), inImage.Data()};
  job.device = DeviceArg(info, 8);
  return job;
}

// Empty string on success. Runs on the JS thread or a libuv worker: no N-API in here.
std::string RunProjectJob(const ProjectJob& job) {
  if (job.device == Device::kCuda) {
#ifdef PERCEPT_WITH_CUDA
    return ProjectPointsCuda(job.points, job.count, job.stride, job.cameras.data(),
                             job.cameras.size(), job.minDepth, job.out);
#endif
  }
  try {
    ProjectPointsCpu(job.points, job.count, job.stride, job.cameras.data(), job.cameras.size(),
                     job.minDepth, job.out);
  } catch (const std::exception& e) {
    return std::string("CPU projection failed: ") + e.what();
  }
  return {};
}

Napi::Value ProjectPoints(const Napi::CallbackInfo& info) {
  const ProjectJob job = ParseProjectJob(info);
  const std::string failure = RunProjectJob(job);
  if (!failure.empty()) throw Napi::Error::New(info.Env(), failure);
  return info.Env().Undefined();
}

class ProjectWorker : public Napi::AsyncWorker {
 public:
  ProjectWorker(const Napi::CallbackInfo& info, ProjectJob job)
      : Napi::AsyncWorker(info.Env(), "percept:projectPointsAsync"),
        job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(info.Env())) {
    // The worker uses raw pointers into these buffers off the JS thread; the references keep
    // them alive until the promise settles.
    for (std::size_t i : {0, 4, 5, 6, 7}) keep_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const std::string failure = RunProjectJob(job_);
    if (!failure.empty()) SetError(failure);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  ProjectJob job_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> keep_;
};

Napi::Value ProjectPointsAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProjectJob job;
  try {
    job = ParseProjectJob(info);
  } catch (const Napi::Error& e) {
    // One failure channel for async callers: a rejected promise, never a synchronous throw.
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
  auto* worker = new ProjectWorker(info, std::move(job));
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // deletes itself after OnOK / OnError
  return promise;
}

// Args: (points, stride, camera: Float64Array(23), minDepth, out: Float32Array(w·h), backend).
Napi::Value DepthImage(const Napi::CallbackInfo& info) {
  using namespace project_napi;
  Napi::Env env = info.Env();
  auto points = TypedArg<Napi::Float32Array>(info, 0, napi_float32_array, "points");
  const std::size_t stride = CountArg(info, 1, "stride", 3, 1 << 20);
  if (points.ElementLength() % stride != 0) {
    throw Napi::RangeError::New(env, "points length must be a multiple of stride");
  }
  const std::vector<ProjectionCamera> cameras = CamerasArg(info, 2);
  if (cameras.size() != 1) throw Napi::RangeError::New(env, "depthImage takes exactly one camera");
  const ProjectionCamera& camera = cameras[0];
  const double minDepth = NumberArg(info, 3, "minDepth");
  auto out = TypedArg<Napi::Float32Array>(info, 4, napi_float32_array, "out");
  RequireLength(env, out, static_cast<std::size_t>(camera.width) * static_cast<std::size_t>(camera.height), "out");
  const Device device = DeviceArg(info, 5);
  const std::size_t count = points.ElementLength() / stride;
  std::string failure;
  if (device == Device::kCuda) {
#ifdef PERCEPT_WITH_CUDA
    failure = DepthImageCuda(points.Data(), count, stride, camera, minDepth, out.Data());
#endif
  } else {
    try {
      DepthImageCpu(points.Data(), count, stride, camera, minDepth, out.Data());
    } catch (const std::exception& e) {
      failure = std::string("CPU depth image failed: ") + e.what();
    }
  }
  if (!failure.empty()) throw Napi::Error::New(env, failure);
  return out;
}

void InitProject(Napi::Env env, Napi::Object exports) {
  exports.Set("projectPoints", Napi::Function::New(env, ProjectPoints, "projectPoints"));
  exports.Set("projectPointsAsync", Napi::Function::New(env, ProjectPointsAsync, "projectPointsAsync"));
  exports.Set("depthImage", Napi::Function::New(env, DepthImage, "depthImage"));
}

static RegisterExports registerProject(&InitProject);

}  // namespace
}  // namespace percept
