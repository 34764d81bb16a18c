// One-row AVX2 dot products of every weight type (vec_dot, repacked 8×8 and tiled K-quant orders); ported from
// Sources/Kernels/DotAVX2.swift, DotAVX2+Ternary.swift, DotAVX2Float.swift, GGMLRepack8x8.swift and
// GGMLTiledKQuant.swift (same arithmetic, same bits).
//
// Bounds: every load reads inside block `b < count / blockSize` of its row (the 4-byte scale loads at block offset 0
// stay inside blocks of ≥ 18 bytes); the I2_S activation row also carries its 8-byte trailer at byte `count`.
//
// Integer work per block is exact (int8 products summed in int16 pairs, then int32); only the float accumulation
// order differs between the routes, and each route below keeps llama.cpp's.
#include "avx2.h"
#include "bitnet_avx2_dot.h"
#include "bitnet_avx2_rows.h"

#if defined(__x86_64__)
#pragma STDC FP_CONTRACT OFF

// Block sizes in bytes (BlockLayout): 32-element formats, then 256-element super-blocks.
enum {
    BN_Q4_0_BYTES = 18, BN_Q4_1_BYTES = 20, BN_Q5_0_BYTES = 22, BN_Q8_0_BYTES = 34, BN_Q8_1_BYTES = 36,
    BN_IQ4_NL_BYTES = 18, BN_IQ4_XS_BYTES = 136, BN_Q2_K_BYTES = 84, BN_Q3_K_BYTES = 110, BN_Q4_K_BYTES = 144, BN_Q5_K_BYTES = 176, BN_Q6_K_BYTES = 210, BN_Q8_K_BYTES = 292, BN_TQ1_0_BYTES = 54, BN_TQ2_0_BYTES = 66,
};

BITNET_AVX2_BEGIN

// MARK: shared block pieces

/// Lane 0 of a block's scale pair (`DotAVX2.scales(block)[0]`): d, read with a 32-bit load (see `bn_half_pair`).
BN_INLINE float bn_scale0(const void *block) { return _mm_cvtss_f32(bn_scales(block)); }

/// Lane 1 of `v`.
BN_INLINE float bn_lane1(__m128 v) { return _mm_cvtss_f32(_mm_shuffle_ps(v, v, 1)); }

/// One block's step of `DotAVX2.sumBlocks`: `acc = fma(d, float(products), acc)`. Every 32-element kernel and the
/// ternary ones keep a single chain in block order, as ggml-cpu's AVX2 dot products do: the sums then round exactly
/// as llama.cpp's, which matters because a last-bit difference in a matmul output can flip an 8-bit activation
/// quantization downstream and move the logits visibly (docs/parity.md).
BN_INLINE __m256 bn_block_step(__m256 acc, float d, __m256i products) {
    return _mm256_fmadd_ps(_mm256_set1_ps(d), bn_float(products), acc);
}

// MARK: 32-element block formats

float bitnet_avx2_dot_q8_0(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q8_0_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_0_BYTES;
        acc = bn_block_step(acc, bn_scale0(wb) * bn_scale0(xb), bn_dot_i8i8(bn_load256(wb, 2), bn_load256(xb, 2)));
    }
    return bn_hsum(acc);
}

float bitnet_avx2_dot_q4_0(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q4_0_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_0_BYTES;
        __m256i q = _mm256_sub_epi8(bn_nibbles(wb, 2), _mm256_set1_epi8(8));
        acc = bn_block_step(acc, bn_scale0(wb) * bn_scale0(xb), bn_dot_i8i8(q, bn_load256(xb, 2)));
    }
    return bn_hsum(acc);
}

float bitnet_avx2_dot_q4_1(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    float min_terms = 0;
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q4_1_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_1_BYTES;
        __m128 ws = bn_half_pair(wb, 0), xs = bn_half_pair(xb, 0);  // (d_w, m_w), (d_x, s_x)
        min_terms = fmaf(bn_lane1(ws), bn_lane1(xs), min_terms);     // fused, as ggml's compiled loop does
        acc = bn_block_step(acc, _mm_cvtss_f32(ws) * _mm_cvtss_f32(xs),
                            bn_dot_u8i8(bn_nibbles(wb, 4), bn_load256(xb, 4)));
    }
    return bn_hsum(acc) + min_terms;
}

float bitnet_avx2_dot_q5_0(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q5_0_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_0_BYTES;
        acc = bn_block_step(acc, bn_scale0(wb) * bn_scale0(xb), bn_dot_i8i8(bn_q5_0_values(wb), bn_load256(xb, 2)));
    }
    return bn_hsum(acc);
}

// MARK: K-quant block products (exact integers)

/// The 12 scale bytes of a Q4_K block (offset 4) as six-bit values, four per word: scales of sub-blocks 0…3 and 4…7,
/// mins of sub-blocks 0…3 and 4…7 (`DotAVX2.q4_KScalesMins`).
typedef struct {
    uint32_t scales_lo, scales_hi, mins_lo, mins_hi;
} bn_q4_k_scales;

BN_INLINE bn_q4_k_scales bn_q4_k_scales_mins(const void *wb) {
    uint32_t s0 = bn_u32(wb, 4), s1 = bn_u32(wb, 8), s2 = bn_u32(wb, 12);
    bn_q4_k_scales s;
    s.scales_lo = s0 & 0x3F3F3F3Fu;
    s.mins_lo = s1 & 0x3F3F3F3Fu;
    s.scales_hi = (s2 & 0x0F0F0F0Fu) | (((s0 >> 6) & 0x03030303u) << 4);
    s.mins_hi = ((s2 >> 4) & 0x0F0F0F0Fu) | (((s1 >> 6) & 0x03030303u) << 4);
    return s;
}

