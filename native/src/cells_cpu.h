// CPU cell indexing of many points at once, shared by the BEV rasterizer and clustering.
#pragma once

#include <cstddef>
#include <cstdint>

#include "bev_common.h"

namespace percept {

// cells[i - begin] = CellOf(p[fx], p[fy]) for the points i in [begin, end), or -1 when the point
// is outside the grid, its z is not finite, or (fi >= 0) float fi is not finite: exactly
// CellOf's answers, computed a block at a time in SIMD.
void CellRange(const float* points, std::size_t stride, std::size_t begin, std::size_t end,
               int32_t fx, int32_t fy, int32_t fz, int32_t fi, const BevGrid& grid,
               int32_t* cells);

}  // namespace percept
