// Velodyne block decoding, the hot loop of adapters/lidar/velodyne.ts. Results must be the
// same float32 values as the TypeScript: every expression below keeps the TypeScript's
// operations and their order in double precision, and fused multiply-adds are kept off (V8
// never fuses, and a fused a*b+c rounds once instead of twice).
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#include "velodyne.h"

#include <cmath>

namespace percept {
namespace {

constexpr int kUpperBank = 0xeeff;
constexpr int kLowerBank = 0xddff;

// JavaScript's Math.round: the nearest integer, halves rounded up. (floor(x + 0.5) is not the
// same: x + 0.5 can round up.)
inline double JsRound(double x) {
  double r = std::floor(x);
  if (x - r >= 0.5) r += 1.0;
  return r;
}

// The 32 channels of one block → points at `w`; returns the number written. kVlp16 and kFpp
// are template parameters so the per-channel loop has no model branches.
template <bool kVlp16, int kFpp>
int DecodeBlock(const VelodyneTables& t, const std::uint8_t* block, int bank,
                int azimuth, int azimuthStep, const double* timing, double packetOffsetS,
                double returnIndex, float* w) {
  const double blockCos = t.cosRot[azimuth];
  const double blockSin = t.sinRot[azimuth];
  const double resolution = t.distanceResolution;
  const double minRange = t.minRange;
  const double maxRange = t.maxRange;
  const double* fraction = t.vlp16Fraction.data();
  const double* cosRot = t.cosRot.data();
  const double* sinRot = t.sinRot.data();
  const VelodyneLaser* lasers = t.laser.data();
  int written = 0;
  for (int k = 0; k < kVelodyneChannels; ++k) {
    const std::uint8_t* p = block + 4 + k * 3;
    const int raw = p[0] | (p[1] << 8);
    if (raw == 0) continue;  // no return
    const VelodyneLaser& l = lasers[kVlp16 ? (k & 15) : k + bank];
    const double distance = raw * resolution + l.distCorr;
    if (distance < minRange || distance > maxRange) continue;
    double cr = blockCos;
    double sr = blockSin;
    if (kVlp16) {
      // azimuth ≥ 0, step in [0, 200] and fraction in [0, 1], checked on entry: index in range.
      const int az = static_cast<int>(JsRound(azimuth + azimuthStep * fraction[k])) % kVelodyneRotationUnits;
      cr = cosRot[az];
      sr = sinRot[az];
    }
    const double cosA = cr * l.cosRotCorr + sr * l.sinRotCorr;
    const double sinA = sr * l.cosRotCorr - cr * l.sinRotCorr;
    const double cv = l.cosVert;
    const double sv = l.sinVert;
    const double vo = l.vertOffset;
    const double ho = l.horizOffset;
    double dx = distance;
    double dy = distance;
    if (l.twoPoint) {
      const double xy0 = distance * cv - vo * sv;
      const double xx = std::fabs(xy0 * sinA - ho * cosA);
      const double yy = std::fabs(xy0 * cosA + ho * sinA);
      const double dc = l.distCorr;
      dx += ((dc - l.distCorrX) * (xx - 2.4)) / (25.04 - 2.4) + l.distCorrX - dc;
      dy += ((dc - l.distCorrY) * (yy - 1.93)) / (25.04 - 1.93) + l.distCorrY - dc;
    }
    const double xyX = dx * cv - vo * sv;
    const double xyY = dy * cv - vo * sv;
    const double vx = xyX * sinA - ho * cosA;
    const double vy = xyY * cosA + ho * sinA;
    double intensity = p[2];
    const double slope = l.focalSlope;
    if (slope != 0) {
      const double rr = 1 - raw / 65535.0;
      intensity += slope * std::fabs(l.focalOffset - 256 * rr * rr);
    }
    if (intensity < l.minIntensity) intensity = l.minIntensity;
    else if (intensity > l.maxIntensity) intensity = l.maxIntensity;
    w[0] = static_cast<float>(vy);
    w[1] = static_cast<float>(-vx);
    w[2] = static_cast<float>(dy * sv + vo * cv);
    w[3] = static_cast<float>(intensity);
    w[4] = l.ring;
    w[5] = static_cast<float>(packetOffsetS + timing[k] * 1e-6);
    if (kFpp == 7) w[6] = static_cast<float>(returnIndex);
    w += kFpp;
    ++written;
  }
  return written;
}

}  // namespace

std::vector<VelodyneLaser> VelodyneLasersFromRows(const double* table, int lasers) {
  std::vector<VelodyneLaser> out(static_cast<std::size_t>(lasers));
  const auto at = [&](int row, int i) { return table[row * lasers + i]; };
  for (int i = 0; i < lasers; ++i) {
    VelodyneLaser& l = out[static_cast<std::size_t>(i)];
    l.cosRotCorr = at(kRowCosRotCorr, i);
    l.sinRotCorr = at(kRowSinRotCorr, i);
    l.cosVert = at(kRowCosVert, i);
    l.sinVert = at(kRowSinVert, i);
    l.distCorr = at(kRowDistCorr, i);
    l.distCorrX = at(kRowDistCorrX, i);
    l.distCorrY = at(kRowDistCorrY, i);
    l.vertOffset = at(kRowVertOffset, i);
    l.horizOffset = at(kRowHorizOffset, i);
    // The TypeScript stores the float64 ring into a Float32Array: the same rounding.
    l.ring = static_cast<float>(at(kRowRing, i));
    l.twoPoint = at(kRowTwoPoint, i) != 0;
    l.focalSlope = at(kRowFocalSlope, i);
    l.focalOffset = at(kRowFocalOffset, i);
    l.minIntensity = at(kRowMinIntensity, i);
    l.maxIntensity = at(kRowMaxIntensity, i);
  }
  return out;
}

VelodyneEvent DecodeVelodyneBlocks(const VelodyneTables& t, const std::uint8_t* packet, float* out,
                                   std::size_t outFloats, VelodyneCursor& cursor) {
  const bool dual = cursor.dual;
  const std::size_t fpp = dual ? 7 : 6;
  const int pairStep = dual ? 2 : 1;
  const double* timing = t.timing[dual ? 1 : 0].data();
  const int first = cursor.block;
  std::size_t count = cursor.count;
  int lastAzimuth = cursor.lastAzimuth;
  int lastAzimuthStep = cursor.lastAzimuthStep;
  VelodyneEvent event = VelodyneEvent::kDone;
  int b = first;
  for (; b < kVelodyneBlocks; ++b) {
    const std::uint8_t* block = packet + b * kVelodyneBlockBytes;
    const int flag = block[0] | (block[1] << 8);
    int bank = 0;
    if (flag == kLowerBank && t.hdl64) {
      bank = 32;
    } else if (flag != kUpperBank) {
      event = VelodyneEvent::kBadFlag;
      break;
    }
    const int azimuth = block[2] | (block[3] << 8);
    if (azimuth >= kVelodyneRotationUnits) {
      event = VelodyneEvent::kBadAzimuth;
      break;
    }
    cursor.accepted = true;
    if (!(cursor.resume && b == first)) {
      if (azimuth < lastAzimuth) {
        event = VelodyneEvent::kWrap;
        break;
      }
      if (!cursor.sweepStarted) {
        event = VelodyneEvent::kSweepStart;
        break;
      }
    }
    lastAzimuth = azimuth;

    int azimuthStep = 0;
    if (t.vlp16) {
      const int nb = b + pairStep;
      if (nb < kVelodyneBlocks) {
        const std::uint8_t* nextBlock = packet + nb * kVelodyneBlockBytes;
        const int next = nextBlock[2] | (nextBlock[3] << 8);
        const int step = (next - azimuth + kVelodyneRotationUnits) % kVelodyneRotationUnits;
        // A step of 0 or more than 2° is a damaged or dropped block: keep the last good one.
        if (step > 0 && step <= 200) lastAzimuthStep = step;
      }
      azimuthStep = lastAzimuthStep;
    }
    if ((count + kVelodyneChannels) * fpp > outFloats) {
      event = VelodyneEvent::kNeedRoom;
      break;
    }
    const double returnIndex = dual ? (t.hdl64 ? (b >> 1) & 1 : b & 1) : 0;
    const double* blockTiming = timing + b * kVelodyneChannels;
    float* w = out + count * fpp;
    int written;
    if (t.vlp16) {
      written = dual ? DecodeBlock<true, 7>(t, block, bank, azimuth, azimuthStep, blockTiming,
                                            cursor.packetOffsetS, returnIndex, w)
                     : DecodeBlock<true, 6>(t, block, bank, azimuth, azimuthStep, blockTiming,
                                            cursor.packetOffsetS, returnIndex, w);
    } else {
      written = dual ? DecodeBlock<false, 7>(t, block, bank, azimuth, 0, blockTiming,
                                             cursor.packetOffsetS, returnIndex, w)
                     : DecodeBlock<false, 6>(t, block, bank, azimuth, 0, blockTiming,
                                             cursor.packetOffsetS, returnIndex, w);
    }
    count += static_cast<std::size_t>(written);
  }
  cursor.count = count;
  cursor.lastAzimuth = lastAzimuth;
  cursor.lastAzimuthStep = lastAzimuthStep;
  cursor.block = b;
  return event;
}

}  // namespace percept
