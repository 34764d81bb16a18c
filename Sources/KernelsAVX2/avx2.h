// Shared helpers of the AVX2 kernels (x86-64-v3: AVX2, FMA, F16C, BMI2).
//
// This target is built with no ISA flags: every function in it, these helpers included, is compiled for AVX2 by the
// `BITNET_AVX2_BEGIN` / `BITNET_AVX2_END` region (`#pragma clang attribute ... target(...)`), so the rest of the
// package runs on any x86-64 CPU and only calls in here after `KernelLevel.active` has found AVX2 at start-up.
//
// Arithmetic rule: each kernel here reproduces, operation for operation, the rounding order of the llama.cpp route
// it follows (see the Swift scalar references in Sources/Kernels). Floating-point contraction is off (below) for
// every file that includes this header, so `a * b + c` rounds twice unless written as `_mm256_fmadd_ps` / `fmaf`.
#ifndef BITNET_KERNELS_AVX2_INTERNAL_H
#define BITNET_KERNELS_AVX2_INTERNAL_H

// No contraction from here to the end of every file that includes this header (the helpers below included): clang
// fuses `a * b + c` by default, which would round differently from the Swift references.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BITNET_AVX2_BEGIN \
    _Pragma("clang attribute push (__attribute__((target(\"avx2,fma,f16c,bmi2\"))), apply_to = function)")
#define BITNET_AVX2_END _Pragma("clang attribute pop")

#define BN_INLINE static inline __attribute__((always_inline))

BITNET_AVX2_BEGIN

// MARK: loads

BN_INLINE __m256i bn_load256(const void *p, ptrdiff_t offset) {
    return _mm256_loadu_si256((const __m256i *)((const uint8_t *)p + offset));
}

BN_INLINE __m128i bn_load128(const void *p, ptrdiff_t offset) {
    return _mm_loadu_si128((const __m128i *)((const uint8_t *)p + offset));
}

BN_INLINE __m256 bn_loadf8(const float *p) { return _mm256_loadu_ps(p); }

BN_INLINE uint16_t bn_u16(const void *p, ptrdiff_t offset) {
    uint16_t v;
    memcpy(&v, (const uint8_t *)p + offset, 2);
    return v;
}

BN_INLINE uint32_t bn_u32(const void *p, ptrdiff_t offset) {
    uint32_t v;
    memcpy(&v, (const uint8_t *)p + offset, 4);
    return v;
}

BN_INLINE float bn_f32(const void *p, ptrdiff_t offset) {
    float v;
    memcpy(&v, (const uint8_t *)p + offset, 4);
    return v;
}

BN_INLINE int8_t bn_i8(const void *p, ptrdiff_t offset) { return ((const int8_t *)p)[offset]; }

/// Hints the CPU to fetch `lines` consecutive 64-byte lines from `p` (never faults: `p` may lie past a buffer).
BN_INLINE void bn_prefetch(const void *p, int lines) {
    for (int line = 0; line < lines; line++) __builtin_prefetch((const uint8_t *)p + 64 * line, 0, 3);
}

// MARK: F16 / BF16

/// The F16 at `offset` widened through a zero-extending 32-bit move (`vmovd`), not `vpinsrw`, which merges into a
/// stale register and chains independent blocks together.
BN_INLINE float bn_half(const void *p, ptrdiff_t offset) {
    return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128((int)bn_u16(p, offset))));
}

/// The two adjacent F16s at `offset` (Q4_1's d, m; Q8_1's d, s; Q8_0's d and two junk bytes) in lanes 0 and 1.
BN_INLINE __m128 bn_half_pair(const void *p, ptrdiff_t offset) {
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)bn_u32(p, offset)));
}

/// A 32-element block's scale pair at offset 0 (see `bn_half_pair`).
BN_INLINE __m128 bn_scales(const void *block) { return bn_half_pair(block, 0); }

/// Lane 0 of `v` in all 8 lanes.
BN_INLINE __m256 bn_broadcast0(__m128 v) { return _mm256_broadcastss_ps(v); }

/// The 8 F16s at byte `offset`, widened (exact).
BN_INLINE __m256 bn_f16x8(const void *p, ptrdiff_t offset) { return _mm256_cvtph_ps(bn_load128(p, offset)); }

/// The 8 BF16s at byte `offset`, widened (a 16-bit left shift of each; exact).
BN_INLINE __m256 bn_bf16x8(const void *p, ptrdiff_t offset) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(bn_load128(p, offset)), 16));
}

BN_INLINE float bn_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// MARK: integer products

/// 16 bytes of packed nibbles → 32 bytes: low nibbles in bytes 0..<16, high nibbles in bytes 16..<32.
BN_INLINE __m256i bn_nibbles(const void *p, ptrdiff_t offset) {
    __m128i raw = bn_load128(p, offset);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

/// Unsigned bytes `a` · signed bytes `b`, summed in groups of four into 8 int32 lanes.
BN_INLINE __m256i bn_dot_u8i8(__m256i a, __m256i b) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
}

/// Signed bytes `a` · signed bytes `b` (b ≠ −128), summed in groups of four into 8 int32 lanes.
BN_INLINE __m256i bn_dot_i8i8(__m256i a, __m256i b) {
    return bn_dot_u8i8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

/// Bit k of `bits` → byte k = 0xFF or 0x00.
BN_INLINE __m256i bn_bytes_from_bits(uint32_t bits) {
    __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32((int32_t)bits),
        _mm256_set_epi64x(0x0303030303030303LL, 0x0202020202020202LL, 0x0101010101010101LL, 0));
    __m256i select = _mm256_set1_epi64x((int64_t)0x8040201008040201ULL);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select);
}

