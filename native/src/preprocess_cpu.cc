// CPU backend of the image pre-processing kernel: output rows of all images split in contiguous
// ranges over std::thread; per image, the column taps are computed once and shared by its rows.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "preprocess.h"
#include "parallel.h"

namespace percept {
namespace {

constexpr int kRound = 1 << (2 * kPreprocessWeightBits - 1);
constexpr int kShift = 2 * kPreprocessWeightBits;

struct ImagePlan {
  PreprocessGeometry geometry;
  std::vector<std::int32_t> x0, x1, wx;  // per content column: byte offsets of the taps, weight
  int map[3] = {0, 1, 2};                // tensor channel k reads source channel map[k]
  std::size_t base = 0;                  // first element of the image's slot
};

struct Constants {
  float scale[3], bias[3];  // float output: v · scale + bias == (v / 2^22 / 255 - mean) / std
  float padF[3];
  std::uint8_t padU8;
};

template <typename T>
inline void Store(T* dst, std::int32_t v, float scale, float bias) {
  if constexpr (std::is_same_v<T, float>) {
    *dst = static_cast<float>(v) * scale + bias;
  } else {
    *dst = static_cast<std::uint8_t>((v + kRound) >> kShift);
  }
}

// Horizontal pass of one source row: for each source channel c and content column j,
// h[c * n + j] = p[x0] * (2^11 - w) + p[x1] * w (at most 255 * 2^11).
template <std::size_t kCh>
void HorizontalRow(const std::uint8_t* row, const ImagePlan& p, std::int32_t* h) {
  const std::size_t n = p.geometry.contentW;
  const std::int32_t* x0 = p.x0.data();
  const std::int32_t* x1 = p.x1.data();
  const std::int32_t* wx = p.wx.data();
  constexpr std::size_t kUsed = kCh >= 3 ? 3 : 1;  // alpha is never read
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint8_t* a = row + x0[j];
    const std::uint8_t* b = row + x1[j];
    const std::int32_t w = wx[j], iw = kPreprocessWeightOne - w;
    for (std::size_t c = 0; c < kUsed; ++c) h[c * n + j] = a[c] * iw + b[c] * w;
  }
}

void HorizontalRowAny(const std::uint8_t* row, std::size_t channels, const ImagePlan& p, std::int32_t* h) {
  switch (channels) {
    case 1: HorizontalRow<1>(row, p, h); break;
    case 2: HorizontalRow<2>(row, p, h); break;
    case 3: HorizontalRow<3>(row, p, h); break;
    default: HorizontalRow<4>(row, p, h); break;
  }
}

// Vertical pass into contiguous output (NCHW planes): the loops the compiler vectorizes; an AVX2
// clone is picked at load time where the CPU has it (8 int32 lanes per multiply).
__attribute__((target_clones("avx2", "default")))
void BlendPlaneF32(const std::int32_t* h0, const std::int32_t* h1, std::int32_t wy, std::size_t n,
                   float scale, float bias, float* out) {
  const std::int32_t iwy = kPreprocessWeightOne - wy;
  for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<float>(h0[j] * iwy + h1[j] * wy) * scale + bias;
}

__attribute__((target_clones("avx2", "default")))
void BlendPlaneU8(const std::int32_t* h0, const std::int32_t* h1, std::int32_t wy, std::size_t n,
                  std::uint8_t* out) {
  const std::int32_t iwy = kPreprocessWeightOne - wy;
  for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<std::uint8_t>((h0[j] * iwy + h1[j] * wy + kRound) >> kShift);
}

// One output row of content from the two horizontal rows (source channel planes of n values).
template <typename T, bool kNchw>
void ContentRow(const std::int32_t* h0, const std::int32_t* h1, std::int32_t wy, const ImagePlan& p,
                std::size_t plane, const Constants& c, T* out) {
  const std::size_t n = p.geometry.contentW;
  for (std::size_t k = 0; k < 3; ++k) {
    const std::size_t src = static_cast<std::size_t>(p.map[k]) * n;
    if constexpr (kNchw) {
      if constexpr (std::is_same_v<T, float>) BlendPlaneF32(h0 + src, h1 + src, wy, n, c.scale[k], c.bias[k], out + k * plane);
      else BlendPlaneU8(h0 + src, h1 + src, wy, n, out + k * plane);
    } else {
      const std::int32_t iwy = kPreprocessWeightOne - wy;
      for (std::size_t j = 0; j < n; ++j) Store(out + 3 * j + k, h0[src + j] * iwy + h1[src + j] * wy, c.scale[k], c.bias[k]);
    }
  }
}

// Horizontal rows of the two source rows a thread last used, so that neighbouring output rows
// that read the same source row (upscaling, mild downscaling) compute it once.
struct RowCache {
  std::vector<std::int32_t> buf[2];
  const std::uint8_t* row[2] = {nullptr, nullptr};
  const ImagePlan* plan[2] = {nullptr, nullptr};

