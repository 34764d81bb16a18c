/// IEEE binary16 ("F16", ggml_half) and bfloat16 ("BF16") conversions on raw bit patterns.
///
/// Written on bits rather than `Float16` so the module builds where `Float16` is unavailable (macOS on x86-64).
/// Both narrowing conversions round to nearest, ties to even, as F16C's `vcvtps2ph` and ggml's
/// `GGML_FP32_TO_FP16`/`ggml_compute_fp32_to_bf16` do; widening is exact.
public enum HalfFloat {
    /// Widens an F16 bit pattern to `Float` (exact).
    @inline(__always)
    public static func toFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {  // infinity or NaN keeps its payload
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {  // zero or subnormal: mantissa × 2⁻²⁴, exact in Float
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// Narrows a `Float` to the nearest F16 bit pattern (ties to even; overflow → ±infinity; NaN stays NaN).
    @inline(__always)
    public static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 { return sign | 0x7E00 | UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x1FF) }
        if magnitude >= 0x477F_F000 { return sign | 0x7C00 }  // ≥ 65520 rounds to infinity (65504 is the largest)
        if magnitude < 0x3880_0000 {  // below 2⁻¹⁴: subnormal half; scaling by 2²⁴ is exact
            let units = (Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven)
            return sign | UInt16(units)
        }
        let rebiased = magnitude - (112 << 23)
        var half = rebiased >> 13
        let dropped = rebiased & 0x1FFF
        if dropped > 0x1000 || (dropped == 0x1000 && half & 1 == 1) { half += 1 }  // carry may bump the exponent
        return sign | UInt16(truncatingIfNeeded: half)
    }

    /// Rounds a `Float` to the nearest value representable in F16.
    @inline(__always)
    public static func round(_ f: Float) -> Float { toFloat(fromFloat(f)) }
}

/// bfloat16: the top 16 bits of a `Float`.
public enum BFloat16 {
    /// Widens a BF16 bit pattern to `Float` (exact).
    @inline(__always)
    public static func toFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    /// Narrows a `Float` to BF16, ties to even; NaN is forced quiet, as ggml does.
    @inline(__always)
    public static func fromFloat(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(truncatingIfNeeded: bits >> 16) | 64 }
        return UInt16(truncatingIfNeeded: (bits &+ (0x7FFF + ((bits >> 16) & 1))) >> 16)
    }
}
