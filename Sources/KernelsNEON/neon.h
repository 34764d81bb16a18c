// Scalar loads and scale unpacking shared by the ARM64 kernels (F16 and F32 scales, BF16 elements, Q8_K bsums, the
// K-quants' 6-bit scales), each exact.
#ifndef BITNET_KERNELS_NEON_INTERNAL_H
#define BITNET_KERNELS_NEON_INTERNAL_H

#pragma STDC FP_CONTRACT OFF

#if defined(__aarch64__)
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
#endif  // __aarch64__
#endif
