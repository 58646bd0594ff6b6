// Plain C++ interface of the image pre-processing kernel (resize or letterbox, normalize, layout,
// batch), between preprocess_binding.cc and preprocess_cpu.cc. The geometry and the fixed-point
// bilinear weights follow native/reference/preprocess.ts operation for operation, so uint8 output
// agrees exactly and float output within rounding.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace percept {

// Bilinear weights are integers out of 2^11 (as OpenCV's INTER_LINEAR does for 8-bit images):
// the two passes multiply to 2^22, and 255 · 2^22 still fits an int32.
constexpr int kPreprocessWeightBits = 11;
constexpr std::int32_t kPreprocessWeightOne = 1 << kPreprocessWeightBits;

struct PreprocessImage {
  const std::uint8_t* data = nullptr;
  std::size_t width = 0, height = 0;
  std::size_t channels = 3;  // 1 (grey), 2 (grey + alpha), 3, 4 (alpha ignored)
  std::size_t rowStride = 0; // bytes per row, >= width * channels
  bool bgr = false;          // source channel order for 3 and 4 channels
  std::size_t slot = 0;      // batch index in the output tensor
};

struct PreprocessSpec {
  std::size_t width = 0, height = 0;
  bool nchw = true;
  bool bgr = false;        // output channel order
  bool letterbox = false;
  double padValue = 114;   // pixel value (0..255) of the letterbox border, before normalization
  double mean[3] = {0, 0, 0};
  double std[3] = {1, 1, 1};
  bool floatOut = true;    // float32 normalized, else uint8 pixel values (mean/std unused)
};

// Where the image lands inside the tensor: scale from source to tensor pixels per axis, the pad
// before the content, and the content size. Plain resize: no pad, content = whole tensor.
struct PreprocessGeometry {
  double scaleX = 1, scaleY = 1;
  std::size_t padX = 0, padY = 0, contentW = 0, contentH = 0;
};

inline double RoundHalfEven(double x) {
  const double f = std::floor(x), d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return std::fmod(f, 2.0) == 0 ? f : f + 1;
}

inline PreprocessGeometry ComputePreprocessGeometry(std::size_t srcW, std::size_t srcH,
                                                    const PreprocessSpec& spec) {
  PreprocessGeometry g;
  const double tw = static_cast<double>(spec.width), th = static_cast<double>(spec.height);
  const double sw = static_cast<double>(srcW), sh = static_cast<double>(srcH);
  if (!spec.letterbox) {
    g.scaleX = tw / sw;
    g.scaleY = th / sh;
    g.contentW = spec.width;
    g.contentH = spec.height;
    return g;
  }
  const double r = std::fmin(tw / sw, th / sh);
  g.scaleX = g.scaleY = r;
  // Python's round (halves to even), as Ultralytics' LetterBox sizes the resized image.
  const double cw = RoundHalfEven(sw * r), ch = RoundHalfEven(sh * r);
  g.contentW = static_cast<std::size_t>(std::fmax(1.0, std::fmin(tw, cw)));
  g.contentH = static_cast<std::size_t>(std::fmax(1.0, std::fmin(th, ch)));
  // YOLOv5's letterbox puts round(dw - 0.1) on the left: floor of the half for whole pads.
  g.padX = (spec.width - g.contentW) / 2;
  g.padY = (spec.height - g.contentH) / 2;
  return g;
}

// Source sample positions of one output axis: pixel centres map by (d + 0.5) / scale - 0.5, clamped
// to the image, as OpenCV's INTER_LINEAR does.
struct AxisTap {
  std::size_t i0 = 0, i1 = 0;
  std::int32_t w1 = 0;  // weight of i1 out of kPreprocessWeightOne
};

inline AxisTap ComputeAxisTap(std::size_t d, double scale, std::size_t srcSize) {
  double s = (static_cast<double>(d) + 0.5) / scale - 0.5;
  const double last = static_cast<double>(srcSize - 1);
  if (s < 0) s = 0;
  if (s > last) s = last;
  const double f = std::floor(s);
  AxisTap t;
  t.i0 = static_cast<std::size_t>(f);
  t.i1 = t.i0 + 1 < srcSize ? t.i0 + 1 : t.i0;
  t.w1 = static_cast<std::int32_t>(std::floor((s - f) * kPreprocessWeightOne + 0.5));
  return t;
}

// Writes every image into its slot of `out` (float or uint8, slots x 3 x H x W elements).
// The caller has checked sizes: each image's bytes and each slot lie inside `out`.
void PreprocessImagesCpu(const PreprocessImage* images, std::size_t count,
                         const PreprocessSpec& spec, void* out);

}  // namespace percept
