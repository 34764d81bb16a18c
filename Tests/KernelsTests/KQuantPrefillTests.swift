import GGUF
import Testing
@testable import Kernels

/// The K-quant prefill panels (`KQuantPrefill`) against the per-row routed kernels they replace in a batch: the
/// same bits (`==` on the bit patterns), per route, for partial and full panels, random and extreme quants, and
/// through `matmul` for every batch size around the route changes.
@Suite struct KQuantPrefillTests {
    /// The SIMD routed kernels that have a prefill form.
    static let routes: [(GGMLType, DotKernel.Route)] = [(.q4_K, .tiled), (.q4_K, .repack8x8), (.q4_K, .repack8x8GEMM),
                                                        (.q6_K, .tiled), (.q5_K, .tiled), (.q3_K, .tiled)]

    /// Weights whose every quant is the largest (Q4_K: 15, Q5_K: 31, Q6_K: 63) and whose 6-bit scales are the largest: the
    /// int16 partial sums' worst case against activations of ±127.
    static func extremeWeights(_ type: GGMLType, cols: Int, rows: Int, _ rng: inout SeededRNG) -> [UInt8] {
        var bytes = RandomRows.weights(type, cols: cols, rows: rows, &rng)
        let blockBytes = type.traits!.blockBytes
        for block in 0..<bytes.count / blockBytes {
            let o = block * blockBytes
            if type == .q3_K {
                for i in 0..<108 { bytes[o + i] = 0xFF }  // quants 7, scales 63 − 32 = 31
            } else if type == .q4_K || type == .q5_K {
                for i in 4..<blockBytes { bytes[o + i] = 0xFF }  // scales, mins 63; quants 15 (Q5_K: 31)
            } else {
                for i in 0..<192 { bytes[o + i] = 0xFF }  // quants 63
                for i in 192..<208 { bytes[o + i] = i % 2 == 0 ? 0x7F : 0x80 }  // scales 127, −128
            }
        }
        return bytes
    }

    /// Panel outputs for `rows` weight rows (several panels, the last one partial) and one activation row, against
    /// the route's `dot` and its scalar reference.
    func checkPanels(_ type: GGMLType, _ route: DotKernel.Route, w: [UInt8], x: [UInt8], rows: Int, cols: Int) {
        let kernel = DotKernel.kernel(for: type, route: route)!, prefill = kernel.prefill!
        let scalar = DotKernel.kernel(for: type, route: route, path: .scalar)!
        let rowBytes = w.count / rows, panelBytes = prefill.tileRows! * prefill.rowBytes(cols)
        var out = [Float](repeating: .nan, count: rows)
        w.withUnsafeBytes { wp in
            x.withUnsafeBytes { xp in
                let panel = UnsafeMutableRawPointer.allocate(byteCount: panelBytes, alignment: 64)
                defer { panel.deallocate() }
                for start in stride(from: 0, to: rows, by: 8) {
                    let n = min(8, rows - start)
                    panel.initializeMemory(as: UInt8.self, repeating: 0xA5, count: panelBytes)  // stale bytes
                    prefill.unpack(wp.baseAddress! + start * rowBytes, rowBytes, cols, n, panel)
                    out.withUnsafeMutableBufferPointer {
                        prefill.rows(UnsafeRawPointer(panel), 0, xp.baseAddress!, cols, $0.baseAddress! + start, n)
                    }
                }
                for r in 0..<rows {
                    let row = wp.baseAddress! + r * rowBytes
                    let expected = kernel.dot(row, xp.baseAddress!, cols)
                    #expect(out[r].bitPattern == expected.bitPattern, "\(kernel.id) cols \(cols) row \(r)/\(rows)")
                    #expect(expected.bitPattern == scalar.dot(row, xp.baseAddress!, cols).bitPattern)
                }
            }
        }
    }

    @Test func panelsMatchRoutedKernelsBitForBit() {
        for (type, route) in Self.routes {
            for (i, cols) in [256, 512, 768, 1024, 2048].enumerated() {
                for rows in [1, 3, 8, 13, 24] {
                    var rng = SeededRNG(seed: UInt64(type.rawValue) << 24 + UInt64(i) << 8 + UInt64(rows))
                    let w = RandomRows.weights(type, cols: cols, rows: rows, &rng)
                    let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), .q8_K)
                    checkPanels(type, route, w: w, x: x, rows: rows, cols: cols)
                }
            }
        }
    }

    @Test func extremeQuantsStayExact() {
        for (type, route) in Self.routes {
            for sign: Float in [1, -1] {
                var rng = SeededRNG(seed: 0xE7 + UInt64(type.rawValue))
                let cols = 512, rows = 11
                let w = Self.extremeWeights(type, cols: cols, rows: rows, &rng)
                let x = RandomRows.activations([Float](repeating: sign, count: cols), .q8_K)  // all quants ±127
                checkPanels(type, route, w: w, x: x, rows: rows, cols: cols)
            }
        }
    }

    /// `matmul` (which takes the prefill branch for these batches) against every (row, activation row) pair's own
    /// kernel, on 1 and 2 threads; row counts that are and are not multiples of 8 (repacked and tiled Q4_K).
    @Test(arguments: [(GGMLType.q4_K, 24), (.q4_K, 40), (.q4_K, 21), (.q6_K, 24), (.q6_K, 19), (.q5_K, 24), (.q5_K, 19), (.q3_K, 24),
                      (.q3_K, 19)])
    func matmulMatchesPerRowKernels(type: GGMLType, rows: Int) throws {
        for cols in [256, 1280] {
            var rng = SeededRNG(seed: 0x9F + UInt64(type.rawValue) << 8 + UInt64(rows + cols))
            let bytes = RandomRows.weights(type, cols: cols, rows: rows, &rng)
            try bytes.withUnsafeBytes { raw in
                let w = try WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw)
                for count in Array(1...12) + [17, 64] {
                    let x = RandomRows.floats(count * cols, &rng, scale: 2)
                    for threads in [1, 2] {
                        let pool = ThreadPool(threadCount: threads), scratch = KernelScratch()
                        var y = [Float](repeating: .nan, count: count * rows)
                        x.withUnsafeBufferPointer { xp in
                            y.withUnsafeMutableBufferPointer {
                                matmul(w, input: xp.baseAddress!, count: count, output: $0.baseAddress!, pool: pool,
                                       scratch: scratch)
                            }
                        }
                        let used = Set((0..<count).map { w.kernel(forRow: $0, of: count).id })
                        #expect(Set(scratch.executedKernelIDs) == used)
                        // The prefill branch runs for every batch but non-repacked ones below the tiled floor.
                        let prefills = count > 1 && (rows % 8 == 0 && type == .q4_K || count >= 8)
                        #expect((count > 1 && w.kernel(forRow: count - 1, of: count).prefill != nil) == prefills)
                        for t in 0..<count {
                            let kernel = w.kernel(forRow: t, of: count)
                            let a = RandomRows.activations(Array(x[t * cols ..< (t + 1) * cols]), kernel.activation)
                            for r in 0..<rows {
                                let expected = a.withUnsafeBytes { kernel.dot(w.row(r), $0.baseAddress!, cols) }
                                #expect(y[t * rows + r].bitPattern == expected.bitPattern,
                                        "\(kernel.id) rows \(rows) cols \(cols) count \(count) t \(t) r \(r)")
                            }
                        }
                    }
                }
            }
        }
    }
}
