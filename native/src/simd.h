// Run-time choice between the x86-64 baseline (SSE2) and AVX2 for the CPU backends' hot loops.
// The addon is built without -march so it loads on any x86-64 machine; a loop that pays for
// wider vectors is written once as an always-inline body and wrapped twice, the wrapper marked
// PERCEPT_TARGET_AVX2 being used when HasAvx2(). AVX2 alone does not enable FMA, and binding.gyp
// passes -ffp-contract=off, so both versions round every operation identically.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PERCEPT_X86_DISPATCH 1
#define PERCEPT_TARGET_AVX2 __attribute__((target("avx2")))
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PERCEPT_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define PERCEPT_ALWAYS_INLINE inline
#endif

namespace percept {

inline bool HasAvx2() {
#ifdef PERCEPT_X86_DISPATCH
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
#else
  return false;
#endif
}

}  // namespace percept
