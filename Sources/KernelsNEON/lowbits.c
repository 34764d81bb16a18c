// Q2_K, Q3_K, Q5_K against Q8_K and IQ4_NL (Q8_0) / IQ4_XS (Q8_K) on Advanced SIMD: each sub-block's integer dot
// product is exact (SMULL + SADALP at `neon`, SDOT at `dotprod`), scaled and summed in integers, and every float step
// is that of llama.cpp's ARM build (arch/arm/quants.c as GCC 12 compiles it, each scalar multiply-add fused, which
// `fmaf` spells out), so the bits are its bits.
#pragma STDC FP_CONTRACT OFF
#include "bitnet_neon.h"
#include "neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>

enum { BN_Q2_K = 84, BN_Q3_K = 110, BN_Q5_K = 176, BN_IQ4_NL = 18, BN_IQ4_XS = 136, BN_Q8_0 = 34, BN_Q8_K = 292 };

static inline int32x4_t bn_ldot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}

__attribute__((target("dotprod"))) static inline int32x4_t bn_lsdot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
}

/// The signed scales of a Q3_K block (`DequantizeScalar.q3_KScales`).
static inline void bn_q3_k_scales16(const uint8_t *wb, int out[16]) {
    for (int s = 0; s < 16; s++) {
        int b = s % 4, part = s / 4;
        int byte = wb[96 + b + 4 * (part % 2)];
        int low = part < 2 ? (byte & 0xF) : (byte >> 4);
        int high = (wb[104 + b] >> (2 * part)) & 3;
        out[s] = (low | (high << 4)) - 32;
    }
}

/// 16 two-bit fields at bit `shift` of the bytes at `p`.
static inline uint8x16_t bn_two_bits(const uint8_t *p, int shift) {
    return vandq_u8(vshlq_u8(vld1q_u8(p), vdupq_n_s8((int8_t)-shift)), vdupq_n_u8(3));
}

/// Q5_K: Q4_K's sub-blocks with bit `sub` of qh byte l as each quant's fifth bit.
#define BN_Q5_K_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_Q5_K, *xb = xr + b * BN_Q8_K;                                              \
        int64_t isum = 0, minSum = 0;                                                                              \
        for (int sub = 0; sub < 8; sub++) {                                                                        \
            int sc, m;                                                                                             \
            bn_scale_min_k4(sub, wb + 4, &sc, &m);                                                                 \
            int32x4_t acc = vdupq_n_s32(0);                                                                        \
            for (int half = 0; half < 2; half++) {                                                                 \
                uint8x16_t raw = vld1q_u8(wb + 48 + 32 * (sub / 2) + 16 * half);                                   \
                uint8x16_t nib = (sub % 2) ? vshrq_n_u8(raw, 4) : vandq_u8(raw, vdupq_n_u8(0xF));                  \
                uint8x16_t hi = vandq_u8(vshlq_u8(vld1q_u8(wb + 16 + 16 * half), vdupq_n_s8((int8_t)-sub)),        \
                                         vdupq_n_u8(1));                                                           \
                uint8x16_t q = vorrq_u8(nib, vshlq_n_u8(hi, 4));                                                   \
                acc = DOT16(acc, vreinterpretq_s8_u8(q), vld1q_s8((const int8_t *)xb + 4 + 32 * sub + 16 * half)); \
            }                                                                                                      \
            isum += (int64_t)sc * vaddvq_s32(acc);                                                                 \
            minSum += (int64_t)m * (bn_i16(xb + 260 + 4 * sub) + bn_i16(xb + 262 + 4 * sub));                      \
        }                                                                                                          \
        float dx = bn_f32(xb);                                                                                     \
        /* ggml: sum += (d_x·d_w · isum − d_x·dmin_w · mins), the first product fused with the difference */       \
        sum += fmaf(dx * bn_half(wb), (float)(int32_t)isum, -((dx * bn_half(wb + 2)) * (float)(int32_t)minSum));   \
    }                                                                                                              \
    return sum;

