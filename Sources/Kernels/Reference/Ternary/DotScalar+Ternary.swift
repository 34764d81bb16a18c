/// Scalar reference dot products for the ternary weight formats.
///
/// TQ1_0 and TQ2_0 pair with Q8_K activations as in ggml-cpu (`vec_dot_type = GGML_TYPE_Q8_K`): per 256-element
/// block the integer sum Σ (c − 1)·q is exact, then `sum += Float(isum) · (d_x · d_w)` in block order, the
/// arithmetic of ggml's generic `ggml_vec_dot_tq*_q8_K`. Same argument contract as the rest of `DotScalar`.
extension DotScalar {
    /// TQ1_0 · Q8_K.
    public static func tq1_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.tq1_0Bytes, xb = x + b * BlockLayout.q8_KBytes
            var isum = 0
            // e < 256: activation byte 4 + e lies inside the 292-byte Q8_K block.
            DequantizeScalar.forEachTQ1Code(wb) { e, code in isum += (code - 1) * Int(xb.i8(at: 4 + e)) }
            sum += Float(isum) * (xb.loadUnaligned(as: Float.self) * wb.f16(at: 52))
        }
        return sum
    }

    /// TQ2_0 · Q8_K.
    public static func tq2_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.tq2_0Bytes, xb = x + b * BlockLayout.q8_KBytes
            var isum = 0
            for e in 0..<256 { isum += (DequantizeScalar.tq2Code(wb, e) - 1) * Int(xb.i8(at: 4 + e)) }
            sum += Float(isum) * (xb.loadUnaligned(as: Float.self) * wb.f16(at: 64))
        }
        return sum
    }

    /// I2_S · I8 (per-token int8): `Σ (c − 1)·q / s_x` over the row (bitnet.cpp divides by its activation
    /// multiplier); `matmul` then applies the weight tensor's scale (`WeightMatrix.tensorScale`), which the row
    /// bytes do not carry.
    public static func i2_s(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var isum = 0
        // The weight row is count / 4 bytes, the activation row count int8 then its F32 multiplier (ActivationFormat.i8).
        for e in 0..<count { isum += (DequantizeScalar.i2sCode(w, e) - 1) * Int(x.i8(at: e)) }
        return Float(isum) / x.loadUnaligned(fromByteOffset: count, as: Float.self)
    }
}
