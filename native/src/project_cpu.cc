// CPU backend of the project kernel: std::thread over contiguous point ranges, one pass per
// camera per range, structure-of-arrays outputs so the inner loop has no stores it cannot batch.
#include <cmath>
#include <limits>
#include <memory>

#include "project.h"
#include "project_parallel.h"

namespace percept {
namespace {

constexpr std::size_t kMinPointsPerThread = 64 * 1024;

// Points are read in blocks: a strided gather into small x, y, z arrays, then a loop over those
// that the compiler turns into SIMD (a strided record layout alone defeats the vectorizer).
constexpr std::size_t kBlock = 256;

template <bool Distort>
void ProjectRange(const float* __restrict__ points, std::size_t stride, const ProjectionCamera& cam,
                  double minDepth, std::size_t begin, std::size_t end, float* __restrict__ u,
                  float* __restrict__ v, float* __restrict__ depth,
                  std::uint8_t* __restrict__ inImage) {
  const ProjectionCamera c = cam;  // a local copy: the compiler need not reload it after stores
  alignas(64) float xs[kBlock], ys[kBlock], zs[kBlock];
  for (std::size_t b = begin; b < end; b += kBlock) {
    const std::size_t n = std::min(kBlock, end - b);
    const float* p = points + b * stride;
    for (std::size_t j = 0; j < n; ++j) {
      xs[j] = p[j * stride];
      ys[j] = p[j * stride + 1];
      zs[j] = p[j * stride + 2];
    }
    float* __restrict__ ub = u + b;
    float* __restrict__ vb = v + b;
    float* __restrict__ db = depth + b;
    std::uint8_t* __restrict__ ib = inImage + b;
    for (std::size_t j = 0; j < n; ++j) {
      const Projected r = ProjectOne<Distort>(c, xs[j], ys[j], zs[j], minDepth);
      ub[j] = r.u;
      vb[j] = r.v;
      db[j] = r.depth;
      ib[j] = r.inImage;
    }
  }
}

// The common LiDAR layouts get a compile-time stride, which lets the loads be scheduled freely.
template <bool Distort>
void ProjectRangeAnyStride(const float* points, std::size_t stride, const ProjectionCamera& cam,
                           double minDepth, std::size_t begin, std::size_t end, float* u, float* v,
                           float* depth, std::uint8_t* inImage) {
  switch (stride) {
    case 3: return ProjectRange<Distort>(points, 3, cam, minDepth, begin, end, u, v, depth, inImage);
    case 4: return ProjectRange<Distort>(points, 4, cam, minDepth, begin, end, u, v, depth, inImage);
    case 5: return ProjectRange<Distort>(points, 5, cam, minDepth, begin, end, u, v, depth, inImage);
    default: return ProjectRange<Distort>(points, stride, cam, minDepth, begin, end, u, v, depth, inImage);
  }
}

void ProjectCameraRange(const float* points, std::size_t count, std::size_t stride,
                        const ProjectionCamera& cam, std::size_t c, double minDepth,
                        std::size_t begin, std::size_t end, const ProjectOutputs& out) {
  const std::size_t base = c * count;
  auto run = cam.distorted ? ProjectRangeAnyStride<true> : ProjectRangeAnyStride<false>;
  run(points, stride, cam, minDepth, begin, end, out.u + base, out.v + base, out.depth + base,
      out.inImage + base);
}

// Pixel index of each point (or -1 when not in the image) and its depth, for the z-buffer. The
// projection runs block by block through the vectorized ProjectRange.
void PixelRange(const float* points, std::size_t stride, const ProjectionCamera& cam,
                double minDepth, std::size_t begin, std::size_t end, std::int64_t* pixel,
                float* depth) {
  const std::int64_t width = static_cast<std::int64_t>(cam.width);
  auto project = cam.distorted ? ProjectRangeAnyStride<true> : ProjectRangeAnyStride<false>;
  alignas(64) float u[kBlock], v[kBlock];
  alignas(64) std::uint8_t in[kBlock];
  for (std::size_t b = begin; b < end; b += kBlock) {
    const std::size_t n = std::min(kBlock, end - b);
    project(points + b * stride, stride, cam, minDepth, 0, n, u, v, depth + b, in);
    for (std::size_t j = 0; j < n; ++j) {
      // u, v are in [0, width) x [0, height) whenever in[j], so the floors index the image;
      // other points convert 0 instead (converting NaN or a huge float to an integer is undefined).
      const float uu = in[j] ? u[j] : 0.0f, vv = in[j] ? v[j] : 0.0f;
      const std::int64_t px = static_cast<std::int64_t>(std::floor(vv)) * width +
                              static_cast<std::int64_t>(std::floor(uu));
      pixel[b + j] = in[j] ? px : -1;
    }
  }
}

}  // namespace

void ProjectPointsCpu(const float* points, std::size_t count, std::size_t stride,
                      const ProjectionCamera* cameras, std::size_t cameraCount, double minDepth,
                      const ProjectOutputs& out) {
  ParallelRanges(count, kMinPointsPerThread, [&](std::size_t begin, std::size_t end) {
    for (std::size_t c = 0; c < cameraCount; ++c) {
      ProjectCameraRange(points, count, stride, cameras[c], c, minDepth, begin, end, out);
    }
  });
}

void DepthImageCpu(const float* points, std::size_t count, std::size_t stride,
                   const ProjectionCamera& camera, double minDepth, float* image) {
  const std::size_t width = static_cast<std::size_t>(camera.width);
  const std::size_t height = static_cast<std::size_t>(camera.height);
  const std::size_t pixels = width * height;
  // Scratch per call, not per point: new[] leaves it uninitialised, every slot is written below.
  std::unique_ptr<std::int64_t[]> pixel(new std::int64_t[count == 0 ? 1 : count]);
  std::unique_ptr<float[]> depth(new float[count == 0 ? 1 : count]);
  ParallelRanges(count, kMinPointsPerThread, [&](std::size_t begin, std::size_t end) {
    PixelRange(points, stride, camera, minDepth, begin, end, pixel.get(), depth.get());
  });
  // Each thread owns a band of rows and scans every point in index order, keeping strictly
  // nearer depths only: the result (lower index wins ties) is the same for any thread count.
  const std::int64_t* pix = pixel.get();
  const float* dep = depth.get();
  const std::size_t bandWork = count + pixels;
  const std::size_t threadsByWork = bandWork / kMinPointsPerThread;
  const std::size_t minRowsPerThread =
      threadsByWork == 0 ? height : std::max<std::size_t>(1, height / threadsByWork);
  ParallelRanges(height, minRowsPerThread, [&](std::size_t rowBegin, std::size_t rowEnd) {
    const std::int64_t lo = static_cast<std::int64_t>(rowBegin * width);
    const std::int64_t hi = static_cast<std::int64_t>(rowEnd * width);
    std::fill(image + lo, image + hi, std::numeric_limits<float>::infinity());
    for (std::size_t i = 0; i < count; ++i) {
      const std::int64_t p = pix[i];
      if (p >= lo && p < hi && dep[i] < image[p]) image[p] = dep[i];
    }
  });
}

}  // namespace percept
