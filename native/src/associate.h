// Plain C++ interface of the camera association kernel: project each cluster's 3D box (its 8
// corners, precomputed by the caller) into every camera, take the bounding rectangle clipped to
// the image, and compute its IoU with each 2D detection box of that camera. The projection is a
// single source used by the CPU and CUDA builds; Mul/Add/Sub are correctly rounded on both (no
// FMA contraction) so all backends and the TypeScript reference agree to the bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "bev_common.h"

namespace percept {

// width, height, fx, fy, cx, cy, k1, k2, p1, p2, k3, top three rows of cameraFromSensor (row-major)
constexpr int kCameraRecord = 23;

PERCEPT_HD inline double Mul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
PERCEPT_HD inline double Add(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
PERCEPT_HD inline double Sub(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}

struct Rect {
  double x1, y1, x2, y2;
  bool valid;
};

// corners: 8 points x,y,z (corner i has bit 0 / 1 / 2 selecting the length / width / height end).
PERCEPT_HD inline Rect ProjectBox(const double* corners, const double* cam, double nearZ) {
  const double* m = cam + 11;
  double cx[8], cy[8], cz[8];
  for (int i = 0; i < 8; ++i) {
    const double x = corners[3 * i], y = corners[3 * i + 1], z = corners[3 * i + 2];
    cx[i] = Add(Add(Add(Mul(m[0], x), Mul(m[1], y)), Mul(m[2], z)), m[3]);
    cy[i] = Add(Add(Add(Mul(m[4], x), Mul(m[5], y)), Mul(m[6], z)), m[7]);
    cz[i] = Add(Add(Add(Mul(m[8], x), Mul(m[9], y)), Mul(m[10], z)), m[11]);
  }
  // Candidates: corners in front of the near plane plus where box edges cross it, so boxes that
  // straddle the camera still project to the visible part instead of wrapping around.
  double px[20], py[20], pz[20];
  int n = 0;
  for (int i = 0; i < 8; ++i) {
    if (cz[i] >= nearZ) {
      px[n] = cx[i];
      py[n] = cy[i];
      pz[n] = cz[i];
      ++n;
    }
  }
  for (int i = 0; i < 8; ++i) {
    for (int bit = 1; bit <= 4; bit <<= 1) {
      if (i & bit) continue;
      const int j = i | bit;
      if ((cz[i] >= nearZ) == (cz[j] >= nearZ)) continue;
      const double t = Sub(nearZ, cz[i]) / Sub(cz[j], cz[i]);
      px[n] = Add(cx[i], Mul(t, Sub(cx[j], cx[i])));
      py[n] = Add(cy[i], Mul(t, Sub(cy[j], cy[i])));
      pz[n] = nearZ;
      ++n;
    }
  }
  Rect r{0, 0, 0, 0, false};
  if (n == 0) return r;
  const double fx = cam[2], fy = cam[3], ppx = cam[4], ppy = cam[5];
  const double k1 = cam[6], k2 = cam[7], p1 = cam[8], p2 = cam[9], k3 = cam[10];
  for (int i = 0; i < n; ++i) {
    const double xn = px[i] / pz[i], yn = py[i] / pz[i];
    const double r2 = Add(Mul(xn, xn), Mul(yn, yn));
    const double radial = Add(Add(Add(1.0, Mul(k1, r2)), Mul(Mul(k2, r2), r2)), Mul(Mul(Mul(k3, r2), r2), r2));
    const double xd = Add(Add(Mul(xn, radial), Mul(Mul(Mul(2.0, p1), xn), yn)), Mul(p2, Add(r2, Mul(Mul(2.0, xn), xn))));
    const double yd = Add(Add(Mul(yn, radial), Mul(p1, Add(r2, Mul(Mul(2.0, yn), yn)))), Mul(Mul(Mul(2.0, p2), xn), yn));
    const double u = Add(Mul(fx, xd), ppx), v = Add(Mul(fy, yd), ppy);
    if (i == 0) {
      r.x1 = r.x2 = u;
      r.y1 = r.y2 = v;
    } else {
      r.x1 = u < r.x1 ? u : r.x1;
      r.x2 = u > r.x2 ? u : r.x2;
      r.y1 = v < r.y1 ? v : r.y1;
      r.y2 = v > r.y2 ? v : r.y2;
    }
  }
  const double w = cam[0], h = cam[1];
  r.x1 = r.x1 < 0 ? 0 : (r.x1 > w ? w : r.x1);
  r.x2 = r.x2 < 0 ? 0 : (r.x2 > w ? w : r.x2);
  r.y1 = r.y1 < 0 ? 0 : (r.y1 > h ? h : r.y1);
  r.y2 = r.y2 < 0 ? 0 : (r.y2 > h ? h : r.y2);
  r.valid = r.x2 > r.x1 && r.y2 > r.y1;
  return r;
}

PERCEPT_HD inline double RectIou(const Rect& r, const double* box) {
  if (!r.valid) return 0.0;
  const double ix = Sub(r.x2 < box[2] ? r.x2 : box[2], r.x1 > box[0] ? r.x1 : box[0]);
  const double iy = Sub(r.y2 < box[3] ? r.y2 : box[3], r.y1 > box[1] ? r.y1 : box[1]);
  if (!(ix > 0) || !(iy > 0)) return 0.0;
  const double inter = Mul(ix, iy);
  const double areaR = Mul(Sub(r.x2, r.x1), Sub(r.y2, r.y1));
  const double areaB = Mul(Sub(box[2], box[0]), Sub(box[3], box[1]));
  const double uni = Sub(Add(areaR, areaB), inter);
  return uni > 0 ? inter / uni : 0.0;
}

struct AssociateInput {
  const double* corners;      // clusters * 24
  std::size_t clusters;
  const double* cameras;      // cameraCount * kCameraRecord
  std::size_t cameraCount;
  const double* boxes;        // boxCount * 4, cameras' boxes one after another
  const int32_t* boxCamera;   // boxCount: the camera each box belongs to
  std::size_t boxCount;
  double nearZ;
};

// rects: cameraCount * clusters * 4 (NaN when not visible); iou: clusters * boxCount.
void AssociateCpu(const AssociateInput& in, double* rects, double* iou);
#ifdef PERCEPT_WITH_CUDA
std::string AssociateCuda(const AssociateInput& in, double* rects, double* iou);
#endif

}  // namespace percept
