// CPU backend of the paint kernel: contiguous point ranges over std::thread.
#include "paint.h"
#include "parallel.h"

namespace percept {

void PaintPointsCpu(const float* points, std::size_t count, std::size_t stride,
                    const ProjectionCamera* cameras, const PaintSource* sources,
                    std::size_t cameraCount, std::size_t classes, double minDepth, float* scores,
                    std::int32_t* cameraOut) {
  constexpr std::size_t kMinPointsPerThread = 16 * 1024;
  ParallelRanges(count, kMinPointsPerThread, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      PaintPoint(i, points, stride, cameras, sources, cameraCount, classes, minDepth, scores,
                 cameraOut);
    }
  });
}

}  // namespace percept
