// Ternary kernels of the AVX-512 level: TQ2_0 · Q8_K and I2_S · I8 (decode rows and prefill tiles).
//
// Same integers as the AVX2 kernels: there, a block's code products are `vpmaddubsw` pairs summed in int16 and then
// `vpmaddwd`-ed into int32 lanes; here `vpdpbusd` adds the same four adjacent byte products into each int32 lane
// directly. The AVX2 int16 sums cannot wrap (codes ≤ 2, |x| ≤ 127: at most 8 · 2 · 2 · 127 = 4064 per lane), so
// the int32 lanes are equal, and so is every float operation after them.

#pragma STDC FP_CONTRACT OFF
#include "avx512.h"
#include "bitnet_avx512.h"

#if defined(__x86_64__)
BITNET_AVX512_BEGIN

enum {
    BN5_TQ2_0_BYTES = 66,   // 64 code bytes, F16 d at 64
    BN5_Q8_K_BYTES = 292,   // F32 d at 0, 256 int8 at 4, 16 int16 bsums at 260
    BN5_PREFETCH_ROWS = 8,  // as the AVX2 rows kernels
};

// MARK: TQ2_0 · Q8_K

/// The int32 lanes of one TQ2_0 block against one Q8_K block, given the block's eight code vectors (element
/// 128·h + 32·l + m is in bits 2l of code byte 32·h + m; `codes[4h + l]`): Σ code·x − Σ x per lane.
BN5_INLINE __m256i bn5_tq2_0_lanes(const __m256i codes[8], const uint8_t *xb) {
    __m256i s = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) s = bn5_dpbusd(s, codes[k], bn_load256(xb, 4 + 32 * k));
    return _mm256_sub_epi32(s, _mm256_madd_epi16(bn_load256(xb, 260), _mm256_set1_epi16(1)));
}

BN5_INLINE void bn5_tq2_0_codes(const uint8_t *wb, __m256i codes[8]) {
    __m256i raw0 = bn_load256(wb, 0), raw1 = bn_load256(wb, 32);
    for (int l = 0; l < 4; l++) {
        codes[l] = bn5_codes(raw0, 2 * l);
        codes[4 + l] = bn5_codes(raw1, 2 * l);
    }
}

/// The AVX2 kernels' block step: `fma(d_x · d_w, float(lanes), acc)`.
BN5_INLINE __m256 bn5_tq2_0_step(__m256 acc, const uint8_t *xb, float dw, __m256i lanes) {
    return _mm256_fmadd_ps(_mm256_set1_ps(bn_f32(xb, 0) * dw), _mm256_cvtepi32_ps(lanes), acc);
}

float bitnet_avx512_dot_tq2_0(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {  // block b of both rows
        const uint8_t *wb = bn5_at(w, b * BN5_TQ2_0_BYTES), *xb = bn5_at(x, b * BN5_Q8_K_BYTES);
        __m256i codes[8];
        bn5_tq2_0_codes(wb, codes);
        acc = bn5_tq2_0_step(acc, xb, bn_half(wb, 64), bn5_tq2_0_lanes(codes, xb));
    }
    return bn_hsum(acc);
}

void bitnet_avx512_rows_tq2_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                              ptrdiff_t rows) {
    ptrdiff_t blocks = count / 256, r = 0;
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 exist
        const uint8_t *wr[4] = {bn5_at(w, r * stride), bn5_at(w, (r + 1) * stride), bn5_at(w, (r + 2) * stride),
                                bn5_at(w, (r + 3) * stride)};
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        uintptr_t ahead = (uintptr_t)wr[0] + (uintptr_t)(BN5_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < blocks; b++) {
            ptrdiff_t o = b * BN5_TQ2_0_BYTES;
            const uint8_t *xb = bn5_at(x, b * BN5_Q8_K_BYTES);
            bn5_prefetch(ahead + (uintptr_t)(4 * o), 5);  // this pass reads 4 × 66 bytes: at most 5 lines
            for (int i = 0; i < 4; i++) {
                __m256i codes[8];
                bn5_tq2_0_codes(wr[i] + o, codes);
                acc[i] = bn5_tq2_0_step(acc[i], xb, bn_half(wr[i] + o, 64), bn5_tq2_0_lanes(codes, xb));
            }
        }
        for (int i = 0; i < 4; i++) out[r + i] = bn_hsum(acc[i]);
    }
    for (; r < rows; r++) out[r] = bitnet_avx512_dot_tq2_0(bn5_at(w, r * stride), x, count);
}

