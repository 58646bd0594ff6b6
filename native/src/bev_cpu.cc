// CPU backend of the BEV kernels. Every per-cell reduction visits its points in index order
// (threads own disjoint bands of grid rows rather than disjoint point ranges), so sums come out
// bit-identical to the TypeScript reference and to the CUDA backend, which sorts by cell first.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "bev.h"

namespace percept {
namespace {

constexpr std::size_t kMinPointsPerThread = 64 * 1024;
constexpr std::size_t kMinPillarsPerThread = 2048;

bool FieldFinite(const float* p, int32_t field) { return field < 0 || IsFinite(p[field]); }

// Cell of a LiDAR point, -1 when outside the grid or when any field the kernel reads is not finite.
int32_t LidarCell(const float* p, const BevFields& f, const BevGrid& g) {
  if (!IsFinite(p[f.z]) || !FieldFinite(p, f.intensity)) return -1;
  return CellOf(p[f.x], p[f.y], g.xMin, g.yMin, g.resolution, g.width, g.height);
}

int32_t RadarCell(const float* p, const RadarFields& f, const BevGrid& g) {
  if (!FieldFinite(p, f.velocity) || !FieldFinite(p, f.vx) || !FieldFinite(p, f.vy) || !FieldFinite(p, f.rcs)) {
    return -1;
  }
  return CellOf(p[f.x], p[f.y], g.xMin, g.yMin, g.resolution, g.width, g.height);
}

template <typename CellFn>
void ComputeCells(std::size_t count, std::vector<int32_t>& cells, const CellFn& cellOf) {
  cells.resize(count);
  ParallelRanges(count, kMinPointsPerThread, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) cells[i] = cellOf(i);
  });
}

// Runs fn(cellBegin, cellEnd) over bands of whole rows, one band per thread.
template <typename Fn>
void ForRowBands(const BevGrid& g, std::size_t points, Fn&& fn) {
  const std::size_t rows = static_cast<std::size_t>(g.height);
  const std::size_t hw = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t threads = points >= kMinPointsPerThread ? std::min(hw, rows) : 1;
  const std::size_t w = static_cast<std::size_t>(g.width);
  ParallelRanges(threads, 1, [&](std::size_t tb, std::size_t te) {
    for (std::size_t t = tb; t < te; ++t) {
      const std::size_t r0 = rows * t / threads, r1 = rows * (t + 1) / threads;
      fn(static_cast<int64_t>(r0 * w), static_cast<int64_t>(r1 * w));
    }
  });
}

// While a band accumulates, a touched cell's mean channel holds (as raw bits) the index of its
// running sum in a per-band list, so no cells-sized scratch is allocated or swept per call.
int32_t SlotOf(const float* mean, int64_t c) {
  int32_t slot;
  std::memcpy(&slot, mean + c, sizeof slot);
  return slot;
}
void SetSlot(float* mean, int64_t c, int32_t slot) { std::memcpy(mean + c, &slot, sizeof slot); }

}  // namespace

void RasterizeBevCpu(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                     const BevGrid& g, float* out) {
  const std::size_t cells = g.cells();
  std::memset(out, 0, kBevChannels * cells * sizeof(float));
  std::vector<int32_t> cellOf;
  ComputeCells(count, cellOf, [&](std::size_t i) { return LidarCell(points + i * stride, f, g); });
  float* maxZ = out;
  float* minZ = out + cells;
  float* mean = out + 2 * cells;
  float* cnt = out + 3 * cells;
  ForRowBands(g, count, [&](int64_t c0, int64_t c1) {
    std::vector<int32_t> touched;
    std::vector<double> sums;
    for (std::size_t i = 0; i < count; ++i) {
      const int32_t c = cellOf[i];
      if (c < c0 || c >= c1) continue;
      const float* p = points + i * stride;
      const float z = p[f.z];
      if (cnt[c] == 0.0f) {
        maxZ[c] = z;
        minZ[c] = z;
        SetSlot(mean, c, static_cast<int32_t>(touched.size()));
        touched.push_back(c);
        sums.push_back(0.0);
      } else {
        if (z > maxZ[c]) maxZ[c] = z;
        if (z < minZ[c]) minZ[c] = z;
      }
      if (f.intensity >= 0) sums[SlotOf(mean, c)] += static_cast<double>(p[f.intensity]);
      cnt[c] += 1.0f;  // exact: counts stay far below 2^24 per cell
    }
    for (const int32_t c : touched) mean[c] = static_cast<float>(sums[SlotOf(mean, c)] / static_cast<double>(cnt[c]));
  });
}

