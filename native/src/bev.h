// Plain C++ interface of the BEV kernels (LiDAR and radar rasterization, PointPillars builder and
// scatter) between bev_binding.cc and the CPU / CUDA implementations. No napi.h here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bev_common.h"

namespace percept {

// Float index of each field inside one point of `stride` floats; -1 means "absent".
struct BevFields {
  int32_t x = 0, y = 1, z = 2, intensity = 3;
};

struct RadarFields {
  int32_t x = 0, y = 1;
  int32_t velocity = -1;   // radial velocity, used when >= 0
  int32_t vx = -1, vy = -1;  // otherwise radial = (vx, vy) · (x, y) / |(x, y)|
  int32_t rcs = -1;          // absent: the max-RCS channel stays 0
};

constexpr int kBevChannels = 4;    // maxZ, minZ, meanIntensity, count
constexpr int kRadarChannels = 3;  // meanRadialVelocity, maxRcs, count
constexpr int kPillarFeatures = 9; // x y z i, x-xm y-ym z-zm, x-xc y-yc

// out: kBevChannels * grid.cells() floats, channels-first; empty cells are 0 in every channel.
void RasterizeBevCpu(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                     const BevGrid& grid, float* out);
// out: kRadarChannels * grid.cells() floats, channels-first; empty cells are 0.
void RasterizeRadarCpu(const float* targets, std::size_t count, std::size_t stride, const RadarFields& f,
                       const BevGrid& grid, float* out);

struct PillarBuffers {
  float* features = nullptr;       // maxPillars * maxPoints * kPillarFeatures, zero padded
  int32_t* coords = nullptr;       // maxPillars * 2 (row, col); -1 for unused pillars
  int32_t* pointCounts = nullptr;  // maxPillars
  int32_t maxPillars = 0, maxPoints = 0;
};

// Pillars in order of their first point (by index); each keeps its first maxPoints points by
// index. Returns the number of pillars filled.
int32_t BuildPillarsCpu(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                        const BevGrid& grid, const PillarBuffers& out);

// canvas: channels * height * width floats, zeroed then filled; pillars whose (row, col) lies
// outside the canvas are skipped; when two pillars share a cell the higher pillar index wins.
void ScatterPillarsCpu(const float* features, std::size_t pillars, std::size_t channels, const int32_t* coords,
                       int32_t height, int32_t width, float* canvas);

#ifdef PERCEPT_WITH_CUDA
// CUDA twins: same contracts, bit-identical outputs; empty string on success.
std::string RasterizeBevCuda(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                             const BevGrid& grid, float* out);
std::string RasterizeRadarCuda(const float* targets, std::size_t count, std::size_t stride,
                               const RadarFields& f, const BevGrid& grid, float* out);
std::string BuildPillarsCuda(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                             const BevGrid& grid, const PillarBuffers& out, int32_t* pillarCount);
std::string ScatterPillarsCuda(const float* features, std::size_t pillars, std::size_t channels,
                               const int32_t* coords, int32_t height, int32_t width, float* canvas);
#endif

}  // namespace percept
