/// Reference quantizers for weight formats, matching llama.cpp's `quantize_row_q4_0_ref` / `_q4_1_ref` (and so the
/// `gguf` Python package) bit for bit. Used to build synthetic test models and to cross-check fixtures; the
/// inference path never quantizes weights.
public enum WeightQuantizer {
    /// Quantizes `count` floats (a multiple of 32) into Q4_0 blocks at `y` (`count/32 × 18` bytes).
    /// The scale is the signed value of largest magnitude over −8, so that value maps exactly to quant 0.
    public static func quantizeQ4_0(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        precondition(count % 32 == 0, "Q4_0 rows are whole 32-element blocks")
        for b in 0..<count / 32 {
            // Reads x[32b ..< 32b+32], writes the 18-byte block b; both inside the caller's buffers.
            let xb = x + b * 32, block = y + b * BlockLayout.q4_0Bytes
            var amax: Float = 0, signedMax: Float = 0
            for j in 0..<32 where amax < abs(xb[j]) { amax = abs(xb[j]); signedMax = xb[j] }
            let d = signedMax / -8
            let inverse: Float = d != 0 ? 1 / d : 0
            block.storeF16(d, at: 0)
            for j in 0..<16 {
                let lo = min(15, Int8(xb[j] * inverse + 8.5)), hi = min(15, Int8(xb[j + 16] * inverse + 8.5))
                block.storeBytes(of: UInt8(lo) | UInt8(hi) << 4, toByteOffset: 2 + j, as: UInt8.self)
            }
        }
    }

    /// Quantizes `count` floats (a multiple of 32) into Q4_1 blocks at `y` (`count/32 × 20` bytes):
    /// `d = (max − min)/15`, `m = min`, quants truncated after adding one half.
    public static func quantizeQ4_1(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        precondition(count % 32 == 0, "Q4_1 rows are whole 32-element blocks")
        for b in 0..<count / 32 {
            // Reads x[32b ..< 32b+32], writes the 20-byte block b; both inside the caller's buffers.
            let xb = x + b * 32, block = y + b * BlockLayout.q4_1Bytes
            var lowest = Float.greatestFiniteMagnitude, highest = -Float.greatestFiniteMagnitude
            for j in 0..<32 {
                if xb[j] < lowest { lowest = xb[j] }
                if xb[j] > highest { highest = xb[j] }
            }
            let d = (highest - lowest) / 15
            let inverse: Float = d != 0 ? 1 / d : 0
            block.storeF16(d, at: 0)
            block.storeF16(lowest, at: 2)
            for j in 0..<16 {
                let lo = min(15, Int8((xb[j] - lowest) * inverse + 0.5))
                let hi = min(15, Int8((xb[j + 16] - lowest) * inverse + 0.5))
                block.storeBytes(of: UInt8(lo) | UInt8(hi) << 4, toByteOffset: 4 + j, as: UInt8.self)
            }
        }
    }
}
