import GGUF
import Testing
@testable import Kernels

/// `matmul` against per-row dot products, across thread counts and batch sizes.
@Suite struct MatmulTests {
    func run(_ w: WeightMatrix, _ x: [Float], count: Int, threads: Int, scratch: KernelScratch = KernelScratch()) -> [Float] {
        let pool = ThreadPool(threadCount: threads)
        var y = [Float](repeating: .nan, count: count * w.rows)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer {
                matmul(w, input: xp.baseAddress!, count: count, output: $0.baseAddress!, pool: pool, scratch: scratch)
            }
        }
        return y
    }

    @Test(arguments: DotKernel.supportedTypes)
    func oneAndTwoThreadsAgreeAndEqualRowDots(type: GGMLType) throws {
        var rng = SeededRNG(seed: 0x3A7 + UInt64(type.rawValue))
        let rows = 37, cols = 512
        let bytes = RandomRows.weights(type, cols: cols, rows: rows, &rng)
        for count in [1, 3] {
            let x = RandomRows.floats(count * cols, &rng, scale: 2)
            try bytes.withUnsafeBytes { raw in
                let w = try WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw)
                let one = run(w, x, count: count, threads: 1), two = run(w, x, count: count, threads: 2)
                #expect(sameBits(one, two), "\(type) count \(count)")
                for t in 0..<count {
                    let a = RandomRows.activations(Array(x[t * cols ..< (t + 1) * cols]), w.kernel.activation)
                    for r in 0..<rows {
                        let expected = a.withUnsafeBytes { w.kernel.dot(w.row(r), $0.baseAddress!, cols) }
                        #expect(one[t * rows + r].bitPattern == expected.bitPattern)
                    }
                }
            }
        }
    }

    /// The grouped form (Q/K/V, gate/up) gives every output exactly as one `matmul` per matrix: stacked in one
    /// dispatch for a decode row, one call each for batches or when the activation formats differ.
    @Test(arguments: DotKernel.supportedTypes)
    func groupedMatricesEqualSeparateCalls(type: GGMLType) throws {
        var rng = SeededRNG(seed: 0x51C + UInt64(type.rawValue))
        let cols = 512, shapes = [37, 16, 11]
        // The third matrix is another type in the mixed case (a different activation format unless it is the same).
        for other in [type, type == .q8_0 ? GGMLType.q4_1 : .q8_0] {
            let types = [type, type, other]
            let bytes = zip(types, shapes).map { RandomRows.weights($0, cols: cols, rows: $1, &rng) }
            for count in [1, 3] {
                let x = RandomRows.floats(count * cols, &rng, scale: 2)
                for threads in [1, 2] {
                    try bytes[0].withUnsafeBytes { r0 in
                        try bytes[1].withUnsafeBytes { r1 in
                            try bytes[2].withUnsafeBytes { r2 in
                                let ws = [try WeightMatrix(type: types[0], rows: shapes[0], cols: cols, bytes: r0),
                                          try WeightMatrix(type: types[1], rows: shapes[1], cols: cols, bytes: r1),
                                          try WeightMatrix(type: types[2], rows: shapes[2], cols: cols, bytes: r2)]
                                let separate = ws.map { run($0, x, count: count, threads: threads) }
                                var y0s = [Float](repeating: .nan, count: count * shapes[0])
                                var y1s = [Float](repeating: .nan, count: count * shapes[1])
                                var y2s = [Float](repeating: .nan, count: count * shapes[2])
                                let pool = ThreadPool(threadCount: threads), scratch = KernelScratch()
                                x.withUnsafeBufferPointer { xp in
                                    y0s.withUnsafeMutableBufferPointer { y0 in
                                        y1s.withUnsafeMutableBufferPointer { y1 in
                                            y2s.withUnsafeMutableBufferPointer { y2 in
                                                matmul((ws[0], y0.baseAddress!), (ws[1], y1.baseAddress!),
                                                       (ws[2], y2.baseAddress!), input: xp.baseAddress!, count: count,
                                                       pool: pool, scratch: scratch)
                                            }
                                        }
                                    }
                                }
                                for (i, y) in [y0s, y1s, y2s].enumerated() {
                                    #expect(sameBits(y, separate[i]),
                                            "\(types) matrix \(i) count \(count) threads \(threads)")
                                }
                                let kinds = Set(ws.map { $0.kernel(forRow: count - 1, of: count).id })
                                #expect(Set(scratch.executedKernelIDs).isSuperset(of: kinds))
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func recordsExecutedKernelIDs() throws {
        var rng = SeededRNG(seed: 5)
        let scratch = KernelScratch()
        for type in [GGMLType.q8_0, .q4_1] {
            let bytes = RandomRows.weights(type, cols: 64, rows: 4, &rng)
            try bytes.withUnsafeBytes { raw in
                _ = run(try WeightMatrix(type: type, rows: 4, cols: 64, bytes: raw), RandomRows.floats(64, &rng),
                        count: 1, threads: 1, scratch: scratch)
            }
        }
        let ids = [DotKernel.kernel(for: .q8_0)!.id, DotKernel.kernel(for: .q4_1)!.id]
        #expect(scratch.executedKernelIDs == ids)
        scratch.resetKernelRecord()
        #expect(scratch.executedKernelIDs.isEmpty)
    }

    @Test func weightMatrixRejectsBadShapes() {
        let bytes = [UInt8](repeating: 0, count: 40)
        bytes.withUnsafeBytes { raw in
            #expect(throws: KernelError.sizeMismatch(type: .q4_1, rows: 1, cols: 32, expected: 20, found: 40)) {
                try WeightMatrix(type: .q4_1, rows: 1, cols: 32, bytes: raw)
            }
            #expect(throws: KernelError.rowNotBlockAligned(type: .q4_K, cols: 40, blockSize: 256)) {
                try WeightMatrix(type: .q4_K, rows: 1, cols: 40, bytes: raw)
            }
            #expect(throws: KernelError.unsupportedType(.q5_1)) {
                try WeightMatrix(type: .q5_1, rows: 1, cols: 256, bytes: raw)
            }
        }
    }
}
