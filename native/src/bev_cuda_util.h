// Small CUDA helpers shared by the BEV and clustering .cu files: an owning device buffer and
// error strings that name the failing call. Plain C++ plus the CUDA runtime; never napi.h.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>

namespace percept {

inline std::string CudaError(const char* what, cudaError_t err) {
  cudaGetLastError();  // clear the sticky-free error so the next call starts clean
  return std::string(what) + " failed: " + cudaGetErrorString(err) + " (code " +
         std::to_string(static_cast<int>(err)) + ")";
}

template <typename T>
struct DeviceArray {
  T* ptr = nullptr;
  DeviceArray() = default;
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() {
    if (ptr) cudaFree(ptr);
  }
  // Never allocates 0 bytes, so empty inputs still get a valid (unused) pointer.
  cudaError_t Allocate(std::size_t count) { return cudaMalloc(&ptr, (count ? count : 1) * sizeof(T)); }
};

constexpr int kCudaBlock = 256;

inline unsigned CudaBlocks(std::size_t n) {
  const std::size_t blocks = (n + kCudaBlock - 1) / kCudaBlock;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65535 ? 65535 : blocks));
}

// Bits needed to radix-sort keys in [0, maxKey].
inline int KeyBits(std::size_t maxKey) {
  int bits = 1;
  while (bits < 32 && (static_cast<std::size_t>(1) << bits) <= maxKey) ++bits;
  return bits;
}

}  // namespace percept

// Returns a failure string from the enclosing function when a CUDA call fails.
#define PERCEPT_CUDA_TRY(call, what)                           \
  do {                                                         \
    const cudaError_t percept_err_ = (call);                   \
    if (percept_err_ != cudaSuccess) return ::percept::CudaError(what, percept_err_); \
  } while (0)
