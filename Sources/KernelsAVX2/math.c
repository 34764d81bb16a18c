// Row operations in ggml-cpu's AVX2 arithmetic (exp, softmax, SwiGLU, attention tiles, F16 rows, Q8 quantizers);
// ported from Sources/Kernels/GGMLMath.swift, GGMLMath+Tiles.swift, HalfVectorOps.swift, HalfFloat.swift and
// ActivationQuantizer.swift (same arithmetic, same bits).
//
// Bounds: every 8-lane load or store covers elements i ..< i+8 with i + 8 ≤ the caller's count (or a whole 32-element
// block, or a tile's 64 positions); remainders go one element at a time.

// Contraction off before avx2.h: its inline helpers (bn_dot_vec's `sum += x[i] * y[i]`) are compiled under the
// pragma state in force where they are defined, and clang fuses that product into an FMA by default.
#pragma STDC FP_CONTRACT OFF
#include "avx2.h"
#include "bitnet_avx2_math.h"

#if defined(__x86_64__)

// Block sizes in bytes (BlockLayout): Q8_0 is an F16 scale + 32 quants, Q8_1 adds the F16 d·Σq.
enum { BN_MATH_Q8_0_BYTES = 34, BN_MATH_Q8_1_BYTES = 36 };

BITNET_AVX2_BEGIN

// MARK: F16 scalars (`HalfFloat`, in software as the Swift is; used for remainders and block scales)

BN_INLINE float bn_float_from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

BN_INLINE uint32_t bn_bits_from_float(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return bits;
}

/// `HalfFloat.toFloat`: exact widening; an infinity or NaN keeps its payload bits as they are (a signalling NaN
/// stays signalling, unlike `vcvtph2ps`, which quiets it).
BN_INLINE float bn_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (uint32_t)(h >> 10) & 0x1F;
    uint32_t mantissa = (uint32_t)(h & 0x3FF);
    if (exponent == 0x1F) return bn_float_from_bits(sign | 0x7F800000u | (mantissa << 13));
    if (exponent == 0) {  // zero or subnormal: mantissa × 2⁻²⁴, exact in float
        float magnitude = (float)mantissa * 0x1p-24f;
        return sign == 0 ? magnitude : -magnitude;
    }
    return bn_float_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/// `HalfFloat.fromFloat`: nearest F16, ties to even; ≥ 65520 in magnitude → ±∞; a NaN keeps its sign and top
