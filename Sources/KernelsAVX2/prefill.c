// Prefill (matrix × matrix) Q4_1 / Q8_0 / Q5_0 kernels over weight tiles unpacked once; ported from
// Sources/Kernels/DotAVX2Prefill.swift (same arithmetic, same bits).

// Contraction off before avx2.h too: its inline helpers are compiled under the pragma state where they are defined.
#pragma STDC FP_CONTRACT OFF
#include "avx2.h"
#include "bitnet_avx2_rows.h"

#if defined(__x86_64__)
BITNET_AVX2_BEGIN

// Why: in a batch, the packed multi-row kernels decode each weight block's nibbles and F16 scales again for every
// token, about a third of their instructions. A tile of weight rows is decoded once into an L1-resident layout that
// interleaves 4 rows per block (scales pre-broadcast, quants as bytes in activation order), and every activation row
// of the batch streams past it, so per token only the products and the FMAs remain.
//
// Exactness: each output is the same integer products, the same block-order FMA chain (and for Q4_1 the same fused
// min term) and the same horizontal sum as the single-row kernel (the F16 → F32 scale conversion is exact), so a
// matmul has the same bits with or without this path.
//
// Unpacked group block (4 rows, one 32-element block; row i of the group at the offsets below):
//   Q4_1 (272 bytes): d broadcast to 8 F32 @32i, m as F32 @128 + 4i, 32 quants (low nibbles, then high) @144 + 32i.
//   Q8_0 (384 bytes): d broadcast to 8 F32 @32i, |q| @128 + 32i, q @256 + 32i (Q5_0 stores q − 16 as q).
enum {
    BN_PF_Q4_1_GROUP_BLOCK = 4 * BITNET_AVX2_Q4_1_UNPACKED_BLOCK_BYTES,
    BN_PF_Q8_0_GROUP_BLOCK = 4 * BITNET_AVX2_Q8_0_UNPACKED_BLOCK_BYTES,
    // BlockLayout.q4_1Bytes, q5_0Bytes, q8_0Bytes, q8_1Bytes.
    BN_PF_Q4_1_BYTES = 20, BN_PF_Q5_0_BYTES = 22, BN_PF_Q8_0_BYTES = 34, BN_PF_Q8_1_BYTES = 36,
};

_Static_assert(BN_PF_Q4_1_GROUP_BLOCK == 272 && 144 + 4 * 32 == BN_PF_Q4_1_GROUP_BLOCK, "Q4_1 unpacked layout");
_Static_assert(BN_PF_Q8_0_GROUP_BLOCK == 384 && 256 + 4 * 32 == BN_PF_Q8_0_GROUP_BLOCK, "Q8_0 unpacked layout");

BN_INLINE const uint8_t *bn_pf_at(const void *p, ptrdiff_t offset) { return (const uint8_t *)p + offset; }

BN_INLINE ptrdiff_t bn_pf_min(ptrdiff_t a, ptrdiff_t b) { return a < b ? a : b; }

// MARK: unpacking

/// Which packed format a group slot is written from (a constant at every call, folded away after inlining).
typedef enum { BN_PF_Q4_1, BN_PF_Q8_0, BN_PF_Q5_0 } bn_pf_format;

/// Writes row `i`'s part of one group block `ob` from its packed block `wb`.
BN_INLINE void bn_pf_unpack_slot(bn_pf_format format, uint8_t *ob, ptrdiff_t i, const uint8_t *wb) {
    if (format == BN_PF_Q4_1) {
        __m128 scales = bn_half_pair(wb, 0);  // (d, m)
        float m = _mm_cvtss_f32(_mm_shuffle_ps(scales, scales, 1));
        _mm256_storeu_ps((float *)(ob + 32 * i), _mm256_broadcastss_ps(scales));
        memcpy(ob + 128 + 4 * i, &m, 4);
        _mm256_storeu_si256((__m256i *)(ob + 144 + 32 * i), bn_nibbles(wb, 4));
    } else {  // lane 0 of d: the block's d; q: its 32 signed values
        __m128 d = bn_scales(wb);
        __m256i q = format == BN_PF_Q8_0 ? bn_load256(wb, 2) : bn_q5_0_values(wb);
        _mm256_storeu_ps((float *)(ob + 32 * i), _mm256_broadcastss_ps(d));
        _mm256_storeu_si256((__m256i *)(ob + 128 + 32 * i), _mm256_sign_epi8(q, q));
        _mm256_storeu_si256((__m256i *)(ob + 256 + 32 * i), q);
    }
}

