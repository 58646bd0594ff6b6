// CPU association kernel: projected cluster rectangles per camera, then the IoU matrix.
#include <cmath>
#include <limits>

#include "associate.h"

namespace percept {

void AssociateCpu(const AssociateInput& in, double* rects, double* iou) {
  const std::size_t pairs = in.cameraCount * in.clusters;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ParallelRanges(pairs, 512, [&](std::size_t b, std::size_t e) {
    for (std::size_t t = b; t < e; ++t) {
      const std::size_t cam = t / in.clusters, k = t % in.clusters;
      const Rect r = ProjectBox(in.corners + 24 * k, in.cameras + kCameraRecord * cam, in.nearZ);
      double* out = rects + 4 * t;
      out[0] = r.valid ? r.x1 : nan;
      out[1] = r.valid ? r.y1 : nan;
      out[2] = r.valid ? r.x2 : nan;
      out[3] = r.valid ? r.y2 : nan;
    }
  });
  ParallelRanges(in.clusters * in.boxCount, 1 << 14, [&](std::size_t b, std::size_t e) {
    for (std::size_t t = b; t < e; ++t) {
      const std::size_t k = t / in.boxCount, j = t % in.boxCount;
      const double* rr = rects + 4 * (static_cast<std::size_t>(in.boxCamera[j]) * in.clusters + k);
      const Rect r{rr[0], rr[1], rr[2], rr[3], !std::isnan(rr[0])};
      iou[t] = RectIou(r, in.boxes + 4 * j);
    }
  });
}

}  // namespace percept
