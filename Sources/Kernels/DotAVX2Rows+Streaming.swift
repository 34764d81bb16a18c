#if arch(x86_64)
import _Builtin_intrinsics.intel
import KernelsCSupport

/// Multi-row forms of the kernels that dominate BitNet decode: the ternary projections (TQ2_0, I2_S) and the F16
/// tied output matrix (on the 2B-4T shape, 657 MB of the ~1.2 GB a token reads). Same contract and the same
/// per-row arithmetic as the single-row kernels (`DotRowsTests` checks bit equality), with the prefetch scheme of
/// `DotAVX2Rows.swift`: each pass also requests the matching bytes of the row group `prefetchRows` further on.
///
/// What is shared between rows: the activation loads (TQ2_0, I2_S: eight 32-byte vectors per 256 elements) and the
/// F16→F32 widening of the activations (F16: one conversion serves two rows).
extension DotAVX2 {
    // MARK: TQ2_0 · Q8_K

    /// TQ2_0 · Q8_K for `rows` rows (`RowsDotFunction` contract); each row as `tq2_0`.
    public static func tq2_0Rows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let blocks = count / 256, wBytes = BlockLayout.tq2_0Bytes, xBytes = BlockLayout.q8_KBytes
        let mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1)
        var r = 0
        while r + 4 <= rows {  // rows r..<r+4 exist
            let w0 = w + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            let ahead = w0 + prefetchRows * stride
            for b in 0..<blocks {
                let o = b * wBytes, xb = x + b * xBytes
                prefetch(ahead + 4 * o, lines: 5)  // this pass reads 4 × 66 bytes: at most 5 lines
                var s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0
                for half in 0..<2 {  // 32 bytes of codes = elements 128·half + 32·l + m, bits 2l of byte m
                    let c = 32 * half, xq = xb + 4 + 128 * half
                    let r0 = load256(w0 + o, c), r1 = load256(w1 + o, c), r2 = load256(w2 + o, c)
                    let r3 = load256(w3 + o, c)
                    for l in 0..<4 {
                        let xv = load256(xq, 32 * l), shift = Int32(2 * l)
                        s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(codes(r0, shift, mask), xv))
                        s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(codes(r1, shift, mask), xv))
                        s2 = _mm256_add_epi16(s2, _mm256_maddubs_epi16(codes(r2, shift, mask), xv))
                        s3 = _mm256_add_epi16(s3, _mm256_maddubs_epi16(codes(r3, shift, mask), xv))
                    }
                }
                let bsums = load256(xb, 260), dx = xb.loadUnaligned(as: Float.self)
                a0 = ternaryStep(a0, s0, bsums, ones, dx * half(w0 + o, 64))
                a1 = ternaryStep(a1, s1, bsums, ones, dx * half(w1 + o, 64))
                a2 = ternaryStep(a2, s2, bsums, ones, dx * half(w2 + o, 64))
                a3 = ternaryStep(a3, s3, bsums, ones, dx * half(w3 + o, 64))
            }
            out[r] = hsum(a0)
            out[r + 1] = hsum(a1)
            out[r + 2] = hsum(a2)
            out[r + 3] = hsum(a3)
            r += 4
        }
        while r < rows {
            out[r] = tq2_0(w + r * stride, x, count)
            r += 1
        }
    }

    /// TQ2_0 · Q8_K for two activation rows at once (`RowPairsDotFunction` contract, prefill): each 2-bit code
    /// vector of a weight row is extracted once and multiplied with both activations (one row per pass: with two,
    /// the accumulators no longer fit the 16 vector registers and spill). Every (row, activation) pair runs
    /// `tq2_0Rows`'s arithmetic in its order, so the bits are the same.
    public static func tq2_0RowPairs(
        _ w: UnsafeRawPointer, _ stride: Int, _ x0: UnsafeRawPointer, _ x1: UnsafeRawPointer, _ count: Int,
        _ out0: UnsafeMutablePointer<Float>, _ out1: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let blocks = count / 256, wBytes = BlockLayout.tq2_0Bytes, xBytes = BlockLayout.q8_KBytes
        let mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1)
        for r in 0..<rows {
            let wr = w + r * stride
            var a0 = _mm256_setzero_ps(), a1 = a0  // activation 0, 1
            for b in 0..<blocks {
                let o = b * wBytes, xb0 = x0 + b * xBytes, xb1 = x1 + b * xBytes
                var s0 = _mm256_setzero_si256(), s1 = s0
                for half in 0..<2 {  // the layout of `tq2_0Rows`
                    let xq0 = xb0 + 4 + 128 * half, xq1 = xb1 + 4 + 128 * half
                    let raw = load256(wr + o, 32 * half)
                    for l in 0..<4 {
                        let c = codes(raw, Int32(2 * l), mask)
                        s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(c, load256(xq0, 32 * l)))
                        s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(c, load256(xq1, 32 * l)))
                    }
                }
                let d = half(wr + o, 64)
                a0 = ternaryStep(a0, s0, load256(xb0, 260), ones, xb0.loadUnaligned(as: Float.self) * d)
                a1 = ternaryStep(a1, s1, load256(xb1, 260), ones, xb1.loadUnaligned(as: Float.self) * d)
            }
            out0[r] = hsum(a0)
            out1[r] = hsum(a1)
        }
    }

    /// The 2-bit codes at bit `shift` of every byte of `raw`.
    @inline(__always) static func codes(_ raw: __m256i, _ shift: Int32, _ mask: __m256i) -> __m256i {
        _mm256_and_si256(_mm256_srl_epi16(raw, _mm_cvtsi32_si128(shift)), mask)
    }

    /// One ternary block's contribution, as `sumBlocks` adds it: the code products minus the bsums, widened to
    /// int32 lanes, scaled by `d` with one FMA.
    @inline(__always)
    static func ternaryStep(_ acc: __m256, _ s: __m256i, _ bsums: __m256i, _ ones: __m256i, _ d: Float) -> __m256 {
        _mm256_fmadd_ps(_mm256_set1_ps(d), float(_mm256_madd_epi16(_mm256_sub_epi16(s, bsums), ones)), acc)
    }

    // MARK: I2_S · I8

    /// I2_S · I8 for `rows` rows (`RowsDotFunction` contract); each row as `i2_s` (exact integers, then the same
    /// division).
    public static func i2_sRows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1)
        let qsum = Int(x.loadUnaligned(fromByteOffset: count + 4, as: Int32.self))
        let multiplier = x.loadUnaligned(fromByteOffset: count, as: Float.self)
        var r = 0
        while r + 4 <= rows {  // rows r..<r+4 exist
            let w0 = w + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
            var a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0
            let ahead = w0 + prefetchRows * stride
            for b in 0..<count / 128 {  // weight bytes 32b ..< 32b+32 of each row, activation bytes 128b ..< 128b+128
                let o = 32 * b, xq = x + 128 * b
                prefetch(ahead + 4 * o, lines: 3)  // this pass reads 4 × 32 bytes: at most 3 lines
                let r0 = load256(w0, o), r1 = load256(w1, o), r2 = load256(w2, o), r3 = load256(w3, o)
                var s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0
                for l in 0..<4 {  // chunk l holds the codes at bits 6 − 2l
                    let xv = load256(xq, 32 * l), shift = Int32(6 - 2 * l)
                    s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(codes(r0, shift, mask), xv))
                    s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(codes(r1, shift, mask), xv))
                    s2 = _mm256_add_epi16(s2, _mm256_maddubs_epi16(codes(r2, shift, mask), xv))
                    s3 = _mm256_add_epi16(s3, _mm256_maddubs_epi16(codes(r3, shift, mask), xv))
                }
                a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(s0, ones))
                a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(s1, ones))
                a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(s2, ones))
                a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(s3, ones))
            }
            for (i, a) in [a0, a1, a2, a3].enumerated() {
                let products = Int(unsafeBitCast(a, to: SIMD8<Int32>.self).wrappedSum())
                out[r + i] = Float(products - qsum) / multiplier
            }
            r += 4
        }
        while r < rows {
            out[r] = i2_s(w + r * stride, x, count)
            r += 1
        }
    }

    /// I2_S · I8 for two activation rows at once (`RowPairsDotFunction` contract, prefill): two weight rows per
    /// pass, codes extracted once for both activations; exact integer sums as `i2_sRows`, then each activation's own
    /// offset and divisor. An odd last row goes to `i2_sRows`.
    public static func i2_sRowPairs(
        _ w: UnsafeRawPointer, _ stride: Int, _ x0: UnsafeRawPointer, _ x1: UnsafeRawPointer, _ count: Int,
        _ out0: UnsafeMutablePointer<Float>, _ out1: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1)
        let qsum0 = Int(x0.loadUnaligned(fromByteOffset: count + 4, as: Int32.self))
        let qsum1 = Int(x1.loadUnaligned(fromByteOffset: count + 4, as: Int32.self))
        let multiplier0 = x0.loadUnaligned(fromByteOffset: count, as: Float.self)
        let multiplier1 = x1.loadUnaligned(fromByteOffset: count, as: Float.self)
        var r = 0
        while r + 2 <= rows {  // rows r, r+1 exist
            let w0 = w + r * stride, w1 = w0 + stride
            var a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00  // a<row><activation>
            for b in 0..<count / 128 {  // the layout of `i2_sRows`
                let o = 32 * b, xq0 = x0 + 128 * b, xq1 = x1 + 128 * b
                let r0 = load256(w0, o), r1 = load256(w1, o)
                var s00 = _mm256_setzero_si256(), s01 = s00, s10 = s00, s11 = s00
                for l in 0..<4 {
                    let shift = Int32(6 - 2 * l), c0 = codes(r0, shift, mask), c1 = codes(r1, shift, mask)
                    let xv0 = load256(xq0, 32 * l), xv1 = load256(xq1, 32 * l)
                    s00 = _mm256_add_epi16(s00, _mm256_maddubs_epi16(c0, xv0))
                    s01 = _mm256_add_epi16(s01, _mm256_maddubs_epi16(c0, xv1))
                    s10 = _mm256_add_epi16(s10, _mm256_maddubs_epi16(c1, xv0))
                    s11 = _mm256_add_epi16(s11, _mm256_maddubs_epi16(c1, xv1))
                }
                a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(s00, ones))
                a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(s01, ones))
                a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(s10, ones))
                a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(s11, ones))
            }
            @inline(__always) func finish(_ a: __m256i, _ qsum: Int, _ multiplier: Float) -> Float {
                Float(Int(unsafeBitCast(a, to: SIMD8<Int32>.self).wrappedSum()) - qsum) / multiplier
            }
            out0[r] = finish(a00, qsum0, multiplier0)
            out1[r] = finish(a01, qsum1, multiplier1)
            out0[r + 1] = finish(a10, qsum0, multiplier0)
            out1[r + 1] = finish(a11, qsum1, multiplier1)
            r += 2
        }
        if r < rows {
            i2_sRows(w + r * stride, stride, x0, count, out0 + r, rows - r)
            i2_sRows(w + r * stride, stride, x1, count, out1 + r, rows - r)
        }
    }

    // MARK: F16 · F16

    /// F16 · F16 for `rows` rows (`RowsDotFunction` contract), two rows per pass; each row as `f16` (four 8-lane
    /// accumulators over 32-element chunks, `GGMLMath.reduce`, then `f16Tail`).
    public static func f16Rows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        @inline(__always) func widen(_ p: UnsafeRawPointer, _ o: Int) -> __m256 {
            _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: o, as: __m128i.self))
        }
        let body = count & ~31
        var r = 0
        while r + 2 <= rows {  // rows r, r+1 exist
            let w0 = w + r * stride, w1 = w0 + stride
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            var b0 = a0, b1 = a0, b2 = a0, b3 = a0
            let ahead = w0 + prefetchRows * stride
            var j = 0
            while j < body {  // elements j ..< j+32 are inside both rows and x
                let o = 2 * j
                prefetch(ahead + 2 * o, lines: 3)  // this pass reads 2 × 64 bytes: at most 3 lines
                var xv = widen(x, o)
                a0 = _mm256_fmadd_ps(widen(w0, o), xv, a0)
                b0 = _mm256_fmadd_ps(widen(w1, o), xv, b0)
                xv = widen(x, o + 16)
                a1 = _mm256_fmadd_ps(widen(w0, o + 16), xv, a1)
                b1 = _mm256_fmadd_ps(widen(w1, o + 16), xv, b1)
                xv = widen(x, o + 32)
                a2 = _mm256_fmadd_ps(widen(w0, o + 32), xv, a2)
                b2 = _mm256_fmadd_ps(widen(w1, o + 32), xv, b2)
                xv = widen(x, o + 48)
                a3 = _mm256_fmadd_ps(widen(w0, o + 48), xv, a3)
                b3 = _mm256_fmadd_ps(widen(w1, o + 48), xv, b3)
                j += 32
            }
            out[r] = f16Tail(GGMLMath.reduce(a0, a1, a2, a3), w0, x, from: j, count)
            out[r + 1] = f16Tail(GGMLMath.reduce(b0, b1, b2, b3), w1, x, from: j, count)
            r += 2
        }
        if r < rows { out[r] = f16(w + r * stride, x, count) }
    }
}
#endif
