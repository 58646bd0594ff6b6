// N-API binding of the association kernel (sync only: a frame's few dozen clusters × boxes are
// microseconds of work, less than an AsyncWorker round trip).
// (corners F64[K*24], K, cameras F64[C*23], C, boxes F64[B*4], boxCamera I32[B], nearZ,
//  rects F64[C*K*4], iou F64[K*B], backend) → iou
#include <napi.h>

#include <cmath>
#include <string>

#include "associate.h"
#include "bev_napi.h"
#include "export_registry.h"

namespace percept {
namespace {

using namespace napi_util;

Napi::Value Associate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float64Array corners = F64(info, 0, "corners");
  const std::size_t clusters = Count(info, 1, "clusters", 1 << 20);
  Napi::Float64Array cameras = F64(info, 2, "cameras");
  const std::size_t cameraCount = Count(info, 3, "cameraCount", 1 << 10);
  Napi::Float64Array boxes = F64(info, 4, "boxes");
  Napi::Int32Array boxCamera = I32(info, 5, "boxCamera");
  Require(env, info.Length() > 6 && info[6].IsNumber() && std::isfinite(info[6].As<Napi::Number>().DoubleValue()),
          "nearZ must be a finite number");
  Napi::Float64Array rects = F64(info, 7, "rects");
  Napi::Float64Array iou = F64(info, 8, "iou");
  const Backend backend = ParseBackend(env, info.Length() > 9 ? info[9] : env.Undefined());

  const std::size_t boxCount = boxCamera.ElementLength();
  Require(env, corners.ElementLength() >= 24 * clusters, "corners is shorter than 24 * clusters");
  Require(env, cameras.ElementLength() >= kCameraRecord * cameraCount, "cameras is shorter than 23 * cameraCount");
  Require(env, boxes.ElementLength() >= 4 * boxCount, "boxes is shorter than 4 * boxCamera.length");
  Require(env, rects.ElementLength() >= 4 * cameraCount * clusters, "rects is too short");
  Require(env, iou.ElementLength() >= clusters * boxCount, "iou is too short");
  for (std::size_t j = 0; j < boxCount; ++j) {
    Require(env, boxCamera.Data()[j] >= 0 && static_cast<std::size_t>(boxCamera.Data()[j]) < cameraCount,
            "boxCamera entries must name a camera");
  }
  AssociateInput in{corners.Data(), clusters,          cameras.Data(), cameraCount, boxes.Data(),
                    boxCamera.Data(), boxCount, info[6].As<Napi::Number>().DoubleValue()};
  std::string failure;
  try {
#ifdef PERCEPT_WITH_CUDA
    if (backend == Backend::kCuda) {
      failure = AssociateCuda(in, rects.Data(), iou.Data());
    } else {
      AssociateCpu(in, rects.Data(), iou.Data());
    }
#else
    (void)backend;
    AssociateCpu(in, rects.Data(), iou.Data());
#endif
  } catch (const std::exception& e) {
    failure = std::string("native kernel failed: ") + e.what();
  }
  if (!failure.empty()) throw Napi::Error::New(env, failure);
  return iou;
}

void InitAssociate(Napi::Env env, Napi::Object exports) {
  exports.Set("associateBoxes", Napi::Function::New(env, Associate, "associateBoxes"));
}

static RegisterExports reg(&InitAssociate);

}  // namespace
}  // namespace percept
