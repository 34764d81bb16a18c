// Multi-row decode kernels of the AVX-512 level for the 32-element block formats (Q4_1, Q8_0, Q5_0): two weight
// rows per 512-bit register against one activation row.
//
// The AVX2 rows kernels (KernelsAVX2/rows.c) run one 8-lane chain per weight row: per block the integer products in
// 8 int32 lanes, a convert, `fma(d_w·d_x, float(lanes), acc)`. Here the low half of a zmm carries row r's lanes and
// the high half row r + 1's, so one `vpdpbusd` / convert / FMA serves two rows; each half holds exactly the int32
// lanes (`vpmaddubsw` + `vpmaddwd` there cannot saturate for these formats, see each step) and takes exactly the float
// operations of its row, in block order, so every output has the AVX2 kernel's bits.

#pragma STDC FP_CONTRACT OFF
#include "avx512.h"
#include "bitnet_avx512.h"

#if defined(__x86_64__)
BITNET_AVX512_BEGIN

enum {
    BN5_ROWS_Q4_1_BYTES = 20,      // F16 d, F16 m, 16 bytes of nibbles (BlockLayout.q4_1Bytes)
    BN5_ROWS_Q8_1_BYTES = 36,      // F16 d, F16 s, 32 quants (BlockLayout.q8_1Bytes)
    BN5_ROWS_Q8_0_BYTES = 34,      // F16 d, 32 quants (BlockLayout.q8_0Bytes)
    BN5_ROWS_Q5_0_BYTES = 22,      // F16 d, 4 bytes of fifth bits, 16 bytes of nibbles (BlockLayout.q5_0Bytes)
    BN5_ROWS_PREFETCH_ROWS = 8,    // as the AVX2 rows kernels: the rows two passes on
};

/// Rows r ..< r + n (n ≤ 4) of `w` into `out`; the missing ones repeat row r (computed, never written).
BN5_INLINE void bn5_rows_four(const void *w, ptrdiff_t stride, ptrdiff_t r, ptrdiff_t n, const uint8_t *out[4]) {
    for (int i = 0; i < 4; i++) out[i] = bn5_at(w, (r + (i < n ? i : 0)) * stride);
}

/// Lanes 0 and 2 of `dd` (row a's and row b's d_w·d_x) broadcast to the low and the high half of a zmm.
BN5_INLINE __m512 bn5_pair_scale(__m128 dd) {
    return _mm512_permutexvar_ps(_mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0),
                                 _mm512_castps128_ps512(dd));
}

// MARK: Q4_1 · Q8_1

/// One block of rows `a` (low half) and `b` (high half) against the activation block (`x2`: its 32 quants in both
/// halves; `xs2` = (d_x, s_x, d_x, s_x); the int32 lanes exact: nibbles ≤ 15, |x| ≤ 127). Per row this is
/// `bn_rows_q4_1_block`: the min chain `fma(m_w, s_x, m)` in lane 1 (row a) and lane 3 (row b) of `mins`, and
/// `fma(d_w·d_x, float(Σ q·x), acc)` in the row's half of `acc`.
BN5_INLINE void bn5_rows_q4_1_pair(const uint8_t *a, const uint8_t *b, __m512i x2, __m128 xs2, __m512 *acc,
                                   __m128 *mins) {
    // (d_a, m_a, d_b, m_b): the same F16 → F32 conversions as `bn_scales` per row.
    __m128 ws = _mm_cvtph_ps(_mm_set_epi32(0, 0, (int)bn_u32(b, 0), (int)bn_u32(a, 0)));
    *mins = _mm_fmadd_ps(ws, xs2, *mins);
    __m128 dd = _mm_mul_ps(ws, xs2);  // lanes 0 and 2: d_a·d_x, d_b·d_x
    __m512 scale = bn5_pair_scale(dd);
    // 128-bit lanes 0, 1: row a's 16 nibble bytes; lanes 2, 3: row b's; lanes 1 and 3 shifted by 4, so each half is
    // `bn_nibbles` of its row (elements 0–15 from the low nibbles, 16–31 from the high ones).
    __m512i raw = _mm512_mask_broadcast_i32x4(_mm512_broadcast_i32x4(bn_load128(a, 4)), 0xFF00, bn_load128(b, 4));
    const long long by4 = 0x0004000400040004LL;
    __m512i q = _mm512_and_si512(_mm512_srlv_epi16(raw, _mm512_set_epi64(by4, by4, 0, 0, by4, by4, 0, 0)),
                                 _mm512_set1_epi8(0x0F));
    __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, x2);
    *acc = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), *acc);
}

/// `bn_hsum` of each half of `acc`, each plus its row's min chain (lane 1 / lane 3 of `mins`), as
/// `bitnet_avx2_rows_q4_1` finishes a row (`b` NULL: the high half is not a row).
BN5_INLINE void bn5_rows_q4_1_finish(__m512 acc, __m128 mins, float *a, float *b) {
    float m[4], low, high;
    _mm_storeu_ps(m, mins);
    bn5_pair_sums(acc, &low, &high);
    *a = low + m[1];
    if (b) *b = high + m[3];
}

