#if arch(x86_64)
/// Prefill (matrix × matrix) form of the routed Q4_K and Q6_K kernels (`GGMLTiledKQuant`, `GGMLRepack8x8`): a
/// panel of 8 weight rows is decoded once into an interleaved layout, then every activation row of the batch
/// streams past it (`matmul`'s prefill branch, `PrefillKernel.tileRows` = 8).
///
/// Why: the per-row routed kernels decode nibbles and 6-bit scales again for every (weight row, activation row)
/// pair and end every block with horizontal integer sums. In the panel, 4 consecutive quants of the 8 rows share one
/// 32-byte vector (row r in bytes 4r..<4r+4), so one `maddubs` against the 4 activation quants broadcast to every
/// lane gives each row's products in its own lanes: the integer sums come out with one lane pair (int16) or lane
/// (int32) per weight row, and the per-block float step runs on 8 rows at once with no horizontal sum.
///
/// Exactness: the routes (tiled, repack gemv, repack gemm) differ only in the float fold over the exact integer sums
/// S and M of each block or 64-element pair, so any exact integer computation gives the same S and M; the fold
/// below is each route's scalar step applied lane-wise (same products, same fused multiply-adds, same order), so each
/// lane has the bits of `GGMLTiledKQuant.q4_K` / `q6_K` or `GGMLRepack8x8.q4_K` / `q4_KGEMM` (`KQuantPrefillTests`).
/// `vec_dot` (non-repacked K-quants below `GGMLTiledKQuant.batchFloor` rows) keeps 8 partial lanes per row whose
/// split depends on element positions, so it has no prefill form and `matmul` loops over its row kernel.
///
/// Integer range: a Q4_K sub-block (32 elements, 8 lane pairs of ≤ 2·15·127) sums in int16 without overflow
/// (≤ 30480); Q6_K quants (0…63) allow only two `maddubs` results per int16 sum (≤ 32004).
///
/// Panel layout per 256-element super-block (all offsets multiples of 32; lanes are weight rows, row r of a partial
/// panel beyond the matrix is all zeros):
///
/// | Q4_K | bytes | Q6_K | bytes |
/// |------|-------|------|-------|
/// | d[8] F32 | 32 | d[8] F32 | 32 |
/// | dmin[8] F32 | 32 | scale per 16 elements, (sc, sc) int16 per row, × 16 | 512 |
/// | scale per 32 elements, (sc, sc) int16 per row, × 8 | 256 | (sc_2k, sc_2k+1) int16 per row, × 8 | 256 |
/// | (m_2p, m_2p+1) int16 per row, × 4 | 128 | | |
/// | quants: 64 groups × 8 rows × 4 bytes | 2048 | quants (0…63) likewise | 2048 |
enum KQuantPrefill {
    /// Weight rows per panel (lanes of an 8 × F32 vector).
    static let panelRows = 8
    static let q4_KPanelBlockBytes = 2496, q6_KPanelBlockBytes = 2848
    // Offsets inside a panel block.
    static let q4_KDmin = 32, q4_KScales = 64, q4_KMins = 320, q4_KQuants = 448
    static let q6_KScales = 32, q6_KScalePairs = 544, q6_KQuants = 800

