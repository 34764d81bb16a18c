import GGUF

/// llamafile's tinyBLAS on ARM64, which ggml-cpu's `mul_mat` tries first for a batch (2 or more activation rows):
/// F32 weights (4 or more activation rows) and F16 weights (2 or more, against the F32 activations as they come) at both
/// ARM levels when the weight's rows and columns are multiples of 4, and, with the dot-product instructions, Q4_0 and
/// Q8_0 weights llama.cpp did not repack (row count not a multiple of 4). Each output keeps one 4-lane sum for the
/// whole row, reduced by pairwise adds at the end:
///
/// - F32, F16: `acc = fma(x, w, acc)` four elements at a time (`vfmaq_f32`; F16 widened exactly)
/// - Q4_0, Q8_0: per block, the SDOT lanes (lane l: elements 4l…4l+3 of each half) converted and multiplied by
///   d_w·d_x, then added (`vmlaq_n_f32`, not fused)
public enum GGMLTinyBLASARM {
    /// F32 · F32 (scalar reference; `count` a multiple of 4).
    public static func f32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var acc = [Float](repeating: 0, count: 4)
        for j in stride(from: 0, to: count, by: 4) {
            for l in 0..<4 {
                acc[l] = acc[l].addingProduct(x.loadUnaligned(fromByteOffset: 4 * (j + l), as: Float.self),
                                              w.loadUnaligned(fromByteOffset: 4 * (j + l), as: Float.self))
            }
        }
        return (acc[0] + acc[1]) + (acc[2] + acc[3])
    }

    /// F16 weights · F32 activations (scalar reference; `count` a multiple of 4).
    public static func f16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var acc = [Float](repeating: 0, count: 4)
        for j in stride(from: 0, to: count, by: 4) {
            for l in 0..<4 {
                acc[l] = acc[l].addingProduct(x.loadUnaligned(fromByteOffset: 4 * (j + l), as: Float.self), w.f16(at: 2 * (j + l)))
            }
        }
        return (acc[0] + acc[1]) + (acc[2] + acc[3])
    }

    /// Q4_0 · Q8_0 (scalar reference).
    public static func q4_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        blocks(w, x, count, blockBytes: BlockLayout.q4_0Bytes) { wb, j in
            let byte = wb.u8(at: 2 + j % 16)
            return Int32(j < 16 ? byte & 0xF : byte >> 4) - 8
        }
    }

    /// Q8_0 · Q8_0 (scalar reference).
    public static func q8_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        blocks(w, x, count, blockBytes: BlockLayout.q8_0Bytes) { wb, j in Int32(wb.i8(at: 2 + j)) }
    }

    /// The 32-element formats' lanes: `weight(block, j)` is element j of a weight block.
    static func blocks(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, blockBytes: Int,
                       _ weight: (UnsafeRawPointer, Int) -> Int32) -> Float {
        var acc = [Float](repeating: 0, count: 4)
        for b in 0..<count / 32 {
            let wb = w + b * blockBytes, xb = x + b * BlockLayout.q8_0Bytes
            let d = wb.f16(at: 0) * xb.f16(at: 0)
            for l in 0..<4 {
                var lane: Int32 = 0
                for half in 0..<2 {
                    for j in (16 * half + 4 * l)..<(16 * half + 4 * l + 4) { lane += weight(wb, j) * Int32(xb.i8(at: 2 + j)) }
                }
                acc[l] += Float(lane) * d
            }
        }
        return (acc[0] + acc[1]) + (acc[2] + acc[3])
    }
}
