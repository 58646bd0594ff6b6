#include "cells_cpu.h"

#include <algorithm>

#include "simd.h"

namespace percept {
namespace {

constexpr std::size_t kBlock = 256;

struct CellArgs {
  const float* points;
  std::size_t stride;
  int32_t fx, fy, fz, fi;
  BevGrid g;
};

// CellOf without its floor calls (not inlined without SSE4.1, and they keep the loop scalar):
// q = (x - xMin) / resolution is the same double, and for a whole-number width,
// 0 <= floor(q) < width  <=>  0 <= q < width, where floor(q) = trunc(q). NaN and ±Inf
// coordinates fail these comparisons, which is CellOf's explicit finiteness test.
PERCEPT_ALWAYS_INLINE void CellRangeBody(const CellArgs& a, std::size_t begin, std::size_t end,
                                         int32_t* cells) {
  alignas(64) float xs[kBlock], ys[kBlock];
  alignas(64) int32_t ok[kBlock];
  const double xMin = a.g.xMin, yMin = a.g.yMin, res = a.g.resolution;
  const double w = a.g.width, h = a.g.height;
  const int32_t width = a.g.width;
  for (std::size_t b = begin; b < end; b += kBlock) {
    const std::size_t n = std::min(kBlock, end - b);
    const float* p = a.points + b * a.stride;
    for (std::size_t j = 0; j < n; ++j, p += a.stride) {
      xs[j] = p[a.fx];
      ys[j] = p[a.fy];
      ok[j] = IsFinite(p[a.fz]) & (a.fi < 0 || IsFinite(p[a.fi]));
    }
    int32_t* out = cells + (b - begin);
    for (std::size_t j = 0; j < n; ++j) {
      const double qx = (static_cast<double>(xs[j]) - xMin) / res;
      const double qy = (static_cast<double>(ys[j]) - yMin) / res;
      const bool inside = (ok[j] != 0) & (qx >= 0.0) & (qx < w) & (qy >= 0.0) & (qy < h);
      out[j] = inside ? static_cast<int32_t>(qy) * width + static_cast<int32_t>(qx) : -1;
    }
  }
}

void CellRangeBaseline(const CellArgs& a, std::size_t begin, std::size_t end, int32_t* cells) {
  CellRangeBody(a, begin, end, cells);
}

#ifdef PERCEPT_X86_DISPATCH
PERCEPT_TARGET_AVX2 void CellRangeAvx2(const CellArgs& a, std::size_t begin, std::size_t end,
                                       int32_t* cells) {
  CellRangeBody(a, begin, end, cells);
}
#endif

}  // namespace

void CellRange(const float* points, std::size_t stride, std::size_t begin, std::size_t end,
               int32_t fx, int32_t fy, int32_t fz, int32_t fi, const BevGrid& grid,
               int32_t* cells) {
  const CellArgs a{points, stride, fx, fy, fz, fi, grid};
#ifdef PERCEPT_X86_DISPATCH
  if (HasAvx2()) return CellRangeAvx2(a, begin, end, cells);
#endif
  CellRangeBaseline(a, begin, end, cells);
}

}  // namespace percept
