// Quantized dot products on Advanced SIMD: the 32-element block formats against Q8_0/Q8_1, and the ternary TQ2_0
// against Q8_K and I2_S against per-token int8. Each block's integer sum is exact (SMULL + SADALP at `neon`, SDOT at
// `dotprod`); the float steps are those of llama.cpp's ARM build (ggml's arch/arm/quants.c compiled by GCC 12, which
// fuses a scalar multiply-add), so the bits are its bits. I2_S (bitnet.cpp's type) is one exact integer per row.
#pragma STDC FP_CONTRACT OFF
#include "bitnet_neon.h"
#include "neon.h"

#if defined(__aarch64__)
#include <arm_neon.h>
#include <math.h>
#include <string.h>

enum {
    BN_Q4_0 = 18, BN_Q4_1 = 20, BN_Q5_0 = 22, BN_Q8_0 = 34, BN_Q8_1 = 36,  // block bytes
    BN_TQ2_0 = 66, BN_Q8_K = 292,
};

/// Σ a·b over 16 signed byte pairs added into `acc` (exact): SMULL/SMULL2 to int16, SADALP to int32.
static inline int32x4_t bn_dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
}

__attribute__((target("dotprod"))) static inline int32x4_t bn_sdot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
    return vdotq_s32(acc, a, b);
}

static inline float bn_addv(float32x4_t v) { return vaddvq_f32(v); }  // FADDP twice: (v0 + v1) + (v2 + v3)

// Each kernel is written once as a macro body over its integer dot `DOT16` and instantiated for both levels.
//
// The 32-element formats follow ggml's ARM order (ggml_vec_dot_q4_0_q8_0 and its kin in arch/arm/quants.c, as GCC
// 12 compiles them at -O3): blocks in pairs; a block's four integer lanes (SMULL + SADALP pairs at `neon`, which are
// ggml's lanes without dot-product instructions, or SDOT's at `dotprod`) are converted, multiplied by the block's
// scale product d_w·d_x (FMUL; the product rounded first) and added (FADD, not fused) into one of two 4-lane sums,
// the even blocks' and the odd blocks'; each sum reduced by pairwise adds, the two added; an odd last block goes
// through ggml's scalar tail, whose multiply-add GCC fuses (the FMA each `fmaf` below spells out).

/// The pairs: `LANES(DOT16, b)` is block b's int32x4 of partial sums, `SCALE(b)` its scale product; leaves `sum` and `b`
/// (the first block not done).
#define BN_PAIRED(DOT16, LANES, SCALE)                                                                             \
    float32x4_t even = vdupq_n_f32(0), odd = vdupq_n_f32(0);                                                       \
    ptrdiff_t blocks = count / 32, b = 0;                                                                          \
    for (; b + 1 < blocks; b += 2) {                                                                               \
        even = vaddq_f32(even, vmulq_n_f32(vcvtq_f32_s32(LANES(DOT16, b)), SCALE(b)));                             \
        odd = vaddq_f32(odd, vmulq_n_f32(vcvtq_f32_s32(LANES(DOT16, b + 1)), SCALE(b + 1)));                       \
    }                                                                                                              \
    float sum = bn_addv(even) + bn_addv(odd);

/// Q4_0: nibbles − 8 (low nibbles pair with x[0..<16], high with x[16..<32]); ggml's tail is (isum·d_w)·d_x + sum.
#define BN_Q4_0_LANES(DOT16, b)                                                                                    \
    ({                                                                                                             \
        const uint8_t *wb = wr + (b) * BN_Q4_0, *xb = xr + (b) * BN_Q8_0;                                          \
        uint8x16_t raw = vld1q_u8(wb + 2);                                                                         \
        int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0xF))), vdupq_n_s8(8));               \
        int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(raw, 4)), vdupq_n_s8(8));                           \
        DOT16(DOT16(vdupq_n_s32(0), lo, vld1q_s8((const int8_t *)xb + 2)), hi, vld1q_s8((const int8_t *)xb + 18)); \
    })
