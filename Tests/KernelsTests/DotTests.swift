import GGUF
import Testing
@testable import Kernels

/// Dot products: SIMD against scalar, and scalar against the dequantized rows' exact dot product.
///
/// Tolerance: |a − b| ≤ 1e-5 · Σ|wᵢ·xᵢ| + 1e-6 (wᵢ, xᵢ dequantized). Integer parts of both kernels are exact, so
/// differences come only from the order of F32 block accumulations (a few ulps of the absolute-value sum).
@Suite struct DotTests {
    static let lengths = [256, 1024, 2816]  // 2816 = 11 super-blocks: no power-of-two luck

    func check(_ type: GGMLType, cols: Int, seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        let scalarKernel = DotKernel.kernel(for: type, path: .scalar)!, simdKernel = DotKernel.kernel(for: type)!
        #expect(scalarKernel.activation == simdKernel.activation)
        let w = RandomRows.weights(type, cols: cols, &rng)
        let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), scalarKernel.activation)
        let (s, v) = w.withUnsafeBytes { wp in
            x.withUnsafeBytes { xp in
                (scalarKernel.dot(wp.baseAddress!, xp.baseAddress!, cols), simdKernel.dot(wp.baseAddress!, xp.baseAddress!, cols))
            }
        }
        let wf = dequantizeScalar(type, w, count: cols)
        let xf = dequantizeScalar(scalarKernel.activation.ggmlType, x, count: cols)
        let exact = zip(wf, xf).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(wf, xf).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        let tolerance = 1e-5 * magnitude + 1e-6
        #expect(abs(Double(s) - Double(v)) <= tolerance, "\(simdKernel.id) vs scalar: \(v) vs \(s)")
        #expect(abs(Double(s) - exact) <= tolerance, "\(scalarKernel.id) vs dequantized: \(s) vs \(exact)")
    }

    @Test(arguments: DotKernel.supportedTypes)
    func simdMatchesScalarAndDequantizedDot(type: GGMLType) {
        for (i, cols) in DotTests.lengths.enumerated() {
            for trial in 0..<8 { check(type, cols: cols, seed: UInt64(type.rawValue) << 16 + UInt64(i * 8 + trial)) }
        }
    }

    @Test func floatKernelsHandleRowsThatAreNotMultiplesOf32() {
        for type in [GGMLType.f32, .f16, .bf16] { check(type, cols: 77, seed: 99) }
    }

    @Test func kernelIDsNameWeightActivationAndPath() {
        #expect(DotKernel.kernel(for: .q4_1)?.activation == .q8_1)
        #expect(DotKernel.kernel(for: .q4_1, path: .scalar)?.id == "q4_1×q8_1.scalar")
        #expect(DotKernel.kernel(for: .q4_K)?.activation == .q8_K)
        #expect(DotKernel.kernel(for: .q5_0)?.activation == .q8_0)
        #expect(DotKernel.kernel(for: .f16)?.activation == .f16)
        #expect(DotKernel.kernel(for: .q5_1) == nil)
        if KernelLevel.active.givesX86V3Bits { #expect(DotKernel.kernel(for: .q8_0)?.id == "q8_0×q8_0.\(KernelLevel.active)") }
    }
}