/// The walk shared by the unpackers: for each group g of 4 rows and each 32-element block b, row 4g + i's part of
/// the group's block is written from its packed block. A last, partial group is zero-filled first, so its padded
/// rows contribute zeros; `out` holds ⌈rows / 4⌉ groups of `blocks × groupBlockBytes` bytes.
BN_INLINE void bn_pf_for_each_unpacked_slot(bn_pf_format format, const void *w, ptrdiff_t stride, ptrdiff_t count,
                                            ptrdiff_t rows, void *out, ptrdiff_t groupBlockBytes,
                                            ptrdiff_t blockBytes) {
    ptrdiff_t blocks = count / 32;
    for (ptrdiff_t g = 0; g < (rows + 3) / 4; g++) {
        uint8_t *target = (uint8_t *)out + g * blocks * groupBlockBytes;  // rows 4g ..< 4g+4, those ≥ rows zero
        if (4 * g + 4 > rows) memset(target, 0, (size_t)(blocks * groupBlockBytes));
        for (ptrdiff_t b = 0; b < blocks; b++) {
            for (ptrdiff_t i = 0; i < bn_pf_min(4, rows - 4 * g); i++) {
                bn_pf_unpack_slot(format, target + b * groupBlockBytes, i,
                                  bn_pf_at(w, (4 * g + i) * stride + b * blockBytes));
            }
        }
    }
}

void bitnet_avx2_unpack_q4_1(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out) {
    bn_pf_for_each_unpacked_slot(BN_PF_Q4_1, w, stride, count, rows, out, BN_PF_Q4_1_GROUP_BLOCK, BN_PF_Q4_1_BYTES);
}

void bitnet_avx2_unpack_q8_0(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out) {
    bn_pf_for_each_unpacked_slot(BN_PF_Q8_0, w, stride, count, rows, out, BN_PF_Q8_0_GROUP_BLOCK, BN_PF_Q8_0_BYTES);
}

// A Q5_0 block is d and 32 signed values q − 16 in −16…15, whose dot product the single-row Q5_0 kernel forms exactly
// as Q8_0's (`fma(d_w·d_x, Σ products, acc)`), so the Q8_0 layout and `bitnet_avx2_unpacked_rows_q8_0` serve.
void bitnet_avx2_unpack_q5_0(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out) {
    bn_pf_for_each_unpacked_slot(BN_PF_Q5_0, w, stride, count, rows, out, BN_PF_Q8_0_GROUP_BLOCK, BN_PF_Q5_0_BYTES);
}

// MARK: Q4_1 · Q8_1

/// Row `i` of a Q4_1 group block: `fma(d_w·d_x, Σ products, acc)`, `d_w·d_x` a lane-wise product of the
/// pre-broadcast scales.
BN_INLINE __m256 bn_pf_q4_1_step(const uint8_t *ob, int i, __m256 dx, __m256i xq, __m256 acc) {
    __m256 d = _mm256_mul_ps(_mm256_loadu_ps((const float *)(ob + 32 * i)), dx);
    return _mm256_fmadd_ps(d, bn_float(bn_dot_u8i8(bn_load256(ob, 144 + 32 * i), xq)), acc);
}