#define BN_Q4_0_SCALE(b) (bn_half(wr + (b) * BN_Q4_0) * bn_half(xr + (b) * BN_Q8_0))
#define BN_Q4_0_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    BN_PAIRED(DOT16, BN_Q4_0_LANES, BN_Q4_0_SCALE)                                                                 \
    if (b < blocks)                                                                                                \
        sum = fmaf((float)vaddvq_s32(BN_Q4_0_LANES(DOT16, b)) * bn_half(wr + b * BN_Q4_0), bn_half(xr + b * BN_Q8_0), sum); \
    return sum;

/// Q4_1: unsigned nibbles; the min terms m_w·s_x go into their own scalar sum, a pair at a time as
/// fma(m_0, s_0, m_1·s_1), added last; ggml's tail is sum + fma(d_w·d_x, isum, m_w·s_x).
#define BN_Q4_1_LANES(DOT16, b)                                                                                    \
    ({                                                                                                             \
        const uint8_t *wb = wr + (b) * BN_Q4_1, *xb = xr + (b) * BN_Q8_1;                                          \
        uint8x16_t raw = vld1q_u8(wb + 4);                                                                         \
        int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(raw, vdupq_n_u8(0xF)));                                        \
        int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(raw, 4));                                                    \
        DOT16(DOT16(vdupq_n_s32(0), lo, vld1q_s8((const int8_t *)xb + 4)), hi, vld1q_s8((const int8_t *)xb + 20)); \
    })
#define BN_Q4_1_SCALE(b) (bn_half(wr + (b) * BN_Q4_1) * bn_half(xr + (b) * BN_Q8_1))
#define BN_Q4_1_MIN(b) (bn_half(wr + (b) * BN_Q4_1 + 2) * bn_half(xr + (b) * BN_Q8_1 + 2))
#define BN_Q4_1_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    float mins = 0;                                                                                                \
    for (ptrdiff_t p = 0; p + 1 < count / 32; p += 2)                                                              \
        mins += fmaf(bn_half(wr + p * BN_Q4_1 + 2), bn_half(xr + p * BN_Q8_1 + 2), BN_Q4_1_MIN(p + 1));            \
    BN_PAIRED(DOT16, BN_Q4_1_LANES, BN_Q4_1_SCALE)                                                                 \
    sum += mins;                                                                                                   \
    if (b < blocks) sum += fmaf(BN_Q4_1_SCALE(b), (float)vaddvq_s32(BN_Q4_1_LANES(DOT16, b)), BN_Q4_1_MIN(b));     \
    return sum;

/// Q5_0: nibble | bit j of qh << 4, − 16; ggml's tail is fma(d_w·d_x, isum, sum).
#define BN_Q5_0_LANES(DOT16, b)                                                                                    \
    ({                                                                                                             \
        const uint8_t *wb = wr + (b) * BN_Q5_0, *xb = xr + (b) * BN_Q8_0;                                          \
        uint8_t qh[4];                                                                                             \
        memcpy(qh, wb + 2, 4);                                                                                     \
        uint8x16_t highLo = vandq_u8(vtstq_u8(vcombine_u8(vdup_n_u8(qh[0]), vdup_n_u8(qh[1])), select),            \
                                     vdupq_n_u8(0x10));                                                            \
        uint8x16_t highHi = vandq_u8(vtstq_u8(vcombine_u8(vdup_n_u8(qh[2]), vdup_n_u8(qh[3])), select),            \
                                     vdupq_n_u8(0x10));                                                            \
        uint8x16_t raw = vld1q_u8(wb + 6);                                                                         \
        int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vandq_u8(raw, vdupq_n_u8(0xF)), highLo)),             \
                                vdupq_n_s8(16));                                                                   \
        int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(vshrq_n_u8(raw, 4), highHi)), vdupq_n_s8(16));        \
        DOT16(DOT16(vdupq_n_s32(0), lo, vld1q_s8((const int8_t *)xb + 2)), hi, vld1q_s8((const int8_t *)xb + 18)); \
    })
#define BN_Q5_0_SCALE(b) (bn_half(wr + (b) * BN_Q5_0) * bn_half(xr + (b) * BN_Q8_0))
#define BN_Q5_0_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};                    \
    uint8x16_t select = vld1q_u8(bits);                                                                            \
    BN_PAIRED(DOT16, BN_Q5_0_LANES, BN_Q5_0_SCALE)                                                                 \
    if (b < blocks) sum = fmaf(BN_Q5_0_SCALE(b), (float)vaddvq_s32(BN_Q5_0_LANES(DOT16, b)), sum);                 \
    return sum;