/// Sub-blocks 2·chunk (low nibbles) and 2·chunk+1 (high nibbles) of a Q4_K block against the Q8_K block `xb`:
/// 8 int32 lanes whose sum is sc_2c·Σ q·q_x + sc_2c+1·Σ q·q_x (`DotAVX2.q4_KChunkProducts`).
BN_INLINE __m256i bn_q4_k_chunk_products(const void *wb, const void *xb, int chunk, bn_q4_k_scales s) {
    __m256i low = _mm256_set1_epi8(0x0F);
    __m256i raw = bn_load256(wb, 16 + 32 * chunk);
    uint32_t packed = chunk < 2 ? s.scales_lo : s.scales_hi;
    uint32_t shift = (uint32_t)(16 * (chunk % 2));
    int16_t sc0 = (int16_t)((packed >> shift) & 0xFF), sc1 = (int16_t)((packed >> (shift + 8)) & 0xFF);
    __m256i p0 = _mm256_maddubs_epi16(_mm256_and_si256(raw, low), bn_load256(xb, 4 + 64 * chunk));
    __m256i p1 =
        _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(raw, 4), low), bn_load256(xb, 36 + 64 * chunk));
    return _mm256_add_epi32(_mm256_madd_epi16(p0, _mm256_set1_epi16(sc0)),
                            _mm256_madd_epi16(p1, _mm256_set1_epi16(sc1)));
}

/// Lane s = m_s·(bsum_2s + bsum_2s+1): each min duplicated against the 16 int16 bsums of the Q8_K block (offset 260)
/// (`DotAVX2.q4_KMinProducts`).
BN_INLINE __m256i bn_q4_k_min_products(const void *xb, bn_q4_k_scales s) {
    __m128i mins8 = _mm_set_epi32(0, 0, (int32_t)s.mins_hi, (int32_t)s.mins_lo);
    return _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8)), bn_load256(xb, 260));
}

/// One Q4_K super-block against its Q8_K block, exactly in integers (`DotAVX2.q4_KBlockProducts`): `*products`
/// gets 8 lanes whose sum is Σ_s sc_s·Σ q·q_x, `*mins` 8 lanes (lane s = sub-block s) holding m_s·(bsum_2s +
/// bsum_2s+1).
BN_INLINE void bn_q4_k_block_products(const void *wb, const void *xb, __m256i *products, __m256i *mins) {
    bn_q4_k_scales s = bn_q4_k_scales_mins(wb);
    __m256i isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 4; chunk++) isum = _mm256_add_epi32(isum, bn_q4_k_chunk_products(wb, xb, chunk, s));
    *products = isum;
    *mins = bn_q4_k_min_products(xb, s);
}

/// ggml's `kvalues_iq4nl`: the 16 levels IQ4_NL and IQ4_XS nibbles index.
static const int8_t bn_iq4_values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

/// The 32 levels of one 16-byte nibble run at `q` (elements 0…15 from the low nibbles, 16…31 from the high), as
/// signed bytes in element order.
BN_INLINE __m256i bn_iq4_levels(const void *q) {
    __m128i lut = _mm_loadu_si128((const __m128i *)(const void *)bn_iq4_values), bits = bn_load128(q, 0);
    __m128i low = _mm_shuffle_epi8(lut, _mm_and_si128(bits, _mm_set1_epi8(0x0F)));
    __m128i high = _mm_shuffle_epi8(lut, _mm_and_si128(_mm_srli_epi16(bits, 4), _mm_set1_epi8(0x0F)));
    return _mm256_set_m128i(high, low);
}

/// Signed levels · signed activation bytes as ggml's `mul_add_epi8` (|v| · sign(x, v) through `maddubs`): 16 int16
/// pair sums (no saturation: |v| ≤ 127, |x| ≤ 127).
BN_INLINE __m256i bn_iq4_pairs(__m256i v, __m256i x) {
    return _mm256_maddubs_epi16(_mm256_sign_epi8(v, v), _mm256_sign_epi8(x, v));
}

/// Byte shuffles that spread int16 scale 2i over lanes 0…3 and scale 2i + 1 over lanes 4…7 of a 256-bit vector
/// holding 8 int16 scales in each half (ggml's `get_scale_shuffle_q3k`).
static const uint8_t bn_k16_shuffles[4][32] = {
    {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3},
    {4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7, 6, 7},
    {8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 8, 9, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11},
    {12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 12, 13, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15, 14, 15},
};

/// 16 signed byte scales as two vectors of 8 int16 scales repeated in both halves (sub-blocks 0…7, then 8…15).
BN_INLINE void bn_k16_scale_vectors(__m128i scales8, __m256i out[2]) {
    __m256i all = _mm256_cvtepi8_epi16(scales8);
    __m128i low = _mm256_castsi256_si128(all), high = _mm256_extracti128_si256(all, 1);
    out[0] = _mm256_set_m128i(low, low);
    out[1] = _mm256_set_m128i(high, high);
}

/// Sub-blocks `2i`, `2i + 1` (of 16 elements each) of one 128-element half, as int16 pair sums `pairs`, scaled by the
/// half's scales (`bn_k16_scale_vectors`): lanes 0…3 by scale 2i, lanes 4…7 by scale 2i + 1.
BN_INLINE __m256i bn_k16_scaled(__m256i pairs, __m256i scales, int i) {
    __m256i scale = _mm256_shuffle_epi8(scales, _mm256_loadu_si256((const __m256i *)(const void *)bn_k16_shuffles[i]));
    return _mm256_madd_epi16(scale, pairs);
}

