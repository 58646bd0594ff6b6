// CPU backend of the BEV kernels. Every per-cell reduction visits its points in index order, so
// sums come out bit-identical to the TypeScript reference and to the CUDA backend. The LiDAR
// raster reduces a sweep in one pass over compact per-cell sums (touching one plane per point, not
// four), and a large batch by sorting the points by cell first (as CUDA does), which lets bands of
// cells reduce in parallel; radar (few targets) keeps threads that own disjoint bands of rows.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "bev.h"
#include "cell_map.h"
#include "cells_cpu.h"
#include "scratch.h"

namespace percept {
namespace {

constexpr std::size_t kMinPointsPerThread = 64 * 1024;
constexpr std::size_t kMinPillarsPerThread = 2048;
// Points per task when computing cells.
constexpr std::size_t kCellChunk = 16 * 1024;
// A raster is cleared and filled in this many bands (claimed by whichever thread is free), each
// at least kMinBandCells cells.
constexpr std::size_t kBands = 8;
constexpr std::size_t kMinBandCells = 16 * 1024;
// Up to this many points, one pass over compact per-cell sums; above, sorting by cell first lets
// bands of cells reduce in parallel.
constexpr std::size_t kMaxSlotPoints = 256 * 1024;

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
  const std::size_t hw = CpuThreadCount();
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

// Valid points as (cell << 32 | index), sorted by cell and, within a cell, by index: LSD radix
// sort on the cell bits, which is stable, of keys produced in index order.
struct SortedCells {
  const uint64_t* keys = nullptr;
  std::size_t count = 0;
};

// One touched cell's running reduction, in point order.
struct CellSums {
  double sum;
  float hi, lo;
  uint32_t count;
  int32_t cell;
};

struct BevScratch {
  std::vector<int32_t> cells;
  std::vector<uint64_t> a, b;
  std::vector<std::size_t> histogram;
  SortedCells sorted;
  std::vector<CellSums> sums;
  void Trim() {
    constexpr std::size_t kKeepBytes = 16u << 20;
    TrimScratch(cells, kKeepBytes);
    TrimScratch(a, kKeepBytes);
    TrimScratch(b, kKeepBytes);
    TrimScratch(sums, kKeepBytes);
  }
};

constexpr int kMaxDigitBits = 11;  // 2048 buckets: the write fronts stay in L1

void ComputeLidarCells(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                       const BevGrid& g, BevScratch& s) {
  s.cells.resize(count);
  int32_t* cells = s.cells.data();
  ParallelChunks(count, kCellChunk, [&](std::size_t b, std::size_t e) {
    CellRange(points, stride, b, e, f.x, f.y, f.z, f.intensity, g, cells + b);
  });
}

// Each valid point (cellOf[i] >= 0) into its cell's sums, found through slotOf (0 = none yet,
// else the sums' index), sums numbered 1, 2, ... in order of the cells' first points; returns
// how many. Written without branches on the data: whether a point opens a cell, or raises or
// lowers its extremes, is unpredictable. The first point sets both extremes, later ones replace
// them only when strictly beyond (which keeps the first of equal values, -0 vs +0 included); the
// sum starts at 0 and adds, so a -0 intensity still sums to +0, as in the reference.
uint32_t SumCells(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                  const int32_t* cellOf, int32_t* slotOf, CellSums* sums) {
  const float* pz = points + f.z;
  const bool intensity = f.intensity >= 0;
  const float* pi = points + (intensity ? f.intensity : 0);
  uint32_t touched = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = cellOf[i];
    if (c < 0) continue;
    uint32_t slot = static_cast<uint32_t>(slotOf[c]);
    const bool fresh = slot == 0;
    slot = fresh ? touched + 1 : slot;
    touched += fresh;
    slotOf[c] = static_cast<int32_t>(slot);
    CellSums& e = sums[slot];
    const float z = pz[i * stride];
    const float hi = e.hi, lo = e.lo;
    e.hi = fresh ? z : (z > hi ? z : hi);
    e.lo = fresh ? z : (z < lo ? z : lo);
    double sum = fresh ? 0.0 : e.sum;
    if (intensity) sum += static_cast<double>(pi[i * stride]);
    e.sum = sum;
    e.count = (fresh ? 0 : e.count) + 1;
    e.cell = c;
  }
  return touched;
}

// Sorts the points of s.cells (computed first).
void SortPointsByCell(std::size_t count, const BevGrid& g, BevScratch& s) {
  // The point index lives in the key's low 32 bits.
  if (count > UINT32_MAX) throw std::length_error("more than 2^32 points");
  const int32_t* cells = s.cells.data();
  int bits = 1;
  while (bits < 32 && (std::size_t{1} << bits) < g.cells()) ++bits;
  const int passes = (bits + kMaxDigitBits - 1) / kMaxDigitBits;
  const int digitBits = (bits + passes - 1) / passes;
  const std::size_t buckets = std::size_t{1} << digitBits;
  const uint64_t mask = buckets - 1;
  s.histogram.assign(2 * buckets, 0);
  std::size_t* hist = s.histogram.data();
  std::size_t* nextHist = hist + buckets;

  std::size_t valid = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = cells[i];
    if (c < 0) continue;
    ++hist[static_cast<uint32_t>(c) & mask];
    ++valid;
  }
  s.a.resize(valid);
  s.b.resize(valid);
  uint64_t* from = s.a.data();
  uint64_t* to = s.b.data();
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = 32 + pass * digitBits;
    std::size_t sum = 0;
    for (std::size_t d = 0; d < buckets; ++d) {
      const std::size_t h = hist[d];
      hist[d] = sum;
      sum += h;
    }
    std::fill(nextHist, nextHist + buckets, 0);
    const int nextShift = shift + digitBits;
    const bool more = pass + 1 < passes;
    if (pass == 0) {
      for (std::size_t i = 0; i < count; ++i) {
        const int32_t c = cells[i];
        if (c < 0) continue;
        const uint64_t key = (static_cast<uint64_t>(c) << 32) | static_cast<uint64_t>(i);
        to[hist[static_cast<uint32_t>(c) & mask]++] = key;
        if (more) ++nextHist[(key >> nextShift) & mask];
      }
    } else {
      for (std::size_t k = 0; k < valid; ++k) {
        const uint64_t key = from[k];
        to[hist[(key >> shift) & mask]++] = key;
        if (more) ++nextHist[(key >> nextShift) & mask];
      }
    }
    std::swap(hist, nextHist);
    std::swap(from, to);
  }
  s.sorted.keys = from;
  s.sorted.count = valid;
}

