// Scalar loads and scale unpacking shared by the ARM64 kernels (F16 and F32 scales, BF16 elements, Q8_K bsums, the
// K-quants' 6-bit scales), each exact.
#ifndef BITNET_KERNELS_NEON_INTERNAL_H
#define BITNET_KERNELS_NEON_INTERNAL_H

#pragma STDC FP_CONTRACT OFF

#if defined(__aarch64__)
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline float bn_half(const uint8_t *p) {
    __fp16 h;
    memcpy(&h, p, 2);
    return (float)h;
}

static inline float bn_bf16(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline float bn_f32(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

static inline int bn_i16(const uint8_t *p) {
    int16_t v;
    memcpy(&v, p, 2);
    return v;
}

/// The 6-bit scale and min of Q4_K/Q5_K sub-block `j` (`DequantizeScalar.scaleMinK4`).
static inline void bn_scale_min_k4(int j, const uint8_t *q, int *scale, int *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}
/// Σ q·x over sub-block `sub` (32 elements) of a Q4_K or Q5_K super-block at `wb`, against the Q8_K quants `xq` of
/// that sub-block (exact).
typedef int32_t (*bn_k_subdot)(const uint8_t *wb, const int8_t *xq, int sub);

/// llama.cpp's repacked-8×4 decode order for Q4_K and Q5_K rows (ggml_gemv_q4_K/q5_K_8x4_q8_K, one lane per row):
/// per super-block, `acc = fma(d_w·d_x, S_p, acc)` for each pair p of sub-blocks (S_p = Σ over the pair of
/// scale · `subdot`), then `acc − float(M)·(dmin_w·d_x)`, not fused, M the super-block's Σ min · bsum.
static inline float bn_k_gemv(const uint8_t *w, const uint8_t *x, ptrdiff_t count, int blockBytes, bn_k_subdot subdot) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = w + b * blockBytes, *xb = x + b * 292;
        float dx = bn_f32(xb), d = bn_half(wb) * dx, dmin = bn_half(wb + 2) * dx;
        int32_t minSum = 0;
        for (int pair = 0; pair < 4; pair++) {
            int32_t s = 0;
            for (int sub = 2 * pair; sub < 2 * pair + 2; sub++) {
                int sc, m;
                bn_scale_min_k4(sub, wb + 4, &sc, &m);
                s += sc * subdot(wb, (const int8_t *)xb + 4 + 32 * sub, sub);
                minSum += m * (bn_i16(xb + 260 + 4 * sub) + bn_i16(xb + 262 + 4 * sub));
            }
            acc = fmaf(d, (float)s, acc);
        }
        acc = acc - (float)minSum * dmin;
    }
    return acc;
}
#endif  // __aarch64__
#endif
