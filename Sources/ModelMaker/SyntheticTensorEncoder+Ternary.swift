import GGUF
import Kernels

/// Ternary matrices for synthetic BitNet models: every weight is t·d with t ∈ {−1, 0, +1}.
///
/// Statistics follow BitNet b1.58's absmean quantizer applied to Gaussian latent weights: t = clamp(round(g /
/// mean|g|), −1, 1) with g ~ N(0, 1), so P(t = 0) ≈ 0.31 and P(t = ±1) ≈ 0.345 each; d = σ / √P(t ≠ 0), so the
/// dequantized weights spread by σ. One d per tensor, written into every block, as converting a real b1.58
/// checkpoint gives (its absmean scale is per tensor) — which also makes the blocks convertible to I2_S's single
/// tensor scale without loss. I2_S stores d as F32 after rounding it to F16, and draws the codes from the same
/// stream in the same element order: for one seed, a tensor holds the same values in TQ1_0, TQ2_0 and I2_S.
extension SyntheticTensorEncoder {
    /// Ternary weight types the generator writes (for `--arch bitnet`; any architecture accepts them).
    public static let ternaryTypes: [GGMLType] = [.tq1_0, .tq2_0, .i2_s]

    /// Mean |g| of a standard normal, √(2/π): BitNet's absmean scale of the latent weights.
    static let absMeanOfNormal: Float = 0.797_884_6
    /// √P(|g| ≥ 0.5·absmean) for a standard normal: the RMS of the ternary values t.
    static let ternaryRMS: Float = 0.830_2

    /// The one scale of a ternary tensor spread by `sigma`, rounded to F16 (TQ blocks store it as F16).
    static func ternaryScale(sigma: Float) -> Float { HalfConversion.f16ToF32(HalfConversion.f32ToF16(sigma / ternaryRMS)) }

    /// Code t + 1 ∈ 0…2 of the next ternary weight.
    static func nextTernaryCode(_ random: inout SyntheticRandom) -> UInt8 {
        UInt8(Int(max(-1, min(1, (random.gaussian() / absMeanOfNormal).rounded()))) + 1)
    }

    /// The packed I2_S codes of the next `elements` ternary values (rows of `rowLength`, a multiple of 128), without
    /// the trailer: element e of each 128-element block goes to byte 32·(e / 128) + e % 32, bits 6 − 2·((e % 128) / 32).
    /// - Throws: `ModelMakerError.unsupportedWeightType` when rows are not whole 128-element blocks.
    static func i2sCodes(elements: Int, rowLength: Int, random: inout SyntheticRandom) throws(ModelMakerError) -> [UInt8] {
        guard rowLength % 128 == 0, elements % rowLength == 0 else {
            throw .unsupportedWeightType("i2_s for rows of \(rowLength) (needs a multiple of 128)", supported: [])
        }
        var out = [UInt8](repeating: 0, count: elements / 4)
        for e in 0..<elements {
            let j = e % 128
            out[32 * (e / 128) + j % 32] |= UInt8(nextTernaryCode(&random) << (6 - 2 * (j / 32)))
        }
        return out
    }

    /// The 32-byte I2_S trailer: the tensor scale as little-endian F32, then zeros.
    static func i2sTrailer(sigma: Float) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let bits = ternaryScale(sigma: sigma).bitPattern
        for k in 0..<4 { out[k] = UInt8(truncatingIfNeeded: bits >> (8 * k)) }
        return out
    }

    /// Encodes `elements` ternary values (rows of a multiple of 256) in TQ1_0 or TQ2_0 into `out`.
    static func fillTernary(_ type: GGMLType, _ out: inout [UInt8], elements: Int, sigma: Float,
                            random: inout SyntheticRandom) {
        let d = ternaryScale(sigma: sigma)
        let blockBytes = type == .tq1_0 ? 54 : 66
        for b in 0..<elements / 256 {
            // Codes c = t + 1 ∈ 0…2 of block b's 256 weights, in element order.
            let codes = (0..<256).map { _ in nextTernaryCode(&random) }
            if type == .tq1_0 {
                TernaryCodes.packTQ1(codes, &out, at: blockBytes * b)
                storeF16(d, &out, at: blockBytes * b + 52)
            } else {
                TernaryCodes.packTQ2(codes, &out, at: blockBytes * b)
                storeF16(d, &out, at: blockBytes * b + 64)
            }
        }
    }
}
