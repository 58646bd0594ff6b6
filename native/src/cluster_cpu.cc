// CPU ground removal and clustering (stage 1) and the shared cluster statistics (stage 2).
// Arithmetic mirrors native/reference/cluster.ts operation for operation (double, no FMA), so
// labels and ids match exactly and floats match to the last bit except where atan2 is involved.
//
// The grid stage works on the cells that points touch, never on the whole grid: one per-cell map,
// kept between calls (scratch.h) and all zero outside a call, numbers the touched cells, and
// every other array is per touched cell. A 400 x 400 grid costs nothing per call beyond the few
// thousand cells a sweep occupies. Where a branch on the data measured slower than a select (is
// this point lower than its cell's lowest, does it go into a cluster), the loops use selects.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "cell_map.h"
#include "cells_cpu.h"
#include "cluster.h"
#include "scratch.h"
#include "simd.h"

#ifdef PERCEPT_X86_DISPATCH
#include <immintrin.h>
#endif

namespace percept {
namespace {

// Points per task when computing cells; clusters per task for the boxes.
constexpr std::size_t kCellChunk = 8 * 1024;
constexpr std::size_t kClustersPerTask = 4;
// Fewer touched cells than this link in one band (see the linking below).
constexpr int32_t kMinBandedLinkCells = 2048;
// Scratch bigger than this is freed after the call instead of kept (a huge grid should not pin
// its memory for the life of the process).
constexpr std::size_t kKeepBytes = 32u << 20;

// Per touched cell, by slot 1, 2, ... in order of first point; slot 0 stands for "no cell" with
// values that make lookups of empty cells need no branch (lowest +Inf, not occupied).
struct GridScratch {
  CellMap slots;                  // cell -> slot
  std::vector<int32_t> cellOf;    // the slot's cell
  std::vector<float> lowest;      // its lowest z
  std::vector<float> highest;     // its highest z
  std::vector<float> reference;   // its ground reference
  std::vector<int32_t> parent;    // union-find over slots; -1 when no non-ground point
  std::vector<int32_t> groupOf;   // the slot's group (its component's number)
  std::vector<int32_t> order, spare, histogram;  // slots in cell order, and sort space
  void Trim() {
    slots.Trim();
    TrimScratch(order, kKeepBytes);
    TrimScratch(spare, kKeepBytes);
    TrimScratch(cellOf, kKeepBytes);
    TrimScratch(lowest, kKeepBytes);
    TrimScratch(highest, kKeepBytes);
    TrimScratch(reference, kKeepBytes);
    TrimScratch(parent, kKeepBytes);
    TrimScratch(groupOf, kKeepBytes);
  }
};

// Stage 2's working arrays: per group, per point, per cluster, and the clusters' points packed
// cluster by cluster.
struct StatsScratch {
  std::vector<GroupStats> stats;
  std::vector<int32_t> rank, idOf, used, groupOfCluster, offsets, byPoints;
  std::vector<double> xs, ys;
  void Trim() {
    TrimScratch(stats, kKeepBytes);
    TrimScratch(rank, kKeepBytes);
    TrimScratch(idOf, kKeepBytes);
    TrimScratch(xs, kKeepBytes);
    TrimScratch(ys, kKeepBytes);
  }
};

struct Box {
  double cx, cy, length, width, yaw;
};

using Pt = std::pair<double, double>;

// Per thread working memory for one cluster's box, kept between clusters and calls.
struct HullScratch {
  std::vector<double> inside;
  std::vector<Pt> pts, hull;
};

// The octagon's edges, each from (ax, ay) along (ex, ey); fewer than 8 distinct edges are padded
// by repeating one, which changes nothing in a test that every edge must pass.
struct Octagon {
  double ax[8], ay[8], ex[8], ey[8];
};

// in[i] = 1 when point i is strictly left of every edge, else 0: all 8 cross products for every
// point, without the early exit of a point-by-point test, so it runs in SIMD over the points (the
// flags are doubles because SSE2 has no compare-to-int32 the vectorizer uses).
PERCEPT_ALWAYS_INLINE void InsideOctagonBody(const double* __restrict__ xs, const double* __restrict__ ys,
                                             std::size_t n, const Octagon& o, double* __restrict__ in) {
  const Octagon q = o;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = xs[i], y = ys[i];
    double inside = 1.0;
    for (int e = 0; e < 8; ++e) {
      const double cross = q.ex[e] * (y - q.ay[e]) - q.ey[e] * (x - q.ax[e]);
      inside = cross > 0 ? inside : 0.0;
    }
    in[i] = inside;
  }
}

void InsideOctagon(const double* xs, const double* ys, std::size_t n, const Octagon& o, double* in) {
  InsideOctagonBody(xs, ys, n, o, in);
}

// Directions in counter-clockwise order: −y, x−y, x, x+y, y, −(x−y), −x, −(x+y).
inline void Scores(double x, double y, double* s) {
  s[0] = -y;
  s[1] = x - y;
  s[2] = x;
  s[3] = x + y;
  s[4] = y;
  s[5] = y - x;
  s[6] = -x;
  s[7] = -x - y;
}

// Running maxima of the 8 scores over points [begin, n), continuing from best/ext: strictly
// greater replaces, so the earliest index keeps a tie.
void ExtremesFrom(const double* xs, const double* ys, std::size_t begin, std::size_t n, double* best,
                  std::size_t* ext) {
  for (std::size_t i = begin; i < n; ++i) {
    double s[8];
    Scores(xs[i], ys[i], s);
    for (int d = 0; d < 8; ++d) {
      if (s[d] > best[d]) {
        best[d] = s[d];
        ext[d] = i;
      }
    }
  }
}

#ifdef PERCEPT_X86_DISPATCH
// The same running maxima with each SIMD lane keeping its own (over the points i = lane mod
// width) together with the first index that reached it. Merging the lanes by value, then by the
// lower index among equal values, is the first index with the overall maximum: exactly what one
// running maximum over all points keeps. Indexes ride in doubles (exact far beyond any cluster
// size) so that one blend moves value and index alike; negation is a sign flip, as -y is.
template <int W>
void MergeLanes(const double (*bv)[W], const double (*iw)[W], double* best, std::size_t* ext) {
  for (int d = 0; d < 8; ++d) {
    best[d] = bv[d][0];
    ext[d] = static_cast<std::size_t>(iw[d][0]);
    for (int l = 1; l < W; ++l) {
      const std::size_t il = static_cast<std::size_t>(iw[d][l]);
      if (bv[d][l] > best[d] || (bv[d][l] == best[d] && il < ext[d])) {
        best[d] = bv[d][l];
        ext[d] = il;
      }
    }
  }
}

// Returns how many points it covered; ExtremesFrom continues from there.
std::size_t ExtremesSse2(const double* xs, const double* ys, std::size_t n, double* best, std::size_t* ext) {
  const __m128d sign = _mm_set1_pd(-0.0);
  __m128d b[8], id[8];
  for (int d = 0; d < 8; ++d) {
    b[d] = _mm_set1_pd(-std::numeric_limits<double>::infinity());
    id[d] = _mm_setzero_pd();
  }
  __m128d iv = _mm_set_pd(1.0, 0.0);
  const __m128d step = _mm_set1_pd(2.0);
  std::size_t i = 0;
  for (; i + 2 <= n; i += 2) {
    const __m128d x = _mm_loadu_pd(xs + i), y = _mm_loadu_pd(ys + i);
    const __m128d nx = _mm_xor_pd(x, sign), ny = _mm_xor_pd(y, sign);
    const __m128d s[8] = {ny, _mm_sub_pd(x, y), x, _mm_add_pd(x, y), y, _mm_sub_pd(y, x), nx, _mm_sub_pd(nx, y)};
    for (int d = 0; d < 8; ++d) {
      const __m128d gt = _mm_cmpgt_pd(s[d], b[d]);
      b[d] = _mm_or_pd(_mm_and_pd(gt, s[d]), _mm_andnot_pd(gt, b[d]));
      id[d] = _mm_or_pd(_mm_and_pd(gt, iv), _mm_andnot_pd(gt, id[d]));
    }
    iv = _mm_add_pd(iv, step);
  }
  alignas(16) double bv[8][2], iw[8][2];
  for (int d = 0; d < 8; ++d) {
    _mm_store_pd(bv[d], b[d]);
    _mm_store_pd(iw[d], id[d]);
  }
  MergeLanes<2>(bv, iw, best, ext);
  return i;
}

PERCEPT_TARGET_AVX2 std::size_t ExtremesAvx2(const double* xs, const double* ys, std::size_t n, double* best,
                                             std::size_t* ext) {
  const __m256d sign = _mm256_set1_pd(-0.0);
  __m256d b[8], id[8];
  for (int d = 0; d < 8; ++d) {
    b[d] = _mm256_set1_pd(-std::numeric_limits<double>::infinity());
    id[d] = _mm256_setzero_pd();
  }
  __m256d iv = _mm256_set_pd(3.0, 2.0, 1.0, 0.0);
  const __m256d step = _mm256_set1_pd(4.0);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_loadu_pd(xs + i), y = _mm256_loadu_pd(ys + i);
    const __m256d nx = _mm256_xor_pd(x, sign), ny = _mm256_xor_pd(y, sign);
    const __m256d s[8] = {ny, _mm256_sub_pd(x, y), x, _mm256_add_pd(x, y),
                          y,  _mm256_sub_pd(y, x), nx, _mm256_sub_pd(nx, y)};
    for (int d = 0; d < 8; ++d) {
      const __m256d gt = _mm256_cmp_pd(s[d], b[d], _CMP_GT_OQ);
      b[d] = _mm256_blendv_pd(b[d], s[d], gt);
      id[d] = _mm256_blendv_pd(id[d], iv, gt);
    }
    iv = _mm256_add_pd(iv, step);
  }
  alignas(32) double bv[8][4], iw[8][4];
  for (int d = 0; d < 8; ++d) {
    _mm256_store_pd(bv[d], b[d]);
    _mm256_store_pd(iw[d], id[d]);
  }
  MergeLanes<4>(bv, iw, best, ext);
  return i;
}