// Each row is the single-row Q4_1 arithmetic: the block-order FMA chain, the horizontal sum, plus the fused chain of
// m_w·s_x — here one 4-lane FMA advances the min chains of the group's 4 rows (one lane each).
void bitnet_avx2_unpacked_rows_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                    ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32;
    for (ptrdiff_t g = 0; g < (rows + 3) / 4; g++) {
        const uint8_t *base = bn_pf_at(w, g * 4 * stride);  // group g: blocks × 272 bytes (4 rows, padded)
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        __m128 mins = _mm_setzero_ps();
        for (ptrdiff_t b = 0; b < blocks; b++) {
            const uint8_t *xb = bn_pf_at(x, b * BN_PF_Q8_1_BYTES), *ob = base + b * BN_PF_Q4_1_GROUP_BLOCK;
            __m256i xq = bn_load256(xb, 4);
            __m128 xs = bn_scales(xb);  // (d_x, s_x)
            __m256 dx = _mm256_broadcastss_ps(xs);
            __m128 sx = _mm_set1_ps(_mm_cvtss_f32(_mm_shuffle_ps(xs, xs, 1)));  // s_x in 4 lanes
            mins = _mm_fmadd_ps(_mm_loadu_ps((const float *)(ob + 128)), sx, mins);
            a0 = bn_pf_q4_1_step(ob, 0, dx, xq, a0);
            a1 = bn_pf_q4_1_step(ob, 1, dx, xq, a1);
            a2 = bn_pf_q4_1_step(ob, 2, dx, xq, a2);
            a3 = bn_pf_q4_1_step(ob, 3, dx, xq, a3);
        }
        ptrdiff_t r = 4 * g;
        float sums[4] = {bn_hsum(a0), bn_hsum(a1), bn_hsum(a2), bn_hsum(a3)}, m[4];
        _mm_storeu_ps(m, mins);
        for (ptrdiff_t i = 0; i < bn_pf_min(4, rows - r); i++) out[r + i] = sums[i] + m[i];
    }
}

// MARK: Q8_0 · Q8_0 (split activations: a row's int8 quants, 32 per block, then one F32 scale per block)

/// Row `i` of a Q8_0 group block against activation quants `xq`: the signed product from the stored magnitudes and
/// signs, scaled by the lane-wise `d_w·d_x`, one FMA.
BN_INLINE __m256 bn_pf_q8_0_step(const uint8_t *ob, int i, __m256 dx, __m256i xq, __m256 acc) {
    __m256 d = _mm256_mul_ps(_mm256_loadu_ps((const float *)(ob + 32 * i)), dx);
    __m256i products = bn_dot_u8i8(bn_load256(ob, 128 + 32 * i), _mm256_sign_epi8(xq, bn_load256(ob, 256 + 32 * i)));
    return _mm256_fmadd_ps(d, bn_float(products), acc);
}

// Per block `fma(d_w·d_x, Σ products, acc)` in block order, then the horizontal sum.
void bitnet_avx2_unpacked_rows_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                    ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32;
    const float *xScales = (const float *)bn_pf_at(x, count);
    for (ptrdiff_t g = 0; g < (rows + 3) / 4; g++) {
        const uint8_t *base = bn_pf_at(w, g * 4 * stride);  // group g: blocks × 384 bytes (4 rows, padded)
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (ptrdiff_t b = 0; b < blocks; b++) {
            const uint8_t *ob = base + b * BN_PF_Q8_0_GROUP_BLOCK;
            __m256i xq = bn_load256(x, 32 * b);
            __m256 dx = _mm256_broadcast_ss(xScales + b);
            a0 = bn_pf_q8_0_step(ob, 0, dx, xq, a0);
            a1 = bn_pf_q8_0_step(ob, 1, dx, xq, a1);
            a2 = bn_pf_q8_0_step(ob, 2, dx, xq, a2);
            a3 = bn_pf_q8_0_step(ob, 3, dx, xq, a3);
        }
        ptrdiff_t r = 4 * g;
        float sums[4] = {bn_hsum(a0), bn_hsum(a1), bn_hsum(a2), bn_hsum(a3)};
        for (ptrdiff_t i = 0; i < bn_pf_min(4, rows - r); i++) out[r + i] = sums[i];
    }
}

