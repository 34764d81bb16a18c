// Multi-row decode kernels (4 or 2 weight rows per pass); ported from Sources/Kernels/DotAVX2Rows.swift and
// DotAVX2Rows+Streaming.swift (same arithmetic, same bits).

// Contraction off before avx2.h too: its inline helpers are compiled under the pragma state where they are defined.
#pragma STDC FP_CONTRACT OFF
#include "avx2.h"
#include "bitnet_avx2_dot.h"
#include "bitnet_avx2_rows.h"

#if defined(__x86_64__)
BITNET_AVX2_BEGIN

// Why several rows per pass: a row of a small model is short (SmolLM2's 576 columns are 18 blocks), and one row's
// single FMA chain waits on the FMA latency every block, then on the horizontal sum. Four rows run four independent
// chains the core overlaps, sharing the activation loads and scale conversions. Each row keeps exactly the
// single-row kernel's arithmetic (same integer products, same block order in one chain, same fused min term, same
// final sum), and leftover rows call that kernel, so every output has its bits.
//
// Prefetch: each pass over a group of rows also hints the bytes of the rows `BN_ROWS_PREFETCH_ROWS` further on (the
// same offsets scaled by the group size, so one pass covers one group). Decode reads the whole model from DRAM once
// per token; the hardware prefetcher alone left these loops at about half of one core's bandwidth, and without the
// hint four interleaved streams a row apart were slower than one row at a time.
//
// Bounds: rows r < rows start at `w + r · stride`; every load stays inside block b < count / block size of its row
// (the 4-byte scale loads at block offset 0 stay inside blocks of ≥ 18 bytes).
enum {
    BN_ROWS_PREFETCH_ROWS = 8,  // two passes of 4 rows, ~3–5 KB on SmolLM2
    // BlockLayout.q4_1Bytes, q5_0Bytes, q8_0Bytes, q8_1Bytes, tq2_0Bytes, q8_KBytes.
    BN_ROWS_Q4_1_BYTES = 20, BN_ROWS_Q5_0_BYTES = 22, BN_ROWS_Q8_0_BYTES = 34, BN_ROWS_Q8_1_BYTES = 36,
    BN_ROWS_TQ2_0_BYTES = 66, BN_ROWS_Q8_K_BYTES = 292,
};

/// The address `bytes` past `p` as an integer: prefetch targets may lie past the matrix (the last rows then hint
/// whatever follows), which pointer arithmetic may not express but a hint, which never faults, accepts.
BN_INLINE uintptr_t bn_rows_ahead(const void *p, ptrdiff_t bytes) { return (uintptr_t)p + (uintptr_t)bytes; }

BN_INLINE void bn_rows_prefetch(uintptr_t address, int lines) { bn_prefetch((const void *)address, lines); }

BN_INLINE const uint8_t *bn_at(const void *p, ptrdiff_t offset) { return (const uint8_t *)p + offset; }

/// Lane 1 of `v` (exact).
BN_INLINE float bn_lane1(__m128 v) { return _mm_cvtss_f32(_mm_shuffle_ps(v, v, 1)); }

// MARK: Q4_1 · Q8_1

/// One Q4_1 block of one row against the shared activation block (xs = (d_x, s_x)): advances that row's product
/// chain and its fused min-term chain (lane 1 of `mins`; a lane-wise FMA rounds as the scalar fused update does).
BN_INLINE void bn_rows_q4_1_block(const uint8_t *wb, __m256i xq, __m128 xs, __m256 *acc, __m128 *mins) {
    __m128 ws = bn_scales(wb);  // (d_w, m_w)
    *mins = _mm_fmadd_ps(ws, xs, *mins);
    *acc = _mm256_fmadd_ps(bn_broadcast0(_mm_mul_ps(ws, xs)), bn_float(bn_dot_u8i8(bn_nibbles(wb, 4), xq)), *acc);
}