/// One Q2_K super-block against its Q8_K block, exactly in integers, with ggml's `ggml_vec_dot_q2_K_q8_K` lanes:
/// `*products` sums to Σ_s sc_s·Σ q·q_x, `*mins` (lane k = m_2k·bsum_2k + m_2k+1·bsum_2k+1) to Σ_s m_s·bsum_s.
BN_INLINE void bn_q2_k_block_products(const void *wb, const void *xb, __m256i *products, __m256i *mins) {
    __m128i packed = bn_load128(wb, 0);
    __m128i scales8 = _mm_and_si128(packed, _mm_set1_epi8(0x0F));
    __m128i mins8 = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F));
    *mins = _mm256_madd_epi16(_mm256_cvtepi8_epi16(mins8), bn_load256(xb, 260));
    __m256i scales[2];
    bn_k16_scale_vectors(scales8, scales);
    __m256i three = _mm256_set1_epi8(3), isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {  // 128 elements: 32 bytes of four 2-bit fields
        __m256i bits = bn_load256(wb, 16 + 32 * h);
        const uint8_t *xq = (const uint8_t *)xb + 4 + 128 * h;
        __m256i p[4];
        for (int i = 0; i < 4; i++) {
            __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * i), three);
            p[i] = bn_k16_scaled(_mm256_maddubs_epi16(q, bn_load256(xq, 32 * i)), scales[h], i);
        }
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_add_epi32(p[0], p[1]), _mm256_add_epi32(p[2], p[3])));
    }
    *products = isum;
}

/// One Q3_K super-block against its Q8_K block, exactly in integers, with ggml's `ggml_vec_dot_q3_K_q8_K` lanes:
/// 8 lanes summing to Σ_s sc_s·Σ (q − 4)·q_x. As there, the low bit pairs and the "minus 4 unless the high bit is
/// set" part are multiplied separately and subtracted as int16.
BN_INLINE __m256i bn_q3_k_block_products(const void *wb, const void *xb) {
    __m256i scales[2];
    bn_k16_scale_vectors(bn_q3_k_scales(wb), scales);
    __m256i three = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1), hbits = bn_load256(wb, 0);
    __m256i isum = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
        __m256i bits = bn_load256(wb, 32 + 32 * h);
        const uint8_t *xq = (const uint8_t *)xb + 4 + 128 * h;
        __m256i p[4];
        for (int i = 0; i < 4; i++) {
            int bit = 4 * h + i;
            __m256i low = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * i), three);
            // 4 where the high bit is clear, 0 where it is set.
            __m256i minus = _mm256_slli_epi16(
                _mm256_srli_epi16(_mm256_andnot_si256(hbits, _mm256_slli_epi16(one, bit)), bit), 2);
            __m256i x = bn_load256(xq, 32 * i);
            __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(low, x), _mm256_maddubs_epi16(minus, x));
            p[i] = bn_k16_scaled(pairs, scales[h], i);
        }
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_add_epi32(p[0], p[1]), _mm256_add_epi32(p[2], p[3])));
    }
    return isum;
}

/// One Q5_K super-block against its Q8_K block, exactly in integers: Q4_K's lanes (`bn_q4_k_block_products`) with
/// each quant's fifth bit (bit 2·chunk of qh byte l for element 64·chunk + l, bit 2·chunk + 1 for 64·chunk + 32 + l)
/// added as 16 before the products, as ggml's `ggml_vec_dot_q5_K_q8_K` does.
BN_INLINE void bn_q5_k_block_products(const void *wb, const void *xb, __m256i *products, __m256i *mins) {
    bn_q4_k_scales s = bn_q4_k_scales_mins(wb);
    __m256i low = _mm256_set1_epi8(0x0F), hbits = bn_load256(wb, 16), isum = _mm256_setzero_si256();
    for (int chunk = 0; chunk < 4; chunk++) {
        __m256i raw = bn_load256(wb, 48 + 32 * chunk);
        __m256i bit0 = _mm256_set1_epi8((char)(1 << (2 * chunk))), bit1 = _mm256_set1_epi8((char)(2 << (2 * chunk)));
        // A byte's selected bit moved to bit 4: (qh & bit) == bit → 16.
        __m256i h0 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, bit0), bit0), _mm256_set1_epi8(16));
        __m256i h1 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hbits, bit1), bit1), _mm256_set1_epi8(16));
        __m256i q0 = _mm256_add_epi8(_mm256_and_si256(raw, low), h0);
        __m256i q1 = _mm256_add_epi8(_mm256_and_si256(_mm256_srli_epi16(raw, 4), low), h1);
        uint32_t packed = chunk < 2 ? s.scales_lo : s.scales_hi;
        uint32_t shift = (uint32_t)(16 * (chunk % 2));
        int16_t sc0 = (int16_t)((packed >> shift) & 0xFF), sc1 = (int16_t)((packed >> (shift + 8)) & 0xFF);
        __m256i p0 = _mm256_maddubs_epi16(q0, bn_load256(xb, 4 + 64 * chunk));
        __m256i p1 = _mm256_maddubs_epi16(q1, bn_load256(xb, 36 + 64 * chunk));
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(p0, _mm256_set1_epi16(sc0)),
                                                       _mm256_madd_epi16(p1, _mm256_set1_epi16(sc1))));
    }
    *products = isum;
    *mins = bn_q4_k_min_products(xb, s);
}

