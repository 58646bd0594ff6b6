// CUDA backend of the paint kernel: one thread per point, the per-point rule shared with the CPU
// (PaintPoint in paint.h). Plain C++ headers only: nvcc never sees N-API.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "paint.h"

namespace percept {
namespace {

constexpr int kBlockSize = 256;
constexpr std::size_t kMaxBlocks = 65535;

std::string CudaFailure(const char* what, cudaError_t err) {
  cudaGetLastError();
  return std::string(what) + " failed: " + cudaGetErrorString(err) + " (code " +
         std::to_string(static_cast<int>(err)) + ")";
}

// Owns every device allocation of one call; freed on all exit paths.
class DeviceArena {
 public:
  DeviceArena() = default;
  DeviceArena(const DeviceArena&) = delete;
  DeviceArena& operator=(const DeviceArena&) = delete;
  ~DeviceArena() {
    for (void* p : blocks_) cudaFree(p);
  }
  // Allocates and (when `host` is set) uploads; empty string on success.
  std::string Put(const void* host, std::size_t bytes, void** device, const char* what) {
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, bytes == 0 ? 1 : bytes);
    if (err != cudaSuccess) return CudaFailure((std::string("cudaMalloc (") + what + ")").c_str(), err);
    blocks_.push_back(p);
    if (host != nullptr && bytes > 0) {
      err = cudaMemcpy(p, host, bytes, cudaMemcpyHostToDevice);
      if (err != cudaSuccess) return CudaFailure((std::string("cudaMemcpy (") + what + ")").c_str(), err);
    }
    *device = p;
    return {};
  }

 private:
  std::vector<void*> blocks_;
};

__global__ void PaintKernel(const float* __restrict__ points, std::size_t count, std::size_t stride,
                            const ProjectionCamera* __restrict__ cameras,
                            const PaintSource* __restrict__ sources, std::size_t cameraCount,
                            std::size_t classes, double minDepth, float* __restrict__ scores,
                            std::int32_t* __restrict__ cameraOut) {
  const std::size_t step = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += step) {
    PaintPoint(i, points, stride, cameras, sources, cameraCount, classes, minDepth, scores,
               cameraOut);
  }
}

}  // namespace

std::string PaintPointsCuda(const float* points, std::size_t count, std::size_t stride,
                            const ProjectionCamera* cameras, const PaintSource* sources,
                            std::size_t cameraCount, std::size_t classes, double minDepth,
                            float* scores, std::int32_t* cameraOut) {
  if (count == 0) return {};
  DeviceArena arena;
  std::string failure;
  void* dPoints = nullptr;
  void* dCameras = nullptr;
  void* dSources = nullptr;
  void* dScores = nullptr;
  void* dCamera = nullptr;
  if (!(failure = arena.Put(points, count * stride * sizeof(float), &dPoints, "points")).empty()) return failure;
  if (!(failure = arena.Put(cameras, cameraCount * sizeof(ProjectionCamera), &dCameras, "cameras")).empty()) return failure;
  // The sources' pointers are host pointers; the device copy points at uploaded copies.
  std::vector<PaintSource> device(sources, sources + cameraCount);
  for (PaintSource& s : device) {
    void* p = nullptr;
    if (s.kind == PaintSourceKind::kMap) {
      const std::size_t floats = s.mapWidth * s.mapHeight * s.cellStride;
      if (!(failure = arena.Put(s.map, floats * sizeof(float), &p, "score map")).empty()) return failure;
      s.map = static_cast<const float*>(p);
    } else {
      if (!(failure = arena.Put(s.boxes, s.boxCount * 4 * sizeof(float), &p, "boxes")).empty()) return failure;
      s.boxes = static_cast<const float*>(p);
      if (!(failure = arena.Put(s.boxScores, s.boxCount * classes * sizeof(float), &p, "box scores")).empty()) return failure;
      s.boxScores = static_cast<const float*>(p);
      if (!(failure = arena.Put(s.boxMax, s.boxCount * sizeof(float), &p, "box maxima")).empty()) return failure;
      s.boxMax = static_cast<const float*>(p);
    }
  }
  if (!(failure = arena.Put(device.data(), cameraCount * sizeof(PaintSource), &dSources, "sources")).empty()) return failure;
  if (!(failure = arena.Put(nullptr, count * classes * sizeof(float), &dScores, "scores")).empty()) return failure;
  if (!(failure = arena.Put(nullptr, count * sizeof(std::int32_t), &dCamera, "camera index")).empty()) return failure;
  const unsigned blocks = static_cast<unsigned>(
      std::max<std::size_t>(1, std::min(kMaxBlocks, (count + kBlockSize - 1) / kBlockSize)));
  PaintKernel<<<blocks, kBlockSize>>>(
      static_cast<const float*>(dPoints), count, stride, static_cast<const ProjectionCamera*>(dCameras),
      static_cast<const PaintSource*>(dSources), cameraCount, classes, minDepth,
      static_cast<float*>(dScores), static_cast<std::int32_t*>(dCamera));
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return CudaFailure("paint kernel launch", err);
  if ((err = cudaMemcpy(scores, dScores, count * classes * sizeof(float), cudaMemcpyDeviceToHost)) != cudaSuccess ||
      (err = cudaMemcpy(cameraOut, dCamera, count * sizeof(std::int32_t), cudaMemcpyDeviceToHost)) != cudaSuccess) {
    return CudaFailure("cudaMemcpy (paint outputs to host)", err);
  }
  return {};
}

}  // namespace percept