/// payload bits and is made quiet (the same bits `vcvtps2ph` gives).
BN_INLINE uint16_t bn_float_to_half(float f) {
    uint32_t bits = bn_bits_from_float(f);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u) return (uint16_t)(sign | 0x7E00 | ((magnitude >> 13) & 0x1FF));
    if (magnitude >= 0x477FF000u) return (uint16_t)(sign | 0x7C00);
    if (magnitude < 0x38800000u) {  // below 2⁻¹⁴: a subnormal half; scaling by 2²⁴ is exact
        __m128 scaled = _mm_set_ss(bn_float_from_bits(magnitude) * 0x1p24f);
        float units = _mm_cvtss_f32(_mm_round_ss(scaled, scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        return (uint16_t)(sign | (uint16_t)units);
    }
    uint32_t rebiased = magnitude - (112u << 23);
    uint32_t half = rebiased >> 13, dropped = rebiased & 0x1FFF;
    if (dropped > 0x1000 || (dropped == 0x1000 && (half & 1) == 1)) half += 1;  // a carry may bump the exponent
    return (uint16_t)(sign | (uint16_t)half);
}

BN_INLINE void bn_store_half(void *p, ptrdiff_t offset, float value) {
    uint16_t h = bn_float_to_half(value);
    memcpy((uint8_t *)p + offset, &h, 2);
}

// MARK: exp

/// `GGMLMath.exp`: e^x on 8 lanes as ggml-cpu's AVX2 `ggml_v_expf` computes it — n = round(x / ln 2) by the 1.5·2²³
/// shift, b = x − n·ln 2 with ln 2 in two parts, a degree-5 polynomial j ≈ e^b − 1, and 2ⁿ built in the exponent
/// bits (k). When some |n| > 126 the scale goes in two factors so the exponent does not overflow, and |n| > 192
/// saturates to 0 or ∞. (≥ 88.38 → ∞, ≤ −103.97 → 0, −∞ → 0.)
BN_INLINE __m256 bn_exp8(__m256 x) {
    const __m256 r = _mm256_set1_ps(0x1.8p23f);
    __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
    __m256 n = _mm256_sub_ps(z, r);
    __m256 minus_n = _mm256_xor_ps(n, _mm256_set1_ps(-0.0f));
    __m256 b = _mm256_fmadd_ps(minus_n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                               _mm256_fmadd_ps(minus_n, _mm256_set1_ps(0x1.62e4p-1f), x));
    __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);  // wrapping shift of z's bits
    __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_set1_epi32(0x3F800000)));  // bits of 1.0f
    __m256 magnitude = _mm256_and_ps(n, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));  // |n|
    __m256 large = _mm256_cmp_ps(magnitude, _mm256_set1_ps(126), _CMP_GT_OQ);
    __m256 u = _mm256_mul_ps(b, b);
    __m256 j = _mm256_fmadd_ps(
        _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                        _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
        u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
    __m256 normal = _mm256_fmadd_ps(j, k, k);
    if (_mm256_movemask_ps(large) == 0) return normal;
    // g = 0x82000000 where n ≤ 0, else 0 (a blend into zeros, i.e. the compare mask and-ed with the constant).
    __m256i g = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                 _mm256_set1_epi32((int32_t)0x82000000u));
    __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7F000000)));
    __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
    __m256 huge = _mm256_cmp_ps(magnitude, _mm256_set1_ps(192), _CMP_GT_OQ);
    __m256 scaled = _mm256_blendv_ps(normal, _mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1), large);
    return _mm256_blendv_ps(scaled, _mm256_mul_ps(s1, s1), huge);
}

/// Swift's `max(a, b)` on floats: `b >= a ? b : a` (so a NaN `b` is skipped, and of ±0 the second wins).
BN_INLINE float bn_swift_max(float a, float b) { return b >= a ? b : a; }

// MARK: softmax, SwiGLU, dot (`GGMLMath`)

void bitnet_avx2_softmax(float *x, ptrdiff_t count) {
    if (count <= 0) return;
    float maximum = -INFINITY;
    for (ptrdiff_t j = 0; j < count; j++) maximum = bn_swift_max(maximum, x[j]);
    double sum = 0.0;
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 e = bn_exp8(_mm256_sub_ps(bn_loadf8(x + i), _mm256_set1_ps(maximum)));
        _mm256_storeu_ps(x + i, e);
        sum += (double)bn_sum_lanes(e);
    }
    for (; i < count; i++) {
        float e = expf(x[i] - maximum);
        x[i] = e;
        sum += (double)e;
    }
    float inverse = (float)(1.0 / sum);
    for (ptrdiff_t j = 0; j < count; j++) x[j] *= inverse;
}

void bitnet_avx2_swiglu(const float *gate, const float *up, float *y, ptrdiff_t count, ptrdiff_t width) {
    if (width <= 0) return;
    for (ptrdiff_t row = 0; row < count;) {
        ptrdiff_t end = count < row + width ? count : row + width;
        ptrdiff_t i = row;
        for (; i + 8 <= end; i += 8) {  // gate/up are read before y (which may alias them) is written
            __m256 v = bn_loadf8(gate + i);
            __m256 minus_v = _mm256_sub_ps(_mm256_setzero_ps(), v);  // 0 − x, as the Swift (not a negation)
            __m256 silu = _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1), bn_exp8(minus_v)));
            _mm256_storeu_ps(y + i, _mm256_mul_ps(silu, bn_loadf8(up + i)));
        }
        for (; i < end; i++) y[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
        row = end;
    }
}