PERCEPT_TARGET_AVX2 void InsideOctagonAvx2(const double* xs, const double* ys, std::size_t n, const Octagon& o,
                                           double* in) {
  InsideOctagonBody(xs, ys, n, o, in);
}
#endif

// ext[d]: the first point with the highest score d. n >= 1.
void Extremes(const double* xs, const double* ys, std::size_t n, std::size_t* ext) {
  double best[8];
  std::size_t done = 0;
#ifdef PERCEPT_X86_DISPATCH
  done = HasAvx2() ? ExtremesAvx2(xs, ys, n, best, ext) : ExtremesSse2(xs, ys, n, best, ext);
#endif
  if (done == 0) {
    Scores(xs[0], ys[0], best);
    for (int d = 0; d < 8; ++d) ext[d] = 0;
    done = 1;
  }
  ExtremesFrom(xs, ys, done, n, best, ext);
}

// The cluster's points (xs, ys) minus those strictly inside the octagon of the 8 extreme
// points (along x, y, x+y, x−y), into h.pts in their original order: they cannot be hull
// vertices, and LiDAR clusters lose most of their points here, which keeps the sort below short
// (Akl–Toussaint). Mirrored exactly in native/reference/cluster.ts: the same scores and cross
// products, the first index wins ties for an extreme, and a point is dropped when every
// non-degenerate edge has it strictly on its left.
void DropInterior(const double* xs, const double* ys, std::size_t n, HullScratch& h) {
  h.pts.clear();
  Octagon o;
  int edges = 0;
  if (n >= 16) {
    std::size_t ext[8];
    Extremes(xs, ys, n, ext);
    for (int d = 0; d < 8; ++d) {
      const std::size_t a = ext[d], b = ext[(d + 1) % 8];
      if (xs[a] == xs[b] && ys[a] == ys[b]) continue;
      o.ax[edges] = xs[a];
      o.ay[edges] = ys[a];
      o.ex[edges] = xs[b] - xs[a];
      o.ey[edges] = ys[b] - ys[a];
      ++edges;
    }
  }
  if (edges == 0) {
    for (std::size_t i = 0; i < n; ++i) h.pts.emplace_back(xs[i], ys[i]);
    return;
  }
  for (int e = edges; e < 8; ++e) {
    o.ax[e] = o.ax[0];
    o.ay[e] = o.ay[0];
    o.ex[e] = o.ex[0];
    o.ey[e] = o.ey[0];
  }
  h.inside.resize(n);
  double* in = h.inside.data();
#ifdef PERCEPT_X86_DISPATCH
  if (HasAvx2()) {
    InsideOctagonAvx2(xs, ys, n, o, in);
  } else {
    InsideOctagon(xs, ys, n, o, in);
  }
#else
  InsideOctagon(xs, ys, n, o, in);
#endif
  for (std::size_t i = 0; i < n; ++i) {
    if (in[i] == 0.0) h.pts.emplace_back(xs[i], ys[i]);
  }
}

