#ifndef BITNET_AVX2_TINYBLAS_H
#define BITNET_AVX2_TINYBLAS_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#pragma clang assume_nonnull begin

// llamafile tinyBLAS's order for one output (the route llama.cpp takes for batches of F32, F16 and BF16 weights):
// lane l of one 8-lane accumulator fused-multiply-adds elements l, 8 + l, 16 + l, … in order, then the lanes are
// summed ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)). Row lengths that are not a multiple of 8, which tinyBLAS
// declines, sum in the type's `vec_dot` order instead. `w` and `x` each hold `count` elements of the type (the
// activations already rounded to F16 / BF16 for those types). Callers must have found AVX2, FMA and F16C.

/// F32 · F32 in tinyBLAS's order; `ggml_vec_dot_f32`'s order when `count % 8 != 0`.
float bitnet_avx2_tinyblas_f32(const void *w, const void *x, ptrdiff_t count);

/// F16 · F16 in tinyBLAS's order; `ggml_vec_dot_f16`'s order when `count % 8 != 0`.
float bitnet_avx2_tinyblas_f16(const void *w, const void *x, ptrdiff_t count);

/// BF16 · BF16 in tinyBLAS's order; `ggml_vec_dot_bf16`'s order when `count % 8 != 0`.
float bitnet_avx2_tinyblas_bf16(const void *w, const void *x, ptrdiff_t count);

/// `out[r] = bitnet_avx2_tinyblas_f32(w + r * stride, x, count)` for `r < rows` (stride in bytes), four rows at a
/// time for throughput; the bits equal the one-row form's.
void bitnet_avx2_tinyblas_rows_f32(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                   ptrdiff_t rows);

/// `out[r] = bitnet_avx2_tinyblas_f16(w + r * stride, x, count)` for `r < rows`, as `bitnet_avx2_tinyblas_rows_f32`.
void bitnet_avx2_tinyblas_rows_f16(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                   ptrdiff_t rows);

/// `out[r] = bitnet_avx2_tinyblas_bf16(w + r * stride, x, count)` for `r < rows`, as `bitnet_avx2_tinyblas_rows_f32`.
void bitnet_avx2_tinyblas_rows_bf16(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                    ptrdiff_t rows);

#pragma clang assume_nonnull end
#endif  // __x86_64__
#endif