/// Group k (32 elements of quants `q`) of a Q6_K half: its two 16-element sub-blocks' int8 scales `sc[2k]`,
/// `sc[2k+1]` times Σ q·q_x, in 8 int32 lanes.
BN_INLINE __m256i bn_q6_k_group(__m256i q, const uint8_t *sc, const uint8_t *xq, int k) {
    __m256i scale =
        _mm256_set_m128i(_mm_set1_epi16((int16_t)bn_i8(sc, 2 * k + 1)), _mm_set1_epi16((int16_t)bn_i8(sc, 2 * k)));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q, bn_load256(xq, 32 * k)), scale);
}

/// One Q6_K super-block against its Q8_K block, exactly in integers (`DotAVX2.q6_KBlockProducts`): 8 lanes whose
/// sum is Σ_g sc_g·Σ (q−32)·q_x. Quants are used unsigned (0…63) and the −32 offset is applied once through the
/// activation's bsums: Σ sc·(q−32)·x = Σ sc·q·x − 32·Σ_g sc_g·bsum_g.
BN_INLINE __m256i bn_q6_k_block_products(const void *wb, const void *xb) {
    __m256i low = _mm256_set1_epi8(0x0F);
    __m256i scales16 = _mm256_cvtepi8_epi16(bn_load128(wb, 192));
    __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(scales16, bn_load256(xb, 260)), 5);
    __m256i isum = _mm256_setzero_si256();
    for (int part = 0; part < 2; part++) {  // 128 elements: ql[64], qh[32], scales[8]
        __m256i ql0 = bn_load256(wb, 64 * part), ql1 = bn_load256(wb, 64 * part + 32);
        __m256i qh = bn_load256(wb, 128 + 32 * part);
        __m256i q0 = _mm256_or_si256(_mm256_and_si256(ql0, low),
                                     _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4));
        __m256i q1 = _mm256_or_si256(_mm256_and_si256(ql1, low),
                                     _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0C)), 2));
        __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low),
                                     _mm256_and_si256(qh, _mm256_set1_epi8(0x30)));
        __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low),
                                     _mm256_and_si256(_mm256_srli_epi16(qh, 2), _mm256_set1_epi8(0x30)));
        const uint8_t *sc = (const uint8_t *)wb + 192 + 8 * part, *xq = (const uint8_t *)xb + 4 + 128 * part;
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(bn_q6_k_group(q0, sc, xq, 0), bn_q6_k_group(q1, sc, xq, 1)));
        isum = _mm256_add_epi32(isum, _mm256_add_epi32(bn_q6_k_group(q2, sc, xq, 2), bn_q6_k_group(q3, sc, xq, 3)));
    }
    return _mm256_sub_epi32(isum, offset);
}

// MARK: K-quants, vec_dot order

float bitnet_avx2_dot_q4_K(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    float min_terms = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q4_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        float dx = bn_f32(xb, 0);
        __m256i products, min_dot;
        bn_q4_k_block_products(wb, xb, &products, &min_dot);
        min_terms += bn_half(wb, 2) * dx * (float)bn_wrapped_sum(min_dot);  // (dmin·d_x)·M, rounded, then added
        acc = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(wb, 0) * dx), bn_float(products), acc);
    }
    return bn_hsum(acc) - min_terms;
}

float bitnet_avx2_dot_iq4_nl(const void *w, const void *x, ptrdiff_t count) {
    // ggml's AVX2 loop: blocks in pairs, even ones into one 8-lane chain and odd ones into another, summed at the end.
    __m256 acc1 = _mm256_setzero_ps(), acc2 = _mm256_setzero_ps();
    __m256i ones = _mm256_set1_epi16(1);
    ptrdiff_t blocks = count / 32, b = 0;
    for (; b + 1 < blocks; b += 2) {
        const uint8_t *w0 = (const uint8_t *)w + b * BN_IQ4_NL_BYTES, *x0 = (const uint8_t *)x + b * BN_Q8_0_BYTES;
        const uint8_t *w1 = w0 + BN_IQ4_NL_BYTES, *x1 = x0 + BN_Q8_0_BYTES;
        __m256i p0 = _mm256_madd_epi16(bn_iq4_pairs(bn_iq4_levels(w0 + 2), bn_load256(x0, 2)), ones);
        __m256i p1 = _mm256_madd_epi16(bn_iq4_pairs(bn_iq4_levels(w1 + 2), bn_load256(x1, 2)), ones);
        acc1 = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(x0, 0) * bn_half(w0, 0)), bn_float(p0), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(x1, 0) * bn_half(w1, 0)), bn_float(p1), acc2);
    }
    float sum = bn_hsum(_mm256_add_ps(acc1, acc2));
    for (; b < blocks; b++) {  // an odd last block: ggml's scalar tail, `sumf += d * sumi` (one fused step as compiled)
        const uint8_t *wb = (const uint8_t *)w + b * BN_IQ4_NL_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_0_BYTES;
        int32_t s = bn_wrapped_sum(_mm256_madd_epi16(bn_iq4_pairs(bn_iq4_levels(wb + 2), bn_load256(xb, 2)), ones));
        sum = fmaf(bn_half(xb, 0) * bn_half(wb, 0), (float)s, sum);
    }
    return sum;
}