/// The 32 signed values of a Q5_0 block: low nibbles, high nibbles, plus bit 4 from `qh`, minus 16.
BN_INLINE __m256i bn_q5_0_values(const void *wb) {
    __m256i high = _mm256_and_si256(bn_bytes_from_bits(bn_u32(wb, 2)), _mm256_set1_epi8(0x10));
    return _mm256_sub_epi8(_mm256_or_si256(bn_nibbles(wb, 6), high), _mm256_set1_epi8(16));
}

BN_INLINE __m256 bn_float(__m256i v) { return _mm256_cvtepi32_ps(v); }

/// Sum of the 8 int32 lanes, wrapping (exact for the block sums here).
BN_INLINE int32_t bn_wrapped_sum(__m256i v) {
    __m128i q = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    q = _mm_add_epi32(q, _mm_unpackhi_epi64(q, q));
    q = _mm_add_epi32(q, _mm_shuffle_epi32(q, 1));
    return _mm_cvtsi128_si32(q);
}

/// (Σa, Σb, Σc, Σd) of four int32 vectors in one reduction (exact).
BN_INLINE __m128i bn_wrapped_sums(__m256i a, __m256i b, __m256i c, __m256i d) {
    __m256i pairs = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
}

// MARK: float reductions (each in one fixed order)

/// `DotAVX2.hsum`: quad = low + high; pair = quad.low + quad.high; pair[0] + pair[1].
BN_INLINE float bn_hsum(__m256 v) {
    __m128 quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
    return _mm_cvtss_f32(pair) + _mm_cvtss_f32(_mm_shuffle_ps(pair, pair, 1));
}

/// `GGMLMath.sumLanes`: t = low + high; (t0 + t2) + (t1 + t3).
BN_INLINE float bn_sum_lanes(__m256 v) {
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    float t0 = _mm_cvtss_f32(t), t1 = _mm_cvtss_f32(_mm_shuffle_ps(t, t, 1));
    float t2 = _mm_cvtss_f32(_mm_shuffle_ps(t, t, 2)), t3 = _mm_cvtss_f32(_mm_shuffle_ps(t, t, 3));
    return (t0 + t2) + (t1 + t3);
}

/// `GGMLMath.reduce` (ggml's `GGML_F32x8_REDUCE`): v = (a0 + a2) + (a1 + a3); t = low + high; (t0+t1) + (t2+t3).
BN_INLINE float bn_reduce4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 v = _mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3));
    __m128 t = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    float t0 = _mm_cvtss_f32(t), t1 = _mm_cvtss_f32(_mm_shuffle_ps(t, t, 1));
    float t2 = _mm_cvtss_f32(_mm_shuffle_ps(t, t, 2)), t3 = _mm_cvtss_f32(_mm_shuffle_ps(t, t, 3));
    return (t0 + t1) + (t2 + t3);
}

/// `DotAVX2.f16Tail`: `sum` plus the F32 products of F16 elements `j ..< count` of `w` and `x`, in `double`.
BN_INLINE float bn_f16_tail(float sum, const void *w, const void *x, ptrdiff_t j, ptrdiff_t count) {
    double total = (double)sum;
    for (ptrdiff_t i = j; i < count; i++) total += (double)(bn_half(w, 2 * i) * bn_half(x, 2 * i));
    return (float)total;
}

/// `GGMLMath.dotVec` (`ggml_vec_dot_f32` on AVX2): four 8-lane FMA accumulators over whole 32-element steps,
/// `bn_reduce4`, then elements up to a multiple of 4 added as rounded products, the last `count % 4` fused.
BN_INLINE float bn_dot_vec(const float *x, const float *y, ptrdiff_t count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    ptrdiff_t whole = count / 32 * 32, i = 0;
    for (; i < whole; i += 32) {
        a0 = _mm256_fmadd_ps(bn_loadf8(x + i), bn_loadf8(y + i), a0);
        a1 = _mm256_fmadd_ps(bn_loadf8(x + i + 8), bn_loadf8(y + i + 8), a1);
        a2 = _mm256_fmadd_ps(bn_loadf8(x + i + 16), bn_loadf8(y + i + 16), a2);
        a3 = _mm256_fmadd_ps(bn_loadf8(x + i + 24), bn_loadf8(y + i + 24), a3);
    }
    float sum = bn_reduce4(a0, a1, a2, a3);
    ptrdiff_t rounded = count - count % 4;
    for (; i < rounded; i++) sum += x[i] * y[i];
    for (; i < count; i++) sum = fmaf(x[i], y[i], sum);
    return sum;
}

// MARK: K-quant scales

/// The 16 sub-block scales of a Q3_K block (12 packed bytes at offset 96) as signed bytes (raw − 32).
BN_INLINE __m128i bn_q3_k_scales(const void *wb) {
    uint32_t a0 = bn_u32(wb, 96), a1 = bn_u32(wb, 100), a2 = bn_u32(wb, 104);
    __m128i raw = _mm_set_epi32((int32_t)(((a1 >> 4) & 0x0F0F0F0Fu) | (((a2 >> 6) & 0x03030303u) << 4)),
                                (int32_t)(((a0 >> 4) & 0x0F0F0F0Fu) | (((a2 >> 4) & 0x03030303u) << 4)),
                                (int32_t)((a1 & 0x0F0F0F0Fu) | (((a2 >> 2) & 0x03030303u) << 4)),
                                (int32_t)((a0 & 0x0F0F0F0Fu) | (((a2 >> 0) & 0x03030303u) << 4)));
    return _mm_sub_epi8(raw, _mm_set1_epi8(32));
}

BITNET_AVX2_END

#endif  // __x86_64__
#endif
