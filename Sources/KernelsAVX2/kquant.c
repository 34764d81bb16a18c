// Q4_K / Q6_K prefill panels (8 weight rows decoded once, every activation row of a batch streamed past them);
// ported from Sources/Kernels/KQuantPrefill.swift and KQuantPrefill+AVX2.swift (same arithmetic, same bits).
#include "avx2.h"
#include "bitnet_avx2_kquant.h"

#if defined(__x86_64__)
#pragma STDC FP_CONTRACT OFF

BITNET_AVX2_BEGIN

// Why a panel: the per-row routed kernels decode nibbles and 6-bit scales again for every (weight row, activation
// row) pair and end each block with horizontal integer sums. In the panel, 4 consecutive quants of the 8 rows share
// one 32-byte vector (row r in bytes 4r ..< 4r + 4), so one `maddubs` against the 4 activation quants broadcast to
// every lane leaves each row's products in its own lanes; the per-block float step then runs on 8 rows at once.
//
// Exactness: the routes (tiled, repacked gemv, repacked gemm) differ only in the float fold over the exact integer
// sums S and M of each block or 64-element pair, so each lane below is that route's scalar step applied lane-wise.
// Integer range: a Q4_K sub-block (8 lane pairs of ≤ 2·15·128) sums in int16 (≤ 30720); Q5_K quants (0…31) allow four
// (≤ 31744), Q6_K quants (0…63) only two `maddubs` results per int16 sum (≤ 32256).
//
// Panel block (per 256-element super-block; offsets are multiples of 32; lane r = weight row r, zeros past `rows`):
//   Q4_K: d[8] F32 @0, dmin[8] F32 @32, (sc, sc) int16 per row × 8 sub-blocks @64, (m_2p, m_2p+1) × 4 @320,
//         quants (64 groups × 8 rows × 4 bytes) @448; 2496 bytes.
//   Q6_K: d[8] F32 @0, (sc, sc) int16 per row × 16 @32, (sc_2k, sc_2k+1) × 8 @544, quants (0…63) @800; 2848 bytes.
enum {
    BN_KQ_Q4_K_DMIN = 32, BN_KQ_Q4_K_SCALES = 64, BN_KQ_Q4_K_MINS = 320, BN_KQ_Q4_K_QUANTS = 448,
    BN_KQ_Q6_K_SCALES = 32, BN_KQ_Q6_K_SCALE_PAIRS = 544, BN_KQ_Q6_K_QUANTS = 800,
    // BlockLayout.q4_KBytes, q6_KBytes, q8_KBytes (Q8_K: d F32 @0, qs[256] @4, bsums[16] int16 @260).
    BN_KQ_Q3_K_BYTES = 110, BN_KQ_Q4_K_BYTES = 144, BN_KQ_Q5_K_BYTES = 176, BN_KQ_Q6_K_BYTES = 210,
    BN_KQ_Q8_K_BYTES = 292,
};

_Static_assert(BN_KQ_Q4_K_QUANTS + 2048 == BITNET_AVX2_Q4_K_PANEL_BLOCK_BYTES, "Q4_K panel layout");
_Static_assert(BN_KQ_Q6_K_QUANTS + 2048 == BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES, "Q6_K panel layout");

// MARK: unpack (plain scalar code, compiled inside the AVX2 region like everything in this file)

