// CUDA backend of the project kernel. Plain C++ headers only (no napi.h): nvcc never sees N-API.
// Arithmetic is shared with the CPU backend (project_math.h) and rounds exactly like it.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "project.h"

namespace percept {
namespace {

constexpr int kBlockSize = 256;
constexpr std::size_t kMaxBlocks = 65535;  // grid-stride loops cover the rest

unsigned BlocksFor(std::size_t count) {
  return static_cast<unsigned>(
      std::max<std::size_t>(1, std::min(kMaxBlocks, (count + kBlockSize - 1) / kBlockSize)));
}

std::string CudaFailure(const char* what, cudaError_t err) {
  cudaGetLastError();  // clear the sticky-free error so the next call starts clean
  return std::string(what) + " failed: " + cudaGetErrorString(err) + " (code " +
         std::to_string(static_cast<int>(err)) + ")";
}

// Frees on every exit path, including the early returns after a failed CUDA call.
struct DeviceBuffer {
  void* ptr = nullptr;
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr != nullptr) cudaFree(ptr);
  }
  cudaError_t Allocate(std::size_t bytes) { return cudaMalloc(&ptr, bytes == 0 ? 1 : bytes); }
  template <typename T>
  T* As() const {
    return static_cast<T*>(ptr);
  }
};

template <bool Distort>
__global__ void ProjectKernel(const float* __restrict__ points, std::size_t count,
                              std::size_t stride, ProjectionCamera cam, double minDepth,
                              float* __restrict__ u, float* __restrict__ v,
                              float* __restrict__ depth, std::uint8_t* __restrict__ inImage) {
  const std::size_t step = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += step) {
    const float* p = points + i * stride;
    const Projected r = ProjectOne<Distort>(cam, p[0], p[1], p[2], minDepth);
    u[i] = r.u;
    v[i] = r.v;
    depth[i] = r.depth;
    inImage[i] = r.inImage ? 1 : 0;
  }
}

// Key = float bits of the depth (positive floats order like their bits) << 32 | point index:
// one atomicMin keeps the nearest point and, among equal depths, the lowest index — the same
// winner as the CPU's in-order strict-less scan, whatever order the threads run in.
template <bool Distort>
__global__ void DepthKeyKernel(const float* __restrict__ points, std::size_t count,
                               std::size_t stride, ProjectionCamera cam, double minDepth,
                               unsigned long long* __restrict__ keys) {
  const std::size_t step = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  const std::size_t width = static_cast<std::size_t>(cam.width);
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += step) {
    const float* p = points + i * stride;
    const Projected r = ProjectOne<Distort>(cam, p[0], p[1], p[2], minDepth);
    if (!r.inImage) continue;
    const std::size_t pixel = static_cast<std::size_t>(floorf(r.v)) * width +
                              static_cast<std::size_t>(floorf(r.u));
    const unsigned long long key =
        (static_cast<unsigned long long>(__float_as_uint(r.depth)) << 32) |
        static_cast<unsigned long long>(i);
    atomicMin(keys + pixel, key);
  }
}

__global__ void ResolveDepthKernel(const unsigned long long* __restrict__ keys, std::size_t pixels,
                                   float* __restrict__ image) {
  const std::size_t step = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < pixels;
       i += step) {
    const unsigned long long key = keys[i];
    image[i] = key == ~0ull ? __int_as_float(0x7f800000)
                            : __uint_as_float(static_cast<unsigned>(key >> 32));
  }
}

std::string UploadPoints(const float* points, std::size_t count, std::size_t stride,
                         DeviceBuffer& device) {
  const std::size_t bytes = count * stride * sizeof(float);
  cudaError_t err = device.Allocate(bytes);
  if (err != cudaSuccess) return CudaFailure("cudaMalloc (points)", err);
  if (bytes == 0) return {};
  err = cudaMemcpy(device.ptr, points, bytes, cudaMemcpyHostToDevice);
  if (err != cudaSuccess) return CudaFailure("cudaMemcpy (points to device)", err);
  return {};
}

}  // namespace

