import Foundation

/// Vector operations over F16 rows (a key/value cache) with F32 partners, in the arithmetic order ggml-cpu uses
/// on AVX2 + F16C, so attention over an F16 cache rounds as llama.cpp's does. Each public function runs the active
/// level's form (`RowKernels`); the `…Portable` forms are the scalar level's, with the same sums in the same order
/// (F16 widening and narrowing are exact or correctly rounded either way).
public enum HalfVectorOps {
    /// `Σ q[i]·k[i]` for `count` elements; `k` is F16. Over whole 32-element steps ggml's order: four 8-lane FMA
    /// accumulators, reduced pairwise, then across lanes; the remainder is added in order.
    @inline(__always)
    public static func dot(_ q: UnsafePointer<Float>, _ k: UnsafePointer<UInt16>, count: Int) -> Float {
        RowKernels.active.halfDot(q, k, count)
    }

    static func dotPortable(_ q: UnsafePointer<Float>, _ k: UnsafePointer<UInt16>, count: Int) -> Float {
        var s0 = SIMD8<Float>(), s1 = s0, s2 = s0, s3 = s0
        let whole = count / 32 * 32
        var i = 0
        // Each step reads q[i ..< i+32] and k[i ..< i+32], inside the caller's `count` elements.
        while i < whole {
            s0 = GGMLMath.fma(widen8(k + i), floats(q + i), s0)
            s1 = GGMLMath.fma(widen8(k + i + 8), floats(q + i + 8), s1)
            s2 = GGMLMath.fma(widen8(k + i + 16), floats(q + i + 16), s2)
            s3 = GGMLMath.fma(widen8(k + i + 24), floats(q + i + 24), s3)
            i += 32
        }
        var sum = GGMLMath.reduce(s0, s1, s2, s3)
        while i < count { sum += q[i] * HalfFloat.toFloat(k[i]); i += 1 }
        return sum
    }

    /// `dotPortable` in the order of llama.cpp's ARM64 build (`ggml_vec_dot_f16` with Advanced SIMD and no FP16
    /// arithmetic, as the flash attention's query·key dot runs there): four 4-lane FMA accumulators over 16-element
    /// groups, reduced `(a0 + a2) + (a1 + a3)` lane-wise and then `(l0 + l1) + (l2 + l3)`, widened to `Double` for the
    /// leftover products, rounded once. (The same order as `bitnet_neon_dot_f16`.)
    static func dotPortableARM(_ q: UnsafePointer<Float>, _ k: UnsafePointer<UInt16>, count: Int) -> Float {
        var a = [SIMD4<Float>](repeating: SIMD4<Float>(), count: 4)
        let whole = count / 16 * 16
        var i = 0
        while i < whole {  // q[i ..< i+16] and k[i ..< i+16] are inside `count`
            for j in 0..<4 {
                var kv = SIMD4<Float>(), qv = SIMD4<Float>()
                for l in 0..<4 { (kv[l], qv[l]) = (HalfFloat.toFloat(k[i + 4 * j + l]), q[i + 4 * j + l]) }
                a[j] = a[j].addingProduct(kv, qv)  // one rounding per lane, as vfmaq_f32
            }
            i += 16
        }
        let t = (a[0] + a[2]) + (a[1] + a[3])
        var sum = Double((t[0] + t[1]) + (t[2] + t[3]))
        while i < count { sum += Double(q[i] * HalfFloat.toFloat(k[i])); i += 1 }
        return Float(sum)
    }

    /// `out[i] = out[i] + w·v[i]` with one rounding (fused), `v` F16.
    @inline(__always)
    public static func multiplyAdd(_ v: UnsafePointer<UInt16>, _ w: Float, into out: UnsafeMutablePointer<Float>,
                                   count: Int) {
        RowKernels.active.halfMultiplyAdd(v, w, out, count)
    }

    static func multiplyAddPortable(_ v: UnsafePointer<UInt16>, _ w: Float, into out: UnsafeMutablePointer<Float>,
                                    count: Int) {
        for i in 0..<count { out[i] = out[i].addingProduct(HalfFloat.toFloat(v[i]), w) }
    }

    /// ggml's one-chunk flash attention of one query row `q` (`keyLength` floats, already rounded to F16 values) over
    /// F16 cache rows: keys at `keys + p·keyStride`, values at `values + p·valueStride`, positions `first...last`,
    /// into `out` (`valueLength` floats). The active level's form (one call per query row and head).
    @inline(__always)
    public static func attend(_ q: UnsafePointer<Float>, keys: UnsafePointer<UInt16>, keyStride: Int,
                              values: UnsafePointer<UInt16>, valueStride: Int, positions: ClosedRange<Int>,
                              keyLength: Int, valueLength: Int, scale: Float, into out: UnsafeMutablePointer<Float>) {
        RowKernels.active.attendHalf(q, keys, keyStride, values, valueStride, positions.lowerBound, positions.upperBound,
                                     keyLength, valueLength, scale, out)
    }

