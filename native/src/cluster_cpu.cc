// CPU ground removal and clustering (stage 1) and the shared cluster statistics (stage 2).
// Arithmetic mirrors native/reference/cluster.ts operation for operation (double, no FMA), so
// labels and ids match exactly and floats match to the last bit except where atan2 is involved.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "cluster.h"

namespace percept {
namespace {

constexpr std::size_t kMinPointsPerThread = 64 * 1024;

int32_t Find(std::vector<int32_t>& parent, int32_t x) {
  while (parent[x] != x) {
    parent[x] = parent[parent[x]];  // path halving keeps later finds short
    x = parent[x];
  }
  return x;
}

// The larger root always hooks under the smaller one, so each root is its component's minimum.
void Union(std::vector<int32_t>& parent, int32_t a, int32_t b) {
  a = Find(parent, a);
  b = Find(parent, b);
  if (a == b) return;
  if (a < b) std::swap(a, b);
  parent[a] = b;
}

struct Box {
  double cx, cy, length, width, yaw;
};

// Drops points strictly inside the octagon of the 8 extreme points (along x, y, x+y, x−y): they
// cannot be hull vertices, and LiDAR clusters lose most of their points here, which keeps the
// sort below short (Akl–Toussaint). Mirrored exactly in native/reference/cluster.ts.
void DropInterior(std::vector<std::pair<double, double>>& pts) {
  if (pts.size() < 16) return;
  std::size_t ext[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  // Directions in counter-clockwise order: −y, x−y, x, x+y, y, −(x−y), −x, −(x+y).
  auto score = [](const std::pair<double, double>& p, int d) {
    switch (d) {
      case 0: return -p.second;
      case 1: return p.first - p.second;
      case 2: return p.first;
      case 3: return p.first + p.second;
      case 4: return p.second;
      case 5: return p.second - p.first;
      case 6: return -p.first;
      default: return -p.first - p.second;
    }
  };
  for (std::size_t i = 1; i < pts.size(); ++i) {
    for (int d = 0; d < 8; ++d) {
      if (score(pts[i], d) > score(pts[ext[d]], d)) ext[d] = i;
    }
  }
  std::pair<double, double> poly[8];
  for (int d = 0; d < 8; ++d) poly[d] = pts[ext[d]];
  std::size_t kept = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const auto& p = pts[i];
    bool inside = true;
    bool anyEdge = false;
    for (int d = 0; d < 8 && inside; ++d) {
      const auto& a = poly[d];
      const auto& b = poly[(d + 1) % 8];
      if (a == b) continue;
      anyEdge = true;
      const double cross = (b.first - a.first) * (p.second - a.second) - (b.second - a.second) * (p.first - a.first);
      if (!(cross > 0)) inside = false;
    }
    if (!(inside && anyEdge)) pts[kept++] = p;
  }
  pts.resize(kept);
}

// Andrew's monotone chain; returns the hull counter-clockwise without collinear points.
void ConvexHull(std::vector<std::pair<double, double>>& pts, std::vector<std::pair<double, double>>& hull) {
  DropInterior(pts);
  std::sort(pts.begin(), pts.end());
  hull.clear();
  auto cross = [](const std::pair<double, double>& o, const std::pair<double, double>& a,
                  const std::pair<double, double>& b) {
    return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first);
  };
  for (const auto& p : pts) {
    while (hull.size() >= 2 && cross(hull[hull.size() - 2], hull.back(), p) <= 0) hull.pop_back();
    hull.push_back(p);
  }
  const std::size_t lower = hull.size() + 1;
  for (std::size_t i = pts.size(); i-- > 0;) {
    while (hull.size() >= lower && cross(hull[hull.size() - 2], hull.back(), pts[i]) <= 0) hull.pop_back();
    hull.push_back(pts[i]);
  }
  if (hull.size() > 1) hull.pop_back();  // the last point repeats the first
}

// Minimum-area rectangle: one side of it lies on a hull edge, so trying each edge is exact.
// O(h^2), and cluster hulls have a few dozen vertices.
Box MinAreaRect(const std::vector<std::pair<double, double>>& hull) {
  const std::size_t h = hull.size();
  Box box{hull[0].first, hull[0].second, 0, 0, 0};
  double best = std::numeric_limits<double>::infinity();
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
    box.yaw = std::atan2(dy, dx);
  }
  return box;
}

}  // namespace

