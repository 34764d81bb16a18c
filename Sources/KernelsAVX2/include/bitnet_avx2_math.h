#ifndef BITNET_AVX2_MATH_H
#define BITNET_AVX2_MATH_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#pragma clang assume_nonnull begin

// Row operations in ggml-cpu's AVX2 + FMA + F16C arithmetic (the pinned llama.cpp build), so that logits can equal
// llama.cpp's bit for bit: its polynomial `exp` (not libm's `expf`) and what is built on it, the tiled
// flash-attention loops, F16 cache rows, and the activation quantizers. Each function gives the same bits as the
// portable Swift form of the same name (`GGMLMath`, `HalfVectorOps`, `ActivationQuantizer`). Callers must have found
// AVX2, FMA and F16C.

// MARK: exp, softmax, SwiGLU (`GGMLMath`)

/// Softmax of `x[0 ..< count]` in place, as ggml-cpu's `soft_max` after masking: the running maximum, then
/// `e = exp(x − max)` with the polynomial `exp` over 8-lane groups from index 0 and libm's `expf` on the last
/// `count % 8`, the groups' lane sums added in `double`, and every `e` scaled by `(float)(1 / sum)`. Masked scores
/// are −∞ (→ 0). Nothing happens when `count` ≤ 0.
void bitnet_avx2_softmax(float *x, ptrdiff_t count);

/// `y = silu(gate) · up` over `count` elements (a multiple of `width`), row by row of `width`, as ggml-cpu's
/// `ggml_vec_swiglu_f32`: 8-lane groups from the start of each row compute `x / (1 + exp(0 − x))` with the
/// polynomial `exp`, a row's last `width % 8` elements use libm's `expf`. `y` may alias `gate` or `up`.
/// Nothing happens when `width` ≤ 0.
void bitnet_avx2_swiglu(const float *gate, const float *up, float *y, ptrdiff_t count, ptrdiff_t width);

/// `Σ x[i]·y[i]` in `ggml_vec_dot_f32`'s order (four 8-lane FMA accumulators over whole 32-element steps, ggml's
/// pairwise reduction, the remainder added in order: rounded products up to a multiple of 4, then fused).
float bitnet_avx2_dot_vec(const float *x, const float *y, ptrdiff_t count);

/// For each 8-lane group of `x[0 ..< count]` (`count` a multiple of 8): `e = exp(x − shift)` stored back, and the
/// sum over groups of each group's lane sum, added in `double` from 0 — one flash-attention tile's weights and
/// their total.
double bitnet_avx2_exp_shifted_sum(float *x, ptrdiff_t count, float shift);

// MARK: flash-attention tiles (`GGMLMath+Tiles`)

/// The largest of `x[0 ..< count]` (`count` a multiple of 8), 8 lanes at a time; for non-NaN values the same as
/// a scalar running maximum. −∞ when `count` is 0.
float bitnet_avx2_maximum(const float *x, ptrdiff_t count);

/// `scores[j] = (Σ_k q[k] · keys_t[k·64 + j]) · scale` for the 64 positions of a tile: each sum one FMA chain in
/// `k` order from 0 (ggml's `simd_gemm`), then one rounded multiply by `scale`. `keys_t` is `[key_length × 64]`.
void bitnet_avx2_tile_scores(const float *q, const float *keys_t, ptrdiff_t key_length, float scale,
                             float *scores);

/// For j = `first` … `last` (inclusive), in order: `sum[d] = fma(weights[j], values[j·row_length + d], sum[d])`
/// for d < `row_length` — one FMA chain per `sum[d]`, as ggml's tiled kernel accumulates the output row.
void bitnet_avx2_accumulate_weighted_rows(const float *values, ptrdiff_t row_length, const float *weights,
                                          ptrdiff_t first, ptrdiff_t last, float *sum);

// MARK: F16 rows (`HalfVectorOps`)

/// `Σ q[i]·k[i]` with `k` F16: ggml's order over whole 32-element steps (four 8-lane FMA accumulators, reduced
/// pairwise then across lanes), then the remaining elements as rounded products added in order.
float bitnet_avx2_half_dot(const float *q, const uint16_t *k, ptrdiff_t count);

