import GGUF

/// The 32-element block formats and the Q8 activation formats.
extension DequantizeScalar {
    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q4_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for j in 0..<16 {
                let byte = block.u8(at: 2 + j)
                out[j] = Float(Int(byte & 0xF) - 8) * d
                out[j + 16] = Float(Int(byte >> 4) - 8) * d
            }
        }
    }

    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q4_1Bytes, out = dst + b * 32
            let d = block.f16(at: 0), m = block.f16(at: 2)
            for j in 0..<16 {
                let byte = block.u8(at: 4 + j)
                out[j] = Float(byte & 0xF) * d + m
                out[j + 16] = Float(byte >> 4) * d + m
            }
        }
    }

    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q5_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            let qh = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            for j in 0..<16 {
                let byte = block.u8(at: 6 + j)
                let lo = Int(byte & 0xF) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                out[j] = Float(lo - 16) * d
                out[j + 16] = Float(hi - 16) * d
            }
        }
    }

    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q8_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for j in 0..<32 { out[j] = Float(block.i8(at: 2 + j)) * d }
        }
    }

    static func q8_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q8_1Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for j in 0..<32 { out[j] = Float(block.i8(at: 4 + j)) * d }
        }
    }
}