/// Row `i` of a Q8_0 group block against two activation rows: scales, magnitudes and signs loaded once; each
/// output's step is `bn_pf_q8_0_step`'s arithmetic.
BN_INLINE void bn_pf_q8_0_pair_step(const uint8_t *ob, int i, __m256 dx0, __m256i xq0, __m256 dx1, __m256i xq1,
                                    __m256 *acc0, __m256 *acc1) {
    __m256 d = _mm256_loadu_ps((const float *)(ob + 32 * i));
    __m256i magnitude = bn_load256(ob, 128 + 32 * i), signs = bn_load256(ob, 256 + 32 * i);
    __m256i p0 = bn_dot_u8i8(magnitude, _mm256_sign_epi8(xq0, signs));
    __m256i p1 = bn_dot_u8i8(magnitude, _mm256_sign_epi8(xq1, signs));
    *acc0 = _mm256_fmadd_ps(_mm256_mul_ps(d, dx0), bn_float(p0), *acc0);
    *acc1 = _mm256_fmadd_ps(_mm256_mul_ps(d, dx1), bn_float(p1), *acc1);
}

void bitnet_avx2_unpacked_row_pairs_q8_0(const void *w, ptrdiff_t stride, const void *x0, const void *x1,
                                         ptrdiff_t count, float *out0, float *out1, ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32;
    const float *xScales0 = (const float *)bn_pf_at(x0, count), *xScales1 = (const float *)bn_pf_at(x1, count);
    for (ptrdiff_t g = 0; g < (rows + 3) / 4; g++) {
        const uint8_t *base = bn_pf_at(w, g * 4 * stride);  // group g: blocks × 384 bytes (4 rows, padded)
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;  // activation row 0, weight rows 0…3
        __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;                  // activation row 1
        for (ptrdiff_t b = 0; b < blocks; b++) {
            const uint8_t *ob = base + b * BN_PF_Q8_0_GROUP_BLOCK;
            __m256i xq0 = bn_load256(x0, 32 * b);
            __m256 dx0 = _mm256_broadcast_ss(xScales0 + b);
            __m256i xq1 = bn_load256(x1, 32 * b);
            __m256 dx1 = _mm256_broadcast_ss(xScales1 + b);
            bn_pf_q8_0_pair_step(ob, 0, dx0, xq0, dx1, xq1, &a0, &b0);
            bn_pf_q8_0_pair_step(ob, 1, dx0, xq0, dx1, xq1, &a1, &b1);
            bn_pf_q8_0_pair_step(ob, 2, dx0, xq0, dx1, xq1, &a2, &b2);
            bn_pf_q8_0_pair_step(ob, 3, dx0, xq0, dx1, xq1, &a3, &b3);
        }
        ptrdiff_t r = 4 * g;
        float sums0[4] = {bn_hsum(a0), bn_hsum(a1), bn_hsum(a2), bn_hsum(a3)};
        float sums1[4] = {bn_hsum(b0), bn_hsum(b1), bn_hsum(b2), bn_hsum(b3)};
        for (ptrdiff_t i = 0; i < bn_pf_min(4, rows - r); i++) {
            out0[r + i] = sums0[i];
            out1[r + i] = sums1[i];
        }
    }
}

// MARK: Q4_1 tile over the stored rows (a few activation rows)
//
// For continuous batching's decode steps (2–16 activation rows): 2 stored weight rows × up to 4 activation rows per
// pass, each weight block's nibbles decoded once for all of them (8 accumulators of 16 ymm registers). Per output the
// arithmetic of `bitnet_avx2_dot_q4_1`: `fma(d_w·d_x, float(Σ q·x), acc)` per block in block order, `bn_hsum`, plus
// the fused min chain `fma(m_w, s_x, mins)` — here the 8 outputs' chains as the 8 lanes of one register.

enum { BN_PF_PACKED_ROWS = 4 };

