// Per-point projection arithmetic shared by the CPU (.cc) and CUDA (.cu) backends of the project
// and paint kernels. Plain C++ (no napi.h), so nvcc can include it.
//
// The three backends must agree bit for bit with native/reference/project.ts: every expression is
// evaluated in double in the same order as the TypeScript, then rounded to float once. Host code
// gets no fused multiply-add on x86-64 without -mfma; device code would (nvcc contracts a*b+c by
// default), so on the device each operation goes through an explicitly rounded intrinsic.
#pragma once

#include <cstddef>
#include <cstdint>

#ifdef __CUDACC__
#define PERCEPT_HD __host__ __device__ __forceinline__
#else
#define PERCEPT_HD inline
#endif

namespace percept {

// Doubles per camera in the packed Float64Array the TypeScript layer passes:
// width, height, fx, fy, cx, cy, k1, k2, p1, p2, k3, then the top 3 rows of cameraFromSensor.
constexpr std::size_t kCameraParamCount = 23;

struct ProjectionCamera {
  double width, height, fx, fy, cx, cy;
  double k1, k2, p1, p2, k3;
  double m[12];
  bool distorted;  // any of k1..k3 non-zero; zeros reproduce the undistorted result exactly
};

inline ProjectionCamera UnpackCamera(const double* p) {
  ProjectionCamera c{};
  c.width = p[0];
  c.height = p[1];
  c.fx = p[2];
  c.fy = p[3];
  c.cx = p[4];
  c.cy = p[5];
  c.k1 = p[6];
  c.k2 = p[7];
  c.p1 = p[8];
  c.p2 = p[9];
  c.k3 = p[10];
  for (int i = 0; i < 12; ++i) c.m[i] = p[11 + i];
  c.distorted = c.k1 != 0 || c.k2 != 0 || c.p1 != 0 || c.p2 != 0 || c.k3 != 0;
  return c;
}

#ifdef __CUDA_ARCH__
PERCEPT_HD double Mul(double a, double b) { return __dmul_rn(a, b); }
PERCEPT_HD double Add(double a, double b) { return __dadd_rn(a, b); }
PERCEPT_HD double Div(double a, double b) { return __ddiv_rn(a, b); }
#else
PERCEPT_HD double Mul(double a, double b) { return a * b; }
PERCEPT_HD double Add(double a, double b) { return a + b; }
PERCEPT_HD double Div(double a, double b) { return a / b; }
#endif

struct Projected {
  float u, v, depth;
  std::uint8_t inImage;  // not bool: a bool member keeps the struct in memory and blocks SIMD
};

// One point into one camera; `Distort` is a template flag so the undistorted loop carries no
// distortion arithmetic (and no per-point branch on it).
template <bool Distort>
PERCEPT_HD Projected ProjectOne(const ProjectionCamera& c, float px, float py, float pz,
                                double minDepth) {
  const double x = px, y = py, z = pz;
  const double* m = c.m;
  const double xc = Add(Add(Add(Mul(m[0], x), Mul(m[1], y)), Mul(m[2], z)), m[3]);
  const double yc = Add(Add(Add(Mul(m[4], x), Mul(m[5], y)), Mul(m[6], z)), m[7]);
  const double zc = Add(Add(Add(Mul(m[8], x), Mul(m[9], y)), Mul(m[10], z)), m[11]);
  const double iz = Div(1.0, zc);
  double xn = Mul(xc, iz);
  double yn = Mul(yc, iz);
  if (Distort) {
    const double r2 = Add(Mul(xn, xn), Mul(yn, yn));
    // 1 + k1*r2 + k2*r2*r2 + k3*r2*r2*r2, left to right as JavaScript evaluates it.
    const double radial = Add(Add(Add(1.0, Mul(c.k1, r2)), Mul(Mul(c.k2, r2), r2)),
                              Mul(Mul(Mul(c.k3, r2), r2), r2));
    const double xd = Add(Add(Mul(xn, radial), Mul(Mul(Mul(2.0, c.p1), xn), yn)),
                          Mul(c.p2, Add(r2, Mul(Mul(2.0, xn), xn))));
    const double yd = Add(Add(Mul(yn, radial), Mul(c.p1, Add(r2, Mul(Mul(2.0, yn), yn)))),
                          Mul(Mul(Mul(2.0, c.p2), xn), yn));
    xn = xd;
    yn = yd;
  }
  Projected r;
  r.u = static_cast<float>(Add(Mul(c.fx, xn), c.cx));
  r.v = static_cast<float>(Add(Mul(c.fy, yn), c.cy));
  r.depth = static_cast<float>(zc);
  // x - x is 0 only for finite x (NaN otherwise), without a library call.
  const bool finite = (x - x == 0.0) & (y - y == 0.0) & (z - z == 0.0);
  const double u = r.u, v = r.v, d = r.depth;
  r.inImage = static_cast<std::uint8_t>(finite & (u >= 0.0) & (u < c.width) & (v >= 0.0) &
                                        (v < c.height) & (d > minDepth));
  return r;
}

}  // namespace percept
