// Q4_K, Q6_K and TQ1_0 against Q8_K on Advanced SIMD: each sub-block's integer dot product is exact (SMULL + SADALP
// at `neon`, SDOT at `dotprod`), scaled and summed in integers, and the super-block's float steps are those of
// llama.cpp's ARM build (ggml_vec_dot_q4_K_q8_K & co. in arch/arm/quants.c as GCC 12 compiles them: each scalar
// multiply-add fused, which `fmaf` spells out), so the bits are its bits.
#pragma STDC FP_CONTRACT OFF
#include "bitnet_neon.h"
#include "neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>

enum { BN_Q4_K = 144, BN_Q6_K = 210, BN_TQ1_0 = 54, BN_Q8_K_BYTES = 292 };

static inline int32x4_t bn_kdot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}

__attribute__((target("dotprod"))) static inline int32x4_t bn_ksdot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
}

/// Q4_K: sub-block s holds nibble (s odd: high) of bytes 32·(s / 2) ..< +32, against activations 32·s ..< +32.
#define BN_Q4_K_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_Q4_K, *xb = xr + b * BN_Q8_K_BYTES;                                        \
        int64_t isum = 0, minSum = 0;                                                                              \
        for (int pair = 0; pair < 4; pair++) {                                                                     \
            uint8x16_t raw0 = vld1q_u8(wb + 16 + 32 * pair), raw1 = vld1q_u8(wb + 16 + 32 * pair + 16);            \
            for (int odd = 0; odd < 2; odd++) {                                                                    \
                int sub = 2 * pair + odd, sc, m;                                                                   \
                bn_scale_min_k4(sub, wb + 4, &sc, &m);                                                             \
                uint8x16_t q0 = odd ? vshrq_n_u8(raw0, 4) : vandq_u8(raw0, vdupq_n_u8(0xF));                       \
                uint8x16_t q1 = odd ? vshrq_n_u8(raw1, 4) : vandq_u8(raw1, vdupq_n_u8(0xF));                       \
                const int8_t *xq = (const int8_t *)xb + 4 + 32 * sub;                                              \
                int32x4_t acc = DOT16(DOT16(vdupq_n_s32(0), vreinterpretq_s8_u8(q0), vld1q_s8(xq)),                \
                                      vreinterpretq_s8_u8(q1), vld1q_s8(xq + 16));                                 \
                isum += (int64_t)sc * vaddvq_s32(acc);                                                             \
                minSum += (int64_t)m * (bn_i16(xb + 260 + 4 * sub) + bn_i16(xb + 262 + 4 * sub));                  \
            }                                                                                                      \
        }                                                                                                          \
        float dx = bn_f32(xb); /* ggml: sum −= d_x·dmin_w · mins (FMSUB), then sum += d_x·d_w · isum (FMADD) */    \
        sum = fmaf(-(dx * bn_half(wb + 2)), (float)minSum, sum);                                                   \
        sum = fmaf(dx * bn_half(wb), (float)isum, sum);                                                            \
    }                                                                                                              \
    return sum;

/// Q6_K: per half h, quant group g (0…3: low/high nibble of ql bytes l or l + 32, 2-bit pair g of qh byte l) minus 32,
/// against activations 128·h + 32·g + l, scaled by sc[8h + 2g + l / 16].
#define BN_Q6_K_BODY(DOT16) BN_Q6_K_CHAIN(DOT16, 1)

