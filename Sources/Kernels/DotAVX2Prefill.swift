#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Prefill (matrix × matrix) form of the Q4_1 kernel: a tile of weight rows is decoded once into an L1-resident
/// layout, then every activation row of the batch streams past it.
///
/// Why: in a batch, `q4_1Rows` decodes each weight block's nibbles and F16 scales again for every token, about a
/// third of its instructions. The unpacked block holds (d, m) as F32 and the 32 quants as bytes in activation order,
/// so the per-token work is only the products.
///
/// Exactness: each output is the same integer products, the same block-order FMA chain, the same fused min term and
/// the same horizontal sum as `q4_1` (the F16 → F32 scale conversion is exact), so `matmul` gives the same bits with
/// or without this path (`DotRowsTests`, `MatmulTests`).
extension DotAVX2 {
    /// Bytes of one unpacked Q4_1 block: d and m as F32, then 32 quant bytes (low nibbles, then high nibbles).
    static let q4_1UnpackedBlockBytes = 40

    /// Unpacks `rows` Q4_1 rows of `count` columns (`stride` bytes apart) into `out`,
    /// `count / 32 × q4_1UnpackedBlockBytes` bytes per row.
    static func unpackQ4_1(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer
    ) {
        let blocks = count / 32, bytes = q4_1UnpackedBlockBytes
        for r in 0..<rows {
            // Row r < rows of the caller's matrix; out holds rows × blocks × bytes.
            let source = w + r * stride, target = out + r * blocks * bytes
            for b in 0..<blocks {
                let wb = source + b * BlockLayout.q4_1Bytes, ob = target + b * bytes
                let s = halfPair(wb, 0)
                ob.storeBytes(of: SIMD2<Float>(s[0], s[1]), as: SIMD2<Float>.self)
                ob.storeBytes(of: nibbles(wb, 4), toByteOffset: 8, as: __m256i.self)
            }
        }
    }

    /// (d, m) of an unpacked block in lanes 0 and 1 (`vmovq`: the upper lanes are zero).
    @inline(__always) static func unpackedScales(_ ob: UnsafeRawPointer) -> SIMD4<Float> {
        _mm_castsi128_ps(_mm_cvtsi64_si128(Int64(bitPattern: ob.loadUnaligned(as: UInt64.self))))
    }

    /// One unpacked Q4_1 block against the shared activation block: the arithmetic of `q4_1Block`.
    @inline(__always)
    static func q4_1UnpackedBlock(
        _ ob: UnsafeRawPointer, _ xq: __m256i, _ xs: SIMD4<Float>, _ acc: inout __m256, _ mins: inout SIMD4<Float>
    ) {
        let ws = unpackedScales(ob)  // (d_w, m_w); xs = (d_x, s_x)
        mins = _mm_fmadd_ps(ws, xs, mins)
        acc = _mm256_fmadd_ps(broadcast0(_mm_mul_ps(ws, xs)), float(dotU8I8(load256(ob, 8), xq)), acc)
    }

    /// Q4_1 · Q8_1 over unpacked rows (`RowsDotFunction` contract with `stride` = unpacked row bytes).
    public static func q4_1UnpackedRows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let blocks = count / 32, bytes = q4_1UnpackedBlockBytes, xBytes = BlockLayout.q8_1Bytes
        var r = 0
        while r + 4 <= rows {  // rows r..<r+4 exist
            let w0 = w + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            var m0 = SIMD4<Float>(), m1 = m0, m2 = m0, m3 = m0
            for b in 0..<blocks {
                let xb = x + b * xBytes, o = b * bytes
                let xq = load256(xb, 4), xs = scales(xb)
                q4_1UnpackedBlock(w0 + o, xq, xs, &a0, &m0)
                q4_1UnpackedBlock(w1 + o, xq, xs, &a1, &m1)
                q4_1UnpackedBlock(w2 + o, xq, xs, &a2, &m2)
                q4_1UnpackedBlock(w3 + o, xq, xs, &a3, &m3)
            }
            out[r] = hsum(a0) + m0[1]
            out[r + 1] = hsum(a1) + m1[1]
            out[r + 2] = hsum(a2) + m2[1]
            out[r + 3] = hsum(a3) + m3[1]
            r += 4
        }
        while r < rows {
            let wr = w + r * stride
            var a = _mm256_setzero_ps(), m = SIMD4<Float>()
            for b in 0..<blocks {
                let xb = x + b * xBytes
                q4_1UnpackedBlock(wr + b * bytes, load256(xb, 4), scales(xb), &a, &m)
            }
            out[r] = hsum(a) + m[1]
            r += 1
        }
    }
}
#endif