/// Q2_K: sub-block s (16 elements) is field 2·((s % 8) / 2) of bytes 16 + 32·(s / 8) + 16·(s % 2) ..< +16.
#define BN_Q2_K_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_Q2_K, *xb = xr + b * BN_Q8_K;                                              \
        int64_t isum = 0, minSum = 0;                                                                              \
        for (int s = 0; s < 16; s++) {                                                                             \
            uint8x16_t q = bn_two_bits(wb + 16 + 32 * (s / 8) + 16 * (s % 2), 2 * ((s % 8) / 2));                  \
            int32x4_t acc = DOT16(vdupq_n_s32(0), vreinterpretq_s8_u8(q), vld1q_s8((const int8_t *)xb + 4 + 16 * s)); \
            isum += (int64_t)(wb[s] & 0xF) * vaddvq_s32(acc);                                                      \
            minSum += (int64_t)(wb[s] >> 4) * bn_i16(xb + 260 + 2 * s);                                            \
        }                                                                                                          \
        float dx = bn_f32(xb);                                                                                     \
        /* ggml: sum += −(d_x·dmin_w) · mins, then sum += d_x·d_w · isum, both fused */                            \
        sum = fmaf(-(dx * bn_half(wb + 82)), (float)(int32_t)minSum, sum);                                         \
        sum = fmaf(dx * bn_half(wb + 80), (float)(int32_t)isum, sum);                                              \
    }                                                                                                              \
    return sum;

/// Q3_K: Q2_K's low bit pairs (from byte 32) plus 4·(bit 4·(s / 8) + (s % 8) / 2 of hmask byte 16·(s % 2) + l), − 4.
#define BN_Q3_K_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_Q3_K, *xb = xr + b * BN_Q8_K;                                              \
        int scales[16];                                                                                            \
        bn_q3_k_scales16(wb, scales);                                                                              \
        int64_t isum = 0;                                                                                          \
        for (int s = 0; s < 16; s++) {                                                                             \
            int group = 4 * (s / 8) + (s % 8) / 2;                                                                 \
            uint8x16_t low = bn_two_bits(wb + 32 + 32 * (s / 8) + 16 * (s % 2), 2 * ((s % 8) / 2));                \
            uint8x16_t high = vandq_u8(vshlq_u8(vld1q_u8(wb + 16 * (s % 2)), vdupq_n_s8((int8_t)-group)),          \
                                       vdupq_n_u8(1));                                                             \
            int8x16_t q = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(low, vshlq_n_u8(high, 2))), vdupq_n_s8(4));        \
            int32x4_t acc = DOT16(vdupq_n_s32(0), q, vld1q_s8((const int8_t *)xb + 4 + 16 * s));                   \
            isum += (int64_t)scales[s] * vaddvq_s32(acc);                                                          \
        }                                                                                                          \
        sum = fmaf(bn_f32(xb) * bn_half(wb + 108), (float)(int32_t)isum, sum);                                     \
    }                                                                                                              \
    return sum;

static const int8_t bn_iq4_levels_tbl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/// Σ v·x over 32 elements whose nibbles are the 16 bytes at `q` (low: elements 0…15, high: 16…31).
#define BN_IQ4_RUN(DOT16, q, xq)                                                                                   \
    vaddvq_s32(DOT16(DOT16(vdupq_n_s32(0), vqtbl1q_s8(lut, vandq_u8(vld1q_u8(q), vdupq_n_u8(0xF))), vld1q_s8(xq)), \
                     vqtbl1q_s8(lut, vshrq_n_u8(vld1q_u8(q), 4)), vld1q_s8((xq) + 16)))

#define BN_IQ4_NL_BODY(DOT16)                                                                                      \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    int8x16_t lut = vld1q_s8(bn_iq4_levels_tbl);                                                                   \
    /* ggml: blocks in pairs, sum += fma(d_0, isum_0, d_1·isum_1) (d = d_w·d_x); an odd last one fma(d, isum, sum) */ \
    float sum = 0;                                                                                                 \
    ptrdiff_t blocks = count / 32, b = 0;                                                                          \
    for (; b + 1 < blocks; b += 2) {                                                                               \
        const uint8_t *w0 = wr + b * BN_IQ4_NL, *x0 = xr + b * BN_Q8_0;                                            \
        const uint8_t *w1 = w0 + BN_IQ4_NL, *x1 = x0 + BN_Q8_0;                                                    \
        float s0 = (float)BN_IQ4_RUN(DOT16, w0 + 2, (const int8_t *)x0 + 2);                                       \
        float s1 = (float)BN_IQ4_RUN(DOT16, w1 + 2, (const int8_t *)x1 + 2);                                       \
        sum += fmaf(bn_half(w0) * bn_half(x0), s0, (bn_half(w1) * bn_half(x1)) * s1);                              \
    }                                                                                                              \
    if (b < blocks) {                                                                                              \
        const uint8_t *wb = wr + b * BN_IQ4_NL, *xb = xr + b * BN_Q8_0;                                            \
        sum = fmaf(bn_half(xb) * bn_half(wb), (float)BN_IQ4_RUN(DOT16, wb + 2, (const int8_t *)xb + 2), sum);      \
    }                                                                                                              \
    return sum;

