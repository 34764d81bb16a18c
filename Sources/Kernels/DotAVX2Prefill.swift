#if arch(x86_64)
import _Builtin_intrinsics.intel

/// Prefill (matrix × matrix) form of the Q4_1 kernel: a tile of weight rows is decoded once into an L1-resident
/// layout, then every activation row of the batch streams past it.
///
/// Why: in a batch, `q4_1Rows` decodes each weight block's nibbles and F16 scales again for every token, about a
/// third of its instructions. The unpacked layout interleaves 4 rows per block (scales pre-broadcast, quants as
/// bytes in activation order), so the per-token work is only the products and one min-term FMA per 4 rows.
///
/// Exactness: each output is the same integer products, the same block-order FMA chain, the same fused min term and
/// the same horizontal sum as `q4_1` (the F16 → F32 scale conversion is exact), so `matmul` gives the same bits with
/// or without this path (`DotRowsTests`, `MatmulTests`).
extension DotAVX2 {
    /// Bytes of one unpacked Q4_1 block per row: a group of 4 rows stores, per block, each row's d broadcast to 8
    /// F32 lanes (4 × 32 bytes), the 4 rows' m as F32 (16 bytes), then each row's 32 quants in activation order
    /// (4 × 32 bytes): 272 bytes per 4 rows.
    static let q4_1UnpackedBlockBytes = 68

    /// Unpacks `rows` Q4_1 rows of `count` columns (`stride` bytes apart) into `out` in groups of 4 rows, the last
    /// group padded with zero rows; `count / 32 × q4_1UnpackedBlockBytes` bytes per row (4 × that per group).
    static func unpackQ4_1(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer
    ) {
        forEachUnpackedSlot(w, stride, count, rows, into: out, groupBlockBytes: 4 * q4_1UnpackedBlockBytes,
                            blockBytes: BlockLayout.q4_1Bytes) { ob, i, wb in
            let scales = halfPair(wb, 0)  // (d, m)
            ob.storeBytes(of: _mm256_broadcastss_ps(scales), toByteOffset: 32 * i, as: __m256.self)
            ob.storeBytes(of: scales[1], toByteOffset: 128 + 4 * i, as: Float.self)
            ob.storeBytes(of: nibbles(wb, 4), toByteOffset: 144 + 32 * i, as: __m256i.self)
        }
    }

    /// The walk shared by the unpackers: for each group of 4 rows and each 32-element block, `body(slot, i,
    /// block)` writes row 4g + i's part of the group's block at `slot` (`groupBlockBytes` per group block) from
    /// its packed block. A last, partial group is zero-filled first, so padded rows contribute zeros.
    @inline(__always)
    static func forEachUnpackedSlot(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer,
        groupBlockBytes: Int, blockBytes: Int, _ body: (UnsafeMutableRawPointer, Int, UnsafeRawPointer) -> Void
    ) {
        let blocks = count / 32
        for g in 0..<(rows + 3) / 4 {
            // Group g holds rows 4g..<4g+4 (those ≥ rows are zero); out holds ⌈rows/4⌉ × 4 rows.
            let target = out + g * blocks * groupBlockBytes
            if 4 * g + 4 > rows { target.initializeMemory(as: UInt8.self, repeating: 0, count: blocks * groupBlockBytes) }
            for b in 0..<blocks {
                for i in 0..<min(4, rows - 4 * g) {
                    body(target + b * groupBlockBytes, i, w + (4 * g + i) * stride + b * blockBytes)
                }
            }
        }
    }

