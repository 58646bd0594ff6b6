#pragma once
// Velodyne data-packet kernel: the per-block inner work of adapters/lidar/velodyne.ts in plain
// C++ (no N-API here), so the hot loop is an ordinary loop. Everything stateful across packets
// (sweep assembly, stamps, issues, return-mode handling) stays in TypeScript; the kernel decodes
// blocks until it meets something the TypeScript has to act on and reports it as an event.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace percept {

constexpr int kVelodyneBlocks = 12;
constexpr int kVelodyneChannels = 32;
constexpr int kVelodyneBlockBytes = 100;
constexpr std::size_t kVelodynePacketBytes = 1206;
constexpr int kVelodyneRotationUnits = 36000;

// Rows of the per-laser table passed in from TypeScript, each `lasers` doubles long.
enum VelodyneLaserRow : int {
  kRowCosRotCorr,
  kRowSinRotCorr,
  kRowCosVert,
  kRowSinVert,
  kRowDistCorr,
  kRowDistCorrX,
  kRowDistCorrY,
  kRowVertOffset,
  kRowHorizOffset,
  kRowRing,
  kRowTwoPoint,
  kRowFocalSlope,
  kRowFocalOffset,
  kRowMinIntensity,
  kRowMaxIntensity,
  kVelodyneLaserRows,
};

// One laser's constants together (one cache line or two), so the per-point loop reads them
// through a single pointer.
struct VelodyneLaser {
  double cosRotCorr = 1;
  double sinRotCorr = 0;
  double cosVert = 1;
  double sinVert = 0;
  double distCorr = 0;
  double distCorrX = 0;
  double distCorrY = 0;
  double vertOffset = 0;
  double horizOffset = 0;
  double focalSlope = 0;
  double focalOffset = 0;
  double minIntensity = 0;
  double maxIntensity = 255;
  float ring = 0;
  bool twoPoint = false;
};

// Copies of the decoder's constant tables, made once when a decoder is created.
struct VelodyneTables {
  int lasers = 0;
  bool vlp16 = false;
  bool hdl64 = false;
  double distanceResolution = 0;
  double minRange = 0;
  double maxRange = 0;
  std::vector<VelodyneLaser> laser;  // `lasers` of them
  std::vector<double> cosRot;       // kVelodyneRotationUnits
  std::vector<double> sinRot;       // kVelodyneRotationUnits
  std::vector<double> timing[2];    // [single, dual]: µs after the packet stamp, 12 × 32
  std::vector<double> vlp16Fraction;  // 32: share of the block's azimuth step per channel
};

// Per-laser constants from the rows of `table` (kVelodyneLaserRows × lasers, row-major).
std::vector<VelodyneLaser> VelodyneLasersFromRows(const double* table, int lasers);

// What stopped a decode call; every event but kDone names a block not yet decoded.
enum class VelodyneEvent : int {
  kDone = 0,          // every block up to the end of the packet decoded
  kBadFlag = 1,       // block's flag is neither the upper nor (HDL-64E) lower bank
  kBadAzimuth = 2,    // block's azimuth is ≥ 36000
  kWrap = 3,          // block's azimuth is below the previous block's: the sweep ends before it
  kSweepStart = 4,    // first good block of a sweep: its stamp is set from this block
  kNeedRoom = 5,      // fewer than 32 free points left in the output buffer
};

// Per-call state, read and written by the kernel.
struct VelodyneCursor {
  std::size_t count = 0;        // points already in `out`
  int lastAzimuth = -1;         // azimuth of the previous good block, -1 at the start
  int lastAzimuthStep = 40;     // last good VLP-16 azimuth step, 0.01° units
  double packetOffsetS = 0;     // seconds from the sweep stamp to the packet stamp
  bool dual = false;            // dual-return packet (7 floats per point, paired blocks)
  bool sweepStarted = false;    // the current sweep has a stamp
  int block = 0;                // next block to look at; on return, the event's block
  bool resume = false;          // `block`'s checks already passed: decode it straight away
  bool accepted = false;        // set when a good block was seen
};

// Decodes blocks of `packet` (kVelodynePacketBytes) from cursor.block into `out` (capacity
// `outFloats`) until an event; updates the cursor. Same operations, in the same order and in
// double precision, as the TypeScript loop, so every float stored is the same.
VelodyneEvent DecodeVelodyneBlocks(const VelodyneTables& tables, const std::uint8_t* packet,
                                   float* out, std::size_t outFloats, VelodyneCursor& cursor);

}  // namespace percept
