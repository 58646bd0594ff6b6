// Plain C++ interface of the paint kernel (PointPainting: per point class scores from the camera
// that sees it nearest), between paint_binding.cc and its backends (paint_cpu.cc, paint_cuda.cu).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "project_math.h"

namespace percept {

enum class PaintSourceKind : int { kMap = 0, kBoxes = 1 };

// Class scores for one camera: a score map (height x width cells, cellStride floats per cell, the
// first `classes` used; any resolution, scaled from image pixels) or 2D boxes with scores.
struct PaintSource {
  PaintSourceKind kind = PaintSourceKind::kMap;
  const float* map = nullptr;
  std::size_t mapWidth = 0, mapHeight = 0, cellStride = 0;
  const float* boxes = nullptr;     // boxCount x [x1, y1, x2, y2], image pixels
  const float* boxScores = nullptr; // boxCount x classes
  const float* boxMax = nullptr;    // boxCount: each box's highest score (precomputed per call)
  std::size_t boxCount = 0;
};

// Each box's highest class score; NaN scores never win (a box of only NaN gets -Inf).
inline void BoxMaxima(const float* scores, std::size_t boxCount, std::size_t classes, float* out) {
  for (std::size_t b = 0; b < boxCount; ++b) {
    float best = -INFINITY;
    for (std::size_t k = 0; k < classes; ++k) {
      const float s = scores[b * classes + k];
      if (s > best) best = s;
    }
    out[b] = best;
  }
}

// Paints point i: the camera with the smallest depth among those whose image holds the point
// (equal depths: the lower camera index) gives the scores; none gives zeros and camera -1.
// Shared by both backends so they agree exactly with native/reference/paint.ts.
PERCEPT_HD void PaintPoint(std::size_t i, const float* points, std::size_t stride,
                           const ProjectionCamera* cameras, const PaintSource* sources,
                           std::size_t cameraCount, std::size_t classes, double minDepth,
                           float* scores, std::int32_t* cameraOut) {
  const float* p = points + i * stride;
  int best = -1;
  float bestDepth = INFINITY, bestU = 0, bestV = 0;
  for (std::size_t c = 0; c < cameraCount; ++c) {
    const Projected r = cameras[c].distorted
                            ? ProjectOne<true>(cameras[c], p[0], p[1], p[2], minDepth)
                            : ProjectOne<false>(cameras[c], p[0], p[1], p[2], minDepth);
    if (r.inImage && r.depth < bestDepth) {
      best = static_cast<int>(c);
      bestDepth = r.depth;
      bestU = r.u;
      bestV = r.v;
    }
  }
  float* out = scores + i * classes;
  cameraOut[i] = best;
  const float* from = nullptr;
  if (best >= 0) {
    const PaintSource& s = sources[best];
    const ProjectionCamera& cam = cameras[best];
    if (s.kind == PaintSourceKind::kMap) {
      // cell = floor(u * mapWidth / width), clamped: rounding may reach the edge exactly.
      const double cu = floor(Div(Mul(static_cast<double>(bestU), static_cast<double>(s.mapWidth)), cam.width));
      const double cv = floor(Div(Mul(static_cast<double>(bestV), static_cast<double>(s.mapHeight)), cam.height));
      const std::size_t col = cu < static_cast<double>(s.mapWidth - 1) ? static_cast<std::size_t>(cu) : s.mapWidth - 1;
      const std::size_t row = cv < static_cast<double>(s.mapHeight - 1) ? static_cast<std::size_t>(cv) : s.mapHeight - 1;
      from = s.map + (row * s.mapWidth + col) * s.cellStride;
    } else {
      long chosen = -1;
      float chosenMax = 0;
      for (std::size_t b = 0; b < s.boxCount; ++b) {
        const float* box = s.boxes + 4 * b;
        const bool inside = box[0] <= bestU && bestU < box[2] && box[1] <= bestV && bestV < box[3];
        if (inside && (chosen < 0 || s.boxMax[b] > chosenMax)) {
          chosen = static_cast<long>(b);
          chosenMax = s.boxMax[b];
        }
      }
      if (chosen >= 0) from = s.boxScores + static_cast<std::size_t>(chosen) * classes;
    }
  }
  for (std::size_t k = 0; k < classes; ++k) out[k] = from != nullptr ? from[k] : 0.0f;
}

// scores: count x classes floats; cameraOut: count int32 (-1 where no camera sees the point).
void PaintPointsCpu(const float* points, std::size_t count, std::size_t stride,
                    const ProjectionCamera* cameras, const PaintSource* sources,
                    std::size_t cameraCount, std::size_t classes, double minDepth, float* scores,
                    std::int32_t* cameraOut);

#ifdef PERCEPT_WITH_CUDA
// Empty string on success, otherwise a message naming the failing CUDA call.
std::string PaintPointsCuda(const float* points, std::size_t count, std::size_t stride,
                            const ProjectionCamera* cameras, const PaintSource* sources,
                            std::size_t cameraCount, std::size_t classes, double minDepth,
                            float* scores, std::int32_t* cameraOut);
#endif

}  // namespace percept