    /// The portable levels' `attend`: the composition of their own operations.
    static func attendPortable(_ q: UnsafePointer<Float>, _ keys: UnsafePointer<UInt16>, _ keyStride: Int,
                               _ values: UnsafePointer<UInt16>, _ valueStride: Int, _ first: Int, _ last: Int,
                               _ keyLength: Int, _ valueLength: Int, _ scale: Float, _ out: UnsafeMutablePointer<Float>) {
        attendComposed(.portable, q, keys, keyStride, values, valueStride, first, last, keyLength, valueLength, scale, out)
    }

    static func attendPortableARM(_ q: UnsafePointer<Float>, _ keys: UnsafePointer<UInt16>, _ keyStride: Int,
                                  _ values: UnsafePointer<UInt16>, _ valueStride: Int, _ first: Int, _ last: Int,
                                  _ keyLength: Int, _ valueLength: Int, _ scale: Float,
                                  _ out: UnsafeMutablePointer<Float>) {
        attendComposed(.portableARM, q, keys, keyStride, values, valueStride, first, last, keyLength, valueLength, scale,
                       out)
    }

    /// `attend` composed of `table`'s `halfDot`, `halfMultiplyAdd` and `roundToHalf` — the reference every level's
    /// fused form is tested against, and the portable levels' form. Per position p: s = (q·K[p])·scale; a new
    /// maximum rescales the output by e^(old − s) and rounds it to F16, otherwise the weight is e^(s − max); then
    /// `out += w·V[p]` (fused) rounded to F16, and `sum = w + sum·rescale` (fused, as gcc contracts ggml's
    /// `S = S*ms + vs`); finally `out *= 1/sum`.
    static func attendComposed(_ table: RowKernels, _ q: UnsafePointer<Float>, _ keys: UnsafePointer<UInt16>,
                               _ keyStride: Int, _ values: UnsafePointer<UInt16>, _ valueStride: Int, _ first: Int,
                               _ last: Int, _ keyLength: Int, _ valueLength: Int, _ scale: Float,
                               _ out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: valueLength)
        var sum: Float = 0, maxScore = -Float.infinity
        for p in first...last {
            let s = table.halfDot(q, keys + p * keyStride, keyLength) * scale
            var weight: Float = 1, rescaleForSum: Float = 1
            if s > maxScore {
                let rescale = expf(maxScore - s)  // 0 for the first position
                maxScore = s
                for i in 0..<valueLength { out[i] *= rescale }
                table.roundToHalf(out, valueLength)
                rescaleForSum = rescale
            } else {
                weight = expf(s - maxScore)
            }
            table.halfMultiplyAdd(values + p * valueStride, weight, out, valueLength)
            table.roundToHalf(out, valueLength)
            sum = weight.addingProduct(sum, rescaleForSum)
        }
        let inverse = 1 / sum
        for i in 0..<valueLength { out[i] *= inverse }
    }

    /// Rounds `count` floats to the nearest F16 value in place (ties to even).
    @inline(__always)
    public static func roundToHalf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        RowKernels.active.roundToHalf(x, count)
    }

    static func roundToHalfPortable(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] = HalfFloat.round(x[i]) }
    }

    /// Narrows `count` floats to F16 bit patterns (ties to even, as `HalfFloat.fromFloat`).
    @inline(__always)
    public static func narrow(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<UInt16>, count: Int) {
        RowKernels.active.narrowToHalf(x, y, count)
    }

    static func narrowPortable(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<UInt16>, count: Int) {
        for i in 0..<count { y[i] = HalfFloat.fromFloat(x[i]) }
    }

    /// Widens `count` F16 values at `src` into `out[0..<count]` (exact).
    @inline(__always)
    public static func widen(_ src: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, count: Int) {
        RowKernels.active.widenHalf(src, out, count)
    }

    /// Widens `count` F16 values into `out[i · step]` (a transposed copy; exact).
    @inline(__always)
    public static func widen(_ src: UnsafePointer<UInt16>, into out: UnsafeMutablePointer<Float>, count: Int,
                             step: Int) {
        RowKernels.active.widenHalfStrided(src, out, count, step)
    }

    static func widenPortable(_ src: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, count: Int) {
        let h = src.assumingMemoryBound(to: UInt16.self)
        for i in 0..<count { out[i] = HalfFloat.toFloat(h[i]) }
    }

    static func widenPortable(_ src: UnsafePointer<UInt16>, into out: UnsafeMutablePointer<Float>, count: Int,
                              step: Int) {
        for i in 0..<count { out[i * step] = HalfFloat.toFloat(src[i]) }
    }

    /// Widens the 8 F16 values at `p` (exact).
    @inline(__always)
    static func widen8(_ p: UnsafePointer<UInt16>) -> SIMD8<Float> {
        var v = SIMD8<Float>()
        for l in 0..<8 { v[l] = HalfFloat.toFloat(p[l]) }
        return v
    }

    @inline(__always) static func floats(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
}