float bitnet_avx2_dot_vec(const float *x, const float *y, ptrdiff_t count) { return bn_dot_vec(x, y, count); }

double bitnet_avx2_exp_shifted_sum(float *x, ptrdiff_t count, float shift) {
    double total = 0.0;
    for (ptrdiff_t g = 0; g < count; g += 8) {
        __m256 e = bn_exp8(_mm256_sub_ps(bn_loadf8(x + g), _mm256_set1_ps(shift)));
        _mm256_storeu_ps(x + g, e);
        total += (double)bn_sum_lanes(e);
    }
    return total;
}

// MARK: flash-attention tiles (`GGMLMath+Tiles`)

/// `ActivationQuantizer.maxLane`: max of the halves, of that quad's halves, then Swift's `max(pair[0], pair[1])`.
BN_INLINE float bn_max_lane(__m256 v) {
    __m128 quad = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    __m128 pair = _mm_max_ps(quad, _mm_movehl_ps(quad, quad));
    return bn_swift_max(_mm_cvtss_f32(pair), _mm_cvtss_f32(_mm_shuffle_ps(pair, pair, 1)));
}

float bitnet_avx2_maximum(const float *x, ptrdiff_t count) {
    __m256 lanes = _mm256_set1_ps(-INFINITY);
    for (ptrdiff_t g = 0; g < count; g += 8) lanes = _mm256_max_ps(lanes, bn_loadf8(x + g));
    return bn_max_lane(lanes);
}

void bitnet_avx2_tile_scores(const float *q, const float *keys_t, ptrdiff_t key_length, float scale,
                             float *scores) {
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (ptrdiff_t k = 0; k < key_length; k++) {
        const float *row = keys_t + k * 64;
        __m256 p = _mm256_set1_ps(q[k]);
        a0 = _mm256_fmadd_ps(bn_loadf8(row), p, a0);
        a1 = _mm256_fmadd_ps(bn_loadf8(row + 8), p, a1);
        a2 = _mm256_fmadd_ps(bn_loadf8(row + 16), p, a2);
        a3 = _mm256_fmadd_ps(bn_loadf8(row + 24), p, a3);
        a4 = _mm256_fmadd_ps(bn_loadf8(row + 32), p, a4);
        a5 = _mm256_fmadd_ps(bn_loadf8(row + 40), p, a5);
        a6 = _mm256_fmadd_ps(bn_loadf8(row + 48), p, a6);
        a7 = _mm256_fmadd_ps(bn_loadf8(row + 56), p, a7);
    }
    __m256 s = _mm256_set1_ps(scale);
    _mm256_storeu_ps(scores, _mm256_mul_ps(a0, s));
    _mm256_storeu_ps(scores + 8, _mm256_mul_ps(a1, s));
    _mm256_storeu_ps(scores + 16, _mm256_mul_ps(a2, s));
    _mm256_storeu_ps(scores + 24, _mm256_mul_ps(a3, s));
    _mm256_storeu_ps(scores + 32, _mm256_mul_ps(a4, s));
    _mm256_storeu_ps(scores + 40, _mm256_mul_ps(a5, s));
    _mm256_storeu_ps(scores + 48, _mm256_mul_ps(a6, s));
    _mm256_storeu_ps(scores + 56, _mm256_mul_ps(a7, s));
}