/// `nr` (1 or 2) weight rows `wr + i · stride` against `na` (1…4) activation rows `x + a · xStride` (both constants
/// after inlining), into `out[a · outStride + i]`: each weight block's codes are decoded once for all activation
/// rows, and each activation block's loads and bsums serve both weight rows.
BN5_INLINE void bn5_tq2_0_block(const uint8_t *wr, ptrdiff_t stride, int nr, const uint8_t *x, ptrdiff_t xStride,
                                int na, ptrdiff_t count, float *out, ptrdiff_t outStride) {
    ptrdiff_t blocks = count / 256;
    __m256 acc[2][4];
    for (int i = 0; i < nr; i++)
        for (int a = 0; a < na; a++) acc[i][a] = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < blocks; b++) {
        // Code vector k of each row is made once and used by every activation row before the next is made, so only
        // two code vectors are live (with 8 integer and 8 float accumulators, nothing spills).
        __m256i raw[2][2], s[2][4];
        float dw[2];
        for (int i = 0; i < nr; i++) {
            const uint8_t *wb = wr + i * stride + b * BN5_TQ2_0_BYTES;
            raw[i][0] = bn_load256(wb, 0);
            raw[i][1] = bn_load256(wb, 32);
            dw[i] = bn_half(wb, 64);
            for (int a = 0; a < na; a++) s[i][a] = _mm256_setzero_si256();
        }
        for (int k = 0; k < 8; k++) {  // element 128·h + 32·l + m: bits 2l of code byte 32·h + m, k = 4h + l
            __m256i codes[2];
            for (int i = 0; i < nr; i++) codes[i] = bn5_codes(raw[i][k / 4], 2 * (k % 4));
            for (int a = 0; a < na; a++) {
                __m256i xv = bn_load256(x + a * xStride + b * BN5_Q8_K_BYTES, 4 + 32 * k);
                for (int i = 0; i < nr; i++) s[i][a] = bn5_dpbusd(s[i][a], codes[i], xv);
            }
        }
        for (int a = 0; a < na; a++) {
            const uint8_t *xb = x + a * xStride + b * BN5_Q8_K_BYTES;
            __m256i bsums = _mm256_madd_epi16(bn_load256(xb, 260), _mm256_set1_epi16(1));
            for (int i = 0; i < nr; i++) acc[i][a] = bn5_tq2_0_step(acc[i][a], xb, dw[i], _mm256_sub_epi32(s[i][a], bsums));
        }
    }
    for (int i = 0; i < nr; i++)
        for (int a = 0; a < na; a++) out[a * outStride + i] = bn_hsum(acc[i][a]);
}

/// The tile walk shared by the ternary formats: activation rows in groups of 4, weight rows in pairs, each
/// (pair, group) by `block(wr, stride, nr, xt, xStride, na, count, out, yStride)` with literal `nr` and `na` per case,
/// so each inlined copy is fully unrolled with its accumulators in registers.
#define BN5_TERNARY_TILE(block)                                                                                    \
    for (ptrdiff_t t = 0; t < xRows; t += 4) { /* activation rows t ..< t + na exist */                            \
        int na = xRows - t < 4 ? (int)(xRows - t) : 4;                                                              \
        const uint8_t *xt = bn5_at(x, t * xStride);                                                                \
        for (ptrdiff_t r = 0; r < rows; r += 2) { /* weight rows r ..< r + nr exist */                             \
            const uint8_t *wr = bn5_at(w, r * stride);                                                             \
            float *out = y + t * yStride + r;                                                                      \
            switch ((rows - r < 2 ? 1 : 2) * 4 + na) {                                                             \
            case 8 + 4: block(wr, stride, 2, xt, xStride, 4, count, out, yStride); break;                          \
            case 8 + 3: block(wr, stride, 2, xt, xStride, 3, count, out, yStride); break;                          \
            case 8 + 2: block(wr, stride, 2, xt, xStride, 2, count, out, yStride); break;                          \
            case 8 + 1: block(wr, stride, 2, xt, xStride, 1, count, out, yStride); break;                          \
            case 4 + 4: block(wr, stride, 1, xt, xStride, 4, count, out, yStride); break;                          \
            case 4 + 3: block(wr, stride, 1, xt, xStride, 3, count, out, yStride); break;                          \
            case 4 + 2: block(wr, stride, 1, xt, xStride, 2, count, out, yStride); break;                          \
            default: block(wr, stride, 1, xt, xStride, 1, count, out, yStride); break;                             \
            }                                                                                                      \
        }                                                                                                          \
    }

void bitnet_avx512_tile_tq2_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                              ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    BN5_TERNARY_TILE(bn5_tq2_0_block)
}

// MARK: I2_S · I8

