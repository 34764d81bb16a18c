// llamafile tinyBLAS's per-output order for F32, F16 and BF16 batches; ported from Sources/Kernels/GGMLBF16.swift and
// Sources/Kernels/GGMLFloatRoutes.swift (same arithmetic, same bits).
//
// tinyBLAS (the route llama.cpp takes for batches of two or more rows on weights whose row count is a multiple of 4)
// gives every output one 8-lane accumulator: lane l is one FMA chain over elements l, 8 + l, 16 + l, … in order,
// then llamafile's horizontal sum. An output's bits therefore depend neither on its tile nor on the thread count,
// and a per-row dot reproduces them. Row lengths that are not a multiple of 8 are declined by tinyBLAS; those sum in
// the type's `vec_dot` order (`DotAVX2.f32` / `.f16` / `.bf16`), reproduced here as the fallbacks.

// Contraction off before avx2.h: its inline helpers (bn_dot_vec's `sum += x[i] * y[i]`) are compiled under the
// pragma state in force where they are defined, and clang fuses that product into an FMA by default.
#pragma STDC FP_CONTRACT OFF
#include "avx2.h"
#include "bitnet_avx2_tinyblas.h"

#if defined(__x86_64__)
BITNET_AVX2_BEGIN

/// Widens the 8 elements at a byte offset of a row to F32 (exact for every element type here).
typedef __m256 (*bn_tinyblas_load8)(const void *p, ptrdiff_t offset);

/// `GGMLBF16.hsum` (llamafile's `hsum(__m256)`): ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)) — the high half
/// folded onto the low one, then `movehl`, then `movehdup`. The same adds in the same order as `bn_hsum`.
BN_INLINE float bn_tinyblas_hsum(__m256 v) {
    __m128 quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
    return _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
}

/// `GGMLFloat.f32x8`: 8 F32s at byte `offset`, unaligned.
BN_INLINE __m256 bn_tinyblas_f32x8(const void *p, ptrdiff_t offset) {
    return _mm256_loadu_ps((const float *)(const void *)((const uint8_t *)p + offset));
}

// MARK: vec_dot fallbacks (row lengths tinyBLAS declines)

/// `DotAVX2.f16`: four FMA accumulators over whole 32-element groups, `bn_reduce4`, then the remaining products
/// added in `double` (`bn_f16_tail`).
BN_INLINE float bn_tinyblas_vec_dot_f16(const void *w, const void *x, ptrdiff_t count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    ptrdiff_t body = count & ~(ptrdiff_t)31, j = 0;
    for (; j < body; j += 32) {  // elements j ..< j+32 are inside both rows
        ptrdiff_t o = 2 * j;
        a0 = _mm256_fmadd_ps(bn_f16x8(w, o), bn_f16x8(x, o), a0);
        a1 = _mm256_fmadd_ps(bn_f16x8(w, o + 16), bn_f16x8(x, o + 16), a1);
        a2 = _mm256_fmadd_ps(bn_f16x8(w, o + 32), bn_f16x8(x, o + 32), a2);
        a3 = _mm256_fmadd_ps(bn_f16x8(w, o + 48), bn_f16x8(x, o + 48), a3);
    }
    return bn_f16_tail(bn_reduce4(a0, a1, a2, a3), w, x, j, count);
}

/// `DotAVX2.bf16`: four FMA accumulators over whole 32-element groups combined as (a0 + a2) + (a1 + a3), summed by
/// llamafile's hsum, then a `double` tail. ggml adds the vector sum to a zeroed double, which turns −0 into +0, so
/// the `0.0 +` stays.
BN_INLINE float bn_tinyblas_vec_dot_bf16(const void *w, const void *x, ptrdiff_t count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    ptrdiff_t body = count & ~(ptrdiff_t)31, j = 0;
    for (; j < body; j += 32) {  // elements j ..< j+32 are inside both rows
        ptrdiff_t o = 2 * j;
        a0 = _mm256_fmadd_ps(bn_bf16x8(w, o), bn_bf16x8(x, o), a0);
        a1 = _mm256_fmadd_ps(bn_bf16x8(w, o + 16), bn_bf16x8(x, o + 16), a1);
        a2 = _mm256_fmadd_ps(bn_bf16x8(w, o + 32), bn_bf16x8(x, o + 32), a2);
        a3 = _mm256_fmadd_ps(bn_bf16x8(w, o + 48), bn_bf16x8(x, o + 48), a3);
    }
    double sum = 0.0;
    sum += (double)bn_tinyblas_hsum(_mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3)));
    for (; j < count; j++) {  // j < count
        float p = bn_bf16_to_float(bn_u16(w, 2 * j));
        sum += (double)(p * bn_bf16_to_float(bn_u16(x, 2 * j)));
    }
    return (float)sum;
}

