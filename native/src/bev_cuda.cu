// CUDA backend of the BEV kernels. Determinism: points are stably radix-sorted by cell (cub's
// radix sort is stable and the values start in index order), then one thread walks each cell's
// run in index order — the same order the CPU and TypeScript use, so the double sums round
// identically. Products go through __dmul_rn/__dadd_rn so nvcc cannot contract them into FMAs
// that the CPU does not use.
#include <cuda_runtime.h>

#include <cub/cub.cuh>

#include <algorithm>
#include <string>

#include "bev.h"
#include "bev_cuda_util.h"

namespace percept {
namespace {

__device__ bool FieldOk(const float* p, int32_t field) { return field < 0 || IsFinite(p[field]); }

__global__ void LidarCellsKernel(const float* __restrict__ pts, std::size_t n, std::size_t stride, BevFields f,
                                 BevGrid g, int32_t sentinel, int32_t* keys, int32_t* vals) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const float* p = pts + i * stride;
    int32_t c = -1;
    if (IsFinite(p[f.z]) && FieldOk(p, f.intensity)) c = CellOf(p[f.x], p[f.y], g.xMin, g.yMin, g.resolution, g.width, g.height);
    keys[i] = c < 0 ? sentinel : c;
    vals[i] = static_cast<int32_t>(i);
  }
}

__global__ void RadarCellsKernel(const float* __restrict__ pts, std::size_t n, std::size_t stride, RadarFields f,
                                 BevGrid g, int32_t sentinel, int32_t* keys, int32_t* vals) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const float* p = pts + i * stride;
    int32_t c = -1;
    if (FieldOk(p, f.velocity) && FieldOk(p, f.vx) && FieldOk(p, f.vy) && FieldOk(p, f.rcs)) {
      c = CellOf(p[f.x], p[f.y], g.xMin, g.yMin, g.resolution, g.width, g.height);
    }
    keys[i] = c < 0 ? sentinel : c;
    vals[i] = static_cast<int32_t>(i);
  }
}

__device__ bool IsRunStart(const int32_t* keys, std::size_t k, int32_t sentinel) {
  return keys[k] != sentinel && (k == 0 || keys[k - 1] != keys[k]);
}

__global__ void BevRunsKernel(const float* __restrict__ pts, std::size_t n, std::size_t stride, BevFields f,
                              std::size_t cells, const int32_t* keys, const int32_t* vals, float* out) {
  const int32_t sentinel = static_cast<int32_t>(cells);
  for (std::size_t k = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    if (!IsRunStart(keys, k, sentinel)) continue;
    const int32_t c = keys[k];
    float maxZ = 0, minZ = 0, count = 0;
    double sum = 0;
    for (std::size_t j = k; j < n && keys[j] == c; ++j) {
      const float* p = pts + static_cast<std::size_t>(vals[j]) * stride;
      const float z = p[f.z];
      if (count == 0.0f) {
        maxZ = z;
        minZ = z;
      } else {
        if (z > maxZ) maxZ = z;
        if (z < minZ) minZ = z;
      }
      if (f.intensity >= 0) sum = __dadd_rn(sum, static_cast<double>(p[f.intensity]));
      count += 1.0f;
    }
    out[c] = maxZ;
    out[cells + c] = minZ;
    out[2 * cells + c] = static_cast<float>(sum / static_cast<double>(count));
    out[3 * cells + c] = count;
  }
}

__global__ void RadarRunsKernel(const float* __restrict__ pts, std::size_t n, std::size_t stride, RadarFields f,
                                std::size_t cells, const int32_t* keys, const int32_t* vals, float* out) {
  const int32_t sentinel = static_cast<int32_t>(cells);
  for (std::size_t k = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    if (!IsRunStart(keys, k, sentinel)) continue;
    const int32_t c = keys[k];
    float maxRcs = 0, count = 0;
    double sum = 0;
    for (std::size_t j = k; j < n && keys[j] == c; ++j) {
      const float* p = pts + static_cast<std::size_t>(vals[j]) * stride;
      double v = 0.0;
      if (f.velocity >= 0) {
        v = p[f.velocity];
      } else if (f.vx >= 0 && f.vy >= 0) {
        const double x = p[f.x], y = p[f.y];
        const double r = sqrt(__dadd_rn(__dmul_rn(x, x), __dmul_rn(y, y)));
        if (r > 0.0) {
          v = __dadd_rn(__dmul_rn(static_cast<double>(p[f.vx]), x), __dmul_rn(static_cast<double>(p[f.vy]), y)) / r;
        }
      }
      const float rcs = f.rcs >= 0 ? p[f.rcs] : 0.0f;
      if (count == 0.0f || rcs > maxRcs) maxRcs = rcs;
      sum = __dadd_rn(sum, v);
      count += 1.0f;
    }
    out[c] = static_cast<float>(sum / static_cast<double>(count));
    out[cells + c] = maxRcs;
    out[2 * cells + c] = count;
  }
}

