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
            #expect(throws: KernelError.unsupportedType(.q2_K)) {
                try WeightMatrix(type: .q2_K, rows: 1, cols: 256, bytes: raw)
            }
        }
    }
}
