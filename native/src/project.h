// Plain C++ interface of the project kernel (LiDAR points into pinhole cameras, z-buffer),
// between its N-API binding (project_binding.cc) and its backends (project_cpu.cc, project_cuda.cu).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "project_math.h"

namespace percept {

struct ProjectOutputs {
  float* u;
  float* v;
  float* depth;
  std::uint8_t* inImage;
};

// Points are `count` records of `stride` floats (x, y, z first). Outputs are camera-major:
// camera c, point i at c * count + i; each output holds cameraCount * count elements.
void ProjectPointsCpu(const float* points, std::size_t count, std::size_t stride,
                      const ProjectionCamera* cameras, std::size_t cameraCount, double minDepth,
                      const ProjectOutputs& out);

// Z-buffer of one camera into `image` (width * height floats): nearest depth per pixel, +Inf where
// no point lands; equal depths keep the lower point index. Throws std::bad_alloc / system_error.
void DepthImageCpu(const float* points, std::size_t count, std::size_t stride,
                   const ProjectionCamera& camera, double minDepth, float* image);

#ifdef PERCEPT_WITH_CUDA
// Empty string on success, otherwise a message naming the failing CUDA call.
std::string ProjectPointsCuda(const float* points, std::size_t count, std::size_t stride,
                              const ProjectionCamera* cameras, std::size_t cameraCount,
                              double minDepth, const ProjectOutputs& out);
// Requires count < 2^32 (the point index is the low half of a 64-bit atomicMin key).
std::string DepthImageCuda(const float* points, std::size_t count, std::size_t stride,
                           const ProjectionCamera& camera, double minDepth, float* image);
#endif

}  // namespace percept