/// Rows `w` and `w + stride` (`nr` real) against `na` (1…4, constant after inlining) Q8_1 rows `x + a · xStride`.
BN_INLINE void bn_pf_q4_1_packed_group(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                                       const uint8_t *x, ptrdiff_t xStride, int na, float *out, ptrdiff_t outStride) {
    const uint8_t *w1 = w + (nr > 1 ? stride : 0);
    __m256 acc0[4], acc1[4], mins = _mm256_setzero_ps();  // mins lane 4i + a: weight row i, activation row a
    for (int a = 0; a < na; a++) acc0[a] = acc1[a] = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < blocks; b++) {
        const uint8_t *b0 = w + b * BN_PF_Q4_1_BYTES, *b1 = w1 + b * BN_PF_Q4_1_BYTES;
        __m128 s0 = bn_scales(b0), s1 = bn_scales(b1);  // (d_w, m_w)
        __m256i q0 = bn_nibbles(b0, 4), q1 = bn_nibbles(b1, 4);
        float xs[BN_PF_PACKED_ROWS] = {0};  // s_x of each activation row (0 past `na`)
        for (int a = 0; a < na; a++) {
            const uint8_t *xb = x + a * xStride + b * BN_PF_Q8_1_BYTES;
            __m128 sx = bn_scales(xb);  // (d_x, s_x)
            float dx = _mm_cvtss_f32(sx);
            xs[a] = _mm_cvtss_f32(_mm_shuffle_ps(sx, sx, 1));
            __m256i xq = bn_load256(xb, 4);
            acc0[a] = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(s0) * dx), bn_float(bn_dot_u8i8(q0, xq)), acc0[a]);
            acc1[a] = _mm256_fmadd_ps(_mm256_set1_ps(_mm_cvtss_f32(s1) * dx), bn_float(bn_dot_u8i8(q1, xq)), acc1[a]);
        }
        __m128 sv = _mm_loadu_ps(xs);
        __m256 m = _mm256_set_m128(_mm_shuffle_ps(s1, s1, 0x55), _mm_shuffle_ps(s0, s0, 0x55));
        mins = _mm256_fmadd_ps(m, _mm256_set_m128(sv, sv), mins);
    }
    float mv[8];
    _mm256_storeu_ps(mv, mins);
    for (int a = 0; a < na; a++) {
        out[a * outStride] = bn_hsum(acc0[a]) + mv[a];
        if (nr > 1) out[a * outStride + 1] = bn_hsum(acc1[a]) + mv[4 + a];
    }
}

void bitnet_avx2_packed_tile_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                                  ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32;
    for (ptrdiff_t t = 0; t < xRows; t += BN_PF_PACKED_ROWS) {
        ptrdiff_t na = xRows - t < BN_PF_PACKED_ROWS ? xRows - t : BN_PF_PACKED_ROWS;
        const uint8_t *xt = (const uint8_t *)x + t * xStride;
        for (ptrdiff_t r = 0; r < rows; r += 2) {
            const uint8_t *wr = (const uint8_t *)w + r * stride;
            float *out = y + t * yStride + r;
            ptrdiff_t nr = rows - r < 2 ? rows - r : 2;
            // The 2 rows two groups on (contiguous after these), fetched while this group computes.
            if (r + 6 <= rows) bn_prefetch(wr + 4 * stride, (int)((2 * stride + 63) / 64));
            switch (na) {
            case 4: bn_pf_q4_1_packed_group(wr, stride, nr, blocks, xt, xStride, 4, out, yStride); break;
            case 3: bn_pf_q4_1_packed_group(wr, stride, nr, blocks, xt, xStride, 3, out, yStride); break;
            case 2: bn_pf_q4_1_packed_group(wr, stride, nr, blocks, xt, xStride, 2, out, yStride); break;
            default: bn_pf_q4_1_packed_group(wr, stride, nr, blocks, xt, xStride, 1, out, yStride); break;
            }
        }
    }
}

BITNET_AVX2_END

#endif  // __x86_64__
