// Plain C++ interface of ground removal + BEV connected-component clustering. The work is split
// in two stages so that CUDA only has to reproduce the grid part:
//   stage 1 (CPU or CUDA): per-point cell and ground flag, per-cell component root, where the root
//            is the smallest cell index of its component — a canonical answer, whatever the
//            order in which union-find merged cells;
//   stage 2 (CPU, shared): cluster numbering by root, point labels, statistics, oriented boxes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "bev_common.h"

namespace percept {

struct ClusterParams {
  int32_t fx = 0, fy = 1, fz = 2;
  double groundThreshold = 0.2;       // metres above the cell's ground reference
  double maxGroundZ = 1e300;          // cells whose reference is higher have no ground
  int32_t groundRadius = 1;           // reference = min over (2r+1)^2 cells of the lowest z
  int32_t linkRadius = 1;             // cells within this Chebyshev distance connect (1 = 8-neighbour)
  int32_t minPoints = 1;              // smaller components become noise (-2)
};

constexpr int32_t kLabelGround = -1;
constexpr int32_t kLabelNoise = -2;
constexpr int32_t kLabelOutside = -3;  // outside the grid or a non-finite coordinate

// id, count, centroid x y z, minZ, maxZ, box cx cy length width yaw
constexpr int kClusterRecord = 12;

struct ClusterStage1 {
  std::vector<int32_t> cellOf;   // per point, -1 outside
  std::vector<uint8_t> ground;   // per point
  std::vector<int32_t> root;     // per cell, -1 when no non-ground point
};

void ClusterStage1Cpu(const float* points, std::size_t count, std::size_t stride, const BevGrid& grid,
                      const ClusterParams& params, ClusterStage1& out);
#ifdef PERCEPT_WITH_CUDA
std::string ClusterStage1Cuda(const float* points, std::size_t count, std::size_t stride, const BevGrid& grid,
                              const ClusterParams& params, ClusterStage1& out);
#endif

// labels: count ints; records: kClusterRecord doubles per cluster, in id order.
void ClusterStage2(const float* points, std::size_t count, std::size_t stride, const BevGrid& grid,
                   const ClusterParams& params, const ClusterStage1& stage1, int32_t* labels,
                   std::vector<double>& records);

}  // namespace percept
