// CPU backend of the project kernel. Points are taken in blocks: a strided gather of x, y, z into
// small double arrays (once per block, shared by every camera), then one loop per camera over the
// block that the compiler turns into SIMD, writing the structure-of-arrays outputs. The loops are
// built for SSE2 and AVX2 (simd.h); both round every operation exactly as ProjectOne
// (project_math.h) and the TypeScript reference do.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "parallel.h"
#include "project.h"
#include "scratch.h"
#include "simd.h"

namespace percept {
namespace {

constexpr std::size_t kBlock = 256;
// Points per pool task: big enough that claiming a task is noise, small enough that two cores
// share even one small sweep.
constexpr std::size_t kTaskPoints = 16 * kBlock;
// Below this many point-camera projections one core is quicker than waking another.
constexpr std::size_t kMinParallelWork = 24 * 1024;

struct alignas(64) PointBlock {
  double x[kBlock], y[kBlock], z[kBlock];
};

template <std::size_t Stride>
PERCEPT_ALWAYS_INLINE void GatherFixed(const float* __restrict__ p, std::size_t n,
                                       PointBlock& b) {
  for (std::size_t j = 0; j < n; ++j) {
    b.x[j] = p[j * Stride];
    b.y[j] = p[j * Stride + 1];
    b.z[j] = p[j * Stride + 2];
  }
}

// The common LiDAR layouts get a compile-time stride, which lets the loads be scheduled freely.
PERCEPT_ALWAYS_INLINE void Gather(const float* __restrict__ p, std::size_t stride, std::size_t n,
                                  PointBlock& b) {
  switch (stride) {
    case 3: return GatherFixed<3>(p, n, b);
    case 4: return GatherFixed<4>(p, n, b);
    case 5: return GatherFixed<5>(p, n, b);
    default:
      for (std::size_t j = 0; j < n; ++j) {
        b.x[j] = p[j * stride];
        b.y[j] = p[j * stride + 1];
        b.z[j] = p[j * stride + 2];
      }
  }
}

// ProjectOne<Distort> over a block, operation for operation (same products, sums and order).
template <bool Distort>
PERCEPT_ALWAYS_INLINE void ProjectBlock(const ProjectionCamera& c, double minDepth,
                                        const PointBlock& b, std::size_t n,
                                        float* __restrict__ u, float* __restrict__ v,
                                        float* __restrict__ depth,
                                        std::uint8_t* __restrict__ inImage) {
  const double m0 = c.m[0], m1 = c.m[1], m2 = c.m[2], m3 = c.m[3];
  const double m4 = c.m[4], m5 = c.m[5], m6 = c.m[6], m7 = c.m[7];
  const double m8 = c.m[8], m9 = c.m[9], m10 = c.m[10], m11 = c.m[11];
  const double fx = c.fx, fy = c.fy, cx = c.cx, cy = c.cy;
  const double k1 = c.k1, k2 = c.k2, k3 = c.k3, p1 = c.p1, p2 = c.p2;
  // width and height are whole numbers <= 65536, exact in float: comparing the float u, v with
  // them in float is the reference's comparison in double.
  const float width = static_cast<float>(c.width), height = static_cast<float>(c.height);
  for (std::size_t j = 0; j < n; ++j) {
    const double x = b.x[j], y = b.y[j], z = b.z[j];
    const double xc = m0 * x + m1 * y + m2 * z + m3;
    const double yc = m4 * x + m5 * y + m6 * z + m7;
    const double zc = m8 * x + m9 * y + m10 * z + m11;
    const double iz = 1.0 / zc;
    double xn = xc * iz;
    double yn = yc * iz;
    if (Distort) {
      const double r2 = xn * xn + yn * yn;
      const double radial = 1.0 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2;
      const double xd = xn * radial + 2.0 * p1 * xn * yn + p2 * (r2 + 2.0 * xn * xn);
      const double yd = yn * radial + p1 * (r2 + 2.0 * yn * yn) + 2.0 * p2 * xn * yn;
      xn = xd;
      yn = yd;
    }
    const float uf = static_cast<float>(fx * xn + cx);
    const float vf = static_cast<float>(fy * yn + cy);
    const float df = static_cast<float>(zc);
    u[j] = uf;
    v[j] = vf;
    depth[j] = df;
    // No separate finiteness test (ProjectOne has one): a NaN coordinate makes zc NaN, and an
    // infinite one makes zc infinite or NaN and xc infinite or NaN, so that either depth fails
    // "> minDepth" or xn = xc * (1 / zc) is NaN and u fails every comparison. Non-finite points
    // come out of the image exactly as there.
    inImage[j] = static_cast<std::uint8_t>((uf >= 0.0f) & (uf < width) & (vf >= 0.0f) &
                                           (vf < height) & (static_cast<double>(df) > minDepth));
  }
}

struct ProjectArgs {
  const float* points;
  std::size_t count, stride;
  const ProjectionCamera* cameras;
  std::size_t cameraCount;
  double minDepth;
  ProjectOutputs out;
};

PERCEPT_ALWAYS_INLINE void ProjectRangeBody(const ProjectArgs& a, std::size_t begin,
                                            std::size_t end) {
  PointBlock block;
  for (std::size_t i = begin; i < end; i += kBlock) {
    const std::size_t n = std::min(kBlock, end - i);
    Gather(a.points + i * a.stride, a.stride, n, block);
    for (std::size_t c = 0; c < a.cameraCount; ++c) {
      const std::size_t o = c * a.count + i;
      if (a.cameras[c].distorted) {
        ProjectBlock<true>(a.cameras[c], a.minDepth, block, n, a.out.u + o, a.out.v + o,
                           a.out.depth + o, a.out.inImage + o);
      } else {
        ProjectBlock<false>(a.cameras[c], a.minDepth, block, n, a.out.u + o, a.out.v + o,
                            a.out.depth + o, a.out.inImage + o);
      }
    }
  }
}

// For the z-buffer: each point's pixel and depth, the depth +Inf (never nearer than a pixel's
// content) when the point is not in the image.
PERCEPT_ALWAYS_INLINE void PixelRangeBody(const ProjectArgs& a, std::size_t begin, std::size_t end,
                                          std::uint32_t* pixel, float* depth) {
  const ProjectionCamera& cam = a.cameras[0];
  const std::uint32_t width = static_cast<std::uint32_t>(cam.width);
  PointBlock block;
  alignas(64) float u[kBlock], v[kBlock];
  alignas(64) std::uint8_t in[kBlock];
  for (std::size_t i = begin; i < end; i += kBlock) {
    const std::size_t n = std::min(kBlock, end - i);
    Gather(a.points + i * a.stride, a.stride, n, block);
    if (cam.distorted) {
      ProjectBlock<true>(cam, a.minDepth, block, n, u, v, depth + i, in);
    } else {
      ProjectBlock<false>(cam, a.minDepth, block, n, u, v, depth + i, in);
    }
    for (std::size_t j = 0; j < n; ++j) {
      // u, v are in [0, width) x [0, height) whenever in[j], so they convert to the pixel's
      // column and row; other points convert 0 (converting NaN or a huge float is undefined).
      const std::uint32_t col = static_cast<std::uint32_t>(in[j] ? u[j] : 0.0f);
      const std::uint32_t row = static_cast<std::uint32_t>(in[j] ? v[j] : 0.0f);
      pixel[i + j] = row * width + col;
      if (!in[j]) depth[i + j] = std::numeric_limits<float>::infinity();
    }
  }
}

void ProjectRangeBaseline(const ProjectArgs& a, std::size_t begin, std::size_t end) {
  ProjectRangeBody(a, begin, end);
}

void PixelRangeBaseline(const ProjectArgs& a, std::size_t begin, std::size_t end, std::uint32_t* pixel,
                        float* depth) {
  PixelRangeBody(a, begin, end, pixel, depth);
}

#ifdef PERCEPT_X86_DISPATCH
PERCEPT_TARGET_AVX2 void ProjectRangeAvx2(const ProjectArgs& a, std::size_t begin,
                                          std::size_t end) {
  ProjectRangeBody(a, begin, end);
}

PERCEPT_TARGET_AVX2 void PixelRangeAvx2(const ProjectArgs& a, std::size_t begin, std::size_t end,
                                        std::uint32_t* pixel, float* depth) {
  PixelRangeBody(a, begin, end, pixel, depth);
}
#endif

struct DepthScratch {
  std::vector<std::uint32_t> pixel;
  std::vector<float> depth;
  void Trim() {
    TrimScratch(pixel, 32u << 20);
    TrimScratch(depth, 32u << 20);
  }
};

using RangeFn = void (*)(const ProjectArgs&, std::size_t, std::size_t);

RangeFn PickRange() {
#ifdef PERCEPT_X86_DISPATCH
  if (HasAvx2()) return ProjectRangeAvx2;
#endif
  return ProjectRangeBaseline;
}

void ProjectAll(const ProjectArgs& a) {
  const RangeFn range = PickRange();
  if (a.count * a.cameraCount < kMinParallelWork) {
    range(a, 0, a.count);
    return;
  }
  ParallelChunks(a.count, kTaskPoints, [&](std::size_t b, std::size_t e) { range(a, b, e); });
}

}  // namespace

void ProjectPointsCpu(const float* points, std::size_t count, std::size_t stride,
                      const ProjectionCamera* cameras, std::size_t cameraCount, double minDepth,
                      const ProjectOutputs& out) {
  if (count == 0 || cameraCount == 0) return;
  ProjectAll(ProjectArgs{points, count, stride, cameras, cameraCount, minDepth, out});
}

void DepthImageCpu(const float* points, std::size_t count, std::size_t stride,
                   const ProjectionCamera& camera, double minDepth, float* image) {
  const std::size_t width = static_cast<std::size_t>(camera.width);
  const std::size_t height = static_cast<std::size_t>(camera.height);
  const std::size_t pixels = width * height;
  auto scratch = ProcessScratch<DepthScratch>().Acquire();
  // Pixels index images of up to 65536 x 65536, so they fit 32 bits.
  scratch->pixel.resize(count);
  scratch->depth.resize(count);
  std::uint32_t* pix = scratch->pixel.data();
  float* dep = scratch->depth.data();
  const ProjectArgs args{points, count, stride, &camera, 1, minDepth, ProjectOutputs{}};
  auto range = PixelRangeBaseline;
#ifdef PERCEPT_X86_DISPATCH
  if (HasAvx2()) range = PixelRangeAvx2;
#endif
  if (count < kMinParallelWork) {
    range(args, 0, count, pix, dep);
  } else {
    ParallelChunks(count, kTaskPoints, [&](std::size_t b, std::size_t e) { range(args, b, e, pix, dep); });
  }
  // Each thread owns a band of rows and scans every point in index order, keeping strictly
  // nearer depths only: the result (lower index wins ties) is the same for any thread count.
  const std::size_t bandWork = count + pixels;
  const std::size_t threadsByWork = bandWork / (64 * 1024);
  const std::size_t minRowsPerThread =
      threadsByWork == 0 ? height : std::max<std::size_t>(1, height / threadsByWork);
  ParallelRanges(height, minRowsPerThread, [&](std::size_t rowBegin, std::size_t rowEnd) {
    const std::size_t lo = rowBegin * width, hi = rowEnd * width;
    std::fill(image + lo, image + hi, std::numeric_limits<float>::infinity());
    float* band = image + lo;
    const std::size_t span = hi - lo;
    for (std::size_t i = 0; i < count; ++i) {
      // Unsigned wrap-around makes one comparison test lo <= pixel < hi.
      const std::size_t p = static_cast<std::size_t>(pix[i]) - lo;
      if (p < span && dep[i] < band[p]) band[p] = dep[i];
    }
  });
}

}  // namespace percept