/// One IQ4_XS super-block against its Q8_K block, exactly in integers, with ggml's `ggml_vec_dot_iq4_xs_q8_K` lanes:
/// 8 lanes summing to Σ_s sc_s·Σ v·q_x.
BN_INLINE __m256i bn_iq4_xs_block_products(const void *wb, const void *xb) {
    uint32_t sh = bn_u16(wb, 2);
    __m256i isum = _mm256_setzero_si256();
    for (int ib = 0; ib < 8; ib++) {
        int16_t ls = (int16_t)(((((const uint8_t *)wb)[4 + ib / 2] >> (4 * (ib % 2))) & 0xF) | (((sh >> (2 * ib)) & 3) << 4)) - 32;
        __m256i pairs = bn_iq4_pairs(bn_iq4_levels((const uint8_t *)wb + 8 + 16 * ib), bn_load256(xb, 4 + 32 * ib));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(pairs, _mm256_set1_epi16(ls)));
    }
    return isum;
}

float bitnet_avx2_dot_iq4_xs(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_IQ4_XS_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(wb, 0) * bn_f32(xb, 0)), bn_float(bn_iq4_xs_block_products(wb, xb)), acc);
    }
    return bn_hsum(acc);
}

float bitnet_avx2_dot_q2_K(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q2_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        float dx = bn_f32(xb, 0);
        __m256i products, mins;
        bn_q2_k_block_products(wb, xb, &products, &mins);
        // ggml: the min lanes first, with −(d_x·dmin), then the scaled sums with d_x·d, both into one 8-lane chain.
        acc = _mm256_fmadd_ps(_mm256_set1_ps(-(bn_half(wb, 82) * dx)), bn_float(mins), acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(wb, 80) * dx), bn_float(products), acc);
    }
    return bn_hsum(acc);
}

float bitnet_avx2_dot_q3_K(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q3_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(wb, 108) * bn_f32(xb, 0)), bn_float(bn_q3_k_block_products(wb, xb)), acc);
    }
    return bn_hsum(acc);
}

float bitnet_avx2_dot_q5_K(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    float min_terms = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q5_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        float dx = bn_f32(xb, 0);
        __m256i products, min_dot;
        bn_q5_k_block_products(wb, xb, &products, &min_dot);
        // ggml's `summs += dmin * M` is one expression its compiler fuses (unlike Q4_K's, which sums vectors).
        min_terms = fmaf(bn_half(wb, 2) * dx, (float)bn_wrapped_sum(min_dot), min_terms);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(wb, 0) * dx), bn_float(products), acc);
    }
    return bn_hsum(acc) - min_terms;
}

float bitnet_avx2_dot_q6_K(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q6_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        float dx = bn_f32(xb, 0);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(wb, 208) * dx), bn_float(bn_q6_k_block_products(wb, xb)), acc);
    }
    return bn_hsum(acc);
}

/// Q6_K · Q8_K, four rows per pass: each row is `bitnet_avx2_dot_q6_K`'s arithmetic (the same block products, one
/// FMA chain in block order, the same horizontal sum), four independent chains per pass, and the next rows hinted to
/// the prefetcher (a Q6_K head is the largest matrix of a BitNet model with a requantized output). Leftover rows go
/// through the single-row kernel.
void bitnet_avx2_rows_q6_K(const void *w, ptrdiff_t stride, const void *x, ptrdiff_t count, float *out,
                           ptrdiff_t rows) {
    ptrdiff_t blocks = count / 256, r = 0;
    for (; r + 4 <= rows; r += 4) {  // rows r ..< r+4 exist
        const uint8_t *w0 = (const uint8_t *)w + r * stride, *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        uintptr_t ahead = (uintptr_t)w0 + (uintptr_t)(8 * stride);  // two passes on; a hint never faults
        for (ptrdiff_t b = 0; b < blocks; b++) {
            ptrdiff_t o = b * BN_Q6_K_BYTES;
            const uint8_t *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
            bn_prefetch((const void *)(ahead + (uintptr_t)(4 * o)), 14);  // this pass reads 4 × 210 bytes
            float dx = bn_f32(xb, 0);
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(w0 + o, 208) * dx), bn_float(bn_q6_k_block_products(w0 + o, xb)), a0);
            a1 = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(w1 + o, 208) * dx), bn_float(bn_q6_k_block_products(w1 + o, xb)), a1);
            a2 = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(w2 + o, 208) * dx), bn_float(bn_q6_k_block_products(w2 + o, xb)), a2);
            a3 = _mm256_fmadd_ps(_mm256_set1_ps(bn_half(w3 + o, 208) * dx), bn_float(bn_q6_k_block_products(w3 + o, xb)), a3);
        }
        out[r] = bn_hsum(a0);
        out[r + 1] = bn_hsum(a1);
        out[r + 2] = bn_hsum(a2);
        out[r + 3] = bn_hsum(a3);
    }
    for (; r < rows; r++) out[r] = bitnet_avx2_dot_q6_K((const uint8_t *)w + r * stride, x, count);
}

// MARK: ternary formats
// Codes c ∈ 0…3 are used unsigned with `maddubs` (c·q fits: 2·3·127 per pair) and the −1 offset comes off once per
// block as Σq: for Q8_K the 16 bsums, for I8 the row's Σq. As ggml-cpu's x86 `ggml_vec_dot_tq*_q8_K`: int32 lane i of
// a block holds the products of bytes 4i…4i+3 of every 32-byte chunk minus bsums 2i and 2i+1; lanes are scaled by
// d_x·d_w with one FMA per block, then summed as a tree.