void bitnet_avx2_accumulate_weighted_rows(const float *values, ptrdiff_t row_length, const float *weights,
                                          ptrdiff_t first, ptrdiff_t last, float *sum) {
    ptrdiff_t d = 0;
    // 32 outputs at a time, their four 8-lane chains kept in registers across every position.
    for (; d + 32 <= row_length; d += 32) {
        __m256 s0 = bn_loadf8(sum + d), s1 = bn_loadf8(sum + d + 8);
        __m256 s2 = bn_loadf8(sum + d + 16), s3 = bn_loadf8(sum + d + 24);
        for (ptrdiff_t j = first; j <= last; j++) {
            const float *v = values + j * row_length + d;
            __m256 w = _mm256_set1_ps(weights[j]);
            s0 = _mm256_fmadd_ps(bn_loadf8(v), w, s0);
            s1 = _mm256_fmadd_ps(bn_loadf8(v + 8), w, s1);
            s2 = _mm256_fmadd_ps(bn_loadf8(v + 16), w, s2);
            s3 = _mm256_fmadd_ps(bn_loadf8(v + 24), w, s3);
        }
        _mm256_storeu_ps(sum + d, s0);
        _mm256_storeu_ps(sum + d + 8, s1);
        _mm256_storeu_ps(sum + d + 16, s2);
        _mm256_storeu_ps(sum + d + 24, s3);
    }
    for (; d < row_length; d++) {
        float s = sum[d];
        for (ptrdiff_t j = first; j <= last; j++) s = fmaf(weights[j], values[j * row_length + d], s);
        sum[d] = s;
    }
}

// MARK: F16 rows (`HalfVectorOps`)

/// 8 F16s widened with `vcvtph2ps` (exact; a signalling NaN comes out quiet).
BN_INLINE __m256 bn_halfs(const uint16_t *p) { return _mm256_cvtph_ps(bn_load128(p, 0)); }

float bitnet_avx2_half_dot(const float *q, const uint16_t *k, ptrdiff_t count) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    ptrdiff_t whole = count / 32 * 32, i = 0;
    for (; i < whole; i += 32) {
        s0 = _mm256_fmadd_ps(bn_halfs(k + i), bn_loadf8(q + i), s0);
        s1 = _mm256_fmadd_ps(bn_halfs(k + i + 8), bn_loadf8(q + i + 8), s1);
        s2 = _mm256_fmadd_ps(bn_halfs(k + i + 16), bn_loadf8(q + i + 16), s2);
        s3 = _mm256_fmadd_ps(bn_halfs(k + i + 24), bn_loadf8(q + i + 24), s3);
    }
    float sum = bn_reduce4(s0, s1, s2, s3);  // (s0 + s2) + (s1 + s3), then (t0 + t1) + (t2 + t3)
    for (; i < count; i++) sum += q[i] * bn_half_to_float(k[i]);
    return sum;
}

void bitnet_avx2_half_multiply_add(const uint16_t *v, float w, float *out, ptrdiff_t count) {
    ptrdiff_t i = 0;
    __m256 wv = _mm256_set1_ps(w);
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(out + i, _mm256_fmadd_ps(bn_halfs(v + i), wv, bn_loadf8(out + i)));
    for (; i < count; i++) out[i] = fmaf(bn_half_to_float(v[i]), w, out[i]);
}

// Swift's `SIMD8<Float16>(v)` is LLVM's vector fptrunc, which F16C lowers to `vcvtps2ph` in the current (MXCSR)
// rounding mode — round to nearest even, as nothing here changes the mode. The same immediate keeps it identical.
enum { BN_HALF_ROUNDING = _MM_FROUND_CUR_DIRECTION };

void bitnet_avx2_round_to_half(float *x, ptrdiff_t count) {
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8)
        _mm256_storeu_ps(x + i, _mm256_cvtph_ps(_mm256_cvtps_ph(bn_loadf8(x + i), BN_HALF_ROUNDING)));
    for (; i < count; i++) x[i] = bn_half_to_float(bn_float_to_half(x[i]));
}

void bitnet_avx2_narrow_to_half(const float *x, uint16_t *y, ptrdiff_t count) {
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(bn_loadf8(x + i), BN_HALF_ROUNDING));
    for (; i < count; i++) y[i] = bn_float_to_half(x[i]);
}