void bitnet_avx2_rows_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32, r = 0;
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 exist
        const uint8_t *w0 = bn_at(w, r * stride), *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        __m128 m0 = _mm_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
        uintptr_t ahead = bn_rows_ahead(w0, BN_ROWS_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            const uint8_t *xb = bn_at(x, b * BN_ROWS_Q8_1_BYTES);
            ptrdiff_t o = b * BN_ROWS_Q4_1_BYTES;
            bn_rows_prefetch(ahead + (uintptr_t)(4 * o), 2);  // this pass reads 4 × 20 bytes: at most 2 lines
            __m256i xq = bn_load256(xb, 4);
            __m128 xs = bn_scales(xb);
            bn_rows_q4_1_block(w0 + o, xq, xs, &a0, &m0);
            bn_rows_q4_1_block(w1 + o, xq, xs, &a1, &m1);
            bn_rows_q4_1_block(w2 + o, xq, xs, &a2, &m2);
            bn_rows_q4_1_block(w3 + o, xq, xs, &a3, &m3);
        }
        out[r] = bn_hsum(a0) + bn_lane1(m0);
        out[r + 1] = bn_hsum(a1) + bn_lane1(m1);
        out[r + 2] = bn_hsum(a2) + bn_lane1(m2);
        out[r + 3] = bn_hsum(a3) + bn_lane1(m3);
    }
    for (; r < rows; r++) out[r] = bitnet_avx2_dot_q4_1(bn_at(w, r * stride), x, count);
}

// MARK: Q8_0 and Q5_0 · Q8_0

/// Which block format `bn_rows_signed` decodes (a constant at every call, folded away after inlining).
typedef enum { BN_ROWS_SIGNED_Q8_0, BN_ROWS_SIGNED_Q5_0 } bn_rows_signed_format;

/// The 32 signed values of a Q8_0 or Q5_0 block.
BN_INLINE __m256i bn_rows_signed_values(bn_rows_signed_format format, const uint8_t *wb) {
    return format == BN_ROWS_SIGNED_Q8_0 ? bn_load256(wb, 2) : bn_q5_0_values(wb);
}

/// One block of one row: `fma(d_w·d_x, Σ products, acc)`, the step of the single-row Q8_0 / Q5_0 kernels.
BN_INLINE __m256 bn_rows_signed_step(bn_rows_signed_format format, const uint8_t *wb, __m256i xq, __m128 xs,
                                     __m256 acc) {
    __m256 d = bn_broadcast0(_mm_mul_ps(bn_scales(wb), xs));
    return _mm256_fmadd_ps(d, bn_float(bn_dot_i8i8(bn_rows_signed_values(format, wb), xq)), acc);
}

/// The 4-row pass shared by the 32-element formats whose block is an F16 d and 32 signed values, dotted with a Q8_0
/// activation block: one FMA chain per row in block order, then `bn_hsum`. Leftover rows take the single-row kernel.
BN_INLINE void bn_rows_signed(bn_rows_signed_format format, const void *w, ptrdiff_t stride, const void *x,
                              ptrdiff_t count, float *out, ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32, r = 0;
    ptrdiff_t blockBytes = format == BN_ROWS_SIGNED_Q8_0 ? BN_ROWS_Q8_0_BYTES : BN_ROWS_Q5_0_BYTES;
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 exist
        const uint8_t *w0 = bn_at(w, r * stride), *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        uintptr_t ahead = bn_rows_ahead(w0, BN_ROWS_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            ptrdiff_t o = b * blockBytes;
            const uint8_t *xb = bn_at(x, b * BN_ROWS_Q8_0_BYTES);
            bn_rows_prefetch(ahead + (uintptr_t)(4 * o), 3);  // this pass reads 4 × ≤ 34 bytes: at most 3 lines
            __m256i xq = bn_load256(xb, 2);
            __m128 xs = bn_scales(xb);
            a0 = bn_rows_signed_step(format, w0 + o, xq, xs, a0);
            a1 = bn_rows_signed_step(format, w1 + o, xq, xs, a1);
            a2 = bn_rows_signed_step(format, w2 + o, xq, xs, a2);
            a3 = bn_rows_signed_step(format, w3 + o, xq, xs, a3);
        }
        out[r] = bn_hsum(a0);
        out[r + 1] = bn_hsum(a1);
        out[r + 2] = bn_hsum(a2);
        out[r + 3] = bn_hsum(a3);
    }
    for (; r < rows; r++) {
        const void *row = bn_at(w, r * stride);
        out[r] = format == BN_ROWS_SIGNED_Q8_0 ? bitnet_avx2_dot_q8_0(row, x, count)
                                               : bitnet_avx2_dot_q5_0(row, x, count);
    }
}

void bitnet_avx2_rows_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows) {
    bn_rows_signed(BN_ROWS_SIGNED_Q8_0, w, stride, x, count, out, rows);
}

void bitnet_avx2_rows_q5_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows) {
    bn_rows_signed(BN_ROWS_SIGNED_Q5_0, w, stride, x, count, out, rows);
}

