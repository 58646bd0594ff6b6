// Plain C++ interface of ground removal + BEV connected-component clustering. The work is split
// in two stages so that CUDA only has to reproduce the grid part:
//   stage 1 (CPU or CUDA): per point, ground or not and, for the others, the root of the
//            component of cells it belongs to, where the root is the smallest cell index of the
//            component — a canonical answer, whatever the order in which union-find merged cells;
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

// Per group, over its points in index order: the sums of x, y and z in double, the extremes of
// z and the number of points.
struct GroupStats {
  double sx, sy, sz;
  float minZ, maxZ;
  int32_t count;
};

struct ClusterStage1 {
  // Per point: its component's group (>= 0) for a non-ground point inside the grid, otherwise
  // its label: kLabelGround, or kLabelOutside (outside the grid or not finite).
  std::vector<int32_t> group;
  // Per group: its component's root, the smallest cell index in it, which orders cluster ids.
  // No two groups share a root; a group may have no points.
  std::vector<int32_t> groupRoot;
  // Optional, filled by a backend that gets them in passing (stage 2 computes them otherwise):
  // per group its statistics, and per non-ground point its rank among its group's points
  // (0, 1, ... in index order). statsValid says whether they belong to this call.
  std::vector<GroupStats> stats;
  std::vector<int32_t> rank;
  bool statsValid = false;
  void Trim();  // for reuse through ScratchPool (scratch.h)
};

void ClusterStage1Cpu(const float* points, std::size_t count, std::size_t stride, const BevGrid& grid,
                      const ClusterParams& params, ClusterStage1& out);
#ifdef PERCEPT_WITH_CUDA
std::string ClusterStage1Cuda(const float* points, std::size_t count, std::size_t stride, const BevGrid& grid,
                              const ClusterParams& params, ClusterStage1& out);
#endif

// Turns stage1.group from per-point roots (cell indexes < cells, or a label) into groups, filling
// groupRoot (and leaving the optional statistics to stage 2): for a backend that finds roots per
// cell.
void GroupsFromRoots(std::size_t cells, ClusterStage1& stage1);

// labels: count ints; records: kClusterRecord doubles per cluster, in id order.
void ClusterStage2(const float* points, std::size_t count, std::size_t stride, const BevGrid& grid,
                   const ClusterParams& params, const ClusterStage1& stage1, int32_t* labels,
                   std::vector<double>& records);

}  // namespace percept
