// CUDA stage 1 of clustering (see cluster.h): cells, lowest z per cell by an order-preserving
// float→int atomicMin (exact, so order-free), ground flags, and union-find over occupied cells
// with atomicCAS that always hooks the larger root under the smaller one. Roots are therefore
// the minimum cell index of each component: the same canonical answer the CPU computes, so
// stage 2 (on the host, shared with the CPU) produces identical ids, labels and statistics.
// Only the per-point roots come back to the host, never the per-cell arrays.
#include <cuda_runtime.h>

#include <climits>
#include <string>

#include "bev_cuda_util.h"
#include "cluster.h"

namespace percept {
namespace {

// Monotone map from float to int: comparing keys compares the floats (finite values only).
__device__ int32_t OrderedKey(float v) {
  const int32_t bits = __float_as_int(v);
  return bits >= 0 ? bits : bits ^ 0x7fffffff;
}
__device__ float FromOrderedKey(int32_t key) { return __int_as_float(key >= 0 ? key : key ^ 0x7fffffff); }

__global__ void FillKernel(int32_t* a, std::size_t n, int32_t value) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    a[i] = value;
  }
}

__global__ void CellsKernel(const float* __restrict__ pts, std::size_t n, std::size_t stride, BevGrid g,
                            ClusterParams prm, int32_t* cellOf, int32_t* lowestKey) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const float* p = pts + i * stride;
    const int32_t c = IsFinite(p[prm.fz]) ? CellOf(p[prm.fx], p[prm.fy], g.xMin, g.yMin, g.resolution, g.width, g.height) : -1;
    cellOf[i] = c;
    if (c >= 0) atomicMin(lowestKey + c, OrderedKey(p[prm.fz]));
  }
}

__global__ void GroundKernel(const float* __restrict__ pts, std::size_t n, std::size_t stride, BevGrid g,
                             ClusterParams prm, const int32_t* cellOf, const int32_t* lowestKey, uint8_t* ground,
                             int32_t* parent) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const int32_t c = cellOf[i];
    ground[i] = 0;
    if (c < 0) continue;
    const int32_t row = c / g.width, col = c % g.width;
    int32_t refKey = lowestKey[c];
    for (int32_t r = max(0, row - prm.groundRadius); r <= min(g.height - 1, row + prm.groundRadius); ++r) {
      for (int32_t k = max(0, col - prm.groundRadius); k <= min(g.width - 1, col + prm.groundRadius); ++k) {
        refKey = min(refKey, lowestKey[r * g.width + k]);  // empty cells hold INT_MAX
      }
    }
    const double ref = FromOrderedKey(refKey);
    const double z = pts[i * stride + prm.fz];
    if (ref <= prm.maxGroundZ && z - ref <= prm.groundThreshold) {
      ground[i] = 1;
    } else {
      parent[c] = c;  // every writer stores the same value
    }
  }
}

__device__ int32_t FindRoot(const volatile int32_t* parent, int32_t x) {
  for (int32_t p = parent[x]; p != x; p = parent[x]) x = p;
  return x;
}

__global__ void LinkKernel(BevGrid g, int32_t linkRadius, int32_t* parent) {
  const std::size_t cells = g.cells();
  for (std::size_t t = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; t < cells;
       t += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const int32_t c = static_cast<int32_t>(t);
    if (parent[c] < 0) continue;
    const int32_t row = c / g.width, col = c % g.width;
    for (int32_t r = row; r <= min(g.height - 1, row + linkRadius); ++r) {
      for (int32_t k = max(0, col - linkRadius); k <= min(g.width - 1, col + linkRadius); ++k) {
        const int32_t d = r * g.width + k;
        if (d <= c || parent[d] < 0) continue;
        int32_t a = c, b = d;
        while (true) {
          a = FindRoot(parent, a);
          b = FindRoot(parent, b);
          if (a == b) break;
          if (a < b) {
            const int32_t s = a;
            a = b;
            b = s;
          }
          // Hook the larger root under the smaller; retry if another thread moved it first.
          if (atomicCAS(parent + a, a, b) == a) break;
        }
      }
    }
  }
}

// Per point: the root of its cell's component, or its label when ground or outside the grid.
__global__ void RootOfKernel(std::size_t n, const int32_t* cellOf, const uint8_t* ground, const int32_t* parent,
                             int32_t* rootOf) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const int32_t c = cellOf[i];
    rootOf[i] = c < 0 ? kLabelOutside : ground[i] ? kLabelGround : FindRoot(parent, c);
  }
}

}  // namespace

std::string ClusterStage1Cuda(const float* points, std::size_t count, std::size_t stride, const BevGrid& g,
                              const ClusterParams& prm, ClusterStage1& out) {
  const std::size_t cells = g.cells();
  out.group.resize(count);
  out.groupRoot.clear();
  out.statsValid = false;
  DeviceArray<float> pts;
  DeviceArray<int32_t> cellOf, lowest, parent, rootOf;
  DeviceArray<uint8_t> ground;
  PERCEPT_CUDA_TRY(pts.Allocate(count * stride), "cudaMalloc (points)");
  PERCEPT_CUDA_TRY(cellOf.Allocate(count), "cudaMalloc (cells)");
  PERCEPT_CUDA_TRY(ground.Allocate(count), "cudaMalloc (ground)");
  PERCEPT_CUDA_TRY(rootOf.Allocate(count), "cudaMalloc (roots)");
  PERCEPT_CUDA_TRY(lowest.Allocate(cells), "cudaMalloc (lowest z)");
  PERCEPT_CUDA_TRY(parent.Allocate(cells), "cudaMalloc (parents)");
  FillKernel<<<CudaBlocks(cells), kCudaBlock>>>(lowest.ptr, cells, INT_MAX);
  PERCEPT_CUDA_TRY(cudaGetLastError(), "fill kernel launch");
  PERCEPT_CUDA_TRY(cudaMemset(parent.ptr, 0xff, cells * sizeof(int32_t)), "cudaMemset (parents)");
  if (count == 0) return {};
  PERCEPT_CUDA_TRY(cudaMemcpy(pts.ptr, points, count * stride * sizeof(float), cudaMemcpyHostToDevice),
                   "cudaMemcpy (points to device)");
  CellsKernel<<<CudaBlocks(count), kCudaBlock>>>(pts.ptr, count, stride, g, prm, cellOf.ptr, lowest.ptr);
  PERCEPT_CUDA_TRY(cudaGetLastError(), "cell kernel launch");
  GroundKernel<<<CudaBlocks(count), kCudaBlock>>>(pts.ptr, count, stride, g, prm, cellOf.ptr, lowest.ptr, ground.ptr,
                                                  parent.ptr);
  PERCEPT_CUDA_TRY(cudaGetLastError(), "ground kernel launch");
  LinkKernel<<<CudaBlocks(cells), kCudaBlock>>>(g, prm.linkRadius, parent.ptr);
  PERCEPT_CUDA_TRY(cudaGetLastError(), "link kernel launch");
  RootOfKernel<<<CudaBlocks(count), kCudaBlock>>>(count, cellOf.ptr, ground.ptr, parent.ptr, rootOf.ptr);
  PERCEPT_CUDA_TRY(cudaGetLastError(), "roots kernel launch");
  PERCEPT_CUDA_TRY(cudaMemcpy(out.group.data(), rootOf.ptr, count * sizeof(int32_t), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (roots to host)");
  GroupsFromRoots(cells, out);
  return {};
}

}  // namespace percept