/// `HalfFloat.toFloat`, bit for bit: a NaN keeps its payload unquieted (F16C's `vcvtph2ps` would quiet a signalling
/// NaN, so `bn_half` is not used here; the panel bytes must equal the Swift unpack's).
BN_INLINE float bn_kq_half(const void *p, ptrdiff_t offset) {
    uint16_t h = bn_u16(p, offset);
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (uint32_t)(h >> 10) & 0x1F, mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent == 0) {  // zero or subnormal: mantissa × 2⁻²⁴, exact in float
        float magnitude = (float)mantissa * 0x1p-24f;
        return sign == 0 ? magnitude : -magnitude;
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

BN_INLINE void bn_kq_put_f32(void *p, ptrdiff_t offset, float v) { memcpy((uint8_t *)p + offset, &v, 4); }
BN_INLINE void bn_kq_put_u32(void *p, ptrdiff_t offset, uint32_t v) { memcpy((uint8_t *)p + offset, &v, 4); }
BN_INLINE void bn_kq_put_i16(void *p, ptrdiff_t offset, int16_t v) { memcpy((uint8_t *)p + offset, &v, 2); }

/// `DequantizeScalar.scaleMinK4`: the 6-bit (scale, min) of sub-block `j` from the 12 packed bytes at `scales`.
BN_INLINE void bn_kq_scale_min_k4(int j, const uint8_t *scales, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = scales[j] & 63;
        *min = scales[j + 4] & 63;
        return;
    }
    *scale = (uint8_t)((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
    *min = (uint8_t)((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
}

/// The walk every unpacker shares: a partial panel is zeroed first (its missing rows stay zeros), then
/// `block(wb, pb, r)` decodes block b of row r (< rows of the caller's matrix) into panel block b.
typedef void (*bn_kq_block_unpacker)(const uint8_t *wb, uint8_t *pb, ptrdiff_t r);

BN_INLINE void bn_kq_unpack_panel(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out,
                                  ptrdiff_t block_bytes, ptrdiff_t panel_block_bytes, bn_kq_block_unpacker block) {
    ptrdiff_t blocks = count / 256;
    if (rows < BITNET_AVX2_KQUANT_PANEL_ROWS) memset(out, 0, (size_t)(blocks * panel_block_bytes));
    ptrdiff_t filled = rows < BITNET_AVX2_KQUANT_PANEL_ROWS ? rows : BITNET_AVX2_KQUANT_PANEL_ROWS;
    for (ptrdiff_t r = 0; r < filled; r++)
        for (ptrdiff_t b = 0; b < blocks; b++)
            block((const uint8_t *)w + r * stride + b * block_bytes, (uint8_t *)out + b * panel_block_bytes, r);
}

/// A Q4_K or Q5_K block into the Q4_K panel layout, the quant bytes holding 0…15 (Q4_K) or 0…31 (Q5_K, the fifth
/// bit from qh: bit 2·chunk of byte l for element 64·chunk + l, bit 2·chunk + 1 for 64·chunk + 32 + l).
BN_INLINE void bn_kq_k4_block(const uint8_t *wb, uint8_t *pb, ptrdiff_t r, ptrdiff_t qs_offset, int has_qh) {
    bn_kq_put_f32(pb, 4 * r, bn_kq_half(wb, 0));
    bn_kq_put_f32(pb, BN_KQ_Q4_K_DMIN + 4 * r, bn_kq_half(wb, 2));
    for (int sub = 0; sub < 8; sub++) {
        uint8_t sc, m;
        bn_kq_scale_min_k4(sub, wb + 4, &sc, &m);
        uint32_t scale = (uint32_t)sc | (uint32_t)sc << 16;
        bn_kq_put_u32(pb, BN_KQ_Q4_K_SCALES + 32 * sub + 4 * r, scale);
        bn_kq_put_i16(pb, BN_KQ_Q4_K_MINS + 32 * (sub / 2) + 4 * r + 2 * (sub % 2), (int16_t)m);
    }
    for (int chunk = 0; chunk < 4; chunk++) {  // 32 bytes: elements 64c + j in the low nibbles, 64c + 32 + j in the high
        for (int k = 0; k < 8; k++) {
            uint32_t v = bn_u32(wb, qs_offset + 32 * chunk + 4 * k);
            uint32_t h = has_qh ? bn_u32(wb, 16 + 4 * k) : 0;
            uint32_t low_bits = ((h >> (2 * chunk)) & 0x01010101u) << 4;
            uint32_t high_bits = ((h >> (2 * chunk + 1)) & 0x01010101u) << 4;
            int low = 16 * chunk + k, high = low + 8;  // groups of 4 elements
            bn_kq_put_u32(pb, BN_KQ_Q4_K_QUANTS + 32 * low + 4 * r, (v & 0x0F0F0F0Fu) | low_bits);
            bn_kq_put_u32(pb, BN_KQ_Q4_K_QUANTS + 32 * high + 4 * r, ((v >> 4) & 0x0F0F0F0Fu) | high_bits);
        }
    }
}

static void bn_kq_q4_K_block(const uint8_t *wb, uint8_t *pb, ptrdiff_t r) { bn_kq_k4_block(wb, pb, r, 16, 0); }
static void bn_kq_q5_K_block(const uint8_t *wb, uint8_t *pb, ptrdiff_t r) { bn_kq_k4_block(wb, pb, r, 48, 1); }

void bitnet_avx2_unpack_q4_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out) {
    bn_kq_unpack_panel(w, stride, count, rows, out, BN_KQ_Q4_K_BYTES, BITNET_AVX2_Q4_K_PANEL_BLOCK_BYTES,
                       bn_kq_q4_K_block);
}

void bitnet_avx2_unpack_q5_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out) {
    bn_kq_unpack_panel(w, stride, count, rows, out, BN_KQ_Q5_K_BYTES, BITNET_AVX2_Q4_K_PANEL_BLOCK_BYTES,
                       bn_kq_q5_K_block);
}

/// Four Q6_K quants of row `r` (elements 128·part + 32·i + 4k …) into group 32·part + 8·i + k of the panel block.
BN_INLINE void bn_kq_q6_K_store(uint8_t *pb, int part, int i, int k, ptrdiff_t r, uint32_t q) {
    bn_kq_put_u32(pb, BN_KQ_Q6_K_QUANTS + 32 * (32 * part + 8 * i + k) + 4 * r, q);
}

/// One signed sub-block scale of row `r` into both Q6_K-layout scale tables: `(sc, sc)` as int16 (its 16 bits
/// zero-extended, as the Swift bit casts) and the `(sc_2k, sc_2k+1)` pair table.
BN_INLINE void bn_kq_put_scale16(uint8_t *pb, int s, ptrdiff_t r, int16_t sc) {
    uint32_t bits = (uint32_t)(uint16_t)sc;
    bn_kq_put_u32(pb, BN_KQ_Q6_K_SCALES + 32 * s + 4 * r, bits | bits << 16);
    bn_kq_put_i16(pb, BN_KQ_Q6_K_SCALE_PAIRS + 32 * (s / 2) + 4 * r + 2 * (s % 2), sc);
}

static void bn_kq_q6_K_block(const uint8_t *wb, uint8_t *pb, ptrdiff_t r) {
    bn_kq_put_f32(pb, 4 * r, bn_kq_half(wb, 208));
    for (int s = 0; s < 16; s++) bn_kq_put_scale16(pb, s, r, (int16_t)bn_i8(wb, 192 + s));
    for (int part = 0; part < 2; part++) {  // 128 elements: ql[64], qh[32]
        for (int k = 0; k < 8; k++) {
            uint32_t ql0 = bn_u32(wb, 64 * part + 4 * k);
            uint32_t ql1 = bn_u32(wb, 64 * part + 32 + 4 * k);
            uint32_t qh = bn_u32(wb, 128 + 32 * part + 4 * k);
            // Elements 128·part + 32·i + 4k…: group 32·part + 8·i + k.
            bn_kq_q6_K_store(pb, part, 0, k, r, (ql0 & 0x0F0F0F0Fu) | ((qh & 0x03030303u) << 4));
            bn_kq_q6_K_store(pb, part, 1, k, r, (ql1 & 0x0F0F0F0Fu) | ((qh & 0x0C0C0C0Cu) << 2));
            bn_kq_q6_K_store(pb, part, 2, k, r, ((ql0 >> 4) & 0x0F0F0F0Fu) | (qh & 0x30303030u));
            bn_kq_q6_K_store(pb, part, 3, k, r, ((ql1 >> 4) & 0x0F0F0F0Fu) | ((qh >> 2) & 0x30303030u));
        }
    }
}

/// A Q3_K block into Q6_K's panel layout: quants 0…7 (the low bit pair plus 4 × the high bit), signed scales; the −4
/// offset is applied by the panel kernel through the activation's bsums, as Q6_K's −32.
static void bn_kq_q3_K_block(const uint8_t *wb, uint8_t *pb, ptrdiff_t r) {
    bn_kq_put_f32(pb, 4 * r, bn_kq_half(wb, 108));
    int8_t scales[16];
    _mm_storeu_si128((__m128i *)(void *)scales, bn_q3_k_scales(wb));
    for (int s = 0; s < 16; s++) bn_kq_put_scale16(pb, s, r, scales[s]);
    for (int g = 0; g < 64; g++) {  // group g: elements 4g ..< 4g + 4 = 128h + 32i + l0 ..< + 4
        int h = g / 32, i = (g / 8) % 4, l0 = 4 * (g % 8);
        uint32_t low = (bn_u32(wb, 32 + 32 * h + l0) >> (2 * i)) & 0x03030303u;
        uint32_t high = (bn_u32(wb, l0) >> (4 * h + i)) & 0x01010101u;
        bn_kq_put_u32(pb, BN_KQ_Q6_K_QUANTS + 32 * g + 4 * r, low | high << 2);
    }
}

void bitnet_avx2_unpack_q6_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out) {
    bn_kq_unpack_panel(w, stride, count, rows, out, BN_KQ_Q6_K_BYTES, BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES,
                       bn_kq_q6_K_block);
}

void bitnet_avx2_unpack_q3_K_panels(const void *w, ptrdiff_t stride, ptrdiff_t count, ptrdiff_t rows, void *out) {
    bn_kq_unpack_panel(w, stride, count, rows, out, BN_KQ_Q3_K_BYTES, BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES,
                       bn_kq_q3_K_block);
}

// MARK: panel helpers

/// The float fold a route applies to each block's integer sums (`KQuantPrefill.Fold`).
typedef enum {
    /// `acc = fma(fma(−dmin, M, d·S), d_x, acc)` per block (Q6_K: `acc = fma(d·S, d_x, acc)`).
    BN_KQ_FOLD_TILED,
    /// `acc = fma(S, d·d_x, acc)`, `accMin = fma(M, dmin·d_x, accMin)` per block; `acc − accMin`.
    BN_KQ_FOLD_GEMV,
    /// As gemv, once per 64-element pair of sub-blocks.
    BN_KQ_FOLD_GEMM,
} bn_kq_fold;

/// The 4 activation quants at `offset` of `xb`, repeated in every 32-bit lane (one lane per weight row).
BN_INLINE __m256i bn_kq_broadcast_quad(const void *xb, ptrdiff_t offset) {
    return _mm256_set1_epi32((int32_t)bn_u32(xb, offset));
}

BN_INLINE __m256 bn_kq_load_floats(const void *p, ptrdiff_t offset) {
    return _mm256_loadu_ps((const float *)((const uint8_t *)p + offset));
}

/// Stores lanes `0 ..< rows` of `v` (all 8 when the panel is full).
BN_INLINE void bn_kq_store(__m256 v, float *out, ptrdiff_t rows) {
    if (rows >= BITNET_AVX2_KQUANT_PANEL_ROWS) {
        _mm256_storeu_ps(out, v);
    } else {
        float lanes[8];
        _mm256_storeu_ps(lanes, v);
        for (ptrdiff_t r = 0; r < rows; r++) out[r] = lanes[r];
    }
}

// MARK: Q4_K

/// Σ over sub-block `sub` (32 elements) of sc·q·q_x: int32 lane r = weight row r.
BN_INLINE __m256i bn_kq_q4_K_sub_block(const void *pb, const void *xb, int sub) {
    ptrdiff_t q = BN_KQ_Q4_K_QUANTS + 256 * sub, x = 4 + 32 * sub;  // groups 8·sub ..< 8·sub + 8
    __m256i pairs = _mm256_maddubs_epi16(bn_load256(pb, q), bn_kq_broadcast_quad(xb, x));
    for (int g = 1; g < 8; g++) {
        pairs = _mm256_add_epi16(pairs,
                                 _mm256_maddubs_epi16(bn_load256(pb, q + 32 * g), bn_kq_broadcast_quad(xb, x + 4 * g)));
    }
    return _mm256_madd_epi16(pairs, bn_load256(pb, BN_KQ_Q4_K_SCALES + 32 * sub));
}

/// `bn_kq_q4_K_sub_block` for 5-bit quants: the int16 pair sums are widened after every 4 groups.
BN_INLINE __m256i bn_kq_q5_K_sub_block(const void *pb, const void *xb, int sub) {
    ptrdiff_t q = BN_KQ_Q4_K_QUANTS + 256 * sub, x = 4 + 32 * sub;
    __m256i scale = bn_load256(pb, BN_KQ_Q4_K_SCALES + 32 * sub), total = _mm256_setzero_si256();
    for (int half = 0; half < 2; half++) {
        __m256i pairs = _mm256_setzero_si256();
        for (int g = 4 * half; g < 4 * half + 4; g++) {
            pairs = _mm256_add_epi16(pairs,
                                     _mm256_maddubs_epi16(bn_load256(pb, q + 32 * g), bn_kq_broadcast_quad(xb, x + 4 * g)));
        }
        total = _mm256_add_epi32(total, _mm256_madd_epi16(pairs, scale));
    }
    return total;
}

/// A Q4_K (or, `five_bit`, Q5_K) panel · one Q8_K row in `fold`'s order (`KQuantPrefill.q4_KPanel`).
BN_INLINE void bn_kq_q4_K_panel(bn_kq_fold fold, int five_bit, const void *panel, const void *x, ptrdiff_t count,
                                float *out, ptrdiff_t rows) {
    __m256 acc = _mm256_setzero_ps(), acc_min = acc;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *pb = (const uint8_t *)panel + b * BITNET_AVX2_Q4_K_PANEL_BLOCK_BYTES;
        const uint8_t *xb = (const uint8_t *)x + b * BN_KQ_Q8_K_BYTES;
        __m256 dx = _mm256_set1_ps(bn_f32(xb, 0));
        __m256 d = bn_kq_load_floats(pb, 0), dmin = bn_kq_load_floats(pb, BN_KQ_Q4_K_DMIN);
        __m256 dd = _mm256_mul_ps(d, dx), dm = _mm256_mul_ps(dmin, dx);
        // Lanes 0, 1, 4, 5 hold (bs_2p, bs_2p+1) for pairs 0…3, bs_s = bsum_2s + bsum_2s+1 (Σ q_x of sub-block s).
        __m256i bsums = bn_load256(xb, 260);
        int32_t xsums[8];
        _mm256_storeu_si256((__m256i *)xsums, _mm256_hadd_epi16(bsums, bsums));
        __m256i s = _mm256_setzero_si256(), m = s;
        for (int pair = 0; pair < 4; pair++) {
            __m256i sp = five_bit ? _mm256_add_epi32(bn_kq_q5_K_sub_block(pb, xb, 2 * pair),
                                                     bn_kq_q5_K_sub_block(pb, xb, 2 * pair + 1))
                                  : _mm256_add_epi32(bn_kq_q4_K_sub_block(pb, xb, 2 * pair),
                                                     bn_kq_q4_K_sub_block(pb, xb, 2 * pair + 1));
            __m256i mp = _mm256_madd_epi16(bn_load256(pb, BN_KQ_Q4_K_MINS + 32 * pair),
                                           _mm256_set1_epi32(xsums[pair < 2 ? pair : pair + 2]));
            if (fold == BN_KQ_FOLD_GEMM) {
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sp), dd, acc);
                acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mp), dm, acc_min);
            } else {
                s = _mm256_add_epi32(s, sp);
                m = _mm256_add_epi32(m, mp);
            }
        }
        switch (fold) {
        case BN_KQ_FOLD_TILED: {
            __m256 r = _mm256_fnmadd_ps(dmin, _mm256_cvtepi32_ps(m), _mm256_mul_ps(d, _mm256_cvtepi32_ps(s)));
            acc = _mm256_fmadd_ps(r, dx, acc);
            break;
        }
        case BN_KQ_FOLD_GEMV:
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), dd, acc);
            acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), dm, acc_min);
            break;
        case BN_KQ_FOLD_GEMM:
            break;
        }
    }
    bn_kq_store(fold == BN_KQ_FOLD_TILED ? acc : _mm256_sub_ps(acc, acc_min), out, rows);
}