    /// Q4_1 · Q8_1 over unpacked rows (`RowsDotFunction` contract with `stride` = unpacked bytes per row; `w` is a
    /// buffer from `unpackQ4_1`). Each row is `q4_1`'s arithmetic: per block `fma(d_w·d_x, Σ products, acc)` in
    /// block order, then the horizontal sum plus the fused chain of `m_w·s_x` — here one FMA advances the min
    /// chains of all 4 rows of a group (one lane each), and `d_w·d_x` is a lane-wise product of pre-broadcast
    /// scales.
    public static func q4_1UnpackedRows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let blocks = count / 32, groupBlockBytes = 4 * q4_1UnpackedBlockBytes, xBytes = BlockLayout.q8_1Bytes
        for g in 0..<(rows + 3) / 4 {
            let base = w + g * 4 * stride  // group g: blocks × groupBlockBytes bytes (4 rows, padded)
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            var mins = SIMD4<Float>()
            for b in 0..<blocks {
                let xb = x + b * xBytes, ob = base + b * groupBlockBytes
                let xq = load256(xb, 4), xs = scales(xb)  // (d_x, s_x)
                let dx = _mm256_broadcastss_ps(xs)
                mins = _mm_fmadd_ps(ob.loadUnaligned(fromByteOffset: 128, as: SIMD4<Float>.self),
                                    SIMD4(repeating: xs[1]), mins)
                @inline(__always) func step(_ i: Int, _ acc: inout __m256) {
                    let d = _mm256_mul_ps(ob.loadUnaligned(fromByteOffset: 32 * i, as: __m256.self), dx)
                    acc = _mm256_fmadd_ps(d, float(dotU8I8(load256(ob, 144 + 32 * i), xq)), acc)
                }
                step(0, &a0)
                step(1, &a1)
                step(2, &a2)
                step(3, &a3)
            }
            let r = 4 * g, sums = SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
            for i in 0..<min(4, rows - r) { out[r + i] = sums[i] + mins[i] }
        }
    }
}
#endif

#if arch(x86_64)
/// Prefill form of the Q8_0 kernel, built like Q4_1's: groups of 4 weight rows unpacked once per tile, each block
/// holding the rows' d broadcast to 8 lanes (4 × 32 bytes), the quants' magnitudes (4 × 32) and the quants
/// themselves for their signs (4 × 32): 384 bytes per 4 rows. Per token and row the work is the signed product
/// (`dotI8I8` with the magnitude precomputed), `d_w·d_x` as one lane-wise product, and the FMA — the arithmetic of
/// `q8_0`, so outputs keep their bits (`MatmulTests`).
extension DotAVX2 {
    /// Bytes of one unpacked Q8_0 block per row (384 per group of 4 rows).
    static let q8_0UnpackedBlockBytes = 96

    /// Unpacks `rows` Q8_0 rows (`stride` bytes apart) of `count` columns into groups of 4 (the last padded with
    /// zero rows); `count / 32 × q8_0UnpackedBlockBytes` bytes per row.
    static func unpackQ8_0(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer
    ) {
        unpackSigned(w, stride, count, rows, into: out, blockBytes: BlockLayout.q8_0Bytes) { wb in
            (scales(wb), load256(wb, 2))
        }
    }

    /// Unpacks Q5_0 rows into the Q8_0 layout: a Q5_0 block is d and 32 signed values q − 16 in −16…15, whose dot
    /// product `q5_0` forms exactly as `q8_0` does (`fma(d_w·d_x, Σ products, acc)`), so `q8_0UnpackedRows` serves.
    static func unpackQ5_0(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer
    ) {
        unpackSigned(w, stride, count, rows, into: out, blockBytes: BlockLayout.q5_0Bytes) { wb in
            (scales(wb), q5_0Values(wb))
        }
    }

    /// The 32 signed values of a Q5_0 block: low nibbles, high nibbles, plus bit 4 from `qh`, minus 16.
    @inline(__always) static func q5_0Values(_ wb: UnsafeRawPointer) -> __m256i {
        let high = _mm256_and_si256(bytesFromBits(wb.loadUnaligned(fromByteOffset: 2, as: UInt32.self)),
                                    _mm256_set1_epi8(0x10))
        return _mm256_sub_epi8(_mm256_or_si256(nibbles(wb, 6), high), _mm256_set1_epi8(16))
    }

    /// The shared unpacker: `decode(block)` gives (lane 0: d, 32 signed values).
    @inline(__always)
    static func unpackSigned(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer,
        blockBytes: Int, decode: (UnsafeRawPointer) -> (SIMD4<Float>, __m256i)
    ) {
        forEachUnpackedSlot(w, stride, count, rows, into: out, groupBlockBytes: 4 * q8_0UnpackedBlockBytes,
                            blockBytes: blockBytes) { ob, i, wb in
            let (d, q) = decode(wb)
            ob.storeBytes(of: _mm256_broadcastss_ps(d), toByteOffset: 32 * i, as: __m256.self)
            ob.storeBytes(of: _mm256_sign_epi8(q, q), toByteOffset: 128 + 32 * i, as: __m256i.self)
            ob.storeBytes(of: q, toByteOffset: 256 + 32 * i, as: __m256i.self)
        }
    }

