#if arch(x86_64)
import _Builtin_intrinsics.intel
import KernelsCSupport

/// Multi-row forms of the decode-hot `DotAVX2` kernels: `rows` consecutive weight rows, `stride` bytes apart, each
/// dotted with one activation row, into `out[0..<rows]` (the `RowsDotFunction` contract).
///
/// Why: a row of a small model is short (SmolLM2's 576 columns are 18 blocks), and a single row's one FMA chain
/// waits on the FMA latency every block, then on the horizontal sum. Four rows per pass run four independent chains
/// that the core overlaps, and they share the activation loads and scale conversions.
///
/// Each row's arithmetic is exactly the single-row kernel's — the same integer products, the same block order in one
/// FMA chain, the same fused min term and the same final horizontal sum — so `out[r]` has the same bits as
/// `DotAVX2.q4_1(row r, x, count)` (`DotRowsTests` checks every type against its single-row kernel).
///
/// Prefetch: each pass over 4 rows also requests the bytes of the rows `prefetchRows` further on (the same offsets
/// scaled by 4, so one pass covers one group of 4 rows). Decode reads the whole model from DRAM once per token, and
/// the hardware prefetcher alone left these loops at ~8.5 GB/s of the ~17 GB/s one core can read; with the hint
/// they reach ~10 (Q4_1, which is then compute-bound) and ~13–14 GB/s (Q8_0) on the SmolLM2 shapes
/// (`MatvecThroughputCheck`). Without the hint, interleaving four rows was *slower* than one row at a time: four
/// streams a row apart confuse the hardware prefetcher that a single sequential stream keeps busy.
///
/// Bounds: rows `r < rows` start at `w + r · stride` inside the caller's matrix; every load reads inside block
/// `b < count / 32` of its row (the 4-byte scale loads at block offset 0 stay inside blocks of ≥ 18 bytes).
extension DotAVX2 {
    /// How far ahead (in rows) the multi-row kernels prefetch: two passes of 4 rows, ~3–5 KB on SmolLM2.
    static let prefetchRows = 8

    /// Prefetch hints for `lines` consecutive 64-byte lines from `p`. Hints never fault, so `p` may lie past the end
    /// of the matrix (the last rows then prefetch whatever follows, usually the next tensor).
    @inline(__always) static func prefetch(_ p: UnsafeRawPointer, lines: Int) {
        for line in 0..<lines { bitnet_prefetch(p + 64 * line) }
    }

    /// Lanes 0 and 1 of the F16 pair at block offset 0: (d, m) of Q4_1, (d, s) of Q8_1, (d, q0q1 junk) of Q8_0.
    /// A 32-bit load (`vmovd`) into a fresh register: unlike a 16-bit insert it carries no dependency on whatever
    /// register the compiler picks, which had chained Q8_0's blocks to the accumulator.
    @inline(__always) static func scales(_ block: UnsafeRawPointer) -> SIMD4<Float> { halfPair(block, 0) }

    /// `scale` lane 0 broadcast to 8 lanes.
    @inline(__always) static func broadcast0(_ scale: SIMD4<Float>) -> __m256 { _mm256_broadcastss_ps(scale) }

    // MARK: Q4_1 · Q8_1

    /// One Q4_1 block of one row against the shared activation block: advances that row's product chain and its
    /// fused min-term chain (lane 1 of `mins`, a lane-wise fma: the same rounding as the scalar `addingProduct`).
    @inline(__always)
    static func q4_1Block(
        _ wb: UnsafeRawPointer, _ xq: __m256i, _ xs: SIMD4<Float>, _ acc: inout __m256, _ mins: inout SIMD4<Float>
    ) {
        let ws = scales(wb)  // (d_w, m_w); xs = (d_x, s_x)
        mins = _mm_fmadd_ps(ws, xs, mins)
        acc = _mm256_fmadd_ps(broadcast0(_mm_mul_ps(ws, xs)), float(dotU8I8(nibbles(wb, 4), xq)), acc)
    }