// Andrew's monotone chain over (xs, ys): the hull counter-clockwise without collinear points,
// in h.hull's first `returned` entries (a stack in a buffer big enough for both chains).
std::size_t ConvexHull(const double* xs, const double* ys, std::size_t n, HullScratch& h) {
  DropInterior(xs, ys, n, h);
  std::vector<Pt>& pts = h.pts;
  std::sort(pts.begin(), pts.end());
  const std::size_t m = pts.size();
  if (h.hull.size() < 2 * m + 1) h.hull.resize(2 * m + 1);
  Pt* hull = h.hull.data();
  auto cross = [](const Pt& o, const Pt& a, const Pt& b) {
    return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first);
  };
  std::size_t k = 0;
  for (std::size_t i = 0; i < m; ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) --k;
    hull[k++] = pts[i];
  }
  const std::size_t lower = k + 1;
  for (std::size_t i = m; i-- > 0;) {
    while (k >= lower && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) --k;
    hull[k++] = pts[i];
  }
  if (k > 1) --k;  // the last point repeats the first
  return k;
}

// Minimum-area rectangle: one side of it lies on a hull edge, so trying each edge is exact.
// O(h^2), and cluster hulls have a few dozen vertices. The yaw is computed once, for the winning
// edge: atan2 per improvement cost more than the search on small clusters.
Box MinAreaRect(const Pt* hull, std::size_t h) {
  Box box{hull[0].first, hull[0].second, 0, 0, 0};
  double best = std::numeric_limits<double>::infinity();
  double bestDx = 1, bestDy = 0;
  for (std::size_t i = 0; i < h; ++i) {
    const std::size_t j = (i + 1) % h;
    const double ox = hull[i].first, oy = hull[i].second;
    const double ex = hull[j].first - ox, ey = hull[j].second - oy;
    const double len = std::sqrt(ex * ex + ey * ey);
    if (!(len > 0)) continue;
    const double ux = ex / len, uy = ey / len;
    double minA = 0, maxA = 0, minB = 0, maxB = 0;
    for (std::size_t k = 0; k < h; ++k) {
      const double dx = hull[k].first - ox, dy = hull[k].second - oy;
      const double a = dx * ux + dy * uy;
      const double b = dy * ux - dx * uy;
      if (a < minA) minA = a;
      if (a > maxA) maxA = a;
      if (b < minB) minB = b;
      if (b > maxB) maxB = b;
    }
    const double area = (maxA - minA) * (maxB - minB);
    if (!(area < best)) continue;
    best = area;
    const double ma = (minA + maxA) / 2, mb = (minB + maxB) / 2;
    box.cx = ox + ma * ux - mb * uy;
    box.cy = oy + ma * uy + mb * ux;
    const double extentA = maxA - minA, extentB = maxB - minB;
    double dx = ux, dy = uy;
    if (extentA >= extentB) {
      box.length = extentA;
      box.width = extentB;
    } else {
      box.length = extentB;
      box.width = extentA;
      dx = -uy;
      dy = ux;
    }
    // Pointing into the right half-plane makes yaw land in (-pi/2, pi/2] by sign tests alone.
    if (dx < 0 || (dx == 0 && dy < 0)) {
      dx = -dx;
      dy = -dy;
    }
    bestDx = dx;
    bestDy = dy;
  }
  if (best < std::numeric_limits<double>::infinity()) box.yaw = std::atan2(bestDy, bestDx);
  return box;
}