void bitnet_avx2_panel_q4_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows) {
    (void)stride;
    bn_kq_q4_K_panel(BN_KQ_FOLD_TILED, 0, w, x, count, out, rows);
}

void bitnet_avx2_panel_q5_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows) {
    (void)stride;
    bn_kq_q4_K_panel(BN_KQ_FOLD_TILED, 1, w, x, count, out, rows);
}

void bitnet_avx2_panel_q4_K_gemv(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                 ptrdiff_t rows) {
    (void)stride;
    bn_kq_q4_K_panel(BN_KQ_FOLD_GEMV, 0, w, x, count, out, rows);
}

void bitnet_avx2_panel_q4_K_gemm(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                 ptrdiff_t rows) {
    (void)stride;
    bn_kq_q4_K_panel(BN_KQ_FOLD_GEMM, 0, w, x, count, out, rows);
}

// MARK: Q6_K

/// Σ over sub-block `s` (16 elements) of sc·q·q_x with the unsigned quants (0…63): int32 lane r = row r.
BN_INLINE __m256i bn_kq_q6_K_sub_block(const void *pb, const void *xb, int s) {
    ptrdiff_t q = BN_KQ_Q6_K_QUANTS + 128 * s, x = 4 + 16 * s;  // groups 4s ..< 4s + 4
    __m256i a = _mm256_add_epi16(_mm256_maddubs_epi16(bn_load256(pb, q), bn_kq_broadcast_quad(xb, x)),
                                 _mm256_maddubs_epi16(bn_load256(pb, q + 32), bn_kq_broadcast_quad(xb, x + 4)));
    __m256i c = _mm256_add_epi16(_mm256_maddubs_epi16(bn_load256(pb, q + 64), bn_kq_broadcast_quad(xb, x + 8)),
                                 _mm256_maddubs_epi16(bn_load256(pb, q + 96), bn_kq_broadcast_quad(xb, x + 12)));
    __m256i scale = bn_load256(pb, BN_KQ_Q6_K_SCALES + 32 * s);
    return _mm256_add_epi32(_mm256_madd_epi16(a, scale), _mm256_madd_epi16(c, scale));
}

