// F32, F16 and BF16 dot products on Advanced SIMD, in the scalar reference's order (`DotScalar.f32/f16/bf16`, which
// is ggml's AVX2 order): element j of each whole 32-element group fused-multiply-added into lane j % 8 of accumulator
// j / 8 % 4 — here each 8-lane accumulator is two 4-lane registers (lanes 0–3, 4–7) — then the same reductions and
// tails. Widening F16 and BF16 to F32 is exact.
#pragma STDC FP_CONTRACT OFF
#include "bitnet_neon.h"
#include "neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include <string.h>

/// Eight accumulators: acc[2k] lanes 0–3 and acc[2k + 1] lanes 4–7 of the reference's 8-lane accumulator k.
typedef struct { float32x4_t v[8]; } bn_acc8x4;

static inline float32x4_t bn_f16x4(const uint8_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)p))); }

static inline float32x4_t bn_bf16x4(const uint8_t *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)p), 16));
}

/// `GGMLMath.reduce`: v = (a0 + a2) + (a1 + a3) lane-wise; t = low + high; (t0 + t1) + (t2 + t3).
static inline float bn_reduce(const bn_acc8x4 *a) {
    float32x4_t lo = vaddq_f32(vaddq_f32(a->v[0], a->v[4]), vaddq_f32(a->v[2], a->v[6]));
    float32x4_t hi = vaddq_f32(vaddq_f32(a->v[1], a->v[5]), vaddq_f32(a->v[3], a->v[7]));
    float32x4_t t = vaddq_f32(lo, hi);
    return (vgetq_lane_f32(t, 0) + vgetq_lane_f32(t, 1)) + (vgetq_lane_f32(t, 2) + vgetq_lane_f32(t, 3));
}

/// The whole 32-element groups: `widen(p)` gives 4 elements at byte pointer p; `size` bytes per element.
#define BN_BODY(acc, w, x, count, widen, size)                                                                     \
    for (int k = 0; k < 8; k++) (acc).v[k] = vdupq_n_f32(0);                                                       \
    for (ptrdiff_t j = 0; j < ((count) & ~(ptrdiff_t)31); j += 32) {                                               \
        for (int k = 0; k < 8; k++) {                                                                              \
            const uint8_t *wp = (const uint8_t *)(w) + (j + 4 * k) * (size);                                       \
            const uint8_t *xp = (const uint8_t *)(x) + (j + 4 * k) * (size);                                       \
            (acc).v[k] = vfmaq_f32((acc).v[k], widen(wp), widen(xp));                                              \
        }                                                                                                          \
    }

static inline float32x4_t bn_f32x4(const uint8_t *p) { return vld1q_f32((const float *)p); }

float bitnet_neon_dot_f32(const void *w, const void *x, ptrdiff_t count) {
    bn_acc8x4 acc;
    BN_BODY(acc, w, x, count, bn_f32x4, 4)
    float sum = bn_reduce(&acc);
    const float *wf = (const float *)w, *xf = (const float *)x;
    ptrdiff_t j = count & ~(ptrdiff_t)31;
    for (; j < count - count % 4; j++) sum += wf[j] * xf[j];
    for (; j < count; j++) sum = fmaf(wf[j], xf[j], sum);
    return sum;
}

float bitnet_neon_dot_f16(const void *w, const void *x, ptrdiff_t count) {
    bn_acc8x4 acc;
    BN_BODY(acc, w, x, count, bn_f16x4, 2)
    double sum = (double)bn_reduce(&acc);
    for (ptrdiff_t j = count & ~(ptrdiff_t)31; j < count; j++)
        sum += (double)(bn_half((const uint8_t *)w + 2 * j) * bn_half((const uint8_t *)x + 2 * j));
    return (float)sum;
}

/// `GGMLBF16.hsum`: ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)) of the 8-lane sum (c0 + c2) + (c1 + c3).
float bitnet_neon_dot_bf16(const void *w, const void *x, ptrdiff_t count) {
    bn_acc8x4 acc;
    BN_BODY(acc, w, x, count, bn_bf16x4, 2)
    float32x4_t lo = vaddq_f32(vaddq_f32(acc.v[0], acc.v[4]), vaddq_f32(acc.v[2], acc.v[6]));
    float32x4_t hi = vaddq_f32(vaddq_f32(acc.v[1], acc.v[5]), vaddq_f32(acc.v[3], acc.v[7]));
    float32x4_t q = vaddq_f32(lo, hi);  // (v0 + v4, v1 + v5, v2 + v6, v3 + v7)
    float h = (vgetq_lane_f32(q, 0) + vgetq_lane_f32(q, 2)) + (vgetq_lane_f32(q, 1) + vgetq_lane_f32(q, 3));
    double sum = 0.0;  // as the reference: a zeroed double first, so −0 becomes +0
    sum += (double)h;
    for (ptrdiff_t j = count & ~(ptrdiff_t)31; j < count; j++)
        sum += (double)(bn_bf16((const uint8_t *)w + 2 * j) * bn_bf16((const uint8_t *)x + 2 * j));
    return (float)sum;
}

#endif  // __aarch64__
