// N-API surface of the Velodyne kernel (velodyne.h). Friendly validation lives in
// native/velodyne.ts; the checks here only guarantee memory safety when the addon is called
// directly. A decode call allocates nothing: tables live in the context, state in `io`.
#include <napi.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "export_registry.h"
#include "velodyne.h"

namespace percept {
namespace {

// Marks externals made here, so that no other external can be passed off as a context.
constexpr napi_type_tag kVelodyneContextTag = {0x8d3f7c2a51e04b9bULL, 0xa6c15e0d93f2487eULL};

// Slots of the Float64Array `io` shared with native/velodyne.ts.
enum IoSlot : int {
  kIoCount,
  kIoLastAzimuth,
  kIoLastAzimuthStep,
  kIoPacketOffsetS,
  kIoDual,
  kIoSweepStarted,
  kIoBlock,
  kIoResume,
  kIoAccepted,
  kIoSlots,
};

Napi::Float64Array Float64Arg(const Napi::CallbackInfo& info, std::size_t i, const char* name,
                              std::size_t length) {
  const Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a Float64Array");
  }
  auto a = v.As<Napi::Float64Array>();
  if (length != 0 && a.ElementLength() != length) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " has the wrong length");
  }
  return a;
}

std::vector<double> CopyOf(const Napi::Float64Array& a) {
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

bool IsIntegerIn(double v, double lo, double hi) { return v >= lo && v <= hi && std::floor(v) == v; }

// (laser: Float64Array(15 × lasers), cosRot: Float64Array(36000), sinRot: Float64Array(36000),
//  timingSingle: Float64Array(384), timingDual: Float64Array(384), vlp16Fraction: Float64Array(32),
//  params: Float64Array [lasers, distanceResolution, minRange, maxRange, isVlp16, isHdl64])
Napi::Value CreateContext(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7) throw Napi::TypeError::New(env, "velodyneCreateContext: expected 7 arguments");
  const auto params = Float64Arg(info, 6, "params", 6);
  const double lasers = params[0];
  const bool vlp16 = params[4] != 0;
  const bool hdl64 = params[5] != 0;
  // Largest laser index the kernel can form: k & 15, k + 32 (lower bank) or k.
  const double needed = vlp16 ? 16 : hdl64 ? 64 : 32;
  if (!IsIntegerIn(lasers, needed, 64)) throw Napi::RangeError::New(env, "params: bad laser count for the model");
  auto tables = std::make_unique<VelodyneTables>();
  tables->lasers = static_cast<int>(lasers);
  tables->vlp16 = vlp16;
  tables->hdl64 = hdl64;
  tables->distanceResolution = params[1];
  tables->minRange = params[2];
  tables->maxRange = params[3];
  tables->laser = VelodyneLasersFromRows(
      Float64Arg(info, 0, "laser", kVelodyneLaserRows * tables->lasers).Data(), tables->lasers);
  tables->cosRot = CopyOf(Float64Arg(info, 1, "cosRot", kVelodyneRotationUnits));
  tables->sinRot = CopyOf(Float64Arg(info, 2, "sinRot", kVelodyneRotationUnits));
  tables->timing[0] = CopyOf(Float64Arg(info, 3, "timingSingle", kVelodyneBlocks * kVelodyneChannels));
  tables->timing[1] = CopyOf(Float64Arg(info, 4, "timingDual", kVelodyneBlocks * kVelodyneChannels));
  tables->vlp16Fraction = CopyOf(Float64Arg(info, 5, "vlp16Fraction", kVelodyneChannels));
  for (double f : tables->vlp16Fraction) {
    // Keeps the interpolated azimuth index inside the rotation table.
    if (!(f >= 0 && f <= 1)) throw Napi::RangeError::New(env, "vlp16Fraction: values must be in [0, 1]");
  }
  auto ext = Napi::External<VelodyneTables>::New(env, tables.release(),
                                                 [](Napi::Env, VelodyneTables* t) { delete t; });
  ext.TypeTag(&kVelodyneContextTag);
  return ext;
}