/// Q8_0: 32 signed values; ggml's tail is fma(isum, d_w·d_x, sum).
#define BN_Q8_0_LANES(DOT16, b)                                                                                    \
    ({                                                                                                             \
        const int8_t *wb = (const int8_t *)(wr + (b) * BN_Q8_0), *xb = (const int8_t *)(xr + (b) * BN_Q8_0);       \
        DOT16(DOT16(vdupq_n_s32(0), vld1q_s8(wb + 2), vld1q_s8(xb + 2)), vld1q_s8(wb + 18), vld1q_s8(xb + 18));    \
    })
#define BN_Q8_0_SCALE(b) (bn_half(wr + (b) * BN_Q8_0) * bn_half(xr + (b) * BN_Q8_0))
#define BN_Q8_0_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    BN_PAIRED(DOT16, BN_Q8_0_LANES, BN_Q8_0_SCALE)                                                                 \
    if (b < blocks) sum = fmaf((float)vaddvq_s32(BN_Q8_0_LANES(DOT16, b)), BN_Q8_0_SCALE(b), sum);                 \
    return sum;

/// TQ2_0: element 128·h + 32·l + m is code (byte 32·h + m >> 2l) & 3; Σ (code − 1)·x per block, then ggml's
/// `sum = fma(d_w·d_x, isum, sum)`.
#define BN_TQ2_0_BODY(DOT16)                                                                                       \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    float sum = 0;                                                                                                 \
    for (ptrdiff_t b = 0; b < count / 256; b++) {                                                                  \
        const uint8_t *wb = wr + b * BN_TQ2_0, *xb = xr + b * BN_Q8_K;                                             \
        int32x4_t acc = vdupq_n_s32(0);                                                                            \
        for (int h = 0; h < 2; h++) {                                                                              \
            for (int half = 0; half < 2; half++) { /* m in 16·half ..< 16·half + 16 */                             \
                uint8x16_t raw = vld1q_u8(wb + 32 * h + 16 * half);                                                \
                for (int l = 0; l < 4; l++) {                                                                      \
                    uint8x16_t code = vandq_u8(vshlq_u8(raw, vdupq_n_s8((int8_t)(-2 * l))), vdupq_n_u8(3));        \
                    int8x16_t weight = vsubq_s8(vreinterpretq_s8_u8(code), vdupq_n_s8(1));                         \
                    acc = DOT16(acc, weight, vld1q_s8((const int8_t *)xb + 4 + 128 * h + 32 * l + 16 * half));     \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
        sum = fmaf(bn_half(wb + 64) * bn_f32(xb), (float)vaddvq_s32(acc), sum);                                    \
    }                                                                                                              \
    return sum;

/// I2_S: per 128 weights, byte m holds element m in bits 7:6, 32 + m in 5:4, 64 + m in 3:2, 96 + m in 1:0; the exact
/// Σ (code − 1)·x over the row, then one division by the activation multiplier (at byte `count`).
#define BN_I2_S_BODY(DOT16)                                                                                        \
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;                                              \
    int64_t isum = 0;                                                                                              \
    for (ptrdiff_t b = 0; b < count / 128; b++) {                                                                  \
        int32x4_t acc = vdupq_n_s32(0);                                                                            \
        for (int half = 0; half < 2; half++) {                                                                     \
            uint8x16_t raw = vld1q_u8(wr + 32 * b + 16 * half);                                                    \
            for (int l = 0; l < 4; l++) {                                                                          \
                uint8x16_t code = vandq_u8(vshlq_u8(raw, vdupq_n_s8((int8_t)(2 * l - 6))), vdupq_n_u8(3));         \
                int8x16_t weight = vsubq_s8(vreinterpretq_s8_u8(code), vdupq_n_s8(1));                             \
                acc = DOT16(acc, weight, vld1q_s8((const int8_t *)xr + 128 * b + 32 * l + 16 * half));             \
            }                                                                                                      \
        }                                                                                                          \
        isum += vaddvq_s32(acc);                                                                                   \
    }                                                                                                              \
    return (float)isum / bn_f32(xr + count);

#define BN_LEVEL_KERNELS(prefix, attributes, DOT16)                                                                \
    attributes float prefix##_dot_q4_0(const void *w, const void *x, ptrdiff_t count) { BN_Q4_0_BODY(DOT16) }      \
    attributes float prefix##_dot_q4_1(const void *w, const void *x, ptrdiff_t count) { BN_Q4_1_BODY(DOT16) }      \
    attributes float prefix##_dot_q5_0(const void *w, const void *x, ptrdiff_t count) { BN_Q5_0_BODY(DOT16) }      \
    attributes float prefix##_dot_q8_0(const void *w, const void *x, ptrdiff_t count) { BN_Q8_0_BODY(DOT16) }      \
    attributes float prefix##_dot_tq2_0(const void *w, const void *x, ptrdiff_t count) { BN_TQ2_0_BODY(DOT16) }    \
    attributes float prefix##_dot_i2_s(const void *w, const void *x, ptrdiff_t count) { BN_I2_S_BODY(DOT16) }

BN_LEVEL_KERNELS(bitnet_neon, , bn_dot16)
BN_LEVEL_KERNELS(bitnet_dotprod, __attribute__((target("dotprod"))), bn_sdot16)

// llamafile's tinyBLAS_Q0_ARM (batches of 2 rows or more of a Q4_0 or Q8_0 weight llama.cpp did not repack, i.e.
// whose row count is not a multiple of 4): one 4-lane sum over all blocks, each block's lanes scaled and added
// unfused (vmlaq_n_f32), reduced by pairwise adds at the end.
__attribute__((target("dotprod"))) float bitnet_dotprod_tinyblas_q4_0(const void *w, const void *x, ptrdiff_t count) {
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;
    float32x4_t acc = vdupq_n_f32(0);
    for (ptrdiff_t b = 0; b < count / 32; b++)
        acc = vaddq_f32(acc, vmulq_n_f32(vcvtq_f32_s32(BN_Q4_0_LANES(bn_sdot16, b)), BN_Q4_0_SCALE(b)));
    return vaddvq_f32(acc);
}

__attribute__((target("dotprod"))) float bitnet_dotprod_tinyblas_q8_0(const void *w, const void *x, ptrdiff_t count) {
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;
    float32x4_t acc = vdupq_n_f32(0);
    for (ptrdiff_t b = 0; b < count / 32; b++)
        acc = vaddq_f32(acc, vmulq_n_f32(vcvtq_f32_s32(BN_Q8_0_LANES(bn_sdot16, b)), BN_Q8_0_SCALE(b)));
    return vaddvq_f32(acc);
}

// llama.cpp's `dotprod` decode route for Q4_0 and Q8_0 weights of a multiple of 4 rows: ggml_gemv_*_4x4_q8_0 on the
// repacked weights keeps one lane per row and chains `acc = fma(S, d_x·d_w, acc)` (vfmaq_f32) over the blocks;
// here on the original rows (`GGMLRepack4x4`).
__attribute__((target("dotprod"))) float bitnet_dotprod_gemv_q4_0(const void *w, const void *x, ptrdiff_t count) {
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 32; b++)
        acc = fmaf((float)vaddvq_s32(BN_Q4_0_LANES(bn_sdot16, b)), BN_Q4_0_SCALE(b), acc);
    return acc;
}

// The batch form for activation rows in whole groups of 4: ggml_gemm_q8_0_4x4_q8_0 adds d_w·d_x · S unfused
// (vmlaq_f32).
__attribute__((target("dotprod"))) float bitnet_dotprod_gemm_q8_0(const void *w, const void *x, ptrdiff_t count) {
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 32; b++)
        acc = acc + BN_Q8_0_SCALE(b) * (float)vaddvq_s32(BN_Q8_0_LANES(bn_sdot16, b));
    return acc;
}

__attribute__((target("dotprod"))) float bitnet_dotprod_gemv_q8_0(const void *w, const void *x, ptrdiff_t count) {
    const uint8_t *wr = (const uint8_t *)w, *xr = (const uint8_t *)x;
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 32; b++)
        acc = fmaf((float)vaddvq_s32(BN_Q8_0_LANES(bn_sdot16, b)), BN_Q8_0_SCALE(b), acc);
    return acc;
}

#endif  // __aarch64__
