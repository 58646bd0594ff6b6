#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "backends.h"

namespace percept {
namespace {

// Below this many points, thread start-up costs more than the transform itself.
constexpr std::size_t kMinPointsPerThread = 32 * 1024;

void TransformRange(const float* in, float* out, std::size_t begin, std::size_t end,
                    std::size_t stride, const Affine34& t) {
  const double* m = t.m;
  const bool inPlace = in == out;
  for (std::size_t i = begin; i < end; ++i) {
    const float* p = in + i * stride;
    float* q = out + i * stride;
    // Read all three before writing: with in-place calls q aliases p.
    const double x = p[0], y = p[1], z = p[2];
    // Same evaluation order as transform-points.ts so both round to the same float.
    q[0] = static_cast<float>(m[0] * x + m[1] * y + m[2] * z + m[3]);
    q[1] = static_cast<float>(m[4] * x + m[5] * y + m[6] * z + m[7]);
    q[2] = static_cast<float>(m[8] * x + m[9] * y + m[10] * z + m[11]);
    if (!inPlace && stride > 3) std::memcpy(q + 3, p + 3, (stride - 3) * sizeof(float));
  }
}

}  // namespace

unsigned CpuThreadCount() {
  // hardware_concurrency() may legitimately report 0 when it cannot tell.
  return std::max(1u, std::thread::hardware_concurrency());
}

void TransformPointsCpu(const float* in, float* out, std::size_t count, std::size_t stride,
                        const Affine34& transform) {
  const std::size_t byWork = count / kMinPointsPerThread;
  const std::size_t threads = std::max<std::size_t>(1, std::min<std::size_t>(CpuThreadCount(), byWork));
  if (threads == 1) {
    TransformRange(in, out, 0, count, stride, transform);
    return;
  }
  const std::size_t chunk = (count + threads - 1) / threads;
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  // The calling thread takes the first chunk instead of idling in join().
  for (std::size_t t = 1; t < threads; ++t) {
    const std::size_t begin = std::min(count, t * chunk);
    const std::size_t end = std::min(count, begin + chunk);
    pool.emplace_back(TransformRange, in, out, begin, end, stride, std::cref(transform));
  }
  TransformRange(in, out, 0, std::min(count, chunk), stride, transform);
  for (auto& th : pool) th.join();
}

}  // namespace percept