inline float Min(float best, float v) { return v < best ? v : best; }

// The lowest z over the 3 x 3 cells around an interior cell (m points at its map entry), as a
// tree of minimums rather than a chain of nine.
inline float Lowest3x3(const float* lowest, const int32_t* m, int32_t width) {
  const int32_t* up = m - width;
  const int32_t* down = m + width;
  const float a = Min(Min(lowest[up[-1]], lowest[up[0]]), lowest[up[1]]);
  const float b = Min(Min(lowest[m[-1]], lowest[m[0]]), lowest[m[1]]);
  const float c = Min(Min(lowest[down[-1]], lowest[down[0]]), lowest[down[1]]);
  return Min(Min(a, b), c);
}

// The row of cells visited in increasing order, found by counting rows instead of dividing.
struct RowTracker {
  int32_t width, row, start;
  RowTracker(int32_t w, int32_t firstCell) : width(w), row(firstCell / w), start(row * w) {}
  void Advance(int32_t cell) {
    while (cell >= start + width) {
      ++row;
      start += width;
    }
  }
};

// Slots in order of first point (1, 2, ...), each with its cell's lowest z (the first point sets
// it and later ones only when strictly lower, as in the reference) and highest z; group[i] goes
// from the point's cell to its slot (kLabelOutside for none). Returns the number of slots. A
// function of its own so that the running count stays in a register: as a local of the caller,
// whose lambdas take it by reference, it was stored and reloaded on every point.
int32_t NumberSlots(const float* pz, std::size_t stride, std::size_t count, int32_t* map, int32_t* group,
                    int32_t* cellOf, float* lowest, float* highest) {
  int32_t touched = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = group[i];
    if (c < 0) {
      group[i] = kLabelOutside;
      continue;
    }
    const float z = pz[i * stride];
    const int32_t old = map[c];
    const bool fresh = old == 0;
    const int32_t t = fresh ? touched + 1 : old;
    touched += fresh;
    map[c] = t;
    cellOf[t] = c;
    const float lo = lowest[t], hi = highest[t];
    lowest[t] = fresh ? z : (z < lo ? z : lo);
    highest[t] = fresh ? z : (z > hi ? z : hi);
    group[i] = t;
  }
  return touched;
}

