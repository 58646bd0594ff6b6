// Plain C++ interface between the N-API layer (addon.cc) and the compute backends.
// Kept free of napi.h so backend_cuda.cu can include it without nvcc ever seeing N-API headers.
#pragma once

#include <cstddef>
#include <string>

namespace percept {

// A rigid transform only needs the top 3 rows of the row-major 4x4 matrix.
struct Affine34 {
  double m[12];
};

// Reads x,y,z of each point, writes the transformed x,y,z, and copies floats 3..stride-1.
// `in` and `out` may be the same buffer (in-place); partially overlapping buffers are not allowed.
void TransformPointsCpu(const float* in, float* out, std::size_t count, std::size_t stride,
                        const Affine34& transform);

// Threads the CPU backend may use for one call, the caller included: the machine's hardware
// threads, or fewer when the environment variable PERCEPT_CPU_THREADS (read once) says so, e.g.
// PERCEPT_CPU_THREADS=1 on a machine whose other cores are busy with other work.
unsigned CpuThreadCount();

struct CudaProbe {
  bool available = false;
  int deviceCount = 0;
  std::string reason;
  std::string deviceName;
};

#ifdef PERCEPT_WITH_CUDA
// Probed once per process: the answer cannot change without a driver reload, and the
// first CUDA call is slow (context creation), which should not be paid per backendInfo().
const CudaProbe& ProbeCuda();

// Returns an empty string on success, otherwise a message naming the failing CUDA call.
std::string TransformPointsCuda(const float* in, float* out, std::size_t count, std::size_t stride,
                                const Affine34& transform);
#endif

}  // namespace percept
