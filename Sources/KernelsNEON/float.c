// F32, F16 and BF16 dot products on Advanced SIMD, in the order of llama.cpp's ARM build (ggml_vec_dot_f32 / _f16 /
// _bf16 in ggml-cpu/vec.cpp with the Advanced SIMD mappings of simd-mappings.h, compiled by GCC 12 at -O3, no FP16
// vector arithmetic — llama.cpp's armv8.0_1 and armv8.2_1 variants): element j of each whole 16-element group
// fused-multiply-added into lane j % 4 of accumulator j / 4 % 4, the accumulators reduced as (a0 + a2) + (a1 + a3)
// lane-wise and then across lanes by pairwise adds; the leftovers as GCC compiles ggml's tail loop. Widening F16 and
// BF16 to F32 is exact.
#pragma STDC FP_CONTRACT OFF
#include "bitnet_neon.h"
#include "neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include <string.h>

static inline float32x4_t bn_f32x4(const uint8_t *p) { return vld1q_f32((const float *)p); }
static inline float32x4_t bn_f16x4(const uint8_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)p))); }

/// ggml's `GGML_F32_VEC_REDUCE` over the whole 16-element groups: `widen(p)` gives 4 elements at byte pointer p,
/// `size` bytes per element.
#define BN_SUM16(w, x, count, widen, size)                                                                         \
    ({                                                                                                             \
        float32x4_t a0 = vdupq_n_f32(0), a1 = a0, a2 = a0, a3 = a0;                                                \
        const uint8_t *wp = (const uint8_t *)(w), *xp = (const uint8_t *)(x);                                      \
        for (ptrdiff_t j = 0; j < ((count) & ~(ptrdiff_t)15); j += 16) {                                           \
            a0 = vfmaq_f32(a0, widen(wp + j * (size)), widen(xp + j * (size)));                                    \
            a1 = vfmaq_f32(a1, widen(wp + (j + 4) * (size)), widen(xp + (j + 4) * (size)));                        \
            a2 = vfmaq_f32(a2, widen(wp + (j + 8) * (size)), widen(xp + (j + 8) * (size)));                        \
            a3 = vfmaq_f32(a3, widen(wp + (j + 12) * (size)), widen(xp + (j + 12) * (size)));                      \
        }                                                                                                          \
        vaddvq_f32(vaddq_f32(vaddq_f32(a0, a2), vaddq_f32(a1, a3)));                                               \
    })

/// The leftovers after the 16-element groups as GCC vectorises ggml's `sumf += x[i]*y[i]`: four at a time while four
/// remain (the products rounded, then added one by one), the last 0–3 fused.
float bitnet_neon_dot_f32(const void *w, const void *x, ptrdiff_t count) {
    float sum = BN_SUM16(w, x, count, bn_f32x4, 4);
    const float *wf = (const float *)w, *xf = (const float *)x;
    ptrdiff_t j = count & ~(ptrdiff_t)15;
    for (; j + 4 <= count; j += 4) {
        float32x4_t p = vmulq_f32(vld1q_f32(wf + j), vld1q_f32(xf + j));
        sum = sum + vgetq_lane_f32(p, 0);
        sum = sum + vgetq_lane_f32(p, 1);
        sum = sum + vgetq_lane_f32(p, 2);
        sum = sum + vgetq_lane_f32(p, 3);
    }
    for (; j < count; j++) sum = fmaf(wf[j], xf[j], sum);
    return sum;
}

/// The groups' sum widened to double, each leftover product (exact in float) added in double, rounded once.
float bitnet_neon_dot_f16(const void *w, const void *x, ptrdiff_t count) {
    double sum = (double)BN_SUM16(w, x, count, bn_f16x4, 2);
    for (ptrdiff_t j = count & ~(ptrdiff_t)15; j < count; j++)
        sum += (double)(bn_half((const uint8_t *)w + 2 * j) * bn_half((const uint8_t *)x + 2 * j));
    return (float)sum;
}

/// ggml has no Advanced SIMD BF16 dot without the BF16 extension: each product (exact in float) added in double, in
/// element order, rounded once.
float bitnet_neon_dot_bf16(const void *w, const void *x, ptrdiff_t count) {
    double sum = 0.0;
    for (ptrdiff_t j = 0; j < count; j++)
        sum += (double)(bn_bf16((const uint8_t *)w + 2 * j) * bn_bf16((const uint8_t *)x + 2 * j));
    return (float)sum;
}

/// llamafile's tinyBLAS on ARM64 for F16 weights (`w`) against F32 activations (`x`; batches of 2 rows or more, k and
/// the weight rows multiples of 4): one 4-lane FMA chain over the widened weights, reduced by pairwise adds.
float bitnet_neon_tinyblas_f16(const void *w, const void *x, ptrdiff_t count) {
    const uint8_t *wh = (const uint8_t *)w;
    const float *xf = (const float *)x;
    float32x4_t acc = vdupq_n_f32(0);
    for (ptrdiff_t j = 0; j < count; j += 4) acc = vfmaq_f32(acc, vld1q_f32(xf + j), bn_f16x4(wh + 2 * j));
    return vaddvq_f32(acc);
}

/// llamafile's tinyBLAS on ARM64 for F32 weights (batches of 4 rows or more, k a multiple of 4, weight rows a
/// multiple of 4): one 4-lane FMA chain over the row, reduced by pairwise adds.
float bitnet_neon_tinyblas_f32(const void *w, const void *x, ptrdiff_t count) {
    const float *wf = (const float *)w, *xf = (const float *)x;
    float32x4_t acc = vdupq_n_f32(0);
    for (ptrdiff_t j = 0; j < count; j += 4) acc = vfmaq_f32(acc, vld1q_f32(xf + j), vld1q_f32(wf + j));
    return vaddvq_f32(acc);
}

#endif  // __aarch64__
