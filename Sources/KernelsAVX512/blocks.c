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

#include <stdlib.h>

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

// MARK: Tiles over the stored rows, activation rows in pairs (zmm)
//
// For a few activation rows (continuous batching's decode steps) the tiles read the stored weight rows where they lie
// and put two activation rows in one 512-bit register: each weight block is decoded once into both halves of a zmm,
// and one `vpdpbusd` / convert / multiply / FMA serves two outputs, the low half activation row 2p, the high half
// row 2p + 1 (halving the instructions of the 8-lane form). Per output this is still the AVX2 single-row kernel's
// arithmetic: 8 F32 lanes, `fma(d_w·d_x, float(Σ q·x), acc)` per block in block order, `bn_hsum` of its half.
//
// The activations are first copied per group of up to 8 rows into a pair layout (`bn5_pairs`), once per call: per
// block, for each pair p the two rows' 32 quants (64 bytes), then d_x of row 2p in 8 lanes and of row 2p + 1 in 8
// (64 bytes), then (Q8_1) s_x of the 8 rows (32 bytes). A group's odd last row is paired with itself; the copy's
// outputs are not written.

enum { BN5_PAIR_GROUP = 8, BN5_PAIR_STACK = 16384 };

/// Block `b`'s share of a prefetch of `lines` cache lines from `ahead`, `per` lines per block (lines
/// b·per ..< (b + 1)·per, up to `lines`), so the hints spread over the pass instead of arriving together (more at
/// once than the core's miss buffers hold stall the loads behind them).
BN5_INLINE void bn5_prefetch_share(uintptr_t ahead, ptrdiff_t lines, ptrdiff_t per, ptrdiff_t b) {
    ptrdiff_t end = (b + 1) * per < lines ? (b + 1) * per : lines;
    for (ptrdiff_t l = b * per; l < end; l++) __builtin_prefetch((const uint8_t *)(ahead + 64 * (uintptr_t)l), 0, 3);
}

/// The pair layout's bytes per block for `np` pairs (`sums`: with the Q8_1 s_x row).
BN5_INLINE ptrdiff_t bn5_pair_block_bytes(int np, int sums) { return 128 * np + (sums ? 32 : 0); }

/// Copies `na` (1…8) activation rows `x + a · xStride` into the pair layout at `out`, block by block. `q8_1`: rows
/// of Q8_1 blocks (F16 d, s, then 32 quants), copied with their s; otherwise Q8_0-split rows (quants, then F32
/// scales at byte `count`), whose signed quants are stored XOR 0x80 (the unsigned operand of `vpdpbusd`).
BN5_INLINE void bn5_pairs(const uint8_t *x, ptrdiff_t xStride, int na, ptrdiff_t count, int q8_1, uint8_t *out) {
    ptrdiff_t blocks = count / 32;
    int np = (na + 1) / 2;
    ptrdiff_t bytes = bn5_pair_block_bytes(np, q8_1);
    __m256i flip = _mm256_set1_epi8(q8_1 ? 0 : (char)0x80);
    for (ptrdiff_t b = 0; b < blocks; b++) {
        uint8_t *ob = out + b * bytes;
        float d[BN5_PAIR_GROUP], sx[BN5_PAIR_GROUP];
        for (int a = 0; a < 2 * np; a++) {
            const uint8_t *row = x + (a < na ? a : na - 1) * xStride;
            __m256i q;
            if (q8_1) {
                const uint8_t *xb = row + b * BN5_Q8_1_BYTES;
                __m128 xs = bn_scales(xb);
                d[a] = _mm_cvtss_f32(xs);
                sx[a] = _mm_cvtss_f32(_mm_shuffle_ps(xs, xs, 1));
                q = bn_load256(xb, 4);
            } else {
                d[a] = bn_f32(row, count + 4 * b);
                q = bn_load256(row, 32 * b);
            }
            _mm256_storeu_si256((__m256i *)(ob + 64 * (a / 2) + 32 * (a % 2)), _mm256_xor_si256(q, flip));
        }
        for (int p = 0; p < np; p++) {
            __m512 dx = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(d[2 * p])), _mm256_set1_ps(d[2 * p + 1]), 1);
            _mm512_storeu_ps((float *)(ob + 64 * np + 64 * p), dx);
        }
        if (q8_1) {
            for (int a = 2 * np; a < BN5_PAIR_GROUP; a++) sx[a] = 0;
            _mm256_storeu_ps((float *)(ob + 128 * np), _mm256_loadu_ps(sx));
        }
    }
}