// One napi_get_typedarray_info call per argument (the C++ wrapper's type and length getters
// each make their own): this runs once per packet, so its fixed cost matters.
template <typename T>
bool TypedArrayArg(napi_env env, napi_value value, napi_typedarray_type want, T** data, std::size_t* length) {
  bool isTypedArray = false;
  if (napi_is_typedarray(env, value, &isTypedArray) != napi_ok || !isTypedArray) return false;
  napi_typedarray_type type;
  void* raw = nullptr;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, nullptr, nullptr) != napi_ok || type != want) {
    return false;
  }
  // A detached buffer reports no data and length 0; the size checks below then refuse it.
  if (raw == nullptr) *length = 0;
  *data = static_cast<T*>(raw);
  return true;
}

// (context, packet: Uint8Array(1206), out: Float32Array, io: Float64Array(9)) → event code;
// io is read and updated (see IoSlot).
Napi::Value DecodeBlocks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool tagged = false;
  void* context = nullptr;
  if (info.Length() < 4 || !info[0].IsExternal() ||
      napi_check_object_type_tag(env, info[0], &kVelodyneContextTag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, info[0], &context) != napi_ok || context == nullptr) {
    throw Napi::TypeError::New(env, "velodyneDecodeBlocks: context must come from velodyneCreateContext");
  }
  const VelodyneTables& tables = *static_cast<const VelodyneTables*>(context);
  std::uint8_t* packet = nullptr;
  float* out = nullptr;
  double* s = nullptr;
  std::size_t packetBytes = 0, outFloats = 0, ioSlots = 0;
  if (!TypedArrayArg(env, info[1], napi_uint8_array, &packet, &packetBytes)) {
    throw Napi::TypeError::New(env, "packet must be a Uint8Array");
  }
  if (!TypedArrayArg(env, info[2], napi_float32_array, &out, &outFloats)) {
    throw Napi::TypeError::New(env, "out must be a Float32Array");
  }
  if (!TypedArrayArg(env, info[3], napi_float64_array, &s, &ioSlots)) {
    throw Napi::TypeError::New(env, "io must be a Float64Array");
  }
  if (packetBytes != kVelodynePacketBytes) throw Napi::RangeError::New(env, "packet must be 1206 bytes");
  if (ioSlots != kIoSlots) throw Napi::RangeError::New(env, "io must have 9 slots");
  if (!IsIntegerIn(s[kIoCount], 0, static_cast<double>(outFloats)) ||
      !IsIntegerIn(s[kIoLastAzimuth], -1, 65535) || !IsIntegerIn(s[kIoLastAzimuthStep], 0, 36000) ||
      !IsIntegerIn(s[kIoBlock], 0, kVelodyneBlocks) || !std::isfinite(s[kIoPacketOffsetS])) {
    throw Napi::RangeError::New(env, "io: count, azimuth state, block or packet offset out of range");
  }
  VelodyneCursor cursor;
  cursor.count = static_cast<std::size_t>(s[kIoCount]);
  cursor.lastAzimuth = static_cast<int>(s[kIoLastAzimuth]);
  cursor.lastAzimuthStep = static_cast<int>(s[kIoLastAzimuthStep]);
  cursor.packetOffsetS = s[kIoPacketOffsetS];
  cursor.dual = s[kIoDual] != 0;
  cursor.sweepStarted = s[kIoSweepStarted] != 0;
  cursor.block = static_cast<int>(s[kIoBlock]);
  cursor.resume = s[kIoResume] != 0;
  const VelodyneEvent event = DecodeVelodyneBlocks(tables, packet, out, outFloats, cursor);
  s[kIoCount] = static_cast<double>(cursor.count);
  s[kIoLastAzimuth] = cursor.lastAzimuth;
  s[kIoLastAzimuthStep] = cursor.lastAzimuthStep;
  s[kIoBlock] = cursor.block;
  s[kIoAccepted] = cursor.accepted ? 1 : 0;
  return Napi::Number::New(env, static_cast<int>(event));
}

void InitVelodyne(Napi::Env env, Napi::Object exports) {
  exports.Set("velodyneCreateContext", Napi::Function::New(env, CreateContext, "velodyneCreateContext"));
  exports.Set("velodyneDecodeBlocks", Napi::Function::New(env, DecodeBlocks, "velodyneDecodeBlocks"));
}

static RegisterExports reg(&InitVelodyne);

}  // namespace
}  // namespace percept
