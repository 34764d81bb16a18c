import GGUF

/// A ternary tensor unpacked from any of the formats that hold one: one 2-bit code per element (weight =
/// code − 1, so 0…2 are ternary and 3 is TQ2_0/I2_S's unused "+2") and its scales, one per `scaleBlock`
/// elements (256 for TQ1_0/TQ2_0, the whole tensor for I2_S and for ternary-valued F32/F16).
///
/// `decode` and `encode` move codes and scales between TQ1_0, TQ2_0 and I2_S without touching them, so a
/// conversion is lossless whenever the target can hold what the source has; when it cannot, `encode` throws
/// rather than approximate (unless asked to round an F32 scale to F16).
public struct TernaryCodes: Sendable, Equatable {
    /// One code per element, in element order.
    public var codes: [UInt8]
    /// Scales, one per `scaleBlock` elements.
    public var scales: [Float]
    /// Elements sharing one scale.
    public var scaleBlock: Int

    /// Codes and scales as given.
    public init(codes: [UInt8], scales: [Float], scaleBlock: Int) {
        self.codes = codes
        self.scales = scales
        self.scaleBlock = scaleBlock
    }

    /// The ternary formats `encode` writes.
    public static let formats: [GGMLType] = [.tq1_0, .tq2_0, .i2_s]

