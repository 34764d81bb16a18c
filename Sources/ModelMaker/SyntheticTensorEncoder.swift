import GGUF
import Kernels

/// Turns a seeded random stream into the bytes of one weight matrix in a chosen ggml type, with a chosen spread.
///
/// Float types hold bell-shaped values of standard deviation `sigma`. Q8_0, Q4_0 and Q4_1 quantize such values with
/// llama.cpp's reference quantizers (`ActivationQuantizer` with `.reference` rounding, `WeightQuantizer`). Q5_0,
/// Q4_K, Q5_K and Q6_K, which have no quantizer here, are written block by block from random codes with scales chosen so
/// the dequantized values spread with about `sigma` (each block's scale varies by ±25% so blocks differ as real
/// ones do). Any such bit pattern with finite scales is a valid block, and both engines read the same file.
public enum SyntheticTensorEncoder {
    /// Weight types the generator writes, in the order the parity tests list them.
    public static let supportedTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_nl,
                                                    .iq4_xs]

    /// The type named `name` (`q4_k`, `Q4_K`, `f16`…).
    /// - Throws: `ModelMakerError.unsupportedWeightType`.
    public static func type(named name: String) throws(ModelMakerError) -> GGMLType {
        guard let t = (supportedTypes + ternaryTypes).first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw .unsupportedWeightType(name, supported: (supportedTypes + ternaryTypes).map(\.name))
        }
        return t
    }

    /// The type a `rows × rowLength` matrix is written in when `type` asks for it: `type` itself, or — when the
    /// row is not a whole number of `type`'s blocks (576-wide rows and 256-element K-quant blocks) — the fallback
    /// llama.cpp's quantizer picks in that case (IQ4_XS → IQ4_NL, Q2_K, Q3_K → Q4_0, Q4_K → Q5_0, Q6_K → Q8_0; for Q5_K llama.cpp
    /// picks Q5_1, which has no kernel here, so Q5_0 stands in).
    public static func effectiveType(_ type: GGMLType, rowLength: Int) -> GGMLType {
        guard let t = type.traits, rowLength % t.blockSize != 0 else { return type }
        switch type {
        case .q2_K, .q3_K: return .q4_0
        case .iq4_xs: return .iq4_nl
        case .q4_K, .q5_K: return .q5_0
        case .q6_K: return .q8_0
        default: return type
        }
    }

    /// `count` bell-shaped values with standard deviation `sigma` and mean `mean`.
    public static func gaussian(_ count: Int, sigma: Float, mean: Float = 0, random: inout SyntheticRandom) -> [Float] {
        (0..<count).map { _ in mean + sigma * random.gaussian() }
    }

    /// The bytes of a matrix of `elements` values (rows of `rowLength`) in `type`, spread by `sigma`.
    /// - Throws: `ModelMakerError.unsupportedWeightType` for types not in `supportedTypes`, or rows that are not
    ///   whole blocks.
    public static func encode(_ type: GGMLType, elements: Int, rowLength: Int, sigma: Float,
                              random: inout SyntheticRandom) throws(ModelMakerError) -> [UInt8] {
        if type == .i2_s {
            return try i2sCodes(elements: elements, rowLength: rowLength, random: &random) + i2sTrailer(sigma: sigma)
        }
        guard supportedTypes.contains(type) || ternaryTypes.contains(type), let bytes = type.byteCount(elementCount: elements, rowLength: rowLength)
        else { throw .unsupportedWeightType("\(type.name) for rows of \(rowLength)", supported: supportedTypes.map(\.name)) }
        var out = [UInt8](repeating: 0, count: bytes)
        switch type {
        case .f32, .f16, .bf16:
            let values = gaussian(elements, sigma: sigma, random: &random)
            let width = type == .f32 ? 4 : 2
            for (i, v) in values.enumerated() {
                let bits: UInt32 = switch type {
                case .f32: v.bitPattern
                case .f16: UInt32(HalfConversion.f32ToF16(v))
                default: UInt32(HalfConversion.f32ToBF16(v))
                }
                for k in 0..<width { out[i * width + k] = UInt8(truncatingIfNeeded: bits >> (8 * k)) }
            }
        case .q8_0, .q4_0, .q4_1:
            let values = gaussian(elements, sigma: sigma, random: &random)
            values.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBytes { y in
                    // Bounds: byteCount above sized `out` for exactly `elements` values of `type`.
                    switch type {
                    case .q8_0: ActivationQuantizer.quantizeQ8_0Scalar(x.baseAddress!, into: y.baseAddress!,
                                                                        count: elements, rounding: .reference)
                    case .q4_0: WeightQuantizer.quantizeQ4_0(x.baseAddress!, into: y.baseAddress!, count: elements)
                    default: WeightQuantizer.quantizeQ4_1(x.baseAddress!, into: y.baseAddress!, count: elements)
                    }
                }
            }
        case .q5_0: fillQ5_0(&out, sigma: sigma, random: &random)
        case .tq1_0, .tq2_0: fillTernary(type, &out, elements: elements, sigma: sigma, random: &random)
        case .q4_K: fillQ4_K(&out, sigma: sigma, random: &random)
        case .q5_K: fillQ5_K(&out, sigma: sigma, random: &random)
        case .q2_K: fillQ2_K(&out, sigma: sigma, random: &random)
        case .iq4_nl: fillIQ4_NL(&out, sigma: sigma, random: &random)
        case .iq4_xs: fillIQ4_XS(&out, sigma: sigma, random: &random)
        case .q3_K: fillQ3_K(&out, sigma: sigma, random: &random)
        default: fillQ6_K(&out, sigma: sigma, random: &random)
        }
        return out
    }

    /// A block scale: `base` varied by a uniform factor in [0.75, 1.25).
    static func jittered(_ base: Float, _ random: inout SyntheticRandom) -> Float { base * (0.75 + 0.5 * random.unit()) }

    static func storeF16(_ v: Float, _ out: inout [UInt8], at i: Int) {
        let h = HalfConversion.f32ToF16(v)
        out[i] = UInt8(truncatingIfNeeded: h)
        out[i + 1] = UInt8(truncatingIfNeeded: h >> 8)
    }

    static func fillRandom(_ out: inout [UInt8], _ range: Range<Int>, _ random: inout SyntheticRandom) {
        var i = range.lowerBound
        while i < range.upperBound {
            let r = random.next()
            for k in 0..<min(8, range.upperBound - i) { out[i + k] = UInt8(truncatingIfNeeded: r >> (8 * k)) }
            i += 8
        }
    }

    /// Q5_0 (22 bytes / 32): d, 32 high bits, 16 bytes of low nibbles; value d·(q − 16) with q uniform in 0...31
    /// (standard deviation of q − 16 ≈ 9.23).
    static func fillQ5_0(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        for b in 0..<out.count / 22 {
            storeF16(jittered(sigma / 9.23, &random), &out, at: 22 * b)
            fillRandom(&out, (22 * b + 2)..<(22 * b + 22), &random)
        }
    }

    /// Q4_K (144 bytes / 256): d, dmin, 12 bytes packing eight 6-bit (scale, min) pairs, 128 bytes of nibbles;
    /// value d·sc·q − dmin·m over sub-blocks of 32. Scales are drawn in 16...63 and each min is set to about
    /// sc·7.5/8 with dmin = 8d, which centres every sub-block near zero as a real quantizer's min does; the
    /// spread is then about d·sc·4.6.
    static func fillQ4_K(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        fillK4Scaled(&out, blockBytes: 144, d: sigma / (40 * 4.61), dminFactor: 8, random: &random)
    }

    /// Q5_K (176 bytes / 256): Q4_K's header and scale packing, 32 bytes of fifth bits, 128 bytes of nibbles;
    /// value d·sc·q − dmin·m with q uniform in 0...31 (standard deviation ≈ 9.23, mean 15.5), so dmin = 16d centres
    /// each sub-block with Q4_K's mins.
    static func fillQ5_K(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        fillK4Scaled(&out, blockBytes: 176, d: sigma / (40 * 9.23), dminFactor: 16, random: &random)
    }

    /// Q4_K and Q5_K blocks: d jittered around `d`, dmin = `dminFactor`·d, packed scales and mins, random quant bytes.
    static func fillK4Scaled(_ out: inout [UInt8], blockBytes: Int, d: Float, dminFactor: Float,
                             random: inout SyntheticRandom) {
        for b in 0..<out.count / blockBytes {
            let base = blockBytes * b
            let scale = jittered(d, &random)
            storeF16(scale, &out, at: base)
            storeF16(dminFactor * scale, &out, at: base + 2)
            packScalesMinsK4(&out, at: base + 4, random: &random)
            fillRandom(&out, (base + 16)..<(base + blockBytes), &random)
        }
    }

    /// IQ4_NL (18 bytes / 32): d, 16 bytes of nibbles indexing ggml's 16 non-linear levels (−127…113). Uniform
    /// nibbles would bias every weight (the levels average −6.5), so each nibble is the level nearest a bell-shaped
    /// draw of standard deviation 50 (as a quantizer of Gaussian weights picks them).
    static func fillIQ4_NL(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        for b in 0..<out.count / 18 {
            storeF16(jittered(sigma / 50, &random), &out, at: 18 * b)
            fillIQ4Nibbles(&out, (18 * b + 2)..<(18 * b + 18), &random)
        }
    }

    /// The ggml IQ4 levels, for picking nibbles.
    static let iq4Levels: [Float] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    static func fillIQ4Nibbles(_ out: inout [UInt8], _ range: Range<Int>, _ random: inout SyntheticRandom) {
        func nibble() -> UInt8 {
            let target = 50 * random.gaussian()
            return UInt8(iq4Levels.indices.min { abs(iq4Levels[$0] - target) < abs(iq4Levels[$1] - target) }!)
        }
        for i in range { out[i] = nibble() | nibble() << 4 }
    }

    /// IQ4_XS (136 bytes / 256): d, eight 6-bit sub-block scales (raw 40…63: signed 8…31), IQ4_NL's nibbles.
    static func fillIQ4_XS(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        for b in 0..<out.count / 136 {
            let base = 136 * b
            storeF16(jittered(sigma / (20 * 50), &random), &out, at: base)
            var high: UInt16 = 0
            for ib in 0..<8 {
                let ls = UInt8(40 + random.next() % 24)
                out[base + 4 + ib / 2] |= (ls & 0xF) << (4 * UInt8(ib % 2))
                high |= UInt16(ls >> 4) << (2 * UInt16(ib))
            }
            out[base + 2] = UInt8(truncatingIfNeeded: high)
            out[base + 3] = UInt8(truncatingIfNeeded: high >> 8)
            fillIQ4Nibbles(&out, (base + 8)..<(base + 136), &random)
        }
    }

    /// Q2_K (84 bytes / 256): 16 bytes of (scale, min) nibbles, 64 bytes of 2-bit quants, d, dmin; value
    /// d·sc·q − dmin·m with q uniform in 0...3 (standard deviation ≈ 1.12, mean 1.5). Scales in 8...15, each min
    /// about sc·3/8 with dmin = 4d, so sub-blocks centre near zero.
    static func fillQ2_K(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        for b in 0..<out.count / 84 {
            let base = 84 * b
            for s in 0..<16 {
                let sc = UInt8(8 + random.next() % 8)
                out[base + s] = sc | ((sc * 3 + 4) / 8) << 4  // min = round(sc · 3/8), in units of dmin = 4d
            }
            fillRandom(&out, (base + 16)..<(base + 80), &random)
            let d = jittered(sigma / (11.5 * 1.12), &random)
            storeF16(d, &out, at: base + 80)
            storeF16(4 * d, &out, at: base + 82)
        }
    }

    /// Q3_K (110 bytes / 256): high bits, 2-bit quants, 12 bytes of packed 6-bit scales, d; value
    /// d·(sc − 32)·(q − 4) with q uniform in 0...7 (standard deviation of q − 4 ≈ 2.29). Raw scales are drawn in
    /// 40...63 or 1...24 (signed ±8...31).
    static func fillQ3_K(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        for b in 0..<out.count / 110 {
            let base = 110 * b
            fillRandom(&out, base..<(base + 96), &random)
            var raw = [UInt8](repeating: 0, count: 16)
            for s in 0..<16 {
                let r = random.next()
                raw[s] = r & 1 == 0 ? UInt8(40 + (r >> 1) % 24) : UInt8(1 + (r >> 1) % 24)
            }
            // Inverse of the unpacking: bytes 0…7 hold the low nibbles (sub-blocks 0…7 low, 8…15 high), bytes
            // 8…11 the top two bits of sub-blocks b, b+4, b+8, b+12 at bits 0, 2, 4, 6.
            for k in 0..<8 { out[base + 96 + k] = (raw[k] & 0xF) | (raw[k + 8] & 0xF) << 4 }
            for k in 0..<4 {
                out[base + 104 + k] = (raw[k] >> 4) | (raw[k + 4] >> 4) << 2 | (raw[k + 8] >> 4) << 4 | (raw[k + 12] >> 4) << 6
            }
            storeF16(jittered(sigma / (20 * 2.29), &random), &out, at: base + 108)
        }
    }

    /// Eight random 6-bit scales in 16...63, each min about sc·15/16, packed into the 12 bytes at `at` as Q4_K and
    /// Q5_K store them.
    static func packScalesMinsK4(_ out: inout [UInt8], at start: Int, random: inout SyntheticRandom) {
        var sc = [UInt8](repeating: 0, count: 8), mn = [UInt8](repeating: 0, count: 8)
        for j in 0..<8 {
            sc[j] = UInt8(16 + random.next() % 48)
            mn[j] = UInt8((Int(sc[j]) * 15 + 8) / 16)  // round(sc · 7.5 / 8)
        }
        // Packing (the inverse of the 6-bit unpacking in Kernels' K-quant dequantizers): bytes 0..3 hold scales
        // 0..3 and the top two bits of scales 4..7; bytes 4..7 the same for mins; bytes 8..11 the low nibbles
        // of scales 4..7 (low half) and mins 4..7 (high half).
        for j in 0..<4 {
            out[start + j] = (sc[j] & 63) | ((sc[j + 4] >> 4) << 6)
            out[start + 4 + j] = (mn[j] & 63) | ((mn[j + 4] >> 4) << 6)
            out[start + 8 + j] = (sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4)
        }
    }

    /// Q6_K (210 bytes / 256): 128 bytes of low nibbles, 64 bytes of high bit pairs, 16 signed 8-bit sub-block
    /// scales, d; value d·sc·(q − 32) with q uniform in 0...63 (standard deviation ≈ 18.5). Scales are drawn in
    /// ±(16...63).
    static func fillQ6_K(_ out: inout [UInt8], sigma: Float, random: inout SyntheticRandom) {
        for b in 0..<out.count / 210 {
            let base = 210 * b
            fillRandom(&out, base..<(base + 192), &random)
            for j in 0..<16 {
                let r = random.next()
                let magnitude = Int8(16 + r % 48)
                out[base + 192 + j] = UInt8(bitPattern: (r >> 32) & 1 == 0 ? magnitude : -magnitude)
            }
            storeF16(jittered(sigma / (40 * 18.5), &random), &out, at: base + 208)
        }
    }
}
