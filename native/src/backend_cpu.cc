#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "backends.h"
#include "parallel.h"

namespace percept {
namespace {

// Below this many points per thread, handing work to another core costs more than it saves.
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
  // Decided once: glibc answers hardware_concurrency() by reading sysfs, and the pool's size is
  // fixed when it starts. hardware_concurrency() may legitimately report 0 when it cannot tell.
  static const unsigned threads = [] {
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    const char* cap = std::getenv("PERCEPT_CPU_THREADS");
    if (cap == nullptr || *cap == '\0') return hw;
    char* end = nullptr;
    const long n = std::strtol(cap, &end, 10);
    return *end == '\0' && n >= 1 ? std::min(hw, static_cast<unsigned>(std::min(n, 4096L))) : hw;
  }();
  return threads;
}

void TransformPointsCpu(const float* in, float* out, std::size_t count, std::size_t stride,
                        const Affine34& transform) {
  ParallelRanges(count, kMinPointsPerThread, [&](std::size_t begin, std::size_t end) {
    TransformRange(in, out, begin, end, stride, transform);
  });
}

}  // namespace percept
