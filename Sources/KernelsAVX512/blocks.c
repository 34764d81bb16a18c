// 32-element block kernels of the AVX-512 level: Q8_0 (and Q5_0, which shares its unpacked layout) prefill tiles.
//
// The tiles read the AVX2 level's unpacked layout (`bitnet_avx2_unpack_q8_0` / `_q5_0`; per group of 4 rows and per
// block: d broadcast to 8 F32 per row @32i, |q| @128 + 32i, q @256 + 32i) and the Q8_0-split activations (a row's
// int8 quants, 32 per block, then one F32 scale per block at byte `count`). Each output is the AVX2 unpacked-rows
// kernel's arithmetic: per block `fma(d_w·d_x, float(Σ |q|·sign(x, q)), acc)` in block order, then `bn_hsum`. The
// integer sum comes from `vpdpbusd` instead of `vpmaddubsw` + `vpmaddwd` (the same int32 lanes: |q| ≤ 128 and
// |x| ≤ 127 keep every AVX2 int16 pair sum below 2^15).

#pragma STDC FP_CONTRACT OFF
#include "avx512.h"
#include "bitnet_avx512.h"

#if defined(__x86_64__)
BITNET_AVX512_BEGIN

enum { BN5_Q8_0_GROUP_BLOCK = 384 };  // 4 rows × BITNET_AVX2_Q8_0_UNPACKED_BLOCK_BYTES

/// The 4 rows of unpacked group `group` (of `blocks` blocks) against `na` (1…4, a constant after inlining) activation
/// rows `x + a · xStride`, into `out[a · outStride + i]` for the `nr` real rows i < nr (the rest are padding).
BN5_INLINE void bn5_q8_0_group(const uint8_t *group, ptrdiff_t blocks, const uint8_t *x, ptrdiff_t xStride, int na,
                               ptrdiff_t count, float *out, ptrdiff_t outStride, ptrdiff_t nr) {
    __m256 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int a = 0; a < na; a++) acc[i][a] = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < blocks; b++) {
        const uint8_t *ob = group + b * BN5_Q8_0_GROUP_BLOCK;
        __m256i xq[4];
        __m256 dx[4];
        for (int a = 0; a < na; a++) {
            const uint8_t *xa = x + a * xStride;
            xq[a] = bn_load256(xa, 32 * b);
            dx[a] = _mm256_set1_ps(bn_f32(xa, count + 4 * b));
        }
        for (int i = 0; i < 4; i++) {
            __m256 d = _mm256_loadu_ps((const float *)(ob + 32 * i));
            __m256i magnitude = bn_load256(ob, 128 + 32 * i), signs = bn_load256(ob, 256 + 32 * i);
            for (int a = 0; a < na; a++) {
                __m256i products = bn5_dpbusd(_mm256_setzero_si256(), magnitude, _mm256_sign_epi8(xq[a], signs));
                acc[i][a] = _mm256_fmadd_ps(_mm256_mul_ps(d, dx[a]), _mm256_cvtepi32_ps(products), acc[i][a]);
            }
        }
    }
    for (ptrdiff_t i = 0; i < nr; i++)
        for (int a = 0; a < na; a++) out[a * outStride + i] = bn_hsum(acc[i][a]);
}

void bitnet_avx512_tile_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                             ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32;
    for (ptrdiff_t t = 0; t < xRows; t += 4) {  // activation rows t ..< t + na exist
        ptrdiff_t na = xRows - t < 4 ? xRows - t : 4;
        const uint8_t *xt = bn5_at(x, t * xStride);
        for (ptrdiff_t g = 0; g < (rows + 3) / 4; g++) {  // group g: rows 4g ..< 4g + nr (+ padding to 4)
            const uint8_t *group = bn5_at(w, g * 4 * stride);
            float *out = y + t * yStride + 4 * g;
            ptrdiff_t nr = rows - 4 * g < 4 ? rows - 4 * g : 4;
            switch (na) {  // a literal count per case: each inlined copy keeps its 16 accumulators in registers
            case 4: bn5_q8_0_group(group, blocks, xt, xStride, 4, count, out, yStride, nr); break;
            case 3: bn5_q8_0_group(group, blocks, xt, xStride, 3, count, out, yStride, nr); break;
            case 2: bn5_q8_0_group(group, blocks, xt, xStride, 2, count, out, yStride, nr); break;
            default: bn5_q8_0_group(group, blocks, xt, xStride, 1, count, out, yStride, nr); break;
            }
        }
    }
}

BITNET_AVX512_END
#endif  // __x86_64__
