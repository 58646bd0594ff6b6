// N-API binding of the image pre-processing kernel (preprocessImages, preprocessImagesAsync).
// Argument order is fixed by native/preprocess.ts, which validates with friendly messages first;
// the checks here keep every read and write in bounds when the addon is called directly.
#include <napi.h>

#include <cmath>
#include <exception>
#include <string>
#include <vector>

#include "export_registry.h"
#include "preprocess.h"

namespace percept {
namespace {

constexpr std::size_t kImageParams = 6;  // width, height, channels, rowStride, bgr, slot
constexpr std::size_t kSpecParams = 12;  // width, height, nchw, bgr, letterbox, pad, mean[3], std[3]
constexpr double kMaxSide = 1 << 16;

struct Job {
  std::vector<PreprocessImage> images;
  PreprocessSpec spec;
  void* out = nullptr;
};

double Whole(Napi::Env env, double x, double lo, double hi, const char* name) {
  if (!(x >= lo && x <= hi) || std::floor(x) != x) {
    throw Napi::RangeError::New(env, std::string(name) + " is out of range");
  }
  return x;
}

Job ParseJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4) throw Napi::TypeError::New(env, "preprocessImages takes 4 arguments");
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "images must be an array of Uint8Array");
  auto images = info[0].As<Napi::Array>();
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, "params must be a Float64Array");
  }
  auto params = info[1].As<Napi::Float64Array>();
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(env, "spec must be a Float64Array");
  }
  auto specArray = info[2].As<Napi::Float64Array>();
  if (specArray.ElementLength() != kSpecParams) throw Napi::RangeError::New(env, "spec must hold 12 numbers");
  if (params.ElementLength() != images.Length() * kImageParams) {
    throw Napi::RangeError::New(env, "params must hold 6 numbers per image");
  }
  Job job;
  const double* s = specArray.Data();
  PreprocessSpec& spec = job.spec;
  spec.width = static_cast<std::size_t>(Whole(env, s[0], 1, kMaxSide, "spec width"));
  spec.height = static_cast<std::size_t>(Whole(env, s[1], 1, kMaxSide, "spec height"));
  spec.nchw = s[2] != 0;
  spec.bgr = s[3] != 0;
  spec.letterbox = s[4] != 0;
  spec.padValue = s[5];
  for (int k = 0; k < 3; ++k) {
    spec.mean[k] = s[6 + k];
    spec.std[k] = s[9 + k];
    if (!std::isfinite(spec.mean[k]) || !std::isfinite(spec.std[k]) || spec.std[k] == 0) {
      throw Napi::RangeError::New(env, "mean must be finite and std finite and non-zero");
    }
  }
  if (!std::isfinite(spec.padValue)) throw Napi::RangeError::New(env, "padValue must be finite");

  if (!info[3].IsTypedArray()) throw Napi::TypeError::New(env, "out must be a Float32Array or Uint8Array");
  auto outArray = info[3].As<Napi::TypedArray>();
  if (outArray.TypedArrayType() == napi_float32_array) {
    spec.floatOut = true;
    job.out = outArray.As<Napi::Float32Array>().Data();
  } else if (outArray.TypedArrayType() == napi_uint8_array) {
    spec.floatOut = false;
    job.out = outArray.As<Napi::Uint8Array>().Data();
  } else {
    throw Napi::TypeError::New(env, "out must be a Float32Array or Uint8Array");
  }
  const std::size_t slotElements = 3 * spec.width * spec.height;
  const std::size_t slots = outArray.ElementLength() / slotElements;

  job.images.resize(images.Length());
  for (uint32_t i = 0; i < images.Length(); ++i) {
    const Napi::Value v = images.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, "each image must be a Uint8Array");
    }
    auto bytes = v.As<Napi::Uint8Array>();
    const double* p = params.Data() + i * kImageParams;
    PreprocessImage& img = job.images[i];
    img.width = static_cast<std::size_t>(Whole(env, p[0], 1, kMaxSide, "image width"));
    img.height = static_cast<std::size_t>(Whole(env, p[1], 1, kMaxSide, "image height"));
    img.channels = static_cast<std::size_t>(Whole(env, p[2], 1, 4, "image channels"));
    img.rowStride = static_cast<std::size_t>(Whole(env, p[3], 1, kMaxSide * 4, "image rowStride"));
    img.bgr = p[4] != 0;
    img.slot = static_cast<std::size_t>(Whole(env, p[5], 0, 1 << 20, "image slot"));
    if (img.rowStride < img.width * img.channels) {
      throw Napi::RangeError::New(env, "image rowStride is shorter than width * channels");
    }
    if (bytes.ElementLength() < (img.height - 1) * img.rowStride + img.width * img.channels) {
      throw Napi::RangeError::New(env, "image data is shorter than its height * rowStride");
    }
    if (img.slot >= slots) throw Napi::RangeError::New(env, "out is too short for the image's slot");
    img.data = bytes.Data();
  }
  return job;
}

std::string RunJob(const Job& job) {
  try {
    PreprocessImagesCpu(job.images.data(), job.images.size(), job.spec, job.out);
  } catch (const std::exception& e) {
    return std::string("CPU preprocess failed: ") + e.what();
  }
  return "";
}

Napi::Value PreprocessImages(const Napi::CallbackInfo& info) {
  const Job job = ParseJob(info);
  const std::string failure = RunJob(job);
  if (!failure.empty()) throw Napi::Error::New(info.Env(), failure);
  return info[3];
}

class PreprocessWorker : public Napi::AsyncWorker {
 public:
  PreprocessWorker(Napi::Env env, Job job, Napi::Array images, Napi::Value out)
      : Napi::AsyncWorker(env, "percept:preprocessImagesAsync"),
        job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(env)),
        // The worker reads the images and writes `out` off the JS thread; the references keep
        // them from being collected until the promise settles.
        images_(Napi::Persistent(images)),
        out_(Napi::Persistent(out.As<Napi::Object>())) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    const std::string failure = RunJob(job_);
    if (!failure.empty()) SetError(failure);
  }
  void OnOK() override { deferred_.Resolve(out_.Value()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Job job_;
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Array> images_;
  Napi::Reference<Napi::Object> out_;
};

Napi::Value PreprocessImagesAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Job job;
  try {
    job = ParseJob(info);
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
  // The images array is copied so that a caller emptying theirs cannot release the buffers.
  auto source = info[0].As<Napi::Array>();
  auto kept = Napi::Array::New(env, source.Length());
  for (uint32_t i = 0; i < source.Length(); ++i) kept.Set(i, source.Get(i));
  auto* worker = new PreprocessWorker(env, std::move(job), kept, info[3]);
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // AsyncWorker deletes itself after OnOK/OnError
  return promise;
}

void InitPreprocess(Napi::Env env, Napi::Object exports) {
  exports.Set("preprocessImages", Napi::Function::New(env, PreprocessImages, "preprocessImages"));
  exports.Set("preprocessImagesAsync",
              Napi::Function::New(env, PreprocessImagesAsync, "preprocessImagesAsync"));
}

static RegisterExports registerPreprocess(&InitPreprocess);

}  // namespace
}  // namespace percept
