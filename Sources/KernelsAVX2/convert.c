// F16 → F32 row widening with F16C; ported from Sources/Kernels/Dequantize.swift (`Dequantize.f16`) and the F16 key
// load of Sources/BitNetModels/KVCache.swift (`KVCache.loadKey`) (same values, same bits).

// Contraction off before avx2.h: its inline helpers (bn_dot_vec's `sum += x[i] * y[i]`) are compiled under the
// pragma state in force where they are defined, and clang fuses that product into an FMA by default.
#pragma STDC FP_CONTRACT OFF
#include "avx2.h"
#include "bitnet_avx2_convert.h"

#if defined(__x86_64__)
BITNET_AVX2_BEGIN

void bitnet_avx2_f16_to_f32(const void *src, float *dst, ptrdiff_t count) {
    ptrdiff_t j = 0;
    for (; j + 8 <= count; j += 8) _mm256_storeu_ps(dst + j, bn_f16x8(src, 2 * j));  // elements j ..< j+8
    for (; j < count; j++) dst[j] = bn_half(src, 2 * j);
}

void bitnet_avx2_f16_to_f32_strided(const uint16_t *src, float *dst, ptrdiff_t count, ptrdiff_t step) {
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8) {  // i + 8 ≤ count keeps the load inside the row
        float lanes[8];
        _mm256_storeu_ps(lanes, bn_f16x8(src + i, 0));
        for (int l = 0; l < 8; l++) dst[(i + l) * step] = lanes[l];
    }
    for (; i < count; i++) dst[i * step] = bn_half(src + i, 0);
}

BITNET_AVX2_END

#endif  // __x86_64__