// What the pass that labels points and packs each cluster's points reads and writes.
struct PackPass {
  const float* points;
  std::size_t stride;
  int32_t fx, fy;
  const int32_t* group;    // per point: its group, or its label when negative
  const int32_t* rank;     // per point: its rank in its group
  const int32_t* idOf;     // per group: its cluster id, or kLabelNoise
  const int32_t* offsets;  // per cluster: where its points start in xs and ys
  int32_t spare;           // the entry of xs and ys that this range's points in no cluster write to
  int32_t* labels;
  double* xs;
  double* ys;
};

// Points [b, e). The fields are copied to locals so that the stores cannot alias them.
void PackClusters(const PackPass& pass, std::size_t b, std::size_t e) {
  const float* points = pass.points;
  const std::size_t stride = pass.stride;
  const int32_t fx = pass.fx, fy = pass.fy, spare = pass.spare;
  const int32_t *group = pass.group, *rank = pass.rank, *idOf = pass.idOf, *offsets = pass.offsets;
  int32_t* labels = pass.labels;
  double* xs = pass.xs;
  double* ys = pass.ys;
  for (std::size_t i = b; i < e; ++i) {
    const int32_t k = group[i];
    // A negative group is already the label (ground or outside).
    const int32_t label = k < 0 ? k : idOf[k];
    labels[i] = label;
    const float* p = points + i * stride;
    const int32_t m = label < 0 ? spare : offsets[label] + rank[i];
    xs[m] = p[fx];
    ys[m] = p[fy];
  }
}

// Slots 1..n ordered by their cell (LSD radix sort; cells are distinct), so that the window
// loops below sweep the slot map row by row instead of jumping around it.
void SlotsByCell(const int32_t* cellOf, int32_t n, std::size_t cells, GridScratch& s) {
  int bits = 1;
  while (bits < 31 && (std::size_t{1} << bits) < cells) ++bits;
  const int passes = (bits + 10) / 11;
  const int digitBits = (bits + passes - 1) / passes;
  const std::size_t buckets = std::size_t{1} << digitBits;
  const uint32_t mask = static_cast<uint32_t>(buckets - 1);
  s.order.resize(n);
  s.spare.resize(n);
  s.histogram.resize(buckets);
  int32_t* from = s.spare.data();
  int32_t* to = s.order.data();
  int32_t* hist = s.histogram.data();
  for (int32_t j = 0; j < n; ++j) from[j] = j + 1;
  for (int pass = 0; pass < passes; ++pass) {
    const int shift = pass * digitBits;
    std::fill(hist, hist + buckets, 0);
    for (int32_t j = 0; j < n; ++j) ++hist[(static_cast<uint32_t>(cellOf[from[j]]) >> shift) & mask];
    int32_t sum = 0;
    for (std::size_t d = 0; d < buckets; ++d) {
      const int32_t h = hist[d];
      hist[d] = sum;
      sum += h;
    }
    for (int32_t j = 0; j < n; ++j) {
      const int32_t t = from[j];
      to[hist[(static_cast<uint32_t>(cellOf[t]) >> shift) & mask]++] = t;
    }
    std::swap(from, to);
  }
  if (from != s.order.data()) std::copy(from, from + n, s.order.data());
}

}  // namespace

void ClusterStage1::Trim() {
  TrimScratch(group, kKeepBytes);
  TrimScratch(groupRoot, kKeepBytes);
  TrimScratch(stats, kKeepBytes);
  TrimScratch(rank, kKeepBytes);
}

namespace {

// Adds point p (z its height) to a group's statistics; the first point sets them, as the
// reference's first point of a cluster does (sums start at 0 and add, extremes are replaced
// only when strictly beyond). Returns the point's rank in the group.
inline int32_t AddToGroup(GroupStats& st, const float* p, float z, int32_t fx, int32_t fy) {
  if (st.count == 0) {
    st.sx = st.sy = st.sz = 0;
    st.minZ = z;
    st.maxZ = z;
  }
  st.minZ = z < st.minZ ? z : st.minZ;
  st.maxZ = z > st.maxZ ? z : st.maxZ;
  st.sx += p[fx];
  st.sy += p[fy];
  st.sz += z;
  return st.count++;
}

}  // namespace