/// The online-softmax loop of `bitnet_avx2_attend_half` with the value accumulator held in `GROUPS` vectors of 8
/// lanes (`value_length == 8 · GROUPS`, a constant after inlining) instead of a memory row, and taken in runs of up
/// to 64 positions in three passes — the scores, then the running maximum with each position's weight and rescale
/// factor, then the value rows — so the dot products, the `expf` calls and the value updates each form a run of
/// independent work instead of one chain per position. Each position still gets exactly the same operations in the
/// same order: score; if it exceeds the maximum, rescale factor `expf(max − s)`, multiply and round to F16, weight 1,
/// else weight `expf(s − max)`; `fma(v, weight, acc)` rounded to F16; `sum = fma(sum, rescale, weight)`.
BN_INLINE void bn_attend_half_lanes(const float *q, const uint16_t *keys, ptrdiff_t key_stride, const uint16_t *values,
                                    ptrdiff_t value_stride, ptrdiff_t first, ptrdiff_t last, ptrdiff_t key_length,
                                    const int GROUPS, float scale, float *out) {
    enum { RUN = 64, AHEAD = 6 };  // AHEAD: cache rows lie a row of every head apart, so fetch them ahead
    __m256 acc[32];
    for (int g = 0; g < GROUPS; g++) acc[g] = _mm256_setzero_ps();
    float sum = 0, maximum = -INFINITY;
    for (ptrdiff_t start = first; start <= last; start += RUN) {
        ptrdiff_t n = last - start + 1 < RUN ? last - start + 1 : RUN;
        float scores[RUN], weights[RUN], rescales[RUN];
        uint8_t raised[RUN];
        for (ptrdiff_t i = 0; i < n; i++) {  // positions start + i ≤ last
            ptrdiff_t p = start + i;
            if (p + AHEAD <= last) bn_prefetch(keys + (p + AHEAD) * key_stride, (int)((2 * key_length + 63) / 64));
            scores[i] = bitnet_avx2_half_dot(q, keys + p * key_stride, key_length) * scale;
        }
        for (ptrdiff_t i = 0; i < n; i++) {
            float s = scores[i], weight = 1, rescale = 1;
            raised[i] = s > maximum;
            if (raised[i]) {
                rescale = expf(maximum - s);  // 0 at the first position
                maximum = s;
            } else {
                weight = expf(s - maximum);
            }
            weights[i] = weight;
            rescales[i] = rescale;
            sum = fmaf(sum, rescale, weight);
        }
        for (ptrdiff_t i = 0; i < n; i++) {
            ptrdiff_t p = start + i;
            if (p + AHEAD <= last) bn_prefetch(values + (p + AHEAD) * value_stride, (GROUPS + 3) / 4);
            if (raised[i]) {
                __m256 r = _mm256_set1_ps(rescales[i]);
                for (int g = 0; g < GROUPS; g++)
                    acc[g] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(acc[g], r), BN_HALF_ROUNDING));
            }
            const uint16_t *v = values + p * value_stride;
            __m256 w = _mm256_set1_ps(weights[i]);
            for (int g = 0; g < GROUPS; g++)
                acc[g] = _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_fmadd_ps(bn_halfs(v + 8 * g), w, acc[g]),
                                                         BN_HALF_ROUNDING));
        }
    }
    __m256 inverse = _mm256_set1_ps(1 / sum);
    for (int g = 0; g < GROUPS; g++) _mm256_storeu_ps(out + 8 * g, _mm256_mul_ps(acc[g], inverse));
}

