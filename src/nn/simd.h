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

/* r[0..VL-1] (VL rows of VL floats) transposed in registers: at each scale d the off-diagonal d x d blocks swap
   places (lane l of row i, i clear of d, with lane l-d of row i+d), VL log2(VL) two-vector shuffles in all */
#define VT_LO(d, l) (((l) & (d)) ? VL + (l) - (d) : (l))
#define VT_HI(d, l) (((l) & (d)) ? VL + (l) : (l) + (d))
#if VL == 16
#define VT_LANES(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4), F(d, 5), F(d, 6), F(d, 7), F(d, 8), F(d, 9), \
    F(d, 10), F(d, 11), F(d, 12), F(d, 13), F(d, 14), F(d, 15)
#elif VL == 8
#define VT_LANES(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3), F(d, 4), F(d, 5), F(d, 6), F(d, 7)
#else
#define VT_LANES(F, d) F(d, 0), F(d, 1), F(d, 2), F(d, 3)
#endif
#define VT_STAGE(r, d)                                                                                               \
    for (int i_ = 0; i_ < VL; i_++)                                                                                  \
        if (!(i_ & (d))) {                                                                                           \
            const vf a_ = r[i_], b_ = r[i_ + (d)];                                                                   \
            r[i_] = __builtin_shufflevector(a_, b_, VT_LANES(VT_LO, d));                                             \
            r[i_ + (d)] = __builtin_shufflevector(a_, b_, VT_LANES(VT_HI, d));                                       \
        }
INLINE void vtranspose(vf *r) {
    VT_STAGE(r, 1)
    VT_STAGE(r, 2)
#if VL > 4
    VT_STAGE(r, 4)
#endif
#if VL > 8
    VT_STAGE(r, 8)
#endif
}
#endif