    /// Q8_0 · Q8_0 over unpacked rows (`RowsDotFunction` contract with `stride` = unpacked bytes per row; `w` is a
    /// buffer from `unpackQ8_0`): per block `fma(d_w·d_x, Σ products, acc)` in block order, then the horizontal sum.
    public static func q8_0UnpackedRows(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int,
        _ out: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let blocks = count / 32, groupBlockBytes = 4 * q8_0UnpackedBlockBytes
        let xScales = (x + count).assumingMemoryBound(to: Float.self)
        for g in 0..<(rows + 3) / 4 {
            let base = w + g * 4 * stride  // group g: blocks × groupBlockBytes bytes (4 rows, padded)
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            for b in 0..<blocks {
                let ob = base + b * groupBlockBytes
                let xq = load256(x, 32 * b), dx = _mm256_broadcast_ss(xScales + b)
                @inline(__always) func step(_ i: Int, _ acc: inout __m256) {
                    let d = _mm256_mul_ps(ob.loadUnaligned(fromByteOffset: 32 * i, as: __m256.self), dx)
                    let products = dotU8I8(load256(ob, 128 + 32 * i), _mm256_sign_epi8(xq, load256(ob, 256 + 32 * i)))
                    acc = _mm256_fmadd_ps(d, float(products), acc)
                }
                step(0, &a0)
                step(1, &a1)
                step(2, &a2)
                step(3, &a3)
            }
            let r = 4 * g, sums = SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
            for i in 0..<min(4, rows - r) { out[r + i] = sums[i] }
        }
    }
}
#endif

#if arch(x86_64)
extension DotAVX2 {
    /// `q8_0UnpackedRows` for two activation rows at once (`RowPairsDotFunction` contract): each unpacked block's
    /// scales, magnitudes and signs are loaded once for both rows; every output is the same FMA chain as in
    /// `q8_0UnpackedRows`, so the bits are the same.
    public static func q8_0UnpackedRowPairs(
        _ w: UnsafeRawPointer, _ stride: Int, _ x0: UnsafeRawPointer, _ x1: UnsafeRawPointer, _ count: Int,
        _ out0: UnsafeMutablePointer<Float>, _ out1: UnsafeMutablePointer<Float>, _ rows: Int
    ) {
        let blocks = count / 32, groupBlockBytes = 4 * q8_0UnpackedBlockBytes
        let xScales0 = (x0 + count).assumingMemoryBound(to: Float.self)
        let xScales1 = (x1 + count).assumingMemoryBound(to: Float.self)
        for g in 0..<(rows + 3) / 4 {
            let base = w + g * 4 * stride  // group g: blocks × groupBlockBytes bytes (4 rows, padded)
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0  // activation row 0, weight rows 0…3
            var b0 = a0, b1 = a0, b2 = a0, b3 = a0  // activation row 1
            for b in 0..<blocks {
                let ob = base + b * groupBlockBytes
                let xq0 = load256(x0, 32 * b), dx0 = _mm256_broadcast_ss(xScales0 + b)
                let xq1 = load256(x1, 32 * b), dx1 = _mm256_broadcast_ss(xScales1 + b)
                @inline(__always) func step(_ i: Int, _ acc0: inout __m256, _ acc1: inout __m256) {
                    let d = ob.loadUnaligned(fromByteOffset: 32 * i, as: __m256.self)
                    let magnitude = load256(ob, 128 + 32 * i), signs = load256(ob, 256 + 32 * i)
                    let p0 = dotU8I8(magnitude, _mm256_sign_epi8(xq0, signs))
                    let p1 = dotU8I8(magnitude, _mm256_sign_epi8(xq1, signs))
                    acc0 = _mm256_fmadd_ps(_mm256_mul_ps(d, dx0), float(p0), acc0)
                    acc1 = _mm256_fmadd_ps(_mm256_mul_ps(d, dx1), float(p1), acc1)
                }
                step(0, &a0, &b0)
                step(1, &a1, &b1)
                step(2, &a2, &b2)
                step(3, &a3, &b3)
            }
            let r = 4 * g
            let sums0 = SIMD4<Float>(hsum(a0), hsum(a1), hsum(a2), hsum(a3))
            let sums1 = SIMD4<Float>(hsum(b0), hsum(b1), hsum(b2), hsum(b3))
            for i in 0..<min(4, rows - r) {
                out0[r + i] = sums0[i]
                out1[r + i] = sums1[i]
            }
        }
    }
}
#endif