void bitnet_avx2_attend_half(const float *q, const uint16_t *keys, ptrdiff_t key_stride, const uint16_t *values,
                             ptrdiff_t value_stride, ptrdiff_t first, ptrdiff_t last, ptrdiff_t key_length,
                             ptrdiff_t value_length, float scale, float *out) {
    // The head widths of the models we run (64: SmolLM2, Llama; 128: BitNet, Qwen; 256: Gemma 3) in registers.
#define BN_ATTEND_LANES(groups) \
    bn_attend_half_lanes(q, keys, key_stride, values, value_stride, first, last, key_length, groups, scale, out)
    switch (value_length) {
    case 64: return BN_ATTEND_LANES(8);
    case 128: return BN_ATTEND_LANES(16);
    case 256: return BN_ATTEND_LANES(32);
    default: break;
    }
#undef BN_ATTEND_LANES
    for (ptrdiff_t i = 0; i < value_length; i++) out[i] = 0;
    float sum = 0, maximum = -INFINITY;
    enum { AHEAD = 6 };  // as above
    for (ptrdiff_t p = first; p <= last; p++) {
        if (p + AHEAD <= last) {
            bn_prefetch(keys + (p + AHEAD) * key_stride, (int)((2 * key_length + 63) / 64));
            bn_prefetch(values + (p + AHEAD) * value_stride, (int)((2 * value_length + 63) / 64));
        }
        float s = bitnet_avx2_half_dot(q, keys + p * key_stride, key_length) * scale;
        float weight = 1, rescale = 1;
        if (s > maximum) {
            rescale = expf(maximum - s);  // 0 at the first position
            maximum = s;
            for (ptrdiff_t i = 0; i < value_length; i++) out[i] *= rescale;
            bitnet_avx2_round_to_half(out, value_length);
        } else {
            weight = expf(s - maximum);
        }
        bitnet_avx2_half_multiply_add(values + p * value_stride, weight, out, value_length);
        bitnet_avx2_round_to_half(out, value_length);
        sum = fmaf(sum, rescale, weight);
    }
    float inverse = 1 / sum;
    for (ptrdiff_t i = 0; i < value_length; i++) out[i] *= inverse;
}

// MARK: activation quantizers (`ActivationQuantizer`)

/// `|v|` lane-wise (sign bit cleared).
BN_INLINE __m256 bn_abs8(__m256 v) {
    return _mm256_castsi256_ps(_mm256_and_si256(_mm256_castps_si256(v), _mm256_set1_epi32(0x7FFFFFFF)));
}

/// Rounds each lane to an integer, halves away from zero (Swift's `.toNearestOrAwayFromZero`, C's `roundf`):
/// t = trunc(v), then t ± 1 where |v − t| ≥ 0.5, the sign taken from v. `v − t` is exact (the fraction of a float
/// is representable), and t ± 1 is exact (a fraction exists only below 2²³). Only the integer value matters (it goes
/// through `vcvtps2dq` next), so the sign of a zero result does not; NaN and ±∞ stay non-finite (→ 0x80000000).
BN_INLINE __m256 bn_round_half_away(__m256 v) {
    __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256 up = _mm256_cmp_ps(bn_abs8(_mm256_sub_ps(v, t)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
    __m256 one = _mm256_or_ps(_mm256_and_ps(v, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(1.0f));  // ±1 as v's sign
    return _mm256_add_ps(t, _mm256_and_ps(up, one));
}

/// One 32-element block (`ActivationQuantizer.quantizeBlockSIMD`): writes the F16 scale at `scale_at` and 32 int8
/// quants at `qs`, returns d and stores Σq (wrapping int32) in `*sum`.
BN_INLINE float bn_quantize_block(const float *x, void *qs, void *scale_at, int rounding, int32_t *sum) {
    __m256 v[4] = {bn_loadf8(x), bn_loadf8(x + 8), bn_loadf8(x + 16), bn_loadf8(x + 24)};
    float amax = bn_max_lane(_mm256_max_ps(_mm256_max_ps(bn_abs8(v[0]), bn_abs8(v[1])),
                                           _mm256_max_ps(bn_abs8(v[2]), bn_abs8(v[3]))));
    float d = amax / 127;
    bn_store_half(scale_at, 0, d);
    float multiplier;
    if (rounding == 0) multiplier = d != 0 ? 1 / d : 0;
    else multiplier = amax != 0 ? 127 / amax : 0;
    __m256 m = _mm256_set1_ps(multiplier);
    __m256i q[4], total = _mm256_setzero_si256();
    for (int k = 0; k < 4; k++) {
        __m256 scaled = _mm256_mul_ps(v[k], m);
        __m256 r = rounding == 0 ? bn_round_half_away(scaled)
                                 : _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q[k] = _mm256_cvtps_epi32(r);  // exact: r is integral, |r| ≤ 127 (non-finite → 0x80000000)
        total = _mm256_add_epi32(total, q[k]);
    }
    // The low byte of every int32 (Swift's `SIMD8<Int8>(truncatingIfNeeded:)`): masking to 0…255 first makes both
    // saturating packs exact; the packs interleave 128-bit halves, and the permute restores element order.
    __m256i low = _mm256_set1_epi32(0xFF);
    __m256i words01 = _mm256_packus_epi32(_mm256_and_si256(q[0], low), _mm256_and_si256(q[1], low));
    __m256i words23 = _mm256_packus_epi32(_mm256_and_si256(q[2], low), _mm256_and_si256(q[3], low));
    __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(words01, words23),
                                                _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)qs, bytes);
    *sum = bn_wrapped_sum(total);
    return d;
}

void bitnet_avx2_quantize_q8_0(const float *x, void *y, ptrdiff_t count, int rounding) {
    uint8_t *out = (uint8_t *)y;
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        int32_t sum;
        uint8_t *block = out + b * BN_MATH_Q8_0_BYTES;
        (void)bn_quantize_block(x + b * 32, block + 2, block, rounding, &sum);
    }
}

