#ifndef BITNET_AVX2_CONVERT_H
#define BITNET_AVX2_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#pragma clang assume_nonnull begin

// F16 → F32 widening with F16C's `vcvtph2ps`, 8 elements at a time and one at a time for the rest. Widening is
// exact; a signalling NaN comes out quiet (its payload kept), as `vcvtph2ps` does. Callers must have found F16C.

/// Widens the `count` F16s at `src` into `dst[0 ..< count]` (`Dequantize.f16`'s x86 path).
void bitnet_avx2_f16_to_f32(const void *src, float *dst, ptrdiff_t count);

/// Widens the `count` F16s at `src` into `dst[i * step]` for `i < count` (the F16 key load of `KVCache.loadKey`,
/// which writes a key transposed into a tile). `step` is in floats.
void bitnet_avx2_f16_to_f32_strided(const uint16_t *src, float *dst, ptrdiff_t count, ptrdiff_t step);

#pragma clang assume_nonnull end
#endif  // __x86_64__
#endif
