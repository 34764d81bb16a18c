#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX2 + FMA + F16C dot products, the same contracts as `DotScalar` (see there for argument meanings and the
/// bounds argument: every load below reads inside block `b < count / blockSize` of its row).
///
/// Integer work per block is exact (int8 products summed in int16 pairs then int32); only the float accumulation
/// order differs from the scalar reference. Activations must come from `ActivationQuantizer` (quants in −127…127):
/// the sign trick used for signed × signed products cannot represent an activation of −128.
public enum DotAVX2 {
    @inline(__always) static func load256(_ p: UnsafeRawPointer, _ offset: Int) -> __m256i {
        p.loadUnaligned(fromByteOffset: offset, as: __m256i.self)
    }

    /// Widens the F16 at `offset`. Goes through `vmovd` (zero-extending) rather than `_cvtsh_ss`, whose `vpinsrw`
    /// merges into a stale register and so chained every block to the previous one's accumulator.
    @inline(__always) static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        let bits = Int32(p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(bits)))
    }

    /// Widens the two adjacent F16s at `offset` (e.g. Q4_1's d, m or Q8_1's d, s) into lanes 0 and 1.
    @inline(__always) static func halfPair(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD4<Float> {
        let bits = Int32(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        return _mm_cvtph_ps(_mm_cvtsi32_si128(bits))
    }

    /// 16 bytes of packed nibbles → 32 bytes: low nibbles in bytes 0..<16, high nibbles in bytes 16..<32.
    @inline(__always) static func nibbles(_ p: UnsafeRawPointer, _ offset: Int) -> __m256i {
        let raw = p.loadUnaligned(fromByteOffset: offset, as: __m128i.self)
        return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F))
    }

    /// Unsigned bytes `a` · signed bytes `b`, summed in groups of four into 8 int32 lanes.
    @inline(__always) static func dotU8I8(_ a: __m256i, _ b: __m256i) -> __m256i {
        _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1))
    }

    /// Signed bytes `a` · signed bytes `b` (b ≠ −128), summed in groups of four into 8 int32 lanes.
    @inline(__always) static func dotI8I8(_ a: __m256i, _ b: __m256i) -> __m256i {
        dotU8I8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a))
    }

    /// Bit k of `bits` → byte k = 0xFF or 0x00.
    @inline(__always) static func bytesFromBits(_ bits: UInt32) -> __m256i {
        let spread = _mm256_shuffle_epi8(
            _mm256_set1_epi32(Int32(bitPattern: bits)),
            _mm256_set_epi64x(0x0303_0303_0303_0303, 0x0202_0202_0202_0202, 0x0101_0101_0101_0101, 0))
        let select = _mm256_set1_epi64x(Int64(bitPattern: 0x8040_2010_0804_0201))
        return _mm256_cmpeq_epi8(_mm256_and_si256(spread, select), select)
    }

    @inline(__always) static func float(_ v: __m256i) -> __m256 { _mm256_cvtepi32_ps(v) }

    /// Sum of the 8 int32 lanes (exact for the block sums here, which stay far inside Int32).
    @inline(__always) static func wrappedSum(_ v: __m256i) -> Int32 {
        unsafeBitCast(v, to: SIMD8<Int32>.self).wrappedSum()
    }

    /// The lane sums of four int32 vectors, (Σa, Σb, Σc, Σd), in one reduction (exact).
    @inline(__always) static func wrappedSums(_ a: __m256i, _ b: __m256i, _ c: __m256i, _ d: __m256i) -> SIMD4<Int32> {
        let pairs = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d))
        let h = unsafeBitCast(pairs, to: SIMD8<Int32>.self)
        return h.lowHalf &+ h.highHalf
    }

    /// Horizontal sum of 8 lanes as a tree (the ordered `sum()` is a chain of 8 dependent adds).
    @inline(__always) static func hsum(_ v: __m256) -> Float {
        let quad = v.lowHalf + v.highHalf
        let pair = quad.lowHalf + quad.highHalf
        return pair[0] + pair[1]
    }

    /// Σ_b d_b · Σ(products_b) over `blocks` blocks, accumulated in one FMA chain in block order.
    /// `block(b)` returns the block's combined F32 scale and its 8 int32 partial products.
    ///
    /// One chain (rather than two interleaved ones) is the order ggml-cpu's AVX2 dot products use. The sums then
    /// round exactly as llama.cpp's do, which matters: a last-bit difference in a matmul output can flip an 8-bit
    /// activation quantization downstream and move the logits visibly (see docs/parity.md).
    @inline(__always)
    static func sumBlocks(_ blocks: Int, _ block: (Int) -> (Float, __m256i)) -> Float {
        var acc = _mm256_setzero_ps()
        for b in 0..<blocks {
            let (d, p) = block(b)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(d), float(p), acc)
        }
        return hsum(acc)
    }

    // MARK: 32-element block formats
    // The block scales at offset 0 are read with `scales` (a 32-bit load) rather than `half`: see there.

    /// Q8_0 · Q8_0.
    public static func q8_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        sumBlocks(count / 32) { b in
            let wb = w + b * BlockLayout.q8_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            return (scales(wb)[0] * scales(xb)[0], dotI8I8(load256(wb, 2), load256(xb, 2)))
        }
    }

    /// Q4_0 · Q8_0.
    public static func q4_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        sumBlocks(count / 32) { b in
            let wb = w + b * BlockLayout.q4_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            let q = _mm256_sub_epi8(nibbles(wb, 2), _mm256_set1_epi8(8))
            return (scales(wb)[0] * scales(xb)[0], dotI8I8(q, load256(xb, 2)))
        }
    }

    /// Q4_1 · Q8_1.
    public static func q4_1(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var minTerms: Float = 0
        let products = sumBlocks(count / 32) { b in
            let wb = w + b * BlockLayout.q4_1Bytes, xb = x + b * BlockLayout.q8_1Bytes
            let w = halfPair(wb, 0), x = halfPair(xb, 0)  // (d_w, m_w), (d_x, s_x)
            minTerms = minTerms.addingProduct(w[1], x[1])  // fused, as ggml's compiled loop does
            return (w[0] * x[0], dotU8I8(nibbles(wb, 4), load256(xb, 4)))
        }
        return products + minTerms
    }

    /// Q5_0 · Q8_0.
    public static func q5_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        sumBlocks(count / 32) { b in
            let wb = w + b * BlockLayout.q5_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            return (scales(wb)[0] * scales(xb)[0], dotI8I8(q5_0Values(wb), load256(xb, 2)))
        }
    }

    // MARK: K-quants (256-element super-blocks, Q8_K activations)

    /// Q4_K · Q8_K.
    public static func q4_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var acc = _mm256_setzero_ps()
        var minTerms: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q4_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let dx = xb.loadUnaligned(as: Float.self)
            let (products, minDot) = q4_KBlockProducts(wb, xb)
            minTerms += half(wb, 2) * dx * Float(unsafeBitCast(minDot, to: SIMD8<Int32>.self).wrappedSum())
            acc = _mm256_fmadd_ps(_mm256_set1_ps(half(wb, 0) * dx), float(products), acc)
        }
        return hsum(acc) - minTerms
    }

    /// One Q4_K super-block `wb` against its Q8_K block `xb`, exactly in integers: 8 int32 lanes whose sum is
    /// Σ_s sc_s·Σ q·q_x, and 8 lanes (lane s = sub-block s) holding m_s·(bsum_2s + bsum_2s+1).
    @inline(__always)
    static func q4_KBlockProducts(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> (__m256i, __m256i) {
        let (scales, mins) = q4_KScalesMins(wb)
        var isum = _mm256_setzero_si256()
        for chunk in 0..<4 { isum = _mm256_add_epi32(isum, q4_KChunkProducts(wb, xb, chunk, scales)) }
        return (isum, q4_KMinProducts(xb, mins))
    }

    /// The 12 scale bytes of a Q4_K block → (scales, mins): 8 six-bit values each, 4 per UInt32 (lo, hi).
    @inline(__always)
    static func q4_KScalesMins(_ wb: UnsafeRawPointer) -> ((UInt32, UInt32), (UInt32, UInt32)) {
        let s0 = wb.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        let s1 = wb.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
        let s2 = wb.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        let scalesLo = s0 & 0x3F3F_3F3F, minsLo = s1 & 0x3F3F_3F3F
        let scalesHi = (s2 & 0x0F0F_0F0F) | (((s0 >> 6) & 0x0303_0303) << 4)
        let minsHi = ((s2 >> 4) & 0x0F0F_0F0F) | (((s1 >> 6) & 0x0303_0303) << 4)
        return ((scalesLo, scalesHi), (minsLo, minsHi))
    }

    /// Sub-blocks 2·chunk (low nibbles) and 2·chunk+1 (high nibbles) of a Q4_K block: 8 int32 lanes whose sum is
    /// sc_2c·Σ q·q_x + sc_2c+1·Σ q·q_x.
    @inline(__always)
    static func q4_KChunkProducts(
        _ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer, _ chunk: Int, _ scales: (UInt32, UInt32)
    ) -> __m256i {
        let low = _mm256_set1_epi8(0x0F)
        let raw = load256(wb, 16 + 32 * chunk)
        let packed = chunk < 2 ? scales.0 : scales.1
        let shift = UInt32(16 * (chunk % 2))
        let sc0 = Int16((packed >> shift) & 0xFF), sc1 = Int16((packed >> (shift + 8)) & 0xFF)
        let p0 = _mm256_maddubs_epi16(_mm256_and_si256(raw, low), load256(xb, 4 + 64 * chunk))
        let p1 = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(raw, 4), low), load256(xb, 36 + 64 * chunk))
        return _mm256_add_epi32(_mm256_madd_epi16(p0, _mm256_set1_epi16(sc0)),
                                _mm256_madd_epi16(p1, _mm256_set1_epi16(sc1)))
    }

    /// Lane s = m_s·(bsum_2s + bsum_2s+1): each min duplicated against the 16 int16 bsums of the Q8_K block.
    @inline(__always)
    static func q4_KMinProducts(_ xb: UnsafeRawPointer, _ mins: (UInt32, UInt32)) -> __m256i {
        let mins8 = _mm_set_epi32(0, 0, Int32(bitPattern: mins.1), Int32(bitPattern: mins.0))
        return _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_unpacklo_epi8(mins8, mins8)), load256(xb, 260))
    }

    /// Q6_K · Q8_K.
    public static func q6_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var acc = _mm256_setzero_ps()
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q6_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let dx = xb.loadUnaligned(as: Float.self)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(half(wb, 208) * dx), float(q6_KBlockProducts(wb, xb)), acc)
        }
        return hsum(acc)
    }

    /// One Q6_K super-block against its Q8_K block, exactly in integers: 8 int32 lanes whose sum is
    /// Σ_g sc_g·Σ (q−32)·q_x. Quants are used unsigned (0…63) and the −32 offset is applied once through the
    /// activation's bsums: Σ sc·(q−32)·x = Σ sc·q·x − 32·Σ_g sc_g·bsum_g.
    @inline(__always)
    static func q6_KBlockProducts(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> __m256i {
        let low = _mm256_set1_epi8(0x0F)
        let scales16 = _mm256_cvtepi8_epi16(wb.loadUnaligned(fromByteOffset: 192, as: __m128i.self))
        let offset = _mm256_slli_epi32(_mm256_madd_epi16(scales16, load256(xb, 260)), 5)
        var isum = _mm256_setzero_si256()
        for part in 0..<2 {  // 128 elements: ql[64], qh[32], scales[8]
            let ql0 = load256(wb, 64 * part), ql1 = load256(wb, 64 * part + 32)
            let qh = load256(wb, 128 + 32 * part)
            let q0 = _mm256_or_si256(_mm256_and_si256(ql0, low),
                                     _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x03)), 4))
            let q1 = _mm256_or_si256(_mm256_and_si256(ql1, low),
                                     _mm256_slli_epi16(_mm256_and_si256(qh, _mm256_set1_epi8(0x0C)), 2))
            let q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low),
                                     _mm256_and_si256(qh, _mm256_set1_epi8(0x30)))
            let q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low),
                                     _mm256_and_si256(_mm256_srli_epi16(qh, 2), _mm256_set1_epi8(0x30)))
            let sc = wb + 192 + 8 * part, xq = xb + 4 + 128 * part
            @inline(__always) func group(_ q: __m256i, _ k: Int) -> __m256i {
                let scale = _mm256_set_m128i(_mm_set1_epi16(Int16(sc.i8(at: 2 * k + 1))),
                                             _mm_set1_epi16(Int16(sc.i8(at: 2 * k))))
                return _mm256_madd_epi16(_mm256_maddubs_epi16(q, load256(xq, 32 * k)), scale)
            }
            isum = _mm256_add_epi32(isum, _mm256_add_epi32(group(q0, 0), group(q1, 1)))
            isum = _mm256_add_epi32(isum, _mm256_add_epi32(group(q2, 2), group(q3, 3)))
        }
        return _mm256_sub_epi32(isum, offset)
    }
}
#endif
