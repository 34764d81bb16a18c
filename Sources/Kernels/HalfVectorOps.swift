#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Vector operations over F16 rows (a key/value cache) with F32 partners, in the arithmetic order ggml-cpu uses
/// on AVX2 + F16C, so attention over an F16 cache rounds as llama.cpp's does. Scalar fallbacks elsewhere compute
/// the same sums in a different order.
public enum HalfVectorOps {
    /// `Σ q[i]·k[i]` for `count` elements; `k` is F16. Over whole 32-element steps ggml's order: four 8-lane FMA
    /// accumulators, reduced pairwise, then across lanes; the remainder is added in order.
    @inline(__always)
    public static func dot(_ q: UnsafePointer<Float>, _ k: UnsafePointer<UInt16>, count: Int) -> Float {
        #if arch(x86_64)
        var s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0
        let whole = count / 32 * 32
        var i = 0
        // Each step reads q[i ..< i+32] and k[i ..< i+32], inside the caller's `count` elements.
        while i < whole {
            s0 = _mm256_fmadd_ps(halfs(k + i), floats(q + i), s0)
            s1 = _mm256_fmadd_ps(halfs(k + i + 8), floats(q + i + 8), s1)
            s2 = _mm256_fmadd_ps(halfs(k + i + 16), floats(q + i + 16), s2)
            s3 = _mm256_fmadd_ps(halfs(k + i + 24), floats(q + i + 24), s3)
            i += 32
        }
        let v = (s0 + s2) + (s1 + s3)
        let quad = v.lowHalf + v.highHalf
        var sum = (quad[0] + quad[1]) + (quad[2] + quad[3])
        while i < count { sum += q[i] * HalfFloat.toFloat(k[i]); i += 1 }
        return sum
        #else
        var sum: Float = 0
        for i in 0..<count { sum += q[i] * HalfFloat.toFloat(k[i]) }
        return sum
        #endif
    }

    /// `out[i] = out[i] + w·v[i]` with one rounding (fused), `v` F16.
    @inline(__always)
    public static func multiplyAdd(_ v: UnsafePointer<UInt16>, _ w: Float, into out: UnsafeMutablePointer<Float>,
                                   count: Int) {
        var i = 0
        #if arch(x86_64)
        let wv = _mm256_set1_ps(w)
        // Each step touches v[i ..< i+8] and out[i ..< i+8], inside `count`.
        while i + 8 <= count {
            let r = _mm256_fmadd_ps(halfs(v + i), wv, floats(out + i))
            UnsafeMutableRawPointer(out + i).storeBytes(of: r, as: __m256.self)
            i += 8
        }
        #endif
        while i < count { out[i] = out[i].addingProduct(HalfFloat.toFloat(v[i]), w); i += 1 }
    }

    /// Widens 8 F16 values at `p` to F32 (exact; `vcvtph2ps` with F16C).
    @inline(__always)
    public static func widen8(_ p: UnsafePointer<UInt16>) -> SIMD8<Float> {
        #if arch(x86_64)
        return halfs(p)
        #else
        var v = SIMD8<Float>()
        for l in 0..<8 { v[l] = HalfFloat.toFloat(p[l]) }
        return v
        #endif
    }

    /// Rounds `count` floats to the nearest F16 value in place (ties to even), 8 lanes at a time.
    @inline(__always)
    public static func roundToHalf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        #if arch(x86_64)
        // Float → Float16 → Float on 8 lanes compiles to vcvtps2ph / vcvtph2ps (round to nearest even) with F16C.
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: SIMD8<Float>(SIMD8<Float16>(v)), as: SIMD8<Float>.self)
            i += 8
        }
        #endif
        while i < count { x[i] = HalfFloat.round(x[i]); i += 1 }
    }

    /// Narrows `count` floats to F16 bit patterns (ties to even, as `HalfFloat.fromFloat`), 8 lanes at a time.
    @inline(__always)
    public static func narrow(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<UInt16>, count: Int) {
        var i = 0
        #if arch(x86_64)
        // Float → Float16 on 8 lanes compiles to vcvtps2ph (round to nearest even) with F16C.
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: SIMD8<Float16>(v), as: SIMD8<Float16>.self)
            i += 8
        }
        #endif
        while i < count { y[i] = HalfFloat.fromFloat(x[i]); i += 1 }
    }

    #if arch(x86_64)
    @inline(__always) static func halfs(_ p: UnsafePointer<UInt16>) -> __m256 {
        _mm256_cvtph_ps(UnsafeRawPointer(p).loadUnaligned(as: __m128i.self))
    }

    @inline(__always) static func floats(_ p: UnsafePointer<Float>) -> __m256 {
        UnsafeRawPointer(p).loadUnaligned(as: __m256.self)
    }
    #endif
}