/// (Σ products − Σq) / multiplier from the row's exact integer (wrapped as the AVX2 kernel wraps it).
BN5_INLINE float bn5_i2_s_finish(__m256i acc, const void *x, ptrdiff_t count) {
    int64_t qsum = (int64_t)(int32_t)bn_u32(x, count + 4);
    return (float)((int64_t)bn_wrapped_sum(acc) - qsum) / bn_f32(x, count);
}

float bitnet_avx512_dot_i2_s(const void *w, const void *x, ptrdiff_t count) {
    __m256i acc[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};  // two chains, one integer
    for (ptrdiff_t b = 0; b < count / 128; b++) {  // weight bytes 32b ..< 32b+32, activation bytes 128b ..< 128b+128
        __m256i raw = bn_load256(w, 32 * b);
        const uint8_t *xq = bn5_at(x, 128 * b);
        for (int l = 0; l < 4; l++) acc[l & 1] = bn5_dpbusd(acc[l & 1], bn5_codes(raw, 6 - 2 * l), bn_load256(xq, 32 * l));
    }
    return bn5_i2_s_finish(_mm256_add_epi32(acc[0], acc[1]), x, count);
}

void bitnet_avx512_rows_i2_s(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                             ptrdiff_t rows) {
    ptrdiff_t r = 0;
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 exist
        const uint8_t *w0 = bn5_at(w, r * stride);
        __m256i acc[8];  // row i: acc[2i], acc[2i + 1]
        for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_si256();
        uintptr_t ahead = (uintptr_t)w0 + (uintptr_t)(BN5_PREFETCH_ROWS * stride);
        for (ptrdiff_t b = 0; b < count / 128; b++) {
            ptrdiff_t o = 32 * b;
            const uint8_t *xq = bn5_at(x, 128 * b);
            bn5_prefetch(ahead + (uintptr_t)(4 * o), 3);  // this pass reads 4 × 32 bytes: at most 3 lines
            __m256i raw[4];
            for (int i = 0; i < 4; i++) raw[i] = bn_load256(w0 + i * stride, o);
            for (int l = 0; l < 4; l++) {
                __m256i xv = bn_load256(xq, 32 * l);
                for (int i = 0; i < 4; i++)
                    acc[2 * i + (l & 1)] = bn5_dpbusd(acc[2 * i + (l & 1)], bn5_codes(raw[i], 6 - 2 * l), xv);
            }
        }
        for (int i = 0; i < 4; i++) out[r + i] = bn5_i2_s_finish(_mm256_add_epi32(acc[2 * i], acc[2 * i + 1]), x, count);
    }
    for (; r < rows; r++) out[r] = bitnet_avx512_dot_i2_s(bn5_at(w, r * stride), x, count);
}

/// `nr` (1 or 2) I2_S weight rows against `na` (1…4) activation rows (constants after inlining), into
/// `out[a · outStride + i]`; two accumulators per pair so that the chains across blocks are short (the integer is
/// the same), and each activation load serves both weight rows.
BN5_INLINE void bn5_i2_s_block(const uint8_t *wr, ptrdiff_t stride, int nr, const uint8_t *x, ptrdiff_t xStride,
                               int na, ptrdiff_t count, float *out, ptrdiff_t outStride) {
    __m256i acc[2][4][2];
    for (int i = 0; i < nr; i++)
        for (int a = 0; a < na; a++) acc[i][a][0] = acc[i][a][1] = _mm256_setzero_si256();
    for (ptrdiff_t b = 0; b < count / 128; b++) {  // weight bytes 32b ..< 32b+32, activation bytes 128b ..< 128b+128
        __m256i codes[2][4];
        for (int i = 0; i < nr; i++) {
            __m256i raw = bn_load256(wr + i * stride, 32 * b);
            for (int l = 0; l < 4; l++) codes[i][l] = bn5_codes(raw, 6 - 2 * l);
        }
        for (int a = 0; a < na; a++) {
            const uint8_t *xq = x + a * xStride + 128 * b;
            for (int l = 0; l < 4; l++) {
                __m256i xv = bn_load256(xq, 32 * l);
                for (int i = 0; i < nr; i++) acc[i][a][l & 1] = bn5_dpbusd(acc[i][a][l & 1], codes[i][l], xv);
            }
        }
    }
    for (int i = 0; i < nr; i++)
        for (int a = 0; a < na; a++)
            out[a * outStride + i] = bn5_i2_s_finish(_mm256_add_epi32(acc[i][a][0], acc[i][a][1]), x + a * xStride, count);
}

void bitnet_avx512_tile_i2_s(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride, ptrdiff_t xRows,
                             ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    BN5_TERNARY_TILE(bn5_i2_s_block)
}

BITNET_AVX512_END
#endif  // __x86_64__