// MARK: the tinyBLAS chain

/// `GGMLFloat.chainAVX2`: one output's FMA chain over 8-element groups, then the hsum; `count % 8 == 0`.
/// `load` is a constant at every call site, so it inlines.
BN_INLINE float bn_tinyblas_chain(const void *w, const void *x, ptrdiff_t count, ptrdiff_t bytes_per_element,
                                  bn_tinyblas_load8 load) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t o = 0; o < bytes_per_element * count; o += 8 * bytes_per_element) {
        acc = _mm256_fmadd_ps(load(w, o), load(x, o), acc);  // 8 elements from byte o are inside both rows
    }
    return bn_tinyblas_hsum(acc);
}

/// `GGMLFloat.tinyBLASRowsAVX2` (and `GGMLBF16.tinyBLASRowsAVX2`, whose loop is the same): `out[r]` = the tinyBLAS
/// dot of row r, four weight rows at a time. Four independent chains hide the FMA latency one chain waits on, as
/// tinyBLAS's own tiles do; each output is still its own chain, so its bits are unchanged. `fallback` when
/// `count % 8 != 0`.
BN_INLINE void bn_tinyblas_rows(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                ptrdiff_t rows, ptrdiff_t bytes_per_element, bn_tinyblas_load8 load,
                                float (*fallback)(const void *, const void *, ptrdiff_t)) {
    const uint8_t *base = (const uint8_t *)w;
    if (count % 8 != 0) {
        for (ptrdiff_t r = 0; r < rows; r++) out[r] = fallback(base + r * stride, x, count);  // inside rows × stride
        return;
    }
    ptrdiff_t bytes = bytes_per_element * count, step = 8 * bytes_per_element, r = 0;
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 are inside the caller's rows × stride bytes
        const uint8_t *w0 = base + r * stride, *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (ptrdiff_t o = 0; o < bytes; o += step) {  // 8 elements from byte o are inside every row and x
            __m256 xv = load(x, o);
            a0 = _mm256_fmadd_ps(load(w0, o), xv, a0);
            a1 = _mm256_fmadd_ps(load(w1, o), xv, a1);
            a2 = _mm256_fmadd_ps(load(w2, o), xv, a2);
            a3 = _mm256_fmadd_ps(load(w3, o), xv, a3);
        }
        out[r] = bn_tinyblas_hsum(a0);
        out[r + 1] = bn_tinyblas_hsum(a1);
        out[r + 2] = bn_tinyblas_hsum(a2);
        out[r + 3] = bn_tinyblas_hsum(a3);
    }
    for (; r < rows; r++) out[r] = bn_tinyblas_chain(base + r * stride, x, count, bytes_per_element, load);
}

// MARK: exported kernels

float bitnet_avx2_tinyblas_f32(const void *w, const void *x, ptrdiff_t count) {
    if (count % 8 != 0) return bn_dot_vec((const float *)w, (const float *)x, count);
    return bn_tinyblas_chain(w, x, count, 4, bn_tinyblas_f32x8);
}

float bitnet_avx2_tinyblas_f16(const void *w, const void *x, ptrdiff_t count) {
    if (count % 8 != 0) return bn_tinyblas_vec_dot_f16(w, x, count);
    return bn_tinyblas_chain(w, x, count, 2, bn_f16x8);
}

float bitnet_avx2_tinyblas_bf16(const void *w, const void *x, ptrdiff_t count) {
    if (count % 8 != 0) return bn_tinyblas_vec_dot_bf16(w, x, count);
    return bn_tinyblas_chain(w, x, count, 2, bn_bf16x8);
}

/// `DotAVX2.f32` with the row-dot signature, for the fallback parameter.
static float bn_tinyblas_fallback_f32(const void *w, const void *x, ptrdiff_t count) {
    return bn_dot_vec((const float *)w, (const float *)x, count);
}

void bitnet_avx2_tinyblas_rows_f32(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                   ptrdiff_t rows) {
    bn_tinyblas_rows(w, stride, x, count, out, rows, 4, bn_tinyblas_f32x8, bn_tinyblas_fallback_f32);
}

void bitnet_avx2_tinyblas_rows_f16(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                   ptrdiff_t rows) {
    bn_tinyblas_rows(w, stride, x, count, out, rows, 2, bn_f16x8, bn_tinyblas_vec_dot_f16);
}

void bitnet_avx2_tinyblas_rows_bf16(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                    ptrdiff_t rows) {
    bn_tinyblas_rows(w, stride, x, count, out, rows, 2, bn_bf16x8, bn_tinyblas_vec_dot_bf16);
}

BITNET_AVX2_END

#endif  // __x86_64__