#define BN_IQ4_XS_BODY(DOT16)                                                                                      \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    int8x16_t lut = vld1q_s8(bn_iq4_levels_tbl);                                                                   \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_IQ4_XS, *xb = xr + b * BN_Q8_K;                                            \
        int sh = wb[2] | (wb[3] << 8);                                                                             \
        int64_t isum = 0;                                                                                          \
        for (int ib = 0; ib < 8; ib++) {                                                                           \
            int ls = (((wb[4 + ib / 2] >> (4 * (ib % 2))) & 0xF) | (((sh >> (2 * ib)) & 3) << 4)) - 32;            \
            isum += (int64_t)ls * BN_IQ4_RUN(DOT16, wb + 8 + 16 * ib, (const int8_t *)xb + 4 + 32 * ib);           \
        }                                                                                                          \
        sum = fmaf(bn_half(wb) * bn_f32(xb), (float)(int32_t)isum, sum);                                           \
    }                                                                                                              \
    return sum;

#define BN_LOWBIT_KERNELS(prefix, attributes, DOT16)                                                               \
    attributes float prefix##_dot_q2_K(const void *w, const void *x, ptrdiff_t count) { BN_Q2_K_BODY(DOT16) }      \
    attributes float prefix##_dot_q3_K(const void *w, const void *x, ptrdiff_t count) { BN_Q3_K_BODY(DOT16) }      \
    attributes float prefix##_dot_q5_K(const void *w, const void *x, ptrdiff_t count) { BN_Q5_K_BODY(DOT16) }      \
    attributes float prefix##_dot_iq4_nl(const void *w, const void *x, ptrdiff_t count) { BN_IQ4_NL_BODY(DOT16) }  \
    attributes float prefix##_dot_iq4_xs(const void *w, const void *x, ptrdiff_t count) { BN_IQ4_XS_BODY(DOT16) }

BN_LOWBIT_KERNELS(bitnet_neon, , bn_ldot16)
BN_LOWBIT_KERNELS(bitnet_dotprod, __attribute__((target("dotprod"))), bn_lsdot16)

// llama.cpp's `dotprod` decode route for IQ4_NL weights of a multiple of 4 rows: ggml_gemv_iq4_nl_4x4_q8_0 chains
// `acc = acc + d_x·d_w · S` (vmlaq_f32, not fused) over the blocks (`GGMLRepack4x4`).
__attribute__((target("dotprod"))) float bitnet_dotprod_gemv_iq4_nl(const void *w, const void *x, ptrdiff_t count) {
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;
    int8x16_t lut = vld1q_s8(bn_iq4_levels_tbl);
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        const uint8_t *wb = wr + b * BN_IQ4_NL, *xb = xr + b * BN_Q8_0;
        acc = acc + (bn_half(xb) * bn_half(wb)) * (float)BN_IQ4_RUN(bn_lsdot16, wb + 2, (const int8_t *)xb + 2);
    }
    return acc;
}

/// Σ q·x over Q5_K sub-block `sub` (its nibbles with bit `sub` of the qh bytes as the fifth bit), SDOT.
__attribute__((target("dotprod"))) static int32_t bn_q5_K_subdot(const uint8_t *wb, const int8_t *xq, int sub) {
    int32x4_t dot = vdupq_n_s32(0);
    for (int half = 0; half < 2; half++) {
        uint8x16_t raw = vld1q_u8(wb + 48 + 32 * (sub / 2) + 16 * half);
        uint8x16_t nib = (sub % 2) ? vshrq_n_u8(raw, 4) : vandq_u8(raw, vdupq_n_u8(0xF));
        uint8x16_t hi = vandq_u8(vshlq_u8(vld1q_u8(wb + 16 + 16 * half), vdupq_n_s8((int8_t)-sub)), vdupq_n_u8(1));
        dot = bn_lsdot16(dot, vreinterpretq_s8_u8(vorrq_u8(nib, vshlq_n_u8(hi, 4))), vld1q_s8(xq + 16 * half));
    }
    return vaddvq_s32(dot);
}

// The same for Q5_K weights of a multiple of 8 rows (ggml_gemv_q5_K_8x4_q8_K has Q4_K's order; `bn_k_gemv`).
__attribute__((target("dotprod"))) float bitnet_dotprod_gemv_q5_K(const void *w, const void *x, ptrdiff_t count) {
    return bn_k_gemv((const uint8_t *)w, (const uint8_t *)x, count, BN_Q5_K, bn_q5_K_subdot);
}

#endif  // __aarch64__