// Sorted (cell, index) pairs for n points; invalid points carry key `cells` and sort last.
struct CellSort {
  DeviceArray<float> points;
  DeviceArray<int32_t> keysIn, valsIn, keys, vals;

  template <typename Fields, typename Kernel>
  std::string Run(Kernel kernel, const float* host, std::size_t n, std::size_t stride, const Fields& f,
                  const BevGrid& g) {
    PERCEPT_CUDA_TRY(points.Allocate(n * stride), "cudaMalloc (points)");
    PERCEPT_CUDA_TRY(keysIn.Allocate(n), "cudaMalloc (keys)");
    PERCEPT_CUDA_TRY(valsIn.Allocate(n), "cudaMalloc (values)");
    PERCEPT_CUDA_TRY(keys.Allocate(n), "cudaMalloc (sorted keys)");
    PERCEPT_CUDA_TRY(vals.Allocate(n), "cudaMalloc (sorted values)");
    if (n == 0) return {};
    PERCEPT_CUDA_TRY(cudaMemcpy(points.ptr, host, n * stride * sizeof(float), cudaMemcpyHostToDevice),
                     "cudaMemcpy (points to device)");
    const int32_t sentinel = static_cast<int32_t>(g.cells());
    kernel<<<CudaBlocks(n), kCudaBlock>>>(points.ptr, n, stride, f, g, sentinel, keysIn.ptr, valsIn.ptr);
    PERCEPT_CUDA_TRY(cudaGetLastError(), "cell kernel launch");
    std::size_t tempBytes = 0;
    const int bits = KeyBits(g.cells());
    PERCEPT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, tempBytes, keysIn.ptr, keys.ptr, valsIn.ptr, vals.ptr,
                                                     static_cast<int>(n), 0, bits),
                     "cub::DeviceRadixSort (size query)");
    DeviceArray<unsigned char> temp;
    PERCEPT_CUDA_TRY(temp.Allocate(tempBytes), "cudaMalloc (sort scratch)");
    PERCEPT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(temp.ptr, tempBytes, keysIn.ptr, keys.ptr, valsIn.ptr, vals.ptr,
                                                     static_cast<int>(n), 0, bits),
                     "cub::DeviceRadixSort");
    return {};
  }
};

__global__ void MarkRunsKernel(const int32_t* keys, std::size_t n, int32_t sentinel, int32_t* positions,
                               unsigned char* flags) {
  for (std::size_t k = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; k < n;
       k += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    positions[k] = static_cast<int32_t>(k);
    flags[k] = IsRunStart(keys, k, sentinel) ? 1 : 0;
  }
}

__global__ void RunFirstIndexKernel(const int32_t* runStarts, const int32_t* runCount, const int32_t* vals,
                                    int32_t* firstIndex) {
  for (int32_t s = blockIdx.x * blockDim.x + threadIdx.x; s < *runCount; s += blockDim.x * gridDim.x) {
    firstIndex[s] = vals[runStarts[s]];
  }
}