void bitnet_avx2_quantize_q8_0_split(const float *x, void *y, ptrdiff_t count, int rounding) {
    uint8_t *out = (uint8_t *)y, *scales = out + count;
    ptrdiff_t blocks = count / 32;
    for (ptrdiff_t b = 0; b < blocks; b++) {
        // The F16 scale goes into the first half of its 4-byte slot, then is widened in place.
        int32_t sum;
        uint8_t *slot = scales + 4 * b;
        (void)bn_quantize_block(x + b * 32, out + b * 32, slot, rounding, &sum);
        float scale = bn_half_to_float(bn_u16(slot, 0));
        memcpy(slot, &scale, 4);
    }
    ptrdiff_t padded = (blocks * 4 + 31) / 32 * 32;  // ActivationFormat.q8_0Split.rowBytes(count) − count
    memset(scales + 4 * blocks, 0, (size_t)(padded - 4 * blocks));
}

void bitnet_avx2_quantize_q8_1(const float *x, void *y, ptrdiff_t count, int rounding) {
    uint8_t *out = (uint8_t *)y;
    for (ptrdiff_t b = 0; b < count / 32; b++) {
        int32_t sum;
        uint8_t *block = out + b * BN_MATH_Q8_1_BYTES;
        float d = bn_quantize_block(x + b * 32, block + 4, block, rounding, &sum);
        bn_store_half(block, 2, (float)sum * d);
    }
}

// MARK: Q8_K and I8 activations (`ActivationQuantizer.quantizeQ8_KPortable`, `.quantizeI8Portable`)

enum { BN_MATH_Q8_K_BYTES = 292 };

