/// Scalar reference dot products: one weight row · one activation row (in the weight's `ActivationFormat`).
///
/// Each block's integer part is summed exactly in `Int`; the float arithmetic per block mirrors ggml's generic
/// `ggml_vec_dot_*` kernels. All take `(weightRow, activationRow, count)` where `count` is the row length in
/// elements, a multiple of the weight's block size, and both rows hold `count` elements in their formats —
/// the matmul checks shapes once per call, so the bounds of every load below follow from `count`.
public enum DotScalar {
    /// F32 · F32 in `ggml_vec_dot_f32`'s AVX2 order, the `vec_dot` llama.cpp runs for one activation row (and for
    /// batches tinyBLAS declines, see `GGMLFloat`): `ggmlBody` over whole 32-element groups, then the remaining
    /// elements added in order in `Float` — products rounded first, except the last `count % 4`, which are fused (gcc
    /// vectorises ggml's leftover loop in groups of 8 and 4 and contracts its scalar end). `DotAVX2.f32` (through
    /// `GGMLMath.dotVec`) computes the same in registers.
    public static func f32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        func element(_ p: UnsafeRawPointer, _ j: Int) -> Float {
            p.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)  // j < count
        }
        var sum = ggmlBody(w, x, count, element)
        var j = count & ~31
        while j < count - count % 4 {
            sum += element(w, j) * element(x, j)
            j += 1
        }
        while j < count {
            sum = sum.addingProduct(element(w, j), element(x, j))
            j += 1
        }
        return sum
    }

    /// F16 · F16 (activations already rounded to F16) in `ggml_vec_dot_f16`'s AVX2 order: `ggmlBody`, then the
    /// remaining elements' F32 products added in `Double` (ggml's `ggml_float` tail). `DotAVX2.f16` computes the same.
    public static func f16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        func element(_ p: UnsafeRawPointer, _ j: Int) -> Float { p.f16(at: 2 * j) }  // j < count
        var sum = Double(ggmlBody(w, x, count, element))
        for j in count & ~31 ..< count { sum += Double(element(w, j) * element(x, j)) }
        return Float(sum)
    }

    /// The whole 32-element groups of ggml's F32/F16 `vec_dot` on AVX2 (`GGML_F32_VEC_FMA`, `GGML_F32x8_REDUCE`):
    /// element j fused-multiply-added into lane j % 8 of accumulator j / 8 % 4, the accumulators reduced by
    /// `GGMLMath.reduce`. `element(p, j)` widens element j of a row.
    @inline(__always)
    static func ggmlBody(
        _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, _ element: (UnsafeRawPointer, Int) -> Float
    ) -> Float {
        var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0
        for j in stride(from: 0, to: count & ~31, by: 32) {  // elements j ..< j+32 are inside both rows
            for l in 0..<8 {
                c0[l] = c0[l].addingProduct(element(w, j + l), element(x, j + l))
                c1[l] = c1[l].addingProduct(element(w, j + 8 + l), element(x, j + 8 + l))
                c2[l] = c2[l].addingProduct(element(w, j + 16 + l), element(x, j + 16 + l))
                c3[l] = c3[l].addingProduct(element(w, j + 24 + l), element(x, j + 24 + l))
            }
        }
        return GGMLMath.reduce(c0, c1, c2, c3)
    }

    /// BF16 · BF16 in `ggml_vec_dot_bf16`'s AVX2 order, the `vec_dot` llama.cpp runs for one activation row (and
    /// for batches tinyBLAS declines, see `GGMLBF16`): element j of each whole 32-element group is fused-multiply-
    /// added into lane j % 8 of accumulator j / 8 % 4 (gcc contracts the source's `_mm256_add_ps(_mm256_mul_ps(…))`
    /// into `vfmadd231ps`), the accumulators are combined as (c0 + c2) + (c1 + c3) and summed by `GGMLBF16.hsum`;
    /// the remaining elements' F32 products are added in `Double` after that sum, as ggml's `ggml_float` tail does.
    /// `DotAVX2.bf16` computes the same in registers.
    public static func bf16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        func element(_ p: UnsafeRawPointer, _ j: Int) -> Float {
            BFloat16.toFloat(p.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self))  // j < count
        }
        var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0
        let body = count & ~31
        var j = 0
        while j < body {  // elements j ..< j+32 are inside both rows
            for l in 0..<8 {
                c0[l] = c0[l].addingProduct(element(w, j + l), element(x, j + l))
                c1[l] = c1[l].addingProduct(element(w, j + 8 + l), element(x, j + 8 + l))
                c2[l] = c2[l].addingProduct(element(w, j + 16 + l), element(x, j + 16 + l))
                c3[l] = c3[l].addingProduct(element(w, j + 24 + l), element(x, j + 24 + l))
            }
            j += 32
        }
        var sum = 0.0  // ggml adds the vector sum to a zeroed double, which turns a −0 into +0
        sum += Double(GGMLBF16.hsum((c0 + c2) + (c1 + c3)))
        while j < count {
            sum += Double(element(w, j) * element(x, j))
            j += 1
        }
        return Float(sum)
    }

    /// Q4_0 · Q8_0.
    public static func q4_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q4_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            var isum = 0
            for j in 0..<16 {
                let byte = wb.u8(at: 2 + j)
                isum += (Int(byte & 0xF) - 8) * Int(xb.i8(at: 2 + j))
                isum += (Int(byte >> 4) - 8) * Int(xb.i8(at: 18 + j))
            }
            sum += Float(isum) * (wb.f16(at: 0) * xb.f16(at: 0))
        }
        return sum
    }

    /// Q4_1 · Q8_1: `d_w·d_x·Σ q_w q_x + m_w·s_x` per block, where `s_x = d_x·Σ q_x`.
    public static func q4_1(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q4_1Bytes, xb = x + b * BlockLayout.q8_1Bytes
            var isum = 0
            for j in 0..<16 {
                let byte = wb.u8(at: 4 + j)
                isum += Int(byte & 0xF) * Int(xb.i8(at: 4 + j))
                isum += Int(byte >> 4) * Int(xb.i8(at: 20 + j))
            }
            sum += (wb.f16(at: 0) * xb.f16(at: 0)) * Float(isum) + wb.f16(at: 2) * xb.f16(at: 2)
        }
        return sum
    }

    /// Q5_0 · Q8_0.
    public static func q5_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q5_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            let qh = wb.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            var isum = 0
            for j in 0..<16 {
                let byte = wb.u8(at: 6 + j)
                let lo = Int(byte & 0xF) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                isum += (lo - 16) * Int(xb.i8(at: 2 + j)) + (hi - 16) * Int(xb.i8(at: 18 + j))
            }
            sum += (wb.f16(at: 0) * xb.f16(at: 0)) * Float(isum)
        }
        return sum
    }

    /// Q8_0 · Q8_0.
    public static func q8_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q8_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            var isum = 0
            for j in 0..<32 { isum += Int(wb.i8(at: 2 + j)) * Int(xb.i8(at: 2 + j)) }
            sum += Float(isum) * (wb.f16(at: 0) * xb.f16(at: 0))
        }
        return sum
    }

    /// Q4_K · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ q·q_x − dmin·d_x·Σ_s m_s·Σ q_x` (the second sum from bsums).
    public static func q4_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q4_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let scales = wb + 4, qs = wb + 16
            var isum = 0, minSum = 0
            for sub in 0..<8 {
                let (sc, m) = DequantizeScalar.scaleMinK4(sub, scales)
                let shift: UInt8 = sub % 2 == 0 ? 0 : 4
                var dot = 0
                for l in 0..<32 {
                    let q = Int((qs.u8(at: 32 * (sub / 2) + l) >> shift) & 0xF)
                    dot += q * Int(xb.i8(at: 4 + 32 * sub + l))
                }
                isum += Int(sc) * dot
                let bsums = Int(xb.loadUnaligned(fromByteOffset: 260 + 4 * sub, as: Int16.self))
                    + Int(xb.loadUnaligned(fromByteOffset: 262 + 4 * sub, as: Int16.self))
                minSum += Int(m) * bsums
            }
            let dx = xb.loadUnaligned(as: Float.self)
            sum += (wb.f16(at: 0) * dx) * Float(isum) - (wb.f16(at: 2) * dx) * Float(minSum)
        }
        return sum
    }

    /// Q6_K · Q8_K: per super-block `d·d_x·Σ_g sc_g·Σ (q−32)·q_x` over 16 groups of 16.
    public static func q6_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q6_KBytes, xb = x + b * BlockLayout.q8_KBytes
            var isum = 0
            for half in 0..<2 {
                let ql = wb + 64 * half, qh = wb + 128 + 32 * half, sc = wb + 192 + 8 * half
                let qx = xb + 4 + 128 * half
                for l in 0..<32 {
                    let h = qh.u8(at: l), s = l / 16
                    let q1 = Int((ql.u8(at: l) & 0xF) | ((h & 3) << 4)) - 32
                    let q2 = Int((ql.u8(at: l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int((ql.u8(at: l) >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int((ql.u8(at: l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32
                    isum += Int(sc.i8(at: s)) * q1 * Int(qx.i8(at: l))
                    isum += Int(sc.i8(at: s + 2)) * q2 * Int(qx.i8(at: l + 32))
                    isum += Int(sc.i8(at: s + 4)) * q3 * Int(qx.i8(at: l + 64))
                    isum += Int(sc.i8(at: s + 6)) * q4 * Int(qx.i8(at: l + 96))
                }
            }
            sum += (wb.f16(at: 208) * xb.loadUnaligned(as: Float.self)) * Float(isum)
        }
        return sum
    }
}