/// 4 stored Q4_1 rows (`w`, `stride` apart; `nr` real, the others repeat row 0 and are not written) against `np`
/// (1…4, a constant after inlining) pairs of the pair layout `xp` (`na` real rows): per output the arithmetic of
/// `bitnet_avx2_dot_q4_1` — `fma(d_w·d_x, float(Σ q·x), acc)` per block, `bn_hsum`, plus the min chain
/// `fma(m_w, s_x, mins)` (here one lane per activation row).
BN5_INLINE void bn5_q4_1_pair_group(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                                    const uint8_t *xp, int np, int na, float *out, ptrdiff_t outStride,
                                    uintptr_t ahead, ptrdiff_t lines) {
    const uint8_t *rows[4];
    for (int i = 0; i < 4; i++) rows[i] = w + (i < nr ? i : 0) * stride;
    ptrdiff_t bytes = bn5_pair_block_bytes(np, 1);
    bn5_prefetch(ahead, (int)lines);  // a Q4_1 group's 4 rows are few enough lines to ask for at once
    // A block's 16 bytes of nibbles in every 128-bit lane; lanes 1 and 3 shifted by 4: (low, high, low, high).
    const long long by4 = 0x0004000400040004LL;  // a shift count of 4 in each 16-bit element
    const __m512i counts = _mm512_set_epi64(by4, by4, 0, 0, by4, by4, 0, 0), low = _mm512_set1_epi8(0x0F);
    __m512 acc[4][4];
    __m256 mins[4];
    for (int i = 0; i < 4; i++) {
        mins[i] = _mm256_setzero_ps();
        for (int p = 0; p < np; p++) acc[i][p] = _mm512_setzero_ps();
    }
    for (ptrdiff_t b = 0; b < blocks; b++) {
        const uint8_t *xb = xp + b * bytes;
        __m256 sx = _mm256_loadu_ps((const float *)(xb + 128 * np));
        for (int i = 0; i < 4; i++) {
            const uint8_t *wb = rows[i] + b * 20;  // BlockLayout.q4_1Bytes
            __m128 ws = bn_scales(wb);                // (d_w, m_w)
            __m512i q = _mm512_and_si512(_mm512_srlv_epi16(_mm512_broadcast_i32x4(bn_load128(wb, 4)), counts), low);
            __m512 d = _mm512_broadcastss_ps(ws);
            mins[i] = _mm256_fmadd_ps(_mm256_broadcastss_ps(_mm_shuffle_ps(ws, ws, 1)), sx, mins[i]);
            for (int p = 0; p < np; p++) {
                __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512(xb + 64 * p));
                __m512 scale = _mm512_mul_ps(d, _mm512_loadu_ps((const float *)(xb + 64 * np + 64 * p)));
                acc[i][p] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), acc[i][p]);
            }
        }
    }
    for (ptrdiff_t i = 0; i < nr; i++) {
        float m[8];
        _mm256_storeu_ps(m, mins[i]);
        for (int p = 0; p < np; p++) {
            float s0, s1;
            bn5_pair_sums(acc[i][p], &s0, &s1);
            out[2 * p * outStride + i] = s0 + m[2 * p];
            if (2 * p + 1 < na) out[(2 * p + 1) * outStride + i] = s1 + m[2 * p + 1];
        }
    }
}

/// 4 stored Q8_0 rows (`q5`: Q5_0 rows, their 32 values decoded to signed bytes) against `np` pairs of the pair layout (quants XOR 0x80, so `vpdpbusd` takes them as its
/// unsigned operand and the weights as the signed one; each lane starts at −128·Σ q of its four weights, which the
/// offset adds back, so the int32 lanes are Σ q·x exactly, the AVX2 kernel's): per output the arithmetic of
/// `bitnet_avx2_dot_q8_0` (`fma(d_w·d_x, float(Σ q·x), acc)` per block, `bn_hsum`).
BN5_INLINE void bn5_signed_pair_group(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                                      const uint8_t *xp, int np, int na, float *out, ptrdiff_t outStride,
                                      uintptr_t ahead, ptrdiff_t lines, int q5) {
    const uint8_t *rows[4];
    for (int i = 0; i < 4; i++) rows[i] = w + (i < nr ? i : 0) * stride;
    // Q8_0's 4 rows are ~40 lines: spread over the pass (asked for at once, the hints stalled the loads).
    ptrdiff_t bytes = bn5_pair_block_bytes(np, 0), per = (lines + blocks - 1) / blocks;
    const __m512i offset = _mm512_set1_epi8((char)0x80);
    __m512 acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int p = 0; p < np; p++) acc[i][p] = _mm512_setzero_ps();
    for (ptrdiff_t b = 0; b < blocks; b++) {
        bn5_prefetch_share(ahead, lines, per, b);
        const uint8_t *xb = xp + b * bytes;
        for (int i = 0; i < 4; i++) {
            const uint8_t *wb = rows[i] + b * (q5 ? 22 : 34);  // BlockLayout.q5_0Bytes, q8_0Bytes
            __m512 d = _mm512_set1_ps(_mm_cvtss_f32(bn_scales(wb)));
            __m512i q = _mm512_broadcast_i64x4(q5 ? bn_q5_0_values(wb) : bn_load256(wb, 2));
            __m512i start = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, q));
            for (int p = 0; p < np; p++) {
                __m512i sums = _mm512_dpbusd_epi32(start, _mm512_loadu_si512(xb + 64 * p), q);
                __m512 scale = _mm512_mul_ps(d, _mm512_loadu_ps((const float *)(xb + 64 * np + 64 * p)));
                acc[i][p] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(sums), acc[i][p]);
            }
        }
    }
    for (ptrdiff_t i = 0; i < nr; i++)
        for (int p = 0; p < np; p++) {
            float s0, s1;
            bn5_pair_sums(acc[i][p], &s0, &s1);
            out[2 * p * outStride + i] = s0;
            if (2 * p + 1 < na) out[(2 * p + 1) * outStride + i] = s1;
        }
}