    /// Unpacks `count` elements of `type` from `bytes`.
    ///
    /// F32 and F16 tensors must be ternary-valued with one magnitude: every element 0 or ±s for a single s (the
    /// first non-zero magnitude, as bitnet.cpp's `quantize_i2_s` takes it). An all-zero tensor gets s = 1.
    /// - Throws: `TernaryCodecError.unsupportedSourceType`, `.sizeMismatch`, `.notTernary` (the first element
    ///   whose magnitude differs), `.invalidScale` for a non-finite scale.
    public static func decode(_ type: GGMLType, _ bytes: UnsafeRawBufferPointer,
                              count: Int) throws(TernaryCodecError) -> TernaryCodes {
        guard let expected = type.byteCount(elementCount: count, rowLength: type == .i2_s ? count : 256),
              [.tq1_0, .tq2_0, .i2_s, .f32, .f16].contains(type)
        else { throw .unsupportedSourceType(type) }
        guard bytes.count == expected, count > 0 else { throw .sizeMismatch(type: type, count: count, bytes: bytes.count) }
        let base = bytes.baseAddress!  // non-empty: count > 0 and the size matched
        var codes = [UInt8](repeating: 1, count: count)
        switch type {
        case .tq1_0, .tq2_0:
            let blockBytes = type == .tq1_0 ? 54 : 66
            var scales: [Float] = []
            for b in 0..<count / 256 {
                // Block b is bytes blockBytes·b ..< +blockBytes, inside `bytes` by the size check above.
                let block = base + blockBytes * b
                if type == .tq1_0 {
                    DequantizeScalar.forEachTQ1Code(block) { e, c in codes[256 * b + e] = UInt8(c) }
                } else {
                    for e in 0..<256 { codes[256 * b + e] = UInt8(DequantizeScalar.tq2Code(block, e)) }
                }
                scales.append(block.f16(at: blockBytes - 2))
            }
            for s in scales where !s.isFinite { throw .invalidScale(s) }
            return TernaryCodes(codes: codes, scales: scales, scaleBlock: 256)
        case .i2_s:
            guard count % 128 == 0 else { throw .sizeMismatch(type: type, count: count, bytes: bytes.count) }
            for e in 0..<count { codes[e] = UInt8(DequantizeScalar.i2sCode(base, e)) }
            let scale = base.loadUnaligned(fromByteOffset: count / 4, as: Float.self)
            guard scale.isFinite else { throw .invalidScale(scale) }
            return TernaryCodes(codes: codes, scales: [scale], scaleBlock: count)
        default:
            let values = (0..<count).map { type == .f32 ? base.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self)
                                                        : base.f16(at: 2 * $0) }
            let s = values.first { $0 != 0 }.map(abs) ?? 1
            guard s.isFinite else { throw .invalidScale(s) }
            for (i, v) in values.enumerated() {
                if v == 0 { continue }
                guard abs(v) == s else { throw .notTernary(index: i, value: v, magnitude: s) }
                codes[i] = v > 0 ? 2 : 0
            }
            return TernaryCodes(codes: codes, scales: [s], scaleBlock: count)
        }
    }

    /// Packs the codes and scales as `type` (TQ1_0, TQ2_0 or I2_S).
    ///
    /// - TQ1_0 / TQ2_0 need whole 256-element blocks and one F16 scale per block: a per-tensor F32 scale is
    ///   repeated into every block and must be exactly representable in F16, or `roundScales` must allow rounding
    ///   it to the nearest F16 (relative error ≤ 2⁻¹¹). TQ1_0 holds codes 0…2 only.
    /// - I2_S needs one scale for the whole tensor (all block scales equal) and whole 128-element blocks.
    /// - Throws: `TernaryCodecError.unsupportedTargetType`, `.notWholeBlocks`, `.scalesDiffer`,
    ///   `.scaleNotExactInF16`, `.codeNotTernary`.
    public func encode(as type: GGMLType, roundScales: Bool = false) throws(TernaryCodecError) -> [UInt8] {
        let count = codes.count
        switch type {
        case .i2_s:
            guard count % 128 == 0 else { throw .notWholeBlocks(type: type, count: count, block: 128) }
            for (b, s) in scales.enumerated() where s.bitPattern != scales[0].bitPattern {
                throw .scalesDiffer(block: b, scale: s, first: scales[0])
            }
            var out = [UInt8](repeating: 0, count: count / 4 + 32)
            for e in 0..<count {
                let r = e % 128
                out[32 * (e / 128) + r % 32] |= (codes[e] & 3) << UInt8(6 - 2 * (r / 32))
            }
            withUnsafeBytes(of: scales[0].bitPattern.littleEndian) { for k in 0..<4 { out[count / 4 + k] = $0[k] } }
            return out
        case .tq1_0, .tq2_0:
            guard count % 256 == 0 else { throw .notWholeBlocks(type: type, count: count, block: 256) }
            if type == .tq1_0, let i = codes.firstIndex(where: { $0 > 2 }) { throw .codeNotTernary(index: i, code: Int(codes[i])) }
            let blockBytes = type == .tq1_0 ? 54 : 66
            var out = [UInt8](repeating: 0, count: count / 256 * blockBytes)
            for b in 0..<count / 256 {
                let scale = scales[256 * b / scaleBlock]
                let half = HalfConversion.f32ToF16(scale)
                guard roundScales || HalfConversion.f16ToF32(half).bitPattern == scale.bitPattern else {
                    throw .scaleNotExactInF16(scale: scale)
                }
                let block = Array(codes[(256 * b)..<(256 * b + 256)])
                if type == .tq1_0 { Self.packTQ1(block, &out, at: blockBytes * b) } else { Self.packTQ2(block, &out, at: blockBytes * b) }
                out[blockBytes * b + blockBytes - 2] = UInt8(truncatingIfNeeded: half)
                out[blockBytes * b + blockBytes - 1] = UInt8(truncatingIfNeeded: half >> 8)
            }
            return out
        default:
            throw .unsupportedTargetType(type)
        }
    }

    /// TQ2_0: element e's code in bits 2·((e / 32) % 4) of byte 32·(e / 128) + e % 32 of the block at `base`.
    public static func packTQ2(_ codes: [UInt8], _ out: inout [UInt8], at base: Int) {
        for e in 0..<256 { out[base + 32 * (e / 128) + e % 32] |= (codes[e] & 3) << UInt8(2 * ((e / 32) % 4)) }
    }

    /// TQ1_0: each byte holds base-3 digits (first digit most significant) as the fixed-point fraction
    /// ⌈v·256/243⌉ of v = Σ cₙ·3^(4−n), as ggml's `quantize_row_tq1_0_ref` packs them. Bytes 0..<32 hold elements
    /// 32n + m, bytes 32..<48 elements 160 + 16n + m, the four qh bytes elements 240 + 4n + m with a fifth digit
    /// of 0. Codes must be 0…2.
    public static func packTQ1(_ codes: [UInt8], _ out: inout [UInt8], at base: Int) {
        func pack(_ digits: [UInt8]) -> UInt8 {
            let v = digits.reduce(0) { $0 * 3 + Int($1) }  // ≤ 242
            return UInt8((v * 256 + 242) / 243)
        }
        for m in 0..<32 { out[base + m] = pack((0..<5).map { codes[32 * $0 + m] }) }
        for m in 0..<16 { out[base + 32 + m] = pack((0..<5).map { codes[160 + 16 * $0 + m] }) }
        for m in 0..<4 { out[base + 48 + m] = pack((0..<4).map { codes[240 + 4 * $0 + m] } + [0]) }
    }
}