/// Q6_K's super-block chain: `sum = fma(d_w·d_x, I, sum)` when `FUSED` (vec_dot, the 8×4 gemv), else
/// `sum + I·(d_w·d_x)` (the 8×4 gemm).
#define BN_Q6_K_CHAIN(DOT16, FUSED)                                                                                \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_Q6_K, *xb = xr + b * BN_Q8_K_BYTES;                                        \
        int64_t isum = 0;                                                                                          \
        for (int h = 0; h < 2; h++) {                                                                              \
            const uint8_t *ql = wb + 64 * h, *qh = wb + 128 + 32 * h;                                              \
            const int8_t *sc = (const int8_t *)wb + 192 + 8 * h, *qx = (const int8_t *)xb + 4 + 128 * h;           \
            for (int s = 0; s < 2; s++) { /* l in 16·s ..< 16·s + 16 */                                            \
                uint8x16_t lowA = vld1q_u8(ql + 16 * s), lowB = vld1q_u8(ql + 32 + 16 * s);                        \
                uint8x16_t high = vld1q_u8(qh + 16 * s), three = vdupq_n_u8(3), nibble = vdupq_n_u8(0xF);          \
                uint8x16_t q[4] = {                                                                                \
                    vorrq_u8(vandq_u8(lowA, nibble), vshlq_n_u8(vandq_u8(high, three), 4)),                        \
                    vorrq_u8(vandq_u8(lowB, nibble), vshlq_n_u8(vandq_u8(vshrq_n_u8(high, 2), three), 4)),         \
                    vorrq_u8(vshrq_n_u8(lowA, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(high, 4), three), 4)),            \
                    vorrq_u8(vshrq_n_u8(lowB, 4), vshlq_n_u8(vshrq_n_u8(high, 6), 4)),                             \
                };                                                                                                 \
                for (int g = 0; g < 4; g++) {                                                                      \
                    int8x16_t weight = vsubq_s8(vreinterpretq_s8_u8(q[g]), vdupq_n_s8(32));                        \
                    int32x4_t acc = DOT16(vdupq_n_s32(0), weight, vld1q_s8(qx + 32 * g + 16 * s));                 \
                    isum += (int64_t)sc[2 * g + s] * vaddvq_s32(acc);                                              \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
        float d = bn_half(wb + 208) * bn_f32(xb);                                                                  \
        sum = (FUSED) ? fmaf(d, (float)isum, sum) : sum + (float)isum * d;                                         \
    }                                                                                                              \
    return sum;

/// The base-3 digit at `powers` of each byte (`DequantizeScalar.tq1Code`: ((byte·3ⁿ mod 256)·3) >> 8), minus 1.
static inline int8x16_t bn_tq1_weights(uint8x16_t bytes, uint8x16_t powers) {
    uint8x16_t q = vmulq_u8(bytes, powers);
    uint16x8_t lo = vshrq_n_u16(vmull_u8(vget_low_u8(q), vdup_n_u8(3)), 8);
    uint16x8_t hi = vshrq_n_u16(vmull_high_u8(q, vdupq_n_u8(3)), 8);
    return vsubq_s8(vreinterpretq_s8_u8(vcombine_u8(vmovn_u16(lo), vmovn_u16(hi))), vdupq_n_s8(1));
}

/// TQ1_0: bytes 0..<32 give elements 32n + m (digit n of byte m), bytes 32..<48 give 160 + 16n + m, and the four qh
/// bytes give 240 + 4n + m.
#define BN_TQ1_0_BODY(DOT16)                                                                                       \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    static const uint8_t qhPowers[16] = {1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27};                      \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_TQ1_0, *xb = xr + b * BN_Q8_K_BYTES;                                       \
        const int8_t *xq = (const int8_t *)xb + 4;                                                                 \
        int32x4_t acc = vdupq_n_s32(0);                                                                            \
        uint8x16_t a0 = vld1q_u8(wb), a1 = vld1q_u8(wb + 16), c = vld1q_u8(wb + 32);                               \
        uint8_t power = 1;                                                                                         \
        for (int n = 0; n < 5; n++) {                                                                              \
            uint8x16_t p = vdupq_n_u8(power);                                                                      \
            acc = DOT16(acc, bn_tq1_weights(a0, p), vld1q_s8(xq + 32 * n));                                        \
            acc = DOT16(acc, bn_tq1_weights(a1, p), vld1q_s8(xq + 32 * n + 16));                                   \
            acc = DOT16(acc, bn_tq1_weights(c, p), vld1q_s8(xq + 160 + 16 * n));                                   \
            power = (uint8_t)(power * 3);                                                                          \
        }                                                                                                          \
        uint32_t qh;                                                                                               \
        memcpy(&qh, wb + 48, 4);                                                                                   \
        acc = DOT16(acc, bn_tq1_weights(vreinterpretq_u8_u32(vdupq_n_u32(qh)), vld1q_u8(qhPowers)),                \
                    vld1q_s8(xq + 240));                                                                           \
        sum = fmaf(bn_half(wb + 52) * bn_f32(xb), (float)vaddvq_s32(acc), sum);                                    \
    }                                                                                                              \
    return sum;

#define BN_KQUANT_KERNELS(prefix, attributes, DOT16)                                                               \
    attributes float prefix##_dot_q4_K(const void *w, const void *x, ptrdiff_t count) { BN_Q4_K_BODY(DOT16) }      \
    attributes float prefix##_dot_q6_K(const void *w, const void *x, ptrdiff_t count) { BN_Q6_K_BODY(DOT16) }      \
    attributes float prefix##_dot_tq1_0(const void *w, const void *x, ptrdiff_t count) { BN_TQ1_0_BODY(DOT16) }

BN_KQUANT_KERNELS(bitnet_neon, , bn_kdot16)
BN_KQUANT_KERNELS(bitnet_dotprod, __attribute__((target("dotprod"))), bn_ksdot16)

/// Σ q·x over Q4_K sub-block `sub` (nibble `sub % 2` of bytes 32·(sub / 2) ..< +32), SDOT.
__attribute__((target("dotprod"))) static int32_t bn_q4_K_subdot(const uint8_t *wb, const int8_t *xq, int sub) {
    uint8x16_t raw0 = vld1q_u8(wb + 16 + 32 * (sub / 2)), raw1 = vld1q_u8(wb + 16 + 32 * (sub / 2) + 16);
    uint8x16_t q0 = sub % 2 ? vshrq_n_u8(raw0, 4) : vandq_u8(raw0, vdupq_n_u8(0xF));
    uint8x16_t q1 = sub % 2 ? vshrq_n_u8(raw1, 4) : vandq_u8(raw1, vdupq_n_u8(0xF));
    return vaddvq_s32(bn_ksdot16(bn_ksdot16(vdupq_n_s32(0), vreinterpretq_s8_u8(q0), vld1q_s8(xq)),
                                 vreinterpretq_s8_u8(q1), vld1q_s8(xq + 16)));
}

// llama.cpp's `dotprod` decode route for Q4_K weights of a multiple of 8 rows (`bn_k_gemv`, `GGMLRepack8x4`). Q6_K's
// 8×4 gemv has vec_dot's order (one FMA per super-block).
__attribute__((target("dotprod"))) float bitnet_dotprod_gemv_q4_K(const void *w, const void *x, ptrdiff_t count) {
    return bn_k_gemv((const uint8_t *)w, (const uint8_t *)x, count, BN_Q4_K, bn_q4_K_subdot);
}

// Q6_K's batch form for activation rows in whole groups of 4: ggml_gemm_q6_K_8x4_q8_K adds float(I)·(d_w·d_x) per
// super-block unfused, where its gemv (and vec_dot) fuses.
__attribute__((target("dotprod"))) float bitnet_dotprod_gemm_q6_K(const void *w, const void *x, ptrdiff_t count) {
    BN_Q6_K_CHAIN(bn_ksdot16, 0)
}

#endif  // __aarch64__
