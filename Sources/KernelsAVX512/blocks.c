// 32-element block kernels of the AVX-512 level: Q8_0 (and Q5_0, which shares its unpacked layout) and Q4_1 prefill
// tiles.
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

/// One group kernel's signature: weight rows `w` (4 of them, `nr` real; unpacked groups read their interleaved layout
/// from `w`), `blocks` 32-element blocks, `na` (1…4) activation rows `x + a · xStride`, outputs `out[a · outStride + i]`.
typedef void (*bn5_group_kernel)(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks, const uint8_t *x,
                                 ptrdiff_t xStride, int na, ptrdiff_t count, float *out, ptrdiff_t outStride);

/// The tile walk every kernel here shares: activation rows in fours, weight rows in groups of four (unpacked groups
/// lie `4 · stride` apart, as packed rows do), `group` inlined per literal `na` so each copy keeps its accumulators
/// in registers.
BN5_INLINE void bn5_tiles(bn5_group_kernel group, const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                          ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32;
    for (ptrdiff_t t = 0; t < xRows; t += 4) {  // activation rows t ..< t + na exist
        ptrdiff_t na = xRows - t < 4 ? xRows - t : 4;
        const uint8_t *xt = bn5_at(x, t * xStride);
        for (ptrdiff_t r = 0; r < rows; r += 4) {  // weight rows r ..< r + nr exist (plus padding to 4)
            const uint8_t *wr = bn5_at(w, r * stride);
            float *out = y + t * yStride + r;
            ptrdiff_t nr = rows - r < 4 ? rows - r : 4;
            switch (na) {
            case 4: group(wr, stride, nr, blocks, xt, xStride, 4, count, out, yStride); break;
            case 3: group(wr, stride, nr, blocks, xt, xStride, 3, count, out, yStride); break;
            case 2: group(wr, stride, nr, blocks, xt, xStride, 2, count, out, yStride); break;
            default: group(wr, stride, nr, blocks, xt, xStride, 1, count, out, yStride); break;
            }
        }
    }
}

/// The 4 rows of unpacked group `group` (of `blocks` blocks) against `na` (1…4, a constant after inlining) activation
/// rows `x + a · xStride`, into `out[a · outStride + i]` for the `nr` real rows i < nr (the rest are padding).
BN5_INLINE void bn5_q8_0_group(const uint8_t *group, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                               const uint8_t *x, ptrdiff_t xStride, int na, ptrdiff_t count, float *out,
                               ptrdiff_t outStride) {
    (void)stride;  // the group's 4 rows are interleaved block by block
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
    bn5_tiles(bn5_q8_0_group, w, stride, x, xStride, xRows, count, y, yStride, rows);
}

// MARK: Q4_1 · Q8_1

enum { BN5_Q4_1_GROUP_BLOCK = 272, BN5_Q8_1_BYTES = 36 };  // 4 rows × BITNET_AVX2_Q4_1_UNPACKED_BLOCK_BYTES; BlockLayout

/// The 4 rows of an unpacked Q4_1 group against `na` activation rows (Q8_1 blocks: d, s as F16, 32 quants at 4):
/// per row and activation row the AVX2 unpacked-rows arithmetic — `fma(d_w·d_x, float(Σ q·x), acc)` in block order,
/// `bn_hsum`, plus the 4-lane min chain `fma(m_w, s_x, mins)` — with `vpdpbusd` for the integer sums (q ≤ 15, so no
/// AVX2 int16 pair sum saturates and the int32 lanes are the same).
BN5_INLINE void bn5_q4_1_group(const uint8_t *group, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                               const uint8_t *x, ptrdiff_t xStride, int na, ptrdiff_t count, float *out,
                               ptrdiff_t outStride) {
    (void)stride, (void)count;  // the group's 4 rows are interleaved block by block; Q8_1 blocks carry their scales
    __m256 acc[4][4];
    __m128 mins[4];
    for (int a = 0; a < na; a++) {
        mins[a] = _mm_setzero_ps();
        for (int i = 0; i < 4; i++) acc[i][a] = _mm256_setzero_ps();
    }
    for (ptrdiff_t b = 0; b < blocks; b++) {
        const uint8_t *ob = group + b * BN5_Q4_1_GROUP_BLOCK;
        __m128 m = _mm_loadu_ps((const float *)(ob + 128));
        __m256i xq[4];
        __m256 dx[4];
        for (int a = 0; a < na; a++) {
            const uint8_t *xb = x + a * xStride + b * BN5_Q8_1_BYTES;
            __m128 xs = bn_scales(xb);  // (d_x, s_x)
            xq[a] = bn_load256(xb, 4);
            dx[a] = _mm256_broadcastss_ps(xs);
            mins[a] = _mm_fmadd_ps(m, _mm_set1_ps(_mm_cvtss_f32(_mm_shuffle_ps(xs, xs, 1))), mins[a]);
        }
        for (int i = 0; i < 4; i++) {
            __m256 d = _mm256_loadu_ps((const float *)(ob + 32 * i));
            __m256i q = bn_load256(ob, 144 + 32 * i);
            for (int a = 0; a < na; a++) {
                __m256i products = bn5_dpbusd(_mm256_setzero_si256(), q, xq[a]);
                acc[i][a] = _mm256_fmadd_ps(_mm256_mul_ps(d, dx[a]), _mm256_cvtepi32_ps(products), acc[i][a]);
            }
        }
    }
    for (int a = 0; a < na; a++) {
        float m[4];
        _mm_storeu_ps(m, mins[a]);
        for (ptrdiff_t i = 0; i < nr; i++) out[a * outStride + i] = bn_hsum(acc[i][a]) + m[i];
    }
}