// The −32 quant offset is applied once per block through the activation's bsums:
// Σ sc·(q − 32)·q_x = Σ sc·q·q_x − 32·Σ_g sc_g·bsum_g.
/// A Q6_K-layout panel · one Q8_K row in the tiled order, the quants' offset (Q6_K 32 = 1 << 5, Q3_K 4 = 1 << 2)
/// taken off once per block through the bsums: Σ sc·(q − o)·q_x = Σ sc·q·q_x − o·Σ_g sc_g·bsum_g.
BN_INLINE void bn_kq_q6_K_panel(int offset_shift, const void *w, const void *x, ptrdiff_t count, float *out,
                                ptrdiff_t rows) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *pb = (const uint8_t *)w + b * BITNET_AVX2_Q6_K_PANEL_BLOCK_BYTES;
        const uint8_t *xb = (const uint8_t *)x + b * BN_KQ_Q8_K_BYTES;
        __m256i s = _mm256_setzero_si256(), offset = s;
        for (int sub = 0; sub < 16; sub++) s = _mm256_add_epi32(s, bn_kq_q6_K_sub_block(pb, xb, sub));
        for (int k = 0; k < 8; k++) {  // (bsum_2k, bsum_2k+1) against (sc_2k, sc_2k+1)
            offset = _mm256_add_epi32(offset, _mm256_madd_epi16(bn_load256(pb, BN_KQ_Q6_K_SCALE_PAIRS + 32 * k),
                                                                bn_kq_broadcast_quad(xb, 260 + 4 * k)));
        }
        s = _mm256_sub_epi32(s, _mm256_sll_epi32(offset, _mm_cvtsi32_si128(offset_shift)));
        __m256 dx = _mm256_set1_ps(bn_f32(xb, 0));
        acc = _mm256_fmadd_ps(_mm256_mul_ps(bn_kq_load_floats(pb, 0), _mm256_cvtepi32_ps(s)), dx, acc);
    }
    bn_kq_store(acc, out, rows);
}

void bitnet_avx2_panel_q6_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows) {
    (void)stride;
    bn_kq_q6_K_panel(5, w, x, count, out, rows);
}

void bitnet_avx2_panel_q3_K_tiled(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                                  ptrdiff_t rows) {
    (void)stride;
    bn_kq_q6_K_panel(2, w, x, count, out, rows);
}

BITNET_AVX2_END

#endif  // __x86_64__