__global__ void PillarKernel(const float* __restrict__ pts, std::size_t n, std::size_t stride, BevFields f, BevGrid g,
                             const int32_t* keys, const int32_t* vals, const int32_t* orderedRuns, int32_t pillars,
                             int32_t maxN, float* features, int32_t* coords, int32_t* counts) {
  for (int32_t p = blockIdx.x * blockDim.x + threadIdx.x; p < pillars; p += blockDim.x * gridDim.x) {
    const std::size_t start = static_cast<std::size_t>(orderedRuns[p]);
    const int32_t c = keys[start];
    int32_t k = 0;
    double sx = 0, sy = 0, sz = 0;
    for (std::size_t j = start; j < n && keys[j] == c && k < maxN; ++j, ++k) {
      const float* q = pts + static_cast<std::size_t>(vals[j]) * stride;
      sx = __dadd_rn(sx, static_cast<double>(q[f.x]));
      sy = __dadd_rn(sy, static_cast<double>(q[f.y]));
      sz = __dadd_rn(sz, static_cast<double>(q[f.z]));
    }
    const int32_t row = c / g.width, col = c % g.width;
    coords[2 * p] = row;
    coords[2 * p + 1] = col;
    counts[p] = k;
    const double mx = sx / k, my = sy / k, mz = sz / k;
    const double xc = __dadd_rn(g.xMin, __dmul_rn(__dadd_rn(static_cast<double>(col), 0.5), g.resolution));
    const double yc = __dadd_rn(g.yMin, __dmul_rn(__dadd_rn(static_cast<double>(row), 0.5), g.resolution));
    float* out = features + static_cast<std::size_t>(p) * maxN * kPillarFeatures;
    for (int32_t j = 0; j < k; ++j, out += kPillarFeatures) {
      const float* q = pts + static_cast<std::size_t>(vals[start + j]) * stride;
      const double x = q[f.x], y = q[f.y], z = q[f.z];
      out[0] = q[f.x];
      out[1] = q[f.y];
      out[2] = q[f.z];
      out[3] = f.intensity >= 0 ? q[f.intensity] : 0.0f;
      out[4] = static_cast<float>(x - mx);
      out[5] = static_cast<float>(y - my);
      out[6] = static_cast<float>(z - mz);
      out[7] = static_cast<float>(x - xc);
      out[8] = static_cast<float>(y - yc);
    }
  }
}

__global__ void ClaimCellsKernel(const int32_t* coords, std::size_t pillars, int32_t height, int32_t width,
                                 int32_t* owner) {
  for (std::size_t p = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; p < pillars;
       p += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const int32_t r = coords[2 * p], c = coords[2 * p + 1];
    if (r < 0 || c < 0 || r >= height || c >= width) continue;
    atomicMax(owner + static_cast<std::size_t>(r) * width + c, static_cast<int32_t>(p));
  }
}

__global__ void ScatterKernel(const float* features, std::size_t pillars, std::size_t channels, const int32_t* coords,
                              int32_t height, int32_t width, const int32_t* owner, float* canvas) {
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  const std::size_t total = pillars * channels;
  for (std::size_t t = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; t < total;
       t += static_cast<std::size_t>(blockDim.x) * gridDim.x) {
    const std::size_t p = t / channels, ch = t % channels;
    const int32_t r = coords[2 * p], c = coords[2 * p + 1];
    if (r < 0 || c < 0 || r >= height || c >= width) continue;
    const std::size_t cell = static_cast<std::size_t>(r) * width + c;
    if (owner[cell] == static_cast<int32_t>(p)) canvas[ch * plane + cell] = features[t];
  }
}

}  // namespace

