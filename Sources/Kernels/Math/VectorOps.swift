import Foundation

/// Element-wise and row kernels of the forward pass, following ggml-cpu's F32 arithmetic (sums in `Double` where
/// ggml uses `ggml_float`). Each takes `count` elements; callers guarantee the buffers hold that many.
public enum VectorOps {
    /// RMSNorm: `y = x / sqrt(mean(x²) + eps)` (no weight; multiply by the norm weight separately).
    /// `x` and `y` may be the same buffer.
    public static func rmsNorm(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, eps: Float) {
        var sum = 0.0
        // Squares in Float, sum in Double, mean and scale in Float: ggml's order, so the scale rounds identically.
        for j in 0..<count { sum += Double(x[j] * x[j]) }
        let scale = 1 / (Float(sum / Double(count)) + eps).squareRoot()
        for j in 0..<count { y[j] = x[j] * scale }
    }

    /// GELU, tanh approximation: `0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²)))`, with `1 + 0.044715·x·x` as one
    /// fused multiply-add, as gcc compiles ggml-cpu's `ggml_gelu_f32` (which also fills its F16 table). Unfused, the
    /// table entry for x = −1.999 (F16 0xBFFF) differs by one F16 ulp; the other 65 535 entries agree either way.
    @inline(__always)
    public static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + tanhf(0.797_884_56 * x * Float(1).addingProduct(0.044715 * x, x)))
    }

    /// GELU over a row as ggml-cpu computes it for F32: inputs ≤ −10 give 0, ≥ 10 give x, and otherwise the input
    /// is rounded to F16 and the result is the F16-rounded `geluTanh` of that (ggml's 64K-entry F16 table).
    /// Pass `f16Table: false` for the plain F32 formula. `x` and `y` may alias.
    public static func gelu(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, f16Table: Bool = true
    ) {
        guard f16Table else {
            for j in 0..<count { y[j] = geluTanh(x[j]) }
            return
        }
        geluTable.withUnsafeBufferPointer { table in
            for j in 0..<count {
                let v = x[j]
                if v <= -10 { y[j] = 0 }
                else if v >= 10 { y[j] = v }
                else { y[j] = table[Int(HalfFloat.fromFloat(v))] }  // every UInt16 indexes the 65 536 entries
            }
        }
    }

    /// ggml's GELU table: entry h is the F16-rounded `geluTanh` of F16 value h (built once, 256 KB).
    static let geluTable: [Float] = (0...UInt16.max).map { HalfFloat.round(geluTanh(HalfFloat.toFloat($0))) }
}
