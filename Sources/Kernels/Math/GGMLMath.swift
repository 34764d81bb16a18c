import Foundation

/// Row operations in the exact arithmetic ggml-cpu uses on x86-64 with AVX2 + FMA (the pinned llama.cpp build),
/// so that our logits can equal llama.cpp's bit for bit: its vectorised `exp` (a polynomial, not libm's `expf`),
/// the softmax and SwiGLU built on it, and the summation orders of its F32 dot products. The public row functions
/// run the active level's form (`RowKernels`: the AVX2 C kernels, or at `.scalar` the `…Portable` Swift forms
/// here, which do the same arithmetic through Swift's SIMD types, fused multiply-adds included, so results are
/// identical).
public enum GGMLMath {
    /// `a·b + c` with one rounding.
    @inline(__always)
    public static func fma(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> SIMD8<Float> {
        c.addingProduct(a, b)
    }

    @inline(__always)
    static func splat(_ v: Float) -> SIMD8<Float> { SIMD8(repeating: v) }

    /// `e^x` on 8 lanes as ggml-cpu's AVX2 `ggml_v_expf` computes it: range reduction by ln 2 in two parts, a
    /// degree-5 polynomial, and the exponent built in the integer bits (≤ 1.5 ulp from the true value; ≥ 88.38 → ∞,
    /// ≤ −103.97 → 0; −∞ → 0).
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let r = splat(0x1.8p23)
        let z = fma(x, splat(0x1.715476p+0), r)
        let n = z - r
        let b = fma(-n, splat(0x1.7f7d1cp-20), fma(-n, splat(0x1.62e4p-1), x))
        let e = unsafeBitCast(z, to: SIMD8<UInt32>.self) &<< 23
        let k = unsafeBitCast(e &+ SIMD8(repeating: Float(1).bitPattern), to: SIMD8<Float>.self)
        let magnitude = unsafeBitCast(unsafeBitCast(n, to: SIMD8<UInt32>.self) & SIMD8(repeating: 0x7FFF_FFFF),
                                      to: SIMD8<Float>.self)
        let large = magnitude .> splat(126)
        let u = b * b
        let j = fma(fma(fma(splat(0x1.0e4020p-7), b, splat(0x1.573e2ep-5)), u,
                        fma(splat(0x1.555e66p-3), b, splat(0x1.fffdb6p-2))),
                    u, splat(0x1.ffffecp-1) * b)
        let normal = fma(j, k, k)
        if !any(large) { return normal }
        // |n| > 126: scale in two steps so the exponent does not overflow; |n| > 192: saturate to 0 or ∞.
        let g = SIMD8<UInt32>(repeating: 0).replacing(with: 0x8200_0000, where: n .<= splat(0))
        let s1 = unsafeBitCast(g &+ SIMD8(repeating: 0x7F00_0000), to: SIMD8<Float>.self)
        let s2 = unsafeBitCast(e &- g, to: SIMD8<Float>.self)
        let huge = magnitude .> splat(192)
        return normal.replacing(with: fma(s2, j, s2) * s1, where: large).replacing(with: s1 * s1, where: huge)
    }

    /// The horizontal sum ggml-cpu (and llamafile's tinyBLAS) take of 8 lanes:
    /// `((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7))`.
    @inline(__always)
    public static func sumLanes(_ v: SIMD8<Float>) -> Float {
        let t = v.lowHalf + v.highHalf
        return (t[0] + t[2]) + (t[1] + t[3])
    }

    /// ggml's `GGML_F32x8_REDUCE` of four 8-lane accumulators: pairwise `(a0+a2) + (a1+a3)`, then
    /// `(t0+t1) + (t2+t3)` over `t = low + high`.
    @inline(__always)
    public static func reduce(_ a0: SIMD8<Float>, _ a1: SIMD8<Float>, _ a2: SIMD8<Float>, _ a3: SIMD8<Float>) -> Float {
        let v = (a0 + a2) + (a1 + a3)
        let t = v.lowHalf + v.highHalf
        return (t[0] + t[1]) + (t[2] + t[3])
    }

    /// `Σ x[i]·y[i]` as `ggml_vec_dot_f32` on AVX2 (llama.cpp's one-token F32 matmul): four 8-lane FMA accumulators
    /// over whole 32-element steps, `reduce`, then the remainder added in order in `Float`, as gcc compiled ggml's
    /// leftover loop `sumf += x[i]*y[i]`: vectorised in groups of 8 and 4 (products rounded, then added one by one)
    /// with the last `count % 4` elements in a scalar loop contracted to FMAs.
    public static func dotVec(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        RowKernels.active.dotVec(x, y, count)
    }

    /// `dotVec` in portable Swift (the scalar level's form and `DotScalar.f32`'s).
    @inline(__always)
    static func dotVecPortable(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0
        let whole = count / 32 * 32
        var i = 0
        // Each step reads x[i ..< i+32] and y[i ..< i+32], inside `count`.
        while i < whole {
            a0 = fma(load(x + i), load(y + i), a0)
            a1 = fma(load(x + i + 8), load(y + i + 8), a1)
            a2 = fma(load(x + i + 16), load(y + i + 16), a2)
            a3 = fma(load(x + i + 24), load(y + i + 24), a3)
            i += 32
        }
        var sum = reduce(a0, a1, a2, a3)
        let rounded = count - count % 4
        while i < rounded { sum += x[i] * y[i]; i += 1 }
        while i < count { sum = sum.addingProduct(x[i], y[i]); i += 1 }
        return sum
    }