void ClusterStage1Cpu(const float* points, std::size_t count, std::size_t stride, const BevGrid& g,
                      const ClusterParams& prm, ClusterStage1& out) {
  const std::size_t cells = g.cells();
  out.cellOf.resize(count);
  out.ground.assign(count, 0);
  ParallelRanges(count, kMinPointsPerThread, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const float* p = points + i * stride;
      out.cellOf[i] = IsFinite(p[prm.fz]) ? CellOf(p[prm.fx], p[prm.fy], g.xMin, g.yMin, g.resolution, g.width, g.height)
                                           : -1;
    }
  });

  // Lowest z per cell; only touched cells are ever read, so the arrays need no initialization
  // beyond what the first point of each cell writes.
  std::unique_ptr<float[]> lowest(new float[cells]);
  std::unique_ptr<uint8_t[]> seen(new uint8_t[cells]());
  std::vector<int32_t> touched;
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = out.cellOf[i];
    if (c < 0) continue;
    const float z = points[i * stride + prm.fz];
    if (!seen[c]) {
      seen[c] = 1;
      lowest[c] = z;
      touched.push_back(c);
    } else if (z < lowest[c]) {
      lowest[c] = z;
    }
  }
  std::unique_ptr<float[]> reference(new float[cells]);
  const int32_t gr = prm.groundRadius;
  for (const int32_t c : touched) {
    const int32_t row = c / g.width, col = c % g.width;
    float ref = lowest[c];
    for (int32_t r = std::max(0, row - gr); r <= std::min(g.height - 1, row + gr); ++r) {
      for (int32_t k = std::max(0, col - gr); k <= std::min(g.width - 1, col + gr); ++k) {
        const int32_t d = r * g.width + k;
        if (seen[d] && lowest[d] < ref) ref = lowest[d];
      }
    }
    reference[c] = ref;
  }

  out.root.assign(cells, -1);
  std::vector<int32_t> occupied;
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = out.cellOf[i];
    if (c < 0) continue;
    const double ref = reference[c];
    const double z = points[i * stride + prm.fz];
    if (ref <= prm.maxGroundZ && z - ref <= prm.groundThreshold) {
      out.ground[i] = 1;
    } else if (out.root[c] < 0) {
      out.root[c] = c;
      occupied.push_back(c);
    }
  }

  const int32_t lr = prm.linkRadius;
  for (const int32_t c : occupied) {
    const int32_t row = c / g.width, col = c % g.width;
    for (int32_t r = row; r <= std::min(g.height - 1, row + lr); ++r) {
      for (int32_t k = std::max(0, col - lr); k <= std::min(g.width - 1, col + lr); ++k) {
        const int32_t d = r * g.width + k;
        if (d > c && out.root[d] >= 0) Union(out.root, c, d);
      }
    }
  }
  for (const int32_t c : occupied) out.root[c] = Find(out.root, c);
}

void ClusterStage2(const float* points, std::size_t count, std::size_t stride, const BevGrid& g,
                   const ClusterParams& prm, const ClusterStage1& s1, int32_t* labels, std::vector<double>& records) {
  std::vector<int32_t> slot(g.cells(), -1);
  std::vector<int32_t> rootCells, slotCounts;
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = s1.cellOf[i];
    if (c < 0 || s1.ground[i]) continue;
    const int32_t r = s1.root[c];
    if (slot[r] < 0) {
      slot[r] = static_cast<int32_t>(rootCells.size());
      rootCells.push_back(r);
      slotCounts.push_back(0);
    }
    ++slotCounts[slot[r]];
  }
  // Ids follow the component's lowest cell index, skipping components below minPoints.
  std::vector<int32_t> order(rootCells.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return rootCells[a] < rootCells[b]; });
  std::vector<int32_t> idOfSlot(rootCells.size(), kLabelNoise);
  std::vector<int32_t> sizes;
  for (const int32_t s : order) {
    if (slotCounts[s] < prm.minPoints) continue;
    idOfSlot[s] = static_cast<int32_t>(sizes.size());
    sizes.push_back(slotCounts[s]);
  }
  const std::size_t clusters = sizes.size();

  std::vector<double> sx(clusters, 0), sy(clusters, 0), sz(clusters, 0);
  std::vector<float> minZ(clusters, 0), maxZ(clusters, 0);
  std::vector<int32_t> offsets(clusters + 1, 0), fill(clusters, 0);
  for (std::size_t k = 0; k < clusters; ++k) offsets[k + 1] = offsets[k] + sizes[k];
  std::vector<int32_t> members(offsets[clusters]);
  for (std::size_t i = 0; i < count; ++i) {
    const int32_t c = s1.cellOf[i];
    int32_t label;
    if (c < 0) {
      label = kLabelOutside;
    } else if (s1.ground[i]) {
      label = kLabelGround;
    } else {
      label = idOfSlot[slot[s1.root[c]]];
    }
    labels[i] = label;
    if (label < 0) continue;
    const float* p = points + i * stride;
    const float z = p[prm.fz];
    if (fill[label] == 0) {
      minZ[label] = z;
      maxZ[label] = z;
    } else {
      if (z < minZ[label]) minZ[label] = z;
      if (z > maxZ[label]) maxZ[label] = z;
    }
    sx[label] += p[prm.fx];
    sy[label] += p[prm.fy];
    sz[label] += z;
    members[offsets[label] + fill[label]++] = static_cast<int32_t>(i);
  }

  records.assign(clusters * kClusterRecord, 0.0);
  ParallelRanges(clusters, count >= kMinPointsPerThread ? 1 : std::max<std::size_t>(1, clusters),
                 [&](std::size_t b, std::size_t e) {
                   std::vector<std::pair<double, double>> pts, hull;
                   for (std::size_t k = b; k < e; ++k) {
                     pts.clear();
                     for (int32_t m = offsets[k]; m < offsets[k + 1]; ++m) {
                       const float* p = points + static_cast<std::size_t>(members[m]) * stride;
                       pts.emplace_back(p[prm.fx], p[prm.fy]);
                     }
                     ConvexHull(pts, hull);
                     const Box box = MinAreaRect(hull);
                     double* rec = records.data() + k * kClusterRecord;
                     const double n = sizes[k];
                     rec[0] = static_cast<double>(k);
                     rec[1] = n;
                     rec[2] = sx[k] / n;
                     rec[3] = sy[k] / n;
                     rec[4] = sz[k] / n;
                     rec[5] = minZ[k];
                     rec[6] = maxZ[k];
                     rec[7] = box.cx;
                     rec[8] = box.cy;
                     rec[9] = box.length;
                     rec[10] = box.width;
                     rec[11] = box.yaw;
                   }
                 });
}

}  // namespace percept
