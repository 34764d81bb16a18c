// Scalar loads shared by the ARM64 kernels (F16 and F32 scales, BF16 elements), each exact.
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
#endif  // __aarch64__
#endif
