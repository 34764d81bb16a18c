import Testing
@testable import Kernels

@Suite struct VectorOpsTests {
    @Test func rmsNormGivesUnitRootMeanSquare() {
        var x: [Float] = [1, -2, 3, -4, 5, 6, -7, 8]
        x.withUnsafeMutableBufferPointer { VectorOps.rmsNorm($0.baseAddress!, into: $0.baseAddress!, count: 8, eps: 0) }
        let rms = (x.map { $0 * $0 }.reduce(0, +) / 8).squareRoot()
        #expect(abs(rms - 1) < 1e-6)
    }

    @Test func activationsAtKnownPoints() {
        var x: [Float] = [0, 1, -1, 20, -20]
        var g = [Float](repeating: 0, count: 5)
        x.withUnsafeMutableBufferPointer { xp in
            g.withUnsafeMutableBufferPointer { VectorOps.gelu(xp.baseAddress!, into: $0.baseAddress!, count: 5) }
        }
        #expect(g[0] == 0 && g[3] == 20 && g[4] == 0)
        #expect(g[1] == HalfFloat.round(VectorOps.geluTanh(1)))  // F16 table semantics
        #expect(abs(VectorOps.geluTanh(1) - 0.8411920) < 1e-6)
    }

    /// ggml-cpu's F16 GELU table entry for x = −1.999 (F16 0xBFFF) is 0xA9D3 (read from the pinned libggml-cpu's
    /// `ggml_table_gelu_f16`): the one entry where `1 + 0.044715·x·x` must be fused as gcc compiles it.
    @Test func geluMatchesGGMLTableAtItsFusedMultiplyAddEntry() {
        let x = HalfFloat.toFloat(0xBFFF)
        #expect(HalfFloat.fromFloat(VectorOps.geluTanh(x)) == 0xA9D3)
    }
}
