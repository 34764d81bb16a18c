import GGUF
import Testing
@testable import Kernels

/// The kernels for llama.cpp's tiled and repacked matmul routes: SIMD against the scalar references (same bits,
/// since both fold the same exact block integers in the same float order), against the dequantized dot product,
/// and which route `WeightMatrix` and `matmul` pick for a type, row count and batch size.
@Suite struct GGMLRouteTests {
    static let routes: [(GGMLType, DotKernel.Route)] = DotKernel.routedTypes

    @Test func simdMatchesScalarBitForBit() {
        for (type, route) in Self.routes {
            let scalar = DotKernel.kernel(for: type, route: route, path: .scalar)!
            let simd = DotKernel.kernel(for: type, route: route)!
            #expect(scalar.activation == simd.activation)
            for (i, cols) in [256, 1024, 2816].enumerated() {
                for trial in 0..<8 {
                    var rng = SeededRNG(seed: UInt64(type.rawValue) << 20 + UInt64(i * 8 + trial))
                    let w = RandomRows.weights(type, cols: cols, &rng)
                    let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), scalar.activation)
                    let (s, v) = w.withUnsafeBytes { wp in
                        x.withUnsafeBytes { xp in
                            (scalar.dot(wp.baseAddress!, xp.baseAddress!, cols),
                             simd.dot(wp.baseAddress!, xp.baseAddress!, cols))
                        }
                    }
                    #expect(s.bitPattern == v.bitPattern, "\(simd.id) cols \(cols): \(v) vs scalar \(s)")
                    // Against the exact dot product of the dequantized rows (as DotTests bounds vec_dot).
                    let wf = dequantizeScalar(type, w, count: cols)
                    let xf = dequantizeScalar(scalar.activation.ggmlType, x, count: cols)
                    let exact = zip(wf, xf).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                    let magnitude = zip(wf, xf).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                    #expect(abs(Double(s) - exact) <= 1e-5 * magnitude + 1e-6, "\(scalar.id): \(s) vs \(exact)")
                }
            }
        }
    }

    @Test func kernelIDsNameTheRoute() {
        #expect(DotKernel.kernel(for: .q6_K, route: .tiled)?.id == "q6_K×q8_K.tiled.\(DotKernel.simdSuffix)")
        #expect(DotKernel.kernel(for: .q4_0, route: .repack8x8, path: .scalar)?.id == "q4_0×q8_0.repack8x8.scalar")
        #expect(DotKernel.kernel(for: .q6_K, route: .repack8x8) == nil)
        #expect(DotKernel.kernel(for: .q8_0, route: .tiled) == nil)
        #expect(Set(DotKernel.all.map(\.id)).count == DotKernel.all.count)
        #expect(DotKernel.all.enumerated().allSatisfy { $0.offset == $0.element.index })
    }

    /// llama.cpp on AVX2: Q4_0/Q4_K with rows % 8 == 0 always repacked (Q4_K's gemm order for activation rows in
    /// whole groups of 4, gemv order for the last count % 4); other Q4_K and all Q5_K and Q6_K tiled from 8 rows on.
    @Test func weightMatrixPicksLlamaCppsRoute() throws {
        var rng = SeededRNG(seed: 11)
        // (row t, batch count) → kernel id, for t = last row of batches 1, 7, 8, 9 and t = 0 of a batch of 9.
        func ids(_ type: GGMLType, rows: Int) throws -> [String] {
            let bytes = RandomRows.weights(type, cols: 256, rows: rows, &rng)
            return try bytes.withUnsafeBytes { raw in
                let w = try WeightMatrix(type: type, rows: rows, cols: 256, bytes: raw)
                return [(0, 1), (6, 7), (7, 8), (8, 9), (0, 9)].map { w.kernel(forRow: $0.0, of: $0.1).id }
            }
        }
        if KernelLevel.active.givesX86V3Bits {  // the avx512 table takes the avx2 routes
            let level = KernelLevel.active.rawValue
            let gemv = "q4_K×q8_K.repack8x8.\(level)", gemm = "q4_K×q8_K.repack8x8-gemm.\(level)"
            #expect(try ids(.q4_K, rows: 640) == [gemv, gemv, gemm, gemv, gemm])
            #expect(try ids(.q4_0, rows: 8) == Array(repeating: "q4_0×q8_0.repack8x8.\(level)", count: 5))
            #expect(try ids(.q4_0, rows: 12) == Array(repeating: "q4_0×q8_0.\(level)", count: 5))
            let q4 = "q4_K×q8_K.\(level)", q4Tiled = "q4_K×q8_K.tiled.\(level)"
            #expect(try ids(.q4_K, rows: 12) == [q4, q4, q4Tiled, q4Tiled, q4Tiled])
            let q6 = "q6_K×q8_K.\(level)", q6Tiled = "q6_K×q8_K.tiled.\(level)"
            #expect(try ids(.q6_K, rows: 640) == [q6, q6, q6Tiled, q6Tiled, q6Tiled])
            let q5 = "q5_K×q8_K.\(level)", q5Tiled = "q5_K×q8_K.tiled.\(level)"
            #expect(try ids(.q5_K, rows: 640) == [q5, q5, q5Tiled, q5Tiled, q5Tiled])  // no x86 repack for Q5_K
            let q2 = "q2_K×q8_K.\(level)", q2Tiled = "q2_K×q8_K.tiled.\(level)"
            #expect(try ids(.q2_K, rows: 640) == [q2, q2, q2Tiled, q2Tiled, q2Tiled])  // repacked on AVX-512 builds only
            #expect(try ids(.iq4_nl, rows: 640) == Array(repeating: "iq4_nl×q8_0.repack8x8.\(level)", count: 5))
            #expect(try ids(.iq4_nl, rows: 12) == Array(repeating: "iq4_nl×q8_0.\(level)", count: 5))
            let xs = "iq4_xs×q8_K.\(level)", xsTiled = "iq4_xs×q8_K.tiled.\(level)"
            #expect(try ids(.iq4_xs, rows: 640) == [xs, xs, xsTiled, xsTiled, xsTiled])
            let q3 = "q3_K×q8_K.\(level)", q3Tiled = "q3_K×q8_K.tiled.\(level)"
            #expect(try ids(.q3_K, rows: 640) == [q3, q3, q3Tiled, q3Tiled, q3Tiled])
            #expect(try ids(.q8_0, rows: 640) == Array(repeating: "q8_0×q8_0.\(level)", count: 5))
        } else {
            print("[GGMLRouteTests] x86 route ids not checked: this process runs the \(KernelLevel.active) level")
        }
    }

    /// `matmul` of batches around the floors equals each row's kernel's dots, on 1 and 2 threads.
    @Test(arguments: [GGMLType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .q4_0, .iq4_nl, .iq4_xs])
    func matmulUsesEachRowsRoute(type: GGMLType) throws {
        var rng = SeededRNG(seed: 0xB47 + UInt64(type.rawValue))
        let rows = 24, cols = 512
        let bytes = RandomRows.weights(type, cols: cols, rows: rows, &rng)
        for count in [3, 6, 7, 8, 9] {
            let x = RandomRows.floats(count * cols, &rng, scale: 2)
            try bytes.withUnsafeBytes { raw in
                let w = try WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw)
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
                    for t in 0..<count {
                        let kernel = w.kernel(forRow: t, of: count)
                        let a = RandomRows.activations(Array(x[t * cols ..< (t + 1) * cols]), kernel.activation)
                        for r in 0..<rows {
                            let expected = a.withUnsafeBytes { kernel.dot(w.row(r), $0.baseAddress!, cols) }
                            #expect(y[t * rows + r].bitPattern == expected.bitPattern, "\(kernel.id) t \(t) r \(r)")
                        }
                    }
                }
            }
        }
    }
}
