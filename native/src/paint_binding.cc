// N-API binding of the paint kernel (paintPoints). Argument order is fixed by native/paint.ts,
// which validates with friendly messages first; the checks here keep every read in bounds.
#include <napi.h>

#include <exception>
#include <string>
#include <vector>

#include "export_registry.h"
#include "paint.h"
#include "project_napi.h"

namespace percept {
namespace {

std::size_t WholeProperty(Napi::Env env, const Napi::Object& o, const char* key, double lo, double hi) {
  const Napi::Value v = o.Get(key);
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(x >= lo && x <= hi) || std::floor(x) != x) {
    throw Napi::RangeError::New(env, std::string("source.") + key + " is out of range");
  }
  return static_cast<std::size_t>(x);
}

Napi::Float32Array FloatsProperty(Napi::Env env, const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, std::string("source.") + key + " must be a Float32Array");
  }
  return v.As<Napi::Float32Array>();
}

// Args: (points, stride, cameras: Float64Array(23·C), minDepth, classes, sources: object[C],
// scores: Float32Array(N·classes), camera: Int32Array(N), backend: 'cpu' | 'cuda').
Napi::Value PaintPoints(const Napi::CallbackInfo& info) {
  using namespace project_napi;
  Napi::Env env = info.Env();
  auto points = TypedArg<Napi::Float32Array>(info, 0, napi_float32_array, "points");
  const std::size_t stride = CountArg(info, 1, "stride", 3, 1 << 20);
  if (points.ElementLength() % stride != 0) {
    throw Napi::RangeError::New(env, "points length must be a multiple of stride");
  }
  const std::size_t count = points.ElementLength() / stride;
  const std::vector<ProjectionCamera> cameras = CamerasArg(info, 2);
  const double minDepth = NumberArg(info, 3, "minDepth");
  const std::size_t classes = CountArg(info, 4, "classes", 1, 1 << 16);
  if (info.Length() < 6 || !info[5].IsArray()) throw Napi::TypeError::New(env, "sources must be an array");
  auto sourceArray = info[5].As<Napi::Array>();
  if (sourceArray.Length() != cameras.size()) {
    throw Napi::RangeError::New(env, "sources must hold one source per camera");
  }
  std::vector<PaintSource> sources(cameras.size());
  std::vector<std::vector<float>> boxMaxima(cameras.size());
  for (std::size_t c = 0; c < cameras.size(); ++c) {
    const Napi::Value item = sourceArray.Get(static_cast<uint32_t>(c));
    if (!item.IsObject()) throw Napi::TypeError::New(env, "each source must be an object");
    const Napi::Object o = item.As<Napi::Object>();
    const Napi::Value kind = o.Get("kind");
    const std::string k = kind.IsString() ? kind.As<Napi::String>().Utf8Value() : "";
    PaintSource& s = sources[c];
    if (k == "map") {
      auto data = FloatsProperty(env, o, "data");
      s.kind = PaintSourceKind::kMap;
      s.mapWidth = WholeProperty(env, o, "width", 1, 1 << 16);
      s.mapHeight = WholeProperty(env, o, "height", 1, 1 << 16);
      s.cellStride = WholeProperty(env, o, "cellStride", static_cast<double>(classes), 1 << 16);
      if (data.ElementLength() < s.mapWidth * s.mapHeight * s.cellStride) {
        throw Napi::RangeError::New(env, "source.data is shorter than width * height * cellStride");
      }
      s.map = data.Data();
    } else if (k == "boxes") {
      auto boxes = FloatsProperty(env, o, "boxes");
      auto scores = FloatsProperty(env, o, "scores");
      if (boxes.ElementLength() % 4 != 0) throw Napi::RangeError::New(env, "source.boxes length must be a multiple of 4");
      s.kind = PaintSourceKind::kBoxes;
      s.boxCount = boxes.ElementLength() / 4;
      if (scores.ElementLength() < s.boxCount * classes) {
        throw Napi::RangeError::New(env, "source.scores is shorter than boxes * classes");
      }
      s.boxes = boxes.Data();
      s.boxScores = scores.Data();
      boxMaxima[c].resize(s.boxCount);
      BoxMaxima(s.boxScores, s.boxCount, classes, boxMaxima[c].data());
      s.boxMax = boxMaxima[c].data();
    } else {
      throw Napi::TypeError::New(env, "source.kind must be 'map' or 'boxes'");
    }
  }
  auto scores = TypedArg<Napi::Float32Array>(info, 6, napi_float32_array, "scores");
  auto cameraOut = TypedArg<Napi::Int32Array>(info, 7, napi_int32_array, "camera");
  RequireLength(env, scores, count * classes, "scores");
  RequireLength(env, cameraOut, count, "camera");
  const Device device = DeviceArg(info, 8);
  std::string failure;
  if (device == Device::kCuda) {
#ifdef PERCEPT_WITH_CUDA
    failure = PaintPointsCuda(points.Data(), count, stride, cameras.data(), sources.data(),
                              cameras.size(), classes, minDepth, scores.Data(), cameraOut.Data());
#endif
  } else {
    try {
      PaintPointsCpu(points.Data(), count, stride, cameras.data(), sources.data(), cameras.size(),
                     classes, minDepth, scores.Data(), cameraOut.Data());
    } catch (const std::exception& e) {
      failure = std::string("CPU paint failed: ") + e.what();
    }
  }
  if (!failure.empty()) throw Napi::Error::New(env, failure);
  return env.Undefined();
}

void InitPaint(Napi::Env env, Napi::Object exports) {
  exports.Set("paintPoints", Napi::Function::New(env, PaintPoints, "paintPoints"));
}

static RegisterExports registerPaint(&InitPaint);

}  // namespace
}  // namespace percept