  // The horizontal row of `src`, never evicting the one holding `keep`.
  const std::int32_t* Get(const std::uint8_t* src, std::size_t channels, const ImagePlan& p,
                          const std::int32_t* keep) {
    for (int i = 0; i < 2; ++i) {
      if (row[i] == src && plan[i] == &p) return buf[i].data();
    }
    const int slot = (keep != nullptr && keep == buf[0].data()) ? 1 : 0;
    const std::size_t need = 3 * p.geometry.contentW;
    if (buf[slot].size() < need) buf[slot].resize(need);
    HorizontalRowAny(src, channels, p, buf[slot].data());
    row[slot] = src;
    plan[slot] = &p;
    return buf[slot].data();
  }
};

template <typename T, bool kNchw>
void PadPixels(T* out, std::size_t from, std::size_t to, std::size_t plane, const Constants& c) {
  for (std::size_t k = 0; k < 3; ++k) {
    T value;
    if constexpr (std::is_same_v<T, float>) value = c.padF[k]; else value = c.padU8;
    for (std::size_t j = from; j < to; ++j) {
      if constexpr (kNchw) out[k * plane + j] = value; else out[3 * j + k] = value;
    }
  }
}

template <typename T, bool kNchw>
void Row(const PreprocessImage& img, const ImagePlan& p, const PreprocessSpec& spec,
         const Constants& c, std::size_t dy, T* slot, RowCache& cache) {
  const std::size_t W = spec.width, plane = spec.width * spec.height;
  T* row = kNchw ? slot + dy * W : slot + dy * W * 3;
  const PreprocessGeometry& g = p.geometry;
  if (dy < g.padY || dy >= g.padY + g.contentH) {
    PadPixels<T, kNchw>(row, 0, W, plane, c);
    return;
  }
  PadPixels<T, kNchw>(row, 0, g.padX, plane, c);
  PadPixels<T, kNchw>(row, g.padX + g.contentW, W, plane, c);
  const AxisTap ty = ComputeAxisTap(dy - g.padY, g.scaleY, img.height);
  const std::int32_t* h0 = cache.Get(img.data + ty.i0 * img.rowStride, img.channels, p, nullptr);
  const std::int32_t* h1 = cache.Get(img.data + ty.i1 * img.rowStride, img.channels, p, h0);
  T* content = kNchw ? row + g.padX : row + 3 * g.padX;
  ContentRow<T, kNchw>(h0, h1, ty.w1, p, plane, c, content);
}

template <typename T, bool kNchw>
void RunAll(const PreprocessImage* images, std::size_t count, const PreprocessSpec& spec,
            const std::vector<ImagePlan>& plans, const Constants& c, T* out) {
  const std::size_t rows = count * spec.height;
  constexpr std::size_t kMinRowsPerThread = 32;
  ParallelRanges(rows, kMinRowsPerThread, [&](std::size_t begin, std::size_t end) {
    RowCache cache;
    for (std::size_t r = begin; r < end; ++r) {
      const std::size_t i = r / spec.height, dy = r % spec.height;
      Row<T, kNchw>(images[i], plans[i], spec, c, dy, out + plans[i].base, cache);
    }
  });
}

}  // namespace

void PreprocessImagesCpu(const PreprocessImage* images, std::size_t count,
                         const PreprocessSpec& spec, void* out) {
  const std::size_t slotElements = 3 * spec.width * spec.height;
  std::vector<ImagePlan> plans(count);
  for (std::size_t i = 0; i < count; ++i) {
    const PreprocessImage& img = images[i];
    ImagePlan& p = plans[i];
    p.geometry = ComputePreprocessGeometry(img.width, img.height, spec);
    p.base = img.slot * slotElements;
    const std::size_t n = p.geometry.contentW;
    p.x0.resize(n);
    p.x1.resize(n);
    p.wx.resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      const AxisTap t = ComputeAxisTap(j, p.geometry.scaleX, img.width);
      p.x0[j] = static_cast<std::int32_t>(t.i0 * img.channels);
      p.x1[j] = static_cast<std::int32_t>(t.i1 * img.channels);
      p.wx[j] = t.w1;
    }
    for (int k = 0; k < 3; ++k) {
      if (img.channels < 3) {
        p.map[k] = 0;
      } else {
        const int colour = spec.bgr ? 2 - k : k;  // 0 = R, 1 = G, 2 = B
        p.map[k] = img.bgr ? 2 - colour : colour;
      }
    }
  }
  Constants c{};
  for (int k = 0; k < 3; ++k) {
    c.scale[k] = static_cast<float>(1.0 / (static_cast<double>(1 << kShift) * 255.0 * spec.std[k]));
    c.bias[k] = static_cast<float>(-spec.mean[k] / spec.std[k]);
    c.padF[k] = static_cast<float>((spec.padValue / 255.0 - spec.mean[k]) / spec.std[k]);
  }
  c.padU8 = static_cast<std::uint8_t>(std::clamp(std::floor(spec.padValue + 0.5), 0.0, 255.0));
  if (spec.floatOut) {
    float* o = static_cast<float*>(out);
    if (spec.nchw) RunAll<float, true>(images, count, spec, plans, c, o);
    else RunAll<float, false>(images, count, spec, plans, c, o);
  } else {
    std::uint8_t* o = static_cast<std::uint8_t*>(out);
    if (spec.nchw) RunAll<std::uint8_t, true>(images, count, spec, plans, c, o);
    else RunAll<std::uint8_t, false>(images, count, spec, plans, c, o);
  }
}

}  // namespace percept
