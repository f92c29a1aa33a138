/* xoshiro256** (Blackman & Vigna), seeded through splitmix64; Box-Muller normals. */
#include <math.h>
#include "ganc.h"
#include "nn/nn.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void ganc_rng_seed(ganc_rng_t *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
    r->has_spare = 0;
    r->spare = 0.0f;
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t ganc_rng_u64(ganc_rng_t *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}

float ganc_rng_uniform(ganc_rng_t *r) { return (float)(ganc_rng_u64(r) >> 40) * (1.0f / 16777216.0f); }

/* x[i] = 2^24 times the i-th ganc_rng_uniform (an integer, exact in a float): the same stream, with the state in
   registers (a dropout mask of 0.5 M elements: 9-20 ms through the calls, see dropout_mask) */
void rng_fill_u24(ganc_rng_t *r, float *x, size_t n) {
    uint64_t s0 = r->s[0], s1 = r->s[1], s2 = r->s[2], s3 = r->s[3];
    for (size_t i = 0; i < n; i++) {
        const uint64_t result = rotl(s1 * 5, 7) * 9, t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t; s3 = rotl(s3, 45);
        x[i] = (float)(result >> 40);
    }
    r->s[0] = s0; r->s[1] = s1; r->s[2] = s2; r->s[3] = s3;
}

float ganc_rng_normal(ganc_rng_t *r) {
    if (r->has_spare) { r->has_spare = 0; return r->spare; }
    /* u1 in (0,1] so log is finite; computed in double for accuracy, rounded once */
    double u1 = ((double)(ganc_rng_u64(r) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
    double u2 = (double)(ganc_rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
    double rad = sqrt(-2.0 * log(u1)), th = 6.283185307179586 * u2;
    r->spare = (float)(rad * sin(th));
    r->has_spare = 1;
    return (float)(rad * cos(th));
}

void ganc_rng_fill_normal(ganc_rng_t *r, float *x, size_t n, float mean, float std) {
    for (size_t i = 0; i < n; i++) x[i] = mean + std * ganc_rng_normal(r);
}

void ganc_rng_fill_uniform(ganc_rng_t *r, float *x, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * ganc_rng_uniform(r);
}

uint32_t ganc_rng_below(ganc_rng_t *r, uint32_t n) {
    if (n <= 1) return 0;
    uint64_t lim = UINT64_MAX - UINT64_MAX % n; /* rejection keeps it unbiased */
    uint64_t v;
    do v = ganc_rng_u64(r); while (v >= lim);
    return (uint32_t)(v % n);
}