void ClusterStage1Cpu(const float* points, std::size_t count, std::size_t stride, const BevGrid& g,
                      const ClusterParams& prm, ClusterStage1& out) {
  out.statsValid = false;
  out.group.resize(count);
  int32_t* group = out.group.data();
  // group holds each point's cell (or -1) first, then its cell's slot, and last its group or
  // label.
  ParallelChunks(count, kCellChunk, [&](std::size_t b, std::size_t e) {
    CellRange(points, stride, b, e, prm.fx, prm.fy, prm.fz, -1, g, group + b);
  });

  auto lease = ProcessScratch<GridScratch>().Acquire();
  GridScratch& s = *lease;
  int32_t* map = s.slots.Prepare(g.cells());
  // At most one touched cell per point, plus slot 0.
  if (s.cellOf.size() < count + 1) {
    s.cellOf.resize(count + 1);
    s.lowest.resize(count + 1);
    s.highest.resize(count + 1);
    s.reference.resize(count + 1);
    s.parent.resize(count + 1);
    s.groupOf.resize(count + 1);
  }
  int32_t* cellOf = s.cellOf.data();
  float* lowest = s.lowest.data();
  float* highest = s.highest.data();
  float* reference = s.reference.data();
  int32_t* parent = s.parent.data();
  cellOf[0] = -1;
  lowest[0] = std::numeric_limits<float>::infinity();
  parent[0] = -1;
  const float* pz = points + prm.fz;

  const int32_t touched = NumberSlots(pz, stride, count, map, group, cellOf, lowest, highest);

  // Ground reference of each touched cell: the lowest z over the window (empty cells map to slot
  // 0, whose +Inf never wins). The order of the comparisons may differ from the reference's; it
  // can only change the sign of a zero reference, which no test below can tell apart. A cell is
  // occupied (not all ground) when its highest point is not ground: z - ref rounds
  // monotonically in z, so no lower point of the cell can pass the threshold when it fails.
  // Occupied cells start as their own union-find root, the others get -1. Cells come in order,
  // so rows are followed by counting instead of dividing per cell.
  const int32_t gr = prm.groundRadius, width = g.width, height = g.height;
  const double maxGroundZ = prm.maxGroundZ, threshold = prm.groundThreshold;
  auto isGround = [maxGroundZ, threshold](double ref, double z) {
    return ref <= maxGroundZ && z - ref <= threshold;
  };
  SlotsByCell(cellOf, touched, g.cells(), s);
  const int32_t* order = s.order.data();
  ParallelChunks(static_cast<std::size_t>(touched), 4096, [&](std::size_t b, std::size_t e) {
    RowTracker rows(width, cellOf[order[b]]);
    for (std::size_t j = b; j < e; ++j) {
      const int32_t t = order[j];
      const int32_t c = cellOf[t];
      rows.Advance(c);
      const int32_t row = rows.row, col = c - rows.start;
      float best;
      if (gr == 1 && row > 0 && row + 1 < height && col > 0 && col + 1 < width) {
        best = Lowest3x3(lowest, map + c, width);
      } else {
        const int32_t r0 = std::max(0, row - gr), r1 = std::min(height - 1, row + gr);
        const int32_t k0 = std::max(0, col - gr), k1 = std::min(width - 1, col + gr);
        best = lowest[t];
        for (int32_t r = r0; r <= r1; ++r) {
          const int32_t* line = map + static_cast<std::size_t>(r) * width;
          for (int32_t k = k0; k <= k1; ++k) best = Min(best, lowest[line[k]]);
        }
      }
      reference[t] = best;
      parent[t] = isGround(best, highest[t]) ? -1 : t;
    }
  });

  // Occupied cells within linkRadius connect; each cell links forward (to cells of higher index)
  // only, which covers every pair once. Union-find runs on slots but compares cells, so each
  // root is its component's smallest cell, whatever order the links are made in. That lets two
  // bands of rows link on their own, in parallel (each touches only its own slots), before the
  // links that cross from the first band into the second.
  const int32_t lr = prm.linkRadius;
  auto find = [parent](int32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];  // path halving keeps later finds short
      x = parent[x];
    }
    return x;
  };
  // Links the occupied cells order[jb, je) to their forward neighbours in rows [minRow, maxRow].
  auto link = [&](int32_t jb, int32_t je, int32_t minRow, int32_t maxRow) {
    if (jb >= je) return;
    RowTracker rows(width, cellOf[order[jb]]);
    for (int32_t j = jb; j < je; ++j) {
      const int32_t t = order[j];
      if (parent[t] < 0) continue;
      const int32_t c = cellOf[t];
      rows.Advance(c);
      const int32_t row = rows.row, col = c - rows.start;
      const int32_t r0 = std::max(row, minRow), r1 = std::min(maxRow, row + lr);
      const int32_t k0 = std::max(0, col - lr), k1 = std::min(width - 1, col + lr);
      int32_t root = find(t);
      for (int32_t r = r0; r <= r1; ++r) {
        const int32_t* line = map + static_cast<std::size_t>(r) * width;
        for (int32_t k = r == row ? col + 1 : k0; k <= k1; ++k) {
          const int32_t u = line[k];
          if (parent[u] < 0) continue;  // empty (slot 0) or all ground
          const int32_t other = find(u);
          if (other == root) continue;
          // The root with the larger cell hooks under the smaller.
          if (cellOf[root] < cellOf[other]) {
            parent[other] = root;
          } else {
            parent[root] = other;
            root = other;
          }
        }
      }
    }
  };
  if (touched < kMinBandedLinkCells || CpuThreadCount() < 2) {
    link(0, touched, 0, height - 1);
  } else {
    // The bands split at the row of the middle touched cell; the first slot at or past that row
    // starts the second band, and the last lr rows of the first band link across afterwards.
    const int32_t splitRow = cellOf[order[touched / 2]] / width;
    auto firstAtRow = [&](int32_t row) {
      const int32_t cell = row * width;
      return static_cast<int32_t>(std::partition_point(order, order + touched, [&](int32_t t) { return cellOf[t] < cell; }) - order);
    };
    const int32_t split = firstAtRow(splitRow);
    ParallelTasks(2, [&](std::size_t band) {
      if (band == 0) {
        link(0, split, 0, splitRow - 1);
      } else {
        link(split, touched, splitRow, height - 1);
      }
    });
    link(firstAtRow(std::max(0, splitRow - lr)), split, splitRow, height - 1);
  }
  s.slots.Restore(cellOf + 1, static_cast<std::size_t>(touched));

  // Components become groups numbered in the order of their root cells, the order of cluster
  // ids, so stage 2 has nothing to sort. Slots come in cell order and a root is its component's
  // smallest cell, so each root is numbered before the rest of its component.
  int32_t* groupOf = s.groupOf.data();
  out.groupRoot.clear();
  for (int32_t j = 0; j < touched; ++j) {
    const int32_t t = order[j];
    if (parent[t] < 0) continue;
    const int32_t root = find(t);
    if (root == t) {
      groupOf[t] = static_cast<int32_t>(out.groupRoot.size());
      out.groupRoot.push_back(cellOf[t]);
    } else {
      groupOf[t] = groupOf[root];
    }
  }

  // A non-ground point's group is its component's. Stage 2's per-group statistics come along in
  // the same pass. Consecutive points mostly share a group, so the group being added to is kept
  // in registers and stored when the group changes: adding to memory made each point wait for
  // the previous one's store.
  const std::size_t groups = out.groupRoot.size();
  if (out.stats.size() < groups) out.stats.resize(groups);
  if (out.rank.size() < count) out.rank.resize(count);
  GroupStats* stats = out.stats.data();
  int32_t* rank = out.rank.data();
  for (std::size_t k = 0; k < groups; ++k) stats[k].count = 0;
  const int32_t fx = prm.fx, fy = prm.fy;
  int32_t current = -1;
  GroupStats run{};
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t t = group[i];
    if (t < 0) continue;
    const float* p = points + i * stride;
    const float z = p[prm.fz];
    if (isGround(reference[t], z)) {
      group[i] = kLabelGround;
      continue;
    }
    const int32_t k = groupOf[t];
    group[i] = k;
    if (k != current) {
      if (current >= 0) stats[current] = run;
      run = stats[k];
      current = k;
    }
    rank[i] = AddToGroup(run, p, z, fx, fy);
  }
  if (current >= 0) stats[current] = run;
  out.statsValid = true;
}

