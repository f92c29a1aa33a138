/* GCC/Clang vector extensions of the target's width: VL floats, 16 with AVX-512, 8 with AVX, else 4 (a wider GCC
   vector than the target has changes the calling convention: -Wpsabi). */
#ifndef GANC_SIMD_H
#define GANC_SIMD_H
#include <string.h>

#if defined(__AVX512F__)
#define VL 16
#elif defined(__AVX__)
#define VL 8
#else
#define VL 4
#endif
typedef float vf __attribute__((vector_size(VL * sizeof(float))));

static inline vf vld(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void vst(float *p, vf v) { memcpy(p, &v, sizeof v); }
#define INLINE static inline __attribute__((always_inline))
#endif