    /// Q4_1 · Q8_1 for `rows` rows (`RowsDotFunction` contract).
    public static func q4_1Rows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let blocks = count / 32, wBytes = BlockLayout.q4_1Bytes, xBytes = BlockLayout.q8_1Bytes
        var r = 0
        while r + 4 <= rows {  // rows r..<r+4 exist
            let w0 = w + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            var m0 = SIMD4<Float>(), m1 = m0, m2 = m0, m3 = m0
            let ahead = w0 + prefetchRows * stride
            for b in 0..<blocks {
                let xb = x + b * xBytes, o = b * wBytes
                prefetch(ahead + 4 * o, lines: 2)  // this pass reads 4 × 20 bytes: at most 2 lines
                let xq = load256(xb, 4), xs = scales(xb)
                q4_1Block(w0 + o, xq, xs, &a0, &m0)
                q4_1Block(w1 + o, xq, xs, &a1, &m1)
                q4_1Block(w2 + o, xq, xs, &a2, &m2)
                q4_1Block(w3 + o, xq, xs, &a3, &m3)
            }
            out[r] = hsum(a0) + m0[1]
            out[r + 1] = hsum(a1) + m1[1]
            out[r + 2] = hsum(a2) + m2[1]
            out[r + 3] = hsum(a3) + m3[1]
            r += 4
        }
        while r < rows {
            out[r] = q4_1(w + r * stride, x, count)
            r += 1
        }
    }

    // MARK: Q8_0 · Q8_0

    /// Q8_0 · Q8_0 for `rows` rows (`RowsDotFunction` contract).
    public static func q8_0Rows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        signedBlockRows(w, stride, x, count, out, rows, blockBytes: BlockLayout.q8_0Bytes,
                        values: { load256($0, 2) }, single: { q8_0($0, x, count) })
    }

    /// Q5_0 · Q8_0 for `rows` rows (`RowsDotFunction` contract).
    public static func q5_0Rows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        signedBlockRows(w, stride, x, count, out, rows, blockBytes: BlockLayout.q5_0Bytes,
                        values: { q5_0Values($0) }, single: { q5_0($0, x, count) })
    }

    /// The 4-row pass shared by the 32-element formats whose block is an F16 d and 32 signed values
    /// (`values(block)`) dotted with a Q8_0 activation block: per block `fma(d_w·d_x, Σ products, acc)`, one chain
    /// per row, then `hsum` — the arithmetic of `q8_0` / `q5_0`. Leftover rows take `single(row)`.
    @inline(__always)
    static func signedBlockRows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int, blockBytes: Int,
        values: (UnsafeRawPointer) -> __m256i, single: (UnsafeRawPointer) -> Float
    ) {
        let blocks = count / 32, xBytes = BlockLayout.q8_0Bytes
        @inline(__always) func step(_ wb: UnsafeRawPointer, _ xq: __m256i, _ xs: SIMD4<Float>, _ acc: inout __m256) {
            acc = _mm256_fmadd_ps(broadcast0(_mm_mul_ps(scales(wb), xs)), float(dotI8I8(values(wb), xq)), acc)
        }
        var r = 0
        while r + 4 <= rows {  // rows r..<r+4 exist
            let w0 = w + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            let ahead = w0 + prefetchRows * stride
            for b in 0..<blocks {
                let o = b * blockBytes, xb = x + b * xBytes
                prefetch(ahead + 4 * o, lines: 3)  // this pass reads 4 × ≤ 34 bytes: at most 3 lines
                let xq = load256(xb, 2), xs = scales(xb)
                step(w0 + o, xq, xs, &a0)
                step(w1 + o, xq, xs, &a1)
                step(w2 + o, xq, xs, &a2)
                step(w3 + o, xq, xs, &a3)
            }
            out[r] = hsum(a0)
            out[r + 1] = hsum(a1)
            out[r + 2] = hsum(a2)
            out[r + 3] = hsum(a3)
            r += 4
        }
        while r < rows {
            out[r] = single(w + r * stride)
            r += 1
        }
    }
}
#endif