/// The low bytes of four int32 vectors, in element order (see `bn_quantize_block`).
BN_INLINE __m256i bn_low_bytes(const __m256i q[4]) {
    __m256i low = _mm256_set1_epi32(0xFF);
    __m256i words01 = _mm256_packus_epi32(_mm256_and_si256(q[0], low), _mm256_and_si256(q[1], low));
    __m256i words23 = _mm256_packus_epi32(_mm256_and_si256(q[2], low), _mm256_and_si256(q[3], low));
    return _mm256_permutevar8x32_epi32(_mm256_packus_epi16(words01, words23), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/// max(acc, |v|) lane-wise, a NaN in `v` leaving `acc` (`vmaxps` returns its second operand when one is NaN), as
/// the scalar loops skip NaN.
BN_INLINE __m256 bn_max_abs(__m256 acc, __m256 v) { return _mm256_max_ps(bn_abs8(v), acc); }

void bitnet_avx2_quantize_q8_k(const float *x, void *y, ptrdiff_t count) {
    for (ptrdiff_t b = 0; b < count / 256; b++) {
        const float *xb = x + 256 * b;  // x[256b ..< 256b + 256]
        uint8_t *block = (uint8_t *)y + b * BN_MATH_Q8_K_BYTES;
        __m256 lanes = _mm256_setzero_ps();
        for (int k = 0; k < 32; k++) lanes = bn_max_abs(lanes, bn_loadf8(xb + 8 * k));
        float amax = bn_max_lane(lanes);
        if (amax == 0) {  // also when every element is NaN, as the scalar loop never raises its 0
            memset(block, 0, BN_MATH_Q8_K_BYTES);
            continue;
        }
        // The first element of largest magnitude (the scalar loop keeps the first on ties).
        float signed_max = 0;
        __m256 target = _mm256_set1_ps(amax);
        for (int k = 0; k < 32; k++) {
            int hits = _mm256_movemask_ps(_mm256_cmp_ps(bn_abs8(bn_loadf8(xb + 8 * k)), target, _CMP_EQ_OQ));
            if (hits) {
                signed_max = xb[8 * k + __builtin_ctz((unsigned)hits)];
                break;
            }
        }
        float iscale = -127 / signed_max;
        __m256 m = _mm256_set1_ps(iscale), top = _mm256_set1_ps(127);
        for (int g = 0; g < 8; g++) {  // 32 elements: quants 32g ..< 32g+32, bsums 2g and 2g + 1
            __m256i q[4];
            for (int k = 0; k < 4; k++) {
                __m256 r = _mm256_round_ps(_mm256_mul_ps(m, bn_loadf8(xb + 32 * g + 8 * k)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
                q[k] = _mm256_cvtps_epi32(_mm256_min_ps(r, top));  // exact: integral, within −127…127
            }
            _mm256_storeu_si256((__m256i *)(block + 4 + 32 * g), bn_low_bytes(q));
            __m128i sums = bn_wrapped_sums(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]),
                                           _mm256_setzero_si256(), _mm256_setzero_si256());
            int16_t bsums[2] = {(int16_t)_mm_cvtsi128_si32(sums), (int16_t)_mm_extract_epi32(sums, 1)};
            memcpy(block + 260 + 4 * g, bsums, 4);
        }
        float d = 1 / iscale;
        memcpy(block, &d, 4);
    }
}

void bitnet_avx2_quantize_i8(const float *x, void *y, ptrdiff_t count) {
    __m256 lanes = _mm256_setzero_ps();
    for (ptrdiff_t j = 0; j < count; j += 8) lanes = bn_max_abs(lanes, bn_loadf8(x + j));
    double amax = (double)bn_max_lane(lanes);  // exact: a float max, widened
    if (!(amax >= 1e-5)) amax = 1e-5;
    float s = (float)(127 / amax);
    __m256 m = _mm256_set1_ps(s), top = _mm256_set1_ps(127), bottom = _mm256_set1_ps(-128);
    __m256i total = _mm256_setzero_si256();
    uint8_t *out = (uint8_t *)y;
    for (ptrdiff_t j = 0; j < count; j += 32) {  // x[j ..< j+32] → quants j ..< j+32
        __m256i q[4];
        for (int k = 0; k < 4; k++) {
            __m256 r = bn_round_half_away(_mm256_mul_ps(bn_loadf8(x + j + 8 * k), m));
            q[k] = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(r, bottom), top));  // NaN → −128, as Swift
            total = _mm256_add_epi32(total, q[k]);
        }
        _mm256_storeu_si256((__m256i *)(out + j), bn_low_bytes(q));
    }
    int32_t sum = bn_wrapped_sum(total);
    memcpy(out + count, &s, 4);
    memcpy(out + count + 4, &sum, 4);
}

BITNET_AVX2_END

#endif  // __x86_64__