    /// Decodes `rows` ≤ 8 Q4_K rows of `count` columns (`stride` bytes apart) into one panel at `out`.
    static func unpackQ4_K(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer
    ) {
        let blocks = count / 256, bytes = q4_KPanelBlockBytes
        if rows < panelRows { out.initializeMemory(as: UInt8.self, repeating: 0, count: blocks * bytes) }
        for r in 0..<min(rows, panelRows) {
            for b in 0..<blocks {
                // Block b of row r < rows of the caller's matrix; the panel holds blocks × bytes.
                let wb = w + r * stride + b * BlockLayout.q4_KBytes, pb = out + b * bytes
                pb.storeBytes(of: wb.f16(at: 0), toByteOffset: 4 * r, as: Float.self)
                pb.storeBytes(of: wb.f16(at: 2), toByteOffset: q4_KDmin + 4 * r, as: Float.self)
                for sub in 0..<8 {
                    let (sc, m) = DequantizeScalar.scaleMinK4(sub, wb + 4)
                    let scale = UInt32(sc) | UInt32(sc) << 16
                    pb.storeBytes(of: scale, toByteOffset: q4_KScales + 32 * sub + 4 * r, as: UInt32.self)
                    pb.storeBytes(of: Int16(m), toByteOffset: q4_KMins + 32 * (sub / 2) + 4 * r + 2 * (sub % 2),
                                  as: Int16.self)
                }
                for chunk in 0..<4 {  // 32 bytes: elements 64c + j in the low nibbles, 64c + 32 + j in the high
                    for k in 0..<8 {
                        let v = wb.loadUnaligned(fromByteOffset: 16 + 32 * chunk + 4 * k, as: UInt32.self)
                        let low = 16 * chunk + k, high = low + 8  // groups of 4 elements
                        pb.storeBytes(of: v & 0x0F0F_0F0F, toByteOffset: q4_KQuants + 32 * low + 4 * r, as: UInt32.self)
                        pb.storeBytes(of: (v >> 4) & 0x0F0F_0F0F, toByteOffset: q4_KQuants + 32 * high + 4 * r,
                                      as: UInt32.self)
                    }
                }
            }
        }
    }

    /// Decodes `rows` ≤ 8 Q6_K rows of `count` columns (`stride` bytes apart) into one panel at `out`.
    static func unpackQ6_K(
        _ w: UnsafeRawPointer, _ stride: Int, _ count: Int, _ rows: Int, into out: UnsafeMutableRawPointer
    ) {
        let blocks = count / 256, bytes = q6_KPanelBlockBytes
        if rows < panelRows { out.initializeMemory(as: UInt8.self, repeating: 0, count: blocks * bytes) }
        for r in 0..<min(rows, panelRows) {
            for b in 0..<blocks {
                // Block b of row r < rows of the caller's matrix; the panel holds blocks × bytes.
                let wb = w + r * stride + b * BlockLayout.q6_KBytes, pb = out + b * bytes
                pb.storeBytes(of: wb.f16(at: 208), toByteOffset: 4 * r, as: Float.self)
                for s in 0..<16 {
                    let sc = UInt32(UInt16(bitPattern: Int16(wb.i8(at: 192 + s))))
                    pb.storeBytes(of: sc | sc << 16, toByteOffset: q6_KScales + 32 * s + 4 * r, as: UInt32.self)
                    pb.storeBytes(of: Int16(wb.i8(at: 192 + s)), toByteOffset: q6_KScalePairs + 32 * (s / 2) + 4 * r
                                  + 2 * (s % 2), as: Int16.self)
                }
                for part in 0..<2 {  // 128 elements: ql[64], qh[32]
                    for k in 0..<8 {
                        let ql0 = wb.loadUnaligned(fromByteOffset: 64 * part + 4 * k, as: UInt32.self)
                        let ql1 = wb.loadUnaligned(fromByteOffset: 64 * part + 32 + 4 * k, as: UInt32.self)
                        let qh = wb.loadUnaligned(fromByteOffset: 128 + 32 * part + 4 * k, as: UInt32.self)
                        // Elements 128·part + 32·i + 4k…: group 32·part + 8·i + k.
                        func store(_ i: Int, _ q: UInt32) {
                            pb.storeBytes(of: q, toByteOffset: q6_KQuants + 32 * (32 * part + 8 * i + k) + 4 * r,
                                          as: UInt32.self)
                        }
                        store(0, (ql0 & 0x0F0F_0F0F) | ((qh & 0x0303_0303) << 4))
                        store(1, (ql1 & 0x0F0F_0F0F) | ((qh & 0x0C0C_0C0C) << 2))
                        store(2, ((ql0 >> 4) & 0x0F0F_0F0F) | (qh & 0x3030_3030))
                        store(3, ((ql1 >> 4) & 0x0F0F_0F0F) | ((qh >> 2) & 0x3030_3030))
                    }
                }
            }
        }
    }
}
#endif