void RasterizeRadarCpu(const float* targets, std::size_t count, std::size_t stride, const RadarFields& f,
                       const BevGrid& g, float* out) {
  const std::size_t cells = g.cells();
  std::memset(out, 0, kRadarChannels * cells * sizeof(float));
  std::vector<int32_t> cellOf;
  ComputeCells(count, cellOf, [&](std::size_t i) { return RadarCell(targets + i * stride, f, g); });
  float* mean = out;
  float* maxRcs = out + cells;
  float* cnt = out + 2 * cells;
  ForRowBands(g, count, [&](int64_t c0, int64_t c1) {
    std::vector<int32_t> touched;
    std::vector<double> sums;
    for (std::size_t i = 0; i < count; ++i) {
      const int32_t c = cellOf[i];
      if (c < c0 || c >= c1) continue;
      const float* p = targets + i * stride;
      double v = 0.0;
      if (f.velocity >= 0) {
        v = p[f.velocity];
      } else if (f.vx >= 0 && f.vy >= 0) {
        const double x = p[f.x], y = p[f.y];
        const double r = std::sqrt(x * x + y * y);
        if (r > 0.0) v = (static_cast<double>(p[f.vx]) * x + static_cast<double>(p[f.vy]) * y) / r;
      }
      const float rcs = f.rcs >= 0 ? p[f.rcs] : 0.0f;
      if (cnt[c] == 0.0f) {
        SetSlot(mean, c, static_cast<int32_t>(touched.size()));
        touched.push_back(c);
        sums.push_back(0.0);
        maxRcs[c] = rcs;
      } else if (rcs > maxRcs[c]) {
        maxRcs[c] = rcs;
      }
      sums[SlotOf(mean, c)] += v;
      cnt[c] += 1.0f;
    }
    for (const int32_t c : touched) mean[c] = static_cast<float>(sums[SlotOf(mean, c)] / static_cast<double>(cnt[c]));
  });
}

int32_t BuildPillarsCpu(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                        const BevGrid& g, const PillarBuffers& out) {
  const std::size_t maxP = static_cast<std::size_t>(out.maxPillars);
  const std::size_t maxN = static_cast<std::size_t>(out.maxPoints);
  std::memset(out.features, 0, maxP * maxN * kPillarFeatures * sizeof(float));
  std::fill(out.coords, out.coords + 2 * maxP, -1);
  std::fill(out.pointCounts, out.pointCounts + maxP, 0);
  if (maxP == 0 || maxN == 0) return 0;

  // Sequential on purpose: pillar order (first point by index) and the kept points (first
  // maxPoints by index) are defined by a scan in index order.
  std::vector<int32_t> pillarOf(g.cells(), -1);
  std::vector<int32_t> members(maxP * maxN);
  int32_t pillars = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = LidarCell(points + i * stride, f, g);
    if (c < 0) continue;
    int32_t p = pillarOf[c];
    if (p < 0) {
      if (pillars >= out.maxPillars) continue;
      p = pillars++;
      pillarOf[c] = p;
      out.coords[2 * p] = c / g.width;
      out.coords[2 * p + 1] = c % g.width;
    }
    const int32_t k = out.pointCounts[p];
    if (k < out.maxPoints) {
      members[static_cast<std::size_t>(p) * maxN + k] = static_cast<int32_t>(i);
      out.pointCounts[p] = k + 1;
    }
  }

  ParallelRanges(static_cast<std::size_t>(pillars), kMinPillarsPerThread, [&](std::size_t b, std::size_t e) {
    for (std::size_t p = b; p < e; ++p) {
      const int32_t k = out.pointCounts[p];
      const int32_t* idx = members.data() + p * maxN;
      double sx = 0, sy = 0, sz = 0;
      for (int32_t j = 0; j < k; ++j) {
        const float* q = points + static_cast<std::size_t>(idx[j]) * stride;
        sx += q[f.x];
        sy += q[f.y];
        sz += q[f.z];
      }
      const double mx = sx / k, my = sy / k, mz = sz / k;
      const double xc = g.xMin + (out.coords[2 * p + 1] + 0.5) * g.resolution;
      const double yc = g.yMin + (out.coords[2 * p] + 0.5) * g.resolution;
      float* row = out.features + p * maxN * kPillarFeatures;
      for (int32_t j = 0; j < k; ++j, row += kPillarFeatures) {
        const float* q = points + static_cast<std::size_t>(idx[j]) * stride;
        const double x = q[f.x], y = q[f.y], z = q[f.z];
        row[0] = q[f.x];
        row[1] = q[f.y];
        row[2] = q[f.z];
        row[3] = f.intensity >= 0 ? q[f.intensity] : 0.0f;
        row[4] = static_cast<float>(x - mx);
        row[5] = static_cast<float>(y - my);
        row[6] = static_cast<float>(z - mz);
        row[7] = static_cast<float>(x - xc);
        row[8] = static_cast<float>(y - yc);
      }
    }
  });
  return pillars;
}

void ScatterPillarsCpu(const float* features, std::size_t pillars, std::size_t channels, const int32_t* coords,
                       int32_t height, int32_t width, float* canvas) {
  const std::size_t plane = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
  // Threads own whole channels and each walks pillars in ascending order: the last (highest)
  // pillar on a shared cell wins, the same on every backend.
  ParallelRanges(channels, pillars * channels >= (1u << 20) ? 1 : channels, [&](std::size_t b, std::size_t e) {
    std::memset(canvas + b * plane, 0, (e - b) * plane * sizeof(float));
    for (std::size_t p = 0; p < pillars; ++p) {
      const int32_t r = coords[2 * p], c = coords[2 * p + 1];
      if (r < 0 || c < 0 || r >= height || c >= width) continue;
      const std::size_t cell = static_cast<std::size_t>(r) * width + c;
      for (std::size_t ch = b; ch < e; ++ch) canvas[ch * plane + cell] = features[p * channels + ch];
    }
  });
}

}  // namespace percept
