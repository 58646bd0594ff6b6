// CUDA association kernel: one thread per (camera, cluster) rectangle, then one per IoU entry.
// ProjectBox/RectIou are the very functions the CPU runs (associate.h), with correctly rounded
// intrinsics on the device, so results are bit-identical.
#include <cuda_runtime.h>

#include <string>

#include "associate.h"
#include "bev_cuda_util.h"

namespace percept {
namespace {

__global__ void RectsKernel(const double* corners, std::size_t clusters, const double* cameras, std::size_t pairs,
                            double nearZ, double* rects) {
  for (std::size_t t = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; t < pairs;
       t += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const std::size_t cam = t / clusters, k = t % clusters;
    const Rect r = ProjectBox(corners + 24 * k, cameras + kCameraRecord * cam, nearZ);
    const double nan = __longlong_as_double(0x7ff8000000000000LL);
    rects[4 * t] = r.valid ? r.x1 : nan;
    rects[4 * t + 1] = r.valid ? r.y1 : nan;
    rects[4 * t + 2] = r.valid ? r.x2 : nan;
    rects[4 * t + 3] = r.valid ? r.y2 : nan;
  }
}

__global__ void IouKernel(const double* rects, std::size_t clusters, const double* boxes, const int32_t* boxCamera,
                          std::size_t boxCount, double* iou) {
  const std::size_t total = clusters * boxCount;
  for (std::size_t t = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const std::size_t k = t / boxCount, j = t % boxCount;
    const double* rr = rects + 4 * (static_cast<std::size_t>(boxCamera[j]) * clusters + k);
    const Rect r{rr[0], rr[1], rr[2], rr[3], !isnan(rr[0])};
    iou[t] = RectIou(r, boxes + 4 * j);
  }
}

}  // namespace

std::string AssociateCuda(const AssociateInput& in, double* rects, double* iou) {
  const std::size_t pairs = in.cameraCount * in.clusters;
  const std::size_t cells = in.clusters * in.boxCount;
  DeviceArray<double> corners, cameras, boxes, dRects, dIou;
  DeviceArray<int32_t> boxCamera;
  PERCEPT_CUDA_TRY(corners.Allocate(24 * in.clusters), "cudaMalloc (corners)");
  PERCEPT_CUDA_TRY(cameras.Allocate(kCameraRecord * in.cameraCount), "cudaMalloc (cameras)");
  PERCEPT_CUDA_TRY(boxes.Allocate(4 * in.boxCount), "cudaMalloc (boxes)");
  PERCEPT_CUDA_TRY(boxCamera.Allocate(in.boxCount), "cudaMalloc (box cameras)");
  PERCEPT_CUDA_TRY(dRects.Allocate(4 * pairs), "cudaMalloc (rects)");
  PERCEPT_CUDA_TRY(dIou.Allocate(cells), "cudaMalloc (iou)");
  if (pairs == 0) return {};
  PERCEPT_CUDA_TRY(cudaMemcpy(corners.ptr, in.corners, 24 * in.clusters * sizeof(double), cudaMemcpyHostToDevice),
                   "cudaMemcpy (corners)");
  PERCEPT_CUDA_TRY(cudaMemcpy(cameras.ptr, in.cameras, kCameraRecord * in.cameraCount * sizeof(double),
                              cudaMemcpyHostToDevice),
                   "cudaMemcpy (cameras)");
  RectsKernel<<<CudaBlocks(pairs), kCudaBlock>>>(corners.ptr, in.clusters, cameras.ptr, pairs, in.nearZ, dRects.ptr);
  PERCEPT_CUDA_TRY(cudaGetLastError(), "rects kernel launch");
  if (cells > 0) {
    PERCEPT_CUDA_TRY(cudaMemcpy(boxes.ptr, in.boxes, 4 * in.boxCount * sizeof(double), cudaMemcpyHostToDevice),
                     "cudaMemcpy (boxes)");
    PERCEPT_CUDA_TRY(cudaMemcpy(boxCamera.ptr, in.boxCamera, in.boxCount * sizeof(int32_t), cudaMemcpyHostToDevice),
                     "cudaMemcpy (box cameras)");
    IouKernel<<<CudaBlocks(cells), kCudaBlock>>>(dRects.ptr, in.clusters, boxes.ptr, boxCamera.ptr, in.boxCount, dIou.ptr);
    PERCEPT_CUDA_TRY(cudaGetLastError(), "iou kernel launch");
    PERCEPT_CUDA_TRY(cudaMemcpy(iou, dIou.ptr, cells * sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy (iou)");
  }
  PERCEPT_CUDA_TRY(cudaMemcpy(rects, dRects.ptr, 4 * pairs * sizeof(double), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (rects)");
  return {};
}

}  // namespace percept