    /// Softmax of a row of `count` scores as ggml-cpu's `soft_max` computes it after masking: `max`, then
    /// `e = exp(x − max)` with `exp` over 8-lane groups from index 0 (the remainder with libm's `expf`), the sum of
    /// each group's `sumLanes` in `Double`, and every `e` multiplied by `Float(1 / sum)`. Masked scores are −∞
    /// (→ 0). In place.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        RowKernels.active.softmax(x, count)
    }

    static func softmaxPortable(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maximum = -Float.infinity
        for j in 0..<count { maximum = max(maximum, x[j]) }
        var sum = 0.0
        var i = 0
        // Each group reads and writes x[i ..< i+8], inside `count`.
        while i + 8 <= count {
            let e = exp(load(x + i) - splat(maximum))
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD8<Float>.self)
            sum += Double(sumLanes(e))
            i += 8
        }
        while i < count {
            let e = expf(x[i] - maximum)
            x[i] = e
            sum += Double(e)
            i += 1
        }
        let inverse = Float(1 / sum)
        for j in 0..<count { x[j] *= inverse }
    }

    /// `y = silu(gate) · up` per row of `width` as ggml-cpu's `ggml_vec_swiglu_f32`: 8-lane groups from the start
    /// of each row use `x / (1 + exp(0 − x))` with the vector `exp`; a row's last `width % 8` elements use libm's
    /// `expf`. `y` may alias `gate` or `up`; `count` is a multiple of `width`.
    public static func swiglu(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                              count: Int, width: Int) {
        RowKernels.active.swiglu(gate, up, y, count, width)
    }

    static func swigluPortable(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                               count: Int, width: Int) {
        guard width > 0 else { return }
        var row = 0
        while row < count {
            var i = row
            let end = min(row + width, count)
            // Each group reads gate/up[i ..< i+8] and writes y[i ..< i+8], inside this row.
            while i + 8 <= end {
                let x = load(gate + i)
                let silu = x / (splat(1) + exp(splat(0) - x))
                UnsafeMutableRawPointer(y + i).storeBytes(of: silu * load(up + i), as: SIMD8<Float>.self)
                i += 8
            }
            while i < end {
                y[i] = gate[i] / (1 + expf(-gate[i])) * up[i]
                i += 1
            }
            row = end
        }
    }

    /// `swigluPortable` as llama.cpp's ARM64 build computes it (`ggml_vec_swiglu_f32` with Advanced SIMD): the same
    /// values per element (ggml's 4- and 8-lane `ggml_v_expf` are the same operations), but 4 lanes at a time after
    /// the 8-lane groups, so only the last `width % 4` elements of a row take the scalar `expf`.
    static func swigluPortableARM(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                  count: Int, width: Int) {
        guard width > 0 else { return }
        var row = 0
        while row < count {
            let end = min(row + width, count), octets = row + (end - row) / 8 * 8, vectorEnd = row + (end - row) / 4 * 4
            // The 8-lane groups (gate/up/y[row ..< octets], inside this row), then at most one 4-lane group.
            swigluPortable(gate: gate + row, up: up + row, into: y + row, count: octets - row, width: octets - row)
            if vectorEnd > octets {  // the 4-lane group, computed in the low half of an 8-lane one
                let i = octets
                var x = SIMD8<Float>(repeating: 0), u = SIMD8<Float>(repeating: 0)
                for l in 0..<4 { (x[l], u[l]) = (gate[i + l], up[i + l]) }
                let r = x / (splat(1) + exp(splat(0) - x)) * u
                for l in 0..<4 { y[i + l] = r[l] }
            }
            for i in vectorEnd..<end { y[i] = gate[i] / (1 + expf(-gate[i])) * up[i] }
            row = end
        }
    }

    /// `expShiftedSumPortable` as llama.cpp's ARM64 build computes it (`ggml_vec_soft_max_f32`): 4-lane groups, each
    /// group's pairwise sum `(e0 + e1) + (e2 + e3)` added in `Double`.
    static func expShiftedSumPortableARM(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Double {
        var total = 0.0
        for g in stride(from: 0, to: count, by: 8) {  // x[g ..< g+8] is inside `count` (a multiple of 8)
            let e = exp(load(x + g) - splat(shift))
            UnsafeMutableRawPointer(x + g).storeBytes(of: e, as: SIMD8<Float>.self)
            total += Double((e[0] + e[1]) + (e[2] + e[3]))
            total += Double((e[4] + e[5]) + (e[6] + e[7]))
        }
        return total
    }

    /// For each 8-lane group of `x` (`count` a multiple of 8): `e = exp(x − shift)` stored back, and the sum of every
    /// group's `sumLanes(e)` in `Double` returned — the weights of one flash-attention tile and their sum.
    public static func expShiftedSum(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Double {
        RowKernels.active.expShiftedSum(x, count, shift)
    }

    static func expShiftedSumPortable(_ x: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Double {
        var total = 0.0
        for g in stride(from: 0, to: count, by: 8) {  // x[g ..< g+8] is inside `count`
            let e = exp(load(x + g) - splat(shift))
            UnsafeMutableRawPointer(x + g).storeBytes(of: e, as: SIMD8<Float>.self)
            total += Double(sumLanes(e))
        }
        return total
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
}
