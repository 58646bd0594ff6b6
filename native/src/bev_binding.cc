// N-API bindings of the BEV kernels: rasterizeBev, rasterizeRadarBev, buildPillars,
// scatterPillars, each with an *Async twin. Friendly validation is in native/bev.ts; the checks
// here only guarantee that no kernel reads or writes out of bounds.
#include <napi.h>

#include <memory>
#include <string>

#include "bev.h"
#include "bev_napi.h"
#include "export_registry.h"
#include "parallel.h"

namespace percept {
namespace {

using namespace napi_util;

struct PointArgs {
  const float* data;
  std::size_t count;
  std::size_t stride;
};

PointArgs ParsePoints(const Napi::CallbackInfo& info, Napi::Float32Array points, std::size_t strideIndex) {
  const std::size_t stride = Count(info, strideIndex, "stride", 4096);
  Require(info.Env(), stride >= 2, "stride must be >= 2");
  Require(info.Env(), points.ElementLength() % stride == 0, "points length must be a multiple of stride");
  return {points.Data(), points.ElementLength() / stride, stride};
}

// A field index must address a float inside one point; optional fields may be -1.
int32_t Field(Napi::Env env, const int32_t* f, int i, std::size_t stride, bool optional, const char* name) {
  const int32_t v = f[i];
  Require(env, (optional && v == -1) || (v >= 0 && static_cast<std::size_t>(v) < stride),
          std::string("field ") + name + " must index a float inside a point");
  return v;
}

// (points, stride, fields Int32Array[x,y,z,intensity], grid, out, backend)
Task ParseBev(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array points = F32(info, 0, "points");
  const PointArgs p = ParsePoints(info, points, 1);
  Napi::Int32Array fieldsArray = I32(info, 2, "fields");
  Require(env, fieldsArray.ElementLength() == 4, "fields must have 4 elements");
  BevFields f;
  f.x = Field(env, fieldsArray.Data(), 0, p.stride, false, "x");
  f.y = Field(env, fieldsArray.Data(), 1, p.stride, false, "y");
  f.z = Field(env, fieldsArray.Data(), 2, p.stride, false, "z");
  f.intensity = Field(env, fieldsArray.Data(), 3, p.stride, true, "intensity");
  const BevGrid g = ParseGrid(info, 3);
  Napi::Float32Array out = F32(info, 4, "out");
  Require(env, out.ElementLength() >= kBevChannels * g.cells(), "out is shorter than 4 * width * height");
  const Backend backend = ParseBackend(env, info.Length() > 5 ? info[5] : env.Undefined());
  Task task;
  float* dst = out.Data();
  task.work = [p, f, g, dst, backend]() -> std::string {
#ifdef PERCEPT_WITH_CUDA
    if (backend == Backend::kCuda) return RasterizeBevCuda(p.data, p.count, p.stride, f, g, dst);
#endif
    (void)backend;
    const PoolAwake awake;  // parallel phases around a serial pass over the points
    RasterizeBevCpu(p.data, p.count, p.stride, f, g, dst);
    return {};
  };
  auto outRef = std::make_shared<Napi::Reference<Napi::Value>>(Keep(out));
  task.result = [outRef](Napi::Env) { return outRef->Value(); };
  task.keep.push_back(Keep(points));
  return task;
}

// (targets, stride, fields Int32Array[x,y,velocity,vx,vy,rcs], grid, out, backend)
Task ParseRadar(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array targets = F32(info, 0, "targets");
  const PointArgs p = ParsePoints(info, targets, 1);
  Napi::Int32Array fieldsArray = I32(info, 2, "fields");
  Require(env, fieldsArray.ElementLength() == 6, "fields must have 6 elements");
  const int32_t* fa = fieldsArray.Data();
  RadarFields f;
  f.x = Field(env, fa, 0, p.stride, false, "x");
  f.y = Field(env, fa, 1, p.stride, false, "y");
  f.velocity = Field(env, fa, 2, p.stride, true, "velocity");
  f.vx = Field(env, fa, 3, p.stride, true, "vx");
  f.vy = Field(env, fa, 4, p.stride, true, "vy");
  f.rcs = Field(env, fa, 5, p.stride, true, "rcs");
  const BevGrid g = ParseGrid(info, 3);
  Napi::Float32Array out = F32(info, 4, "out");
  Require(env, out.ElementLength() >= kRadarChannels * g.cells(), "out is shorter than 3 * width * height");
  const Backend backend = ParseBackend(env, info.Length() > 5 ? info[5] : env.Undefined());
  Task task;
  float* dst = out.Data();
  task.work = [p, f, g, dst, backend]() -> std::string {
#ifdef PERCEPT_WITH_CUDA
    if (backend == Backend::kCuda) return RasterizeRadarCuda(p.data, p.count, p.stride, f, g, dst);
#endif
    (void)backend;
    RasterizeRadarCpu(p.data, p.count, p.stride, f, g, dst);
    return {};
  };
  auto outRef = std::make_shared<Napi::Reference<Napi::Value>>(Keep(out));
  task.result = [outRef](Napi::Env) { return outRef->Value(); };
  task.keep.push_back(Keep(targets));
  return task;
}

// (points, stride, fields, grid, maxPillars, maxPoints, features F32, coords I32, counts I32, backend)
// → number of pillars filled.
Task ParsePillars(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array points = F32(info, 0, "points");
  const PointArgs p = ParsePoints(info, points, 1);
  Napi::Int32Array fieldsArray = I32(info, 2, "fields");
  Require(env, fieldsArray.ElementLength() == 4, "fields must have 4 elements");
  BevFields f;
  f.x = Field(env, fieldsArray.Data(), 0, p.stride, false, "x");
  f.y = Field(env, fieldsArray.Data(), 1, p.stride, false, "y");
  f.z = Field(env, fieldsArray.Data(), 2, p.stride, false, "z");
  f.intensity = Field(env, fieldsArray.Data(), 3, p.stride, true, "intensity");
  const BevGrid g = ParseGrid(info, 3);
  const std::size_t maxPillars = Count(info, 4, "maxPillars", 1 << 20);
  const std::size_t maxPoints = Count(info, 5, "maxPoints", 1 << 12);
  Require(env, maxPillars * maxPoints * kPillarFeatures <= (std::size_t{1} << 30), "maxPillars * maxPoints is too large");
  Napi::Float32Array features = F32(info, 6, "features");
  Napi::Int32Array coords = I32(info, 7, "coords");
  Napi::Int32Array counts = I32(info, 8, "counts");
  Require(env, features.ElementLength() >= maxPillars * maxPoints * kPillarFeatures, "features is too short");
  Require(env, coords.ElementLength() >= 2 * maxPillars, "coords is too short");
  Require(env, counts.ElementLength() >= maxPillars, "counts is too short");
  const Backend backend = ParseBackend(env, info.Length() > 9 ? info[9] : env.Undefined());
  PillarBuffers out;
  out.features = features.Data();
  out.coords = coords.Data();
  out.pointCounts = counts.Data();
  out.maxPillars = static_cast<int32_t>(maxPillars);
  out.maxPoints = static_cast<int32_t>(maxPoints);
  auto filled = std::make_shared<int32_t>(0);
  Task task;
  task.work = [p, f, g, out, backend, filled]() -> std::string {
#ifdef PERCEPT_WITH_CUDA
    if (backend == Backend::kCuda) return BuildPillarsCuda(p.data, p.count, p.stride, f, g, out, filled.get());
#endif
    (void)backend;
    *filled = BuildPillarsCpu(p.data, p.count, p.stride, f, g, out);
    return {};
  };
  task.result = [filled](Napi::Env env) { return Napi::Number::New(env, *filled); };
  task.keep.push_back(Keep(points));
  task.keep.push_back(Keep(features));
  task.keep.push_back(Keep(coords));
  task.keep.push_back(Keep(counts));
  return task;
}

// (features F32 [P, C], pillars, channels, coords I32 [P, 2], height, width, canvas F32, backend)
Task ParseScatter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array features = F32(info, 0, "features");
  const std::size_t pillars = Count(info, 1, "pillars", 1 << 24);
  const std::size_t channels = Count(info, 2, "channels", 1 << 16);
  Napi::Int32Array coords = I32(info, 3, "coords");
  const std::size_t height = Count(info, 4, "height", 1 << 16);
  const std::size_t width = Count(info, 5, "width", 1 << 16);
  Napi::Float32Array canvas = F32(info, 6, "canvas");
  Require(env, features.ElementLength() >= pillars * channels, "features is shorter than pillars * channels");
  Require(env, coords.ElementLength() >= 2 * pillars, "coords is shorter than 2 * pillars");
  Require(env, channels * height * width <= (std::size_t{1} << 31), "canvas is too large");
  Require(env, canvas.ElementLength() >= channels * height * width, "canvas is shorter than channels * height * width");
  const Backend backend = ParseBackend(env, info.Length() > 7 ? info[7] : env.Undefined());
  const float* src = features.Data();
  const int32_t* co = coords.Data();
  float* dst = canvas.Data();
  const int32_t h = static_cast<int32_t>(height), w = static_cast<int32_t>(width);
  Task task;
  task.work = [=]() -> std::string {
#ifdef PERCEPT_WITH_CUDA
    if (backend == Backend::kCuda) return ScatterPillarsCuda(src, pillars, channels, co, h, w, dst);
#endif
    (void)backend;
    ScatterPillarsCpu(src, pillars, channels, co, h, w, dst);
    return {};
  };
  auto outRef = std::make_shared<Napi::Reference<Napi::Value>>(Keep(canvas));
  task.result = [outRef](Napi::Env) { return outRef->Value(); };
  task.keep.push_back(Keep(features));
  task.keep.push_back(Keep(coords));
  return task;
}

Napi::Value RasterizeBev(const Napi::CallbackInfo& info) { return RunSync(info, ParseBev); }
Napi::Value RasterizeBevAsync(const Napi::CallbackInfo& info) { return RunAsync(info, ParseBev); }
Napi::Value RasterizeRadar(const Napi::CallbackInfo& info) { return RunSync(info, ParseRadar); }
Napi::Value RasterizeRadarAsync(const Napi::CallbackInfo& info) { return RunAsync(info, ParseRadar); }
Napi::Value BuildPillars(const Napi::CallbackInfo& info) { return RunSync(info, ParsePillars); }
Napi::Value BuildPillarsAsync(const Napi::CallbackInfo& info) { return RunAsync(info, ParsePillars); }
Napi::Value ScatterPillars(const Napi::CallbackInfo& info) { return RunSync(info, ParseScatter); }
Napi::Value ScatterPillarsAsync(const Napi::CallbackInfo& info) { return RunAsync(info, ParseScatter); }

void InitBev(Napi::Env env, Napi::Object exports) {
  exports.Set("rasterizeBev", Napi::Function::New(env, RasterizeBev, "rasterizeBev"));
  exports.Set("rasterizeBevAsync", Napi::Function::New(env, RasterizeBevAsync, "rasterizeBevAsync"));
  exports.Set("rasterizeRadarBev", Napi::Function::New(env, RasterizeRadar, "rasterizeRadarBev"));
  exports.Set("rasterizeRadarBevAsync", Napi::Function::New(env, RasterizeRadarAsync, "rasterizeRadarBevAsync"));
  exports.Set("buildPillars", Napi::Function::New(env, BuildPillars, "buildPillars"));
  exports.Set("buildPillarsAsync", Napi::Function::New(env, BuildPillarsAsync, "buildPillarsAsync"));
  exports.Set("scatterPillars", Napi::Function::New(env, ScatterPillars, "scatterPillars"));
  exports.Set("scatterPillarsAsync", Napi::Function::New(env, ScatterPillarsAsync, "scatterPillarsAsync"));
}

static RegisterExports reg(&InitBev);

}  // namespace
}  // namespace percept