std::string RasterizeBevCuda(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                             const BevGrid& g, float* out) {
  const std::size_t cells = g.cells();
  CellSort sort;
  std::string failure = sort.Run(LidarCellsKernel, points, count, stride, f, g);
  if (!failure.empty()) return failure;
  DeviceArray<float> grid;
  PERCEPT_CUDA_TRY(grid.Allocate(kBevChannels * cells), "cudaMalloc (grid)");
  PERCEPT_CUDA_TRY(cudaMemset(grid.ptr, 0, kBevChannels * cells * sizeof(float)), "cudaMemset (grid)");
  if (count > 0) {
    BevRunsKernel<<<CudaBlocks(count), kCudaBlock>>>(sort.points.ptr, count, stride, f, cells, sort.keys.ptr,
                                                     sort.vals.ptr, grid.ptr);
    PERCEPT_CUDA_TRY(cudaGetLastError(), "BEV kernel launch");
  }
  PERCEPT_CUDA_TRY(cudaMemcpy(out, grid.ptr, kBevChannels * cells * sizeof(float), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (grid to host)");
  return {};
}

std::string RasterizeRadarCuda(const float* targets, std::size_t count, std::size_t stride, const RadarFields& f,
                               const BevGrid& g, float* out) {
  const std::size_t cells = g.cells();
  CellSort sort;
  std::string failure = sort.Run(RadarCellsKernel, targets, count, stride, f, g);
  if (!failure.empty()) return failure;
  DeviceArray<float> grid;
  PERCEPT_CUDA_TRY(grid.Allocate(kRadarChannels * cells), "cudaMalloc (grid)");
  PERCEPT_CUDA_TRY(cudaMemset(grid.ptr, 0, kRadarChannels * cells * sizeof(float)), "cudaMemset (grid)");
  if (count > 0) {
    RadarRunsKernel<<<CudaBlocks(count), kCudaBlock>>>(sort.points.ptr, count, stride, f, cells, sort.keys.ptr,
                                                       sort.vals.ptr, grid.ptr);
    PERCEPT_CUDA_TRY(cudaGetLastError(), "radar BEV kernel launch");
  }
  PERCEPT_CUDA_TRY(cudaMemcpy(out, grid.ptr, kRadarChannels * cells * sizeof(float), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (grid to host)");
  return {};
}

std::string BuildPillarsCuda(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                             const BevGrid& g, const PillarBuffers& out, int32_t* pillarCount) {
  const std::size_t maxP = static_cast<std::size_t>(out.maxPillars);
  const std::size_t maxN = static_cast<std::size_t>(out.maxPoints);
  const std::size_t featureCount = maxP * maxN * kPillarFeatures;
  *pillarCount = 0;
  CellSort sort;
  std::string failure = sort.Run(LidarCellsKernel, points, count, stride, f, g);
  if (!failure.empty()) return failure;
  DeviceArray<float> features;
  DeviceArray<int32_t> coords, counts, positions, runStarts, runCount, firstIndex, orderedFirst, orderedRuns;
  DeviceArray<unsigned char> flags;
  PERCEPT_CUDA_TRY(features.Allocate(featureCount), "cudaMalloc (features)");
  PERCEPT_CUDA_TRY(coords.Allocate(2 * maxP), "cudaMalloc (coords)");
  PERCEPT_CUDA_TRY(counts.Allocate(maxP), "cudaMalloc (counts)");
  PERCEPT_CUDA_TRY(cudaMemset(features.ptr, 0, featureCount * sizeof(float)), "cudaMemset (features)");
  PERCEPT_CUDA_TRY(cudaMemset(coords.ptr, 0xff, 2 * maxP * sizeof(int32_t)), "cudaMemset (coords)");
  PERCEPT_CUDA_TRY(cudaMemset(counts.ptr, 0, maxP * sizeof(int32_t)), "cudaMemset (counts)");
  int32_t runs = 0;
  if (count > 0 && maxP > 0 && maxN > 0) {
    const int32_t sentinel = static_cast<int32_t>(g.cells());
    PERCEPT_CUDA_TRY(positions.Allocate(count), "cudaMalloc (positions)");
    PERCEPT_CUDA_TRY(runStarts.Allocate(count), "cudaMalloc (run starts)");
    PERCEPT_CUDA_TRY(runCount.Allocate(1), "cudaMalloc (run count)");
    PERCEPT_CUDA_TRY(flags.Allocate(count), "cudaMalloc (flags)");
    MarkRunsKernel<<<CudaBlocks(count), kCudaBlock>>>(sort.keys.ptr, count, sentinel, positions.ptr, flags.ptr);
    PERCEPT_CUDA_TRY(cudaGetLastError(), "run marking kernel launch");
    std::size_t tempBytes = 0;
    PERCEPT_CUDA_TRY(cub::DeviceSelect::Flagged(nullptr, tempBytes, positions.ptr, flags.ptr, runStarts.ptr,
                                                runCount.ptr, static_cast<int>(count)),
                     "cub::DeviceSelect (size query)");
    DeviceArray<unsigned char> temp;
    PERCEPT_CUDA_TRY(temp.Allocate(tempBytes), "cudaMalloc (select scratch)");
    PERCEPT_CUDA_TRY(cub::DeviceSelect::Flagged(temp.ptr, tempBytes, positions.ptr, flags.ptr, runStarts.ptr,
                                                runCount.ptr, static_cast<int>(count)),
                     "cub::DeviceSelect");
    PERCEPT_CUDA_TRY(cudaMemcpy(&runs, runCount.ptr, sizeof(int32_t), cudaMemcpyDeviceToHost),
                     "cudaMemcpy (run count)");
    if (runs > 0) {
      // Pillars are numbered by their first point's index: sort the runs by it.
      PERCEPT_CUDA_TRY(firstIndex.Allocate(runs), "cudaMalloc (first index)");
      PERCEPT_CUDA_TRY(orderedFirst.Allocate(runs), "cudaMalloc (ordered first index)");
      PERCEPT_CUDA_TRY(orderedRuns.Allocate(runs), "cudaMalloc (ordered runs)");
      RunFirstIndexKernel<<<CudaBlocks(runs), kCudaBlock>>>(runStarts.ptr, runCount.ptr, sort.vals.ptr, firstIndex.ptr);
      PERCEPT_CUDA_TRY(cudaGetLastError(), "first index kernel launch");
      std::size_t sortBytes = 0;
      const int bits = KeyBits(count);
      PERCEPT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, sortBytes, firstIndex.ptr, orderedFirst.ptr,
                                                       runStarts.ptr, orderedRuns.ptr, runs, 0, bits),
                       "cub::DeviceRadixSort (size query)");
      DeviceArray<unsigned char> sortTemp;
      PERCEPT_CUDA_TRY(sortTemp.Allocate(sortBytes), "cudaMalloc (sort scratch)");
      PERCEPT_CUDA_TRY(cub::DeviceRadixSort::SortPairs(sortTemp.ptr, sortBytes, firstIndex.ptr, orderedFirst.ptr,
                                                       runStarts.ptr, orderedRuns.ptr, runs, 0, bits),
                       "cub::DeviceRadixSort");
      const int32_t pillars = std::min<int32_t>(runs, out.maxPillars);
      PillarKernel<<<CudaBlocks(pillars), kCudaBlock>>>(sort.points.ptr, count, stride, f, g, sort.keys.ptr,
                                                        sort.vals.ptr, orderedRuns.ptr, pillars, out.maxPoints,
                                                        features.ptr, coords.ptr, counts.ptr);
      PERCEPT_CUDA_TRY(cudaGetLastError(), "pillar kernel launch");
      *pillarCount = pillars;
    }
  }
  PERCEPT_CUDA_TRY(cudaMemcpy(out.features, features.ptr, featureCount * sizeof(float), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (features to host)");
  PERCEPT_CUDA_TRY(cudaMemcpy(out.coords, coords.ptr, 2 * maxP * sizeof(int32_t), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (coords to host)");
  PERCEPT_CUDA_TRY(cudaMemcpy(out.pointCounts, counts.ptr, maxP * sizeof(int32_t), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (counts to host)");
  return {};
}

std::string ScatterPillarsCuda(const float* features, std::size_t pillars, std::size_t channels,
                               const int32_t* coords, int32_t height, int32_t width, float* canvas) {
  const std::size_t plane = static_cast<std::size_t>(height) * width;
  DeviceArray<float> dFeatures, dCanvas;
  DeviceArray<int32_t> dCoords, owner;
  PERCEPT_CUDA_TRY(dFeatures.Allocate(pillars * channels), "cudaMalloc (features)");
  PERCEPT_CUDA_TRY(dCoords.Allocate(2 * pillars), "cudaMalloc (coords)");
  PERCEPT_CUDA_TRY(dCanvas.Allocate(channels * plane), "cudaMalloc (canvas)");
  PERCEPT_CUDA_TRY(owner.Allocate(plane), "cudaMalloc (owners)");
  PERCEPT_CUDA_TRY(cudaMemset(dCanvas.ptr, 0, channels * plane * sizeof(float)), "cudaMemset (canvas)");
  PERCEPT_CUDA_TRY(cudaMemset(owner.ptr, 0xff, plane * sizeof(int32_t)), "cudaMemset (owners)");
  if (pillars > 0 && channels > 0) {
    PERCEPT_CUDA_TRY(cudaMemcpy(dFeatures.ptr, features, pillars * channels * sizeof(float), cudaMemcpyHostToDevice),
                     "cudaMemcpy (features to device)");
    PERCEPT_CUDA_TRY(cudaMemcpy(dCoords.ptr, coords, 2 * pillars * sizeof(int32_t), cudaMemcpyHostToDevice),
                     "cudaMemcpy (coords to device)");
    ClaimCellsKernel<<<CudaBlocks(pillars), kCudaBlock>>>(dCoords.ptr, pillars, height, width, owner.ptr);
    PERCEPT_CUDA_TRY(cudaGetLastError(), "claim kernel launch");
    ScatterKernel<<<CudaBlocks(pillars * channels), kCudaBlock>>>(dFeatures.ptr, pillars, channels, dCoords.ptr,
                                                                  height, width, owner.ptr, dCanvas.ptr);
    PERCEPT_CUDA_TRY(cudaGetLastError(), "scatter kernel launch");
  }
  PERCEPT_CUDA_TRY(cudaMemcpy(canvas, dCanvas.ptr, channels * plane * sizeof(float), cudaMemcpyDeviceToHost),
                   "cudaMemcpy (canvas to host)");
  return {};
}

}  // namespace percept