/// ⌊3q / 256⌋ for every unsigned byte q: the top base-3 digit of a TQ1_0 byte already scaled by 3ⁿ. With a = q − 1
/// (saturating), `avg(a, avg(a, 0))` is a rounded a·3/4 in 9 bits whose top two bits are that digit for all 256
/// inputs (`DotAVX2.topDigit`; checked exhaustively in the Swift tests).
BN_INLINE __m256i bn_top_digit(__m256i q) {
    __m256i a = _mm256_subs_epu8(q, _mm256_set1_epi8(1));
    __m256i h = _mm256_avg_epu8(a, _mm256_avg_epu8(a, _mm256_setzero_si256()));
    return _mm256_and_si256(_mm256_srli_epi16(h, 6), _mm256_set1_epi8(3));
}

// Bytes × 3 and × 9 modulo 256 (AVX2 has no byte multiply; × 9 = (x << 3) + x with the bits that crossed into the
// neighbouring byte masked off).
BN_INLINE __m128i bn_times3_128(__m128i v) { return _mm_add_epi8(v, _mm_add_epi8(v, v)); }
BN_INLINE __m128i bn_times9_128(__m128i v) {
    return _mm_add_epi8(_mm_and_si128(_mm_slli_epi16(v, 3), _mm_set1_epi8(-8)), v);
}
BN_INLINE __m256i bn_times3(__m256i v) { return _mm256_add_epi8(v, _mm256_add_epi8(v, v)); }
BN_INLINE __m256i bn_times9(__m256i v) {
    return _mm256_add_epi8(_mm256_and_si256(_mm256_slli_epi16(v, 3), _mm256_set1_epi8(-8)), v);
}

/// Unsigned codes `c` · the 32 activation bytes at `xq + offset`, in 16 int16 lanes.
BN_INLINE __m256i bn_code_products(__m256i c, const void *xq, ptrdiff_t offset) {
    return _mm256_maddubs_epi16(c, bn_load256(xq, offset));
}

float bitnet_avx2_dot_tq1_0(const void *w, const void *x, ptrdiff_t count) {
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_TQ1_0_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        const uint8_t *xq = xb + 4;  // the 256 int8 quants
        // Bytes 0..<32: digits 0…4 pair with elements 0, 32, …, 128 onward.
        __m256i q0 = bn_load256(wb, 0), q1 = bn_times3(q0), q2 = bn_times9(q0), q3 = bn_times9(q1), q4 = bn_times9(q2);
        __m256i s =
            _mm256_add_epi16(bn_code_products(bn_top_digit(q0), xq, 0), bn_code_products(bn_top_digit(q1), xq, 32));
        s = _mm256_add_epi16(s, bn_code_products(bn_top_digit(q2), xq, 64));
        s = _mm256_add_epi16(s, bn_code_products(bn_top_digit(q3), xq, 96));
        s = _mm256_add_epi16(s, bn_code_products(bn_top_digit(q4), xq, 128));
        // Bytes 32..<48 (elements 160 + 16n + m) and the four qh bytes (elements 240 + 4n + m).
        __m128i r0 = bn_load128(wb, 32);
        __m128i r1 = bn_times3_128(r0), r2 = bn_times9_128(r0), r3 = bn_times9_128(r1), r4 = bn_times9_128(r2);
        __m128i h0 = _mm_set1_epi32((int32_t)bn_u32(wb, 48));
        __m128i h1 = bn_times3_128(h0), h2 = bn_times9_128(h0), h3 = bn_times9_128(h1);
        __m128i h = _mm_unpacklo_epi64(_mm_unpacklo_epi32(h0, h1), _mm_unpacklo_epi32(h2, h3));
        s = _mm256_add_epi16(s, bn_code_products(bn_top_digit(_mm256_set_m128i(r1, r0)), xq, 160));
        s = _mm256_add_epi16(s, bn_code_products(bn_top_digit(_mm256_set_m128i(r3, r2)), xq, 192));
        s = _mm256_add_epi16(s, bn_code_products(bn_top_digit(_mm256_set_m128i(h, r4)), xq, 224));
        __m256i lanes = _mm256_madd_epi16(_mm256_sub_epi16(s, bn_load256(xb, 260)), _mm256_set1_epi16(1));
        acc = bn_block_step(acc, bn_f32(xb, 0) * bn_half(wb, 52), lanes);
    }
    return bn_hsum(acc);
}

float bitnet_avx2_dot_tq2_0(const void *w, const void *x, ptrdiff_t count) {
    __m256i mask = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_TQ2_0_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        __m256i s = _mm256_setzero_si256();
        for (int half = 0; half < 2; half++) {  // 32 bytes of codes = elements 128·half + 32·l + m, bits 2l of byte m
            __m256i raw = bn_load256(wb, 32 * half);
            const uint8_t *xq = xb + 4 + 128 * half;
            s = _mm256_add_epi16(s, bn_code_products(_mm256_and_si256(raw, mask), xq, 0));
            s = _mm256_add_epi16(s, bn_code_products(_mm256_and_si256(_mm256_srli_epi16(raw, 2), mask), xq, 32));
            s = _mm256_add_epi16(s, bn_code_products(_mm256_and_si256(_mm256_srli_epi16(raw, 4), mask), xq, 64));
            s = _mm256_add_epi16(s, bn_code_products(_mm256_and_si256(_mm256_srli_epi16(raw, 6), mask), xq, 96));
        }
        __m256i lanes = _mm256_madd_epi16(_mm256_sub_epi16(s, bn_load256(xb, 260)), _mm256_set1_epi16(1));
        acc = bn_block_step(acc, bn_f32(xb, 0) * bn_half(wb, 64), lanes);
    }
    return bn_hsum(acc);
}