// Position of the first key whose cell is >= cell.
std::size_t FirstKeyAtOrAfter(const uint64_t* keys, std::size_t n, std::size_t cell) {
  return static_cast<std::size_t>(std::lower_bound(keys, keys + n, static_cast<uint64_t>(cell) << 32) - keys);
}

}  // namespace

void RasterizeBevCpu(const float* points, std::size_t count, std::size_t stride, const BevFields& f,
                     const BevGrid& g, float* out) {
  const std::size_t cells = g.cells();
  auto scratch = ProcessScratch<BevScratch>().Acquire();
  BevScratch& s = *scratch;
  ComputeLidarCells(points, count, stride, f, g, s);
  float* maxZ = out;
  float* minZ = out + cells;
  float* mean = out + 2 * cells;
  float* cnt = out + 3 * cells;
  // On the sorted path, bands of cells, each cleared and filled by one task.
  const std::size_t bandCells = std::max<std::size_t>(kMinBandCells, (cells + kBands - 1) / kBands);
  auto clear = [&](std::size_t c0, std::size_t c1) {
    const std::size_t bytes = (c1 - c0) * sizeof(float);
    std::memset(maxZ + c0, 0, bytes);
    std::memset(minZ + c0, 0, bytes);
    std::memset(mean + c0, 0, bytes);
    std::memset(cnt + c0, 0, bytes);
  };
  // The reference counts in float32, which stops at 2^24 (2^24 + 1 rounds back down).
  auto finish = [&](std::size_t c, float hi, float lo, double sum, std::size_t m) {
    const float counted = static_cast<float>(std::min<std::size_t>(m, std::size_t{1} << 24));
    maxZ[c] = hi;
    minZ[c] = lo;
    cnt[c] = counted;
    mean[c] = static_cast<float>(sum / static_cast<double>(counted));
  };

  if (count <= kMaxSlotPoints) {
    // One pass in point order over compact per-cell sums, which a per-cell map kept all zero
    // between calls finds (cell_map.h), on one thread while another clears the raster.
    auto mapLease = ProcessScratch<CellMap>().Acquire();
    int32_t* slotOf = mapLease->Prepare(cells);
    if (s.sums.size() < count + 1) s.sums.resize(count + 1);
    CellSums* sums = s.sums.data();
    uint32_t touched = 0;
    ParallelTasks(2, [&](std::size_t task) {
      if (task == 1) {
        clear(0, cells);
      } else {
        touched = SumCells(points, count, stride, f, s.cells.data(), slotOf, sums);
      }
    });
    for (uint32_t t = 1; t <= touched; ++t) {
      const CellSums& e = sums[t];
      finish(static_cast<std::size_t>(e.cell), e.hi, e.lo, e.sum, e.count);
      slotOf[e.cell] = 0;
    }
    mapLease->Restored();
    return;
  }

  // Many points: sorted by cell, each band of cells cleared and filled by one task.
  SortPointsByCell(count, g, s);
  const uint64_t* keys = s.sorted.keys;
  const std::size_t n = s.sorted.count;
  ParallelChunks(cells, bandCells, [&](std::size_t c0, std::size_t c1) {
    clear(c0, c1);
    std::size_t k = FirstKeyAtOrAfter(keys, n, c0);
    const std::size_t kEnd = FirstKeyAtOrAfter(keys, n, c1);
    while (k < kEnd) {
      const uint64_t c = keys[k] >> 32;
      // The cell's points in index order, with the same comparisons as above.
      const float* p = points + static_cast<std::size_t>(static_cast<uint32_t>(keys[k])) * stride;
      float hi = p[f.z], lo = p[f.z];
      double sum = 0.0;
      if (f.intensity >= 0) sum += static_cast<double>(p[f.intensity]);
      std::size_t m = 1;
      for (++k; k < kEnd && (keys[k] >> 32) == c; ++k, ++m) {
        p = points + static_cast<std::size_t>(static_cast<uint32_t>(keys[k])) * stride;
        const float z = p[f.z];
        if (z > hi) hi = z;
        if (z < lo) lo = z;
        if (f.intensity >= 0) sum += static_cast<double>(p[f.intensity]);
      }
      finish(static_cast<std::size_t>(c), hi, lo, sum, m);
    }
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