std::string ProjectPointsCuda(const float* points, std::size_t count, std::size_t stride,
                              const ProjectionCamera* cameras, std::size_t cameraCount,
                              double minDepth, const ProjectOutputs& out) {
  if (count == 0 || cameraCount == 0) return {};
  DeviceBuffer dPoints, dU, dV, dDepth, dIn;
  std::string failure = UploadPoints(points, count, stride, dPoints);
  if (!failure.empty()) return failure;
  const std::size_t total = count * cameraCount;
  cudaError_t err;
  if ((err = dU.Allocate(total * sizeof(float))) != cudaSuccess ||
      (err = dV.Allocate(total * sizeof(float))) != cudaSuccess ||
      (err = dDepth.Allocate(total * sizeof(float))) != cudaSuccess ||
      (err = dIn.Allocate(total)) != cudaSuccess) {
    return CudaFailure("cudaMalloc (outputs)", err);
  }
  for (std::size_t c = 0; c < cameraCount; ++c) {
    const std::size_t base = c * count;
    auto kernel = cameras[c].distorted ? ProjectKernel<true> : ProjectKernel<false>;
    kernel<<<BlocksFor(count), kBlockSize>>>(dPoints.As<float>(), count, stride, cameras[c],
                                             minDepth, dU.As<float>() + base,
                                             dV.As<float>() + base, dDepth.As<float>() + base,
                                             dIn.As<std::uint8_t>() + base);
    if ((err = cudaGetLastError()) != cudaSuccess) return CudaFailure("project kernel launch", err);
  }
  // Blocking copies on the default stream wait for the kernels and report their faults.
  if ((err = cudaMemcpy(out.u, dU.ptr, total * sizeof(float), cudaMemcpyDeviceToHost)) !=
          cudaSuccess ||
      (err = cudaMemcpy(out.v, dV.ptr, total * sizeof(float), cudaMemcpyDeviceToHost)) !=
          cudaSuccess ||
      (err = cudaMemcpy(out.depth, dDepth.ptr, total * sizeof(float), cudaMemcpyDeviceToHost)) !=
          cudaSuccess ||
      (err = cudaMemcpy(out.inImage, dIn.ptr, total, cudaMemcpyDeviceToHost)) != cudaSuccess) {
    return CudaFailure("cudaMemcpy (outputs to host)", err);
  }
  return {};
}

std::string DepthImageCuda(const float* points, std::size_t count, std::size_t stride,
                           const ProjectionCamera& camera, double minDepth, float* image) {
  if (count > 0xffffffffull) return "depthImage on CUDA supports at most 2^32 - 1 points";
  const std::size_t pixels =
      static_cast<std::size_t>(camera.width) * static_cast<std::size_t>(camera.height);
  if (pixels == 0) return {};
  DeviceBuffer dPoints, dKeys, dImage;
  std::string failure = UploadPoints(points, count, stride, dPoints);
  if (!failure.empty()) return failure;
  cudaError_t err;
  if ((err = dKeys.Allocate(pixels * sizeof(unsigned long long))) != cudaSuccess ||
      (err = dImage.Allocate(pixels * sizeof(float))) != cudaSuccess) {
    return CudaFailure("cudaMalloc (z-buffer)", err);
  }
  if ((err = cudaMemset(dKeys.ptr, 0xff, pixels * sizeof(unsigned long long))) != cudaSuccess) {
    return CudaFailure("cudaMemset (z-buffer)", err);
  }
  if (count > 0) {
    auto kernel = camera.distorted ? DepthKeyKernel<true> : DepthKeyKernel<false>;
    kernel<<<BlocksFor(count), kBlockSize>>>(dPoints.As<float>(), count, stride, camera, minDepth,
                                             dKeys.As<unsigned long long>());
    if ((err = cudaGetLastError()) != cudaSuccess) return CudaFailure("depth kernel launch", err);
  }
  ResolveDepthKernel<<<BlocksFor(pixels), kBlockSize>>>(dKeys.As<unsigned long long>(), pixels,
                                                        dImage.As<float>());
  if ((err = cudaGetLastError()) != cudaSuccess) return CudaFailure("resolve kernel launch", err);
  if ((err = cudaMemcpy(image, dImage.ptr, pixels * sizeof(float), cudaMemcpyDeviceToHost)) !=
      cudaSuccess) {
    return CudaFailure("cudaMemcpy (depth image to host)", err);
  }
  return {};
}

}  // namespace percept