/// The same integer and the same division as `DotScalar.i2_s`, so the two agree bit for bit.
float bitnet_avx2_dot_i2_s(const void *w, const void *x, ptrdiff_t count) {
    __m256i mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    __m256i acc = _mm256_setzero_si256();
    for (ptrdiff_t b = 0; b < count / 128; b++) {  // weight bytes 32b ..< 32b+32, activation bytes 128b ..< 128b+128
        __m256i raw = bn_load256(w, 32 * b);
        const uint8_t *xq = (const uint8_t *)x + 128 * b;
        __m256i s = bn_code_products(_mm256_and_si256(_mm256_srli_epi16(raw, 6), mask), xq, 0);
        s = _mm256_add_epi16(s, bn_code_products(_mm256_and_si256(_mm256_srli_epi16(raw, 4), mask), xq, 32));
        s = _mm256_add_epi16(s, bn_code_products(_mm256_and_si256(_mm256_srli_epi16(raw, 2), mask), xq, 64));
        s = _mm256_add_epi16(s, bn_code_products(_mm256_and_si256(raw, mask), xq, 96));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(s, ones));
    }
    int64_t products = (int64_t)bn_wrapped_sum(acc);
    // Trailer of the I8 row: F32 multiplier at byte `count`, Int32 Σq at `count + 4`.
    int64_t qsum = (int64_t)(int32_t)bn_u32(x, count + 4);
    return (float)(products - qsum) / bn_f32(x, count);
}

// MARK: float weights (ggml-cpu's vec_dot orders)

float bitnet_avx2_dot_f32(const void *w, const void *x, ptrdiff_t count) {
    return bn_dot_vec((const float *)w, (const float *)x, count);
}

float bitnet_avx2_dot_f16(const void *w, const void *x, ptrdiff_t count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    ptrdiff_t body = count & ~(ptrdiff_t)31, j = 0;
    for (; j < body; j += 32) {  // elements j ..< j+32 are inside both rows
        ptrdiff_t o = 2 * j;
        a0 = _mm256_fmadd_ps(bn_f16x8(w, o), bn_f16x8(x, o), a0);
        a1 = _mm256_fmadd_ps(bn_f16x8(w, o + 16), bn_f16x8(x, o + 16), a1);
        a2 = _mm256_fmadd_ps(bn_f16x8(w, o + 32), bn_f16x8(x, o + 32), a2);
        a3 = _mm256_fmadd_ps(bn_f16x8(w, o + 48), bn_f16x8(x, o + 48), a3);
    }
    return bn_f16_tail(bn_reduce4(a0, a1, a2, a3), w, x, j, count);
}

/// `GGMLBF16.hsum` (llamafile's `hsum(__m256)`): ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)) — the high half
/// folded onto the low one, then `movehl`, then `movehdup`. The same adds in the same order as `bn_hsum`.
BN_INLINE float bn_tinyblas_hsum(__m256 v) {
    __m128 quad = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
    return _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair)));
}

/// Four FMA chains combined as (a0 + a2) + (a1 + a3), llamafile's lane sum, then a `double` tail. ggml adds the
/// vector sum to a zeroed double, which turns −0 into +0, so the `0.0 +` stays.
float bitnet_avx2_dot_bf16(const void *w, const void *x, ptrdiff_t count) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    ptrdiff_t body = count & ~(ptrdiff_t)31, j = 0;
    for (; j < body; j += 32) {  // elements j ..< j+32 are inside both rows
        ptrdiff_t o = 2 * j;
        a0 = _mm256_fmadd_ps(bn_bf16x8(w, o), bn_bf16x8(x, o), a0);
        a1 = _mm256_fmadd_ps(bn_bf16x8(w, o + 16), bn_bf16x8(x, o + 16), a1);
        a2 = _mm256_fmadd_ps(bn_bf16x8(w, o + 32), bn_bf16x8(x, o + 32), a2);
        a3 = _mm256_fmadd_ps(bn_bf16x8(w, o + 48), bn_bf16x8(x, o + 48), a3);
    }
    double sum = 0.0;
    sum += (double)bn_tinyblas_hsum(_mm256_add_ps(_mm256_add_ps(a0, a2), _mm256_add_ps(a1, a3)));
    for (; j < count; j++) {  // j < count
        float p = bn_bf16_to_float(bn_u16(w, 2 * j));
        sum += (double)(p * bn_bf16_to_float(bn_u16(x, 2 * j)));
    }
    return (float)sum;
}

// MARK: repacked 8×8 orders (GGMLRepack8x8)
// ggml_gemv/gemm_*_8x8 hold one F32 lane per weight row, so each output is a scalar fold over blocks in order, with
// S and M the exact integer sums: Q4_0 `acc = fma(S, d·d_x, acc)`; Q4_K gemv the same plus `accMin = fma(M,
// dmin·d_x, accMin)` and `acc − accMin`; Q4_K gemm one such pair of FMAs per 64 elements.

float bitnet_avx2_repack_q4_0(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q4_0_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_0_BYTES;
        __m256i q = _mm256_sub_epi8(bn_nibbles(wb, 2), _mm256_set1_epi8(8));
        int32_t s = bn_wrapped_sum(bn_dot_i8i8(q, bn_load256(xb, 2)));
        acc = fmaf((float)s, bn_half(wb, 0) * bn_half(xb, 0), acc);
    }
    return acc;
}