void bitnet_avx512_rows_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32, r = 0;
    for (; r < rows; r += 4) {  // rows r ..< min(r + 4, rows) exist; missing ones repeat row r and are not written
        ptrdiff_t n = rows - r < 4 ? rows - r : 4;
        const uint8_t *wr[4];
        bn5_rows_four(w, stride, r, n, wr);
        const uint8_t *w0 = wr[0], *w1 = wr[1], *w2 = wr[2], *w3 = wr[3];
        __m512 acc01 = _mm512_setzero_ps(), acc23 = acc01;
        __m128 mins01 = _mm_setzero_ps(), mins23 = mins01;
        uintptr_t ahead = (uintptr_t)w0 + (uintptr_t)(BN5_ROWS_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            const uint8_t *xb = bn5_at(x, b * BN5_ROWS_Q8_1_BYTES);
            ptrdiff_t o = b * BN5_ROWS_Q4_1_BYTES;
            if (n == 4) bn5_prefetch(ahead + (uintptr_t)(4 * o), 2);  // this pass reads 4 × 20 bytes: ≤ 2 lines
            __m512i x2 = _mm512_broadcast_i64x4(bn_load256(xb, 4));
            __m128 xs = bn_scales(xb);
            __m128 xs2 = _mm_movelh_ps(xs, xs);
            bn5_rows_q4_1_pair(w0 + o, w1 + o, x2, xs2, &acc01, &mins01);
            if (n > 2) bn5_rows_q4_1_pair(w2 + o, w3 + o, x2, xs2, &acc23, &mins23);
        }
        bn5_rows_q4_1_finish(acc01, mins01, out + r, n > 1 ? out + r + 1 : NULL);
        if (n > 2) bn5_rows_q4_1_finish(acc23, mins23, out + r + 2, n > 3 ? out + r + 3 : NULL);
    }
}

// MARK: Q8_0 and Q5_0 · Q8_0

/// The 32 signed values of a Q8_0 block (`q5` 0) or a Q5_0 block (`q5` 1; a constant after inlining).
BN5_INLINE __m256i bn5_rows_signed_values(int q5, const uint8_t *wb) {
    return q5 ? bn_q5_0_values(wb) : bn_load256(wb, 2);
}

/// One block of rows `a` (low half) and `b` (high half) against the activation block, whose quants are given XOR
/// 0x80 in both halves (`x2u`, the unsigned operand of `vpdpbusd`): Σ (x + 128)·w − Σ 128·w is Σ x·w exactly, the
/// int32 lanes of `bn_dot_i8i8` (whose `vpmaddubsw` pairs cannot saturate: |w| ≤ 128, |x| ≤ 127). Then per row
/// `fma(d_w·d_x, float(lanes), acc)` (`xs2` = (d_x, ·, d_x, ·)), the AVX2 rows kernels' step.
BN5_INLINE void bn5_rows_signed_pair(int q5, const uint8_t *a, const uint8_t *b, __m512i x2u, __m128 xs2,
                                     __m512 *acc) {
    __m128 dd = _mm_mul_ps(_mm_cvtph_ps(_mm_set_epi32(0, 0, (int)bn_u32(b, 0), (int)bn_u32(a, 0))), xs2);
    __m512 scale = bn5_pair_scale(dd);
    __m512i w2 = _mm512_inserti64x4(_mm512_castsi256_si512(bn5_rows_signed_values(q5, a)),
                                    bn5_rows_signed_values(q5, b), 1);
    __m512i offset = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8((char)0x80), w2);
    __m512i sums = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), x2u, w2), offset);
    *acc = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), *acc);
}

/// Four rows per pass as two register pairs, the shape of `bitnet_avx512_rows_q4_1`.
BN5_INLINE void bn5_rows_signed(int q5, const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32, r = 0, blockBytes = q5 ? BN5_ROWS_Q5_0_BYTES : BN5_ROWS_Q8_0_BYTES;
    for (; r < rows; r += 4) {  // rows r ..< min(r + 4, rows) exist; missing ones repeat row r and are not written
        ptrdiff_t n = rows - r < 4 ? rows - r : 4;
        const uint8_t *wr[4];
        bn5_rows_four(w, stride, r, n, wr);
        const uint8_t *w0 = wr[0], *w1 = wr[1], *w2 = wr[2], *w3 = wr[3];
        __m512 acc01 = _mm512_setzero_ps(), acc23 = acc01;
        uintptr_t ahead = (uintptr_t)w0 + (uintptr_t)(BN5_ROWS_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            const uint8_t *xb = bn5_at(x, b * BN5_ROWS_Q8_0_BYTES);
            ptrdiff_t o = b * blockBytes;
            if (n == 4) bn5_prefetch(ahead + (uintptr_t)(4 * o), 3);  // this pass reads 4 × ≤ 34 bytes: ≤ 3 lines
            __m512i x2u = _mm512_xor_si512(_mm512_broadcast_i64x4(bn_load256(xb, 2)),
                                           _mm512_set1_epi8((char)0x80));
            __m128 xs = bn_scales(xb);
            __m128 xs2 = _mm_movelh_ps(xs, xs);
            bn5_rows_signed_pair(q5, w0 + o, w1 + o, x2u, xs2, &acc01);
            if (n > 2) bn5_rows_signed_pair(q5, w2 + o, w3 + o, x2u, xs2, &acc23);
        }
        float s[4];
        bn5_pair_sums(acc01, &s[0], &s[1]);
        bn5_pair_sums(acc23, &s[2], &s[3]);
        for (ptrdiff_t i = 0; i < n; i++) out[r + i] = s[i];
    }
}

void bitnet_avx512_rows_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows) {
    bn5_rows_signed(0, w, stride, x, count, out, rows);
}

void bitnet_avx512_rows_q5_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows) {
    bn5_rows_signed(1, w, stride, x, count, out, rows);
}

BITNET_AVX512_END
#endif  // __x86_64__
