import GGUF

/// Ternary matrices for synthetic BitNet models: every weight is t·d with t ∈ {−1, 0, +1}.
///
/// Statistics follow BitNet b1.58's absmean quantizer applied to Gaussian latent weights: t = clamp(round(g /
/// mean|g|), −1, 1) with g ~ N(0, 1), so P(t = 0) ≈ 0.31 and P(t = ±1) ≈ 0.345 each; d = σ / √P(t ≠ 0), so the
/// dequantized weights spread by σ. One d per tensor, written into every block, as converting a real b1.58
/// checkpoint gives (its absmean scale is per tensor) — which also makes the blocks convertible to I2_S's single
/// tensor scale without loss.
extension SyntheticTensorEncoder {
    /// Ternary weight types the generator writes (for `--arch bitnet`; any architecture accepts them).
    public static let ternaryTypes: [GGMLType] = [.tq1_0, .tq2_0]

    /// Mean |g| of a standard normal, √(2/π): BitNet's absmean scale of the latent weights.
    static let absMeanOfNormal: Float = 0.797_884_6
    /// √P(|g| ≥ 0.5·absmean) for a standard normal: the RMS of the ternary values t.
    static let ternaryRMS: Float = 0.830_2

    /// Encodes `elements` ternary values (rows of a multiple of 256) in TQ1_0 or TQ2_0 into `out`.
    static func fillTernary(_ type: GGMLType, _ out: inout [UInt8], elements: Int, sigma: Float,
                            random: inout SyntheticRandom) {
        let d = sigma / ternaryRMS
        let blockBytes = type == .tq1_0 ? 54 : 66
        for b in 0..<elements / 256 {
            // Codes c = t + 1 ∈ 0…2 of block b's 256 weights, in element order.
            let codes = (0..<256).map { _ -> Int in
                Int(max(-1, min(1, (random.gaussian() / absMeanOfNormal).rounded()))) + 1
            }
            if type == .tq1_0 {
                packTQ1(codes, &out, at: blockBytes * b)
                storeF16(d, &out, at: blockBytes * b + 52)
            } else {
                packTQ2(codes, &out, at: blockBytes * b)
                storeF16(d, &out, at: blockBytes * b + 64)
            }
        }
    }

    /// TQ2_0: element e's code in bits 2·((e / 32) % 4) of byte 32·(e / 128) + e % 32.
    static func packTQ2(_ codes: [Int], _ out: inout [UInt8], at base: Int) {
        for e in 0..<256 { out[base + 32 * (e / 128) + e % 32] |= UInt8(codes[e] << (2 * ((e / 32) % 4))) }
    }

    /// TQ1_0: each byte holds base-3 digits (first digit most significant) as the fixed-point fraction
    /// ⌈v·256/243⌉ of v = Σ cₙ·3^(4−n). Bytes 0..<32 hold elements 32n + m, bytes 32..<48 elements 160 + 16n + m,
    /// the four qh bytes elements 240 + 4n + m with a fifth digit of 0.
    static func packTQ1(_ codes: [Int], _ out: inout [UInt8], at base: Int) {
        func pack(_ digits: [Int]) -> UInt8 {
            let v = digits.reduce(0) { $0 * 3 + $1 }  // ≤ 242
            return UInt8((v * 256 + 242) / 243)
        }
        for m in 0..<32 { out[base + m] = pack((0..<5).map { codes[32 * $0 + m] }) }
        for m in 0..<16 { out[base + 32 + m] = pack((0..<5).map { codes[160 + 16 * $0 + m] }) }
        for m in 0..<4 { out[base + 48 + m] = pack((0..<4).map { codes[240 + 4 * $0 + m] } + [0]) }
    }
}
