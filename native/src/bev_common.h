// Plain C++ pieces shared by the BEV, clustering and association kernels (CPU and CUDA sides):
// the grid, the one cell-index formula every backend must evaluate identically, and a tiny
// contiguous-range parallel-for. Free of napi.h so .cu files may include it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

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

#ifndef __CUDACC__
// Runs fn(begin, end) over [0, count) in contiguous ranges, on the calling thread plus up to
// hardware_concurrency - 1 others; below minPerThread items per thread it stays single-threaded
// because starting a thread costs more than the work.
template <typename Fn>
void ParallelRanges(std::size_t count, std::size_t minPerThread, Fn&& fn) {
  const std::size_t hw = std::max(1u, std::thread::hardware_concurrency());
  const std::size_t threads = std::max<std::size_t>(1, std::min(hw, count / std::max<std::size_t>(1, minPerThread)));
  if (threads <= 1) {
    fn(std::size_t{0}, count);
    return;
  }
  const std::size_t chunk = (count + threads - 1) / threads;
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) {
    const std::size_t begin = std::min(count, t * chunk);
    const std::size_t end = std::min(count, begin + chunk);
    pool.emplace_back([&fn, begin, end] { fn(begin, end); });
  }
  fn(std::size_t{0}, std::min(count, chunk));
  for (auto& th : pool) th.join();
}
#endif

}  // namespace percept
