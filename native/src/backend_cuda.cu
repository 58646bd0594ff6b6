#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "backends.h"

namespace percept {
namespace {

constexpr int kBlockSize = 256;
// Grid-stride loop covers the rest; a bounded grid keeps launch cost flat for huge inputs.
constexpr std::size_t kMaxBlocks = 65535;

// Operates in place on the device copy: the non-xyz floats are already where they belong,
// so one device buffer is enough.
__global__ void TransformPointsKernel(float* __restrict__ points, std::size_t count,
                                      std::size_t stride, Affine34 t) {
  const std::size_t step = static_cast<std::size_t>(blockDim.x) * gridDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += step) {
    float* p = points + i * stride;
    const double x = p[0], y = p[1], z = p[2];
    p[0] = static_cast<float>(t.m[0] * x + t.m[1] * y + t.m[2] * z + t.m[3]);
    p[1] = static_cast<float>(t.m[4] * x + t.m[5] * y + t.m[6] * z + t.m[7]);
    p[2] = static_cast<float>(t.m[8] * x + t.m[9] * y + t.m[10] * z + t.m[11]);
  }
}

std::string CudaFailure(const char* what, cudaError_t err) {
  return std::string(what) + " failed: " + cudaGetErrorString(err) + " (code " +
         std::to_string(static_cast<int>(err)) + ")";
}

CudaProbe RunProbe() {
  CudaProbe probe;
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    // With static cudart this is how a machine without a driver or GPU shows up (35 / 100).
    probe.reason = CudaFailure("cudaGetDeviceCount", err);
    cudaGetLastError();
    return probe;
  }
  probe.deviceCount = count;
  if (count == 0) {
    probe.reason = "no CUDA device found";
    return probe;
  }
  cudaDeviceProp prop{};
  err = cudaGetDeviceProperties(&prop, 0);
  if (err != cudaSuccess) {
    probe.reason = CudaFailure("cudaGetDeviceProperties", err);
    cudaGetLastError();
    return probe;
  }
  probe.deviceName = prop.name;
  // A GPU older than the compiled targets (sm_90 + compute_90 PTX) has a driver and a device
  // but cannot run our kernels; asking for the kernel's attributes surfaces exactly that.
  cudaFuncAttributes attrs{};
  err = cudaFuncGetAttributes(&attrs, TransformPointsKernel);
  if (err != cudaSuccess) {
    probe.reason = CudaFailure("cudaFuncGetAttributes", err) + "; " + prop.name +
                   " has compute capability " + std::to_string(prop.major) + "." +
                   std::to_string(prop.minor) + ", this build targets 9.0 and newer";
    cudaGetLastError();
    return probe;
  }
  probe.available = true;
  probe.reason = "ok";
  return probe;
}

}  // namespace

const CudaProbe& ProbeCuda() {
  static const CudaProbe probe = RunProbe();  // thread-safe one-time init (C++11 statics)
  return probe;
}

std::string TransformPointsCuda(const float* in, float* out, std::size_t count, std::size_t stride,
                                const Affine34& transform) {
  if (count == 0) return {};
  const std::size_t bytes = count * stride * sizeof(float);
  float* device = nullptr;
  cudaError_t err = cudaMalloc(&device, bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return CudaFailure("cudaMalloc", err);
  }
  std::string failure;
  err = cudaMemcpy(device, in, bytes, cudaMemcpyHostToDevice);
  if (err != cudaSuccess) {
    failure = CudaFailure("cudaMemcpy (host to device)", err);
  } else {
    const std::size_t blocks =
        std::min(kMaxBlocks, (count + kBlockSize - 1) / static_cast<std::size_t>(kBlockSize));
    TransformPointsKernel<<<static_cast<unsigned>(blocks), kBlockSize>>>(device, count, stride,
                                                                          transform);
    err = cudaGetLastError();
    if (err != cudaSuccess) {
      failure = CudaFailure("kernel launch", err);
    } else {
      // Blocking copy on the default stream also waits for the kernel and reports its faults.
      err = cudaMemcpy(out, device, bytes, cudaMemcpyDeviceToHost);
      if (err != cudaSuccess) failure = CudaFailure("cudaMemcpy (device to host)", err);
    }
  }
  cudaFree(device);
  if (!failure.empty()) cudaGetLastError();
  return failure;
}

}  // namespace percept
