// N-API binding of ground removal + clustering: clusterBev / clusterBevAsync.
// (points, stride, fields Int32Array[x,y,z], grid Float64Array[5],
//  params Float64Array[groundThreshold, maxGroundZ, groundRadius, linkRadius, minPoints],
//  labels Int32Array, backend) → Float64Array of kClusterRecord doubles per cluster.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bev_napi.h"
#include "cluster.h"
#include "export_registry.h"
#include "parallel.h"
#include "scratch.h"

namespace percept {
namespace {

using namespace napi_util;

Task ParseCluster(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array points = F32(info, 0, "points");
  const std::size_t stride = Count(info, 1, "stride", 4096);
  Require(env, stride >= 3, "stride must be >= 3");
  Require(env, points.ElementLength() % stride == 0, "points length must be a multiple of stride");
  const std::size_t count = points.ElementLength() / stride;
  Napi::Int32Array fields = I32(info, 2, "fields");
  Require(env, fields.ElementLength() == 3, "fields must have 3 elements");
  for (int i = 0; i < 3; ++i) {
    Require(env, fields.Data()[i] >= 0 && static_cast<std::size_t>(fields.Data()[i]) < stride,
            "fields must index floats inside a point");
  }
  const BevGrid g = ParseGrid(info, 3);
  Napi::Float64Array paramArray = F64(info, 4, "params");
  Require(env, paramArray.ElementLength() == 5, "params must have 5 elements");
  const double* pa = paramArray.Data();
  auto isSmallInt = [](double v, double lo, double hi) { return v >= lo && v <= hi && v == std::floor(v); };
  Require(env, std::isfinite(pa[0]) && !std::isnan(pa[1]), "groundThreshold must be finite, maxGroundZ a number");
  Require(env, isSmallInt(pa[2], 0, 16) && isSmallInt(pa[3], 1, 16) && isSmallInt(pa[4], 1, 1e9),
          "groundRadius in [0, 16], linkRadius in [1, 16], minPoints >= 1 (integers)");
  ClusterParams prm;
  prm.fx = fields.Data()[0];
  prm.fy = fields.Data()[1];
  prm.fz = fields.Data()[2];
  prm.groundThreshold = pa[0];
  prm.maxGroundZ = pa[1];
  prm.groundRadius = static_cast<int32_t>(pa[2]);
  prm.linkRadius = static_cast<int32_t>(pa[3]);
  prm.minPoints = static_cast<int32_t>(pa[4]);
  Napi::Int32Array labels = I32(info, 5, "labels");
  Require(env, labels.ElementLength() >= count, "labels is shorter than the point count");
  const Backend backend = ParseBackend(env, info.Length() > 6 ? info[6] : env.Undefined());

  const float* data = points.Data();
  int32_t* labelData = labels.Data();
  auto records = std::make_shared<std::vector<double>>();
  Task task;
  task.work = [=]() -> std::string {
    const PoolAwake awake;  // the stages alternate parallel and serial phases
    auto lease = ProcessScratch<ClusterStage1>().Acquire();
    ClusterStage1& stage1 = *lease;
#ifdef PERCEPT_WITH_CUDA
    if (backend == Backend::kCuda) {
      const std::string failure = ClusterStage1Cuda(data, count, stride, g, prm, stage1);
      if (!failure.empty()) return failure;
    } else {
      ClusterStage1Cpu(data, count, stride, g, prm, stage1);
    }
#else
    (void)backend;
    ClusterStage1Cpu(data, count, stride, g, prm, stage1);
#endif
    ClusterStage2(data, count, stride, g, prm, stage1, labelData, *records);
    return {};
  };
  task.result = [records](Napi::Env env) {
    Napi::Float64Array out = Napi::Float64Array::New(env, records->size());
    if (!records->empty()) std::memcpy(out.Data(), records->data(), records->size() * sizeof(double));
    return static_cast<Napi::Value>(out);
  };
  task.keep.push_back(Keep(points));
  task.keep.push_back(Keep(labels));
  return task;
}

Napi::Value ClusterBev(const Napi::CallbackInfo& info) { return RunSync(info, ParseCluster); }
Napi::Value ClusterBevAsync(const Napi::CallbackInfo& info) { return RunAsync(info, ParseCluster); }

void InitCluster(Napi::Env env, Napi::Object exports) {
  exports.Set("clusterBev", Napi::Function::New(env, ClusterBev, "clusterBev"));
  exports.Set("clusterBevAsync", Napi::Function::New(env, ClusterBevAsync, "clusterBevAsync"));
}

static RegisterExports reg(&InitCluster);

}  // namespace
}  // namespace percept