// MARK: TQ2_0 · Q8_K
// What rows share here: the eight 32-byte activation vectors per 256 elements (TQ2_0, I2_S) and the F16 → F32
// widening of the activations (F16: one conversion serves two rows).

/// The 2-bit codes at bit `shift` of every byte of `raw`.
BN_INLINE __m256i bn_rows_codes(__m256i raw, int shift, __m256i mask) {
    return _mm256_and_si256(_mm256_srl_epi16(raw, _mm_cvtsi32_si128(shift)), mask);
}

/// One ternary block's contribution as the single-row kernel adds it: the code products minus the bsums, widened
/// to int32 lanes, scaled by `d` with one FMA.
BN_INLINE __m256 bn_rows_ternary_step(__m256 acc, __m256i s, __m256i bsums, __m256i ones, float d) {
    return _mm256_fmadd_ps(_mm256_set1_ps(d), bn_float(_mm256_madd_epi16(_mm256_sub_epi16(s, bsums), ones)), acc);
}

void bitnet_avx2_rows_tq2_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                            ptrdiff_t rows) {
    ptrdiff_t blocks = count / 256, r = 0;
    __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 exist
        const uint8_t *w0 = bn_at(w, r * stride), *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        uintptr_t ahead = bn_rows_ahead(w0, BN_ROWS_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            ptrdiff_t o = b * BN_ROWS_TQ2_0_BYTES;
            const uint8_t *xb = bn_at(x, b * BN_ROWS_Q8_K_BYTES);
            bn_rows_prefetch(ahead + (uintptr_t)(4 * o), 5);  // this pass reads 4 × 66 bytes: at most 5 lines
            __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
            for (int half = 0; half < 2; half++) {  // 32 code bytes: element 128·half + 32·l + m in bits 2l of byte m
                ptrdiff_t c = 32 * half;
                const uint8_t *xq = xb + 4 + 128 * half;
                __m256i r0 = bn_load256(w0 + o, c), r1 = bn_load256(w1 + o, c), r2 = bn_load256(w2 + o, c);
                __m256i r3 = bn_load256(w3 + o, c);
                for (int l = 0; l < 4; l++) {
                    __m256i xv = bn_load256(xq, 32 * l);
                    int shift = 2 * l;
                    s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(bn_rows_codes(r0, shift, mask), xv));
                    s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(bn_rows_codes(r1, shift, mask), xv));
                    s2 = _mm256_add_epi16(s2, _mm256_maddubs_epi16(bn_rows_codes(r2, shift, mask), xv));
                    s3 = _mm256_add_epi16(s3, _mm256_maddubs_epi16(bn_rows_codes(r3, shift, mask), xv));
                }
            }
            __m256i bsums = bn_load256(xb, 260);
            float dx = bn_f32(xb, 0);
            a0 = bn_rows_ternary_step(a0, s0, bsums, ones, dx * bn_half(w0 + o, 64));
            a1 = bn_rows_ternary_step(a1, s1, bsums, ones, dx * bn_half(w1 + o, 64));
            a2 = bn_rows_ternary_step(a2, s2, bsums, ones, dx * bn_half(w2 + o, 64));
            a3 = bn_rows_ternary_step(a3, s3, bsums, ones, dx * bn_half(w3 + o, 64));
        }
        out[r] = bn_hsum(a0);
        out[r + 1] = bn_hsum(a1);
        out[r + 2] = bn_hsum(a2);
        out[r + 3] = bn_hsum(a3);
    }
    for (; r < rows; r++) out[r] = bitnet_avx2_dot_tq2_0(bn_at(w, r * stride), x, count);
}