/// Why a tensor cannot be unpacked as ternary or packed into a ternary format without loss.
public enum TernaryCodecError: Error, Equatable, CustomStringConvertible {
    /// The source type holds no ternary values this codec reads.
    case unsupportedSourceType(GGMLType)
    /// The target type is not TQ1_0, TQ2_0 or I2_S.
    case unsupportedTargetType(GGMLType)
    /// The byte count does not match the element count.
    case sizeMismatch(type: GGMLType, count: Int, bytes: Int)
    /// An F32/F16 element is neither 0 nor ±magnitude.
    case notTernary(index: Int, value: Float, magnitude: Float)
    /// A 2-bit code of 3 (weight +2) cannot be written as TQ1_0.
    case codeNotTernary(index: Int, code: Int)
    /// Block scales differ, but the target has one scale per tensor.
    case scalesDiffer(block: Int, scale: Float, first: Float)
    /// The F32 scale has no exact F16 form, and rounding was not allowed.
    case scaleNotExactInF16(scale: Float)
    /// The element count is not a whole number of the target's blocks.
    case notWholeBlocks(type: GGMLType, count: Int, block: Int)
    /// A scale is not a finite number.
    case invalidScale(Float)

    public var description: String {
        switch self {
        case .unsupportedSourceType(let t):
            "type \(t) holds no ternary weights to convert (readable: tq1_0, tq2_0, i2_s, and ternary-valued f32/f16)"
        case .unsupportedTargetType(let t):
            "cannot write \(t); ternary targets are tq1_0, tq2_0, i2_s"
        case .sizeMismatch(let t, let n, let b):
            "\(t) data of \(b) bytes does not hold \(n) elements; the file is truncated or the shape is wrong"
        case .notTernary(let i, let v, let s):
            "element \(i) is \(v), not 0 or ±\(s): the weights are not ternary with one scale. Quantize them to "
                + "ternary first (BitNet absmean: round(w / mean|w|) clamped to ±1, times the mean)"
        case .codeNotTernary(let i, let c):
            "element \(i) has 2-bit code \(c) (weight \(c - 1)), which TQ1_0's base-3 packing cannot hold; "
                + "convert to tq2_0 or i2_s instead"
        case .scalesDiffer(let b, let s, let f):
            "block \(b) has scale \(s) but block 0 has \(f); I2_S keeps one scale per tensor, so this tensor "
                + "cannot be I2_S without changing its values. Keep it as tq1_0/tq2_0"
        case .scaleNotExactInF16(let s):
            "scale \(s) has no exact F16 form, and TQ blocks store F16 scales; pass --round-scales to accept "
                + "a relative change of at most 2⁻¹¹, or keep the tensor as i2_s"
        case .notWholeBlocks(let t, let n, let b):
            "\(n) elements are not whole \(b)-element blocks, which \(t) needs"
        case .invalidScale(let s):
            "scale \(s) is not a finite number; the file is corrupt"
        }
    }
}