float bitnet_avx2_repack_iq4_nl(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    __m256i ones = _mm256_set1_epi16(1);
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_IQ4_NL_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_0_BYTES;
        int32_t s = bn_wrapped_sum(_mm256_madd_epi16(bn_iq4_pairs(bn_iq4_levels(wb + 2), bn_load256(xb, 2)), ones));
        acc = fmaf((float)s, bn_half(wb, 0) * bn_half(xb, 0), acc);
    }
    return acc;
}

float bitnet_avx2_repack_q4_K(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0, acc_min = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q4_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        __m256i products, mins;
        bn_q4_k_block_products(wb, xb, &products, &mins);
        float dx = bn_f32(xb, 0);
        acc = fmaf((float)bn_wrapped_sum(products), bn_half(wb, 0) * dx, acc);
        acc_min = fmaf((float)bn_wrapped_sum(mins), bn_half(wb, 2) * dx, acc_min);
    }
    return acc - acc_min;
}

float bitnet_avx2_repack_q4_K_gemm(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0, acc_min = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q4_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        float dx = bn_f32(xb, 0);
        float d = bn_half(wb, 0) * dx, dmin = bn_half(wb, 2) * dx;
        bn_q4_k_scales s = bn_q4_k_scales_mins(wb);
        int32_t sums[4], min_pairs[8];
        _mm_storeu_si128((__m128i *)(void *)sums,
                         bn_wrapped_sums(bn_q4_k_chunk_products(wb, xb, 0, s), bn_q4_k_chunk_products(wb, xb, 1, s),
                                         bn_q4_k_chunk_products(wb, xb, 2, s), bn_q4_k_chunk_products(wb, xb, 3, s)));
        // Lanes 0, 1 (128-bit half 0) and 4, 5 (half 1) of the pairwise sums are the 4 pairs' min terms.
        _mm256_storeu_si256((__m256i *)(void *)min_pairs,
                            _mm256_hadd_epi32(bn_q4_k_min_products(xb, s), _mm256_setzero_si256()));
        for (int pair = 0; pair < 4; pair++) {
            acc = fmaf((float)sums[pair], d, acc);
            acc_min = fmaf((float)min_pairs[pair < 2 ? pair : pair + 2], dmin, acc_min);
        }
    }
    return acc - acc_min;
}

// MARK: tiled K-quant orders (GGMLTiledKQuant)
// Each output is one fold over super-blocks in order (zeroed accumulator, one fused step per block), unlike vec_dot,
// which multiplies d·d_x first and keeps 8 partial lanes until a final horizontal sum.

/// `GGMLTiledKQuant.q4_KStep`, the microkernel's epilogue: r = fma(−dmin, M, d·S) (`_mm256_fnmadd_ps`), then
/// fma(r, d_x, acc).
BN_INLINE float bn_tiled_q4_k_step(float acc, int32_t s, int32_t m, float d, float dmin, float dx) {
    float r = fmaf(-dmin, (float)m, d * (float)s);
    return fmaf(r, dx, acc);
}

/// `GGMLTiledKQuant.q6_KStep`: fma(d·S, d_x, acc).
BN_INLINE float bn_tiled_q6_k_step(float acc, int32_t s, float d, float dx) { return fmaf(d * (float)s, dx, acc); }

float bitnet_avx2_tiled_q4_K(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q4_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        __m256i products, mins;
        bn_q4_k_block_products(wb, xb, &products, &mins);
        acc = bn_tiled_q4_k_step(acc, bn_wrapped_sum(products), bn_wrapped_sum(mins), bn_half(wb, 0), bn_half(wb, 2),
                                 bn_f32(xb, 0));
    }
    return acc;
}

float bitnet_avx2_tiled_iq4_xs(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_IQ4_XS_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        acc = bn_tiled_q6_k_step(acc, bn_wrapped_sum(bn_iq4_xs_block_products(wb, xb)), bn_half(wb, 0), bn_f32(xb, 0));
    }
    return acc;
}

float bitnet_avx2_tiled_q2_K(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q2_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        __m256i products, mins;
        bn_q2_k_block_products(wb, xb, &products, &mins);
        acc = bn_tiled_q4_k_step(acc, bn_wrapped_sum(products), bn_wrapped_sum(mins), bn_half(wb, 80), bn_half(wb, 82),
                                 bn_f32(xb, 0));
    }
    return acc;
}

float bitnet_avx2_tiled_q3_K(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q3_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        acc = bn_tiled_q6_k_step(acc, bn_wrapped_sum(bn_q3_k_block_products(wb, xb)), bn_half(wb, 108), bn_f32(xb, 0));
    }
    return acc;
}

float bitnet_avx2_tiled_q5_K(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q5_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        __m256i products, mins;
        bn_q5_k_block_products(wb, xb, &products, &mins);
        acc = bn_tiled_q4_k_step(acc, bn_wrapped_sum(products), bn_wrapped_sum(mins), bn_half(wb, 0), bn_half(wb, 2),
                                 bn_f32(xb, 0));
    }
    return acc;
}

float bitnet_avx2_tiled_q6_K(const void *w, const void *x, ptrdiff_t count) {
    float acc = 0;
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const uint8_t *wb = (const uint8_t *)w + b * BN_Q6_K_BYTES, *xb = (const uint8_t *)x + b * BN_Q8_K_BYTES;
        acc = bn_tiled_q6_k_step(acc, bn_wrapped_sum(bn_q6_k_block_products(wb, xb)), bn_half(wb, 208), bn_f32(xb, 0));
    }
    return acc;
}

BITNET_AVX2_END

#endif  // __x86_64__