// One weight row per pass: with two, the accumulators no longer fit the 16 vector registers and spill. Every
// (row, activation) pair runs `bitnet_avx2_rows_tq2_0`'s arithmetic in its order.
void bitnet_avx2_row_pairs_tq2_0(const void *w, ptrdiff_t stride, const void *x0, const void *x1, ptrdiff_t count,
                                 float *out0, float *out1, ptrdiff_t rows) {
    ptrdiff_t blocks = count / 256;
    __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    for (ptrdiff_t r = 0; r < rows; r++) {
        const uint8_t *wr = bn_at(w, r * stride);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;  // activation 0, 1
        for (ptrdiff_t b = 0; b < blocks; b++) {
            ptrdiff_t o = b * BN_ROWS_TQ2_0_BYTES;
            const uint8_t *xb0 = bn_at(x0, b * BN_ROWS_Q8_K_BYTES), *xb1 = bn_at(x1, b * BN_ROWS_Q8_K_BYTES);
            __m256i s0 = _mm256_setzero_si256(), s1 = s0;
            for (int half = 0; half < 2; half++) {  // the layout of `bitnet_avx2_rows_tq2_0`
                const uint8_t *xq0 = xb0 + 4 + 128 * half, *xq1 = xb1 + 4 + 128 * half;
                __m256i raw = bn_load256(wr + o, 32 * half);
                for (int l = 0; l < 4; l++) {
                    __m256i c = bn_rows_codes(raw, 2 * l, mask);
                    s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(c, bn_load256(xq0, 32 * l)));
                    s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(c, bn_load256(xq1, 32 * l)));
                }
            }
            float d = bn_half(wr + o, 64);
            a0 = bn_rows_ternary_step(a0, s0, bn_load256(xb0, 260), ones, bn_f32(xb0, 0) * d);
            a1 = bn_rows_ternary_step(a1, s1, bn_load256(xb1, 260), ones, bn_f32(xb1, 0) * d);
        }
        out0[r] = bn_hsum(a0);
        out1[r] = bn_hsum(a1);
    }
}

// MARK: I2_S · I8

/// (Σ products − Σq) / multiplier: the exact integer, then the single-row kernel's one conversion and division.
BN_INLINE float bn_rows_i2_s_finish(__m256i acc, int64_t qsum, float multiplier) {
    return (float)((int64_t)bn_wrapped_sum(acc) - qsum) / multiplier;
}

void bitnet_avx2_rows_i2_s(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows) {
    __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    int64_t qsum = (int32_t)bn_u32(x, count + 4);
    float multiplier = bn_f32(x, count);
    ptrdiff_t r = 0;
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 exist
        const uint8_t *w0 = bn_at(w, r * stride), *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        uintptr_t ahead = bn_rows_ahead(w0, BN_ROWS_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < count / 128; b++) {  // weight bytes 32b ..< 32b+32, activation 128b ..< 128b+128
            ptrdiff_t o = 32 * b;
            const uint8_t *xq = bn_at(x, 128 * b);
            bn_rows_prefetch(ahead + (uintptr_t)(4 * o), 3);  // this pass reads 4 × 32 bytes: at most 3 lines
            __m256i r0 = bn_load256(w0, o), r1 = bn_load256(w1, o), r2 = bn_load256(w2, o), r3 = bn_load256(w3, o);
            __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
            for (int l = 0; l < 4; l++) {  // chunk l holds the codes at bits 6 − 2l
                __m256i xv = bn_load256(xq, 32 * l);
                int shift = 6 - 2 * l;
                s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(bn_rows_codes(r0, shift, mask), xv));
                s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(bn_rows_codes(r1, shift, mask), xv));
                s2 = _mm256_add_epi16(s2, _mm256_maddubs_epi16(bn_rows_codes(r2, shift, mask), xv));
                s3 = _mm256_add_epi16(s3, _mm256_maddubs_epi16(bn_rows_codes(r3, shift, mask), xv));
            }
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(s0, ones));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(s1, ones));
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(s2, ones));
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(s3, ones));
        }
        out[r] = bn_rows_i2_s_finish(a0, qsum, multiplier);
        out[r + 1] = bn_rows_i2_s_finish(a1, qsum, multiplier);
        out[r + 2] = bn_rows_i2_s_finish(a2, qsum, multiplier);
        out[r + 3] = bn_rows_i2_s_finish(a3, qsum, multiplier);
    }
    for (; r < rows; r++) out[r] = bitnet_avx2_dot_i2_s(bn_at(w, r * stride), x, count);
}