/// `out[i] = fma(v[i], w, out[i])` for i < `count`, `v` F16 (one rounding per element).
void bitnet_avx2_half_multiply_add(const uint16_t *v, float w, float *out, ptrdiff_t count);

/// Rounds `x[0 ..< count]` to the nearest F16 value in place (ties to even; overflow → ±∞).
void bitnet_avx2_round_to_half(float *x, ptrdiff_t count);

/// ggml's one-chunk flash attention of one query row over an F16 cache (`HalfVectorOps.attendComposed` with this
/// level's three operations above, in one call): for positions p = `first` … `last`, s = (q·K[p])·`scale`; a new
/// maximum rescales `out` by e^(old − s) and rounds it to F16, otherwise the weight is e^(s − max); then `out += w·V[p]`
/// (fused), rounded to F16, and `sum = fma(sum, rescale, w)`; finally `out *= 1/sum`. `q` (`key_length` floats) is
/// already rounded to F16 values; K[p] = `keys + p·key_stride`, V[p] = `values + p·value_stride`.
void bitnet_avx2_attend_half(const float *q, const uint16_t *keys, ptrdiff_t key_stride, const uint16_t *values,
                             ptrdiff_t value_stride, ptrdiff_t first, ptrdiff_t last, ptrdiff_t key_length,
                             ptrdiff_t value_length, float scale, float *out);

/// Narrows `x[0 ..< count]` to F16 bit patterns in `y` (ties to even; overflow → ±∞; NaN stays a quiet NaN).
void bitnet_avx2_narrow_to_half(const float *x, uint16_t *y, ptrdiff_t count);

// MARK: activation quantizers (`ActivationQuantizer`)
//
// `rounding` is the `Q8Rounding` code: 0 = `.reference` (`quantize_row_q8_*_ref`: multiplier `1/d`, halves away
// from zero), anything else = `.ggmlCPU` (ggml-cpu's AVX path: multiplier `127/amax`, halves to even). Both use
// `d = amax/127`. `count` is a multiple of 32 (a remainder is ignored).

/// `count / 32` Q8_0 blocks of 34 bytes at `y`: the F16 scale `d`, then 32 int8 quants.
void bitnet_avx2_quantize_q8_0(const float *x, void *y, ptrdiff_t count, int rounding);

/// The Q8_0-split row layout: block b's 32 quants at byte `32·b`, its F16 scale widened to F32 at `count + 4·b`,
/// then zeros up to the row's padded length (`count + round_up(count / 32 · 4, 32)` bytes in all) — the same quants
/// and scale values as `bitnet_avx2_quantize_q8_0`, rearranged for the prefill kernels.
void bitnet_avx2_quantize_q8_0_split(const float *x, void *y, ptrdiff_t count, int rounding);

/// `count / 32` Q8_1 blocks of 36 bytes at `y`: the F16 scale `d`, the F16 of `(float)Σq · d`, then 32 int8 quants.
void bitnet_avx2_quantize_q8_1(const float *x, void *y, ptrdiff_t count, int rounding);

/// `count / 256` Q8_K blocks of 292 bytes (`ActivationQuantizer.quantizeQ8_K`): F32 d = 1/iscale with
/// iscale = −127 / (the first element of largest magnitude), 256 int8 quants min(127, round-half-even(iscale·x)), 16
/// int16 sums of 16 quants; an all-zero block is 292 zero bytes.
void bitnet_avx2_quantize_q8_k(const float *x, void *y, ptrdiff_t count);

/// One I8 row (`ActivationQuantizer.quantizeI8`, `count` a multiple of 32): `count` int8 quants
/// clamp(round-half-away(x·s), −128, 127) with s = (float)(127 / max(absmax, 1e-5)) (absmax widened to double), then
/// F32 s and the Int32 Σq.
void bitnet_avx2_quantize_i8(const float *x, void *y, ptrdiff_t count);

#pragma clang assume_nonnull end
#endif  // __x86_64__
#endif