void GroupsFromRoots(std::size_t cells, ClusterStage1& s) {
  s.statsValid = false;
  auto lease = ProcessScratch<CellMap>().Acquire();
  int32_t* map = lease->Prepare(cells);  // root cell -> group + 1
  s.groupRoot.clear();
  for (int32_t& r : s.group) {
    if (r < 0) continue;
    int32_t& entry = map[r];
    if (entry == 0) {
      s.groupRoot.push_back(r);
      entry = static_cast<int32_t>(s.groupRoot.size());
    }
    r = entry - 1;
  }
  lease->Restore(s.groupRoot.data(), s.groupRoot.size());
}

void ClusterStage2(const float* points, std::size_t count, std::size_t stride, const BevGrid& g,
                   const ClusterParams& prm, const ClusterStage1& s1, int32_t* labels, std::vector<double>& records) {
  (void)g;
  const int32_t* group = s1.group.data();
  const std::size_t groups = s1.groupRoot.size();
  const int32_t* groupRoot = s1.groupRoot.data();
  auto lease = ProcessScratch<StatsScratch>().Acquire();
  StatsScratch& s = *lease;

  // Per group, in point order: count, sums and extremes, and each point's rank in its group,
  // unless stage 1 brought them. Ground and outside points go to an extra group that nobody
  // reads, which spares the loop a branch on every point.
  const GroupStats* stats;
  const int32_t* rank;
  if (s1.statsValid) {
    stats = s1.stats.data();
    rank = s1.rank.data();
  } else {
    if (s.stats.size() < groups + 1) s.stats.resize(groups + 1);
    if (s.rank.size() < count) s.rank.resize(count);
    GroupStats* own = s.stats.data();
    int32_t* ownRank = s.rank.data();
    for (std::size_t k = 0; k <= groups; ++k) own[k].count = 0;
    const int32_t ignored = static_cast<int32_t>(groups);
    for (std::size_t i = 0; i < count; ++i) {
      const int32_t k = group[i] < 0 ? ignored : group[i];
      const float* p = points + i * stride;
      ownRank[i] = AddToGroup(own[k], p, p[prm.fz], prm.fx, prm.fy);
    }
    stats = own;
    rank = ownRank;
  }
  const int32_t fx = prm.fx, fy = prm.fy;

  // Ids follow the component's lowest cell index, skipping components below minPoints.
  s.used.clear();
  for (std::size_t k = 0; k < groups; ++k) {
    if (stats[k].count > 0) s.used.push_back(static_cast<int32_t>(k));
  }
  auto byRoot = [&](int32_t a, int32_t b) { return groupRoot[a] < groupRoot[b]; };
  if (!std::is_sorted(s.used.begin(), s.used.end(), byRoot)) std::sort(s.used.begin(), s.used.end(), byRoot);
  if (s.idOf.size() < groups) s.idOf.resize(groups);
  int32_t* idOf = s.idOf.data();
  s.groupOfCluster.clear();
  s.offsets.assign(1, 0);
  for (const int32_t k : s.used) {
    if (stats[k].count < prm.minPoints) {
      idOf[k] = kLabelNoise;
      continue;
    }
    idOf[k] = static_cast<int32_t>(s.groupOfCluster.size());
    s.groupOfCluster.push_back(k);
    s.offsets.push_back(s.offsets.back() + stats[k].count);
  }
  const std::size_t clusters = s.groupOfCluster.size();
  const int32_t* groupOfCluster = s.groupOfCluster.data();
  const int32_t* offsets = s.offsets.data();

  // Labels, and each cluster's points packed together in point order for its box. A point in no
  // cluster is written to a spare entry past the end rather than skipped: a branch on it cost
  // more than the store. Each range of points has a spare entry in a cache line of its own, or
  // the threads would fight over one line.
  constexpr std::size_t kLine = 64 / sizeof(double);
  const std::size_t packed = static_cast<std::size_t>(offsets[clusters]);
  const std::size_t ranges = (count + kCellChunk - 1) / kCellChunk;
  if (s.xs.size() < packed + (ranges + 1) * kLine) {
    s.xs.resize(packed + (ranges + 1) * kLine);
    s.ys.resize(packed + (ranges + 1) * kLine);
  }
  ParallelChunks(count, kCellChunk, [&, xs = s.xs.data(), ys = s.ys.data()](std::size_t b, std::size_t e) {
    const auto spare = static_cast<int32_t>(packed + (b / kCellChunk + 1) * kLine);
    PackClusters({points, stride, fx, fy, group, rank, idOf, offsets, spare, labels, xs, ys}, b, e);
  });
  const double* xs = s.xs.data();
  const double* ys = s.ys.data();

  // Boxes, the largest clusters first: a box costs about its cluster's points, and one wall can
  // hold a third of a sweep's; started last, it would leave the other threads idle at the end.
  s.byPoints.resize(clusters);
  std::iota(s.byPoints.begin(), s.byPoints.end(), 0);
  std::sort(s.byPoints.begin(), s.byPoints.end(), [&](int32_t a, int32_t b) {
    return offsets[a + 1] - offsets[a] > offsets[b + 1] - offsets[b];
  });
  const int32_t* byPoints = s.byPoints.data();
  records.assign(clusters * kClusterRecord, 0.0);
  ParallelChunks(clusters, kClustersPerTask, [&](std::size_t b, std::size_t e) {
    // Per thread, kept: allocating a box's vectors per cluster showed in the profile.
    thread_local HullScratch h;
    for (std::size_t k = b; k < e; ++k) {
      const std::size_t c = static_cast<std::size_t>(byPoints[k]);
      const GroupStats& st = stats[groupOfCluster[c]];
      const std::size_t vertices = ConvexHull(xs + offsets[c], ys + offsets[c], static_cast<std::size_t>(st.count), h);
      const Box box = MinAreaRect(h.hull.data(), vertices);
      double* rec = records.data() + c * kClusterRecord;
      const double n = st.count;
      rec[0] = static_cast<double>(c);
      rec[1] = n;
      rec[2] = st.sx / n;
      rec[3] = st.sy / n;
      rec[4] = st.sz / n;
      rec[5] = st.minZ;
      rec[6] = st.maxZ;
      rec[7] = box.cx;
      rec[8] = box.cy;
      rec[9] = box.length;
      rec[10] = box.width;
      rec[11] = box.yaw;
    }
    if (h.inside.capacity() > (1u << 16)) h = HullScratch();
  });
}

}  // namespace percept
