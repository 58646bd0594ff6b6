// Plain C++ pieces shared by the BEV, clustering and association kernels (CPU and CUDA sides):
// the grid and the one cell-index formula every backend must evaluate identically. Free of napi.h
// so .cu files may include it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#ifndef __CUDACC__
#include "parallel.h"  // ParallelRanges, for the CPU backends
#endif

#ifdef __CUDACC__
#define PERCEPT_HD __host__ __device__
#else
#define PERCEPT_HD
#endif

namespace percept {

// Cells cover [xMin, xMin + width * resolution) × [yMin, yMin + height * resolution); width and
// height are computed once in TypeScript (gridShape) and passed in, so no backend re-derives them.
// Layout everywhere: cell = row * width + col, row along y, col along x.
struct BevGrid {
  double xMin = 0, yMin = 0, resolution = 1;
  int32_t width = 0, height = 0;
  PERCEPT_HD std::size_t cells() const { return static_cast<std::size_t>(width) * static_cast<std::size_t>(height); }
};

// The cell of (x, y), or -1 when outside the grid or not finite. Subtraction and division only
// (no multiply-add the compiler could contract into an FMA), in double, so TypeScript, the CPU and
// CUDA all get bit-identical indexes.
PERCEPT_HD inline int32_t CellOf(float xf, float yf, double xMin, double yMin, double resolution,
                                 int32_t width, int32_t height) {
  const double x = xf, y = yf;
  if (!(x - x == 0.0) || !(y - y == 0.0)) return -1;  // NaN or ±Inf
  const double c = floor((x - xMin) / resolution);
  const double r = floor((y - yMin) / resolution);
  if (c < 0.0 || r < 0.0 || c >= static_cast<double>(width) || r >= static_cast<double>(height)) return -1;
  return static_cast<int32_t>(r) * width + static_cast<int32_t>(c);
}

PERCEPT_HD inline bool IsFinite(float v) { return v - v == 0.0f; }

}  // namespace percept