// Two weight rows per pass, codes extracted once for both activations; the exact integer sums of
// `bitnet_avx2_rows_i2_s`, then each activation's own Σq and multiplier.
void bitnet_avx2_row_pairs_i2_s(const void *w, ptrdiff_t stride, const void *x0, const void *x1, ptrdiff_t count,
                                float *out0, float *out1, ptrdiff_t rows) {
    __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    int64_t qsum0 = (int32_t)bn_u32(x0, count + 4), qsum1 = (int32_t)bn_u32(x1, count + 4);
    float multiplier0 = bn_f32(x0, count), multiplier1 = bn_f32(x1, count);
    ptrdiff_t r = 0;
    for (; r + 2 <= rows; r += 2) {  // rows r, r+1 exist
        const uint8_t *w0 = bn_at(w, r * stride), *w1 = w0 + stride;
        __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00;  // a<row><activation>
        for (ptrdiff_t b = 0; b < count / 128; b++) {  // the layout of `bitnet_avx2_rows_i2_s`
            ptrdiff_t o = 32 * b;
            const uint8_t *xq0 = bn_at(x0, 128 * b), *xq1 = bn_at(x1, 128 * b);
            __m256i r0 = bn_load256(w0, o), r1 = bn_load256(w1, o);
            __m256i s00 = _mm256_setzero_si256(), s01 = s00, s10 = s00, s11 = s00;
            for (int l = 0; l < 4; l++) {
                int shift = 6 - 2 * l;
                __m256i c0 = bn_rows_codes(r0, shift, mask), c1 = bn_rows_codes(r1, shift, mask);
                __m256i xv0 = bn_load256(xq0, 32 * l), xv1 = bn_load256(xq1, 32 * l);
                s00 = _mm256_add_epi16(s00, _mm256_maddubs_epi16(c0, xv0));
                s01 = _mm256_add_epi16(s01, _mm256_maddubs_epi16(c0, xv1));
                s10 = _mm256_add_epi16(s10, _mm256_maddubs_epi16(c1, xv0));
                s11 = _mm256_add_epi16(s11, _mm256_maddubs_epi16(c1, xv1));
            }
            a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(s00, ones));
            a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(s01, ones));
            a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(s10, ones));
            a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(s11, ones));
        }
        out0[r] = bn_rows_i2_s_finish(a00, qsum0, multiplier0);
        out1[r] = bn_rows_i2_s_finish(a01, qsum1, multiplier1);
        out0[r + 1] = bn_rows_i2_s_finish(a10, qsum0, multiplier0);
        out1[r + 1] = bn_rows_i2_s_finish(a11, qsum1, multiplier1);
    }
    if (r < rows) {
        bitnet_avx2_rows_i2_s(bn_at(w, r * stride), stride, x0, count, out0 + r, rows - r);
        bitnet_avx2_rows_i2_s(bn_at(w, r * stride), stride, x1, count, out1 + r, rows - r);
    }
}

// MARK: F16 · F16

// Two rows per pass; each row as the single-row F16 kernel: four 8-lane accumulators over 32-element chunks,
// `bn_reduce4`, then the `double` tail `bn_f16_tail`.
void bitnet_avx2_rows_f16(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                          ptrdiff_t rows) {
    ptrdiff_t body = count & ~(ptrdiff_t)31, r = 0;
    for (; r + 2 <= rows; r += 2) {  // rows r, r+1 exist
        const uint8_t *w0 = bn_at(w, r * stride), *w1 = w0 + stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        uintptr_t ahead = bn_rows_ahead(w0, BN_ROWS_PREFETCH_ROWS * stride);
        ptrdiff_t j = 0;
        for (; j < body; j += 32) {  // elements j ..< j+32 are inside both rows and x
            ptrdiff_t o = 2 * j;
            bn_rows_prefetch(ahead + (uintptr_t)(2 * o), 3);  // this pass reads 2 × 64 bytes: at most 3 lines
            __m256 xv = bn_f16x8(x, o);
            a0 = _mm256_fmadd_ps(bn_f16x8(w0, o), xv, a0);
            b0 = _mm256_fmadd_ps(bn_f16x8(w1, o), xv, b0);
            xv = bn_f16x8(x, o + 16);
            a1 = _mm256_fmadd_ps(bn_f16x8(w0, o + 16), xv, a1);
            b1 = _mm256_fmadd_ps(bn_f16x8(w1, o + 16), xv, b1);
            xv = bn_f16x8(x, o + 32);
            a2 = _mm256_fmadd_ps(bn_f16x8(w0, o + 32), xv, a2);
            b2 = _mm256_fmadd_ps(bn_f16x8(w1, o + 32), xv, b2);
            xv = bn_f16x8(x, o + 48);
            a3 = _mm256_fmadd_ps(bn_f16x8(w0, o + 48), xv, a3);
            b3 = _mm256_fmadd_ps(bn_f16x8(w1, o + 48), xv, b3);
        }
        out[r] = bn_f16_tail(bn_reduce4(a0, a1, a2, a3), w0, x, j, count);
        out[r + 1] = bn_f16_tail(bn_reduce4(b0, b1, b2, b3), w1, x, j, count);
    }
    if (r < rows) out[r] = bitnet_avx2_dot_f16(bn_at(w, r * stride), x, count);
}

BITNET_AVX2_END

#endif  // __x86_64__