void bitnet_avx512_tile_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                             ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    bn5_tiles(bn5_q4_1_group, w, stride, x, xStride, xRows, count, y, yStride, rows);
}

/// 4 packed Q4_1 rows (`w`, `stride` apart; `nr` of them real, the others repeat row 0 and are not written) against
/// `na` activation rows, decoding each weight block once for all of them: per output the single-row arithmetic of
/// `bitnet_avx2_dot_q4_1` (`fma(d_w·d_x, float(Σ q·x), acc)` in block order, `bn_hsum`, plus the fused min chain
/// `fma(m_w, s_x, mins)`, here one lane per weight row).
BN5_INLINE void bn5_q4_1_packed_group(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                                      const uint8_t *x, ptrdiff_t xStride, int na, ptrdiff_t count, float *out,
                                      ptrdiff_t outStride) {
    (void)count;  // Q8_1 blocks carry their scales
    const uint8_t *rows[4];
    for (int i = 0; i < 4; i++) rows[i] = w + (i < nr ? i : 0) * stride;
    __m256 acc[4][4];
    __m128 mins[4];
    for (int a = 0; a < na; a++) {
        mins[a] = _mm_setzero_ps();
        for (int i = 0; i < 4; i++) acc[i][a] = _mm256_setzero_ps();
    }
    for (ptrdiff_t b = 0; b < blocks; b++) {
        __m128 ws[4];
        __m256i q[4];
        for (int i = 0; i < 4; i++) {
            const uint8_t *wb = rows[i] + b * 20;  // BlockLayout.q4_1Bytes
            ws[i] = bn_scales(wb);  // (d_w, m_w)
            q[i] = bn_nibbles(wb, 4);
        }
        __m128 t01 = _mm_unpacklo_ps(ws[0], ws[1]), t23 = _mm_unpacklo_ps(ws[2], ws[3]);  // (d0, d1, m0, m1), …
        __m128 m = _mm_movehl_ps(t23, t01);                                               // (m0, m1, m2, m3)
        for (int a = 0; a < na; a++) {
            const uint8_t *xb = x + a * xStride + b * BN5_Q8_1_BYTES;
            __m128 xs = bn_scales(xb);  // (d_x, s_x)
            __m256i xq = bn_load256(xb, 4);
            __m256 dx = _mm256_broadcastss_ps(xs);
            mins[a] = _mm_fmadd_ps(m, _mm_set1_ps(_mm_cvtss_f32(_mm_shuffle_ps(xs, xs, 1))), mins[a]);
            for (int i = 0; i < 4; i++) {
                __m256 d = _mm256_mul_ps(_mm256_broadcastss_ps(ws[i]), dx);
                acc[i][a] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(bn5_dpbusd(_mm256_setzero_si256(), q[i], xq)), acc[i][a]);
            }
        }
    }
    for (int a = 0; a < na; a++) {
        float mv[4];
        _mm_storeu_ps(mv, mins[a]);
        for (ptrdiff_t i = 0; i < nr; i++) out[a * outStride + i] = bn_hsum(acc[i][a]) + mv[i];
    }
}

void bitnet_avx512_packed_tile_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    bn5_tiles(bn5_q4_1_packed_group, w, stride, x, xStride, xRows, count, y, yStride, rows);
}

/// 4 packed Q8_0 rows against `na` Q8_0-split activation rows (a row's int8 quants, 32 per block, then one F32 scale
/// per block at byte `count`), each weight block loaded once for all of them: per output the single-row arithmetic
/// of `bitnet_avx2_dot_q8_0` (`fma(d_w·d_x, float(Σ q·x), acc)` in block order, `bn_hsum`).
BN5_INLINE void bn5_q8_0_packed_group(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                                      const uint8_t *x, ptrdiff_t xStride, int na, ptrdiff_t count, float *out,
                                      ptrdiff_t outStride) {
    const uint8_t *rows[4];
    for (int i = 0; i < 4; i++) rows[i] = w + (i < nr ? i : 0) * stride;
    __m256 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int a = 0; a < na; a++) acc[i][a] = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < blocks; b++) {
        __m256i xq[4];
        __m256 dx[4];
        for (int a = 0; a < na; a++) {
            const uint8_t *xa = x + a * xStride;
            xq[a] = bn_load256(xa, 32 * b);
            dx[a] = _mm256_set1_ps(bn_f32(xa, count + 4 * b));
        }
        for (int i = 0; i < 4; i++) {
            const uint8_t *wb = rows[i] + b * 34;  // BlockLayout.q8_0Bytes
            __m256 d = _mm256_set1_ps(_mm_cvtss_f32(bn_scales(wb)));
            __m256i q = bn_load256(wb, 2), magnitude = _mm256_sign_epi8(q, q);
            for (int a = 0; a < na; a++) {
                __m256i products = bn5_dpbusd(_mm256_setzero_si256(), magnitude, _mm256_sign_epi8(xq[a], q));
                acc[i][a] = _mm256_fmadd_ps(_mm256_mul_ps(d, dx[a]), _mm256_cvtepi32_ps(products), acc[i][a]);
            }
        }
    }
    for (ptrdiff_t i = 0; i < nr; i++)
        for (int a = 0; a < na; a++) out[a * outStride + i] = bn_hsum(acc[i][a]);
}

void bitnet_avx512_packed_tile_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    bn5_tiles(bn5_q8_0_packed_group, w, stride, x, xStride, xRows, count, y, yStride, rows);
}

BITNET_AVX512_END
#endif  // __x86_64__