BN5_INLINE void bn5_q8_0_pair_group(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                                    const uint8_t *xp, int np, int na, float *out, ptrdiff_t outStride,
                                    uintptr_t ahead, ptrdiff_t lines) {
    bn5_signed_pair_group(w, stride, nr, blocks, xp, np, na, out, outStride, ahead, lines, 0);
}

BN5_INLINE void bn5_q5_0_pair_group(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks,
                                    const uint8_t *xp, int np, int na, float *out, ptrdiff_t outStride,
                                    uintptr_t ahead, ptrdiff_t lines) {
    bn5_signed_pair_group(w, stride, nr, blocks, xp, np, na, out, outStride, ahead, lines, 1);
}

typedef void (*bn5_pair_kernel)(const uint8_t *w, ptrdiff_t stride, ptrdiff_t nr, ptrdiff_t blocks, const uint8_t *xp,
                                int np, int na, float *out, ptrdiff_t outStride, uintptr_t ahead, ptrdiff_t lines);

/// The pair tiles' walk: activation rows in groups of 8, each copied once into the pair layout (on the stack, or the
/// heap for long rows), then every group of 4 weight rows against it, `group` inlined per literal pair count.
BN5_INLINE void bn5_pair_tiles(bn5_pair_kernel group, int q8_1, const void *w, ptrdiff_t stride, const void *x,
                               ptrdiff_t xStride, ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride,
                               ptrdiff_t rows) {
    ptrdiff_t blocks = count / 32;
    size_t need = (size_t)(blocks * bn5_pair_block_bytes(4, q8_1));
    _Alignas(64) uint8_t local[BN5_PAIR_STACK];
    uint8_t *xp = need <= sizeof local ? local : (uint8_t *)aligned_alloc(64, (need + 63) / 64 * 64);
    if (!xp) abort();  // a few tens of kilobytes per call: nothing else would run either
    for (ptrdiff_t t = 0; t < xRows; t += BN5_PAIR_GROUP) {
        int na = (int)(xRows - t < BN5_PAIR_GROUP ? xRows - t : BN5_PAIR_GROUP), np = (na + 1) / 2;
        bn5_pairs(bn5_at(x, t * xStride), xStride, na, count, q8_1, xp);
        for (ptrdiff_t r = 0; r < rows; r += 4) {
            const uint8_t *wr = bn5_at(w, r * stride);
            float *out = y + t * yStride + r;
            ptrdiff_t nr = rows - r < 4 ? rows - r : 4;
            // The 4 rows two groups on (contiguous after these), fetched while this group computes (each group
            // kernel issues the hints: at once, or spread over its blocks).
            uintptr_t ahead = (uintptr_t)(wr + 8 * stride);
            ptrdiff_t lines = r + 12 <= rows ? (4 * stride + 63) / 64 : 0;
            switch (np) {
            case 4: group(wr, stride, nr, blocks, xp, 4, na, out, yStride, ahead, lines); break;
            case 3: group(wr, stride, nr, blocks, xp, 3, na, out, yStride, ahead, lines); break;
            case 2: group(wr, stride, nr, blocks, xp, 2, na, out, yStride, ahead, lines); break;
            default: group(wr, stride, nr, blocks, xp, 1, na, out, yStride, ahead, lines); break;
            }
        }
    }
    if (xp != local) free(xp);
}

void bitnet_avx512_packed_tile_q4_1(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    bn5_pair_tiles(bn5_q4_1_pair_group, 1, w, stride, x, xStride, xRows, count, y, yStride, rows);
}

void bitnet_avx512_packed_tile_q8_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    bn5_pair_tiles(bn5_q8_0_pair_group, 0, w, stride, x, xStride, xRows, count, y, yStride, rows);
}

void bitnet_avx512_packed_tile_q5_0(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t xStride,
                                    ptrdiff_t xRows, ptrdiff_t count, float *y, ptrdiff_t yStride, ptrdiff_t rows) {
    bn5_pair_tiles(bn5_q5_0_pair_group, 0, w, stride, x, xStride, xRows, count, y, yStride, rows);
}

BITNET_AVX512_END
#endif  // __x86_64__
